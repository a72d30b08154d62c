//! The opt-in `verify` stage: for each finding of a verifiable rule, one harmless,
//! read-only request to the provider's identity endpoint says whether the credential is
//! `live`, `invalid` (revoked or never valid) or `unknown` (network error, timeout,
//! rate limit, an answer that is not the provider's).
//!
//! Safety: nothing is sent unless the user asked (`--verify`); a credential only goes to
//! the host its provider entry names (a URL in the finding never chooses the host); each
//! distinct secret is checked once per run; every request has a timeout; requests to one
//! host are spaced by a rate limit; an allowlist of hosts can narrow all of it.

pub mod cache;
mod http;
pub mod saved;
pub mod sign;
pub mod spec;

use crate::error::Error;
use crate::finding::{hex, Finding};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use spec::{Kind, Provider};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The testing override: every request goes to `<base>/<provider host><path>` instead.
/// Tests point it at a local HTTPS server (with `--ca-cert` for its test CA).
pub const BASE_URL_ENV: &str = "KEYGUARD_VERIFY_BASE_URL";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// The provider accepted the credential.
    Live,
    /// The provider rejected it: revoked, expired or never issued.
    Invalid,
    /// No answer that says either: network error, timeout, rate limit, unexpected answer.
    Unknown,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Live => "live",
            State::Invalid => "invalid",
            State::Unknown => "unknown",
        }
    }
}

/// What verification said of one finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Verification {
    pub state: State,
    /// Why: `HTTP 200 from api.github.com`, `timed out after 10s`, `rate limited (HTTP 429)`.
    pub reason: String,
    /// The provider entry that checked it.
    pub provider: String,
    /// Where the owner revokes or rotates it.
    pub revoke: String,
}

impl Verification {
    /// What to do, for reports: rotate a live credential, and where.
    pub fn advice(&self) -> Option<String> {
        (self.state == State::Live).then(|| {
            format!(
                "this {} credential works: revoke or rotate it now ({}), then remove it from the code and its history",
                self.provider, self.revoke
            )
        })
    }
}

/// How to verify.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerifyOptions {
    /// Per request, connect to last byte.
    pub timeout: Duration,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Requests per second to one host, at most.
    pub per_host_rate: f64,
    /// When not empty, only these hosts get requests (`api.github.com`, `*.blob.core.windows.net`).
    pub hosts: Vec<String>,
    /// `http://proxy:3128` (or `socks5://…`).
    pub proxy: Option<String>,
    /// PEM files with the CA certificates to trust instead of the built-in web roots
    /// (a TLS-intercepting corporate proxy's CA).
    pub ca_certs: Vec<PathBuf>,
    /// The on-disk cache (hashes of secrets and their state, never a secret).
    pub cache: Option<PathBuf>,
    pub cache_ttl: Duration,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            timeout: Duration::from_secs(10),
            concurrency: 8,
            per_host_rate: 5.0,
            hosts: Vec::new(),
            proxy: None,
            ca_certs: Vec::new(),
            cache: None,
            cache_ttl: Duration::from_secs(24 * 3600),
        }
    }
}

/// Counts for the summary.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyStats {
    /// Distinct secrets checked (by request or from the cache).
    pub checked: usize,
    pub requests: usize,
    pub from_cache: usize,
    pub live: usize,
    pub invalid: usize,
    pub unknown: usize,
    /// Findings of rules keyguard cannot verify.
    pub not_verifiable: usize,
    /// Said once, e.g. that the testing override is on.
    #[serde(skip)]
    pub notes: Vec<String>,
}

/// One distinct credential to check.
struct Job<'a> {
    provider: &'a Provider,
    secret: String,
    companion: Option<String>,
    /// The finding's line (Azure connection strings carry the account name there).
    line: String,
    key: String,
}

/// The HTTPS client verification uses (rustls; `ca_certs`, `proxy`, `timeout` honoured), for
/// other jobs that talk to a forge's API.
pub fn http_agent(opts: &VerifyOptions) -> Result<ureq::Agent, Error> {
    http::agent(opts)
}

/// Verify every finding of a verifiable rule, in place.
pub fn run(findings: &mut [Finding], opts: &VerifyOptions) -> Result<VerifyStats, Error> {
    let providers = spec::providers();
    let by_rule: HashMap<&str, &Provider> = providers
        .iter()
        .flat_map(|p| p.rules.iter().map(move |r| (r.as_str(), p)))
        .collect();
    let mut stats = VerifyStats::default();
    let mut jobs: Vec<Job> = Vec::new();
    let mut job_of: Vec<Option<usize>> = Vec::with_capacity(findings.len());
    let mut index: HashMap<String, usize> = HashMap::new();
    for f in findings.iter() {
        let Some(p) = by_rule.get(f.rule_id.as_str()).copied() else {
            if f.family != "policy" {
                stats.not_verifiable += 1;
            }
            job_of.push(None);
            continue;
        };
        let companion = find_companion(p, f);
        let key = job_key(p, &f.secret, companion.as_deref());
        let i = *index.entry(key.clone()).or_insert_with(|| {
            jobs.push(Job {
                provider: p,
                secret: f.secret.clone(),
                companion,
                line: f.line_text.clone(),
                key,
            });
            jobs.len() - 1
        });
        job_of.push(Some(i));
    }
    if jobs.is_empty() {
        return Ok(stats);
    }
    let base = std::env::var(BASE_URL_ENV).ok().filter(|b| !b.is_empty());
    if let Some(b) = &base {
        stats.notes.push(format!(
            "{BASE_URL_ENV} is set: verification requests go to {b}, not to the providers"
        ));
    }
    let mut cache = match &opts.cache {
        Some(p) => cache::Cache::load(p)?,
        None => cache::Cache::default(),
    };
    let now = cache::unix_now();
    let mut results: Vec<Option<Verification>> = jobs
        .iter()
        .map(|j| cache.get(&j.key, now, opts.cache_ttl))
        .collect();
    stats.from_cache = results.iter().filter(|r| r.is_some()).count();
    let todo: Vec<usize> = (0..jobs.len()).filter(|&i| results[i].is_none()).collect();
    if !todo.is_empty() {
        let agent = http::agent(opts)?;
        let limiter = Limiter::new(opts.per_host_rate);
        let next = std::sync::atomic::AtomicUsize::new(0);
        let out: Mutex<Vec<(usize, Verification)>> = Mutex::new(Vec::new());
        let ctx = Ctx {
            agent: &agent,
            opts,
            limiter: &limiter,
            base: base.as_deref(),
        };
        std::thread::scope(|s| {
            for _ in 0..opts.concurrency.clamp(1, todo.len()) {
                s.spawn(|| loop {
                    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(&i) = todo.get(n) else { break };
                    let v = ctx.check(&jobs[i]);
                    out.lock().unwrap_or_else(|e| e.into_inner()).push((i, v));
                });
            }
        });
        stats.requests = limiter.sent();
        for (i, v) in out.into_inner().unwrap_or_else(|e| e.into_inner()) {
            // Unknown says nothing lasting: only live and invalid are remembered.
            if v.state != State::Unknown {
                cache.put(&jobs[i].key, &v, now);
            }
            results[i] = Some(v);
        }
        if let Some(p) = &opts.cache {
            cache.save(p)?;
        }
    }
    stats.checked = jobs.len();
    for r in results.iter().flatten() {
        match r.state {
            State::Live => stats.live += 1,
            State::Invalid => stats.invalid += 1,
            State::Unknown => stats.unknown += 1,
        }
    }
    for (f, j) in findings.iter_mut().zip(job_of) {
        f.verification = j.and_then(|i| results[i].clone());
    }
    Ok(stats)
}

/// The cache and once-per-run key: a hash of the provider, the secret and its companion.
fn job_key(p: &Provider, secret: &str, companion: Option<&str>) -> String {
    let mut h = Sha256::new();
    h.update(p.name.as_bytes());
    h.update([0]);
    h.update(secret.as_bytes());
    h.update([0]);
    h.update(companion.unwrap_or("").as_bytes());
    hex(&h.finalize())
}

/// The other half of a pair: in the rule's `nearby` match, else on the finding's line.
fn find_companion(p: &Provider, f: &Finding) -> Option<String> {
    let re = p.companion.as_ref()?;
    [f.companion.as_deref(), Some(f.line_text.as_str())]
        .into_iter()
        .flatten()
        .find_map(|t| re.find(t).map(|m| m.as_str().to_string()))
}

struct Ctx<'a> {
    agent: &'a ureq::Agent,
    opts: &'a VerifyOptions,
    limiter: &'a Limiter,
    base: Option<&'a str>,
}

impl Ctx<'_> {
    fn check(&self, job: &Job) -> Verification {
        let p = job.provider;
        let (state, reason) = match self.request(job) {
            Ok(req) => self.send(p, req),
            Err(why) => (State::Unknown, why),
        };
        Verification {
            state,
            reason,
            provider: p.name.clone(),
            revoke: p.revoke.clone(),
        }
    }

    /// The request for this credential, or why there is none.
    fn request(&self, job: &Job) -> Result<http::Request, String> {
        let p = job.provider;
        let companion = job.companion.as_deref().unwrap_or("");
        if p.companion.is_some() && job.companion.is_none() {
            return Err(format!(
                "cannot verify without the other half of the pair (a match of `{}` next to it)",
                p.companion.as_ref().map_or("", |r| r.as_str())
            ));
        }
        let mut req = http::Request {
            method: p.method,
            host: p.host.clone(),
            url: spec::fill_url(&p.url, &job.secret, companion),
            headers: p
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), spec::fill(v, &job.secret, companion)))
                .collect(),
            body: p
                .body
                .as_ref()
                .map(|b| spec::fill(b, &job.secret, companion)),
        };
        if let Some(b) = &p.basic {
            use base64::Engine;
            let pair = spec::fill(b, &job.secret, companion);
            req.headers.push((
                "Authorization".into(),
                format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ),
            ));
        }
        match p.kind {
            Kind::Http => {}
            Kind::AwsSts => {
                let date = jiff::Timestamp::now()
                    .strftime("%Y%m%dT%H%M%SZ")
                    .to_string();
                let body = req.body.clone().unwrap_or_default();
                let ctype = "application/x-www-form-urlencoded; charset=utf-8";
                let auth = sign::SigV4 {
                    method: p.method,
                    host: &p.host,
                    path: "/",
                    query: "",
                    headers: &[("content-type", ctype), ("x-amz-date", &date)],
                    body: body.as_bytes(),
                    region: "us-east-1",
                    service: "sts",
                    amz_date: &date,
                }
                .authorization(companion, &job.secret);
                req.headers.push(("Content-Type".into(), ctype.into()));
                req.headers.push(("X-Amz-Date".into(), date));
                req.headers.push(("Authorization".into(), auth));
            }
            Kind::AzureStorage => {
                let account = conn_value(&job.line, "AccountName")
                    .filter(|a| {
                        (3..=24).contains(&a.len())
                            && a.bytes()
                                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                    })
                    .ok_or("no valid AccountName in the connection string")?;
                let suffix = conn_value(&job.line, "EndpointSuffix")
                    .unwrap_or_else(|| "core.windows.net".into());
                // The host is Azure's: the account name is a label under a fixed suffix.
                const SUFFIXES: [&str; 3] = [
                    "core.windows.net",
                    "core.chinacloudapi.cn",
                    "core.usgovcloudapi.net",
                ];
                if !SUFFIXES.contains(&suffix.as_str()) {
                    return Err(format!(
                        "endpoint suffix `{suffix}` is not an Azure public cloud's: not sent"
                    ));
                }
                let date = jiff::Timestamp::now()
                    .strftime("%a, %d %b %Y %H:%M:%S GMT")
                    .to_string();
                let version = "2020-04-08";
                let auth = sign::azure_shared_key(
                    &account,
                    &job.secret,
                    &date,
                    version,
                    "/",
                    &[("comp", "list"), ("maxresults", "1")],
                )
                .ok_or("the account key is not base64")?;
                req.host = format!("{account}.blob.{suffix}");
                req.url = format!("https://{}/?comp=list&maxresults=1", req.host);
                req.headers.push(("x-ms-date".into(), date));
                req.headers.push(("x-ms-version".into(), version.into()));
                req.headers.push(("Authorization".into(), auth));
            }
        }
        Ok(req)
    }

    fn send(&self, p: &Provider, req: http::Request) -> (State, String) {
        if !host_allowed(&self.opts.hosts, &req.host) {
            return (
                State::Unknown,
                format!(
                    "{} is not in the verify allowlist ([verify] hosts, --verify-host): not sent",
                    req.host
                ),
            );
        }
        let url = match self.base {
            Some(base) => {
                let rest = req.url.strip_prefix("https://").unwrap_or(&req.url);
                format!("{}/{rest}", base.trim_end_matches('/'))
            }
            None => req.url.clone(),
        };
        self.limiter.wait(&req.host);
        match http::send(self.agent, &req, &url) {
            Err(why) => (State::Unknown, why),
            Ok(resp) => judge(p, &req.host, &resp),
        }
    }
}

/// Read a reply of `p`'s host as a verification run does (the body lossily decoded, as the
/// client reads it): the entry point of the robustness tests and the `verify_reply` fuzz
/// target, which have no network.
#[doc(hidden)]
pub fn judge_reply(
    p: &Provider,
    status: u16,
    content_type: Option<&str>,
    retry_after: Option<&str>,
    body: &[u8],
) -> (State, String) {
    let r = http::Response {
        status,
        body: String::from_utf8_lossy(body).into_owned(),
        content_type: content_type.map(str::to_string),
        retry_after: retry_after.map(str::to_string),
    };
    judge(p, &p.host, &r)
}

/// Read a provider's answer.
fn judge(p: &Provider, host: &str, r: &http::Response) -> (State, String) {
    let from = format!("HTTP {} from {host}", r.status);
    if p.live.contains(&r.status) {
        // APIs answer JSON (or XML); a web page is a captive portal, a proxy's login page or
        // a moved endpoint, and says nothing about the credential.
        if r.content_type
            .as_deref()
            .is_some_and(|c| c.to_ascii_lowercase().contains("text/html"))
        {
            return (
                State::Unknown,
                format!("{from}, but a web page, not {}'s API answer", p.name),
            );
        }
        if p.invalid_body
            .as_ref()
            .is_some_and(|re| re.is_match(&r.body))
        {
            return (
                State::Invalid,
                format!("{from}: the answer says not authenticated"),
            );
        }
        return match &p.live_body {
            Some(re) if !re.is_match(&r.body) => (
                State::Unknown,
                format!(
                    "{from}, but not the answer {} gives ({}): a proxy or captive portal?",
                    p.name,
                    r.content_type.as_deref().unwrap_or("no content type")
                ),
            ),
            _ => (State::Live, from),
        };
    }
    if p.invalid.contains(&r.status) {
        return (State::Invalid, from);
    }
    let why = match r.status {
        429 => format!(
            "rate limited ({from}{})",
            r.retry_after
                .as_deref()
                .map(|s| format!(", Retry-After {s}"))
                .unwrap_or_default()
        ),
        500..=599 => format!("provider error ({from})"),
        300..=399 => format!("redirected ({from}): not followed"),
        _ => format!("unexpected answer ({from})"),
    };
    (State::Unknown, why)
}

/// `Key=value` in a `;`-separated connection string.
fn conn_value(line: &str, key: &str) -> Option<String> {
    line.split([';', '"', '\'', ' '])
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(key))
        .map(|(_, v)| v.trim().to_string())
}

/// `hosts` empty allows every provider host; else an exact name or a `*.suffix`.
fn host_allowed(hosts: &[String], host: &str) -> bool {
    hosts.is_empty()
        || hosts.iter().any(|h| match h.strip_prefix("*.") {
            Some(suffix) => host
                .strip_suffix(suffix)
                .is_some_and(|rest| rest.ends_with('.') && rest.len() > 1),
            None => h.eq_ignore_ascii_case(host),
        })
}

/// Spaces requests to each host by `1 / rate` seconds.
struct Limiter {
    gap: Duration,
    next: Mutex<HashMap<String, Instant>>,
    sent: std::sync::atomic::AtomicUsize,
}

impl Limiter {
    fn new(rate: f64) -> Limiter {
        let gap = if rate > 0.0 {
            Duration::from_secs_f64(1.0 / rate)
        } else {
            Duration::ZERO
        };
        Limiter {
            gap,
            next: Mutex::new(HashMap::new()),
            sent: Default::default(),
        }
    }

    fn wait(&self, host: &str) {
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = next.entry(host.to_string()).or_insert(now);
            let at = (*slot).max(now);
            *slot = at + self.gap;
            at
        };
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
        self.sent.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    fn sent(&self) -> usize {
        self.sent.load(std::sync::atomic::Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlist_matches_names_and_suffixes() {
        let hosts = vec![
            "api.github.com".to_string(),
            "*.blob.core.windows.net".into(),
        ];
        assert!(host_allowed(&hosts, "api.github.com"));
        assert!(host_allowed(&hosts, "acct.blob.core.windows.net"));
        assert!(!host_allowed(&hosts, "blob.core.windows.net"));
        assert!(!host_allowed(&hosts, "evilblob.core.windows.net"));
        assert!(!host_allowed(&hosts, "slack.com"));
        assert!(host_allowed(&[], "slack.com"));
    }

    #[test]
    fn connection_string_values() {
        let line = r#"conn = "DefaultEndpointsProtocol=https;AccountName=shopdata;AccountKey=abc==;EndpointSuffix=core.windows.net""#;
        assert_eq!(conn_value(line, "AccountName").as_deref(), Some("shopdata"));
        assert_eq!(
            conn_value(line, "endpointsuffix").as_deref(),
            Some("core.windows.net")
        );
    }
}
