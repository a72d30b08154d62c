//! Archives and compressed files, opened in memory with limits: gzip (flate2), bzip2
//! (bzip2, pure-Rust backend), zstd (ruzstd), zip (zip: jar, war, whl, nupkg, apk, docx…
//! are zip underneath) and tar (tar), nested. xz is not opened.

use super::Expander;
use std::io::Read;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Gzip,
    Bzip2,
    Zstd,
    Zip,
    Tar,
}

impl Kind {
    pub(super) fn name(self) -> &'static str {
        match self {
            Kind::Gzip => "gzip",
            Kind::Bzip2 => "bzip2",
            Kind::Zstd => "zstd",
            Kind::Zip => "zip",
            Kind::Tar => "tar",
        }
    }
}

/// What kind of archive `bytes` is, by its magic bytes.
pub(super) fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Some(Kind::Gzip)
    } else if bytes.len() >= 10
        && bytes.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&bytes[3])
        && bytes[4..10] == [0x31, 0x41, 0x59, 0x26, 0x53, 0x59]
    {
        Some(Kind::Bzip2)
    } else if bytes.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        Some(Kind::Zstd)
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Some(Kind::Zip)
    } else if bytes.len() >= 512 && &bytes[257..262] == b"ustar" {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// Below this many expanded bytes a member's ratio is not checked: small files of repeated
/// text compress well and are harmless.
const RATIO_FLOOR: u64 = 1024 * 1024;

/// Why reading a member stopped early.
enum Stop {
    Budget,
    Ratio,
}

impl Expander<'_, '_> {
    /// Read at most what the budget and the ratio allow. `Err` carries the bytes read so far:
    /// they are still scanned, and the warning says the rest was not.
    fn read_capped(
        &mut self,
        r: &mut dyn Read,
        compressed: u64,
    ) -> std::io::Result<(Vec<u8>, Option<Stop>)> {
        let ratio_cap = compressed
            .saturating_mul(self.limits.max_ratio)
            .max(RATIO_FLOOR);
        let cap = self.budget.min(ratio_cap);
        let mut out = Vec::new();
        r.take(cap + 1).read_to_end(&mut out)?;
        let stop = if out.len() as u64 > cap {
            out.truncate(cap as usize);
            Some(if cap == self.budget {
                Stop::Budget
            } else {
                Stop::Ratio
            })
        } else {
            None
        };
        self.budget -= out.len() as u64;
        Ok((out, stop))
    }

    fn stopped(&mut self, path: &str, stop: Option<Stop>) {
        let message = match stop {
            None => return,
            Some(Stop::Budget) => format!(
                "expands to more than {} bytes (the per-file expansion limit): the rest was not scanned (a decompression bomb?)",
                self.limits.max_expanded_bytes
            ),
            Some(Stop::Ratio) => format!(
                "expands more than {}× (the expansion ratio limit): the rest was not scanned (a decompression bomb?)",
                self.limits.max_ratio
            ),
        };
        self.warn(path, message);
    }

    /// One more member, or `false` (with a warning) when the member limit is reached.
    fn count_member(&mut self, path: &str) -> bool {
        if self.out.members >= self.limits.max_members {
            if self.out.members == self.limits.max_members {
                self.warn(
                    path,
                    format!(
                        "more than {} archive members: the rest were not scanned",
                        self.limits.max_members
                    ),
                );
                self.out.members += 1;
            }
            return false;
        }
        self.out.members += 1;
        true
    }
}

/// Open an archive and expand each member.
pub(super) fn open(
    ex: &mut Expander<'_, '_>,
    kind: Kind,
    path: &str,
    bytes: &[u8],
    chain: &[&'static str],
    depth: u32,
) {
    let mut c = chain.to_vec();
    c.push(kind.name());
    match kind {
        Kind::Gzip | Kind::Bzip2 | Kind::Zstd => compressed(ex, kind, path, bytes, &c, depth),
        Kind::Zip => zip(ex, path, bytes, &c, depth),
        Kind::Tar => tar(ex, path, bytes, &c, depth),
    }
}

/// A compressed stream: one member, or a tarball's members.
fn compressed(
    ex: &mut Expander<'_, '_>,
    kind: Kind,
    path: &str,
    bytes: &[u8],
    chain: &[&'static str],
    depth: u32,
) {
    let mut gz = None;
    let read = match kind {
        Kind::Gzip => {
            let d = gz.insert(flate2::read::MultiGzDecoder::new(bytes));
            ex.read_capped(d, bytes.len() as u64)
        }
        Kind::Bzip2 => ex.read_capped(
            &mut bzip2::read::MultiBzDecoder::new(bytes),
            bytes.len() as u64,
        ),
        _ => match ruzstd::decoding::StreamingDecoder::new(bytes) {
            Ok(mut d) => ex.read_capped(&mut d, bytes.len() as u64),
            Err(e) => Err(std::io::Error::other(e.to_string())),
        },
    };
    let (data, stop) = match read {
        Ok(x) => x,
        Err(e) => {
            ex.warn(
                path,
                format!("corrupt or truncated {} data: {e}", kind.name()),
            );
            return;
        }
    };
    ex.stopped(path, stop);
    // A tarball's members are named after the outer file: `x.tar.gz!dir/a.txt`.
    if sniff(&data) == Some(Kind::Tar) {
        let mut c = chain.to_vec();
        c.push(Kind::Tar.name());
        return tar(ex, path, &data, &c, depth);
    }
    let inner = gz
        .as_ref()
        .and_then(|d| d.header())
        .and_then(|h| h.filename())
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .unwrap_or_else(|| gunzipped_name(path));
    let member = format!("{path}!{inner}");
    if ex.count_member(path) {
        ex.node(&member, &data, chain, depth + 1);
    }
}

/// `a/b/log.txt.gz` → `log.txt`; `x.tgz` → `x.tar`; the same for `.bz2`, `.zst`.
fn gunzipped_name(path: &str) -> String {
    let base = path.rsplit(['/', '!']).next().unwrap_or(path);
    for suffix in [".tgz", ".tbz2", ".tzst"] {
        if let Some(stem) = base.strip_suffix(suffix) {
            return format!("{stem}.tar");
        }
    }
    for suffix in [".gz", ".bz2", ".zst"] {
        if let Some(stem) = base.strip_suffix(suffix) {
            return stem.to_string();
        }
    }
    base.to_string()
}

fn zip(ex: &mut Expander<'_, '_>, path: &str, bytes: &[u8], chain: &[&'static str], depth: u32) {
    let mut z = match zip::ZipArchive::new(std::io::Cursor::new(bytes)) {
        Ok(z) => z,
        Err(e) => {
            ex.warn(path, format!("corrupt zip archive: {e}"));
            return;
        }
    };
    for i in 0..z.len() {
        let (name, encrypted, dir, compressed) = match z.by_index_raw(i) {
            Ok(f) => (
                String::from_utf8_lossy(f.name_raw()).into_owned(),
                f.encrypted(),
                f.is_dir(),
                f.compressed_size(),
            ),
            Err(e) => {
                ex.warn(path, format!("corrupt zip member #{i}: {e}"));
                continue;
            }
        };
        if dir {
            continue;
        }
        let member = format!("{path}!{name}");
        if encrypted {
            ex.warn(&member, "encrypted zip member: not scanned".into());
            continue;
        }
        if !ex.count_member(path) {
            return;
        }
        let read = match z.by_index(i) {
            Ok(mut f) => ex.read_capped(&mut f, compressed),
            Err(e) => {
                ex.warn(&member, format!("cannot read zip member: {e}"));
                continue;
            }
        };
        match read {
            Ok((data, stop)) => {
                ex.stopped(&member, stop);
                ex.node(&member, &data, chain, depth + 1);
            }
            Err(e) => ex.warn(&member, format!("corrupt zip member: {e}")),
        }
        if ex.budget == 0 {
            return;
        }
    }
}

fn tar(ex: &mut Expander<'_, '_>, path: &str, bytes: &[u8], chain: &[&'static str], depth: u32) {
    let mut t = tar::Archive::new(bytes);
    let entries = match t.entries() {
        Ok(e) => e,
        Err(e) => {
            ex.warn(path, format!("corrupt tar archive: {e}"));
            return;
        }
    };
    for entry in entries {
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => {
                ex.warn(path, format!("corrupt or truncated tar archive: {e}"));
                return;
            }
        };
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let member = format!("{path}!{name}");
        if !ex.count_member(path) {
            return;
        }
        let size = entry.size();
        match ex.read_capped(&mut entry, size) {
            Ok((data, stop)) => {
                ex.stopped(&member, stop);
                ex.node(&member, &data, chain, depth + 1);
            }
            Err(e) => {
                ex.warn(&member, format!("corrupt or truncated tar member: {e}"));
                return;
            }
        }
        if ex.budget == 0 {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gunzipped_names() {
        assert_eq!(super::gunzipped_name("a/b/log.txt.gz"), "log.txt");
        assert_eq!(super::gunzipped_name("x.tgz"), "x.tar");
        assert_eq!(super::gunzipped_name("a.zip!c/d.gz"), "d");
        assert_eq!(super::gunzipped_name("blob"), "blob");
        assert_eq!(super::gunzipped_name("dump.sql.zst"), "dump.sql");
        assert_eq!(super::gunzipped_name("logs.tbz2"), "logs.tar");
    }
}
