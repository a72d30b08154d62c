//! The providers keyguard can verify, as data (`providers.toml`): which rules, which request,
//! what a live and an invalid answer look like.

use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;

const PROVIDERS: &str = include_str!("providers.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    #[default]
    Http,
    AwsSts,
    AzureStorage,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    provider: Vec<RawProvider>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    name: String,
    #[serde(default)]
    kind: Kind,
    rules: Vec<String>,
    url: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    basic: Option<String>,
    #[serde(default)]
    body: Option<String>,
    #[serde(default)]
    companion: Option<String>,
    #[serde(default)]
    live: Option<Vec<u16>>,
    #[serde(default)]
    live_body: Option<String>,
    #[serde(default)]
    invalid: Option<Vec<u16>>,
    #[serde(default)]
    invalid_body: Option<String>,
    revoke: String,
}

/// One provider's verification request and how to read its answer.
#[derive(Debug)]
pub struct Provider {
    pub name: String,
    pub kind: Kind,
    pub rules: Vec<String>,
    /// `https://host/path?query`, with `{secret}` / `{companion}` only after the host.
    pub url: String,
    /// The host the URL names: the only one this provider's credentials go to.
    pub host: String,
    pub method: &'static str,
    pub headers: Vec<(String, String)>,
    pub basic: Option<String>,
    pub body: Option<String>,
    pub companion: Option<Regex>,
    pub live: Vec<u16>,
    pub live_body: Option<Regex>,
    pub invalid: Vec<u16>,
    pub invalid_body: Option<Regex>,
    pub revoke: String,
}

/// The built-in providers (parsed and checked once; the test suite checks them too).
pub fn providers() -> &'static [Provider] {
    static ALL: std::sync::OnceLock<Vec<Provider>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| parse(PROVIDERS).expect("src/verify/providers.toml is valid"))
}

/// Parse and check a providers file: https URLs whose host is a literal, known methods,
/// valid regexes.
pub fn parse(text: &str) -> Result<Vec<Provider>, String> {
    let file: File = toml::from_str(text).map_err(|e| e.to_string())?;
    file.provider
        .into_iter()
        .map(|p| {
            let name = p.name.clone();
            build(p).map_err(|e| format!("provider `{name}`: {e}"))
        })
        .collect()
}

fn build(p: RawProvider) -> Result<Provider, String> {
    let rest = p
        .url
        .strip_prefix("https://")
        .ok_or("the url must start with https://")?;
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let host = &rest[..host_end];
    if host.is_empty() || host.contains(['{', '}', '@', ':']) {
        return Err(format!(
            "the url's host `{host}` must be a plain host name (no placeholder, user or port)"
        ));
    }
    let method = match p.method.as_deref().unwrap_or("GET") {
        "GET" => "GET",
        "POST" => "POST",
        m => return Err(format!("method `{m}` is not GET or POST")),
    };
    let re = |r: &Option<String>| -> Result<Option<Regex>, String> {
        r.as_deref()
            .map(|r| Regex::new(r).map_err(|e| format!("bad regex `{r}`: {e}")))
            .transpose()
    };
    if p.rules.is_empty() {
        return Err("no rules".into());
    }
    let uses_companion = p.url.contains("{companion}")
        || p.basic
            .as_deref()
            .is_some_and(|b| b.contains("{companion}"))
        || p.headers.values().any(|v| v.contains("{companion}"))
        || p.kind == Kind::AwsSts;
    if uses_companion && p.companion.is_none() {
        return Err("uses {companion} but has no `companion` regex".into());
    }
    Ok(Provider {
        host: host.to_string(),
        kind: p.kind,
        rules: p.rules,
        method,
        headers: p.headers.into_iter().collect(),
        basic: p.basic,
        body: p.body,
        companion: re(&p.companion)?,
        live: p.live.unwrap_or_else(|| vec![200]),
        live_body: re(&p.live_body)?,
        invalid: p.invalid.unwrap_or_else(|| vec![401]),
        invalid_body: re(&p.invalid_body)?,
        revoke: p.revoke,
        url: p.url,
        name: p.name,
    })
}

/// Fill `{secret}` and `{companion}` into a URL: percent-encoded, and only after the host,
/// so a value can never choose where the request goes.
pub fn fill_url(url: &str, secret: &str, companion: &str) -> String {
    url.replace("{secret}", &percent(secret))
        .replace("{companion}", &percent(companion))
}

/// Fill `{secret}` and `{companion}` into a header or body template.
pub fn fill(template: &str, secret: &str, companion: &str) -> String {
    template
        .replace("{secret}", secret)
        .replace("{companion}", companion)
}

/// Percent-encode everything but RFC 3986's unreserved characters and `:`.
pub fn percent(s: &str) -> String {
    crate::report::percent_encode(s, b":")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_providers_parse_and_name_real_rules() {
        let all = providers();
        assert!(all.len() >= 25, "{} providers", all.len());
        let rules = crate::rules::RuleSet::defaults().unwrap();
        for p in all {
            for r in &p.rules {
                assert!(rules.get(r).is_some(), "{}: unknown rule {r}", p.name);
            }
            assert!(p.revoke.starts_with("https://"), "{}", p.name);
        }
    }

    #[test]
    fn a_value_never_chooses_the_host() {
        for bad in [
            "https://{secret}.example.com/",
            "http://api.example.com/",
            "https://user@api.example.com/",
            "https://api.example.com:8443/",
        ] {
            let text = format!(
                "[[provider]]\nname = \"x\"\nrules = [\"r\"]\nurl = \"{bad}\"\nrevoke = \"https://x\"\n"
            );
            assert!(parse(&text).is_err(), "{bad} accepted");
        }
        assert_eq!(
            fill_url("https://h/bot{secret}/x", "12:ab/../c?d", ""),
            "https://h/bot12:ab%2F..%2Fc%3Fd/x"
        );
    }
}
