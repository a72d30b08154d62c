//! Encoded runs inside a text: base64 (standard and URL-safe, padded or not, also wrapped at
//! 60+ columns), hex, percent-encoding, `\xNN`/`\uXXXX` escapes and HTML entities.
//!
//! Only candidates are decoded: a run must be long enough to hold a secret, use its
//! encoding's alphabet, and decode to text that is mostly printable — checked on the first
//! bytes before the whole run is decoded, so images in data URIs, SRI and lock-file hashes,
//! UUIDs and PEM bodies cost a few table lookups and never reach the detector. A base64 run
//! that decodes to gzip is gunzipped (bounded).

use crate::detect::validate::decode_b64;

/// One decoded run: `start..end` in the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub start: usize,
    pub end: usize,
    /// The steps, outermost first: `["base64"]`, `["base64", "gzip"]`, `["hex"]`…
    pub how: &'static [&'static str],
    pub bytes: Vec<u8>,
}

/// Shortest base64 run decoded (15 bytes of text).
const MIN_BASE64: usize = 20;
/// Shortest hex run decoded (16 bytes of text).
const MIN_HEX: usize = 32;
/// Shortest run holding percent-encoding, escapes or entities.
const MIN_ESCAPED: usize = 12;
/// A base64 run may continue on the next line when its line is at least this long (wrapped
/// output of `base64`, `openssl base64`).
const WRAP: usize = 60;
/// Most bytes a base64 gzip stream may expand to.
const MAX_GUNZIP: u64 = 8 * 1024 * 1024;

const B64: u8 = 1;
const HEX: u8 = 2;
const STD: u8 = 4; // + /
const URL: u8 = 8; // - _

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        t[c] = if b.is_ascii_digit() || matches!(b, b'a'..=b'f' | b'A'..=b'F') {
            B64 | HEX
        } else if b.is_ascii_alphabetic() {
            B64
        } else if b == b'+' || b == b'/' {
            B64 | STD
        } else if b == b'-' || b == b'_' {
            B64 | URL
        } else {
            0
        };
        c += 1;
    }
    t
};

/// Every decodable run in `text`, in order, appended to `out`.
pub fn decode_spans(text: &[u8], out: &mut Vec<Decoded>) {
    alphabet_runs(text, out);
    escaped_runs(text, out);
    out.sort_by_key(|d| (d.start, d.end));
}

/// Runs of the base64 alphabet (hex is a subset), each decoded one way.
fn alphabet_runs(text: &[u8], out: &mut Vec<Decoded>) {
    let mut i = 0;
    let n = text.len();
    while i < n {
        // Every run decoded has MIN_BASE64 bytes with at most two of `=` padding.
        i = next_long_run(text, i);
        if i >= n {
            break;
        }
        let start = i;
        let mut classes = 0u8;
        let mut line_len = 0usize;
        let mut wrapped = false;
        loop {
            while i < n && CLASS[text[i] as usize] & B64 != 0 {
                classes |= CLASS[text[i] as usize];
                i += 1;
                line_len += 1;
            }
            // Wrapped base64: a long line of a multiple of four, then more on the next.
            let nl = match text.get(i..i + 2) {
                Some(b"\r\n") => 2,
                _ if text.get(i) == Some(&b'\n') => 1,
                _ => 0,
            };
            if nl > 0
                && line_len >= WRAP
                && line_len % 4 == 0
                && text
                    .get(i + nl)
                    .is_some_and(|&b| CLASS[b as usize] & B64 != 0)
            {
                i += nl;
                line_len = 0;
                wrapped = true;
                continue;
            }
            break;
        }
        let mut end = i;
        while end < n && end - i < 2 && text[end] == b'=' {
            end += 1;
        }
        i = end;
        let len = end - start;
        if len < MIN_BASE64 {
            continue;
        }
        // A run inside a longer word (`…/path` of an identifier) is not encoded data.
        let run = &text[start..end];
        if classes & (HEX | B64) == (HEX | B64) && classes & !(HEX | B64) == 0 && all_hex(run) {
            if len >= MIN_HEX && len % 2 == 0 && !wrapped {
                if let Some(bytes) = hex(run) {
                    out.push(Decoded {
                        start,
                        end,
                        how: &["hex"],
                        bytes,
                    });
                }
            }
            continue;
        }
        if classes & STD != 0 && classes & URL != 0 {
            continue; // `a/b-c_d`: a path or a name, not one alphabet
        }
        if !has_both_cases(run) {
            continue;
        }
        if let Some(d) = base64(run) {
            out.push(Decoded { start, end, ..d });
        }
    }
}

/// Alphabet bytes a run needs before anything else is looked at: [`MIN_BASE64`] less two of
/// padding.
const LONG_RUN: usize = MIN_BASE64 - 2;

/// The first position at or after `from` where [`LONG_RUN`] bytes of the base64 alphabet
/// follow, or `text.len()`. Most text has few such runs: 64 bytes at a time are classified
/// at once and the runs found with shifts, instead of walking every word.
fn next_long_run(text: &[u8], from: usize) -> usize {
    let n = text.len();
    let mut at = from;
    while at + 64 <= n {
        let m = alphabet_mask(text[at..at + 64].try_into().unwrap());
        // Bit k of `s`: bits k..k + 18 of `m` are all set.
        let mut s = m & (m >> 1);
        s &= s >> 2;
        s &= s >> 4;
        s &= s >> 8;
        s &= s >> (LONG_RUN - 16);
        if s != 0 {
            return at + s.trailing_zeros() as usize;
        }
        // Starts past 64 - LONG_RUN were not seen whole: look at them again.
        at += 64 - LONG_RUN + 1;
    }
    let mut run = 0;
    while at < n {
        if CLASS[text[at] as usize] & B64 == 0 {
            run = 0;
        } else {
            run += 1;
            if run == LONG_RUN {
                return at + 1 - LONG_RUN;
            }
        }
        at += 1;
    }
    n
}

/// Bit k set when `chunk[k]` is in the base64 alphabet (both variants: `+/-_`).
#[cfg(target_arch = "x86_64")]
fn alphabet_mask(chunk: &[u8; 64]) -> u64 {
    // SAFETY: SSE2 is part of every x86-64 processor (the target's baseline).
    unsafe { alphabet_mask_sse2(chunk) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn alphabet_mask_sse2(chunk: &[u8; 64]) -> u64 {
    use std::arch::x86_64::*;
    let splat = |b: u8| _mm_set1_epi8(b as i8);
    let mut mask = 0u64;
    for q in 0..4 {
        // SAFETY: 16 bytes inside the 64 of `chunk`; the load is unaligned.
        let v = unsafe { _mm_loadu_si128(chunk.as_ptr().add(16 * q) as *const __m128i) };
        // x - lo < len, unsigned, as a signed compare after moving lo to -128.
        let within = |x: __m128i, lo: u8, len: u8| {
            let shifted = _mm_add_epi8(x, splat(0x80u8.wrapping_sub(lo)));
            _mm_cmplt_epi8(shifted, splat(0x80u8.wrapping_add(len)))
        };
        let letter = within(_mm_or_si128(v, splat(0x20)), b'a', 26);
        let digit = within(v, b'0', 10);
        let sym = _mm_or_si128(
            _mm_or_si128(
                _mm_cmpeq_epi8(v, splat(b'+')),
                _mm_cmpeq_epi8(v, splat(b'/')),
            ),
            _mm_or_si128(
                _mm_cmpeq_epi8(v, splat(b'-')),
                _mm_cmpeq_epi8(v, splat(b'_')),
            ),
        );
        let all = _mm_or_si128(_mm_or_si128(letter, digit), sym);
        mask |= (_mm_movemask_epi8(all) as u32 as u64) << (16 * q);
    }
    mask
}

#[cfg(not(target_arch = "x86_64"))]
fn alphabet_mask(chunk: &[u8; 64]) -> u64 {
    chunk.iter().enumerate().fold(0, |m, (k, &b)| {
        m | (u64::from(CLASS[b as usize] & B64 != 0) << k)
    })
}

fn all_hex(run: &[u8]) -> bool {
    run.iter().all(|&b| CLASS[b as usize] & HEX != 0)
}

fn has_both_cases(run: &[u8]) -> bool {
    run.iter().any(u8::is_ascii_uppercase) && run.iter().any(u8::is_ascii_lowercase)
}

fn hex(run: &[u8]) -> Option<Vec<u8>> {
    let nib = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let byte = |p: &[u8]| Some(nib(p[0])? << 4 | nib(p[1])?);
    // The first eight bytes decide.
    let head: Option<Vec<u8>> = run.chunks_exact(2).take(8).map(byte).collect();
    if !printable_prefix(&head?) {
        return None;
    }
    let bytes: Vec<u8> = run.chunks_exact(2).map(byte).collect::<Option<_>>()?;
    mostly_printable(&bytes).then_some(bytes)
}

fn base64(run: &[u8]) -> Option<Decoded> {
    let clean: Vec<u8>;
    let run = if run.contains(&b'\n') {
        clean = run
            .iter()
            .copied()
            .filter(|&b| b != b'\n' && b != b'\r')
            .collect();
        &clean[..]
    } else {
        run
    };
    let body = run
        .strip_suffix(b"==")
        .or(run.strip_suffix(b"="))
        .unwrap_or(run);
    // A length of 4k+1 cannot be base64; drop the stray character.
    let body = if body.len() % 4 == 1 {
        &body[..body.len() - 1]
    } else {
        body
    };
    let head = decode_b64(&body[..16.min(body.len())])?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let bytes = gunzip(&decode_b64(body)?)?;
        return mostly_printable(&bytes).then_some(Decoded {
            start: 0,
            end: 0,
            how: &["base64", "gzip"],
            bytes,
        });
    }
    if !printable_prefix(&head) {
        return None;
    }
    let bytes = decode_b64(body)?;
    mostly_printable(&bytes).then_some(Decoded {
        start: 0,
        end: 0,
        how: &["base64"],
        bytes,
    })
}

fn gunzip(data: &[u8]) -> Option<Vec<u8>> {
    use std::io::Read;
    let mut out = Vec::new();
    flate2::read::MultiGzDecoder::new(data)
        .take(MAX_GUNZIP)
        .read_to_end(&mut out)
        .ok()?;
    Some(out)
}

/// Printable ASCII, tab, CR or LF.
fn text_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x7e | b'\t' | b'\n' | b'\r')
}

/// The first decoded bytes look like text: printable ASCII, at most two bytes of UTF-8
/// sequences. Random bytes pass with a chance of about 1 in 10⁵.
fn printable_prefix(head: &[u8]) -> bool {
    head.len() >= 6
        && head.iter().all(|&b| text_byte(b) || b >= 0x80)
        && head.iter().filter(|&&b| b >= 0x80).count() <= 2
}

/// Valid UTF-8 with (almost) no control characters, at least 8 bytes long.
fn mostly_printable(bytes: &[u8]) -> bool {
    if bytes.len() < 8 {
        return false;
    }
    let Ok(s) = std::str::from_utf8(bytes) else {
        return false;
    };
    let control = s
        .chars()
        .filter(|&c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
        .count();
    control * 50 <= s.chars().count()
}

/// Bytes that end a run of percent-encoding, escapes or entities.
fn run_break(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'\'' | b'`' | b'<' | b'>' | b'(' | b')' | b','
    )
}

/// Runs holding `%XX`, `\xNN`/`\uXXXX` or `&#…;`/`&name;`, decoded when the decoded text
/// differs and has enough escapes to matter.
fn escaped_runs(text: &[u8], out: &mut Vec<Decoded>) {
    let mut from = 0;
    while let Some(p) = memchr::memchr3(b'%', b'\\', b'&', &text[from..]) {
        let at = from + p;
        from = at + 1;
        let kind = match text[at] {
            b'%' if text
                .get(at + 1..at + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) =>
            {
                Escape::Percent
            }
            b'\\' if matches!(text.get(at + 1), Some(b'x' | b'u')) => Escape::Backslash,
            b'&' if entity(&text[at..]).is_some() => Escape::Entity,
            _ => continue,
        };
        let start = text[..at]
            .iter()
            .rposition(|&b| run_break(b))
            .map_or(0, |q| q + 1);
        let end = text[at..]
            .iter()
            .position(|&b| run_break(b))
            .map_or(text.len(), |q| at + q);
        from = end.max(from);
        let run = &text[start..end];
        if run.len() < MIN_ESCAPED {
            continue;
        }
        let (bytes, count) = match kind {
            Escape::Percent => percent(run),
            Escape::Backslash => backslash(run),
            Escape::Entity => entities(run),
        };
        let enough = match kind {
            Escape::Percent => count >= 1,
            Escape::Backslash => count >= 4,
            Escape::Entity => count >= 2,
        };
        if enough && bytes != run && mostly_printable(&bytes) {
            out.push(Decoded {
                start,
                end,
                how: kind.how(),
                bytes,
            });
        }
    }
}

#[derive(Clone, Copy)]
enum Escape {
    Percent,
    Backslash,
    Entity,
}

impl Escape {
    fn how(self) -> &'static [&'static str] {
        match self {
            Escape::Percent => &["percent"],
            Escape::Backslash => &["escape"],
            Escape::Entity => &["html-entity"],
        }
    }
}

fn hexval(h: &[u8]) -> Option<u32> {
    std::str::from_utf8(h)
        .ok()
        .and_then(|s| u32::from_str_radix(s, 16).ok())
}

fn percent(run: &[u8]) -> (Vec<u8>, usize) {
    let (mut out, mut n, mut i) = (Vec::with_capacity(run.len()), 0, 0);
    while i < run.len() {
        if run[i] == b'%' {
            if let Some(v) = run
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            {
                out.push(hexval(v).unwrap_or(0) as u8);
                n += 1;
                i += 3;
                continue;
            }
        }
        out.push(run[i]);
        i += 1;
    }
    (out, n)
}

fn backslash(run: &[u8]) -> (Vec<u8>, usize) {
    let (mut out, mut n, mut i) = (Vec::with_capacity(run.len()), 0, 0);
    let hex_at = |i: usize, len: usize| {
        run.get(i..i + len)
            .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
            .and_then(hexval)
    };
    while i < run.len() {
        if run[i] == b'\\' {
            match run.get(i + 1) {
                Some(b'x') => {
                    if let Some(v) = hex_at(i + 2, 2) {
                        out.push(v as u8);
                        n += 1;
                        i += 4;
                        continue;
                    }
                }
                Some(b'u') => {
                    if let Some(mut v) = hex_at(i + 2, 4) {
                        let mut used = 6;
                        // A surrogate pair: \uD83D\uDE00.
                        if (0xD800..0xDC00).contains(&v) && run.get(i + 6) == Some(&b'\\') {
                            if let Some(lo) =
                                hex_at(i + 8, 4).filter(|lo| (0xDC00..0xE000).contains(lo))
                            {
                                v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
                                used = 12;
                            }
                        }
                        let c = char::from_u32(v).unwrap_or('\u{FFFD}');
                        let mut buf = [0u8; 4];
                        out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                        n += 1;
                        i += used;
                        continue;
                    }
                }
                Some(&c @ (b'/' | b'\\' | b'"' | b'\'')) => {
                    out.push(c);
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        out.push(run[i]);
        i += 1;
    }
    (out, n)
}

/// The character an entity at the start of `s` stands for, and its length.
fn entity(s: &[u8]) -> Option<(char, usize)> {
    let semi = s.iter().take(12).position(|&b| b == b';')?;
    let name = &s[1..semi];
    let c = match name {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        b"nbsp" => ' ',
        b"sol" => '/',
        b"equals" => '=',
        b"plus" => '+',
        [b'#', b'x' | b'X', h @ ..] if !h.is_empty() => char::from_u32(hexval(h)?)?,
        [b'#', d @ ..] if !d.is_empty() && d.iter().all(u8::is_ascii_digit) => {
            char::from_u32(std::str::from_utf8(d).ok()?.parse().ok()?)?
        }
        _ => return None,
    };
    Some((c, semi + 1))
}

fn entities(run: &[u8]) -> (Vec<u8>, usize) {
    let (mut out, mut n, mut i) = (Vec::with_capacity(run.len()), 0, 0);
    while i < run.len() {
        if run[i] == b'&' {
            if let Some((c, len)) = entity(&run[i..]) {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                n += 1;
                i += len;
                continue;
            }
        }
        out.push(run[i]);
        i += 1;
    }
    (out, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    /// The 64-at-once classification agrees with the table on every byte value in every
    /// place, and the run search finds what a byte-by-byte walk finds, from every start.
    #[test]
    fn long_runs_are_found_like_a_byte_walk() {
        for v in 0..=255u8 {
            for place in [0, 1, 15, 16, 31, 47, 63] {
                let mut c = [b' '; 64];
                c[place] = v;
                let want = u64::from(CLASS[v as usize] & B64 != 0) << place;
                assert_eq!(alphabet_mask(&c), want, "{v:#x} at {place}");
            }
        }
        let naive = |t: &[u8], from: usize| {
            (from..t.len())
                .find(|&p| {
                    t.len() - p >= LONG_RUN
                        && t[p..p + LONG_RUN]
                            .iter()
                            .all(|&b| CLASS[b as usize] & B64 != 0)
                })
                .unwrap_or(t.len())
        };
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut text = Vec::new();
        for _ in 0..3000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            // Words of 1..40 alphabet bytes between separators.
            for _ in 0..(x % 40) {
                text.push(b"aZ09+/-_Qx"[((x >> 8) % 10) as usize]);
                x = x.rotate_left(5);
            }
            text.push(b" =.\n\x00\xff"[((x >> 20) % 6) as usize]);
        }
        for from in 0..text.len() {
            assert_eq!(
                next_long_run(&text, from),
                naive(&text, from),
                "from {from}"
            );
        }
    }

    fn spans(text: &str) -> Vec<(String, &'static [&'static str], String)> {
        let mut out = Vec::new();
        decode_spans(text.as_bytes(), &mut out);
        out.into_iter()
            .map(|d| {
                (
                    text[d.start..d.end].to_string(),
                    d.how,
                    String::from_utf8(d.bytes).unwrap(),
                )
            })
            .collect()
    }

    #[test]
    fn decodes_base64_both_alphabets_with_or_without_padding() {
        let plain = "user = alice, role = admin, region = eu-west-1";
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            let enc = engine.encode(plain);
            let got = spans(&format!("config: {enc}\n"));
            assert_eq!(got, [(enc.clone(), &["base64"][..], plain.to_string())]);
        }
    }

    #[test]
    fn decodes_wrapped_base64_and_base64_of_gzip() {
        let plain = "line one of a config file with a long enough line\n".repeat(4);
        let enc = base64::engine::general_purpose::STANDARD.encode(&plain);
        let wrapped: String = enc
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join("\n");
        let got = spans(&format!("{wrapped}\n"));
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].2, plain);

        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(plain.as_bytes()).unwrap();
        let enc = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
        let got = spans(&format!("blob: \"{enc}\""));
        assert_eq!(got[0].1, ["base64", "gzip"]);
        assert_eq!(got[0].2, plain);
    }

    #[test]
    fn hex_percent_escapes_entities() {
        let got = spans("k = 616b69617177657274797569; s = 4b45593d7365637265742d76616c75652d31");
        assert_eq!(got.len(), 1, "{got:?}"); // the first is too short
        assert_eq!(got[0].2, "KEY=secret-value-1");
        let got = spans("url=https://h/?next=%2Fhome%2Fuser%2Bsettings");
        assert_eq!(got[0].1, ["percent"]);
        assert!(got[0].2.ends_with("next=/home/user+settings"), "{got:?}");
        let got = spans(r#"var t = "\x67\x68\x70\x5f\u0041\u0042rest";"#);
        assert_eq!(got[0].2, "ghp_ABrest");
        let got = spans("<td>&#103;&#104;&#x70;&#95;token&amp;more</td>");
        assert_eq!(got[0].1, ["html-entity"]);
        assert_eq!(got[0].2, "ghp_token&more");
    }

    #[test]
    fn decoys_cost_little_and_decode_to_nothing() {
        let png = base64::engine::general_purpose::STANDARD
            .encode(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0");
        for text in [
            format!("<img src=\"data:image/png;base64,{png}\">"),
            "\"integrity\": \"sha512-Xo8tA7Sav1bE3aTQ2PqE1sLhR2sS5kQW4gm0jzH8+9m0iOQ/lE5m5BR0gDlW2vY7uHq3Vhx7dY1Pi1zqbFQsbg==\"".into(),
            "id: 550e8400-e29b-41d4-a716-446655440000".into(),
            "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into(),
            "import com/example/service/internal/SomethingLongEnough;".into(),
            "const veryLongIdentifierNameWithCamelCase = 1;".into(),
            "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7".into(),
        ] {
            assert_eq!(spans(&text), [], "{text}");
        }
    }
}
