//! `keyguard refs` over Terraform and Vault policy fixtures: the references (reads and
//! literals) with their lines, and warnings for files that do not parse.

mod common;

use common::*;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policy")
}

/// `refs` as (path, line, column, kind, name, store, consumer, version).
fn refs(dir: &Path) -> (Vec<serde_json::Value>, String) {
    let r = run(dir, &["refs", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v = r.json();
    // Today the array of references; once every fact is printed, its `refs` member.
    let refs = v.get("refs").unwrap_or(&v).as_array().unwrap().clone();
    (refs, r.stderr)
}

fn row(r: &serde_json::Value) -> (String, u64, u64, String, String) {
    (
        r["path"].as_str().unwrap().to_string(),
        r["line"].as_u64().unwrap(),
        r["column"].as_u64().unwrap(),
        r["kind"].as_str().unwrap().to_string(),
        r["name"].as_str().unwrap().to_string(),
    )
}

#[test]
fn terraform_reads_and_literals_with_lines() {
    let (refs, _) = refs(&fixtures());
    let tf: Vec<_> = refs
        .iter()
        .filter(|r| r["format"] == "terraform")
        .map(row)
        .collect();
    let want = [
        ("terraform/aws/secrets.tf", 41, 19, "literal", "legacy-api-"),
        (
            "terraform/aws/secrets.tf",
            77,
            11,
            "literal",
            "/prod/smtp/password",
        ),
        (
            "terraform/aws/secrets.tf",
            86,
            10,
            "reference",
            "prod/shared/stripe",
        ),
        (
            "terraform/aws/secrets.tf",
            90,
            15,
            "reference",
            "prod/shared/stripe",
        ),
        (
            "terraform/azure/keyvault.tf",
            116,
            18,
            "literal",
            "legacy-smtp-password",
        ),
        (
            "terraform/azure/reads.tf",
            8,
            18,
            "reference",
            "stripe-api-key",
        ),
        (
            "terraform/azure/reads.tf",
            13,
            18,
            "reference",
            "signing-key",
        ),
        ("terraform/gcp/secrets.tf", 48, 17, "literal", "session-key"),
        (
            "terraform/gcp/secrets.tf",
            56,
            13,
            "reference",
            "db-password",
        ),
        ("terraform/vault/main.tf", 33, 15, "literal", "legacy/smtp"),
        (
            "terraform/vault/main.tf",
            41,
            10,
            "reference",
            "prod/stripe",
        ),
        ("terraform/vault/main.tf", 46, 11, "reference", "prod/db"),
        (
            "terraform/vault/main.tf",
            51,
            13,
            "reference",
            "prod/api-token",
        ),
    ]
    .map(|(p, l, c, k, n)| (p.to_string(), l, c, k.to_string(), n.to_string()));
    assert_eq!(tf, want);

    let find = |path: &str, line: u64| {
        refs.iter()
            .find(|r| r["path"] == path && r["line"] == line)
            .unwrap()
    };
    let kv = find("terraform/azure/reads.tf", 13);
    assert_eq!(kv["store"], "kv-prod-shared");
    assert_eq!(kv["version"], "0123456789abcdef0123456789abcdef");
    assert_eq!(kv["consumer"], "terraform/azure");
    assert_eq!(
        kv["environment"], "production",
        "inferred from the vault name"
    );
    let lit = find("terraform/azure/keyvault.tf", 116);
    assert_eq!(lit["store"], "kv-stg-payments");
    assert_eq!(lit["consumer"], "azurerm_key_vault_secret.legacy");
    let token = find("terraform/vault/main.tf", 51);
    assert_eq!(
        (token["store"].as_str(), token["version"].as_str()),
        (Some("vault:kv-payments"), Some("3"))
    );
    let gcp = find("terraform/gcp/secrets.tf", 56);
    assert_eq!(gcp["store"], "gcp:payments-prod-4711");
}

#[test]
fn literal_values_never_reach_the_output() {
    let r = run(&fixtures(), &["refs", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for fake in [
        "fake-Smtp-Passw0rd-not-real",
        "fake-legacy-api-key-0000000000",
        "fake-smtp-password-123",
        "fake-session-key-abcdef0123456789",
        "fake-smtp-password-not-real",
    ] {
        assert!(!r.stdout.contains(fake), "{fake} leaked into the report");
    }
}

#[test]
fn malformed_files_warn_with_file_and_line_and_the_run_goes_on() {
    let (refs, stderr) = refs(&fixtures());
    assert!(
        stderr.contains("warning: terraform/broken/malformed.tf:4: not valid HCL"),
        "{stderr}"
    );
    assert!(
        stderr.contains("warning: vault/broken.hcl:3: not valid HCL"),
        "{stderr}"
    );
    // Files after the broken ones in walk order were still read.
    assert!(refs.iter().any(|r| r["path"] == "terraform/vault/main.tf"));
    assert!(refs.iter().any(|r| r["path"] == "terraform/aws/secrets.tf"));
}

#[test]
fn a_module_of_its_own() {
    let dir = tree(&[
        (
            "infra/prod/secrets.tf",
            "data \"vault_kv_secret_v2\" \"db\" {\n  mount = \"kv\"\n  name  = \"payments/db\"\n}\n\nresource \"aws_secretsmanager_secret_version\" \"v\" {\n  secret_id     = aws_secretsmanager_secret.s.id\n  secret_string = jsonencode({ password = \"fake-pw-not-real\" })\n}\n\nresource \"aws_secretsmanager_secret\" \"s\" {\n  name = \"prod/payments/api\"\n}\n",
        ),
        ("infra/prod/empty.tf", ""),
        ("README.md", "resource \"x\" \"y\" {"),
    ]);
    let (refs, stderr) = refs(dir.path());
    assert!(stderr.is_empty(), "{stderr}");
    let rows: Vec<_> = refs.iter().map(row).collect();
    assert_eq!(
        rows,
        [
            (
                "infra/prod/secrets.tf".to_string(),
                3,
                11,
                "reference".to_string(),
                "payments/db".to_string()
            ),
            (
                "infra/prod/secrets.tf".to_string(),
                8,
                19,
                "literal".to_string(),
                "prod/payments/api".to_string()
            ),
        ]
    );
    assert_eq!(refs[0]["consumer"], "infra/prod");
    assert_eq!(refs[0]["store"], "vault:kv");
    assert_eq!(refs[1]["environment"], "production");
}
