//! Evaluate secret references against a policy.

use super::model::Policy;
use super::refs::SecretRef;
use crate::finding::Severity;
use serde::Serialize;

/// One broken policy rule.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// `policy/<check>`.
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    pub reference: SecretRef,
}

/// Check every reference; violations come out in reference order.
pub fn check(policy: &Policy, refs: &[SecretRef]) -> Vec<Violation> {
    let mut out = Vec::new();
    for r in refs {
        let mut say = |check: &str, message: String| {
            if let Some((id, sev)) = policy.severities.iter().find(|(id, _)| **id == check) {
                out.push(Violation {
                    rule_id: format!("policy/{id}"),
                    severity: *sev,
                    message,
                    reference: r.clone(),
                });
            }
        };
        // The reference's environment: where the file is, else the GitHub environment.
        let env = policy.environment_of_path(&r.path).or_else(|| {
            (r.format == "github-actions")
                .then(|| {
                    r.environment
                        .as_deref()
                        .and_then(|e| policy.environment_of_github(e))
                })
                .flatten()
        });
        let store_env = r
            .store
            .as_deref()
            .and_then(|s| policy.environment_of_store(s));
        if let (Some(env), Some(store_env)) = (env, store_env) {
            if env != store_env {
                say(
                    "env-partition",
                    format!(
                        "`{}` belongs to {env}, but reads `{}` from store `{}`, which belongs to {store_env}",
                        r.path,
                        r.name,
                        r.store.as_deref().unwrap_or_default()
                    ),
                );
            }
        }
        match r.kind {
            "literal" => say(
                "literal-secret",
                format!(
                    "`{}` holds a literal value; reference a secret store instead",
                    r.name
                ),
            ),
            "all-secrets" => say(
                "all-secrets",
                format!(
                    "{} is granted every secret; pass only the secrets it needs",
                    r.consumer.as_deref().unwrap_or("this workflow")
                ),
            ),
            _ => {}
        }
        if r.kind == "reference" {
            if let Some(re) = &policy.secret_name {
                if !re.is_match(&r.name) {
                    say(
                        "naming",
                        format!("secret name `{}` does not match `{}`", r.name, re.as_str()),
                    );
                }
            }
            if let (Some(re), Some(store)) = (&policy.store_name, &r.store) {
                match re.captures(store) {
                    None => say(
                        "naming",
                        format!("store `{store}` does not match `{}`", re.as_str()),
                    ),
                    Some(c) => {
                        if let (Some(named), Some(env)) = (c.name("env"), env) {
                            // `prod`, `stg`, `dev`… stand for their environments.
                            let named_env = super::refs::infer_environment(named.as_str())
                                .unwrap_or(named.as_str());
                            if named_env != env && named.as_str() != env {
                                say(
                                    "naming",
                                    format!(
                                        "store `{store}` is named for `{}` but used from {env}",
                                        named.as_str()
                                    ),
                                );
                            }
                        }
                    }
                }
            }
            if matches!(r.format, "azure-keyvault" | "cloudformation") && r.version.is_none() {
                say(
                    "unpinned-version",
                    format!("`{}` is read without a pinned version", r.name),
                );
            }
        }
    }
    out
}
