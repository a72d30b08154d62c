//! Migration from other scanners: their ignore files and baselines become a keyguard
//! baseline, their configuration becomes `.keyguard.toml`. Every translation says what it
//! could not carry over.
//!
//! gitleaks' `.gitleaksignore` and detect-secrets' `.secrets.baseline` name findings by
//! place (file, line, commit, rule of *their* rule set), not by keyguard's content-addressed
//! fingerprint. Importing therefore scans the repository and records, as baseline entries,
//! the keyguard findings at the places those files name.

use crate::error::Error;
use crate::finding::Finding;
use crate::suppress::baseline::Baseline;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

/// A place another tool marked as accepted.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    pub path: String,
    pub line: usize,
    /// gitleaks history entries name a commit.
    pub commit: Option<String>,
}

/// `.gitleaksignore`: one fingerprint per line, `[commit:]file:rule:line`; `#` comments.
pub fn read_gitleaksignore(path: &Path) -> Result<Vec<Place>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let l = raw.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = l.rsplitn(3, ':').collect(); // line, rule, rest
        let bad = || {
            Error::config(
                &path.display().to_string(),
                format!(
                    "line {}: `{l}` is not a gitleaks fingerprint ([commit:]file:rule:line)",
                    i + 1
                ),
                None,
                None,
            )
        };
        let [line, _rule, rest] = parts.as_slice() else {
            return Err(bad());
        };
        let line: usize = line.parse().map_err(|_| bad())?;
        // `rest` is `file` or `commit:file` (a 40-hex commit id first).
        let (commit, file) = match rest.split_once(':') {
            Some((c, f)) if c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()) => {
                (Some(c.to_string()), f.to_string())
            }
            _ => (None, rest.to_string()),
        };
        out.push(Place {
            path: file,
            line,
            commit,
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct DetectSecretsBaseline {
    results: BTreeMap<String, Vec<DetectSecretsResult>>,
}

#[derive(Deserialize)]
struct DetectSecretsResult {
    filename: Option<String>,
    line_number: usize,
}

/// detect-secrets' `.secrets.baseline` (JSON): every result's file and line.
pub fn read_detect_secrets(path: &Path) -> Result<Vec<Place>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    let b: DetectSecretsBaseline = serde_json::from_str(&text).map_err(|e| {
        Error::config(
            &path.display().to_string(),
            format!("not a detect-secrets baseline: {e}"),
            None,
            None,
        )
    })?;
    Ok(b.results
        .into_iter()
        .flat_map(|(file, rs)| {
            rs.into_iter().map(move |r| Place {
                path: r.filename.unwrap_or_else(|| file.clone()),
                line: r.line_number,
                commit: None,
            })
        })
        .collect())
}

/// A baseline of the `findings` at `places`, each with `reason`; returns it and the places
/// no keyguard finding matched (to report).
pub fn baseline_for(
    findings: &[Finding],
    places: &[Place],
    reason: &str,
    previous: Option<&Baseline>,
) -> (Baseline, Vec<Place>) {
    let matches = |f: &Finding, p: &Place| {
        f.location.path == p.path
            && f.location.line == p.line
            && p.commit
                .as_ref()
                .is_none_or(|c| f.commit.as_ref().is_some_and(|fc| &fc.id == c))
    };
    let chosen: Vec<Finding> = findings
        .iter()
        .filter(|f| places.iter().any(|p| matches(f, p)))
        .cloned()
        .collect();
    let unmatched: Vec<Place> = places
        .iter()
        .filter(|p| !findings.iter().any(|f| matches(f, p)))
        .cloned()
        .collect();
    let mut b = Baseline::from_findings(&chosen, previous);
    let new: HashSet<&str> = chosen.iter().map(|f| f.fingerprint.as_str()).collect();
    for e in &mut b.entries {
        if new.contains(e.fingerprint.as_str()) && e.reason.is_none() {
            e.reason = Some(reason.to_string());
        }
    }
    if let Some(prev) = previous {
        // Entries already in the baseline that this import did not touch stay.
        for e in &prev.entries {
            if !b.entries.iter().any(|x| x.fingerprint == e.fingerprint) {
                b.entries.push(e.clone());
            }
        }
        b.entries.sort_by(|a, c| {
            (&a.path, &a.rule, &a.fingerprint).cmp(&(&c.path, &c.rule, &c.fingerprint))
        });
    }
    (b, unmatched)
}

/// The result of translating a gitleaks configuration.
#[derive(Debug)]
pub struct Translated {
    /// `.keyguard.toml` text.
    pub config: String,
    pub rules: usize,
    /// What could not be carried over, one line each.
    pub untranslated: Vec<String>,
}

#[derive(serde::Serialize)]
struct OutConfig {
    rules: OutRules,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rule: Vec<OutRule>,
    allowlist: OutAllowlist,
}

#[derive(serde::Serialize)]
struct OutRules {
    extend_default: bool,
}

#[derive(serde::Serialize)]
struct OutRule {
    id: String,
    name: String,
    family: String,
    severity: String,
    keywords: Vec<String>,
    regex: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    entropy: Option<f64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    allow: Vec<String>,
    description: String,
    tags: Vec<String>,
}

#[derive(serde::Serialize, Default)]
struct OutAllowlist {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    regexes: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    stopwords: Vec<String>,
}

fn strings(v: Option<&toml::Value>) -> Vec<String> {
    v.and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// gitleaks' allowlists of a table: the older single `allowlist` table and the newer
/// `allowlists` array.
fn allowlists(t: &toml::Table, key_single: &str, key_many: &str) -> Vec<toml::Table> {
    let mut out = Vec::new();
    if let Some(a) = t.get(key_single).and_then(|v| v.as_table()) {
        out.push(a.clone());
    }
    if let Some(arr) = t.get(key_many).and_then(|v| v.as_array()) {
        out.extend(arr.iter().filter_map(|v| v.as_table().cloned()));
    }
    out
}

/// Translate a gitleaks configuration (`.gitleaks.toml`, v8 format) into `.keyguard.toml`.
pub fn gitleaks_config(path: &Path) -> Result<Translated, Error> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
    let doc: toml::Table = toml::from_str(&text).map_err(|e| Error::toml(&name, &text, &e))?;
    let mut untranslated = Vec::new();

    let extend = doc.get("extend").and_then(|v| v.as_table());
    let extend_default = extend
        .and_then(|e| e.get("useDefault"))
        .and_then(|v| v.as_bool())
        .unwrap_or(false);
    if extend_default {
        untranslated.push("[extend] useDefault: keyguard's own default rules are used instead of gitleaks' (kept: extend_default = true)".into());
    }
    if let Some(p) = extend.and_then(|e| e.get("path")).and_then(|v| v.as_str()) {
        untranslated.push(format!(
            "[extend] path = \"{p}\": import that file too and merge by hand"
        ));
    }
    for d in strings(extend.and_then(|e| e.get("disabledRules"))) {
        untranslated.push(format!("[extend] disabledRules \"{d}\": gitleaks rule ids do not exist in keyguard; use `keyguard rules list` and [rules] disable"));
    }

    let mut rules = Vec::new();
    for r in doc
        .get("rules")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let Some(t) = r.as_table() else { continue };
        let id = t
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("(no id)")
            .to_string();
        let Some(regex) = t.get("regex").and_then(|v| v.as_str()) else {
            untranslated.push(format!(
                "rule {id}: a path-only rule (no regex); keyguard has no file-name rules"
            ));
            continue;
        };
        let keywords = strings(t.get("keywords"));
        if keywords.iter().all(|k| k.len() < 3) {
            untranslated.push(format!("rule {id}: no keyword of 3 or more characters; keyguard rules need keywords (the prefilter): add some and paste the rule in"));
            continue;
        }
        let mut regex = regex.to_string();
        if let Some(g) = t.get("secretGroup").and_then(|v| v.as_integer()) {
            if g != 1 {
                untranslated.push(format!("rule {id}: secretGroup = {g}: name that group `(?P<secret>…)` in the regex; the whole match is used until then"));
                regex = format!("(?:{regex})");
            }
        }
        if t.contains_key("path") {
            untranslated.push(format!(
                "rule {id}: its `path` restriction is dropped (keyguard rules apply to every file)"
            ));
        }
        let mut allow = Vec::new();
        for a in allowlists(t, "allowlist", "allowlists") {
            let target = a
                .get("regexTarget")
                .and_then(|v| v.as_str())
                .unwrap_or("secret");
            let regexes = strings(a.get("regexes"));
            if target == "secret" {
                allow.extend(regexes);
            } else if !regexes.is_empty() {
                untranslated.push(format!("rule {id}: allowlist regexes with regexTarget = \"{target}\" (keyguard matches allow regexes on the secret)"));
            }
            for s in strings(a.get("stopwords")) {
                allow.push(format!("(?i){}", regex::escape(&s)));
            }
            if a.contains_key("paths") || a.contains_key("commits") {
                untranslated.push(format!("rule {id}: allowlist paths/commits (use [allowlist] paths globs or a baseline)"));
            }
        }
        let out = OutRule {
            id: id.clone(),
            name: t
                .get("description")
                .and_then(|v| v.as_str())
                .unwrap_or(&id)
                .to_string(),
            family: "custom".into(),
            severity: "high".into(),
            keywords,
            regex,
            entropy: t
                .get("entropy")
                .and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64))),
            allow,
            description: format!("Imported from gitleaks rule `{id}`."),
            tags: strings(t.get("tags")),
        };
        // Only rules keyguard can compile are written.
        let spec: crate::rules::RuleSpec = match toml::to_string(&out)
            .and_then(|s| toml::from_str(&s).map_err(|e| serde::ser::Error::custom(e.to_string())))
        {
            Ok(s) => s,
            Err(e) => {
                untranslated.push(format!("rule {id}: {e}"));
                continue;
            }
        };
        match crate::rules::compile(spec, &name) {
            Ok(_) => rules.push(out),
            Err(e) => untranslated.push(format!("rule {id}: not translated: {e}")),
        }
    }

    let mut allowlist = OutAllowlist::default();
    for a in allowlists(&doc, "allowlist", "allowlists") {
        let target = a
            .get("regexTarget")
            .and_then(|v| v.as_str())
            .unwrap_or("secret");
        if target == "secret" {
            allowlist.regexes.extend(strings(a.get("regexes")));
        } else if a.contains_key("regexes") {
            untranslated.push(format!("[allowlist] regexes with regexTarget = \"{target}\" (keyguard matches them on the secret)"));
        }
        allowlist.stopwords.extend(strings(a.get("stopwords")));
        for p in strings(a.get("paths")) {
            untranslated.push(format!("[allowlist] path regex `{p}`: keyguard's allowlist paths are globs; add the glob by hand"));
        }
        if a.contains_key("commits") {
            untranslated
                .push("[allowlist] commits: record those findings in a baseline instead".into());
        }
    }
    let n = rules.len();
    let out = OutConfig {
        rules: OutRules { extend_default },
        rule: rules,
        allowlist,
    };
    let body = toml::to_string(&out)
        .map_err(|e| Error::Usage(format!("cannot write the translated config: {e}")))?;
    let mut config = format!(
        "# Translated from {name} by `keyguard import gitleaks`. Review it: add `examples` and\n# `negative_examples` to each rule and run `keyguard rules check`.\n"
    );
    for u in &untranslated {
        config.push_str(&format!("# NOT TRANSLATED: {u}\n"));
    }
    config.push_str(&body);
    Ok(Translated {
        config,
        rules: n,
        untranslated,
    })
}
