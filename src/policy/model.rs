//! The policy file format (TOML): environments, naming patterns and a severity per check.
//! `policies/example.toml` is the commented example users copy.

use crate::error::Error;
use crate::finding::Severity;
use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::Regex;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default, rename = "environment")]
    environments: Vec<RawEnvironment>,
    #[serde(default)]
    naming: RawNaming,
    #[serde(default)]
    checks: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEnvironment {
    name: String,
    /// Globs of files that belong to the environment.
    #[serde(default)]
    paths: Vec<String>,
    /// GitHub Actions `environment:` names that belong to it.
    #[serde(default)]
    github_environments: Vec<String>,
    /// Globs of stores (vaults, key vaults, accounts) that belong to it.
    #[serde(default)]
    stores: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNaming {
    /// Regex every secret name must match.
    secret: Option<String>,
    /// Regex every store name must match; a named group `env` must equal the environment.
    store: Option<String>,
}

/// One environment of a validated policy.
#[derive(Debug)]
pub struct Environment {
    pub name: String,
    pub paths: GlobSet,
    pub github_environments: Vec<String>,
    pub stores: GlobSet,
}

/// The checks a policy can run, with their default severity (`None` = off).
pub const CHECKS: &[(&str, Option<Severity>, &str)] = &[
    (
        "env-partition",
        Some(Severity::High),
        "a reference from one environment reads a store of another",
    ),
    (
        "literal-secret",
        Some(Severity::High),
        "a secret value is written where a reference belongs",
    ),
    (
        "all-secrets",
        Some(Severity::Medium),
        "a consumer is granted every secret (`secrets: inherit`, `toJSON(secrets)`)",
    ),
    (
        "naming",
        Some(Severity::Low),
        "a secret or store name breaks the naming pattern",
    ),
    (
        "unpinned-version",
        None,
        "a reference to a versioned store does not pin a version",
    ),
];

/// A validated policy.
#[derive(Debug)]
pub struct Policy {
    pub file: String,
    pub environments: Vec<Environment>,
    pub secret_name: Option<Regex>,
    pub store_name: Option<Regex>,
    /// Check id → severity (absent = off).
    pub severities: BTreeMap<&'static str, Severity>,
}

impl Policy {
    pub fn load(path: &Path) -> Result<Policy, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        Policy::parse(&path.display().to_string(), &text)
    }

    pub fn parse(file: &str, text: &str) -> Result<Policy, Error> {
        let raw: RawPolicy = toml::from_str(text).map_err(|e| Error::toml(file, text, &e))?;
        let bad = |reason: String| Error::config(file, reason, None, None);
        let globs = |list: &[String], what: &str| -> Result<GlobSet, Error> {
            let mut b = GlobSetBuilder::new();
            for g in list {
                b.add(Glob::new(g).map_err(|e| bad(format!("{what} glob `{g}`: {e}")))?);
            }
            b.build().map_err(|e| bad(e.to_string()))
        };
        let mut environments = Vec::new();
        for e in &raw.environments {
            environments.push(Environment {
                name: e.name.clone(),
                paths: globs(&e.paths, "paths")?,
                github_environments: e.github_environments.clone(),
                stores: globs(&e.stores, "stores")?,
            });
        }
        let re = |p: &Option<String>, what: &str| -> Result<Option<Regex>, Error> {
            p.as_ref()
                .map(|p| {
                    Regex::new(p).map_err(|e| bad(format!("naming.{what}: invalid regex: {e}")))
                })
                .transpose()
        };
        let mut severities = BTreeMap::new();
        for (id, default, _) in CHECKS {
            if let Some(s) = default {
                severities.insert(*id, *s);
            }
        }
        for (k, v) in &raw.checks {
            let Some((id, _, _)) = CHECKS.iter().find(|(id, _, _)| id == k) else {
                let known: Vec<&str> = CHECKS.iter().map(|c| c.0).collect();
                return Err(bad(format!(
                    "unknown check `{k}` in [checks] (known: {})",
                    known.join(", ")
                )));
            };
            if v == "off" {
                severities.remove(id);
            } else {
                let sev: Severity = v
                    .parse()
                    .map_err(|e: String| bad(format!("[checks] {k}: {e} or off")))?;
                severities.insert(id, sev);
            }
        }
        Ok(Policy {
            file: file.to_string(),
            environments,
            secret_name: re(&raw.naming.secret, "secret")?,
            store_name: re(&raw.naming.store, "store")?,
            severities,
        })
    }

    /// The environment a file belongs to (first match in policy order).
    pub fn environment_of_path(&self, path: &str) -> Option<&str> {
        self.environments
            .iter()
            .find(|e| e.paths.is_match(path))
            .map(|e| e.name.as_str())
    }

    /// The environment a GitHub `environment:` name belongs to.
    pub fn environment_of_github(&self, name: &str) -> Option<&str> {
        self.environments
            .iter()
            .find(|e| e.github_environments.iter().any(|g| g == name))
            .map(|e| e.name.as_str())
    }

    /// The environment a store belongs to.
    pub fn environment_of_store(&self, store: &str) -> Option<&str> {
        self.environments
            .iter()
            .find(|e| e.stores.is_match(store))
            .map(|e| e.name.as_str())
    }
}
