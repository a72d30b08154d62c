//! Between `source` and `detect`: turn one blob into the texts the detector should read.
//!
//! - **archives and compressed files** (`archive.rs`): gzip, zip (jar, war, whl, nupkg, apk,
//!   docx, xlsx…), tar and tar.gz, nested up to `max_archive_depth`; every member becomes a
//!   text whose path names it (`bundle.zip!inner/settings.py`);
//! - **text encodings** (`encoding.rs`): UTF-16 LE/BE (by BOM or by the NUL-every-other-byte
//!   pattern) is transcoded to UTF-8, a UTF-8 BOM is dropped, so lines and columns are those an
//!   editor shows;
//! - **decoders** (`decode.rs`): base64, hex, percent-encoding, `\uXXXX`/`\xNN` escapes and
//!   HTML entities inside a text, for candidate runs only;
//! - **large files** (`window.rs`): files over the in-memory size are read as a stream in
//!   overlapping windows, in bounded memory.
//!
//! Every text carries its chain (`zip`, `gzip`, `utf-16le`, `base64`…), so a finding can say
//! how its bytes were reached. Limits against bombs (total expanded bytes, ratio, members,
//! depth) live here; breaking one is a warning naming the file, never an error: scanning is
//! in memory, nothing is ever written.

mod archive;
pub mod decode;
mod encoding;
pub mod window;

use crate::source::SkipReason;

/// How far expansion may go. Defaults match the README; `.keyguard.toml` `[expand]` and the
/// command line change them.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Open archives and compressed files at all (off for `--staged` by default).
    pub archives: bool,
    /// Archives inside archives: 2 opens `a.zip!b.tar.gz!c.txt`.
    pub max_archive_depth: u32,
    /// Encodings inside encodings: 2 finds base64 inside base64.
    pub max_decode_depth: u32,
    /// Bytes one file may expand to, over all its members and layers.
    pub max_expanded_bytes: u64,
    /// Largest expanded/compressed ratio of a member once it is over 1 MiB.
    pub max_ratio: u64,
    /// Members read from one file, over all layers.
    pub max_members: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            archives: true,
            max_archive_depth: 2,
            max_decode_depth: 2,
            max_expanded_bytes: 256 * 1024 * 1024,
            max_ratio: 200,
            max_members: 10_000,
        }
    }
}

/// One text for the detector.
#[derive(Debug)]
pub struct Text<'a> {
    /// The path findings report: the blob's, or `outer!member` for an archive member.
    pub path: &'a str,
    /// The blob's own path (the file on disk or in git that holds the member).
    pub outer: &'a str,
    pub bytes: &'a [u8],
    /// How the bytes were reached from the blob, outermost first (empty for plain text).
    pub chain: &'a [&'static str],
}

/// What expanding one blob noticed besides its texts.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Set when the blob itself yields no text: binary, not an archive, not UTF-16.
    pub skipped: Option<SkipReason>,
    /// `(path, message)`: corrupt archives, limits reached, encrypted members, bad UTF-16.
    pub warnings: Vec<(String, String)>,
    /// Archive members opened.
    pub members: u64,
}

/// Expand `bytes` (the blob at `path`) and hand each text to `visit`.
pub fn expand(
    path: &str,
    bytes: &[u8],
    limits: &Limits,
    visit: &mut dyn FnMut(Text<'_>),
) -> Outcome {
    let mut ex = Expander {
        outer: path,
        limits,
        budget: limits.max_expanded_bytes,
        out: Outcome::default(),
        visit,
    };
    let chain = Vec::new();
    if !ex.node(path, bytes, &chain, 0) {
        ex.out.skipped = Some(SkipReason::Binary);
    }
    ex.out
}

/// Whether `head` (a file's first bytes) starts an archive, a compressed file or UTF-16
/// text: bytes expansion must read whole.
pub fn is_container(head: &[u8]) -> bool {
    archive::sniff(head).is_some() || encoding::sniff_utf16(head).is_some()
}

struct Expander<'l, 'v> {
    outer: &'l str,
    limits: &'l Limits,
    /// Expanded bytes this blob may still produce.
    budget: u64,
    out: Outcome,
    visit: &'v mut dyn FnMut(Text<'_>),
}

impl Expander<'_, '_> {
    /// Expand one node: an archive's members, a transcoded text, or the text itself.
    /// `false` when the node is binary and yields nothing.
    fn node(&mut self, path: &str, bytes: &[u8], chain: &[&'static str], depth: u32) -> bool {
        if let Some(kind) = archive::sniff(bytes) {
            if !self.limits.archives {
                return false;
            }
            if depth >= self.limits.max_archive_depth {
                self.warn(
                    path,
                    format!(
                        "{} nested deeper than the archive depth limit ({}): not opened",
                        kind.name(),
                        self.limits.max_archive_depth
                    ),
                );
                return true;
            }
            archive::open(self, kind, path, bytes, chain, depth);
            return true;
        }
        if let Some(enc) = encoding::sniff_utf16(bytes) {
            let (text, bad) = encoding::decode_utf16(bytes, enc);
            if bad {
                self.warn(
                    path,
                    format!(
                        "invalid {}: scanned with replacement characters",
                        enc.name()
                    ),
                );
            }
            let mut c = chain.to_vec();
            c.push(enc.name());
            (self.visit)(Text {
                path,
                outer: self.outer,
                bytes: text.as_bytes(),
                chain: &c,
            });
            return true;
        }
        if crate::source::looks_binary(bytes) {
            return false;
        }
        let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        (self.visit)(Text {
            path,
            outer: self.outer,
            bytes,
            chain,
        });
        true
    }

    fn warn(&mut self, path: &str, message: String) {
        self.out.warnings.push((path.to_string(), message));
    }
}
