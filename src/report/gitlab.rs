//! GitLab's secret-detection report (schema 15.0.7), for the merge-request widget and the
//! vulnerability report: `artifacts: reports: secret_detection: keyguard-gitlab.json`.

use crate::scan::ScanReport;
use serde_json::json;

pub const SCHEMA_VERSION: &str = "15.0.7";

pub fn render(report: &ScanReport, show: bool) -> String {
    let end = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let start = end - report.stats.elapsed.as_secs() as i64;
    let tool = json!({
        "id": "keyguard",
        "name": "keyguard",
        "version": env!("CARGO_PKG_VERSION"),
        "vendor": { "name": "keyguard" },
    });
    let vulns: Vec<serde_json::Value> = report
        .findings
        .iter()
        .map(|f| {
            let rule = report.rules.get(&f.rule_id);
            let description = rule
                .map(|r| r.spec.description.clone())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| f.rule_name.clone());
            let solution = rule
                .map(|r| r.spec.remediation.clone())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| "Revoke and rotate the credential, then load it from a secret manager.".into());
            let commit = match &f.commit {
                Some(c) => json!({ "sha": c.id, "author": format!("{} <{}>", c.author, c.email), "date": c.date, "message": c.summary }),
                // GitLab requires a commit; its own analyzers use this value outside git.
                None => json!({ "sha": "0000000" }),
            };
            json!({
                "id": f.fingerprint,
                "name": f.rule_name,
                "description": match &f.message {
                    Some(m) => format!("{description}: {m}."),
                    None => format!("{description} Found: `{}`.", f.shown_secret(show)),
                },
                "severity": gitlab_severity(f.severity),
                "solution": solution,
                "identifiers": [{
                    "type": "keyguard_rule_id",
                    "name": format!("keyguard rule {}", f.rule_id),
                    "value": f.rule_id,
                }],
                "location": {
                    "file": f.location.path,
                    "start_line": f.location.line,
                    "end_line": f.location.end_line,
                    "commit": commit,
                },
            })
        })
        .collect();
    let messages: Vec<serde_json::Value> = report
        .warnings
        .iter()
        .map(|w| json!({ "level": "warn", "value": format!("{}: {}", w.path, w.message) }))
        .collect();
    let doc = json!({
        "version": SCHEMA_VERSION,
        "scan": {
            "analyzer": tool,
            "scanner": tool,
            "type": "secret_detection",
            "start_time": timestamp(start),
            "end_time": timestamp(end),
            "status": "success",
            "messages": messages,
        },
        "vulnerabilities": vulns,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("report serialises");
    s.push('\n');
    s
}

fn gitlab_severity(s: crate::Severity) -> &'static str {
    match s {
        crate::Severity::Info => "Info",
        crate::Severity::Low => "Low",
        crate::Severity::Medium => "Medium",
        crate::Severity::High => "High",
        crate::Severity::Critical => "Critical",
    }
}

/// `yyyy-mm-ddThh:mm:ss` in UTC, as the schema requires.
fn timestamp(secs: i64) -> String {
    let (y, m, d) = crate::source::git::civil_from_days(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        t / 3600,
        t % 3600 / 60,
        t % 60
    )
}
