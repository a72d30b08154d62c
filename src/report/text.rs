//! Readable terminal diagnostics: one block per finding, then a summary line.

use super::{human_bytes, terminal_safe as safe};
use crate::finding::Severity;
use crate::scan::{ScanReport, Stats};
use std::fmt::Write;

pub fn render(report: &ScanReport, show: bool) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let l = &f.location;
        let mut validated = f
            .validated
            .map(|v| format!(" · validated ({v})"))
            .unwrap_or_default();
        if !f.chain.is_empty() {
            let _ = write!(validated, " · decoded ({})", f.chain);
        }
        let _ = writeln!(
            out,
            "{}:{}:{}: {} [{}] {}{}",
            safe(&f.display_path()),
            l.line,
            l.column,
            f.severity,
            f.rule_id,
            f.rule_name,
            validated
        );
        if let Some(c) = &f.commit {
            let also = if f.also_in > 0 {
                format!(
                    " · same blob in {} more place{}",
                    f.also_in,
                    plural(f.also_in as usize)
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "    introduced in {} by {} <{}> on {}: {}{also}",
                &c.id[..c.id.len().min(12)],
                safe(&c.author),
                c.email,
                c.date,
                safe(&c.summary)
            );
        }
        let _ = writeln!(out, "    │ {}", safe(&f.snippet(show)));
        if let Some(v) = &f.verification {
            let _ = writeln!(
                out,
                "    verified {}: {}",
                v.state.as_str(),
                safe(&v.reason)
            );
            if let Some(a) = v.advice() {
                let _ = writeln!(out, "    {a}");
            }
        }
        match &f.message {
            Some(m) => {
                let _ = writeln!(out, "    {}", safe(m));
                let _ = writeln!(out, "    fingerprint {}", f.fingerprint);
            }
            None => {
                let _ = writeln!(
                    out,
                    "    secret {} · fingerprint {}",
                    f.shown_secret(show),
                    f.fingerprint
                );
            }
        }
    }
    out.push_str(&summary(report));
    out.push('\n');
    out
}

/// One line: counts by severity, what was scanned, skipped and suppressed, and the time.
pub fn summary(report: &ScanReport) -> String {
    let n = report.findings.len();
    let policy_only = report.category == "policy/";
    let mut s = if n == 0 {
        if policy_only {
            "keyguard: no policy violations".to_string()
        } else {
            "keyguard: no secrets found".to_string()
        }
    } else {
        let by: Vec<String> = Severity::ALL
            .iter()
            .rev()
            .filter_map(|sev| {
                let c = report
                    .findings
                    .iter()
                    .filter(|f| f.severity == *sev)
                    .count();
                (c > 0).then(|| format!("{c} {sev}"))
            })
            .collect();
        format!(
            "keyguard: {n} finding{} ({}), {} at or above {}",
            plural(n),
            by.join(", "),
            report.blocking(),
            report.fail_on
        )
    };
    let st: &Stats = &report.stats;
    if let Some(v) = &st.verify {
        let _ = write!(
            s,
            " · verified {} secret{}: {} live, {} invalid, {} unknown ({} request{}, {} cached)",
            v.checked,
            plural(v.checked),
            v.live,
            v.invalid,
            v.unknown,
            v.requests,
            plural(v.requests),
            v.from_cache
        );
    }
    let unit = if st.history.is_some() { "blob" } else { "file" };
    if let Some(p) = &st.policy {
        let _ = write!(
            s,
            " · policy: {} polic{} over {} file{}: {} reference{}, {} declared secret{}, {} store{}, {} grant{}, {} certificate{}",
            p.policies,
            if p.policies == 1 { "y" } else { "ies" },
            p.files,
            plural(p.files as usize),
            p.references,
            plural(p.references),
            p.secrets,
            plural(p.secrets),
            p.stores,
            plural(p.stores),
            p.grants,
            plural(p.grants),
            p.certificates,
            plural(p.certificates),
        );
    }
    if policy_only {
        let _ = write!(s, " in {:.2}s", st.elapsed.as_secs_f64());
    } else {
        let _ = write!(
            s,
            " · scanned {} {unit}{}, {} in {:.2}s with {} rules",
            st.files_scanned,
            plural(st.files_scanned),
            human_bytes(st.bytes_scanned),
            st.elapsed.as_secs_f64(),
            st.rules
        );
        if st.archive_members > 0 {
            let _ = write!(
                s,
                " · {} archive member{} opened",
                st.archive_members,
                plural(st.archive_members as usize)
            );
        }
        if st.streamed > 0 {
            let _ = write!(
                s,
                " · {} large file{} streamed",
                st.streamed,
                plural(st.streamed)
            );
        }
    }
    if let Some(h) = &st.history {
        let _ = write!(
            s,
            " · history: {} commit{}, {} ref{}, {} distinct blob{}{}",
            h.commits,
            plural(h.commits),
            h.refs,
            plural(h.refs),
            h.blobs,
            plural(h.blobs),
            if h.shallow { " (shallow clone)" } else { "" }
        );
    }
    let skipped: usize = st.skipped.values().sum();
    if skipped > 0 {
        let parts: Vec<String> = st
            .skipped
            .iter()
            .map(|(k, v)| {
                let why = match k {
                    crate::source::SkipReason::Binary => "binary".to_string(),
                    crate::source::SkipReason::TooLarge => "over --max-file-size".to_string(),
                    crate::source::SkipReason::Unreadable => "unreadable".to_string(),
                };
                format!("{v} {why}")
            })
            .collect();
        let _ = write!(s, " · skipped {skipped} ({})", parts.join(", "));
    }
    let suppressed: usize = st.suppressed.values().sum();
    if suppressed > 0 {
        let _ = write!(s, " · {suppressed} suppressed");
    }
    if !report.warnings.is_empty() {
        let _ = write!(
            s,
            " · {} warning{}",
            report.warnings.len(),
            plural(report.warnings.len())
        );
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}
