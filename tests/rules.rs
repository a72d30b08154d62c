//! The built-in rule packs: every rule's examples behave, coverage is what the README claims,
//! and `keyguard rules` works for people writing their own.

mod common;

use common::*;
use keyguard::rules;
use std::collections::BTreeSet;

#[test]
fn every_builtin_rule_finds_its_examples_and_not_its_negative_examples() {
    let problems = rules::check_rules(rules::load_defaults().expect("default rules load"));
    let listing: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}: {}", p.file, p.rule, p.problem))
        .collect();
    assert!(
        listing.is_empty(),
        "{} problems:\n{}",
        listing.len(),
        listing.join("\n")
    );
}

#[test]
fn builtin_rules_cover_the_promised_families() {
    let rules = rules::load_defaults().unwrap();
    assert!(rules.len() >= 200, "only {} rules", rules.len());
    let families: BTreeSet<&str> = rules.iter().map(|r| r.spec.family.as_str()).collect();
    for f in [
        "aws",
        "gcp",
        "azure",
        "github",
        "gitlab",
        "bitbucket",
        "slack",
        "stripe",
        "twilio",
        "sendgrid",
        "mailgun",
        "mailchimp",
        "openai",
        "anthropic",
        "huggingface",
        "npm",
        "pypi",
        "rubygems",
        "nuget",
        "dockerhub",
        "heroku",
        "digitalocean",
        "datadog",
        "newrelic",
        "sentry",
        "shopify",
        "square",
        "paypal",
        "atlassian",
        "okta",
        "discord",
        "telegram",
        "linear",
        "notion",
        "postman",
        "databricks",
        "snowflake",
        "terraform",
        "vault",
        "doppler",
        "onepassword",
        "jwt",
        "private-key",
        "database",
        "url",
        "generic",
    ] {
        assert!(families.contains(f), "no rule for family `{f}`");
    }
}

#[test]
fn rules_check_reports_problems_in_a_users_rule_file() {
    let dir = tree(&[(
        "mine.toml",
        r#"
[[rule]]
id = "team-token"
name = "Team token"
family = "team"
severity = "high"
description = "x"
keywords = ["tt_", "teamtok"]
regex = '''\b(tt_[a-z0-9]{20})\b'''
examples = ["tt_q1w2e3r4t5y6u7i8o9p0"]
negative_examples = ["tt_z9x8c7v6b5n4m3l2k1j0"]

[[rule]]
id = "team-token"
name = "Duplicate"
family = "team"
severity = "low"
description = "x"
keywords = ["zzz"]
regex = '''zzz(\d+)'''
examples = ["nothing here"]
"#,
    )]);
    let r = run(dir.path(), &["rules", "check", "mine.toml"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    for needle in [
        "keyword `teamtok` appears in no example",
        "negative example 1 is found",
        "duplicate rule id",
        "example 1 is not found",
        "no `negative_examples`",
        "keyword `zzz` appears in no example",
    ] {
        assert!(
            r.stdout.contains(needle),
            "missing `{needle}` in:\n{}",
            r.stdout
        );
    }
}

#[test]
fn malformed_rule_files_are_rejected_with_file_rule_and_reason() {
    let dir = tree(&[
        ("bad-regex.toml", "[[rule]]\nid = \"bad-one\"\nname = \"n\"\nfamily = \"f\"\nseverity = \"low\"\nkeywords = [\"abc\"]\nregex = 'abc(['\n"),
        ("no-keywords.toml", "[[rule]]\nid = \"no-kw\"\nname = \"n\"\nfamily = \"f\"\nseverity = \"low\"\nkeywords = []\nregex = 'abc'\n"),
        ("unknown-field.toml", "[[rule]]\nid = \"x\"\nname = \"n\"\nfamily = \"f\"\nseverity = \"low\"\nkeywords = [\"abc\"]\nregex = 'abc'\ncolour = \"red\"\n"),
    ]);
    for (file, needles) in [
        (
            "bad-regex.toml",
            &["bad-regex.toml", "bad-one", "invalid regex"][..],
        ),
        (
            "no-keywords.toml",
            &["no-keywords.toml", "no-kw", "at least one keyword"][..],
        ),
        (
            "unknown-field.toml",
            &["unknown-field.toml", "unknown field `colour`"][..],
        ),
    ] {
        let r = run(dir.path(), &["rules", "check", file]);
        assert_eq!(r.code, 2, "{file}");
        for n in needles {
            assert!(
                r.stderr.contains(n),
                "{file}: missing `{n}` in {}",
                r.stderr
            );
        }
    }
}

#[test]
fn rules_list_filters_by_family() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["rules", "list", "--family", "github"]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("github-pat-classic"));
    assert!(
        r.stdout
            .lines()
            .filter(|l| l.contains("  github  "))
            .count()
            >= 5,
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("  aws  "));
    let v: serde_json::Value =
        serde_json::from_str(&run(dir.path(), &["rules", "list", "-f", "json"]).stdout).unwrap();
    assert!(v.as_array().unwrap().len() >= 200);
}

#[test]
fn rules_list_families_counts_the_rules_of_each_family() {
    let dir = tempfile::tempdir().unwrap();
    let all: serde_json::Value =
        serde_json::from_str(&run(dir.path(), &["rules", "list", "-f", "json"]).stdout).unwrap();
    let all = all.as_array().unwrap();
    let github = all.iter().filter(|r| r["family"] == "github").count();
    let r = run(dir.path(), &["rules", "list", "--families"]);
    assert_eq!(r.code, 0);
    let line = r
        .stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some("github"))
        .unwrap();
    assert_eq!(
        line.split_whitespace().nth(1),
        Some(github.to_string().as_str())
    );
    let v: serde_json::Value = serde_json::from_str(
        &run(dir.path(), &["rules", "list", "--families", "-f", "json"]).stdout,
    )
    .unwrap();
    let fams = v.as_array().unwrap();
    let total: u64 = fams.iter().map(|f| f["rules"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, all.len());
    assert!(r
        .stdout
        .ends_with(&format!("{} families, {} rules\n", fams.len(), all.len())));
}

/// A provider known by its name next to a shared shape (`sk_live_…` is Stripe's and Clerk's)
/// is reported as that provider only: its rule `overrides` the shape's.
#[test]
fn a_rule_overrides_the_rule_for_the_shape_it_shares() {
    let key = format!("sk_live_{}", Rng::new(5).string(ALNUM, 46));
    let dir = tree(&[
        ("clerk.env", &format!("CLERK_SECRET_KEY={key}\n")),
        ("stripe.env", &format!("PAYMENTS_KEY={key}\n")),
    ]);
    let r = run(dir.path(), &["scan", ".", "-f", "json"]);
    let got: Vec<String> = findings(&r.json())
        .iter()
        .map(|f| {
            format!(
                "{}@{}",
                f["rule_id"].as_str().unwrap(),
                f["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "clerk-secret-key@clerk.env",
            "stripe-secret-key-live@stripe.env"
        ],
        "{}",
        r.stdout
    );
}
