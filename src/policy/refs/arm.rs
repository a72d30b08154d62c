//! Azure Resource Manager JSON templates and parameter files.
//!
//! **Templates** (`$schema` naming `deploymentTemplate.json`, at any deployment scope):
//! - `Microsoft.KeyVault/vaults/secrets` resources, at the top level, nested under a vault's
//!   `resources` (type `secrets`), inside a nested deployment's `properties.template`, or in a
//!   `languageVersion` 2.0 symbolic `resources` object → [`SecretDecl`] (format `arm`): store
//!   and name from the resource name (`vault/secret`, or the `concat`/`format` expression that
//!   builds it, with computed parts kept as `[expression]` text), expiry and not-before from
//!   `properties.attributes.exp`/`nbf` as written (Unix seconds, or the expression text),
//!   `properties.contentType`, `tags`. A literal `properties.value` (not an expression) is also
//!   a [`SecretRef`] of kind `literal` whose text is only in the serde-skipped `.value`.
//! - `Microsoft.KeyVault/vaults` (not `existing`) → [`StoreDecl`] kind `azure-key-vault` with
//!   purge protection and soft-delete retention (see [`vault_decl`] for the defaults), and each
//!   access policy with secret permissions → a [`Grant`] (also for
//!   `Microsoft.KeyVault/vaults/accessPolicies` resources).
//! - `secureString` parameters with a literal `defaultValue` → [`SecretRef`]
//!   kind `literal` (consumer = the parameter).
//! - a nested deployment's `properties.parameters` are read like a parameter file.
//!
//! **Parameter files** (`$schema` naming `deploymentParameters.json`): a Key Vault reference
//! `parameters.X.reference.keyVault.id` + `secretName` (+ `secretVersion`) → [`SecretRef`]
//! (store = the vault name from the resource id, consumer = `X`, position = the `secretName`
//! value); a literal `parameters.X.value` whose name says it is a secret → kind `value`.
//! `@Microsoft.KeyVault(…)` strings are left to the text extractor in `azure.rs`.
//!
//! Stores are named by the bare vault name as written, the scheme `azure.rs` uses for
//! `@Microsoft.KeyVault(…)` references, so references and declarations compare directly.
//! Expressions are never evaluated; a parameter or variable is followed to a literal default
//! only for settings (purge protection, soft delete), never for names.

use super::Input;
use crate::policy::facts::{Facts, Grant, SecretDecl, StoreDecl};
use crate::policy::tree::{Node, Value};
use std::collections::BTreeMap;

/// How a template language writes values, for the Key Vault rules ARM and Bicep share.
pub(super) struct Lang<'a> {
    pub format: &'static str,
    /// The literal text of a scalar; `None` for an expression.
    pub literal: &'a dyn Fn(&Node) -> Option<String>,
    /// Like `literal`, also following a parameter or variable reference to a literal default.
    pub resolve: &'a dyn Fn(&Node) -> Option<String>,
}

/// Every secret permission a Key Vault access policy can grant (`all` grants them all too).
const ALL_SECRET_PERMISSIONS: &[&str] = &[
    "get", "list", "set", "delete", "backup", "restore", "recover", "purge",
];

/// Lifecycle attributes a Key Vault secret can carry.
pub(super) const KEY_VAULT_SECRET_SUPPORTS: &[&str] = &["expiry", "content-type", "not-before"];

pub fn extract(input: &Input, out: &mut Facts) {
    let Some(doc) = input.json else { return };
    let schema = doc
        .str_at(&["$schema"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    if schema.contains("deploymenttemplate.json") {
        template(input, doc, out, 0);
    } else if schema.contains("deploymentparameters.json") {
        if let Some(p) = doc.get("parameters") {
            parameter_values(input, p, out);
        }
    }
}

/// An ARM string is an expression when it is written `[…]`; `[[` escapes a literal `[`.
fn arm_literal(n: &Node) -> Option<String> {
    let s = n.str()?;
    if let Some(rest) = s.strip_prefix("[[") {
        Some(format!("[{rest}"))
    } else if s.starts_with('[') && s.ends_with(']') {
        None
    } else {
        Some(s.to_string())
    }
}

fn template(input: &Input, doc: &Node, out: &mut Facts, depth: usize) {
    if depth > 16 {
        return;
    }
    let params = doc.get("parameters");
    let vars = doc.get("variables");
    let resolve = |n: &Node| resolve_arm(n, params, vars);
    let lang = Lang {
        format: "arm",
        literal: &arm_literal,
        resolve: &resolve,
    };
    for (pname, p) in params.map_or(&[][..], Node::entries) {
        let ty = p.str_at(&["type"]).unwrap_or_default().to_ascii_lowercase();
        if ty != "securestring" && ty != "secureobject" {
            continue;
        }
        let Some(default) = p.get("defaultValue") else {
            continue;
        };
        if let Some(v) = arm_literal(default).filter(|v| !v.is_empty()) {
            let mut r = input.reference("arm", default, pname.clone());
            r.kind = "literal";
            r.consumer = Some(pname.clone());
            r.value = Some(v);
            out.refs.push(r);
        }
    }
    resources(input, &lang, doc.get("resources"), None, out, depth);
}

/// `[parameters('x')]` or `[variables('x')]` with a literal default; literals as written.
fn resolve_arm(n: &Node, params: Option<&Node>, vars: Option<&Node>) -> Option<String> {
    if let Some(l) = arm_literal(n) {
        return Some(l);
    }
    let expr = n.str()?;
    let inner = expr[1..expr.len() - 1].trim();
    let source = if let Some(a) = call_args(inner, "parameters") {
        params?.get(a.first()?.literal()?)?.get("defaultValue")?
    } else if let Some(a) = call_args(inner, "variables") {
        vars?.get(a.first()?.literal()?)?
    } else {
        return None;
    };
    arm_literal(source)
}

fn resources(
    input: &Input,
    lang: &Lang,
    list: Option<&Node>,
    parent_vault: Option<&str>,
    out: &mut Facts,
    depth: usize,
) {
    let Some(list) = list else { return };
    let items: Vec<&Node> = match &list.value {
        // languageVersion 2.0: symbolic names → resources.
        Value::Map(entries) => entries.iter().map(|(_, v)| v).collect(),
        _ => list.items().iter().collect(),
    };
    for r in items {
        let ty = r.str_at(&["type"]).unwrap_or_default().to_ascii_lowercase();
        let existing = r.str_at(&["existing"]) == Some("true");
        let name = r.str_at(&["name"]).unwrap_or_default();
        match ty.as_str() {
            "microsoft.keyvault/vaults" => {
                if !existing {
                    vault_decl(input, lang, r, r, name.to_string(), out);
                }
                resources(input, lang, r.get("resources"), Some(name), out, depth);
            }
            "microsoft.keyvault/vaults/secrets" | "secrets"
                if ty.contains('/') || parent_vault.is_some() =>
            {
                if existing {
                    continue;
                }
                let (store, secret) = split_name(name, parent_vault);
                secret_decl(input, lang, r, r, store, secret, out);
            }
            "microsoft.keyvault/vaults/accesspolicies" | "accesspolicies"
                if ty.contains('/') || parent_vault.is_some() =>
            {
                let (store, _) = split_name(name, parent_vault);
                if let Some(p) = r.at(&["properties", "accessPolicies"]) {
                    access_policies(input, lang, p, store.as_deref(), out);
                }
            }
            "microsoft.resources/deployments" => {
                if let Some(t) = r.at(&["properties", "template"]) {
                    template(input, t, out, depth + 1);
                }
                if let Some(p) = r.at(&["properties", "parameters"]) {
                    parameter_values(input, p, out);
                }
            }
            _ => {}
        }
    }
}

/// A parameter file's (or nested deployment's) `parameters` object.
fn parameter_values(input: &Input, params: &Node, out: &mut Facts) {
    for (pname, p) in params.entries() {
        if let Some(reference) = p.get("reference") {
            let Some(sn) = reference.get("secretName") else {
                continue;
            };
            let name = sn.str().unwrap_or_default().to_string();
            let mut r = input.reference("arm", sn, name);
            r.store = reference
                .str_at(&["keyVault", "id"])
                .and_then(vault_from_id);
            r.version = reference
                .str_at(&["secretVersion"])
                .filter(|v| !v.is_empty())
                .map(str::to_string);
            r.consumer = Some(pname.clone());
            out.refs.push(r);
        } else if super::secret_named(pname) {
            let Some(v) = p.get("value") else { continue };
            let Some(text) =
                arm_literal(v).filter(|t| !t.is_empty() && !super::aws::plain_setting(t))
            else {
                continue;
            };
            if text.contains("@Microsoft.KeyVault(") {
                continue; // a reference, read by azure.rs
            }
            let mut r = input.reference("arm", v, pname.clone());
            r.kind = "value";
            r.consumer = Some(pname.clone());
            r.value = Some(text);
            out.refs.push(r);
        }
    }
}

/// The vault name in `/subscriptions/…/providers/Microsoft.KeyVault/vaults/<name>`, or the
/// last argument of `[resourceId(…, 'Microsoft.KeyVault/vaults', <name>)]`.
fn vault_from_id(id: &str) -> Option<String> {
    const MARK: &str = "/providers/microsoft.keyvault/vaults/";
    if let Some(i) = id.to_ascii_lowercase().find(MARK) {
        let rest = &id[i + MARK.len()..];
        let name = rest.split('/').next().unwrap_or_default();
        return Some(name.to_string()).filter(|n| !n.is_empty());
    }
    if id.starts_with('[') && id.ends_with(']') {
        let args = call_args(id[1..id.len() - 1].trim(), "resourceId")?;
        let kv = args.iter().position(|a| {
            a.literal()
                .is_some_and(|l| l.eq_ignore_ascii_case("Microsoft.KeyVault/vaults"))
        })?;
        return args.get(kv + 1).map(Part::render);
    }
    None
}

/// Store and secret from a secret resource's name: `vault/secret` (literal or built by
/// `concat`/`format`), or the name alone under a vault parent.
fn split_name(name: &str, parent: Option<&str>) -> (Option<String>, String) {
    let parent = parent.map(str::to_string);
    let parts = if name.starts_with('[') && name.ends_with(']') && !name.starts_with("[[") {
        let inner = name[1..name.len() - 1].trim();
        if let Some(args) = call_args(inner, "concat") {
            args
        } else if let Some(args) = call_args(inner, "format") {
            format_parts(&args)
        } else {
            return (parent, name.to_string());
        }
    } else {
        vec![Part::Literal(name.to_string())]
    };
    // The first `/` written literally separates the vault from the secret.
    for (i, p) in parts.iter().enumerate() {
        if let Part::Literal(l) = p {
            if let Some(slash) = l.find('/') {
                let mut before: Vec<Part> = parts[..i].to_vec();
                before.push(Part::Literal(l[..slash].to_string()));
                let mut after = vec![Part::Literal(l[slash + 1..].to_string())];
                after.extend(parts[i + 1..].iter().cloned());
                return (Some(join(&before)), join(&after));
            }
        }
    }
    (parent, join(&parts))
}

/// One argument of an ARM template function call.
#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Expr(String),
}

impl Part {
    fn literal(&self) -> Option<&str> {
        match self {
            Part::Literal(l) => Some(l),
            Part::Expr(_) => None,
        }
    }

    fn render(&self) -> String {
        match self {
            Part::Literal(l) => l.clone(),
            Part::Expr(e) => format!("[{e}]"),
        }
    }
}

fn join(parts: &[Part]) -> String {
    parts.iter().map(Part::render).collect()
}

/// `format('{0}/{1}', a, b)` → the pieces of the format string with the arguments in place.
fn format_parts(args: &[Part]) -> Vec<Part> {
    let Some(Part::Literal(fmt)) = args.first() else {
        return args.to_vec();
    };
    let mut parts = Vec::new();
    let mut rest = fmt.as_str();
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let index: Option<usize> = rest[open + 1..open + close].trim().parse().ok();
        match index.and_then(|i| args.get(i + 1)) {
            Some(arg) => {
                parts.push(Part::Literal(rest[..open].to_string()));
                parts.push(arg.clone());
            }
            None => parts.push(Part::Literal(rest[..open + close + 1].to_string())),
        }
        rest = &rest[open + close + 1..];
    }
    parts.push(Part::Literal(rest.to_string()));
    parts.retain(|p| p != &Part::Literal(String::new()));
    parts
}

/// The arguments of `func(…)` when `expr` is exactly one call to it (case-insensitive).
fn call_args(expr: &str, func: &str) -> Option<Vec<Part>> {
    let head = expr.get(..func.len())?;
    if !head.eq_ignore_ascii_case(func) {
        return None;
    }
    let rest = expr[func.len()..].trim_start();
    let inner = rest.strip_prefix('(')?.strip_suffix(')')?;
    let mut args = Vec::new();
    let mut depth = 0i32;
    let mut quoted = false;
    let mut start = 0;
    let bytes = inner.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if quoted {
            if c == b'\'' {
                if bytes.get(i + 1) == Some(&b'\'') {
                    i += 1; // '' is an escaped quote
                } else {
                    quoted = false;
                }
            }
        } else {
            match c {
                b'\'' => quoted = true,
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b',' if depth == 0 => {
                    args.push(part(&inner[start..i]));
                    start = i + 1;
                }
                _ => {}
            }
        }
        i += 1;
    }
    if depth != 0 || quoted {
        return None; // not one call: `concat(a)(b)`, unbalanced text
    }
    if !inner[start..].trim().is_empty() || !args.is_empty() {
        args.push(part(&inner[start..]));
    }
    Some(args)
}

fn part(arg: &str) -> Part {
    let a = arg.trim();
    match a.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
        Some(s) if !s.replace("''", "").contains('\'') => Part::Literal(s.replace("''", "'")),
        _ => Part::Expr(a.to_string()),
    }
}

/// A Key Vault secret resource (ARM or Bicep): `body` holds `properties` and `tags`.
pub(super) fn secret_decl(
    input: &Input,
    lang: &Lang,
    body: &Node,
    at: &Node,
    store: Option<String>,
    name: String,
    out: &mut Facts,
) {
    let props = body.get("properties").unwrap_or(Node::null());
    let text = |path: &[&str]| props.str_at(path).map(str::to_string);
    let mut d = SecretDecl::new(lang.format, input.place(at), name.clone());
    d.store = store.clone();
    d.supports = KEY_VAULT_SECRET_SUPPORTS;
    d.expires = text(&["attributes", "exp"]);
    d.not_before = text(&["attributes", "nbf"]);
    d.content_type = text(&["contentType"]);
    d.tags = tags(body.get("tags"));
    out.secrets.push(d);
    if let Some(v) = props.get("value") {
        if let Some(literal) = (lang.literal)(v).filter(|l| !l.is_empty()) {
            let mut r = input.reference(lang.format, v, name);
            r.store = store;
            r.kind = "literal";
            r.value = Some(literal);
            out.refs.push(r);
        }
    }
}

/// String-valued tags (computed tag objects are not read).
pub(super) fn tags(n: Option<&Node>) -> BTreeMap<String, String> {
    n.map(|n| {
        n.entries()
            .iter()
            .filter_map(|(k, v)| v.str().map(|s| (k.clone(), s.to_string())))
            .collect()
    })
    .unwrap_or_default()
}

/// A Key Vault (ARM or Bicep), with its access policies as grants.
///
/// Defaults when a property is absent: purge protection is off (`Some(false)`; it can only
/// ever be turned on); soft delete is on with 90 days' retention (the platform default, and
/// `softDeleteRetentionInDays` accepts 7–90). `enableSoftDelete: false` → `Some(0)`. A value
/// computed by an expression without a literal default → `None` (unknown, not guessed).
pub(super) fn vault_decl(
    input: &Input,
    lang: &Lang,
    body: &Node,
    at: &Node,
    name: String,
    out: &mut Facts,
) {
    let props = body.get("properties").unwrap_or(Node::null());
    let present = |key: &str| props.get(key).filter(|n| n.value != Value::Null);
    let mut s = StoreDecl::new(
        lang.format,
        input.place(at),
        "azure-key-vault",
        name.clone(),
    );
    s.purge_protection = match present("enablePurgeProtection") {
        None => Some(false),
        Some(n) => (lang.resolve)(n).map(|v| v.eq_ignore_ascii_case("true")),
    };
    let soft_delete = present("enableSoftDelete").map(|n| (lang.resolve)(n));
    s.soft_delete_days = match soft_delete {
        Some(Some(v)) if v.eq_ignore_ascii_case("false") => Some(0),
        Some(None) => None,
        _ => match present("softDeleteRetentionInDays") {
            None => Some(90),
            Some(n) => (lang.resolve)(n).and_then(|v| v.parse().ok()),
        },
    };
    if let Some(uri) = present("vaultUri").and_then(|n| (lang.literal)(n)) {
        s.endpoint = Some(uri);
    }
    out.stores.push(s);
    if let Some(p) = props.get("accessPolicies") {
        access_policies(input, lang, p, Some(&name), out);
    }
}

/// Each access policy with secret permissions → a grant of those permissions on every secret
/// of the vault (access policies are vault-wide), consumer = the policy's `objectId`.
pub(super) fn access_policies(
    input: &Input,
    lang: &Lang,
    policies: &Node,
    store: Option<&str>,
    out: &mut Facts,
) {
    for p in policies.items() {
        let Some(secrets) = p.at(&["permissions", "secrets"]) else {
            continue;
        };
        let actions: Vec<String> = secrets
            .items()
            .iter()
            .filter_map(|a| match (lang.literal)(a) {
                Some(l) => Some(l.to_ascii_lowercase()),
                None => a.str().map(str::to_string),
            })
            .filter(|a| !a.is_empty())
            .collect();
        if actions.is_empty() {
            continue;
        }
        let all_secrets = actions.iter().any(|a| a == "all")
            || ALL_SECRET_PERMISSIONS
                .iter()
                .all(|x| actions.iter().any(|a| a == x));
        out.grants.push(Grant {
            format: lang.format,
            place: input.place(secrets),
            consumer: p.get("objectId").and_then(Node::str).map(str::to_string),
            store: store.map(str::to_string),
            resource: "*".into(),
            actions,
            all_secrets,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::refs::extract;

    const TEMPLATE: &str = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "keyVaultName": { "type": "string", "defaultValue": "kv-prod-eu" },
    "purge": { "type": "bool", "defaultValue": true },
    "adminPassword": { "type": "securestring", "defaultValue": "Zx9-fake-Default" },
    "apiKey": { "type": "securestring" }
  },
  "resources": [
    {
      "type": "Microsoft.KeyVault/vaults",
      "apiVersion": "2023-07-01",
      "name": "[parameters('keyVaultName')]",
      "properties": {
        "enablePurgeProtection": "[parameters('purge')]",
        "softDeleteRetentionInDays": 30,
        "accessPolicies": [
          { "tenantId": "[subscription().tenantId]", "objectId": "11111111-2222-3333-4444-555555555555",
            "permissions": { "secrets": [ "Get", "List" ] } },
          { "objectId": "[parameters('adminObjectId')]",
            "permissions": { "keys": [ "all" ], "secrets": [ "all" ] } },
          { "objectId": "keys-only", "permissions": { "keys": [ "get" ] } }
        ]
      },
      "resources": [
        { "type": "secrets", "name": "nested-secret", "apiVersion": "2023-07-01",
          "properties": { "value": "[parameters('apiKey')]" } }
      ]
    },
    {
      "type": "Microsoft.KeyVault/vaults/secrets",
      "apiVersion": "2023-07-01",
      "name": "[concat(parameters('keyVaultName'), '/', 'sql-password')]",
      "tags": { "owner": "team-data" },
      "properties": {
        "value": "hunter2-literal-fake",
        "contentType": "text/plain",
        "attributes": { "exp": 1767225600, "nbf": 1735689600 }
      }
    },
    {
      "type": "Microsoft.KeyVault/vaults/secrets",
      "name": "kv-legacy/storage-key",
      "properties": { "value": "[listKeys(variables('sa'), '2023-01-01').keys[0].value]" }
    },
    {
      "type": "Microsoft.KeyVault/vaults/secrets",
      "name": "[format('{0}/{1}', parameters('keyVaultName'), variables('secretName'))]",
      "properties": { "value": "[[not-an-expression]" }
    },
    {
      "type": "Microsoft.KeyVault/vaults",
      "name": "kv-dev",
      "properties": { "enableSoftDelete": false }
    }
  ]
}
"#;

    #[test]
    fn template_secrets_vaults_and_policies() {
        let f = extract("infra/azuredeploy.json", TEMPLATE);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let names: Vec<_> = f
            .secrets
            .iter()
            .map(|s| (s.store.as_deref(), s.name.as_str(), s.place.line))
            .collect();
        assert_eq!(
            names,
            [
                (Some("[parameters('keyVaultName')]"), "nested-secret", 27),
                (Some("[parameters('keyVaultName')]"), "sql-password", 31),
                (Some("kv-legacy"), "storage-key", 42),
                (
                    Some("[parameters('keyVaultName')]"),
                    "[variables('secretName')]",
                    47
                ),
            ]
        );
        let sql = &f.secrets[1];
        assert_eq!(sql.format, "arm");
        assert_eq!(sql.expires.as_deref(), Some("1767225600"));
        assert_eq!(sql.not_before.as_deref(), Some("1735689600"));
        assert_eq!(sql.content_type.as_deref(), Some("text/plain"));
        assert_eq!(sql.tags.get("owner").map(String::as_str), Some("team-data"));
        assert_eq!(sql.supports, KEY_VAULT_SECRET_SUPPORTS);
        assert_eq!(f.secrets[0].expires, None);

        let lits: Vec<_> = f.refs.iter().filter(|r| r.kind == "literal").collect();
        assert_eq!(lits.len(), 3, "{lits:#?}");
        assert_eq!(
            (lits[0].name.as_str(), lits[0].line, lits[0].column),
            ("adminPassword", 7, 64)
        );
        assert_eq!(lits[1].name, "sql-password");
        assert_eq!((lits[1].line, lits[1].column), (37, 18));
        assert_eq!(lits[1].value.as_deref(), Some("hunter2-literal-fake"));
        assert_eq!(lits[2].value.as_deref(), Some("[not-an-expression]"));
        let json = serde_json::to_string(&f.refs).unwrap();
        assert!(!json.contains("hunter2") && !json.contains("Zx9-fake"));

        assert_eq!(f.stores.len(), 2);
        let prod = &f.stores[0];
        assert_eq!(prod.kind, "azure-key-vault");
        assert_eq!(prod.name, "[parameters('keyVaultName')]");
        assert_eq!(
            prod.purge_protection,
            Some(true),
            "resolved through the default"
        );
        assert_eq!(prod.soft_delete_days, Some(30));
        let dev = &f.stores[1];
        assert_eq!(
            (dev.purge_protection, dev.soft_delete_days),
            (Some(false), Some(0))
        );

        assert_eq!(f.grants.len(), 2, "the keys-only policy grants no secret");
        let g = &f.grants[0];
        assert_eq!(g.actions, ["get", "list"]);
        assert_eq!(
            g.consumer.as_deref(),
            Some("11111111-2222-3333-4444-555555555555")
        );
        assert_eq!((g.resource.as_str(), g.all_secrets), ("*", false));
        assert_eq!(g.store.as_deref(), Some("[parameters('keyVaultName')]"));
        assert_eq!(g.place.line, 20);
        assert!(f.grants[1].all_secrets);
        assert_eq!(
            f.grants[1].consumer.as_deref(),
            Some("[parameters('adminObjectId')]")
        );
    }

    #[test]
    fn parameter_file_key_vault_references() {
        let text = r#"{
  "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentParameters.json#",
  "contentVersion": "1.0.0.0",
  "parameters": {
    "adminPassword": {
      "reference": {
        "keyVault": { "id": "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg-prod/providers/Microsoft.KeyVault/vaults/kv-prod-eu" },
        "secretName": "sql-admin-password",
        "secretVersion": "0123456789abcdef0123456789abcdef"
      }
    },
    "clientSecret": { "value": "fake-client-secret-value" },
    "location": { "value": "westeurope" },
    "appToken": { "value": "@Microsoft.KeyVault(VaultName=kv-prod-eu;SecretName=app-token)" }
  }
}"#;
        let f = extract("deploy/prod.parameters.json", text);
        let kv: Vec<_> = f.refs.iter().filter(|r| r.format == "arm").collect();
        assert_eq!(kv.len(), 2, "{kv:#?}");
        let r = kv[0];
        assert_eq!(
            (r.name.as_str(), r.store.as_deref(), r.consumer.as_deref()),
            (
                "sql-admin-password",
                Some("kv-prod-eu"),
                Some("adminPassword")
            )
        );
        assert_eq!(
            r.version.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
        assert_eq!((r.line, r.column), (8, 23));
        assert_eq!(r.environment.as_deref(), Some("production"));
        let v = kv[1];
        assert_eq!((v.kind, v.name.as_str()), ("value", "clientSecret"));
        assert_eq!(v.value.as_deref(), Some("fake-client-secret-value"));
        // The @Microsoft.KeyVault string is azure.rs's, once.
        assert_eq!(f.refs.iter().filter(|r| r.name == "app-token").count(), 1);
    }

    #[test]
    fn expression_names() {
        assert_eq!(
            split_name(
                "[concat(parameters('kv'), '/secret-', variables('n'))]",
                None
            ),
            (
                Some("[parameters('kv')]".into()),
                "secret-[variables('n')]".into()
            )
        );
        assert_eq!(
            split_name("[format('{0}/db', parameters('kv'))]", None),
            (Some("[parameters('kv')]".into()), "db".into())
        );
        assert_eq!(
            split_name("[variables('full')]", Some("kv")),
            (Some("kv".into()), "[variables('full')]".into())
        );
        assert_eq!(
            vault_from_id("[resourceId('Microsoft.KeyVault/vaults', parameters('kv'))]"),
            Some("[parameters('kv')]".into())
        );
        assert_eq!(
            call_args("concat('it''s', x)", "concat").unwrap()[0],
            Part::Literal("it's".into())
        );
    }

    #[test]
    fn not_a_template() {
        let f = extract("package.json", r#"{"name": "x", "resources": []}"#);
        assert!(f.secrets.is_empty() && f.stores.is_empty());
    }
}
