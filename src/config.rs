//! The repository's `.keyguard.toml`: extend or replace the default rules, disable rules,
//! add custom rules in the rule-file format, allowlists, scan limits and the failing
//! severity. Unknown keys are errors, reported with the offending line.

use crate::error::Error;
use crate::finding::Severity;
use crate::rules::{self, Rule, RuleSet, RuleSpec};
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::Regex;
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name looked for at the scan root.
pub const CONFIG_FILE: &str = ".keyguard.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    rules: RawRules,
    #[serde(default)]
    rule: Vec<RuleSpec>,
    #[serde(default)]
    allowlist: RawAllowlist,
    #[serde(default)]
    scan: RawScan,
    #[serde(default)]
    policy: RawPolicyFiles,
    #[serde(default)]
    expand: RawExpand,
    #[serde(default)]
    verify: RawVerify,
}

/// `[verify]`: which hosts `--verify` may send credentials to, and whether it may run in
/// a pre-commit hook (`--staged`), which needs this file and the flag both.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawVerify {
    #[serde(default)]
    hosts: Vec<String>,
    #[serde(default)]
    allow_in_hooks: bool,
}

/// `[expand]`: how far archives, compressed files and encoded text are opened, and the
/// limits against decompression bombs.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpand {
    archives: Option<bool>,
    max_archive_depth: Option<u32>,
    max_decode_depth: Option<u32>,
    max_expanded_bytes: Option<u64>,
    max_ratio: Option<u64>,
    max_members: Option<u64>,
}

/// `[policy] files = [...]`: policies `keyguard scan` also checks.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicyFiles {
    #[serde(default)]
    files: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    #[serde(default = "yes")]
    extend_default: bool,
    #[serde(default)]
    disable: Vec<Spanned<String>>,
    #[serde(default)]
    files: Vec<Spanned<String>>,
}

impl Default for RawRules {
    fn default() -> Self {
        RawRules {
            extend_default: true,
            disable: Vec::new(),
            files: Vec::new(),
        }
    }
}

fn yes() -> bool {
    true
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllowlist {
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    regexes: Vec<Spanned<String>>,
    #[serde(default)]
    stopwords: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScan {
    fail_on: Option<Severity>,
    max_file_size: Option<u64>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
}

/// A validated configuration.
#[derive(Debug)]
pub struct Config {
    /// The file it came from, if any.
    pub path: Option<PathBuf>,
    pub rules: RuleSet,
    pub allowlist: Allowlist,
    pub fail_on: Option<Severity>,
    pub max_file_size: Option<u64>,
    /// Globs excluded from the walk (allowlisted paths included).
    pub exclude: Vec<String>,
    /// The configuration file and the rule files it names: never scanned themselves, as
    /// their rule examples are secret-shaped by design.
    pub own_files: Vec<PathBuf>,
    /// Policy files named in `[policy] files`, which `keyguard scan` checks too.
    pub policies: Vec<PathBuf>,
    /// `[expand]` limits (the command line overrides them).
    pub expand: crate::expand::Limits,
    /// `[expand] archives`, when the file says (the default depends on the mode).
    pub archives: Option<bool>,
    /// `[verify] hosts`: the only hosts `--verify` sends to (empty: every provider's).
    pub verify_hosts: Vec<String>,
    /// `[verify] allow-in-hooks`: `--verify` may run with `--staged`.
    pub verify_in_hooks: bool,
}

/// Findings matching these are suppressed.
#[derive(Debug, Default)]
pub struct Allowlist {
    pub paths: Option<GlobSet>,
    pub regexes: Vec<Regex>,
    /// Lowercase substrings of the secret.
    pub stopwords: Vec<String>,
}

impl Config {
    /// Defaults only: built-in rules, no allowlists.
    pub fn defaults() -> Result<Config, Error> {
        Ok(Config {
            path: None,
            rules: RuleSet::defaults()?,
            allowlist: Allowlist::default(),
            fail_on: None,
            max_file_size: None,
            exclude: Vec::new(),
            own_files: Vec::new(),
            policies: Vec::new(),
            expand: crate::expand::Limits::default(),
            archives: None,
            verify_hosts: Vec::new(),
            verify_in_hooks: false,
        })
    }

    /// Load `explicit` if given, else `<root>/.keyguard.toml` if it exists, else defaults.
    pub fn discover(root: &Path, explicit: Option<&Path>) -> Result<Config, Error> {
        match explicit {
            Some(p) => Config::load(p),
            None => {
                let candidate = root.join(CONFIG_FILE);
                if root.is_dir() && candidate.is_file() {
                    Config::load(&candidate)
                } else {
                    Config::defaults()
                }
            }
        }
    }

    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        Config::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Config, Error> {
        let name = path.display().to_string();
        let raw: RawConfig = toml::from_str(text).map_err(|e| Error::toml(&name, text, &e))?;
        let at = |s: std::ops::Range<usize>, reason: String| {
            Error::config(&name, reason, Some(text), Some(s))
        };
        let base = path.parent().unwrap_or(Path::new("."));

        let mut rules: Vec<Rule> = if raw.rules.extend_default {
            rules::load_builtin()?
        } else {
            Vec::new()
        };
        let mut own_files = vec![path.to_path_buf()];
        for f in &raw.rules.files {
            let p = base.join(f.get_ref());
            own_files.push(p.clone());
            if !p.is_file() {
                return Err(at(
                    f.span(),
                    format!("rule file `{}` not found", p.display()),
                ));
            }
            rules.extend(rules::load_rule_file(&p)?);
        }
        let mut policies = Vec::new();
        for f in &raw.policy.files {
            let p = base.join(f.get_ref());
            if !p.is_file() {
                return Err(at(
                    f.span(),
                    format!("policy file `{}` not found", p.display()),
                ));
            }
            policies.push(p);
        }
        for spec in raw.rule {
            rules.push(rules::compile(spec, &name)?);
        }
        for d in &raw.rules.disable {
            if !rules.iter().any(|r| r.id() == d.get_ref()) {
                return Err(at(
                    d.span(),
                    format!("unknown rule id `{}` in `disable`", d.get_ref()),
                ));
            }
        }
        rules.retain(|r| !raw.rules.disable.iter().any(|d| d.get_ref() == r.id()));
        let rules = RuleSet::build(rules)?;

        let mut globs = GlobSetBuilder::new();
        for p in &raw.allowlist.paths {
            globs.add(
                Glob::new(p.get_ref()).map_err(|e| at(p.span(), format!("invalid glob: {e}")))?,
            );
        }
        let regexes = raw
            .allowlist
            .regexes
            .iter()
            .map(|r| {
                rules::build_regex(r.get_ref())
                    .map_err(|e| at(r.span(), format!("invalid regex: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for g in &raw.scan.exclude {
            Glob::new(g.get_ref()).map_err(|e| at(g.span(), format!("invalid glob: {e}")))?;
        }
        let exclude = raw
            .scan
            .exclude
            .iter()
            .chain(&raw.allowlist.paths)
            .map(|g| g.get_ref().clone())
            .collect();
        Ok(Config {
            path: Some(path.to_path_buf()),
            rules,
            allowlist: Allowlist {
                paths: if raw.allowlist.paths.is_empty() {
                    None
                } else {
                    Some(
                        globs
                            .build()
                            .map_err(|e| Error::config(&name, e.to_string(), None, None))?,
                    )
                },
                regexes,
                stopwords: raw
                    .allowlist
                    .stopwords
                    .iter()
                    .map(|s| s.to_lowercase())
                    .collect(),
            },
            fail_on: raw.scan.fail_on,
            max_file_size: raw.scan.max_file_size,
            exclude,
            own_files,
            policies,
            expand: {
                let d = crate::expand::Limits::default();
                let e = &raw.expand;
                crate::expand::Limits {
                    archives: e.archives.unwrap_or(d.archives),
                    max_archive_depth: e.max_archive_depth.unwrap_or(d.max_archive_depth),
                    max_decode_depth: e.max_decode_depth.unwrap_or(d.max_decode_depth),
                    max_expanded_bytes: e.max_expanded_bytes.unwrap_or(d.max_expanded_bytes),
                    max_ratio: e.max_ratio.unwrap_or(d.max_ratio),
                    max_members: e.max_members.unwrap_or(d.max_members),
                }
            },
            archives: raw.expand.archives,
            verify_hosts: raw.verify.hosts,
            verify_in_hooks: raw.verify.allow_in_hooks,
        })
    }
}
