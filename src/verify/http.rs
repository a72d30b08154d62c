//! The HTTP client (ureq with rustls): no redirects followed, HTTPS only, one timeout per
//! request, bodies read up to 64 KiB.

use super::VerifyOptions;
use crate::error::Error;

pub struct Request {
    pub method: &'static str,
    /// The provider's host (what the allowlist and the reports name).
    pub host: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

pub struct Response {
    pub status: u16,
    pub body: String,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
}

const MAX_BODY: u64 = 64 * 1024;

pub fn agent(opts: &VerifyOptions) -> Result<ureq::Agent, Error> {
    use ureq::tls::{Certificate, RootCerts, TlsConfig};
    let mut tls = TlsConfig::builder();
    if !opts.ca_certs.is_empty() {
        let mut certs = Vec::new();
        for path in &opts.ca_certs {
            let pem = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
            let before = certs.len();
            for item in ureq::tls::parse_pem(&pem) {
                if let Ok(ureq::tls::PemItem::Certificate(c)) = item {
                    certs.push(c);
                }
            }
            if certs.len() == before {
                return Err(Error::Usage(format!(
                    "{}: no PEM certificate in this file (--ca-cert wants the CA's certificate)",
                    path.display()
                )));
            }
        }
        let certs: Vec<Certificate<'static>> = certs;
        tls = tls.root_certs(RootCerts::new_with_certs(&certs));
    }
    let proxy = match &opts.proxy {
        Some(p) => {
            Some(ureq::Proxy::new(p).map_err(|e| Error::Usage(format!("--proxy `{p}`: {e}")))?)
        }
        None => None,
    };
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .https_only(true)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_global(Some(opts.timeout))
        .user_agent(concat!("keyguard/", env!("CARGO_PKG_VERSION"), " (verify)"))
        .proxy(proxy)
        .tls_config(tls.build())
        .build();
    Ok(config.into())
}

/// Send `req` to `url` (the provider's URL, or the testing override's).
pub fn send(agent: &ureq::Agent, req: &Request, url: &str) -> Result<Response, String> {
    let result = match req.method {
        "POST" => {
            let mut r = agent.post(url);
            for (k, v) in &req.headers {
                r = r.header(k.as_str(), v.as_str());
            }
            r.send(req.body.as_deref().unwrap_or("").as_bytes())
        }
        _ => {
            let mut r = agent.get(url);
            for (k, v) in &req.headers {
                r = r.header(k.as_str(), v.as_str());
            }
            r.call()
        }
    };
    let mut resp = result.map_err(|e| describe(&e))?;
    let header = |name: &str| {
        resp.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let (content_type, retry_after) = (header("content-type"), header("retry-after"));
    let status = resp.status().as_u16();
    let body = match resp.body_mut().with_config().limit(MAX_BODY).read_to_vec() {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        // A body over the limit or cut short still has its status; the body checks will
        // not match what is missing.
        Err(_) => String::new(),
    };
    Ok(Response {
        status,
        body,
        content_type,
        retry_after,
    })
}

/// A transport error as a reason a user can act on.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(t) => format!("timed out ({t})"),
        ureq::Error::HostNotFound => "DNS: host not found".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::Io(io) => format!("network error: {io}"),
        ureq::Error::Tls(m) => format!("TLS error: {m}"),
        ureq::Error::Rustls(r) => format!("TLS error: {r}"),
        other => format!("request failed: {other}"),
    }
}
