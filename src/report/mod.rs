//! Reports: one file per output format, all reading the same [`ScanReport`].

pub mod csv;
pub mod gitlab;
pub mod json;
pub mod junit;
pub mod refs;
pub mod sarif;
pub mod text;

use crate::scan::ScanReport;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Readable diagnostics with a summary line.
    Text,
    /// keyguard's JSON report (schema in docs/json-report.md).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning and other SARIF readers.
    Sarif,
    /// GitLab's secret-detection report (merge-request widget, vulnerability report).
    Gitlab,
    /// JUnit XML for CI test tabs (Azure Pipelines, Jenkins).
    Junit,
    /// CSV, one row per finding.
    Csv,
}

/// Render `report`; secrets are redacted unless `show_secrets`.
pub fn render(report: &ScanReport, format: Format, show_secrets: bool) -> String {
    match format {
        Format::Text => text::render(report, show_secrets),
        Format::Json => json::render(report, show_secrets),
        Format::Sarif => sarif::render(report, show_secrets),
        Format::Gitlab => gitlab::render(report, show_secrets),
        Format::Junit => junit::render(report, show_secrets),
        Format::Csv => csv::render(report, show_secrets),
    }
}

/// `1.2 MB`-style sizes for people.
/// `s` safe to print on a terminal: control characters (C0 but tab, DEL, C1) are written as
/// `\xNN` / `\u{NN}` escapes, as git's `core.quotePath` does, so a file or archive member
/// named with `ESC[31m` or an OSC sequence cannot recolour or retitle the user's terminal.
pub fn terminal_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| (c.is_control() && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c);
    if !s.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if unsafe_char(c) {
            if (c as u32) < 0x80 {
                out.push_str(&format!("\\x{:02x}", c as u32));
            } else {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            }
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1000.0 && u < UNITS.len() - 1 {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// Write `bytes` to `path` atomically: a temporary file beside it, then a rename, so a
/// reader never sees half a report and a failed write never destroys the old one.
pub fn write_atomic(path: &std::path::Path, bytes: &[u8]) -> Result<(), crate::Error> {
    use std::io::Write;
    // `/dev/null`, a FIFO, `/dev/stdout`: write through; renaming over them would replace
    // the device with a regular file.
    if std::fs::metadata(path).is_ok_and(|m| !m.is_file()) {
        return std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .and_then(|mut f| f.write_all(bytes))
            .map_err(|e| crate::Error::io(path, &e));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.keyguard-tmp-{}", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|_| f.sync_all()))
        .and_then(|_| std::fs::rename(&tmp, path));
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(crate::Error::io(path, &e));
    }
    Ok(())
}

/// Percent-encode everything but RFC 3986's unreserved characters and those in `keep`.
pub fn percent_encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
