//! .NET engineering's secret manager (`dotnet secret-manager`, dotnet/dnceng, formerly
//! dotnet/arcade-services): `.vault-config` manifests and the `settings*.json` files whose
//! `[vault(name)]` values it validates.
//!
//! **Manifests** — a YAML document with `storageLocation: {type, parameters}` (any path), and
//! the files a manifest pulls in with `importSecretsFrom:` (a bare map of secrets, recognised
//! under a `.vault-config/` directory):
//! - `storageLocation` → [`StoreDecl`] (format `vault-config`): `azure-key-vault` named by
//!   `parameters.name`, endpoint `https://<name>.vault.azure.net/` (the URI `validate-all`
//!   pairs settings files with); `azure-devops-project` named `<organization>/<project>`.
//! - each entry of `secrets:` → one [`SecretDecl`] per value the tool stores for it
//!   (`inventory: true`, store = the storage location's name, `owner`, kind `secret`, position
//!   = the entry's key under `secrets:`, for every value of a composite type alike, however
//!   many comment lines sit between the key and its first attribute). Most types store one
//!   value under the entry's name; composite types store several under suffixed names —
//!   exactly the names a `[vault(…)]` must use: `github-app-secret` → `-app-id`,
//!   `-app-private-key`, `-oauth-id`, `-oauth-secret`, `-app-webhook-secret`;
//!   `github-oauth-secret` → `-client-id`, `-client-secret`;
//!   `github-account` → `-password`, `-otp`, `-recovery-codes`; `random-base64` → `-primary`,
//!   `-secondary`; `ad-application` → `-app-id`, `-app-secret`.
//! - secret references among the `parameters` (a secret built from another one): a map with
//!   `name` (+ `location`, an alias from `references:` resolved to that vault's name) at any
//!   depth, or a plain string under a parameter the tool reads as a secret reference
//!   (`connectionString`, `storageKeySecret`, `adminConnection`, `adApplication`,
//!   `domainAccountSecret`, `gitHubBotAccountSecret`, `secret`; case-insensitive, as the tool
//!   binds them) → [`SecretRef`] (format `vault-config`, consumer = the entry that uses it;
//!   no `location` = the manifest's own store). `references:` itself only names vaults.
//!
//! Lifecycle: a manifest entry can carry an `owner`; expiry and rotation are not written in
//! the manifest but set by the tool when it rotates the secret, on a schedule fixed per type
//! (its `nextRotationOn`). `rotation_days` carries that schedule, and `supports` lists
//! `rotation` only for types the tool rotates (`text` and `github-account` are never rotated);
//! `expiry` is never listed, since the manifest cannot say it.
//!
//! **Settings files** — `settings.json`, `settings.<environment>.json` (what `validate-all`
//! reads) and `appsettings*.json` (read the same way at run time by
//! `Microsoft.DncEng.Configuration.Extensions`): every `[vault(<name>)]` in a string value →
//! [`SecretRef`] (format `dotnet-settings`, consumer = the configuration key `A:B:0:C`,
//! store `None`: it depends on the pairing below), and a top-level `KeyVaultUri` →
//! [`StoreDecl`] (format `dotnet-settings`, kind `azure-key-vault`, endpoint = the URI).

use super::{Input, SecretRef};
use crate::policy::facts::{Facts, SecretDecl, StoreDecl};
use crate::policy::tree::{Node, Value};
use regex::Regex;
use std::sync::LazyLock;

/// The tool's own pattern (`KeyVaultConfigMapper.VaultReferenceRegex`).
static VAULT_REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[vault\(([^\])]+)\)\]").expect("valid"));

/// Parameters the tool binds to a `SecretReference` (so a plain string there is a name).
const REFERENCE_PARAMETERS: &[&str] = &[
    "connectionstring",
    "storagekeysecret",
    "adminconnection",
    "adapplication",
    "domainaccountsecret",
    "githubbotaccountsecret",
    "secret",
];

pub fn extract(input: &Input, out: &mut Facts) {
    if let Some(doc) = input.json {
        if settings_file(input.name) {
            settings(input, doc, out);
        }
        return;
    }
    let in_vault_config = input.path.starts_with(".vault-config/")
        || input.path.contains("/.vault-config/")
        || input.name.ends_with(".vault-config.yaml")
        || input.name.ends_with(".vault-config.yml");
    for doc in input.yaml {
        if doc.at(&["storageLocation", "type"]).is_some() {
            manifest(input, doc, out);
        } else if in_vault_config && imported_secrets(doc) {
            // An `importSecretsFrom` file: its store is the importing manifest's.
            secrets(input, doc, None, &[], out);
        }
    }
}

fn settings_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    (lower.starts_with("settings.") || lower.starts_with("appsettings."))
        && lower.ends_with(".json")
}

/// A bare map of secrets: every value a map with a `type`.
fn imported_secrets(doc: &Node) -> bool {
    let entries = doc.entries();
    !entries.is_empty()
        && entries
            .iter()
            .all(|(_, v)| v.is_map() && v.str_at(&["type"]).is_some())
}

fn manifest(input: &Input, doc: &Node, out: &mut Facts) {
    let location = doc.get("storageLocation").unwrap_or(Node::null());
    let store = store_name(location);
    if let Some(name) = &store {
        let kind = match location.str_at(&["type"]) {
            Some("azure-key-vault") => "azure-key-vault",
            Some("azure-devops-project") => "azure-devops-project",
            _ => "other",
        };
        let at = location
            .at(&["parameters", "name"])
            .or_else(|| location.at(&["parameters", "project"]))
            .unwrap_or(location);
        let mut s = StoreDecl::new("vault-config", input.place(at), kind, name.clone());
        if kind == "azure-key-vault" {
            s.endpoint = Some(format!("https://{name}.vault.azure.net/"));
        }
        out.stores.push(s);
    }
    // Aliases of other stores that parameters may point into.
    let aliases: Vec<(String, String)> = doc
        .get("references")
        .map_or(&[][..], Node::entries)
        .iter()
        .map(|(alias, loc)| (alias.clone(), store_name(loc).unwrap_or(alias.clone())))
        .collect();
    if let Some(list) = doc.get("secrets") {
        secrets(input, list, store.as_deref(), &aliases, out);
    }
}

/// `azure-key-vault` → the vault name; `azure-devops-project` → `org/project`.
fn store_name(location: &Node) -> Option<String> {
    let p = location.get("parameters")?;
    match location.str_at(&["type"]) {
        Some("azure-devops-project") => Some(format!(
            "{}/{}",
            p.str_at(&["organization"]).unwrap_or_default(),
            p.str_at(&["project"]).unwrap_or_default()
        )),
        _ => p.str_at(&["name"]).map(str::to_string),
    }
}

/// Suffixes of the values a secret type stores (the tool's `GetCompositeSecretSuffixes`).
fn suffixes(ty: &str) -> &'static [&'static str] {
    match ty {
        "github-app-secret" => &[
            "-app-id",
            "-app-private-key",
            "-oauth-id",
            "-oauth-secret",
            "-app-webhook-secret",
        ],
        "github-oauth-secret" => &["-client-id", "-client-secret"],
        "github-account" => &["-password", "-otp", "-recovery-codes"],
        "random-base64" => &["-primary", "-secondary"],
        "ad-application" => &["-app-id", "-app-secret"],
        _ => &[""],
    }
}

/// Days between the rotations the tool schedules for a type; `None`: never rotated by it.
fn rotation_days(ty: &str) -> Option<u32> {
    Some(match ty {
        "azure-devops-access-token" => 1,
        "azure-storage-account-sas-token"
        | "azure-storage-account-sas-uri"
        | "azure-storage-blob-sas-uri"
        | "azure-storage-container-sas-uri"
        | "azure-storage-container-sas-token"
        | "azure-storage-table-sas-uri" => 15,
        // Two thirds of a 7–30 day token lifetime.
        "github-access-token" => 20,
        "random-base64" | "sql-connection-string" => 30,
        "domain-account" => 150,
        "azure-storage-key"
        | "azure-storage-connection-string"
        | "event-hub-connection-string"
        | "service-bus-connection-string"
        | "github-app-secret"
        | "github-oauth-secret"
        | "helix-access-token"
        | "maestro-access-token"
        | "grafana-api-key" => 180,
        _ => return None,
    })
}

fn secrets(
    input: &Input,
    list: &Node,
    store: Option<&str>,
    aliases: &[(String, String)],
    out: &mut Facts,
) {
    for (name, entry) in list.entries() {
        let ty = entry.str_at(&["type"]).unwrap_or_default();
        let at = input.yaml_key_place(entry, name);
        let rotation = rotation_days(ty);
        for suffix in suffixes(ty) {
            let mut d = SecretDecl::new("vault-config", at.clone(), format!("{name}{suffix}"));
            d.store = store.map(str::to_string);
            d.owner = entry.str_at(&["owner"]).map(str::to_string);
            d.inventory = true;
            d.rotation_days = rotation;
            d.supports = if rotation.is_some() {
                &["owner", "rotation"]
            } else {
                &["owner"]
            };
            out.secrets.push(d);
        }
        if let Some(params) = entry.get("parameters") {
            references(input, params, name, store, aliases, out, 0);
        }
    }
}

/// Secret references among a secret's parameters (see the module documentation).
fn references(
    input: &Input,
    params: &Node,
    consumer: &str,
    store: Option<&str>,
    aliases: &[(String, String)],
    out: &mut Facts,
    depth: usize,
) {
    if depth > 16 {
        return;
    }
    for (key, v) in params.entries() {
        let named = v.get("name").filter(|n| n.str().is_some());
        match (&v.value, named) {
            (Value::Map(_), Some(n)) if v.entries().len() <= 2 => {
                let location = v.str_at(&["location"]);
                let mut r = input.reference("vault-config", n, n.str().unwrap_or_default().into());
                r.store = match location {
                    Some(alias) => Some(
                        aliases
                            .iter()
                            .find(|(a, _)| a == alias)
                            .map_or(alias, |(_, vault)| vault.as_str())
                            .to_string(),
                    ),
                    None => store.map(str::to_string),
                };
                r.consumer = Some(consumer.to_string());
                out.refs.push(r);
            }
            (Value::Map(_), _) => references(input, v, consumer, store, aliases, out, depth + 1),
            (Value::Scalar(s), _)
                if REFERENCE_PARAMETERS.contains(&key.to_ascii_lowercase().as_str()) =>
            {
                let mut r = input.reference("vault-config", v, s.clone());
                r.store = store.map(str::to_string);
                r.consumer = Some(consumer.to_string());
                out.refs.push(r);
            }
            _ => {}
        }
    }
}

fn settings(input: &Input, doc: &Node, out: &mut Facts) {
    if let Some(uri) = doc.get("KeyVaultUri") {
        let text = uri.str().unwrap_or_default();
        let host = text
            .split_once("://")
            .map_or(text, |(_, rest)| rest)
            .split(['/', '.'])
            .next()
            .unwrap_or_default();
        if !host.is_empty() {
            let mut s = StoreDecl::new(
                "dotnet-settings",
                input.place(uri),
                "azure-key-vault",
                host.to_string(),
            );
            s.endpoint = Some(text.to_string());
            out.stores.push(s);
        }
    }
    let mut path = Vec::new();
    walk(input, doc, &mut path, out, 0);
}

fn walk(input: &Input, n: &Node, path: &mut Vec<String>, out: &mut Facts, depth: usize) {
    if depth > 64 {
        return;
    }
    match &n.value {
        Value::Map(entries) => {
            for (k, v) in entries {
                path.push(k.clone());
                walk(input, v, path, out, depth + 1);
                path.pop();
            }
        }
        Value::Seq(items) => {
            for (i, v) in items.iter().enumerate() {
                path.push(i.to_string());
                walk(input, v, path, out, depth + 1);
                path.pop();
            }
        }
        Value::Scalar(s) => {
            for c in VAULT_REF.captures_iter(s) {
                let m = c.get(0).expect("match");
                let name = c.get(1).expect("group").as_str().to_string();
                // The string's opening quote, then the characters before the match.
                let column = n.column + 1 + s[..m.start()].chars().count();
                let mut r = SecretRef {
                    column,
                    ..input.reference("dotnet-settings", n, name)
                };
                r.consumer = Some(path.join(":"));
                out.refs.push(r);
            }
        }
        Value::Null => {}
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::refs::extract;

    const MANIFEST: &str = "storageLocation:
  type: azure-key-vault
  parameters:
    subscription: 00000000-0000-0000-0000-000000000000
    name: orders-prod

references:
  shared-kv:
    type: azure-key-vault
    parameters:
      subscription: 11111111-1111-1111-1111-111111111111
      name: engshared

keys:
  data-protection-encryption-key:
    type: RSA
    size: 2048

importSecretsFrom: shared/orders-secrets.yaml

secrets:
  orders-storage:
    type: azure-storage-connection-string
    owner: team-orders
    parameters:
      subscription: 00000000-0000-0000-0000-000000000000
      account: ordersprod
  orders-logs-sas:
    type: azure-storage-container-sas-uri
    parameters:
      connectionString: orders-storage
      container: logs
      permissions: racwd
  github:
    type: github-app-secret
    parameters:
      hasPrivateKey: true
  bot-pat: {type: github-access-token, parameters: {gitHubBotAccountSecret: {location: shared-kv, name: BotAccount-dotnet-bot}, gitHubBotAccountName: dotnet-bot}}
  feature-flag-note:
    type: text
    parameters:
      description: not secret
";

    #[test]
    fn manifest_stores_secrets_and_references() {
        let f = extract(".vault-config/orders-prod.yaml", MANIFEST);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.stores.len(), 1);
        let s = &f.stores[0];
        assert_eq!(
            (s.format, s.kind, s.name.as_str(), s.place.line),
            ("vault-config", "azure-key-vault", "orders-prod", 5)
        );
        assert_eq!(
            s.endpoint.as_deref(),
            Some("https://orders-prod.vault.azure.net/")
        );
        let names: Vec<_> = f
            .secrets
            .iter()
            .map(|d| (d.place.line, d.name.as_str(), d.rotation_days))
            .collect();
        assert_eq!(
            names,
            [
                (22, "orders-storage", Some(180)),
                (28, "orders-logs-sas", Some(15)),
                (34, "github-app-id", Some(180)),
                (34, "github-app-private-key", Some(180)),
                (34, "github-oauth-id", Some(180)),
                (34, "github-oauth-secret", Some(180)),
                (34, "github-app-webhook-secret", Some(180)),
                (38, "bot-pat", Some(20)),
                (39, "feature-flag-note", None),
            ]
        );
        let storage = &f.secrets[0];
        assert!(storage.inventory);
        assert_eq!(storage.owner.as_deref(), Some("team-orders"));
        assert_eq!(storage.store.as_deref(), Some("orders-prod"));
        assert_eq!(storage.place.column, 3);
        assert_eq!(storage.supports, ["owner", "rotation"]);
        assert_eq!(f.secrets[8].supports, ["owner"]);
        assert_eq!(f.secrets[0].environment.as_deref(), Some("production"));

        let refs: Vec<_> = f
            .refs
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.column,
                    r.name.as_str(),
                    r.store.as_deref(),
                    r.consumer.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            refs,
            [
                (
                    31,
                    25,
                    "orders-storage",
                    Some("orders-prod"),
                    Some("orders-logs-sas")
                ),
                (
                    38,
                    105,
                    "BotAccount-dotnet-bot",
                    Some("engshared"),
                    Some("bot-pat")
                ),
            ]
        );
    }

    #[test]
    fn imported_secrets_file() {
        let text = "github:\n  type: github-app-secret\n  parameters:\n    hasPrivateKey: true\n\ndn-bot-pat:\n  type: azure-devops-access-token\n  owner: dnceng\n  parameters:\n    domainAccountSecret:\n      location: helixkv\n      name: dn-bot-account\n";
        let f = extract(".vault-config/shared/orders-secrets.yaml", text);
        assert_eq!(f.secrets.len(), 6);
        assert!(f.secrets.iter().all(|s| s.store.is_none() && s.inventory));
        assert_eq!(f.secrets[5].name, "dn-bot-pat");
        assert_eq!(f.secrets[5].place.line, 6);
        assert_eq!(f.refs.len(), 1);
        assert_eq!(
            f.refs[0].store.as_deref(),
            Some("helixkv"),
            "unresolved alias kept"
        );
        // The same shape outside .vault-config is not a manifest.
        assert!(extract("config/other.yaml", text).secrets.is_empty());
    }

    #[test]
    fn settings_vault_references() {
        let text = r#"{
  "KeyVaultUri": "https://Orders-Prod.vault.azure.net/",
  "Storage": {
    "ConnectionString": "[vault(orders-storage)]",
    "Containers": [ "plain", "prefix;Sas=[vault(orders-logs-sas)];[vault(github-app-id)]" ]
  },
  "GitHub": { "PrivateKey": "[vault(github-app-private-key)]" }
}"#;
        let f = extract("src/Orders/.config/settings.Production.json", text);
        assert_eq!(f.stores.len(), 1);
        assert_eq!(
            (
                f.stores[0].name.as_str(),
                f.stores[0].format,
                f.stores[0].place.line
            ),
            ("Orders-Prod", "dotnet-settings", 2)
        );
        let refs: Vec<_> = f
            .refs
            .iter()
            .map(|r| (r.line, r.column, r.name.as_str(), r.consumer.as_deref()))
            .collect();
        assert_eq!(
            refs,
            [
                (4, 26, "orders-storage", Some("Storage:ConnectionString")),
                (5, 42, "orders-logs-sas", Some("Storage:Containers:1")),
                (5, 67, "github-app-id", Some("Storage:Containers:1")),
                (7, 30, "github-app-private-key", Some("GitHub:PrivateKey")),
            ]
        );
        assert!(f.refs.iter().all(|r| r.format == "dotnet-settings"
            && r.store.is_none()
            && r.environment.as_deref() == Some("production")));
        // Other JSON files are not settings files.
        assert!(extract("src/data.json", text).refs.is_empty());
    }

    #[test]
    fn fixture_tree_declarations() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/policy/dotnet");
        let f = crate::policy::refs::inventory(root).unwrap();
        let secrets: Vec<_> = f
            .secrets
            .iter()
            .map(|s| {
                (
                    (s.place.path.as_str(), s.place.line),
                    s.store.as_deref(),
                    s.name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            secrets,
            [
                (
                    (".vault-config/orders-prod.yaml", 17),
                    Some("orders-prod"),
                    "orders-storage"
                ),
                (
                    (".vault-config/orders-prod.yaml", 23),
                    Some("orders-prod"),
                    "orders-bot-pat"
                ),
                (
                    (".vault-config/shared/orders-secrets.yaml", 1),
                    None,
                    "github-app-id"
                ),
                (
                    (".vault-config/shared/orders-secrets.yaml", 1),
                    None,
                    "github-app-private-key"
                ),
                (
                    (".vault-config/shared/orders-secrets.yaml", 1),
                    None,
                    "github-oauth-id"
                ),
                (
                    (".vault-config/shared/orders-secrets.yaml", 1),
                    None,
                    "github-oauth-secret"
                ),
                (
                    (".vault-config/shared/orders-secrets.yaml", 1),
                    None,
                    "github-app-webhook-secret"
                ),
            ]
        );
        let stores: Vec<_> = f
            .stores
            .iter()
            .map(|s| (s.place.path.as_str(), s.format, s.name.as_str()))
            .collect();
        assert_eq!(
            stores,
            [
                (
                    ".vault-config/orders-prod.yaml",
                    "vault-config",
                    "orders-prod"
                ),
                (
                    "src/Orders/.config/settings.Production.json",
                    "dotnet-settings",
                    "orders-prod"
                ),
            ]
        );
    }
}
