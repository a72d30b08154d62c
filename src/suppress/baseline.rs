//! Baselines: known findings that no longer block, so a team can adopt keyguard without
//! first fixing every old secret.
//!
//! Entries are keyed by the finding's fingerprint — a hash of (rule, path, SHA-256 of the
//! secret), not the line and not the commit — so a baseline survives edits above the secret,
//! rebases and squash merges, while a *different* secret on a baselined line is still
//! reported. The file holds no secret, no line numbers and no timestamps that change on
//! every run, and its entries are sorted: regenerating it changes only what really changed.

use crate::error::Error;
use crate::finding::Finding;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// The baseline format this keyguard reads and writes.
pub const VERSION: u32 = 1;
/// The default file name.
pub const DEFAULT_FILE: &str = ".keyguard-baseline.toml";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    #[serde(default, rename = "finding")]
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub fingerprint: String,
    pub rule: String,
    pub path: String,
    pub secret_sha256: String,
    /// Who answers for this exception.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Why it is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// After this date (`YYYY-MM-DD`) the entry stops suppressing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<toml::value::Datetime>,
}

impl Entry {
    fn from_finding(f: &Finding) -> Entry {
        Entry {
            fingerprint: f.fingerprint.clone(),
            rule: f.rule_id.clone(),
            path: f.location.path.clone(),
            secret_sha256: f.secret_hash.clone(),
            owner: None,
            reason: None,
            expires: None,
        }
    }

    /// `YYYY-MM-DD` of the expiry, if any.
    fn expiry(&self) -> Option<(u16, u8, u8)> {
        self.expires
            .as_ref()
            .and_then(|d| d.date.map(|d| (d.year, d.month, d.day)))
    }
}

/// What applying a baseline did.
#[derive(Debug, Default)]
pub struct Applied {
    pub suppressed: usize,
    /// Entries that matched no finding (with `--report-unused`: stale, can be removed).
    pub unused: Vec<Entry>,
    /// Entries past their expiry date: they no longer suppress.
    pub expired: Vec<Entry>,
}

impl Baseline {
    /// Read a baseline. A corrupt file, or one written by a newer keyguard, is an error
    /// naming the file; it is never silently ignored (and never overwritten).
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        let name = path.display().to_string();
        let b: Baseline = toml::from_str(&text).map_err(|e| Error::toml(&name, &text, &e))?;
        if b.version > VERSION {
            return Err(Error::config(
                &name,
                format!(
                    "baseline version {} is newer than this keyguard understands ({VERSION}); upgrade keyguard",
                    b.version
                ),
                None,
                None,
            ));
        }
        if b.version == 0 {
            return Err(Error::config(
                &name,
                "baseline `version` must be 1".into(),
                None,
                None,
            ));
        }
        Ok(b)
    }

    /// A baseline of `findings`, keeping the owner, reason and expiry of entries already in
    /// `previous` for the same fingerprint. Sorted by (path, rule, fingerprint).
    pub fn from_findings(findings: &[Finding], previous: Option<&Baseline>) -> Baseline {
        let old: HashMap<&str, &Entry> = previous
            .map(|p| {
                p.entries
                    .iter()
                    .map(|e| (e.fingerprint.as_str(), e))
                    .collect()
            })
            .unwrap_or_default();
        let mut by_fp: BTreeMap<(String, String, String), Entry> = BTreeMap::new();
        for f in findings {
            let mut e = Entry::from_finding(f);
            if let Some(o) = old.get(e.fingerprint.as_str()) {
                e.owner = o.owner.clone();
                e.reason = o.reason.clone();
                e.expires = o.expires;
            }
            by_fp.insert((e.path.clone(), e.rule.clone(), e.fingerprint.clone()), e);
        }
        Baseline {
            version: VERSION,
            entries: by_fp.into_values().collect(),
        }
    }

    /// The file's text: a header comment, then sorted entries.
    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("baseline serialises");
        format!(
            "# keyguard baseline: known findings that do not block (`keyguard scan --baseline FILE`).\n\
             # Entries hold a hash of each secret, never the secret. Add `owner`, `reason` and\n\
             # `expires = YYYY-MM-DD` to an entry as needed; `keyguard baseline create` keeps them.\n\
             {body}"
        )
    }

    /// Remove the findings this baseline covers; `today` is `(year, month, day)`.
    pub fn apply(&self, findings: &mut Vec<Finding>, today: (u16, u8, u8)) -> Applied {
        let mut applied = Applied::default();
        let mut live: HashMap<&str, (&Entry, bool)> = HashMap::new();
        for e in &self.entries {
            if e.expiry().is_some_and(|d| d < today) {
                applied.expired.push(e.clone());
            } else {
                live.insert(&e.fingerprint, (e, false));
            }
        }
        findings.retain(|f| match live.get_mut(f.fingerprint.as_str()) {
            Some((_, used)) => {
                *used = true;
                applied.suppressed += 1;
                false
            }
            None => true,
        });
        applied.unused = live
            .into_values()
            .filter(|(_, used)| !used)
            .map(|(e, _)| e.clone())
            .collect();
        applied
            .unused
            .sort_by(|a, b| (&a.path, &a.rule).cmp(&(&b.path, &b.rule)));
        applied
    }
}
