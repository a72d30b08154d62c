//! Offline validation: structure and checksums a real credential must satisfy.
//!
//! A match that fails its rule's validator is **dropped**: the provider cannot have issued
//! it (a GitHub or npm token whose CRC32 does not match, a "JWT" whose header does not
//! decode, a PEM block whose body is not base64 of a plausible key). Such matches are
//! nearly always documentation, truncated copies or test data, and reporting them is what
//! teaches people to ignore a scanner. A match that passes is marked `validated` in every
//! report so triage can start with it.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Validator {
    /// `prefix_` + base62 body (30 chars, 70 for long `ghr_`) + 6-char base62 CRC32 of the body.
    GithubChecksum,
    /// npm's `npm_` tokens use the same scheme as GitHub's.
    NpmChecksum,
    /// Three base64url parts; header and payload decode to JSON objects, header has `alg`.
    Jwt,
    /// A PEM block whose body is valid base64 of at least 64 bytes.
    Pem,
    /// An OpenSSH private key whose cipher is `none` (unencrypted).
    OpensshUnencrypted,
    /// An OpenSSH private key protected by a passphrase.
    OpensshEncrypted,
    /// The secret is valid base64 (standard or URL-safe, padding optional).
    Base64,
}

impl Validator {
    /// A checksum the provider computes when it issues the token: failing it proves the
    /// bytes are not a live credential.
    pub fn is_checksum(self) -> bool {
        matches!(self, Validator::GithubChecksum | Validator::NpmChecksum)
    }

    /// `Some(label)` when the secret passes, `None` when it fails.
    pub fn check(self, secret: &[u8]) -> Option<&'static str> {
        let ok = match self {
            Validator::GithubChecksum | Validator::NpmChecksum => crc32_base62_ok(secret),
            Validator::Jwt => jwt_ok(secret),
            Validator::Pem => pem_body(secret).is_some_and(|b| b.len() >= 64),
            Validator::OpensshUnencrypted => openssh_cipher(secret).as_deref() == Some("none"),
            Validator::OpensshEncrypted => openssh_cipher(secret).is_some_and(|c| c != "none"),
            Validator::Base64 => decode_b64(secret).is_some(),
        };
        ok.then_some(match self {
            Validator::GithubChecksum | Validator::NpmChecksum => "checksum",
            Validator::Jwt => "jwt-structure",
            Validator::Pem | Validator::OpensshUnencrypted | Validator::OpensshEncrypted => {
                "pem-structure"
            }
            Validator::Base64 => "base64",
        })
    }
}

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Encode `n` in base62, left-padded with `0` to `width`.
pub fn base62(mut n: u32, width: usize) -> String {
    let mut out = Vec::new();
    while n > 0 {
        out.push(BASE62[(n % 62) as usize]);
        n /= 62;
    }
    while out.len() < width {
        out.push(b'0');
    }
    out.reverse();
    String::from_utf8(out).expect("ascii")
}

/// The checksum a GitHub/npm-style token carries in its last six characters.
pub fn crc32_base62_checksum(body: &[u8]) -> String {
    base62(crc32fast::hash(body), 6)
}

fn crc32_base62_ok(token: &[u8]) -> bool {
    let Some(us) = token.iter().rposition(|&b| b == b'_') else {
        return false;
    };
    let rest = &token[us + 1..];
    // 30 random characters + 6 of checksum (ghp_, npm_…); GitHub's newer refresh tokens
    // carry 70 + 6. The checksum covers everything before its last six characters.
    if rest.len() < 36 {
        return false;
    }
    let (body, sum) = rest.split_at(rest.len() - 6);
    crc32_base62_checksum(body).as_bytes() == sum
}

fn engine(alpha: &alphabet::Alphabet) -> GeneralPurpose {
    GeneralPurpose::new(
        alpha,
        GeneralPurposeConfig::new()
            .with_decode_padding_mode(DecodePaddingMode::Indifferent)
            .with_decode_allow_trailing_bits(true),
    )
}

/// Decode standard or URL-safe base64, padding optional.
pub fn decode_b64(s: &[u8]) -> Option<Vec<u8>> {
    engine(&alphabet::STANDARD)
        .decode(s)
        .or_else(|_| engine(&alphabet::URL_SAFE).decode(s))
        .ok()
}

fn json_object(part: &[u8]) -> Option<serde_json::Map<String, serde_json::Value>> {
    let bytes = engine(&alphabet::URL_SAFE).decode(part).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        serde_json::Value::Object(m) => Some(m),
        _ => None,
    }
}

fn jwt_ok(token: &[u8]) -> bool {
    let parts: Vec<&[u8]> = token.split(|&b| b == b'.').collect();
    if parts.len() != 3 {
        return false;
    }
    let Some(header) = json_object(parts[0]) else {
        return false;
    };
    header.contains_key("alg") && json_object(parts[1]).is_some()
}

/// The base64 body of a PEM block, decoded (headers such as `Proc-Type:` skipped).
fn pem_body(block: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(block).ok()?;
    let mut body = String::new();
    // Keys embedded in code often carry literal `\n` escapes: treat them as line breaks.
    for line in text.split("\\n").flat_map(str::lines).map(str::trim) {
        if line.starts_with("-----") || line.contains(':') {
            continue;
        }
        body.extend(
            line.chars()
                .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '=')),
        );
    }
    decode_b64(body.as_bytes())
}

fn openssh_cipher(block: &[u8]) -> Option<String> {
    let body = pem_body(block)?;
    let magic = b"openssh-key-v1\0";
    let rest = body.strip_prefix(magic.as_slice())?;
    let len = u32::from_be_bytes(rest.get(..4)?.try_into().ok()?) as usize;
    let name = rest.get(4..4 + len)?;
    String::from_utf8(name.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github_token(prefix: &str, body: &str) -> String {
        format!("{prefix}{body}{}", crc32_base62_checksum(body.as_bytes()))
    }

    #[test]
    fn github_checksum_accepts_generated_and_rejects_altered() {
        let t = github_token("ghp_", "R4nd0mB0dyOfThirtyCharsXyZ0123");
        assert_eq!(
            Validator::GithubChecksum.check(t.as_bytes()),
            Some("checksum")
        );
        let mut bad = t.into_bytes();
        bad[5] = if bad[5] == b'a' { b'b' } else { b'a' };
        assert_eq!(Validator::GithubChecksum.check(&bad), None);
    }

    #[test]
    fn jwt_structure() {
        let h = engine(&alphabet::URL_SAFE).encode(br#"{"alg":"HS256","typ":"JWT"}"#);
        let p = engine(&alphabet::URL_SAFE).encode(br#"{"sub":"42"}"#);
        let good = format!("{h}.{p}.c2lnbmF0dXJlLWJ5dGVz");
        assert!(Validator::Jwt.check(good.as_bytes()).is_some());
        assert!(Validator::Jwt.check(b"eyJub3QiOiJqc29u.eyJ4.abc").is_none());
    }

    #[test]
    fn base62_pads() {
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 2), "0z");
    }
}
