//! Large files as a stream of overlapping windows, in memory bounded by the window size
//! whatever the file's size.
//!
//! Each window is `OVERLAP` bytes of the previous one's end, then fresh bytes. A match is
//! kept by the window whose *core* holds its start — `[OVERLAP, len − OVERLAP)`, the first
//! window's from 0, the last window's to its end — so a secret across a boundary is found
//! whole, once. A match longer than `OVERLAP` (64 KiB) could be cut; no rule's is.

use std::io::Read;

/// Fresh bytes per window.
pub const WINDOW: usize = 8 * 1024 * 1024;
/// Bytes shared by neighbouring windows.
pub const OVERLAP: usize = 64 * 1024;

/// One window of a stream.
#[derive(Debug)]
pub struct Window<'a> {
    pub bytes: &'a [u8],
    /// Matches starting in `keep` (offsets into `bytes`) belong to this window.
    pub keep: std::ops::Range<usize>,
    /// The 1-based line `bytes[0]` is on.
    pub line: usize,
    /// Characters on that line before `bytes[0]`.
    pub column: usize,
}

/// Read `r` to its end in windows of `window` fresh bytes sharing `overlap` bytes, calling
/// `f` for each. Returns the bytes read.
pub fn stream(
    r: &mut dyn Read,
    window: usize,
    overlap: usize,
    f: &mut dyn FnMut(&Window<'_>),
) -> std::io::Result<u64> {
    let mut buf: Vec<u8> = Vec::with_capacity(window + 2 * overlap);
    let (mut line, mut column, mut total) = (1usize, 0usize, 0u64);
    let mut first = true;
    loop {
        let target = window + 2 * overlap;
        let before = buf.len();
        r.take((target - before) as u64).read_to_end(&mut buf)?;
        total += (buf.len() - before) as u64;
        let eof = buf.len() < target;
        let front = if first { 0 } else { overlap };
        let back = if eof { buf.len() } else { buf.len() - overlap };
        if back > front || first {
            f(&Window {
                bytes: &buf,
                keep: front..back.max(front),
                line,
                column,
            });
        }
        if eof {
            return Ok(total);
        }
        // The next window starts `overlap` before this one's core ends.
        let next = buf.len() - 2 * overlap;
        let consumed = &buf[..next];
        match memchr::memrchr(b'\n', consumed) {
            Some(p) => {
                line += memchr::memchr_iter(b'\n', consumed).count();
                column = char_count(&consumed[p + 1..]);
            }
            None => column += char_count(consumed),
        }
        buf.drain(..next);
        first = false;
    }
}

/// UTF-8 characters in `b` (an invalid byte counts as one).
pub fn char_count(b: &[u8]) -> usize {
    b.iter().filter(|&&c| (c & 0xC0) != 0x80).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_offset_is_kept_by_exactly_one_window_and_lines_carry_over() {
        let text: Vec<u8> = (0..10_000u32)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .collect();
        let mut kept = vec![0u8; text.len()];
        let mut offset = 0usize;
        let mut windows = 0;
        stream(&mut &text[..], 1000, 100, &mut |w| {
            windows += 1;
            // The window's bytes are where the stream says they are.
            let at = if windows == 1 { 0 } else { offset };
            assert_eq!(w.bytes, &text[at..at + w.bytes.len()]);
            for i in w.keep.clone() {
                kept[at + i] += 1;
            }
            // Its first line number is right.
            let line = 1 + text[..at].iter().filter(|&&b| b == b'\n').count();
            assert_eq!(w.line, line);
            offset = at + w.bytes.len() - 200;
        })
        .unwrap();
        assert!(windows > 50);
        assert!(kept.iter().all(|&k| k == 1));
    }
}
