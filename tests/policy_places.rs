//! Where a declared secret is placed (issue 16): at the start of its resource, block,
//! document or entry — one rule per format, the same for every kind of declaration that
//! format has, and never at an attribute inside it (`name =`, `expiration_date =`, `file:`).
//! Each file starts with comments and blank lines so no declaration is on line 1.

mod common;

use common::*;

/// Terraform: the `resource` keyword, even when `expiration_date` / `ttl` is written.
const TERRAFORM: &str = r#"# Secrets of the payments service.

resource "azurerm_key_vault_secret" "db" {
  name            = "db-password"
  key_vault_id    = "kv-prod"
  expiration_date = "2026-01-01T00:00:00Z"
}

  resource "google_secret_manager_secret" "api" {
  secret_id = "api-key"
  ttl       = "2592000s"
}

resource "aws_secretsmanager_secret" "token" {
  name = "token"
}

resource "vault_kv_secret_v2" "app" {
  mount = "kv"
  name  = "app/config"
}

resource "azurerm_key_vault_certificate" "tls" {
  name         = "tls"
  key_vault_id = "kv-prod"
}
"#;

/// ARM: the resource's opening `{`, nested under a vault or at the top level.
const ARM: &str = r#"{
  // Key Vault and its secrets.
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "resources": [
    {
      "type": "Microsoft.KeyVault/vaults",
      "name": "kv1",
      "properties": { "enablePurgeProtection": true },
      "resources": [
        {
          "type": "secrets",
          "name": "nested",
          "properties": { "contentType": "password" }
        }
      ]
    },
      {
      "type": "Microsoft.KeyVault/vaults/secrets",
      "name": "kv1/top",
      "properties": { "attributes": { "exp": 1900000000 } }
    }
  ]
}
"#;

/// Bicep: the `resource` keyword (after any decorator), nested or top level.
const BICEP: &str = r#"// Key Vault and its secrets.

resource kv 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: 'kv1'
  properties: {}
  resource nested 'secrets' = {
    name: 'nested'
    properties: { contentType: 'password' }
  }
}

@description('top level')
resource top 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: kv
  name: 'top'
}
"#;

/// Kubernetes: where the object starts — a document's first key, a `List` item's `-`.
const KUBERNETES: &str = r#"# Secrets of the payments service.
---
apiVersion: v1
kind: Secret
metadata:
  namespace: prod
  name: db
type: Opaque
---
# Listed.

apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Secret
    metadata:
      generateName: tls-
    type: kubernetes.io/tls
"#;

/// Compose: the secret's key under the top-level `secrets:`, not its `file:`.
const COMPOSE: &str = r#"# Payments.
services:
  app:
    image: nginx
    secrets: [db, api]
secrets:
  db:
    file: ./db.txt
  # Flow style.
  api: {file: ./api.txt}
"#;

/// Secrets manifest: the `[[secret]]` header.
const MANIFEST_TOML: &str = r#"# Payments inventory.

[[secret]]
name = "db"
store = "kv-prod"

  [[secret]]
  kind = "certificate"
  name = "tls"
"#;

/// Secrets manifest: the list item's `-`, whichever key comes first.
const MANIFEST_YAML: &str = r#"# Payments inventory.
secrets:
  - name: db
    store: kv-prod
  # A certificate.
  -
    kind: certificate
    name: tls
"#;

/// `.vault-config`: the entry's key, for each value a composite type stores.
const VAULT_CONFIG: &str = r#"# Payments secrets.
storageLocation:
  type: azure-key-vault
  parameters:
    name: kv-prod
secrets:
  plain:
    type: text
    owner: team
  github:
    # A GitHub OAuth app:
    # two values,
    # one entry.
    type: github-oauth-secret
    owner: team
"#;

fn files() -> Vec<(&'static str, &'static str)> {
    vec![
        ("infra/main.tf", TERRAFORM),
        ("arm/template.json", ARM),
        ("bicep/main.bicep", BICEP),
        ("k8s/secrets.yaml", KUBERNETES),
        ("compose.yaml", COMPOSE),
        ("keyguard-secrets.toml", MANIFEST_TOML),
        ("inventory/keyguard-secrets.yaml", MANIFEST_YAML),
        (".vault-config/payments.yaml", VAULT_CONFIG),
    ]
}

#[test]
fn every_declaration_is_placed_where_its_block_starts() {
    let dir = tree(&files());
    let r = run(dir.path(), &["refs", ".", "-f", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut got: Vec<String> = r.json()["secrets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {} {}@{}:{}:{}",
                s["format"].as_str().unwrap(),
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap(),
                s["path"].as_str().unwrap(),
                s["line"],
                s["column"]
            )
        })
        .collect();
    got.sort();
    let mut want = vec![
        // Before: at the `expiration_date` / `ttl` value (6:21, 11:15).
        "terraform secret db-password@infra/main.tf:3:1",
        "terraform secret api-key@infra/main.tf:9:3",
        "terraform secret token@infra/main.tf:14:1",
        "terraform secret app/config@infra/main.tf:18:1",
        "terraform certificate tls@infra/main.tf:23:1",
        "arm secret nested@arm/template.json:10:9",
        "arm secret top@arm/template.json:17:7",
        "bicep secret nested@bicep/main.bicep:6:3",
        "bicep secret top@bicep/main.bicep:13:1",
        // Before: at the `metadata.name` / `generateName` value (7:9, 18:21).
        "kubernetes secret db@k8s/secrets.yaml:3:1",
        "kubernetes secret tls-@k8s/secrets.yaml:15:3",
        // Before: at the `file:` value (8:11, 10:15).
        "compose secret db@compose.yaml:7:3",
        "compose secret api@compose.yaml:10:3",
        "manifest secret db@keyguard-secrets.toml:3:1",
        "manifest certificate tls@keyguard-secrets.toml:7:3",
        // Before: at the item's first key (3:5, 7:5).
        "manifest secret db@inventory/keyguard-secrets.yaml:3:3",
        "manifest certificate tls@inventory/keyguard-secrets.yaml:6:3",
        "vault-config secret plain@.vault-config/payments.yaml:7:3",
        // Before: at `type:` (14:5) — the key was looked for only 3 lines up.
        "vault-config secret github-client-id@.vault-config/payments.yaml:10:3",
        "vault-config secret github-client-secret@.vault-config/payments.yaml:10:3",
    ];
    want.sort();
    assert_eq!(got, want);
}

/// The checks report a declaration where the inventory places it: every finding about one
/// Terraform secret names its `resource` line, whether or not the attribute is written.
#[test]
fn lifecycle_findings_name_the_resource() {
    let dir = tree(&[("policy.toml", "[checks]\n"), ("infra/main.tf", TERRAFORM)]);
    let r = run(
        dir.path(),
        &[
            "policy",
            ".",
            "--policy",
            "policy.toml",
            "--now",
            "2026-11-23",
            "-f",
            "json",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got: Vec<String> = r.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{}@{}:{}:{}",
                f["rule_id"].as_str().unwrap().trim_start_matches("policy/"),
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"]
            )
        })
        .collect();
    for want in [
        // Before: both at the `expiration_date` value, 6:21.
        "expired@infra/main.tf:3:1",
        "missing-content-type@infra/main.tf:3:1",
        // Before: at the `ttl` value, 11:15.
        "missing-rotation@infra/main.tf:9:3",
        "missing-rotation@infra/main.tf:14:1",
    ] {
        assert!(got.iter().any(|g| g == want), "missing {want}: {got:#?}");
    }
}
