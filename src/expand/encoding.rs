//! Text encodings the detector cannot read directly: UTF-16 little and big endian, found by
//! their byte-order mark or by the pattern ASCII text makes in UTF-16 (a NUL in every other
//! byte) — not by "has a NUL byte", which every binary file has.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Utf16 {
    Le { bom: bool },
    Be { bom: bool },
}

impl Utf16 {
    pub(super) fn name(self) -> &'static str {
        match self {
            Utf16::Le { .. } => "utf-16le",
            Utf16::Be { .. } => "utf-16be",
        }
    }
}

/// UTF-16 by BOM, or by NULs in (nearly) all odd (LE) or even (BE) positions of the first
/// 4 KiB and (nearly) none in the others. A BOM alone is not enough (`ÿþ` starts some
/// Latin-1 files): some code units must have a zero high byte, as newlines, spaces and ASCII
/// have in UTF-16 text.
pub(super) fn sniff_utf16(bytes: &[u8]) -> Option<Utf16> {
    // Every verdict below needs NUL bytes in the first 4 KiB (after a BOM, or in 90 % of
    // one half of the units): most files have none, found at memchr's speed.
    memchr::memchr(0, &bytes[..bytes.len().min(4098)])?;
    let (le, be) = high_zero_units(bytes.get(2..).unwrap_or_default());
    let units = (bytes.len().min(4098) / 2).saturating_sub(1);
    let some = |n: usize| n > 0 && n * 32 >= units;
    if bytes.starts_with(&[0xFF, 0xFE]) && !bytes.starts_with(&[0xFF, 0xFE, 0, 0]) && some(le) {
        return Some(Utf16::Le { bom: true });
    }
    if bytes.starts_with(&[0xFE, 0xFF]) && some(be) {
        return Some(Utf16::Be { bom: true });
    }
    let sample = &bytes[..bytes.len().min(4096) & !1];
    let units = sample.len() / 2;
    if units < 8 {
        return None;
    }
    let (even, odd) = nul_positions(sample);
    let most = units * 9 / 10;
    let few = units / 20;
    if odd >= most && even <= few {
        Some(Utf16::Le { bom: false })
    } else if even >= most && odd <= few {
        Some(Utf16::Be { bom: false })
    } else {
        None
    }
}

/// NUL bytes at even and at odd offsets of `sample`.
fn nul_positions(sample: &[u8]) -> (usize, usize) {
    let (mut even, mut odd) = (0, 0);
    for pair in sample.chunks_exact(2) {
        even += usize::from(pair[0] == 0);
        odd += usize::from(pair[1] == 0);
    }
    (even, odd)
}

/// Code units (of the first 4 KiB) whose high byte is zero, read as LE and as BE.
fn high_zero_units(body: &[u8]) -> (usize, usize) {
    let (even, odd) = nul_positions(&body[..body.len().min(4096) & !1]);
    (odd, even)
}

/// The text as UTF-8, and whether it held invalid UTF-16 (replaced by U+FFFD).
pub(super) fn decode_utf16(bytes: &[u8], enc: Utf16) -> (String, bool) {
    let (codec, bom) = match enc {
        Utf16::Le { bom } => (encoding_rs::UTF_16LE, bom),
        Utf16::Be { bom } => (encoding_rs::UTF_16BE, bom),
    };
    let body = if bom { &bytes[2..] } else { bytes };
    let (text, bad) = codec.decode_without_bom_handling(body);
    (text.into_owned(), bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(s: &str) -> Vec<u8> {
        s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect()
    }

    #[test]
    fn finds_utf16_by_bom_or_pattern_not_by_any_nul() {
        let text = "TOKEN=abc\r\nline two\r\n";
        let mut with_bom = vec![0xFF, 0xFE];
        with_bom.extend(utf16le(text));
        assert_eq!(sniff_utf16(&with_bom), Some(Utf16::Le { bom: true }));
        assert_eq!(decode_utf16(&with_bom, Utf16::Le { bom: true }).0, text);
        assert_eq!(sniff_utf16(&utf16le(text)), Some(Utf16::Le { bom: false }));
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(sniff_utf16(&be), Some(Utf16::Be { bom: false }));
        assert_eq!(decode_utf16(&be, Utf16::Be { bom: false }).0, text);
        // A binary file with NULs here and there is not UTF-16.
        let binary: Vec<u8> = (0..4096u32).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(sniff_utf16(&binary), None);
        // Plain ASCII is not either, nor Latin-1 that happens to start with `ÿþ`.
        assert_eq!(sniff_utf16(b"just some ascii text here"), None);
        assert_eq!(
            sniff_utf16(b"\xff\xfe garbage \xc3\x28\nkey = value\n"),
            None
        );
    }

    #[test]
    fn invalid_utf16_is_reported() {
        // An unpaired high surrogate.
        let mut b = utf16le("key=");
        b.extend([0x00, 0xD8]);
        b.extend(utf16le("rest of the line"));
        let (text, bad) = decode_utf16(&b, Utf16::Le { bom: false });
        assert!(bad);
        assert!(text.contains('\u{FFFD}') && text.ends_with("rest of the line"));
    }
}
