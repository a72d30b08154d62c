//! CSV (RFC 4180): one row per finding, for spreadsheets and ticket imports. Cells that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`) are prefixed with `'`.

use crate::scan::ScanReport;

const HEADER: &[&str] = &[
    "rule_id",
    "rule_name",
    "family",
    "severity",
    "confidence",
    "path",
    "line",
    "column",
    "secret",
    "validated",
    "fingerprint",
    "commit",
    "author",
    "date",
    "message",
];

pub fn render(report: &ScanReport, show: bool) -> String {
    let mut out = String::new();
    row(&mut out, HEADER.iter().map(|s| s.to_string()));
    for f in &report.findings {
        let c = f.commit.as_deref();
        row(
            &mut out,
            [
                f.rule_id.clone(),
                f.rule_name.clone(),
                f.family.clone(),
                f.severity.to_string(),
                f.confidence.as_str().to_string(),
                f.location.path.clone(),
                f.location.line.to_string(),
                f.location.column.to_string(),
                f.shown_secret(show),
                f.validated.unwrap_or("").to_string(),
                f.fingerprint.clone(),
                c.map(|c| c.id.clone()).unwrap_or_default(),
                c.map(|c| c.author.clone()).unwrap_or_default(),
                c.map(|c| c.date.clone()).unwrap_or_default(),
                f.message.clone().unwrap_or_default(),
            ],
        );
    }
    out
}

/// Append one RFC 4180 row (formula-safe cells).
pub fn row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    let cells: Vec<String> = cells.into_iter().map(|c| cell(&c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
