//! Suppressions: inline allow comments, the configuration's allowlists, and baselines.

pub mod baseline;

use crate::config::Allowlist;
use crate::finding::Finding;

/// Markers that allow a finding on their own line. `gitleaks:allow` and detect-secrets'
/// `pragma: allowlist secret` are honoured so teams can migrate without touching code.
const SAME_LINE: &[&str] = &[
    "keyguard:allow",
    "gitleaks:allow",
    "pragma: allowlist secret",
];
/// detect-secrets' marker for the line below.
const NEXT_LINE: &str = "pragma: allowlist nextline secret";

/// Why a finding was suppressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Suppression {
    Inline,
    AllowlistPath,
    AllowlistRegex,
    AllowlistStopword,
    Baseline,
}

/// Is the finding on `line` (or announced on `previous_line`) allowed inline?
pub fn inline_allowed(line: &[u8], previous_line: Option<&[u8]>) -> bool {
    let has = |hay: &[u8], needle: &str| memchr::memmem::find(hay, needle.as_bytes()).is_some();
    SAME_LINE.iter().any(|m| has(line, m)) || previous_line.is_some_and(|p| has(p, NEXT_LINE))
}

/// The allowlist entry that suppresses `f`, if any.
pub fn allowlisted(allow: &Allowlist, f: &Finding) -> Option<Suppression> {
    if allow
        .paths
        .as_ref()
        .is_some_and(|g| g.is_match(&f.location.path))
    {
        return Some(Suppression::AllowlistPath);
    }
    if allow
        .regexes
        .iter()
        .any(|r| r.is_match(f.secret.as_bytes()))
    {
        return Some(Suppression::AllowlistRegex);
    }
    if !allow.stopwords.is_empty() {
        let lower = f.secret.to_lowercase();
        if allow.stopwords.iter().any(|s| lower.contains(s.as_str())) {
            return Some(Suppression::AllowlistStopword);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::inline_allowed;

    #[test]
    fn inline_markers() {
        assert!(inline_allowed(b"key = 'abc' # keyguard:allow", None));
        assert!(inline_allowed(b"key = 'abc' // gitleaks:allow", None));
        assert!(inline_allowed(
            b"key = 'abc'  # pragma: allowlist secret",
            None
        ));
        assert!(inline_allowed(
            b"key = 'abc'",
            Some(b"# pragma: allowlist nextline secret")
        ));
        assert!(!inline_allowed(b"key = 'abc'", Some(b"# keyguard:allow")));
    }
}
