//! Request signing for the providers that do not take a bearer token: AWS Signature
//! Version 4 (STS `GetCallerIdentity`) and Azure Storage Shared Key.

use crate::finding::hex;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// What SigV4 signs: one request to one service in one region.
pub struct SigV4<'a> {
    pub method: &'a str,
    pub host: &'a str,
    pub path: &'a str,
    /// Already canonical (`a=1&b=2`, sorted and encoded), or empty.
    pub query: &'a str,
    /// Headers besides `host`, lowercase names.
    pub headers: &'a [(&'a str, &'a str)],
    pub body: &'a [u8],
    pub region: &'a str,
    pub service: &'a str,
    /// `YYYYMMDDTHHMMSSZ`
    pub amz_date: &'a str,
}

impl SigV4<'_> {
    /// The `Authorization` header for `access_key` / `secret`.
    pub fn authorization(&self, access_key: &str, secret: &str) -> String {
        let (signed, signature) = self.signature(secret);
        let scope = self.scope();
        format!(
            "AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
        )
    }

    fn scope(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            &self.amz_date[..8],
            self.region,
            self.service
        )
    }

    /// (signed header names, hex signature)
    pub fn signature(&self, secret: &str) -> (String, String) {
        let mut headers: Vec<(String, String)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.to_ascii_lowercase(), v.trim().to_string()))
            .collect();
        headers.push(("host".into(), self.host.to_string()));
        headers.sort();
        let canonical_headers: String = headers.iter().map(|(k, v)| format!("{k}:{v}\n")).collect();
        let signed = headers
            .iter()
            .map(|(k, _)| k.as_str())
            .collect::<Vec<_>>()
            .join(";");
        let canonical = format!(
            "{}\n{}\n{}\n{}\n{}\n{}",
            self.method,
            self.path,
            self.query,
            canonical_headers,
            signed,
            hex(&Sha256::digest(self.body))
        );
        let to_sign = format!(
            "AWS4-HMAC-SHA256\n{}\n{}\n{}",
            self.amz_date,
            self.scope(),
            hex(&Sha256::digest(canonical.as_bytes()))
        );
        let key = signing_key(secret, &self.amz_date[..8], self.region, self.service);
        (signed, hex(&hmac(&key, to_sign.as_bytes())))
    }
}

/// SigV4's derived key: date, region, service, `aws4_request`.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> Vec<u8> {
    let k = hmac(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac(&k, region.as_bytes());
    let k = hmac(&k, service.as_bytes());
    hmac(&k, b"aws4_request")
}

/// Azure Storage Shared Key for a `GET` without body on the Blob service: the
/// `Authorization` value, or `None` when the key is not base64.
pub fn azure_shared_key(
    account: &str,
    key_b64: &str,
    x_ms_date: &str,
    x_ms_version: &str,
    path: &str,
    query: &[(&str, &str)],
) -> Option<String> {
    use base64::Engine;
    let key = base64::engine::general_purpose::STANDARD
        .decode(key_b64)
        .ok()?;
    let mut q: Vec<_> = query.to_vec();
    q.sort();
    let resource: String = q.iter().map(|(k, v)| format!("\n{k}:{v}")).collect();
    // VERB, then 11 standard headers (all empty for a GET without body), then the
    // canonicalised x-ms- headers and resource.
    let to_sign = format!(
        "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:{x_ms_date}\nx-ms-version:{x_ms_version}\n/{account}{path}{resource}"
    );
    use base64::engine::general_purpose::STANDARD;
    let sig = STANDARD.encode(hmac(&key, to_sign.as_bytes()));
    Some(format!("SharedKey {account}:{sig}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The examples of AWS's Signature Version 4 documentation and test suite.
    const SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

    #[test]
    fn signing_key_matches_aws_documentation() {
        assert_eq!(
            hex(&signing_key(SECRET, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d"
        );
    }

    #[test]
    fn get_vanilla_matches_aws_test_suite() {
        let s = SigV4 {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            query: "",
            headers: &[("x-amz-date", "20150830T123600Z")],
            body: b"",
            region: "us-east-1",
            service: "service",
            amz_date: "20150830T123600Z",
        };
        assert_eq!(
            s.signature(SECRET),
            (
                "host;x-amz-date".to_string(),
                "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31".to_string()
            )
        );
    }

    #[test]
    fn iam_list_users_matches_aws_documentation() {
        let s = SigV4 {
            method: "GET",
            host: "iam.amazonaws.com",
            path: "/",
            query: "Action=ListUsers&Version=2010-05-08",
            headers: &[
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                ("x-amz-date", "20150830T123600Z"),
            ],
            body: b"",
            region: "us-east-1",
            service: "iam",
            amz_date: "20150830T123600Z",
        };
        assert_eq!(
            s.authorization("AKIDEXAMPLE", SECRET),
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
        );
    }
}
