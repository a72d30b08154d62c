//! CSV (RFC 4180): one row per finding, for spreadsheets and ticket imports. Cells that a
//! spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR) are prefixed with `'`.

use crate::report::json::JsonFinding;
use crate::scan::ScanReport;

/// The columns, one row per finding.
pub const HEADER: &[&str] = &[
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
    "verification",
];

pub fn render(report: &ScanReport, show: bool) -> String {
    let mut out = String::new();
    row(&mut out, HEADER.iter().map(|s| s.to_string()));
    for f in &report.findings {
        let v = serde_json::to_value(JsonFinding::new(f, show)).expect("finding serialises");
        row(&mut out, cells(&v));
    }
    out
}

/// The [`HEADER`] cells of one finding, from its JSON form (docs/json-report.md), so that
/// `merge` writes the same columns from stored JSON reports.
pub fn cells(finding: &serde_json::Value) -> Vec<String> {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    };
    let mut out: Vec<String> = HEADER[..11].iter().map(|k| text(&finding[*k])).collect();
    for k in ["id", "author", "date"] {
        out.push(text(&finding["commit"][k]));
    }
    out.push(text(&finding["message"]));
    out.push(text(&finding["verification"]["state"]));
    out
}

/// Append one RFC 4180 row (formula-safe cells).
pub fn row(out: &mut String, cells: impl IntoIterator<Item = String>) {
    let cells: Vec<String> = cells.into_iter().map(|c| cell(&c)).collect();
    out.push_str(&cells.join(","));
    out.push_str("\r\n");
}

fn cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
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
