//! Evaluate what the extractors found ([`Facts`]) against a policy. Each check has a stable
//! id (`model::CHECKS`); a violation says what is wrong and what to change.

use super::facts::{Facts, Grant, Place, SecretDecl};
use super::model::Policy;
use super::refs::SecretRef;
use crate::finding::Severity;
use jiff::civil::Date;
use serde::Serialize;

/// One broken policy rule.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// `policy/<check>`.
    pub rule_id: String,
    pub severity: Severity,
    pub message: String,
    #[serde(flatten)]
    pub place: Place,
    /// What the violation is about (store, secret, grant), stable across line moves: the
    /// fingerprint hashes it.
    #[serde(skip)]
    pub subject: String,
    /// For `plaintext-secret`: the credential, so reports can redact it. Never serialised.
    #[serde(skip)]
    pub literal: Option<String>,
}

/// Decides whether a literal value holds a credential (the secret detector, passed in so
/// the policy does not grow a second detector).
/// It gets the variable's name and its value: generic rules need a secret-sounding name,
/// vendor token rules fire on the value alone.
pub type Detector<'a> = &'a dyn Fn(&str, &str) -> bool;

struct Out<'p> {
    policy: &'p Policy,
    list: Vec<Violation>,
}

impl Out<'_> {
    fn say(&mut self, check: &str, place: &Place, subject: String, message: String) {
        self.say_literal(check, place, subject, message, None);
    }

    fn say_literal(
        &mut self,
        check: &str,
        place: &Place,
        subject: String,
        message: String,
        literal: Option<String>,
    ) {
        if let Some((id, sev)) = self.policy.severities.iter().find(|(id, _)| **id == check) {
            self.list.push(Violation {
                rule_id: format!("policy/{id}"),
                severity: *sev,
                message,
                place: place.clone(),
                subject,
                literal,
            });
        }
    }
}

fn ref_place(r: &SecretRef) -> Place {
    Place {
        path: r.path.clone(),
        line: r.line,
        column: r.column,
    }
}

fn subject(r: &SecretRef) -> String {
    format!(
        "{}|{}|{}",
        r.store.as_deref().unwrap_or(""),
        r.name,
        r.consumer.as_deref().unwrap_or("")
    )
}

/// Check everything found; violations come out sorted by place and rule.
pub fn check(policy: &Policy, facts: &Facts, today: Date, detect: Detector) -> Vec<Violation> {
    let mut out = Out {
        policy,
        list: Vec::new(),
    };
    for r in &facts.refs {
        check_ref(&mut out, r, detect);
    }
    check_inventory(&mut out, facts);
    for d in &facts.secrets {
        check_lifecycle(&mut out, d, today);
        if let Some(re) = &policy.secret_name {
            if !d.inventory && !re.is_match(&d.name) {
                out.say(
                    "naming",
                    &d.place,
                    d.name.clone(),
                    format!(
                        "secret name `{}` does not match `{}`; rename it",
                        d.name,
                        re.as_str()
                    ),
                );
            }
        }
    }
    for s in &facts.stores {
        let subject = format!("{}|{}", s.kind, s.name);
        if s.purge_protection == Some(false) {
            out.say(
                "no-purge-protection",
                &s.place,
                subject.clone(),
                format!(
                    "vault `{}` has no purge protection: a deleted secret can be purged for good; enable it",
                    s.name
                ),
            );
        }
        match s.soft_delete_days {
            Some(0) => out.say(
                "no-soft-delete",
                &s.place,
                subject.clone(),
                format!("vault `{}` has soft delete disabled; enable it", s.name),
            ),
            Some(d) if d < policy.lifecycle.min_soft_delete_days => out.say(
                "no-soft-delete",
                &s.place,
                subject.clone(),
                format!(
                    "vault `{}` keeps deleted secrets for {d} days; the policy asks for at least {}",
                    s.name, policy.lifecycle.min_soft_delete_days
                ),
            ),
            _ => {}
        }
        if let Some(url) = &s.endpoint {
            if url.trim().to_ascii_lowercase().starts_with("http://") {
                out.say(
                    "insecure-transport",
                    &s.place,
                    subject.clone(),
                    format!(
                        "secrets are fetched from `{url}` over plain http; use https so they are encrypted in transit"
                    ),
                );
            }
        }
    }
    for g in &facts.grants {
        check_grant(&mut out, g);
    }
    for c in &facts.certificates {
        if let Some(date) = parse_date(&c.not_after) {
            let left = (date - today).get_days();
            let subject = format!("{}|{}", c.subject, c.not_after);
            if left < 0 {
                out.say(
                    "certificate-expired",
                    &c.place,
                    subject,
                    format!(
                        "certificate `{}` expired on {date}; renew it and remove the old one",
                        c.subject
                    ),
                );
            } else if left <= i32::try_from(policy.lifecycle.warn_days).unwrap_or(i32::MAX) {
                out.say(
                    "certificate-expiring",
                    &c.place,
                    subject,
                    format!(
                        "certificate `{}` expires on {date}, in {left} days; renew it",
                        c.subject
                    ),
                );
            }
        }
    }
    out.list
        .sort_by(|a, b| (&a.place, &a.rule_id).cmp(&(&b.place, &b.rule_id)));
    out.list
}

/// The environment of the file or workload a reference is written in.
fn ref_environment<'a>(policy: &'a Policy, r: &SecretRef) -> Option<&'a str> {
    policy
        .environment_of_path(&r.path)
        .or_else(|| {
            (r.format == "github-actions")
                .then(|| {
                    r.environment
                        .as_deref()
                        .and_then(|e| policy.environment_of_github(e))
                })
                .flatten()
        })
        .or_else(|| {
            // Kubernetes consumers are `<namespace>/<name>`.
            r.consumer
                .as_deref()
                .and_then(|c| c.split_once('/'))
                .and_then(|(ns, _)| policy.environment_of_namespace(ns))
        })
}

fn check_ref(out: &mut Out, r: &SecretRef, detect: Detector) {
    let policy = out.policy;
    let place = ref_place(r);
    let env = ref_environment(policy, r);
    let store_env = r
        .store
        .as_deref()
        .and_then(|s| policy.environment_of_store(s));
    let store = r.store.as_deref().unwrap_or_default();
    match (env, store_env) {
        (Some(env), Some(store_env)) if env != store_env => out.say(
            "env-partition",
            &place,
            subject(r),
            format!(
                "`{}` belongs to {env}, but reads `{}` from store `{store}`, which belongs to {store_env}; use the {env} store",
                r.path, r.name
            ),
        ),
        (None, Some(store_env)) if policy.is_protected(store_env) && r.kind == "reference" => {
            out.say(
                "env-partition",
                &place,
                subject(r),
                format!(
                    "`{}` belongs to no environment but reads `{}` from `{store}`, a {store_env} store; move the file under a {store_env} path or read a non-{store_env} store",
                    r.path, r.name
                ),
            )
        }
        _ => {}
    }
    match r.kind {
        "literal" => out.say_literal(
            "plaintext-secret",
            &place,
            subject(r),
            format!(
                "`{}` holds a literal secret value; store it in a secret manager and reference it",
                if r.name.is_empty() {
                    r.consumer.as_deref().unwrap_or("this value")
                } else {
                    &r.name
                }
            ),
            r.value.clone(),
        ),
        "value" => {
            let key = if r.name.is_empty() {
                r.consumer.as_deref().unwrap_or("value")
            } else {
                r.name.rsplit(['/', '#', '.']).next().unwrap_or(&r.name)
            };
            if let Some(v) = r.value.as_deref().filter(|v| detect(key, v)) {
                out.say_literal(
                    "plaintext-secret",
                    &place,
                    subject(r),
                    format!(
                        "`{}` is set to a credential; pass it as a secret reference instead",
                        r.consumer.as_deref().unwrap_or(&r.name)
                    ),
                    Some(v.to_string()),
                );
            }
        }
        "all-secrets" => out.say(
            "wildcard-grant",
            &place,
            subject(r),
            format!(
                "{} is granted every secret; pass only the secrets it needs",
                r.consumer.as_deref().unwrap_or("this workflow")
            ),
        ),
        _ => {}
    }
    if r.kind != "reference" {
        return;
    }
    if let Some(re) = policy.secret_name.as_ref().filter(|_| !r.name.is_empty()) {
        match re.captures(&r.name) {
            None => out.say(
                "naming",
                &place,
                subject(r),
                format!(
                    "secret name `{}` does not match `{}`; rename it",
                    r.name,
                    re.as_str()
                ),
            ),
            Some(c) => {
                if let (Some(named), Some(env)) = (c.name("env"), env) {
                    if !same_environment(named.as_str(), env) {
                        out.say(
                            "naming",
                            &place,
                            subject(r),
                            format!(
                                "secret `{}` is named for `{}` but used from {env}",
                                r.name,
                                named.as_str()
                            ),
                        );
                    }
                }
            }
        }
    }
    if let (Some(re), Some(store)) = (&policy.store_name, &r.store) {
        match re.captures(store) {
            None => out.say(
                "naming",
                &place,
                subject(r),
                format!("store `{store}` does not match `{}`", re.as_str()),
            ),
            Some(c) => {
                if let (Some(named), Some(env)) = (c.name("env"), env) {
                    if !same_environment(named.as_str(), env) {
                        out.say(
                            "naming",
                            &place,
                            subject(r),
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
    if r.version.is_none()
        && env.is_some_and(|e| policy.pin_versions_in.iter().any(|p| p == e))
        && !matches!(r.format, "github-actions" | "dotenv" | "dotnet-settings")
    {
        out.say(
            "unpinned-version",
            &place,
            subject(r),
            format!(
                "`{}` is read without a pinned version in {}; pin one so a rotation is a reviewed change",
                r.name,
                env.unwrap_or_default()
            ),
        );
    }
    if let Some(consumer) = r.consumer.as_deref() {
        let rules: Vec<_> = policy
            .access
            .iter()
            .filter(|a| a.consumer.is_match(consumer))
            .collect();
        if !rules.is_empty() && !rules.iter().any(|a| a.secrets.is_match(&r.name)) {
            let allowed: Vec<&str> = rules
                .iter()
                .flat_map(|a| a.secret_globs.iter().map(String::as_str))
                .collect();
            out.say(
                "least-privilege",
                &place,
                subject(r),
                format!(
                    "{consumer} reads `{}`, outside what its access rule allows ({}); grant it in the policy or stop reading it",
                    r.name,
                    allowed.join(", ")
                ),
            );
        }
    }
}

/// `prod`, `stg`, `dev`… in a name stand for their environments.
fn same_environment(named: &str, env: &str) -> bool {
    named == env || super::refs::infer_environment(named).unwrap_or(named) == env
}

/// Wildcards in grants: every secret of a store, every action, purge.
fn check_grant(out: &mut Out, g: &Grant) {
    let subject = format!(
        "{}|{}|{}",
        g.consumer.as_deref().unwrap_or(""),
        g.resource,
        g.actions.join(",")
    );
    let who = g.consumer.as_deref().unwrap_or("a consumer");
    let wild_action = g.actions.iter().find(|a| {
        let a = a.to_ascii_lowercase();
        a == "*" || a == "all" || a.ends_with(":*")
    });
    // `*` as the resource of an IAM-style grant (actions have a service prefix); Key Vault
    // access policies are vault-wide by nature and judged by their permissions instead.
    let iam_style = g.actions.iter().any(|a| a.contains(':') || a == "*");
    // A resource naming every secret of an account: `*`, `…:secret:*`, `…:parameter/*`.
    // Prefixes (`…:secret:payments/*`, `kv/data/prod/*`) are scoped grants; whole Vault
    // mounts are the extractor's call (`all_secrets`).
    let r = g.resource.trim();
    let wild_resource = (r == "*" && iam_style)
        || r.ends_with(":secret:*")
        || r.ends_with(":parameter/*")
        || r.ends_with(":parameter*")
        || r.rsplit(':').next() == Some("*") && r.contains(':');
    // A KMS-only grant (a key policy, `kms:Decrypt` for SecureString parameters) opens keys,
    // not secrets: it is no secret wildcard unless its action is `*`.
    let kms_only = !g.actions.is_empty()
        && g.actions
            .iter()
            .all(|a| a.to_ascii_lowercase().starts_with("kms:"));
    let judged = !kms_only || wild_action.is_some_and(|a| a == "*");
    if judged && (g.all_secrets || wild_action.is_some() || wild_resource) {
        let what = match (wild_action, wild_resource) {
            (Some(a), _) => format!("action `{a}`"),
            (None, true) => format!("resource `{r}`"),
            _ => "every secret".to_string(),
        };
        out.say(
            "wildcard-grant",
            &g.place,
            subject.clone(),
            format!("{who} is granted {what}; grant only the secrets and actions it needs"),
        );
    }
    if g.actions.iter().any(|a| a.eq_ignore_ascii_case("purge")) {
        out.say(
            "purge-grant",
            &g.place,
            subject,
            format!("{who} may purge secrets; keep purge for break-glass administrators"),
        );
    }
}

/// Undeclared references, orphaned declarations, and `[vault(name)]` settings that resolve
/// to nothing in the .vault-config manifests.
fn check_inventory(out: &mut Out, facts: &Facts) {
    let manifest: Vec<&SecretDecl> = facts
        .secrets
        .iter()
        .filter(|d| d.inventory && d.format == "manifest")
        .collect();
    let vault_config: Vec<&SecretDecl> = facts
        .secrets
        .iter()
        .filter(|d| d.inventory && d.format == "vault-config")
        .collect();
    let matches = |d: &SecretDecl, r: &SecretRef| {
        d.name == r.name
            && match (&d.store, &r.store) {
                (Some(ds), Some(rs)) => {
                    rs == ds || rs.rsplit([':', '/']).next() == Some(ds.as_str())
                }
                _ => true,
            }
    };
    let mut used = vec![false; manifest.len()];
    for r in facts.refs.iter().filter(|r| r.kind == "reference") {
        if r.format == "dotnet-settings" {
            // As secret-manager's `validate-all`: `settings*.json` files (not
            // `appsettings*.json`), names matched exactly (they carry the type's suffixes).
            let file = r.path.rsplit('/').next().unwrap_or(&r.path);
            if vault_config.is_empty() || !file.starts_with("settings") {
                continue;
            }
            if !vault_config.iter().any(|d| d.name == r.name) {
                out.say(
                    "undeclared-secret",
                    &ref_place(r),
                    subject(r),
                    format!(
                        "`[vault({})]` does not resolve: no .vault-config manifest declares a secret named `{}`",
                        r.name, r.name
                    ),
                );
            }
            continue;
        }
        if manifest.is_empty() || r.name.is_empty() {
            continue;
        }
        let mut found = false;
        for (i, d) in manifest.iter().enumerate() {
            if matches(d, r) {
                used[i] = true;
                found = true;
                if let Some(consumer) = r.consumer.as_deref() {
                    let allowed = d.consumers.is_empty()
                        || d.consumers.iter().any(|c| {
                            globset::Glob::new(c)
                                .map(|g| g.compile_matcher().is_match(consumer))
                                .unwrap_or(c == consumer)
                        });
                    if !allowed {
                        out.say(
                            "least-privilege",
                            &ref_place(r),
                            subject(r),
                            format!(
                                "{consumer} reads `{}`, but the manifest ({}:{}) allows only {}",
                                r.name,
                                d.place.path,
                                d.place.line,
                                d.consumers.join(", ")
                            ),
                        );
                    }
                }
            }
        }
        if !found {
            out.say(
                "undeclared-secret",
                &ref_place(r),
                subject(r),
                format!(
                    "`{}`{} is not declared in the secrets manifest; declare it (store, owner, expiry, consumers)",
                    r.name,
                    r.store
                        .as_deref()
                        .map(|s| format!(" (store `{s}`)"))
                        .unwrap_or_default()
                ),
            );
        }
    }
    for (d, used) in manifest.iter().zip(used) {
        if !used {
            out.say(
                "orphaned-secret",
                &d.place,
                format!("{}|{}", d.store.as_deref().unwrap_or(""), d.name),
                format!(
                    "the manifest declares `{}` but nothing references it; delete the secret or the entry",
                    d.name
                ),
            );
        }
    }
}

fn check_lifecycle(out: &mut Out, d: &SecretDecl, today: Date) {
    let l = out.policy.lifecycle;
    let subject = format!("{}|{}", d.store.as_deref().unwrap_or(""), d.name);
    let supports = |a: &str| d.supports.contains(&a);
    let what = if d.kind == "certificate" {
        "certificate"
    } else {
        "secret"
    };
    match d.expires.as_deref() {
        None if supports("expiry") => out.say(
            "missing-expiry",
            &d.place,
            subject.clone(),
            format!(
                "{what} `{}` has no expiry date; set one (at most {} days ahead)",
                d.name, l.max_validity_days
            ),
        ),
        None => {}
        Some(raw) => match parse_date(raw) {
            // Expressions (`var.expiry`, `[parameters('exp')]`) are decided at deploy time.
            None => {}
            Some(exp) => {
                let left = (exp - today).get_days();
                let warn = i32::try_from(l.warn_days).unwrap_or(i32::MAX);
                let kind = if d.kind == "certificate" {
                    ("certificate-expired", "certificate-expiring")
                } else {
                    ("expired", "expiring-soon")
                };
                if left < 0 {
                    out.say(
                        kind.0,
                        &d.place,
                        subject.clone(),
                        format!(
                            "{what} `{}` expired on {exp}; rotate it and set a new expiry",
                            d.name
                        ),
                    );
                } else if left <= warn {
                    out.say(
                        kind.1,
                        &d.place,
                        subject.clone(),
                        format!(
                            "{what} `{}` expires on {exp}, in {left} days; rotate it",
                            d.name
                        ),
                    );
                }
                let from = d
                    .not_before
                    .as_deref()
                    .and_then(parse_date)
                    .unwrap_or(today);
                let validity = (exp - from).get_days();
                if validity > i32::try_from(l.max_validity_days).unwrap_or(i32::MAX) {
                    out.say(
                        "validity-too-long",
                        &d.place,
                        subject.clone(),
                        format!(
                            "{what} `{}` is valid for {validity} days (until {exp}); the policy allows {}",
                            d.name, l.max_validity_days
                        ),
                    );
                }
            }
        },
    }
    if supports("owner") && d.owner.as_deref().is_none_or(str::is_empty) {
        out.say(
            "missing-owner",
            &d.place,
            subject.clone(),
            format!("{what} `{}` names no owner; add one", d.name),
        );
    }
    if supports("rotation") {
        match d.rotation_days {
            None => out.say(
                "missing-rotation",
                &d.place,
                subject.clone(),
                format!(
                    "{what} `{}` declares no rotation; rotate it at least every {} days",
                    d.name, l.max_rotation_days
                ),
            ),
            Some(days) if days > l.max_rotation_days => out.say(
                "rotation-too-long",
                &d.place,
                subject.clone(),
                format!(
                    "{what} `{}` rotates every {days} days; the policy allows at most {}",
                    d.name, l.max_rotation_days
                ),
            ),
            _ => {}
        }
    }
    if supports("content-type") && d.content_type.as_deref().is_none_or(str::is_empty) {
        out.say(
            "missing-content-type",
            &d.place,
            subject,
            format!(
                "{what} `{}` has no content type; set one (e.g. `password`, `application/x-pem-file`) so readers know how to use it",
                d.name
            ),
        );
    }
}

/// A date as configuration writes it: `2027-01-31`, an RFC 3339 date-time, or Unix
/// seconds (ARM `exp`). Anything else (an expression) is `None`.
pub fn parse_date(raw: &str) -> Option<Date> {
    let s = raw.trim().trim_matches('"');
    if !s.is_empty() && s.len() <= 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        let secs: i64 = s.parse().ok()?;
        let ts = jiff::Timestamp::from_second(secs).ok()?;
        return Some(jiff::tz::TimeZone::UTC.to_datetime(ts).date());
    }
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Some(jiff::tz::TimeZone::UTC.to_datetime(ts).date());
    }
    if let Ok(dt) = s.parse::<jiff::civil::DateTime>() {
        return Some(dt.date());
    }
    s.get(..10).and_then(|d| d.parse::<Date>().ok())
}

/// Today in UTC.
pub fn today() -> Date {
    jiff::tz::TimeZone::UTC
        .to_datetime(jiff::Timestamp::now())
        .date()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_as_configuration_writes_them() {
        let d = |s: &str| parse_date(s).map(|d| d.to_string());
        assert_eq!(d("2027-01-31").as_deref(), Some("2027-01-31"));
        assert_eq!(d("2027-01-31T23:00:00Z").as_deref(), Some("2027-01-31"));
        assert_eq!(
            d("2027-01-31T23:00:00-05:00").as_deref(),
            Some("2027-02-01")
        );
        assert_eq!(d("1800000000").as_deref(), Some("2027-01-15"));
        assert_eq!(d("var.expiry"), None);
        assert_eq!(d("[parameters('exp')]"), None);
    }
}
