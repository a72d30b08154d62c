//! Migration from other scanners: their ignore files and baselines become a keyguard
//! baseline, their configuration becomes `.keyguard.toml`. Every translation says what it
//! could not carry over.
//!
//! gitleaks' `.gitleaksignore` and detect-secrets' `.secrets.baseline` name findings by
//! place (file, line, commit, rule of *their* rule set), not by keyguard's content-addressed
//! fingerprint. Importing therefore scans the repository and records, as baseline entries,
//! the keyguard findings at the places those files name.

use crate::error::Error;
use crate::finding::Finding;
use crate::suppress::baseline::Baseline;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// A place another tool marked as accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    pub path: String,
    pub line: usize,
    /// gitleaks history entries name a commit.
    pub commit: Option<String>,
}

/// `.gitleaksignore`: one fingerprint per line, `[commit:]file:rule:line`; `#` comments.
pub fn read_gitleaksignore(path: &Path) -> Result<Vec<Place>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = l.rsplitn(3, ':').collect(); // line, rule, rest
        let bad = || {
            Error::config(
                &path.display().to_string(),
                format!(
                    "line {}: `{l}` is not a gitleaks fingerprint ([commit:]file:rule:line)",
                    i + 1
                ),
                None,
                None,
            )
        };
        let [line, _rule, rest] = parts.as_slice() else {
            return Err(bad());
        };
        let line: usize = line.parse().map_err(|_| bad())?;
        // `rest` is `file` or `commit:file` (a 40-hex commit id first).
        let (commit, file) = match rest.split_once(':') {
            Some((c, f)) if c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (Some(c.to_string()), f.to_string())
            }
            _ => (None, rest.to_string()),
        };
        out.push(Place {
            path: file,
            line,
            commit,
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct DetectSecretsBaseline {
    results: BTreeMap<String, Vec<DetectSecretsResult>>,
}

#[derive(Deserialize)]
struct DetectSecretsResult {
    filename: Option<String>,
    line_number: usize,
}

/// detect-secrets' `.secrets.baseline` (JSON): every result's file and line.
pub fn read_detect_secrets(path: &Path) -> Result<Vec<Place>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    let b: DetectSecretsBaseline = serde_json::from_str(&text).map_err(|e| {
        Error::config(
            &path.display().to_string(),
            format!("not a detect-secrets baseline: {e}"),
            None,
            None,
        )
    })?;
    Ok(b.results
        .into_iter()
        .flat_map(|(file, rs)| {
            rs.into_iter().map(move |r| Place {
                path: r.filename.unwrap_or_else(|| file.clone()),
                line: r.line_number,
                commit: None,
            })
        })
        .collect())
}

/// A baseline of the `findings` at `places`, each with `reason`; returns it and the places
/// no keyguard finding matched (to report).
pub fn baseline_for(
    findings: &[Finding],
    places: &[Place],
    reason: &str,
    previous: Option<&Baseline>,
) -> (Baseline, Vec<Place>) {
    let matches = |f: &Finding, p: &Place| {
        f.location.path == p.path
            && f.location.line == p.line
            && p.commit
                .as_ref()
                .is_none_or(|c| f.commit.as_ref().is_some_and(|fc| &fc.id == c))
    };
    let chosen: Vec<Finding> = findings
        .iter()
        .filter(|f| places.iter().any(|p| matches(f, p)))
        .cloned()
        .collect();
    let unmatched: Vec<Place> = places
        .iter()
        .filter(|p| !findings.iter().any(|f| matches(f, p)))
        .cloned()
        .collect();
    let mut b = Baseline::from_findings(&chosen, previous);
    let new: HashSet<&str> = chosen.iter().map(|f| f.fingerprint.as_str()).collect();
    for e in &mut b.entries {
        if new.contains(e.fingerprint.as_str()) && e.reason.is_none() {
            e.reason = Some(reason.to_string());
        }
    }
    if let Some(prev) = previous {
        // Entries already in the baseline that this import did not touch stay.
        for e in &prev.entries {
            if !b.entries.iter().any(|x| x.fingerprint == e.fingerprint) {
                b.entries.push(e.clone());
            }
        }
        b.entries.sort_by(|a, c| {
            (&a.path, &a.rule, &a.fingerprint).cmp(&(&c.path, &c.rule, &c.fingerprint))
        });
    }
    (b, unmatched)
}
