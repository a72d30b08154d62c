//! `keyguard policy`: references checked against policies/example.toml and variations.

mod common;

use common::*;

const EXAMPLE: &str = include_str!("../policies/example.toml");

fn violations(dir: &std::path::Path, extra: &[&str]) -> (Run, Vec<serde_json::Value>) {
    let r = run(
        dir,
        &[
            &["policy", ".", "--policy", "policy.toml", "-f", "json"],
            extra,
        ]
        .concat(),
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r, v["violations"].as_array().unwrap().clone())
}

#[test]
fn a_dev_file_reading_a_prod_vault_breaks_environment_partitioning() {
    let dir = tree(&[
        ("policy.toml", EXAMPLE),
        ("deploy/dev/.env", "DB_PASSWORD=op://prod-vault/postgres/password\nAPI=@Microsoft.KeyVault(VaultName=kv-dev-eu;SecretName=api;SecretVersion=1)\n"),
        ("deploy/prod/.env", "DB_PASSWORD=op://prod-vault/postgres/password\n"),
    ]);
    let (r, v) = violations(dir.path(), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let partition: Vec<_> = v
        .iter()
        .filter(|x| x["rule_id"] == "policy/env-partition")
        .collect();
    assert_eq!(partition.len(), 1, "{v:#?}");
    assert_eq!(partition[0]["reference"]["path"], "deploy/dev/.env");
    assert_eq!(partition[0]["reference"]["line"], 1);
    assert_eq!(partition[0]["severity"], "high");
    assert!(partition[0]["message"]
        .as_str()
        .unwrap()
        .contains("belongs to development"));
}

#[test]
fn literals_all_secret_grants_and_naming() {
    let dir = tree(&[
        ("policy.toml", EXAMPLE),
        (".env", "SESSION_SECRET=just-a-literal-value\n"),
        (
            ".github/workflows/ci.yml",
            "jobs:\n  call:\n    uses: org/x/.github/workflows/y.yml@main\n    secrets: inherit\n",
        ),
        ("staging/app.json", "{\"K\": \"@Microsoft.KeyVault(VaultName=kv-prod-eu;SecretName=k;SecretVersion=2)\"}\n"),
        ("misc/odd.json", "{\"K\": \"@Microsoft.KeyVault(VaultName=Weird_Vault;SecretName=k;SecretVersion=2)\"}\n"),
        ("staging/ok.json", "{\"K\": \"@Microsoft.KeyVault(VaultName=kv-stg-eu;SecretName=k;SecretVersion=2)\"}\n"),
    ]);
    let (_, v) = violations(dir.path(), &[]);
    let ids: Vec<&str> = v.iter().map(|x| x["rule_id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"policy/literal-secret"), "{ids:?}");
    assert!(ids.contains(&"policy/all-secrets"), "{ids:?}");
    // kv-prod-eu used from staging: both the partition and the naming group disagree.
    let staging: Vec<&str> = v
        .iter()
        .filter(|x| x["reference"]["path"] == "staging/app.json")
        .map(|x| x["rule_id"].as_str().unwrap())
        .collect();
    assert!(
        staging.contains(&"policy/env-partition") && staging.contains(&"policy/naming"),
        "{staging:?}"
    );
    assert!(v
        .iter()
        .any(|x| x["reference"]["path"] == "misc/odd.json" && x["rule_id"] == "policy/naming"));
    assert!(
        v.iter()
            .all(|x| x["reference"]["path"] != "staging/ok.json"),
        "kv-stg-* used from staging is fine: {v:#?}"
    );
    assert!(!ids.contains(&"policy/unpinned-version"), "off by default");
}

#[test]
fn checks_can_be_switched_and_fail_on_applies() {
    let policy = EXAMPLE
        .replace(
            "unpinned-version = \"off\"",
            "unpinned-version = \"medium\"",
        )
        .replace("naming = \"low\"", "naming = \"off\"");
    let dir = tree(&[
        ("policy.toml", &policy),
        (
            "prod/app.json",
            "{\"K\": \"@Microsoft.KeyVault(VaultName=kv-prod-eu;SecretName=k;SecretVersion=)\"}\n",
        ),
    ]);
    let (r, v) = violations(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["rule_id"], "policy/unpinned-version");
    let (r, _) = violations(dir.path(), &["--fail-on", "high"]);
    assert_eq!(
        r.code, 0,
        "a medium violation does not block at --fail-on high"
    );
}

#[test]
fn bad_policy_files_are_errors_naming_the_file() {
    for (text, needle) in [
        (
            "[checks]\nnot-a-check = \"high\"\n",
            "unknown check `not-a-check`",
        ),
        ("[checks]\nnaming = \"severe\"\n", "severe"),
        (
            "[[environment]]\nname = \"p\"\npaths = [\"[\"]\n",
            "paths glob",
        ),
        ("[naming]\nsecret = \"(\"\n", "invalid regex"),
        (
            "[[environment]]\nname = \"p\"\ncolour = \"red\"\n",
            "unknown field `colour`",
        ),
    ] {
        let dir = tree(&[("policy.toml", text)]);
        let r = run(dir.path(), &["policy", ".", "--policy", "policy.toml"]);
        assert_eq!(r.code, 2, "{text}");
        assert!(
            r.stderr.contains("policy.toml") && r.stderr.contains(needle),
            "{text}: {}",
            r.stderr
        );
    }
}
