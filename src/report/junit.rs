//! JUnit XML for CI test tabs (Azure Pipelines, Jenkins, GitLab): one failing test case per
//! finding, or one passing case when there is none, so the tab shows that the scan ran.

use crate::scan::ScanReport;
use std::fmt::Write;

pub fn render(report: &ScanReport, show: bool) -> String {
    let n = report.findings.len();
    let secs = report.stats.elapsed.as_secs_f64();
    let tests = n.max(1);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"keyguard\" tests=\"{tests}\" failures=\"{n}\" errors=\"0\" time=\"{secs:.3}\">"
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"keyguard {}\" tests=\"{tests}\" failures=\"{n}\" errors=\"0\" skipped=\"0\" time=\"{secs:.3}\">",
        esc(report.category.trim_end_matches('/'))
    );
    if n == 0 {
        let _ = writeln!(
            out,
            "    <testcase classname=\"keyguard\" name=\"no secrets found in {} files\" time=\"0\"/>",
            report.stats.files_scanned
        );
    }
    for f in &report.findings {
        let l = &f.location;
        let _ = writeln!(
            out,
            "    <testcase classname=\"{}\" name=\"{} at {}:{}:{}\" time=\"0\">",
            esc(&f.family),
            esc(&f.rule_id),
            esc(&f.display_path()),
            l.line,
            l.column
        );
        let _ = writeln!(
            out,
            "      <failure type=\"{}\" message=\"{} ({}) in {}:{}\">{}\n{}\nfingerprint {}</failure>",
            f.severity,
            esc(&f.rule_name),
            esc(&f.message.clone().unwrap_or_else(|| f.shown_secret(show))),
            esc(&f.display_path()),
            l.line,
            esc(&f.rule_name),
            esc(&f.snippet(show)),
            f.fingerprint
        );
        out.push_str("    </testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&apos;"),
            // Characters XML 1.0 cannot carry.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => o.push('\u{FFFD}'),
            c => o.push(c),
        }
    }
    o
}
