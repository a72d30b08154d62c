//! keyguard's JSON report. The schema is documented in docs/json-report.md and versioned:
//! fields are only ever added within a major `schema_version`.

use crate::finding::Finding;
use crate::scan::{ScanReport, Stats, Warning};
use serde::Serialize;

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Serialize)]
struct Report<'a> {
    schema_version: u32,
    tool: Tool,
    root: &'a str,
    findings: Vec<JsonFinding<'a>>,
    summary: Summary<'a>,
    warnings: &'a [Warning],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct Summary<'a> {
    findings: usize,
    blocking: usize,
    fail_on: &'static str,
    #[serde(flatten)]
    stats: &'a Stats,
}

/// One finding as JSON.
#[derive(Serialize)]
pub struct JsonFinding<'a> {
    pub rule_id: &'a str,
    pub rule_name: &'a str,
    pub family: &'a str,
    pub severity: &'static str,
    pub confidence: &'static str,
    pub path: &'a str,
    pub line: usize,
    pub column: usize,
    pub end_line: usize,
    pub end_column: usize,
    /// The redacted preview, or the secret itself with `--show-secrets`.
    pub secret: String,
    pub redacted: bool,
    pub snippet: String,
    pub validated: Option<&'static str>,
    pub fingerprint: &'a str,
    pub secret_sha256: &'a str,
    /// History scans: the commit that introduced the blob at `path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<&'a crate::finding::CommitInfo>,
    /// History scans: further tree entries holding the same blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub also_in: Option<u32>,
    /// History scans: how many versions of the file hold the same secret (reported once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versions: Option<u32>,
    /// Policy findings: what is wrong and what to change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<&'a str>,
    /// How the secret was reached, outermost first (`zip > base64`); absent when it is
    /// written plainly. The location is then the encoded run's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoding: Option<&'a str>,
    /// For a secret inside an archive member: the file holding the archive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<&'a str>,
    /// With `--verify`: `state` (`live`, `invalid`, `unknown`), `reason`, `provider`,
    /// `revoke` (where to revoke it); absent for rules keyguard cannot verify.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verification: Option<&'a crate::verify::Verification>,
}

impl<'a> JsonFinding<'a> {
    pub fn new(f: &'a Finding, show: bool) -> Self {
        JsonFinding {
            rule_id: &f.rule_id,
            rule_name: &f.rule_name,
            family: &f.family,
            severity: f.severity.as_str(),
            confidence: f.confidence.as_str(),
            path: &f.location.path,
            line: f.location.line,
            column: f.location.column,
            end_line: f.location.end_line,
            end_column: f.location.end_column,
            secret: f.shown_secret(show),
            redacted: !show,
            snippet: f.snippet(show),
            validated: f.validated,
            fingerprint: &f.fingerprint,
            secret_sha256: &f.secret_hash,
            commit: f.commit.as_deref(),
            also_in: f.commit.as_ref().map(|_| f.also_in),
            versions: f.commit.as_ref().map(|_| f.versions),
            message: f.message.as_deref(),
            decoding: (!f.chain.is_empty()).then_some(f.chain.as_str()),
            container: f.container.as_deref(),
            verification: f.verification.as_ref(),
        }
    }
}

pub fn render(report: &ScanReport, show: bool) -> String {
    let r = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "keyguard",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: &report.root,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding::new(f, show))
            .collect(),
        summary: Summary {
            findings: report.findings.len(),
            blocking: report.blocking(),
            fail_on: report.fail_on.as_str(),
            stats: &report.stats,
        },
        warnings: &report.warnings,
    };
    let mut s = serde_json::to_string_pretty(&r).expect("report serialises");
    s.push('\n');
    s
}
