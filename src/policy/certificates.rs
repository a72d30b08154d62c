//! X.509 certificates committed to a repository, PEM or DER, read just far enough to know
//! when they expire: `tbsCertificate.validity.notAfter` and the subject's common name.
//! The DER is decoded by RustCrypto's `x509-cert` (strict DER, bounds-checked), not by hand:
//! a committed certificate is untrusted input.

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

/// Subject CN (`""` when the subject has none) and notAfter (`YYYY-MM-DDTHH:MM:SSZ`, from
/// a UTCTime or a GeneralizedTime) of a DER certificate; `None` when it is not one. Bytes
/// after the certificate are ignored.
pub fn parse_der(der: &[u8]) -> Option<(String, String)> {
    use x509_cert::der::{Decode, SliceReader};
    let mut reader = SliceReader::new(der).ok()?;
    let cert = x509_cert::Certificate::decode(&mut reader).ok()?;
    let tbs = cert.tbs_certificate();
    let t = tbs.validity().not_after.to_date_time();
    let not_after = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minutes(),
        t.seconds()
    );
    Some((common_name(tbs.subject()).unwrap_or_default(), not_after))
}

/// The first commonName (2.5.4.3) of a name, whatever string type holds it (UTF8String,
/// PrintableString, IA5String, ...; BMPString as UTF-16), lossily.
fn common_name(name: &x509_cert::name::Name) -> Option<String> {
    use x509_cert::der::{oid::db::rfc4519::COMMON_NAME, Tag, Tagged};
    let value = &name.iter().find(|atav| atav.oid == COMMON_NAME)?.value;
    let bytes = value.value();
    Some(if value.tag() == Tag::BmpString {
        let units: Vec<u16> = bytes
            .chunks(2)
            .map(|c| u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]))
            .collect();
        String::from_utf16_lossy(&units)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Throwaway self-signed test certificates (EC P-256, no key kept), made with
    // `openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj ... -days ...`.
    /// `/CN=keyguard-test`, 3650 days: notAfter is a UTCTime.
    const UTC: &str = include_str!("../../testdata/certs/keyguard-test.pem");
    /// `/O=keyguard/CN=keyguard-generalized`, 36500 days: notAfter (2126) is a
    /// GeneralizedTime, and the CN is not the subject's first attribute.
    const GENERALIZED: &str = "-----BEGIN CERTIFICATE-----
MIIBvDCCAWGgAwIBAgIUM5g9HFQwEnZYTeb5gQeAWq0aiIUwCgYIKoZIzj0EAwIw
MjERMA8GA1UECgwIa2V5Z3VhcmQxHTAbBgNVBAMMFGtleWd1YXJkLWdlbmVyYWxp
emVkMCAXDTI2MTIwNzE1NTIwNFoYDzIxMjYxMTEzMTU1MjA0WjAyMREwDwYDVQQK
DAhrZXlndWFyZDEdMBsGA1UEAwwUa2V5Z3VhcmQtZ2VuZXJhbGl6ZWQwWTATBgcq
hkjOPQIBBggqhkjOPQMBBwNCAAQ+DI0wpB1cB/NP+A2IgDVV/36lQoGYveBamOku
Bw4MndlaaQzIrngRFE+6CHWBOWSj1c/hHzQmgzB1riF+3Hiso1MwUTAdBgNVHQ4E
FgQUDp8gH71T87Z/OvA+MQP/34f12VEwHwYDVR0jBBgwFoAUDp8gH71T87Z/OvA+
MQP/34f12VEwDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEA40fv
pP65+f28lPKQvG5N710SzqeMIqIma/35Ey2FlAoCIQCvMjoHHYE16rcbR9qqT30/
YDDCl4aaxAhz7PG2yVz0Ig==
-----END CERTIFICATE-----
";
    /// `/O=keyguard no cn`: a subject without a common name.
    const NO_CN: &str = "-----BEGIN CERTIFICATE-----
MIIBiDCCAS2gAwIBAgIUI5+N0D7AwZCQhaLep3NvLLQI89AwCgYIKoZIzj0EAwIw
GTEXMBUGA1UECgwOa2V5Z3VhcmQgbm8gY24wHhcNMjYxMjA3MTU1MjA0WhcNMzYx
MjA0MTU1MjA0WjAZMRcwFQYDVQQKDA5rZXlndWFyZCBubyBjbjBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABNvSeWKjELyVm/CxZMfkNsC1a0unURPVyd3AV87BsXZI
3BZesBZ8ZbgJlK70J4/kcJQXXIZexQcordF0jHTnlZajUzBRMB0GA1UdDgQWBBQv
/YW91ZkmQAEA1f2TLF7tTTufcTAfBgNVHSMEGDAWgBQv/YW91ZkmQAEA1f2TLF7t
TTufcTAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQDUbf4i4s18
vrcx2XjF9LR77mO+AdXSWTfOogthcmaHjAIhAImQQ4yMiJRBFgK0NbLu1msZkC3W
/jud5j8pTpqaoNTf
-----END CERTIFICATE-----
";

    fn der(pem: &str) -> Vec<u8> {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    fn found(c: &Certificate) -> (&str, &str, usize, usize) {
        (&c.subject, &c.not_after, c.place.line, c.place.column)
    }

    #[test]
    fn common_name_and_not_after_from_pem_and_der() {
        let text = format!("# two certificates\n{UTC}\n  {GENERALIZED}");
        let certs = from_file("certs/chain.pem", text.as_bytes()).unwrap();
        let got: Vec<_> = certs.iter().map(found).collect();
        assert_eq!(
            got,
            [
                ("keyguard-test", "2036-12-04T15:52:04Z", 2, 1),
                ("keyguard-generalized", "2126-11-13T15:52:04Z", 14, 3),
            ]
        );
        assert_eq!(certs[0].place.path, "certs/chain.pem");
        // The same certificates as DER files, and a subject without a CN.
        let certs = from_file("a.DER", &der(UTC)).unwrap();
        assert_eq!(
            certs.iter().map(found).collect::<Vec<_>>(),
            [("keyguard-test", "2036-12-04T15:52:04Z", 1, 1)]
        );
        assert_eq!(
            parse_der(&der(GENERALIZED)),
            Some(("keyguard-generalized".into(), "2126-11-13T15:52:04Z".into()))
        );
        assert_eq!(
            parse_der(&der(NO_CN)),
            Some((String::new(), "2036-12-04T15:52:04Z".into()))
        );
        // In a JSON string, with `\n` escapes; bytes after a DER certificate are ignored.
        let json = format!("{{\"cert\": \"{}\"}}", UTC.trim_end().replace('\n', "\\n"));
        assert_eq!(from_file("c.json", json.as_bytes()).unwrap().len(), 1);
        let mut trailing = der(UTC);
        trailing.extend_from_slice(b"\n\0junk");
        assert!(parse_der(&trailing).is_some());
    }

    #[test]
    fn truncated_or_garbage_der_is_none() {
        let good = der(UTC);
        for n in 0..good.len() {
            assert_eq!(parse_der(&good[..n]), None, "cut at {n}");
            assert!(from_file("a.der", &good[..n]).is_none(), "cut at {n}");
        }
        // Every single-byte corruption: a result or None, and a result is still well formed.
        for i in 0..good.len() {
            for x in [0x01, 0x80, 0xff] {
                let mut bad = good.clone();
                bad[i] ^= x;
                if let Some((_, not_after)) = parse_der(&bad) {
                    assert_eq!(not_after.len(), 20, "{not_after}");
                }
            }
        }
        for garbage in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x80\x30\x80\x00\x00\x00\x00",
            b"\x30\x89\x01\x02\x03\x04\x05\x06\x07\x08\x09",
            &[0x30; 4096],
            b"not a certificate at all",
        ] {
            assert_eq!(parse_der(garbage), None);
            assert!(from_file("x.crt", garbage).is_none());
        }
        // A PEM block whose base64 is cut short, or not base64.
        let cut = format!("{}\n-----END CERTIFICATE-----\n", &UTC[..300]);
        assert!(from_file("a.pem", cut.as_bytes()).is_none());
        let bad = "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n";
        assert!(from_file("a.pem", bad.as_bytes()).is_none());
    }
}
