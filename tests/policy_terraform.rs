//! Side-by-side with checkov (docs/checkov-comparison.md): on the Terraform fixtures,
//! keyguard reports at least what checkov reports for Key Vault secrets without expiry
//! (CKV_AZURE_41) or content type (CKV_AZURE_114) and vaults without purge protection
//! (CKV_AZURE_110 / CKV_AZURE_42), plus what checkov does not evaluate.

mod common;

use common::*;

fn findings() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policy/terraform");
    let dir = tree(&[("empty-policy.toml", "[checks]\n")]);
    let policy = dir.path().join("empty-policy.toml");
    let r = run(
        &root,
        &[
            "policy",
            ".",
            "--policy",
            policy.to_str().unwrap(),
            "--now",
            "2026-11-23",
            "-f",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    // The malformed file is a warning with its line; the run goes on.
    assert!(r.stderr.contains("broken/malformed.tf:4"), "{}", r.stderr);
    r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}@{}:{}",
                f["rule_id"].as_str().unwrap().trim_start_matches("policy/"),
                f["path"].as_str().unwrap(),
                f["line"]
            )
        })
        .collect()
}

#[test]
fn keyguard_reports_at_least_what_checkov_reports() {
    let got = findings();
    for want in [
        // CKV_AZURE_41: api_key, legacy
        "missing-expiry@azure/keyvault.tf:98",
        "missing-expiry@azure/keyvault.tf:114",
        // CKV_AZURE_114: webhook_token, legacy
        "missing-content-type@azure/keyvault.tf:106",
        "missing-content-type@azure/keyvault.tf:114",
        // CKV_AZURE_110 / CKV_AZURE_42: dev, staging
        "no-purge-protection@azure/keyvault.tf:33",
        "no-purge-protection@azure/keyvault.tf:61",
        // CKV2_AWS_57: no rotation
        "missing-rotation@aws/secrets.tf:34",
        // Beyond checkov's terraform framework.
        "plaintext-secret@azure/keyvault.tf:116",
        "wildcard-grant@aws/iam.tf:42",
        "insecure-transport@vault/main.tf:2",
        "missing-expiry@gcp/secrets.tf:37",
    ] {
        assert!(got.iter().any(|g| g == want), "missing {want}: {got:#?}");
    }
    // The compliant resources stay clean: prod vault (:11), db secret's expiry is checked
    // only for its length, AWS db secret (:13), GCP api secret (:6).
    for clean in [
        "azure/keyvault.tf:11",
        "aws/secrets.tf:13",
        "gcp/secrets.tf:6",
    ] {
        assert!(!got.iter().any(|g| g.ends_with(clean)), "{clean}: {got:#?}");
    }
}
