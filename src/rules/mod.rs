//! Rules are data: `rules/*.toml`, one file per provider family, embedded at build time.
//! This module loads and validates rule files and compiles them into a [`RuleSet`].

mod check;
mod keywords;

pub use check::{check_rules, CheckProblem};
pub(crate) use keywords::Keywords;

use crate::detect::validate::Validator;
use crate::error::Error;
use crate::finding::{Confidence, Severity};
use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;
use std::collections::HashSet;
use std::path::Path;

/// The default rule files, embedded by `build.rs` as `(file name, contents)`.
pub const DEFAULT_RULE_FILES: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/default_rules.rs"));

/// The default rule files as JSON without their examples (see `build.rs`): what scans load.
const DEFAULT_RULES_JSON: &[(&str, &str)] =
    include!(concat!(env!("OUT_DIR"), "/default_rules_json.rs"));

/// One rule file: a list of `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
}

/// A rule as written in TOML.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    pub id: String,
    pub name: String,
    pub family: String,
    pub severity: Severity,
    #[serde(default)]
    pub confidence: Confidence,
    /// Prefilter literals, matched ASCII case-insensitively. At least one, each ≥ 3 bytes.
    pub keywords: Vec<String>,
    /// The pattern. The secret is the group named `secret`, else group 1, else the match.
    pub regex: String,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    #[serde(default)]
    pub validator: Option<Validator>,
    /// Regexes tried on the secret: a hit means "not a secret" (stopwords, placeholders).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Regexes tried on the match before the secret (the key or context): a hit means "not a
    /// secret" (`hashed_secret = "…"` holds a hash).
    #[serde(default)]
    pub allow_key: Vec<String>,
    /// A second pattern that must match within `within` bytes of the first (e.g. an AWS
    /// secret key next to its access key id).
    #[serde(default)]
    pub nearby: Option<NearbySpec>,
    /// Like `nearby`, but never required: the other half of a credential pair, kept for
    /// `--verify` when it is close by (an AWS secret key's access key id).
    #[serde(default)]
    pub companion: Option<NearbySpec>,
    /// Bytes searched on each side of a keyword hit (default 1024).
    #[serde(default)]
    pub window: Option<usize>,
    /// Rules this one wins over where both match the same bytes: a provider known by its
    /// name nearby (Clerk's `sk_live_…`) over the rule for the shared shape (Stripe's).
    #[serde(default)]
    pub overrides: Vec<String>,
    /// What the secret is and why it matters.
    #[serde(default)]
    pub description: String,
    /// How to revoke and rotate it.
    #[serde(default)]
    pub remediation: String,
    #[serde(default)]
    pub references: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// Texts the rule must find.
    #[serde(default)]
    pub examples: Vec<String>,
    /// Texts the rule must not find.
    #[serde(default)]
    pub negative_examples: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NearbySpec {
    pub regex: String,
    #[serde(default = "default_nearby_within")]
    pub within: usize,
}

fn default_nearby_within() -> usize {
    300
}

const DEFAULT_WINDOW: usize = 1024;

/// A compiled rule.
#[derive(Debug)]
pub struct Rule {
    pub spec: RuleSpec,
    /// Where the rule came from: `rules/github.toml` (built in) or a user's file.
    pub source: String,
    /// The regexes, built on first use: most rules never see a keyword hit in a small scan,
    /// and compiling all of them was most of keyguard's start-up time (130 ms → 40 ms).
    compiled: std::sync::OnceLock<Compiled>,
    pub window: usize,
    /// A `generic` family rule yields to any specific rule matching the same bytes.
    pub generic: bool,
}

impl Rule {
    pub fn id(&self) -> &str {
        &self.spec.id
    }

    /// Whether [`Rule::compiled`] has run.
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }

    /// The rule's compiled regexes (on first use; every pattern was validated at load).
    pub fn compiled(&self) -> &Compiled {
        self.compiled.get_or_init(|| {
            // Allow lists are shared by whole families of rules (the generic ones hold the
            // same 24 patterns): each pattern is compiled once per process, not per rule.
            let build = shared_regex;
            let regex = build(&self.spec.regex);
            let secret_group = match regex.capture_names().position(|n| n == Some("secret")) {
                Some(i) => i,
                None if regex.captures_len() > 1 => 1,
                None => 0,
            };
            Compiled {
                regex,
                secret_group,
                allow: self.spec.allow.iter().map(|a| build(a)).collect(),
                allow_key: self.spec.allow_key.iter().map(|a| build(a)).collect(),
                nearby: self
                    .spec
                    .nearby
                    .as_ref()
                    .map(|n| (build(&n.regex), n.within)),
                companion: self
                    .spec
                    .companion
                    .as_ref()
                    .map(|n| (build(&n.regex), n.within)),
            }
        })
    }
}

/// A rule's regexes, compiled.
#[derive(Debug)]
pub struct Compiled {
    pub regex: Regex,
    /// Index of the capture group holding the secret.
    pub secret_group: usize,
    pub allow: Vec<Regex>,
    pub allow_key: Vec<Regex>,
    pub nearby: Option<(Regex, usize)>,
    pub companion: Option<(Regex, usize)>,
}

/// Every rule in use, with one prefilter over all their keywords.
#[derive(Debug)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    pub(crate) keywords: Keywords,
    /// Automaton pattern index → rules using that keyword.
    pub(crate) keyword_rules: Vec<Vec<u32>>,
    /// Rule index → the rules it overrides (`overrides`, resolved; unknown ids ignored, as a
    /// configuration may disable them).
    pub(crate) overrides: Vec<Vec<u32>>,
}

impl RuleSet {
    /// The built-in rules.
    pub fn defaults() -> Result<RuleSet, Error> {
        RuleSet::build(load_builtin()?)
    }

    /// Compile rules into a set. Duplicate ids are an error.
    pub fn build(rules: Vec<Rule>) -> Result<RuleSet, Error> {
        let mut seen = HashSet::new();
        for r in &rules {
            if !seen.insert(r.id().to_string()) {
                return Err(Error::Rule {
                    file: r.source.clone(),
                    rule: r.id().to_string(),
                    reason: "duplicate rule id".into(),
                });
            }
        }
        let mut literals: Vec<String> = Vec::new();
        let mut keyword_rules: Vec<Vec<u32>> = Vec::new();
        let mut index: std::collections::HashMap<String, usize> = Default::default();
        for (i, r) in rules.iter().enumerate() {
            for kw in &r.spec.keywords {
                let kw = kw.to_ascii_lowercase();
                match index.get(&kw) {
                    Some(&p) => keyword_rules[p].push(i as u32),
                    None => {
                        index.insert(kw.clone(), literals.len());
                        literals.push(kw);
                        keyword_rules.push(vec![i as u32]);
                    }
                }
            }
        }
        let keywords = Keywords::build(literals)?;
        let by_id: std::collections::HashMap<&str, u32> = rules
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id(), i as u32))
            .collect();
        let overrides = rules
            .iter()
            .map(|r| {
                r.spec
                    .overrides
                    .iter()
                    .filter_map(|o| by_id.get(o.as_str()).copied())
                    .collect()
            })
            .collect();
        Ok(RuleSet {
            rules,
            keywords,
            keyword_rules,
            overrides,
        })
    }

    /// Drop rules by id; unknown ids are returned so the caller can report them.
    pub fn without(self, disabled: &[String]) -> Result<(RuleSet, Vec<String>), Error> {
        let unknown: Vec<String> = disabled
            .iter()
            .filter(|d| !self.rules.iter().any(|r| r.id() == d.as_str()))
            .cloned()
            .collect();
        let rules = self
            .rules
            .into_iter()
            .filter(|r| !disabled.iter().any(|d| d == r.id()))
            .collect();
        Ok((RuleSet::build(rules)?, unknown))
    }

    pub fn get(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id() == id)
    }
}

/// The built-in rules as a scan needs them: from the embedded JSON, without examples and
/// without re-validating their patterns (the test suite compiles and checks every one;
/// `keyguard rules check` does the same from the TOML).
pub fn load_builtin() -> Result<Vec<Rule>, Error> {
    if DEFAULT_RULES_JSON.len() != DEFAULT_RULE_FILES.len() {
        // A built-in file did not parse at build time: report it from the TOML.
        return load_defaults();
    }
    let mut out = Vec::new();
    for (name, json) in DEFAULT_RULES_JSON {
        let source = format!("rules/{name}");
        let file: RuleFile = serde_json::from_str(json).map_err(|e| Error::Rule {
            file: source.clone(),
            rule: "*".into(),
            reason: format!("embedded rules do not load: {e}"),
        })?;
        for spec in file.rule {
            out.push(rule(spec, &source));
        }
    }
    Ok(out)
}

/// Load and validate the embedded default rules, examples included (`rules check`).
pub fn load_defaults() -> Result<Vec<Rule>, Error> {
    let mut out = Vec::new();
    for (name, text) in DEFAULT_RULE_FILES {
        let source = format!("rules/{name}");
        let file: RuleFile = toml::from_str(text).map_err(|e| Error::toml(&source, text, &e))?;
        for spec in file.rule {
            // Built-in rules compile on first use; the test suite compiles every one.
            out.push(prepare(spec, &source)?);
        }
    }
    Ok(out)
}

/// Read, parse and compile a user's rule file.
pub fn load_rule_file(path: &Path) -> Result<Vec<Rule>, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    parse_rule_file(&path.display().to_string(), &text)
}

/// Parse and compile rule-file text; `source` names the file in errors.
pub fn parse_rule_file(source: &str, text: &str) -> Result<Vec<Rule>, Error> {
    let file: RuleFile = toml::from_str(text).map_err(|e| Error::toml(source, text, &e))?;
    file.rule
        .into_iter()
        .map(|spec| compile(spec, source))
        .collect()
}

/// Validate and compile one rule (a user's rule: compiled now, so a pattern that is valid
/// but too large is reported at load, naming the file and rule, rather than mid-scan).
pub fn compile(spec: RuleSpec, source: &str) -> Result<Rule, Error> {
    let rule = prepare(spec, source)?;
    let fail = |reason: String| Error::Rule {
        file: source.to_string(),
        rule: rule.spec.id.clone(),
        reason,
    };
    for p in std::iter::once(&rule.spec.regex)
        .chain(&rule.spec.allow)
        .chain(&rule.spec.allow_key)
        .chain(rule.spec.nearby.as_ref().map(|n| &n.regex))
        .chain(rule.spec.companion.as_ref().map(|n| &n.regex))
    {
        build_regex(p).map_err(|e| fail(format!("regex `{p}` cannot be compiled: {e}")))?;
    }
    Ok(rule)
}

/// Validate one rule; its regexes are compiled on first use.
fn prepare(spec: RuleSpec, source: &str) -> Result<Rule, Error> {
    let fail = |reason: String| Error::Rule {
        file: source.to_string(),
        rule: spec.id.clone(),
        reason,
    };
    if spec.id.is_empty()
        || !spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'/')
    {
        return Err(fail(
            "rule id must be non-empty lowercase ASCII letters, digits and `-`".into(),
        ));
    }
    if spec.keywords.is_empty() {
        return Err(fail(
            "a rule needs at least one keyword (the prefilter that keeps scans fast)".into(),
        ));
    }
    if let Some(kw) = spec.keywords.iter().find(|k| k.len() < 3) {
        return Err(fail(format!("keyword `{kw}` is shorter than 3 bytes")));
    }
    validate_regex(&spec.regex).map_err(|e| fail(format!("invalid regex: {e}")))?;
    for a in &spec.allow {
        validate_regex(a).map_err(|e| fail(format!("invalid allow regex `{a}`: {e}")))?;
    }
    for a in &spec.allow_key {
        validate_regex(a).map_err(|e| fail(format!("invalid allow_key regex `{a}`: {e}")))?;
    }
    if let Some(n) = &spec.nearby {
        validate_regex(&n.regex).map_err(|e| fail(format!("invalid nearby regex: {e}")))?;
    }
    if let Some(n) = &spec.companion {
        validate_regex(&n.regex).map_err(|e| fail(format!("invalid companion regex: {e}")))?;
    }
    if let Some(e) = spec.entropy {
        if !(0.0..=8.0).contains(&e) {
            return Err(fail(format!(
                "entropy {e} is outside 0.0..=8.0 bits per byte"
            )));
        }
    }
    Ok(rule(spec, source))
}

fn rule(spec: RuleSpec, source: &str) -> Rule {
    Rule {
        // `jwt` is a format, not a provider: a provider's rule for the same JWT wins.
        generic: matches!(spec.family.as_str(), "generic" | "jwt"),
        source: source.to_string(),
        compiled: std::sync::OnceLock::new(),
        window: spec.window.unwrap_or(DEFAULT_WINDOW),
        spec,
    }
}

/// Check a pattern's syntax as [`build_regex`] would accept it, without compiling it.
pub fn validate_regex(pattern: &str) -> Result<(), String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// A compiled regex shared by every rule that uses the same pattern (a clone shares the
/// compiled program). The lock is not held while compiling.
fn shared_regex(pattern: &str) -> Regex {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Regex>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(r) = lock().get(pattern) {
        return r.clone();
    }
    let r = build_regex(pattern).expect("validated when the rule was loaded");
    lock().insert(pattern.to_string(), r.clone());
    r
}

/// Rules match bytes: Unicode classes off (measured 50x faster), bounded compiled size.
pub fn build_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern)
        .unicode(false)
        .size_limit(32 * (1 << 20))
        .dfa_size_limit(16 * (1 << 20))
        .build()
}
