//! `keyguard policy init`: a starter policy inferred from what the extractors found —
//! environments from directory names, namespaces, GitHub environments and store names;
//! today's consumers and the secrets they read as access rules — for the user to edit.

use super::facts::Facts;
use super::model::CHECKS;
use super::refs::infer_environment;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

#[derive(Default)]
struct Env {
    paths: BTreeSet<String>,
    stores: BTreeSet<String>,
    namespaces: BTreeSet<String>,
    github: BTreeSet<String>,
}

/// The policy text (TOML, commented).
pub fn starter(facts: &Facts) -> String {
    let mut envs: BTreeMap<String, Env> = BTreeMap::new();
    let note_path = |path: &str, env: &str, envs: &mut BTreeMap<String, Env>| {
        // The directory component that names the environment: `deploy/prod/x` → `**/prod/**`.
        let dirs: Vec<&str> = path.split('/').collect();
        for d in &dirs[..dirs.len().saturating_sub(1)] {
            if infer_environment(d) == Some(env) {
                envs.entry(env.to_string())
                    .or_default()
                    .paths
                    .insert(format!("**/{d}/**"));
            }
        }
    };
    for r in &facts.refs {
        let Some(env) = r.environment.as_deref() else {
            continue;
        };
        note_path(&r.path, env, &mut envs);
        let e = envs.entry(env.to_string()).or_default();
        if let Some(s) = &r.store {
            if infer_environment(s) == Some(env) {
                e.stores.insert(s.clone());
            }
        }
        if r.format == "github-actions" {
            e.github.insert(env.to_string());
        }
        if let Some((ns, _)) = r.consumer.as_deref().and_then(|c| c.split_once('/')) {
            if infer_environment(ns) == Some(env) {
                e.namespaces.insert(ns.to_string());
            }
        }
    }
    for s in &facts.stores {
        if let Some(env) = s
            .environment
            .as_deref()
            .or_else(|| infer_environment(&s.name))
        {
            envs.entry(env.to_string())
                .or_default()
                .stores
                .insert(s.name.clone());
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Starter policy written by `keyguard policy init` from {} references, {} declared\n# secrets and {} stores. Review every line: environments below are guesses from names.\n# Run it with `keyguard policy --policy <this file>`; see policies/example.toml.\n",
        facts.refs.len(),
        facts.secrets.len(),
        facts.stores.len()
    );
    if envs.is_empty() {
        out.push_str("# No environment could be inferred; describe yours:\n# [[environment]]\n# name = \"production\"\n# paths = [\"**/prod/**\"]\n# stores = [\"kv-prod-*\"]\n\n");
    }
    let list = |set: &BTreeSet<String>| {
        set.iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for (name, e) in &envs {
        let _ = writeln!(out, "[[environment]]\nname = {name:?}");
        let _ = writeln!(out, "paths = [{}]", list(&e.paths));
        let _ = writeln!(out, "stores = [{}]", list(&e.stores));
        if !e.namespaces.is_empty() {
            let _ = writeln!(out, "namespaces = [{}]", list(&e.namespaces));
        }
        if !e.github.is_empty() {
            let _ = writeln!(out, "github_environments = [{}]", list(&e.github));
        }
        out.push('\n');
    }
    out.push_str("# Naming patterns (regexes); a named group `env` in `store` must agree with the\n# environment that uses the store.\n[naming]\n# secret = '^[a-z0-9-]+$'\n# store = '^kv-(?P<env>prod|stg|dev)-[a-z0-9-]+$'\n\n");
    out.push_str("[lifecycle]\nmax-validity-days = 365\nwarn-days = 30\nmax-rotation-days = 90\nmin-soft-delete-days = 7\n\n");
    // Today's consumers and what they read: tighten these, they become the allow list.
    let mut access: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for r in facts
        .refs
        .iter()
        .filter(|r| r.kind == "reference" && !r.name.is_empty())
    {
        if let Some(c) = r.consumer.as_deref() {
            access.entry(c).or_default().insert(&r.name);
        }
    }
    if !access.is_empty() {
        out.push_str("# Access: each consumer and the secrets it reads today. A consumer matched by a rule\n# may read only the secrets listed (globs).\n");
        for (consumer, secrets) in access.iter().take(200) {
            let _ = writeln!(
                out,
                "[[access]]\nconsumer = {consumer:?}\nsecrets = [{}]\n",
                secrets
                    .iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    out.push_str("# Severity per check: info, low, medium, high, critical, or \"off\". Defaults shown.\n[checks]\n");
    for (id, sev, what) in CHECKS {
        let sev = sev.map_or("off".to_string(), |s| s.to_string());
        let _ = writeln!(out, "# {what}\n{id} = {sev:?}");
    }
    out
}
