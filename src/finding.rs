//! The one finding model every job produces: what was found, where, how sure, and a stable
//! fingerprint. A `Finding` holds the secret itself only in memory; every serialisation goes
//! through [`Finding::preview`] unless the user asked for `--show-secrets`.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;

pub use crate::source::git::CommitInfo;

/// How bad a finding is. Ordered: `Info < Low < Medium < High < Critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// GitHub code scanning's `security-severity` (a CVSS-like 0.0–10.0 score).
    pub fn security_severity(self) -> &'static str {
        match self {
            Severity::Info => "1.0",
            Severity::Low => "3.0",
            Severity::Medium => "5.5",
            Severity::High => "8.0",
            Severity::Critical => "9.5",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Severity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Severity::ALL
            .into_iter()
            .find(|sev| sev.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                format!("unknown severity `{s}` (expected info, low, medium, high or critical)")
            })
    }
}

/// How likely a match of the rule is a real secret (SARIF `precision`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    #[default]
    Medium,
    High,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }
}

/// Where a finding is. Lines and columns are 1-based; columns count Unicode scalar values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Location {
    /// Path relative to the scan root, `/`-separated (`-` for standard input).
    pub path: String,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
}

/// A detected secret (or, later, a policy violation).
#[derive(Debug, Clone)]
pub struct Finding {
    pub rule_id: String,
    pub rule_name: String,
    pub family: String,
    pub severity: Severity,
    pub confidence: Confidence,
    pub location: Location,
    /// The secret. Never serialised as such: see [`Finding::preview`].
    pub secret: String,
    /// The source line holding the start of the match, secret still in it.
    pub line_text: String,
    /// Result of offline validation, when the rule has a validator (`"checksum"`, `"jwt"`…).
    pub validated: Option<&'static str>,
    /// Stable across line moves: hash of (rule, path, hash of the secret).
    pub fingerprint: String,
    /// SHA-256 of the secret, hex. Stored in baselines instead of the secret.
    pub secret_hash: String,
    /// For history scans: the commit that first introduced the blob at this path.
    pub commit: Option<Arc<CommitInfo>>,
    /// For history scans: further tree entries (other paths or directory versions) holding
    /// the same blob, which is scanned and reported once.
    pub also_in: u32,
    /// For history scans: how many versions of the file (distinct blobs) hold this secret;
    /// the finding is reported once, at the earliest.
    pub versions: u32,
    /// Policy findings: what is wrong and what to change (secret findings: `None`).
    pub message: Option<String>,
    /// How the secret's bytes were reached, outermost first: `zip > base64`, `utf-16le`;
    /// empty for a secret written plainly in the file.
    pub chain: String,
    /// For a secret found in decoded text: the encoded run at the location (the secret in
    /// disguise, so reports redact it like the secret).
    pub encoded: Option<String>,
    /// For a secret in an archive member (`path` is `bundle.zip!inner/a.py`): the file that
    /// holds the archive (`bundle.zip`).
    pub container: Option<String>,
    /// The other half of a credential pair, found by the rule's `nearby` pattern (an AWS
    /// secret key's access key id, a Twilio auth token's account SID): only verification
    /// uses it; never reported.
    pub companion: Option<String>,
    /// What `--verify` learnt from the provider.
    pub verification: Option<crate::verify::Verification>,
}

impl Finding {
    /// `--verify` found the credential live.
    pub fn is_live(&self) -> bool {
        self.verification
            .as_ref()
            .is_some_and(|v| v.state == crate::verify::State::Live)
    }

    /// The secret as reports show it: its first four characters, then `…`.
    pub fn preview(&self) -> String {
        redact(&self.secret)
    }

    /// The secret as the report should show it.
    pub fn shown_secret(&self, show: bool) -> String {
        if show {
            self.secret.clone()
        } else {
            self.preview()
        }
    }

    /// The source line with the secret replaced by its preview (or left whole when `show`),
    /// trimmed and cut to a readable length.
    pub fn snippet(&self, show: bool) -> String {
        let line = if show {
            self.line_text.clone()
        } else {
            match &self.encoded {
                Some(enc) => redact_in(&self.line_text, enc),
                None => redact_in(&self.line_text, &self.secret),
            }
        };
        let line = line.trim();
        const MAX: usize = 160;
        if line.chars().count() > MAX {
            let cut: String = line.chars().take(MAX).collect();
            format!("{cut}…")
        } else {
            line.to_string()
        }
    }

    /// Deterministic report order: path, line, column, rule (then commit, for history).
    pub fn sort_key(&self) -> (&str, usize, usize, &str, &str) {
        (
            &self.location.path,
            self.location.line,
            self.location.column,
            &self.rule_id,
            self.commit.as_ref().map_or("", |c| c.id.as_str()),
        )
    }

    /// `path`, or `path@commit` (12 hex digits) for a finding in history.
    pub fn display_path(&self) -> String {
        match &self.commit {
            Some(c) => format!("{}@{}", self.location.path, &c.id[..c.id.len().min(12)]),
            None => self.location.path.clone(),
        }
    }
}

/// First four characters of a secret followed by `…`; short secrets show only `…`.
pub fn redact(secret: &str) -> String {
    if secret.chars().count() <= 8 {
        return "…".to_string();
    }
    let head: String = secret.chars().take(4).collect();
    format!("{head}…")
}

/// Replace every occurrence of `secret` (or, for multi-line secrets, of its first line) in
/// `text` with its preview.
pub fn redact_in(text: &str, secret: &str) -> String {
    let needle = secret.lines().next().unwrap_or(secret);
    if needle.is_empty() {
        return text.to_string();
    }
    if text.contains(needle) {
        text.replace(needle, &redact(secret))
    } else {
        // The secret starts on another line than `text` shows; never risk leaking a part.
        let preview = redact(secret);
        match secret.lines().find(|l| l.len() >= 4 && text.contains(l)) {
            Some(part) => text.replace(part, &preview),
            None => text.to_string(),
        }
    }
}

/// SHA-256 of the secret, hex encoded.
pub fn secret_hash(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// The fingerprint contract (DESIGN.md): content addressed by rule, path and a hash of the
/// secret — not the line, not the commit — so it survives edits above the secret.
pub fn fingerprint(rule_id: &str, path: &str, secret_hash: &str) -> String {
    let mut h = Sha256::new();
    h.update(rule_id.as_bytes());
    h.update([0]);
    h.update(path.as_bytes());
    h.update([0]);
    h.update(secret_hash.as_bytes());
    hex(&h.finalize()[..16])
}

pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_keeps_four_chars() {
        assert_eq!(redact("ghp_abcdefghijklmnop"), "ghp_…");
        assert_eq!(redact("short"), "…");
        let line = r#"token = "ghp_abcdefghijklmnop""#;
        assert_eq!(
            redact_in(line, "ghp_abcdefghijklmnop"),
            r#"token = "ghp_…""#
        );
    }

    #[test]
    fn fingerprint_depends_on_rule_path_secret_only() {
        let h = secret_hash("s3cr3t-value-1234");
        let a = fingerprint("r", "a.txt", &h);
        assert_eq!(a, fingerprint("r", "a.txt", &h));
        assert_ne!(a, fingerprint("r", "b.txt", &h));
        assert_ne!(a, fingerprint("q", "a.txt", &h));
        assert_ne!(
            a,
            fingerprint("r", "a.txt", &secret_hash("other-value-1234"))
        );
    }

    #[test]
    fn severity_order_and_parse() {
        assert!(Severity::Critical > Severity::High && Severity::Low > Severity::Info);
        assert_eq!("HIGH".parse::<Severity>().unwrap(), Severity::High);
        assert!("severe".parse::<Severity>().is_err());
    }
}
