//! Listing an organisation's repositories from its forge's REST API: GitHub (an org's or a
//! user's repositories; GitHub Enterprise Server with `--api-url`), GitLab (a group's
//! projects, subgroups included; self-managed with `--api-url`), Azure DevOps (an
//! organisation's or a project's repositories) and Bitbucket Cloud (a workspace's). Pages are
//! followed (`Link: rel="next"`, `X-Next-Page`, `x-ms-continuationtoken`, a body's `next`);
//! a rate limit (403/429 with `Retry-After` or
//! `X-RateLimit-Reset`) is waited out up to a bound, then the listing fails with when to
//! resume; a 5xx is retried. The token (`GITHUB_TOKEN`, `GITLAB_TOKEN`,
//! `AZURE_DEVOPS_TOKEN`, `BITBUCKET_TOKEN`) goes only to the API host and is never printed.

use crate::error::Error;
use serde_json::Value;
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Forge {
    GitHubOrg(String),
    GitHubUser(String),
    GitLabGroup(String),
    /// `ORG` or `ORG/PROJECT`.
    AzureDevOps(String),
    BitbucketWorkspace(String),
}

/// How a forge says where the next page is, and how it wants the token.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    GitHub,
    GitLab,
    Azure,
    Bitbucket,
}

/// One listed repository.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Listed {
    /// `org/repo` or `group/sub/project`.
    pub name: String,
    /// The HTTPS clone URL (no credentials).
    pub clone_url: String,
    pub archived: bool,
    pub fork: bool,
    /// RFC 3339, as the forge says (`pushed_at`, `last_activity_at`).
    pub pushed_at: String,
    /// `public`, `private` or `internal` (`""` when the forge does not say).
    #[serde(default)]
    pub visibility: String,
}

/// What to list and how.
#[derive(Debug, Clone)]
pub struct ListOptions {
    /// API base (`https://api.github.com`, `https://gitlab.com/api/v4` by default).
    pub api: Option<String>,
    pub token: Option<String>,
    pub include: Vec<String>,
    pub exclude: Vec<String>,
    pub archived: bool,
    pub forks: bool,
    /// Only repositories pushed on or after this date (`YYYY-MM-DD`).
    pub pushed_since: Option<String>,
    /// Only these visibilities (`public`, `private`, `internal`); empty: all.
    pub visibility: Vec<String>,
    /// Where an interrupted listing keeps what it has (the repositories so far and the page
    /// to ask next), so that the next run resumes there instead of starting over.
    pub resume: Option<std::path::PathBuf>,
    /// The longest rate-limit wait accepted before failing.
    pub max_wait: Duration,
    pub timeout: Duration,
    pub ca_certs: Vec<std::path::PathBuf>,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions {
            api: None,
            token: None,
            include: Vec::new(),
            exclude: Vec::new(),
            archived: false,
            forks: false,
            pushed_since: None,
            visibility: Vec::new(),
            resume: None,
            max_wait: Duration::from_secs(15 * 60),
            timeout: Duration::from_secs(30),
            ca_certs: Vec::new(),
        }
    }
}

/// List the repositories of `forge`, filtered, sorted by name (every shard lists the same).
pub fn list(forge: &Forge, opts: &ListOptions) -> Result<Vec<Listed>, Error> {
    let (api, first, kind) = match forge {
        Forge::GitHubOrg(o) => (
            opts.api.as_deref().unwrap_or("https://api.github.com"),
            format!("/orgs/{}/repos?per_page=100&type=all", enc(o)),
            Kind::GitHub,
        ),
        Forge::GitHubUser(u) => (
            opts.api.as_deref().unwrap_or("https://api.github.com"),
            format!("/users/{}/repos?per_page=100&type=owner", enc(u)),
            Kind::GitHub,
        ),
        Forge::GitLabGroup(g) => (
            opts.api.as_deref().unwrap_or("https://gitlab.com/api/v4"),
            format!(
                "/groups/{}/projects?include_subgroups=true&per_page=100&order_by=id&sort=asc",
                enc(g)
            ),
            Kind::GitLab,
        ),
        Forge::AzureDevOps(op) => {
            let path = op
                .split('/')
                .filter(|p| !p.is_empty())
                .map(enc)
                .collect::<Vec<_>>()
                .join("/");
            (
                opts.api.as_deref().unwrap_or("https://dev.azure.com"),
                format!("/{path}/_apis/git/repositories?api-version=7.1"),
                Kind::Azure,
            )
        }
        Forge::BitbucketWorkspace(w) => (
            opts.api
                .as_deref()
                .unwrap_or("https://api.bitbucket.org/2.0"),
            format!("/repositories/{}?pagelen=100", enc(w)),
            Kind::Bitbucket,
        ),
    };
    let api = api.trim_end_matches('/');
    let agent = agent(opts)?;
    let host = host_of(api);
    let first = format!("{api}{first}");
    let mut url = first.clone();
    let mut out = Vec::new();
    if let Some(p) = opts.resume.as_deref().filter(|p| p.exists()) {
        // Resume only the very listing that was interrupted (same forge, API and query).
        match std::fs::read(p)
            .ok()
            .and_then(|b| serde_json::from_slice::<Partial>(&b).ok())
        {
            Some(partial) if partial.first == first && host_of(&partial.next) == host => {
                out = partial.listed;
                url = partial.next;
            }
            _ => {}
        }
    }
    let mut pages = 0;
    loop {
        pages += 1;
        if pages > 10_000 {
            return Err(Error::Usage(format!(
                "{api}: more than 10,000 pages; stopping"
            )));
        }
        let page = match get_page(&agent, &url, kind, opts) {
            Ok(p) => p,
            Err(e) => return Err(save_partial(opts, &first, &url, &out, e)),
        };
        let (items, next) = parse_page(kind, &first, &url, &page)?;
        out.extend(items);
        match next {
            // Follow only pages on the same host: a `Link` cannot send the token elsewhere.
            Some(n) if host_of(&n) == host => url = n,
            Some(n) => {
                return Err(Error::Usage(format!(
                    "{}: the next page points to another host ({}); not followed",
                    redact_query(&url),
                    host_of(&n)
                )))
            }
            None => break,
        }
    }
    if let Some(p) = &opts.resume {
        let _ = std::fs::remove_file(p);
    }
    let keep = filter(opts)?;
    out.retain(|l| keep(l));
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out.dedup_by(|a, b| a.name == b.name);
    Ok(out)
}

/// An interrupted listing: what [`ListOptions::resume`] holds.
#[derive(serde::Serialize, serde::Deserialize)]
struct Partial {
    /// The listing's first page: a resume must be of the same listing.
    first: String,
    /// The page to ask next.
    next: String,
    listed: Vec<Listed>,
}

/// Keep what an interrupted listing has, and say so in its error.
fn save_partial(opts: &ListOptions, first: &str, next: &str, listed: &[Listed], e: Error) -> Error {
    let Some(path) = opts
        .resume
        .as_deref()
        .filter(|_| next != first || !listed.is_empty())
    else {
        return e;
    };
    let partial = Partial {
        first: first.to_string(),
        next: next.to_string(),
        listed: listed.to_vec(),
    };
    let saved = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .map_err(|e| Error::io(path, &e))
        .and_then(|_| {
            crate::report::write_atomic(
                path,
                serde_json::to_string(&partial)
                    .expect("a listing serialises")
                    .as_bytes(),
            )
        });
    match saved {
        Ok(()) => Error::Usage(format!(
            "{e}; the {} repositories listed so far are kept in {}: the next run resumes the listing there",
            listed.len(),
            path.display()
        )),
        Err(_) => e,
    }
}

/// One page of a listing: its repositories and the URL of the next page. `first` is the
/// listing's first page, `url` this one's. A body that is not the forge's list shape is an
/// error naming the page.
#[doc(hidden)]
pub fn parse_page(
    kind: Kind,
    first: &str,
    url: &str,
    page: &Page,
) -> Result<(Vec<Listed>, Option<String>), Error> {
    let bad = |e: &dyn std::fmt::Display| {
        Error::Usage(format!(
            "{}: the answer is not a JSON list of repositories ({e})",
            redact_query(url)
        ))
    };
    let body: Value = serde_json::from_str(&page.body).map_err(|e| bad(&e))?;
    let items = match kind {
        Kind::GitHub | Kind::GitLab => body.as_array(),
        Kind::Azure => body["value"].as_array(),
        Kind::Bitbucket => body["values"].as_array(),
    }
    .ok_or_else(|| bad(&"no list of repositories in it"))?;
    let listed = items
        .iter()
        .filter_map(|v| match kind {
            Kind::GitHub => github_item(v),
            Kind::GitLab => gitlab_item(v),
            Kind::Azure => azure_item(v),
            Kind::Bitbucket => bitbucket_item(v),
        })
        .collect();
    let next = match kind {
        Kind::GitHub => page.link.as_deref().and_then(next_link),
        Kind::GitLab => page
            .next_page
            .clone()
            .filter(|p| !p.is_empty())
            .map(|p| with_param(url, "page", &p)),
        Kind::Azure => page
            .continuation
            .clone()
            .filter(|c| !c.is_empty())
            .map(|c| with_param(first, "continuationToken", &c)),
        Kind::Bitbucket => body["next"].as_str().map(str::to_string),
    };
    Ok((listed, next))
}

fn agent(opts: &ListOptions) -> Result<ureq::Agent, Error> {
    let v = crate::verify::VerifyOptions {
        timeout: opts.timeout,
        ca_certs: opts.ca_certs.clone(),
        ..Default::default()
    };
    crate::verify::http_agent(&v)
}

fn github_item(v: &Value) -> Option<Listed> {
    Some(Listed {
        name: v["full_name"].as_str()?.to_string(),
        clone_url: v["clone_url"].as_str()?.to_string(),
        archived: v["archived"].as_bool().unwrap_or(false),
        fork: v["fork"].as_bool().unwrap_or(false),
        pushed_at: v["pushed_at"].as_str().unwrap_or("").to_string(),
        visibility: v["visibility"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .or_else(|| v["private"].as_bool().map(private_or_public))
            .unwrap_or_default(),
    })
}

fn private_or_public(private: bool) -> String {
    if private { "private" } else { "public" }.to_string()
}

fn azure_item(v: &Value) -> Option<Listed> {
    Some(Listed {
        name: format!("{}/{}", v["project"]["name"].as_str()?, v["name"].as_str()?),
        clone_url: v["remoteUrl"].as_str().map(strip_user)?,
        archived: v["isDisabled"].as_bool().unwrap_or(false),
        fork: v["isFork"].as_bool().unwrap_or(false),
        pushed_at: String::new(),
        visibility: v["project"]["visibility"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .unwrap_or_default(),
    })
}

fn bitbucket_item(v: &Value) -> Option<Listed> {
    let https = v["links"]["clone"]
        .as_array()?
        .iter()
        .find(|c| c["name"] == "https")?;
    Some(Listed {
        name: v["full_name"].as_str()?.to_string(),
        clone_url: strip_user(https["href"].as_str()?),
        archived: false,
        fork: v.get("parent").is_some_and(|p| !p.is_null()),
        pushed_at: v["updated_on"].as_str().unwrap_or("").to_string(),
        visibility: v["is_private"]
            .as_bool()
            .map(private_or_public)
            .unwrap_or_default(),
    })
}

/// `https://user@host/…` → `https://host/…`: forges put the listing user in clone URLs.
fn strip_user(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_string(),
    }
}

fn gitlab_item(v: &Value) -> Option<Listed> {
    Some(Listed {
        name: v["path_with_namespace"].as_str()?.to_string(),
        clone_url: v["http_url_to_repo"].as_str()?.to_string(),
        archived: v["archived"].as_bool().unwrap_or(false),
        fork: v.get("forked_from_project").is_some_and(|f| !f.is_null()),
        pushed_at: v["last_activity_at"].as_str().unwrap_or("").to_string(),
        visibility: v["visibility"]
            .as_str()
            .map(str::to_ascii_lowercase)
            .unwrap_or_default(),
    })
}

fn filter(opts: &ListOptions) -> Result<impl Fn(&Listed) -> bool, Error> {
    let set = |globs: &[String]| -> Result<Option<globset::GlobSet>, Error> {
        if globs.is_empty() {
            return Ok(None);
        }
        let mut b = globset::GlobSetBuilder::new();
        for g in globs {
            b.add(
                globset::Glob::new(g)
                    .map_err(|e| Error::Usage(format!("bad repository glob `{g}`: {e}")))?,
            );
        }
        Ok(Some(b.build().map_err(|e| Error::Usage(e.to_string()))?))
    };
    let (inc, exc) = (set(&opts.include)?, set(&opts.exclude)?);
    let (archived, forks, since) = (opts.archived, opts.forks, opts.pushed_since.clone());
    let visibility = opts.visibility.clone();
    Ok(move |l: &Listed| {
        (visibility.is_empty() || visibility.contains(&l.visibility))
            && (archived || !l.archived)
            && (forks || !l.fork)
            && inc.as_ref().is_none_or(|s| s.is_match(&l.name))
            && !exc.as_ref().is_some_and(|s| s.is_match(&l.name))
            && since.as_deref().is_none_or(|d| l.pushed_at.as_str() >= d)
    })
}

/// One page's body and the headers that say where the next one is.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Page {
    pub body: String,
    /// `Link` (GitHub).
    pub link: Option<String>,
    /// `X-Next-Page` (GitLab).
    pub next_page: Option<String>,
    /// `x-ms-continuationtoken` (Azure DevOps).
    pub continuation: Option<String>,
}

/// One page. Rate limits are waited out (up to `max_wait`), 5xx retried three times.
fn get_page(agent: &ureq::Agent, url: &str, kind: Kind, opts: &ListOptions) -> Result<Page, Error> {
    let shown = redact_query(url);
    let mut server_errors = 0;
    loop {
        let mut req = agent.get(url).header("Accept", "application/json");
        if let Some(t) = &opts.token {
            req = match kind {
                Kind::GitLab => req.header("PRIVATE-TOKEN", t.as_str()),
                Kind::Azure => {
                    use base64::Engine;
                    let basic = base64::engine::general_purpose::STANDARD.encode(format!(":{t}"));
                    req.header("Authorization", format!("Basic {basic}").as_str())
                }
                Kind::GitHub | Kind::Bitbucket => {
                    req.header("Authorization", format!("Bearer {t}").as_str())
                }
            };
        }
        let mut resp = req
            .call()
            .map_err(|e| Error::Usage(format!("{shown}: {e}")))?;
        let status = resp.status().as_u16();
        let header = |n: &str| {
            resp.headers()
                .get(n)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let (retry_after, remaining, reset) = (
            header("retry-after"),
            header("x-ratelimit-remaining"),
            header("x-ratelimit-reset"),
        );
        let (link, next_page, continuation) = (
            header("link"),
            header("x-next-page"),
            header("x-ms-continuationtoken"),
        );
        let body = resp
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .unwrap_or_default();
        match status {
            200 => {
                return Ok(Page {
                    body,
                    link,
                    next_page,
                    continuation,
                })
            }
            403 | 429 if retry_after.is_some() || remaining.as_deref() == Some("0") => {
                let wait = match (&retry_after, &reset) {
                    (Some(s), _) => s.trim().parse::<u64>().unwrap_or(60),
                    (None, Some(r)) => r
                        .trim()
                        .parse::<u64>()
                        .unwrap_or(0)
                        .saturating_sub(crate::verify::cache::unix_now())
                        .max(1),
                    (None, None) => 60,
                };
                if Duration::from_secs(wait) > opts.max_wait {
                    return Err(Error::Usage(format!(
                        "{shown}: rate limited for {wait}s, longer than --max-wait; run the sweep again later (what is done is kept)"
                    )));
                }
                std::thread::sleep(Duration::from_secs(wait));
            }
            500..=599 if server_errors < 3 => {
                server_errors += 1;
                std::thread::sleep(Duration::from_millis(500 << server_errors));
            }
            401 | 403 => {
                return Err(Error::Usage(format!(
                    "{shown}: HTTP {status}: the token is missing, wrong or lacks read access (GITHUB_TOKEN / GITLAB_TOKEN)"
                )))
            }
            404 => {
                return Err(Error::Usage(format!(
                    "{shown}: HTTP 404: no such organisation, user or group (or not visible to the token)"
                )))
            }
            _ => return Err(Error::Usage(format!("{shown}: HTTP {status}"))),
        }
    }
}

/// `<…>; rel="next"` from a `Link` header.
fn next_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (url, params) = part.split_once(';')?;
        params
            .split(';')
            .any(|p| p.trim() == "rel=\"next\"")
            .then(|| {
                url.trim()
                    .trim_start_matches('<')
                    .trim_end_matches('>')
                    .to_string()
            })
    })
}

/// `url` with its query parameter `key` set to `value`.
fn with_param(url: &str, key: &str, value: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let prefix = format!("{key}=");
    let mut parts: Vec<String> = query
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with(&prefix))
        .map(str::to_string)
        .collect();
    parts.push(format!("{key}={}", enc(value)));
    format!("{base}?{}", parts.join("&"))
}

fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.split(['/', '?'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn redact_query(url: &str) -> String {
    url.split('?').next().unwrap_or(url).to_string()
}

fn enc(s: &str) -> String {
    crate::report::percent_encode(s, b"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_pages() {
        let link = r#"<https://api.github.com/orgs/x/repos?page=2>; rel="next", <https://api.github.com/orgs/x/repos?page=5>; rel="last""#;
        assert_eq!(
            next_link(link).as_deref(),
            Some("https://api.github.com/orgs/x/repos?page=2")
        );
        assert_eq!(next_link(r#"<https://h/a?page=1>; rel="prev""#), None);
        assert_eq!(
            with_param(
                "https://h/api/v4/groups/g/projects?per_page=100&page=1",
                "page",
                "2"
            ),
            "https://h/api/v4/groups/g/projects?per_page=100&page=2"
        );
        assert_eq!(enc("team/sub group"), "team%2Fsub%20group");
        assert_eq!(
            strip_user("https://me@bitbucket.org/ws/repo.git"),
            "https://bitbucket.org/ws/repo.git"
        );
    }
}
