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
    #[serde(default)]
    lifecycle: RawLifecycle,
    #[serde(default)]
    access: Vec<RawAccess>,
    #[serde(default)]
    inventory: RawInventory,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLifecycle {
    /// Longest validity (expiry minus not-before, or minus today) allowed, in days.
    #[serde(default = "d365")]
    max_validity_days: u32,
    /// Expiring within this many days is a warning (`expiring-soon`, `certificate-expiring`).
    #[serde(default = "d30")]
    warn_days: u32,
    /// Longest rotation period allowed, in days.
    #[serde(default = "d90")]
    max_rotation_days: u32,
    /// Shortest soft-delete retention accepted for a vault, in days.
    #[serde(default = "d7")]
    min_soft_delete_days: u32,
}

fn d365() -> u32 {
    365
}
fn d30() -> u32 {
    30
}
fn d90() -> u32 {
    90
}
fn d7() -> u32 {
    7
}

impl Default for RawLifecycle {
    fn default() -> Self {
        RawLifecycle {
            max_validity_days: d365(),
            warn_days: d30(),
            max_rotation_days: d90(),
            min_soft_delete_days: d7(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccess {
    /// Glob on the consumer (`production/payments-*`, a workflow job, a service).
    consumer: String,
    /// Globs on the secret names it may read.
    secrets: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawInventory {
    /// Environments whose references must pin a version (`unpinned-version`).
    #[serde(default)]
    pin_versions_in: Vec<String>,
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
    /// Globs of Kubernetes namespaces that belong to it.
    #[serde(default)]
    namespaces: Vec<String>,
    /// A protected environment (default: true for `production`/`prod`): files that belong
    /// to no environment may not read its stores.
    protected: Option<bool>,
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
    pub namespaces: GlobSet,
    pub protected: bool,
}

/// Lifecycle limits, in days.
#[derive(Debug, Clone, Copy)]
pub struct Lifecycle {
    pub max_validity_days: u32,
    pub warn_days: u32,
    pub max_rotation_days: u32,
    pub min_soft_delete_days: u32,
}

/// Which secrets a consumer may read.
#[derive(Debug)]
pub struct Access {
    pub consumer: globset::GlobMatcher,
    pub consumer_glob: String,
    pub secrets: GlobSet,
    pub secret_globs: Vec<String>,
}

/// The checks a policy can run, with their default severity (`None` = off) and what they
/// find. Ids are stable: reports show them as `policy/<id>`.
pub const CHECKS: &[(&str, Option<Severity>, &str)] = &[
    ("env-partition", Some(Severity::High), "a reference from one environment reads a store of another, or a file outside every environment reads a protected one"),
    ("naming", Some(Severity::Low), "a secret or store name breaks the naming pattern, or its environment segment disagrees with where it is used"),
    ("least-privilege", Some(Severity::High), "a consumer reads a secret its access rule or the manifest does not allow"),
    ("wildcard-grant", Some(Severity::Medium), "a consumer is granted every secret of a store (`secrets: inherit`, `toJSON(secrets)`, `*` resources or actions, `dataFrom.find` of everything, every Key Vault permission)"),
    ("purge-grant", Some(Severity::Medium), "a consumer may purge secrets (permanent deletion that bypasses soft delete)"),
    ("plaintext-secret", Some(Severity::High), "a credential is written in configuration where the format offers a reference"),
    ("missing-expiry", Some(Severity::Medium), "a secret that can carry an expiry date has none"),
    ("validity-too-long", Some(Severity::Medium), "a secret is valid for longer than the policy's maximum"),
    ("expiring-soon", Some(Severity::Medium), "a secret expires within the warning window"),
    ("expired", Some(Severity::High), "a secret's expiry date has passed"),
    ("missing-owner", Some(Severity::Low), "a declared secret names no owner"),
    ("missing-rotation", Some(Severity::Low), "a secret that can rotate declares no rotation period"),
    ("rotation-too-long", Some(Severity::Medium), "a secret's rotation period is longer than the policy's maximum"),
    ("missing-content-type", Some(Severity::Low), "a secret that can carry a content type has none"),
    ("no-purge-protection", Some(Severity::Medium), "a vault can be purged: its deleted secrets are lost for good"),
    ("no-soft-delete", Some(Severity::Medium), "a vault keeps deleted secrets for fewer days than the policy's minimum, or not at all"),
    ("certificate-expired", Some(Severity::High), "an X.509 certificate in the repository or the manifest has expired"),
    ("certificate-expiring", Some(Severity::Medium), "an X.509 certificate expires within the warning window"),
    ("insecure-transport", Some(Severity::High), "a secret store is reached over plain http"),
    ("undeclared-secret", Some(Severity::Medium), "a reference names a secret the manifest does not declare (or a `[vault(name)]` setting that no .vault-config manifest declares)"),
    ("orphaned-secret", Some(Severity::Low), "the manifest declares a secret nothing references"),
    ("unpinned-version", Some(Severity::Medium), "a reference in an environment that must pin versions does not pin one"),
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
    pub lifecycle: Lifecycle,
    pub access: Vec<Access>,
    pub pin_versions_in: Vec<String>,
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
                namespaces: globs(&e.namespaces, "namespaces")?,
                protected: e
                    .protected
                    .unwrap_or(matches!(e.name.as_str(), "production" | "prod")),
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
        let mut access = Vec::new();
        for a in &raw.access {
            access.push(Access {
                consumer: Glob::new(&a.consumer)
                    .map_err(|e| bad(format!("access consumer glob `{}`: {e}", a.consumer)))?
                    .compile_matcher(),
                consumer_glob: a.consumer.clone(),
                secrets: globs(&a.secrets, "access secrets")?,
                secret_globs: a.secrets.clone(),
            });
        }
        for env in &raw.inventory.pin_versions_in {
            if !raw.environments.iter().any(|e| &e.name == env) {
                return Err(bad(format!(
                    "inventory.pin-versions-in names `{env}`, which is not an [[environment]]"
                )));
            }
        }
        let l = &raw.lifecycle;
        Ok(Policy {
            lifecycle: Lifecycle {
                max_validity_days: l.max_validity_days,
                warn_days: l.warn_days,
                max_rotation_days: l.max_rotation_days,
                min_soft_delete_days: l.min_soft_delete_days,
            },
            access,
            pin_versions_in: raw.inventory.pin_versions_in.clone(),
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

    /// The environment a Kubernetes namespace belongs to.
    pub fn environment_of_namespace(&self, ns: &str) -> Option<&str> {
        self.environments
            .iter()
            .find(|e| e.namespaces.is_match(ns))
            .map(|e| e.name.as_str())
    }

    pub fn is_protected(&self, env: &str) -> bool {
        self.environments
            .iter()
            .any(|e| e.name == env && e.protected)
    }

    /// The environment a store belongs to.
    pub fn environment_of_store(&self, store: &str) -> Option<&str> {
        self.environments
            .iter()
            .find(|e| e.stores.is_match(store))
            .map(|e| e.name.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::CHECKS;

    #[test]
    fn every_check_is_documented_and_ids_are_unique() {
        let doc = include_str!("../../docs/policy.md");
        let mut seen = std::collections::BTreeSet::new();
        for (id, _, _) in CHECKS {
            assert!(seen.insert(id), "duplicate check id {id}");
            assert!(
                doc.contains(&format!("`{id}`")),
                "docs/policy.md does not describe `{id}`"
            );
        }
    }
}
