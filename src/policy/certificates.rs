//! X.509 certificates committed to a repository, PEM or DER, read just far enough to know
//! when they expire: `tbsCertificate.validity.notAfter` and the subject's common name.
//! About sixty lines of DER walking, so no ASN.1 crate is needed for two fields.

use super::facts::{Certificate, Place};
use base64::Engine;

/// The certificates in one file: every PEM `CERTIFICATE` block in text, or the whole file
/// when it is a DER certificate (`.der`, `.cer`, `.crt`).
pub fn from_file(path: &str, bytes: &[u8]) -> Option<Vec<Certificate>> {
    const BEGIN: &[u8] = b"-----BEGIN CERTIFICATE-----";
    const END: &[u8] = b"-----END CERTIFICATE-----";
    let lower = path.to_ascii_lowercase();
    if bytes.first() == Some(&0x30) && [".der", ".cer", ".crt"].iter().any(|e| lower.ends_with(e)) {
        let (subject, not_after) = parse_der(bytes)?;
        return Some(vec![Certificate {
            place: place(path, 1, 1),
            subject,
            not_after,
        }]);
    }
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(start) = memchr::memmem::find(&bytes[from..], BEGIN).map(|i| i + from) {
        let body_start = start + BEGIN.len();
        let Some(end) = memchr::memmem::find(&bytes[body_start..], END).map(|i| i + body_start)
        else {
            break;
        };
        from = end + END.len();
        let der =
            base64::engine::general_purpose::STANDARD.decode(pem_body(&bytes[body_start..end]));
        if let Some((subject, not_after)) = der.ok().as_deref().and_then(parse_der) {
            let line = bytes[..start].iter().filter(|&&b| b == b'\n').count() + 1;
            let column = start
                - bytes[..start]
                    .iter()
                    .rposition(|&b| b == b'\n')
                    .map_or(0, |p| p + 1)
                + 1;
            out.push(Certificate {
                place: place(path, line, column),
                subject,
                not_after,
            });
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The base64 of a PEM body, also when it sits in a JSON or YAML string: whitespace,
/// quotes and `\n` / `\r` escapes between its lines are dropped.
fn pem_body(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'\\' if matches!(raw.get(i + 1), Some(b'n' | b'r')) => i += 1,
            b'"' | b'\\' => {}
            b if b.is_ascii_whitespace() => {}
            b => out.push(b),
        }
        i += 1;
    }
    out
}

fn place(path: &str, line: usize, column: usize) -> Place {
    Place {
        path: path.to_string(),
        line,
        column,
    }
}

/// One DER element: (tag, content, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, b) = b.split_first()?;
    let (&len0, mut b) = b.split_first()?;
    let len = if len0 < 0x80 {
        len0 as usize
    } else {
        let n = (len0 & 0x7f) as usize;
        if n == 0 || n > 4 || b.len() < n {
            return None;
        }
        let len = b[..n].iter().fold(0usize, |acc, &x| acc << 8 | x as usize);
        b = &b[n..];
        len
    };
    (b.len() >= len).then(|| (tag, &b[..len], &b[len..]))
}

/// Subject CN and notAfter of a DER certificate.
pub fn parse_der(der: &[u8]) -> Option<(String, String)> {
    let (0x30, cert, _) = tlv(der)? else {
        return None;
    };
    let (0x30, tbs, _) = tlv(cert)? else {
        return None;
    };
    let (mut tag, mut content, mut rest) = tlv(tbs)?;
    if tag == 0xa0 {
        // [0] EXPLICIT version
        (tag, content, rest) = tlv(rest)?;
    }
    let _ = (tag, content); // serialNumber
    let (_, _, rest) = tlv(rest)?; // signature algorithm
    let (_, _, rest) = tlv(rest)?; // issuer
    let (0x30, validity, rest) = tlv(rest)? else {
        return None;
    };
    let (_, _, after) = tlv(validity)?; // notBefore
    let (time_tag, time, _) = tlv(after)?;
    let (0x30, subject, _) = tlv(rest)? else {
        return None;
    };
    let not_after = der_time(time_tag, std::str::from_utf8(time).ok()?)?;
    Some((common_name(subject).unwrap_or_default(), not_after))
}

fn der_time(tag: u8, s: &str) -> Option<String> {
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 if s.len() >= 10 => {
            let yy: u32 = s[..2].parse().ok()?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &s[2..])
        }
        0x18 if s.len() >= 12 => (s[..4].parse().ok()?, &s[4..]),
        _ => return None,
    };
    let d = |i: usize| {
        rest.get(i..i + 2)
            .filter(|p| p.bytes().all(|b| b.is_ascii_digit()))
    };
    Some(format!(
        "{year:04}-{}-{}T{}:{}:{}Z",
        d(0)?,
        d(2)?,
        d(4)?,
        d(6)?,
        d(8).unwrap_or("00")
    ))
}

fn common_name(mut name: &[u8]) -> Option<String> {
    const CN: &[u8] = &[0x55, 0x04, 0x03];
    while let Some((_, set, rest)) = tlv(name) {
        name = rest;
        let (_, attr, _) = tlv(set)?;
        let (_, oid, value) = tlv(attr)?;
        if oid == CN {
            let (_, v, _) = tlv(value)?;
            return Some(String::from_utf8_lossy(v).into_owned());
        }
    }
    None
}
