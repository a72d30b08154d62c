//! One blob through expand → detect → findings, the same way for every mode (stdin, tree,
//! `--staged`, `--range`, `--history`, sweep): archives and text encodings opened, encoded
//! runs decoded, files over the in-memory size streamed in windows; inline allow comments and
//! allowlists applied. The modes (in `scan.rs`) only say where the bytes come from.

use crate::config::Config;
use crate::detect::{Match, Scratch};
use crate::expand::{self, decode, window, Text};
use crate::finding::{fingerprint, secret_hash, Finding, Location};
use crate::rules::RuleSet;
use crate::source::SkipReason;
use crate::suppress::{self, Suppression};
use std::collections::BTreeMap;

/// Files larger than this are read as a stream of windows rather than whole.
pub const IN_MEMORY: u64 = 10 * 1024 * 1024;

/// What one blob gave.
#[derive(Debug, Default)]
pub struct Scanned {
    pub findings: Vec<Finding>,
    pub suppressed: BTreeMap<Suppression, usize>,
    /// `(path, message)`: problems met while expanding (corrupt archives, limits…).
    pub warnings: Vec<(String, String)>,
    /// Why the blob gave no text at all.
    pub skipped: Option<SkipReason>,
    /// Archive members opened.
    pub members: u64,
    /// Read as a stream of windows.
    pub streamed: bool,
}

/// Per-thread scratch space.
#[derive(Debug, Default)]
pub struct Work {
    scratch: Scratch,
    matches: Vec<Match>,
}

/// Scan a blob held in memory.
pub fn scan_bytes(config: &Config, path: &str, bytes: &[u8], work: &mut Work) -> Scanned {
    let mut res = Scanned::default();
    let outcome = expand::expand(path, bytes, &config.expand, &mut |text| {
        scan_text(config, &text, &Frame::whole(text.bytes), work, &mut res);
    });
    res.skipped = outcome.skipped;
    res.warnings.extend(outcome.warnings);
    res.members = outcome.members;
    res
}

/// Scan a file too large to hold: archives up to the expansion limit are opened in memory,
/// text is streamed in windows; binary and UTF-16 files this large are skipped.
pub fn scan_file(
    config: &Config,
    path: &str,
    file: &std::path::Path,
    size: u64,
    work: &mut Work,
) -> Result<Scanned, String> {
    use std::io::{Read, Seek};
    let mut f = std::fs::File::open(file).map_err(|e| e.to_string())?;
    let mut head = Vec::with_capacity(8192);
    (&mut f)
        .take(8192)
        .read_to_end(&mut head)
        .map_err(|e| e.to_string())?;
    f.rewind().map_err(|e| e.to_string())?;
    let mut res = Scanned::default();
    if expand::is_container(&head) {
        if size > config.expand.max_expanded_bytes || !config.expand.archives {
            if config.expand.archives {
                res.warnings.push((
                    path.to_string(),
                    format!(
                        "an archive or UTF-16 file of {size} bytes, over the expansion limit ({} bytes): not scanned",
                        config.expand.max_expanded_bytes
                    ),
                ));
            }
            res.skipped = Some(SkipReason::TooLarge);
            return Ok(res);
        }
        let mut bytes = Vec::new();
        f.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
        return Ok(scan_bytes(config, path, &bytes, work));
    }
    if crate::source::looks_binary(&head) {
        res.skipped = Some(SkipReason::Binary);
        return Ok(res);
    }
    res.streamed = true;
    window::stream(&mut f, window::WINDOW, window::OVERLAP, &mut |w| {
        let text = Text {
            path,
            outer: path,
            bytes: w.bytes,
            chain: &[],
        };
        let frame = Frame {
            keep: w.keep.clone(),
            line: w.line,
            column: w.column,
        };
        scan_text(config, &text, &frame, work, &mut res);
    })
    .map_err(|e| e.to_string())?;
    Ok(res)
}

/// Where a text sits in its file: the part whose matches it reports, and the line and column
/// of its first byte (a window of a large file starts mid-file).
struct Frame {
    keep: std::ops::Range<usize>,
    line: usize,
    column: usize,
}

impl Frame {
    fn whole(bytes: &[u8]) -> Frame {
        Frame {
            keep: 0..bytes.len(),
            line: 1,
            column: 0,
        }
    }

    fn place(&self, mut l: Location) -> Location {
        if l.line == 1 {
            l.column += self.column;
        }
        if l.end_line == 1 {
            l.end_column += self.column;
        }
        l.line += self.line - 1;
        l.end_line += self.line - 1;
        l
    }
}

/// An encoded run whose [`Anchor`] is made only when its decoded text holds a finding:
/// locating a run costs a pass over its line, and minified files have lines of megabytes
/// with thousands of runs.
struct LazyAnchor {
    start: usize,
    end: usize,
    made: Option<Anchor>,
}

impl LazyAnchor {
    fn get(&mut self, text: &Text<'_>, frame: &Frame, lines: &mut LineIndex) -> &Anchor {
        let (start, end) = (self.start, self.end);
        self.made.get_or_insert_with(|| {
            let bytes = text.bytes;
            let (location, line_text) = span_location(lines, text.path, start, end);
            let (_, ls, le, prev) = lines.locate(start);
            let (cs, ce) = capped_line(ls, le, start, end);
            Anchor {
                location: frame.place(location),
                line_text,
                encoded: String::from_utf8_lossy(&bytes[start..end]).into_owned(),
                inline_allowed: suppress::inline_allowed(
                    &bytes[cs..ce],
                    prev.map(|(s, e)| &bytes[s..e]),
                ),
            }
        })
    }
}

/// Where decoded text came from: the encoded run in the file, which its findings point at.
struct Anchor {
    location: Location,
    line_text: String,
    encoded: String,
    inline_allowed: bool,
}

fn scan_text(config: &Config, text: &Text<'_>, frame: &Frame, work: &mut Work, res: &mut Scanned) {
    let bytes = text.bytes;
    config
        .rules
        .find(bytes, &mut work.scratch, &mut work.matches);
    let mut spans = Vec::new();
    if config.expand.max_decode_depth > 0 {
        decode::decode_spans(bytes, &mut spans);
    }
    // The no-match path allocates nothing more.
    if work.matches.is_empty() && spans.is_empty() {
        return;
    }
    let mut lines = LineIndex::new(bytes);
    let matches = std::mem::take(&mut work.matches);
    // Generic findings (index in `res.findings`, span) that a decoded specific one replaces.
    let mut generic = Vec::new();
    // (rule, span) of every plain finding: a decoded run's finding of the same rule at the
    // same place says nothing new.
    let mut plain = Vec::new();
    for m in matches.iter().filter(|m| frame.keep.contains(&m.start)) {
        let (_, ls, le, prev) = lines.locate(m.start);
        let (ls, le) = capped_line(ls, le, m.start, m.end);
        if suppress::inline_allowed(&bytes[ls..le], prev.map(|(s, e)| &bytes[s..e])) {
            *res.suppressed.entry(Suppression::Inline).or_default() += 1;
            continue;
        }
        let (location, line_text) = span_location(&mut lines, text.path, m.start, m.end);
        let secret = String::from_utf8_lossy(&bytes[m.start..m.end]).into_owned();
        let mut f = finding(
            &config.rules,
            m,
            secret,
            frame.place(location),
            line_text,
            text.chain.join(" > "),
            None,
        );
        f.companion = companion(m, bytes);
        f.container = (text.path != text.outer).then(|| text.outer.to_string());
        if config.rules.rules[m.rule as usize].generic {
            generic.push((res.findings.len(), m.start, m.end));
        }
        plain.push((m.rule, m.start, m.end));
        push(config, f, res);
    }
    work.matches = matches;
    let mut replaced = Vec::new();
    for d in spans.into_iter().filter(|d| frame.keep.contains(&d.start)) {
        let mut anchor = LazyAnchor {
            start: d.start,
            end: d.end,
            made: None,
        };
        let mut c: Vec<&str> = text.chain.to_vec();
        c.extend(d.how);
        let before = res.findings.len();
        decoded(
            config,
            text,
            frame,
            &mut lines,
            &c,
            &d.bytes,
            &mut anchor,
            1,
            work,
            res,
        );
        let mut i = before;
        while i < res.findings.len() {
            let f = &res.findings[i];
            let seen = plain.iter().any(|&(r, s, e)| {
                s < d.end && d.start < e && config.rules.rules[r as usize].spec.id == f.rule_id
            });
            if seen {
                res.findings.remove(i);
            } else {
                i += 1;
            }
        }
        let specific = res.findings[before..].iter().any(|f| f.family != "generic");
        if specific {
            // A generic rule saw the encoded run as a token; the decoded secret says what it is.
            replaced.extend(
                generic
                    .iter()
                    .filter(|&&(_, s, e)| s < d.end && d.start < e)
                    .map(|&(i, ..)| i),
            );
        }
    }
    replaced.sort_unstable();
    replaced.dedup();
    for i in replaced.into_iter().rev() {
        if i < res.findings.len() {
            res.findings.remove(i);
        }
    }
}

/// Detect in decoded bytes (and decode further, to the depth limit); every finding points at
/// the anchor, the encoded run in the file.
#[allow(clippy::too_many_arguments)]
fn decoded(
    config: &Config,
    text: &Text<'_>,
    frame: &Frame,
    lines: &mut LineIndex,
    chain: &[&str],
    bytes: &[u8],
    lazy: &mut LazyAnchor,
    depth: u32,
    work: &mut Work,
    res: &mut Scanned,
) {
    let mut matches = Vec::new();
    config.rules.find(bytes, &mut work.scratch, &mut matches);
    for m in &matches {
        // Literally in the file too: the plain scan reports it where it is.
        if memchr::memmem::find(&text.bytes[lazy.start..lazy.end], &bytes[m.start..m.end]).is_some()
        {
            continue;
        }
        let secret = String::from_utf8_lossy(&bytes[m.start..m.end]).into_owned();
        let anchor = lazy.get(text, frame, lines);
        if anchor.inline_allowed {
            *res.suppressed.entry(Suppression::Inline).or_default() += 1;
            continue;
        }
        let mut f = finding(
            &config.rules,
            m,
            secret,
            anchor.location.clone(),
            anchor.line_text.clone(),
            chain.join(" > "),
            Some(anchor.encoded.clone()),
        );
        f.companion = companion(m, bytes);
        f.container = (text.path != text.outer).then(|| text.outer.to_string());
        push(config, f, res);
    }
    if depth >= config.expand.max_decode_depth {
        return;
    }
    let mut spans = Vec::new();
    decode::decode_spans(bytes, &mut spans);
    for d in spans {
        let mut c = chain.to_vec();
        c.extend(d.how);
        decoded(
            config,
            text,
            frame,
            lines,
            &c,
            &d.bytes,
            lazy,
            depth + 1,
            work,
            res,
        );
    }
}

fn push(config: &Config, f: Finding, res: &mut Scanned) {
    match suppress::allowlisted(&config.allowlist, &f) {
        Some(why) => *res.suppressed.entry(why).or_default() += 1,
        None => res.findings.push(f),
    }
}

fn finding(
    rules: &RuleSet,
    m: &Match,
    secret: String,
    location: Location,
    line_text: String,
    chain: String,
    encoded: Option<String>,
) -> Finding {
    let rule = &rules.rules[m.rule as usize];
    let hash = secret_hash(&secret);
    Finding {
        rule_id: rule.spec.id.clone(),
        rule_name: rule.spec.name.clone(),
        family: rule.spec.family.clone(),
        severity: rule.spec.severity,
        confidence: rule.spec.confidence,
        fingerprint: fingerprint(&rule.spec.id, &location.path, &hash),
        location,
        secret_hash: hash,
        line_text,
        validated: m.validated,
        secret,
        commit: None,
        also_in: 0,
        versions: 1,
        message: None,
        chain,
        encoded,
        container: None,
        companion: None,
        verification: None,
    }
}

/// The text of a match's `nearby` companion.
fn companion(m: &Match, bytes: &[u8]) -> Option<String> {
    m.companion
        .map(|(s, e)| String::from_utf8_lossy(&bytes[s..e]).into_owned())
}

/// Lines longer than this are cut around the match for the report's line text and the
/// inline-allow check (a minified one-line file must not be copied into every finding).
const LONG_LINE: usize = 4096;

fn capped_line(ls: usize, le: usize, start: usize, end: usize) -> (usize, usize) {
    if le - ls <= LONG_LINE {
        return (ls, le);
    }
    let lo = start.saturating_sub(LONG_LINE / 4).max(ls);
    let hi = (end + LONG_LINE / 4).min(le);
    (lo, hi)
}

/// Where `start..end` of the indexed text is (1-based lines, columns in characters), and
/// the text of its first line (cut around the span when the line is very long).
pub fn span_location(
    lines: &mut LineIndex,
    path: &str,
    start: usize,
    end: usize,
) -> (Location, String) {
    let bytes = lines.bytes;
    let (line, ls, le, _) = lines.locate(start);
    let (end_line, es, _, _) = lines.locate(end.saturating_sub(1).max(start));
    let location = Location {
        path: path.to_string(),
        line,
        column: window::char_count(&bytes[ls..start]) + 1,
        end_line,
        end_column: window::char_count(&bytes[es..end]) + 1,
    };
    let (cs, ce) = capped_line(ls, le, start, end.min(le).max(start));
    (
        location,
        String::from_utf8_lossy(&bytes[cs..ce]).into_owned(),
    )
}

/// Line numbers computed lazily, only for blobs with matches; offsets are queried in
/// increasing order mostly, so the scan resumes where it stopped.
pub struct LineIndex<'a> {
    bytes: &'a [u8],
    /// Start offsets of lines seen so far (line 1 starts at 0).
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        LineIndex {
            bytes,
            starts: vec![0],
        }
    }

    /// (1-based line, line start, line end excluding `\n`/`\r\n`, previous line span).
    #[allow(clippy::type_complexity)]
    pub fn locate(&mut self, off: usize) -> (usize, usize, usize, Option<(usize, usize)>) {
        // Extend the known line starts just past `off`.
        loop {
            let last = *self.starts.last().expect("line 1 is always known");
            if last > off {
                break;
            }
            match memchr::memchr(b'\n', &self.bytes[last..]) {
                Some(p) => self.starts.push(last + p + 1),
                None => break,
            }
        }
        let idx = match self.starts.binary_search(&off) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.starts[idx];
        let end = self.line_end(start);
        let prev = (idx > 0).then(|| {
            let s = self.starts[idx - 1];
            (s, self.line_end(s))
        });
        (idx + 1, start, end, prev)
    }

    fn line_end(&self, start: usize) -> usize {
        let mut end =
            memchr::memchr(b'\n', &self.bytes[start..]).map_or(self.bytes.len(), |p| start + p);
        if end > start && self.bytes[end - 1] == b'\r' {
            end -= 1;
        }
        end
    }
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn line_index_finds_lines() {
        let text = b"one\ntwo\r\nthree\n";
        let mut li = LineIndex::new(text);
        assert_eq!(li.locate(0).0, 1);
        assert_eq!(li.locate(5).0, 2);
        let (line, s, e, prev) = li.locate(10);
        assert_eq!((line, &text[s..e]), (3, &b"three"[..]));
        assert_eq!(prev.map(|(s, e)| &text[s..e]), Some(&b"two"[..]));
        // Out of order queries work too.
        assert_eq!(li.locate(4).0, 2);
        assert_eq!(li.locate(3).0, 1);
    }
}
