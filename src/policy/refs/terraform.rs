//! Terraform (`*.tf`): secrets declared in Azure Key Vault, AWS Secrets Manager, Google
//! Secret Manager and Vault; the stores holding them; who is granted access; and the data
//! sources (and `ephemeral` resources) that read secrets.
//!
//! What each block becomes (format `terraform` throughout):
//!
//! | block | fact |
//! |---|---|
//! | `resource azurerm_key_vault_secret` | [`SecretDecl`] (`expiration_date`, `not_before_date`, `content_type`, `tags`); a literal `value` is also a `literal` [`SecretRef`] |
//! | `resource azurerm_key_vault_certificate` | [`SecretDecl`] kind `certificate`; `validity_in_months` and the lifetime action go to tags |
//! | `resource azurerm_key_vault` (and `data`) | [`StoreDecl`] `azure-key-vault`; each `access_policy` a [`Grant`] |
//! | `resource azurerm_key_vault_access_policy` | [`Grant`] |
//! | `resource azurerm_role_assignment` with a Key Vault role | [`Grant`] |
//! | `resource aws_secretsmanager_secret` | [`SecretDecl`]; rotation from `aws_secretsmanager_secret_rotation`; `policy` statements are [`Grant`]s |
//! | `resource aws_secretsmanager_secret_version`, `aws_ssm_parameter` (SecureString), `google_secret_manager_secret_version` | a `literal` [`SecretRef`] when the value is written in place |
//! | `resource google_secret_manager_secret` | [`SecretDecl`] (`expire_time` / `ttl`, `rotation.rotation_period`, labels) |
//! | `resource vault_generic_secret`, `vault_kv_secret`, `vault_kv_secret_v2` | [`SecretDecl`]; a literal `data_json` is a `literal` [`SecretRef`] |
//! | `data`/`ephemeral` secret readers (Vault, AWS, Azure, Google) | a `reference` [`SecretRef`] |
//! | `provider "vault"` | [`StoreDecl`] `vault` with its `address` as endpoint |
//! | `aws_iam_policy`, `aws_iam_{role,user,group}_policy`, `aws_secretsmanager_secret_policy` (`jsonencode(…)` or a JSON heredoc), `data aws_iam_policy_document` | a [`Grant`] per statement resource when the actions touch `secretsmanager:`, `ssm:` parameters, `kms:` or `*` |
//! | `vault_policy` (HCL heredoc), `data vault_policy_document` | Vault policy [`Grant`]s (see [`super::vault_policy`]) |
//!
//! **Stores.** Azure: the vault's plain name (`kv-prod-eu`), as the Key Vault reference
//! extractor and the example policy write it; a `key_vault_id` is resolved to the vault's
//! `name` when the vault (resource or data source) is in the same file, otherwise the
//! expression text is kept (`module.kv.id`). AWS: `aws-secretsmanager`, `aws-ssm`, `aws-kms`.
//! Google: `gcp:<project>` (the block's `project`, else the file's `provider "google"`
//! project), or `gcp` when neither is written. Vault: `vault:<mount>` (first path segment, or
//! the `mount` attribute, resolved through `vault_mount.<x>.path`); `provider "vault"` stores
//! are named by their `alias`, else `vault`.
//!
//! **Consumers.** Key Vault access: the `object_id` / `principal_id` as written (usually an
//! expression such as `azurerm_user_assigned_identity.app.principal_id`). IAM: the policy's
//! `name` (or its address when computed), the role / user / group of an inline policy, the
//! statement's `Principal` for resource policies, the document's label for
//! `aws_iam_policy_document`. Literal values: the resource address. Data sources: the module,
//! i.e. the directory of the `.tf` file (`.` at the root).
//!
//! **Places.** Every declaration ([`SecretDecl`]: Azure secrets and certificates, AWS, Google
//! and Vault secrets) points at its block, i.e. the `resource` keyword of
//! `resource "<type>" "<label>" {` — whatever attributes are written, so every finding about
//! one secret (expired, missing content type, missing rotation) names the same place. A store
//! points at `purge_protection_enabled` when written, otherwise at the block. References and
//! grants point at the value that names the secret or the resource.
//!
//! **Values as written.** Dates, content types and tags keep expressions as their source text
//! (`timeadd(timestamp(), "8760h")`); Google's `ttl` is a duration (`"2592000s"`) written into
//! `expires`. Derived attributes travel in `tags` under a `terraform:` prefix
//! (`terraform:kms_key_id`, `terraform:recovery_window_in_days`, `terraform:validity_in_months`,
//! `terraform:lifetime_action`, `terraform:name_prefix`, `terraform:delete_version_after`).

use super::{vault_policy, Facts, Grant, Input, Place, SecretDecl, SecretRef, StoreDecl};
use crate::policy::tree::{self, Node, Value};
use std::collections::BTreeMap;

const FORMAT: &str = "terraform";

/// Every secret permission of a Key Vault access policy (azurerm 3.x/4.x): granting all of
/// them is granting the whole vault, including purge.
pub const ALL_SECRET_PERMISSIONS: [&str; 8] = [
    "backup", "delete", "get", "list", "purge", "recover", "restore", "set",
];

/// Built-in Azure roles that reach Key Vault secrets (data plane) and whether they read values.
const KEY_VAULT_ROLES: [&str; 4] = [
    "Key Vault Administrator",
    "Key Vault Secrets Officer",
    "Key Vault Secrets User",
    "Key Vault Reader",
];

pub fn extract(input: &Input, out: &mut Facts) {
    if !input.name.to_ascii_lowercase().ends_with(".tf") {
        return;
    }
    let Some(body) = input.hcl else { return };
    let tf = Tf::new(input, body);
    tf.azure(out);
    tf.aws(out);
    tf.google(out);
    tf.vault(out);
    tf.readers(out);
    tf.iam(out);
}

/// A file's body with its source, for the questions the tree cannot answer alone: where an
/// attribute's *value* starts, and whether it is a literal or an expression.
pub(super) struct Source<'a> {
    pub path: &'a str,
    pub text: &'a str,
    lines: Vec<usize>,
}

impl<'a> Source<'a> {
    pub fn new(path: &'a str, text: &'a str) -> Source<'a> {
        let mut lines = vec![0];
        lines.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        Source { path, text, lines }
    }

    fn offset(&self, line: usize, column: usize) -> Option<usize> {
        let start = *self.lines.get(line.checked_sub(1)?)?;
        let rest = self.text.get(start..)?;
        let skip = rest
            .char_indices()
            .nth(column.checked_sub(1)?)
            .map_or(rest.len(), |(i, _)| i);
        Some(start + skip)
    }

    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let line = self.lines.partition_point(|&s| s <= offset);
        let start = self.lines[line - 1];
        let col = self
            .text
            .get(start..offset)
            .map_or(1, |s| s.chars().count() + 1);
        (line, col)
    }

    /// Byte offset of a node's value: attribute nodes start at their key, so `key =` is skipped.
    pub fn value_offset(&self, n: &Node) -> Option<usize> {
        let at = self.offset(n.line, n.column)?;
        let rest = &self.text[at..];
        let ident = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
            .unwrap_or(rest.len());
        let after = rest[ident..].trim_start_matches([' ', '\t']);
        if ident > 0 && after.starts_with('=') && !after.starts_with("==") {
            let v = after[1..].trim_start();
            return Some(self.text.len() - v.len());
        }
        Some(at)
    }

    fn value_src(&self, n: &Node) -> &'a str {
        self.value_offset(n).map_or("", |o| &self.text[o..])
    }

    /// Where the value of `n` is written.
    pub fn place(&self, n: &Node) -> Place {
        let (line, column) = self
            .value_offset(n)
            .map_or((n.line, n.column), |o| self.line_col(o));
        Place {
            path: self.path.to_string(),
            line,
            column,
        }
    }

    /// Where `n` itself starts (a block, or an attribute's key).
    pub fn block_place(&self, n: &Node) -> Place {
        Place {
            path: self.path.to_string(),
            line: n.line,
            column: n.column,
        }
    }

    /// True when `n` is written as a literal: a string without interpolation, a heredoc
    /// without interpolation, a number, `true`/`false`/`null`, or a list/object of literals.
    pub fn is_literal(&self, n: &Node) -> bool {
        match &n.value {
            Value::Null => true,
            Value::Seq(items) => items.iter().all(|i| self.is_literal(i)),
            Value::Map(entries) => entries.iter().all(|(_, v)| self.is_literal(v)),
            Value::Scalar(s) => {
                let src = self.value_src(n);
                if src.starts_with('"') || src.starts_with("<<") {
                    !s.contains("${") && !s.contains("%{")
                } else {
                    let word = src
                        .split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '+')))
                        .next()
                        .unwrap_or("");
                    matches!(word, "true" | "false" | "null")
                        || word
                            .trim_start_matches('-')
                            .starts_with(|c: char| c.is_ascii_digit())
                }
            }
        }
    }

    /// The text of a literal scalar (a heredoc's body without its markers).
    pub fn literal<'n>(&self, n: &'n Node) -> Option<&'n str> {
        let s = n.str()?;
        if !self.is_literal(n) {
            return None;
        }
        Some(heredoc_body(s).unwrap_or(s))
    }

    /// The argument of `func(…)` written as the value of `n`, parsed as HCL with positions in
    /// the file (`jsonencode({ Statement = [...] })`).
    pub fn call_argument(&self, n: &Node, func: &str) -> Option<Node> {
        let s = n.str()?;
        let inner = s.strip_prefix(func)?.trim_start().strip_prefix('(')?;
        let inner = inner.trim_end().strip_suffix(')')?;
        let off = self.value_offset(n)?;
        let src = &self.text[off..];
        if !src.starts_with(s) {
            return None;
        }
        let inner_off = off + (s.len() - s[func.len()..].trim_start().len()) + 1;
        let inner_off = inner_off + (inner.len() - inner.trim_start().len());
        let (line, col) = self.line_col(inner_off);
        let prefix = if col > 5 {
            format!("x = {}", " ".repeat(col - 5))
        } else {
            "x = ".to_string()
        };
        let padded = format!("{}{prefix}{}", "\n".repeat(line - 1), inner.trim_start());
        tree::parse_hcl(&padded).ok()?.get("x").cloned()
    }

    /// A heredoc's body with its lines where they are in the file (blank lines before it), so
    /// a parser's positions are the file's.
    pub fn heredoc_padded(&self, n: &Node) -> Option<String> {
        let s = n.str()?;
        let body = heredoc_body(s)?;
        let (line, _) = self.line_col(self.value_offset(n)?);
        Some(format!("{}{body}", "\n".repeat(line)))
    }
}

/// The body of `<<EOF\n…\nEOF` (or `<<-EOF`).
fn heredoc_body(s: &str) -> Option<&str> {
    if !s.starts_with("<<") {
        return None;
    }
    let start = s.find('\n')? + 1;
    let end = s.rfind('\n').filter(|&e| e >= start).unwrap_or(start);
    Some(&s[start..end])
}

/// The blocks `kind "ty" "<label>" { … }` (resources, data sources, ephemeral resources).
fn blocks<'n>(body: &'n Node, kind: &str, ty: &str) -> Vec<(&'n str, &'n Node)> {
    let mut out = Vec::new();
    for k in body.get(kind).map_or(&[][..], Node::items) {
        for t in k.get(ty).map_or(&[][..], Node::items) {
            for (label, b) in t.entries() {
                for b in b.items() {
                    if b.is_map() {
                        out.push((label.as_str(), b));
                    }
                }
            }
        }
    }
    out
}

/// The label `x` of `<ty>.x.<attr>` (or `data.<ty>.x.<attr>`) in an expression.
fn label_of<'e>(expr: &'e str, ty: &str) -> Option<&'e str> {
    let e = expr.trim().trim_start_matches("${").trim_end_matches('}');
    let e = e.strip_prefix("data.").unwrap_or(e);
    let rest = e.strip_prefix(ty)?.strip_prefix('.')?;
    let label = rest.split(['.', '[', '/']).next()?;
    (!label.is_empty()).then_some(label)
}

fn directory(path: &str) -> String {
    path.rsplit_once('/')
        .map_or(".".to_string(), |(d, _)| d.to_string())
}

struct Tf<'a> {
    src: Source<'a>,
    body: &'a Node,
    module: String,
}

impl<'a> Tf<'a> {
    fn new(input: &'a Input, body: &'a Node) -> Tf<'a> {
        Tf {
            src: Source::new(input.path, input.text),
            body,
            module: directory(input.path),
        }
    }

    fn resources(&self, ty: &str) -> Vec<(&'a str, &'a Node)> {
        blocks(self.body, "resource", ty)
    }

    /// Data sources and ephemeral resources of a type.
    fn readers_of(&self, ty: &str) -> Vec<(&'a str, &'a Node)> {
        let mut v = blocks(self.body, "data", ty);
        v.extend(blocks(self.body, "ephemeral", ty));
        v
    }

    /// The text of an attribute as written: the literal, or the expression's source.
    fn text(&self, b: &Node, key: &str) -> Option<String> {
        let n = b.get(key)?;
        let s = n.str()?;
        Some(self.src.literal(n).unwrap_or(s).to_string())
    }

    fn lit(&self, b: &'a Node, key: &str) -> Option<&'a str> {
        b.get(key).and_then(|n| self.src.literal(n))
    }

    /// `tags = { … }` / `labels = { … }` as written (expressions keep their text).
    fn tags(&self, b: &Node, key: &str) -> BTreeMap<String, String> {
        b.get(key)
            .map(|t| {
                t.entries()
                    .iter()
                    .filter_map(|(k, v)| {
                        let s = v.str()?;
                        Some((k.clone(), self.src.literal(v).unwrap_or(s).to_string()))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The name under `key`, or the resource address when it is computed.
    fn name(&self, b: &Node, key: &str, ty: &str, label: &str) -> String {
        self.lit(b, key)
            .map_or_else(|| format!("{ty}.{label}"), str::to_string)
    }

    // ---------------------------------------------------------------- Azure

    /// The Key Vault a `key_vault_id` (or `scope`) names: the vault's `name` when the vault is
    /// declared (or read) in this file, an ARM id's last segment, else the expression text.
    fn key_vault(&self, id: &Node) -> String {
        let Some(expr) = id.str() else {
            return String::new();
        };
        if let Some(label) = label_of(expr, "azurerm_key_vault") {
            let data = expr.trim_start_matches("${").starts_with("data.");
            let found = if data {
                self.readers_of("azurerm_key_vault")
            } else {
                self.resources("azurerm_key_vault")
            };
            if let Some((_, b)) = found.into_iter().find(|(l, _)| *l == label) {
                if let Some(name) = self.text(b, "name") {
                    return name;
                }
            }
        }
        if let Some(i) = expr.to_ascii_lowercase().find("/vaults/") {
            let rest = &expr[i + "/vaults/".len()..];
            return rest.split('/').next().unwrap_or(rest).to_string();
        }
        expr.to_string()
    }

    fn environment(tags: &BTreeMap<String, String>) -> Option<String> {
        tags.iter()
            .find(|(k, _)| matches!(k.to_ascii_lowercase().as_str(), "environment" | "env"))
            .map(|(_, v)| v.clone())
    }

    fn owner(tags: &BTreeMap<String, String>) -> Option<String> {
        tags.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("owner"))
            .map(|(_, v)| v.clone())
    }

    fn azure(&self, out: &mut Facts) {
        for (label, b) in self.resources("azurerm_key_vault_secret") {
            let name = self.name(b, "name", "azurerm_key_vault_secret", label);
            let store = b.get("key_vault_id").map(|n| self.key_vault(n));
            let mut d = SecretDecl::new(FORMAT, self.src.block_place(b), name.clone());
            d.store = store.clone();
            d.expires = self.text(b, "expiration_date");
            d.not_before = self.text(b, "not_before_date");
            d.content_type = self.text(b, "content_type");
            d.tags = self.tags(b, "tags");
            d.owner = Self::owner(&d.tags);
            d.environment = Self::environment(&d.tags);
            d.supports = &["expiry", "content-type", "not-before"];
            out.secrets.push(d);
            if let Some(v) = b.get("value") {
                self.literal_value(
                    out,
                    v,
                    name,
                    store,
                    format!("azurerm_key_vault_secret.{label}"),
                );
            }
        }
        for (label, b) in self.resources("azurerm_key_vault_certificate") {
            let name = self.name(b, "name", "azurerm_key_vault_certificate", label);
            let mut d = SecretDecl::new(FORMAT, self.src.block_place(b), name);
            d.kind = "certificate";
            d.store = b.get("key_vault_id").map(|n| self.key_vault(n));
            d.tags = self.tags(b, "tags");
            d.owner = Self::owner(&d.tags);
            d.environment = Self::environment(&d.tags);
            let policy = b.get("certificate_policy").unwrap_or(Node::null());
            d.content_type = policy
                .get("secret_properties")
                .and_then(|p| self.text(p, "content_type"));
            if let Some(months) = policy
                .get("x509_certificate_properties")
                .and_then(|p| self.text(p, "validity_in_months"))
            {
                d.tags.insert("terraform:validity_in_months".into(), months);
            }
            let actions: Vec<String> = policy
                .get("lifetime_action")
                .map_or(&[][..], Node::items)
                .iter()
                .filter_map(|a| a.get("action").and_then(|a| self.text(a, "action_type")))
                .collect();
            if !actions.is_empty() {
                d.tags
                    .insert("terraform:lifetime_action".into(), actions.join(","));
            }
            // The expiry follows from the validity; nothing else can be written.
            d.supports = &[];
            out.secrets.push(d);
        }
        for (label, b) in self.resources("azurerm_key_vault") {
            let name = self.name(b, "name", "azurerm_key_vault", label);
            let purge = b.get("purge_protection_enabled");
            let place = purge.map_or_else(|| self.src.block_place(b), |n| self.src.place(n));
            let mut s = StoreDecl::new(FORMAT, place, "azure-key-vault", name.clone());
            // Absent: the provider's default, off. An expression cannot be judged here.
            s.purge_protection = match purge {
                None => Some(false),
                Some(n) => self.src.literal(n).map(|v| v == "true"),
            };
            // Soft delete is always on since azurerm 3.0 with 90 days unless
            // `soft_delete_retention_days` (7–90) says otherwise; azurerm 2.x could turn it off.
            s.soft_delete_days = if self.lit(b, "soft_delete_enabled") == Some("false") {
                Some(0)
            } else {
                match b.get("soft_delete_retention_days") {
                    None => Some(90),
                    Some(n) => self.src.literal(n).and_then(|v| v.parse().ok()),
                }
            };
            s.environment = Self::environment(&self.tags(b, "tags"));
            out.stores.push(s);
            let rbac = ["enable_rbac_authorization", "rbac_authorization_enabled"]
                .iter()
                .any(|k| self.lit(b, k) == Some("true"));
            if rbac {
                continue; // access policies are ignored by a vault using Azure RBAC
            }
            for ap in b.get("access_policy").map_or(&[][..], Node::items) {
                self.access_policy(out, ap, &name);
            }
        }
        for (_, b) in self.resources("azurerm_key_vault_access_policy") {
            let store = b
                .get("key_vault_id")
                .map(|n| self.key_vault(n))
                .unwrap_or_default();
            self.access_policy(out, b, &store);
        }
        for (_, b) in self.resources("azurerm_role_assignment") {
            self.role_assignment(out, b);
        }
    }

    fn access_policy(&self, out: &mut Facts, ap: &Node, store: &str) {
        let Some(perms) = ap.get("secret_permissions") else {
            return;
        };
        let actions: Vec<String> = perms
            .items()
            .iter()
            .filter_map(|p| p.str())
            .map(str::to_ascii_lowercase)
            .collect();
        if actions.is_empty() {
            return;
        }
        let all = ALL_SECRET_PERMISSIONS
            .iter()
            .all(|p| actions.iter().any(|a| a == p));
        out.grants.push(Grant {
            format: FORMAT,
            place: self.src.place(perms),
            consumer: self.text(ap, "object_id"),
            store: (!store.is_empty()).then(|| store.to_string()),
            // An access policy applies to every secret in the vault.
            resource: "*".into(),
            actions,
            all_secrets: all,
        });
    }

    /// `azurerm_role_assignment` of a Key Vault data-plane role. Scoped to a vault (or a
    /// resource group / subscription): every secret; scoped to `…/secrets/<name>`: that one.
    fn role_assignment(&self, out: &mut Facts, b: &Node) {
        let Some(role) = self.text(b, "role_definition_name") else {
            return;
        };
        if !KEY_VAULT_ROLES
            .iter()
            .any(|r| r.eq_ignore_ascii_case(&role))
        {
            return;
        }
        let Some(scope) = b.get("scope") else { return };
        let text = scope.str().unwrap_or_default();
        let secret = label_of(text, "azurerm_key_vault_secret")
            .and_then(|l| {
                self.resources("azurerm_key_vault_secret")
                    .into_iter()
                    .find(|(x, _)| *x == l)
                    .map(|(x, s)| self.name(s, "name", "azurerm_key_vault_secret", x))
            })
            .or_else(|| {
                text.split_once("/secrets/")
                    .map(|(_, n)| n.split('/').next().unwrap_or(n).to_string())
            });
        let store = if label_of(text, "azurerm_key_vault").is_some()
            || text.to_ascii_lowercase().contains("/vaults/")
        {
            Some(self.key_vault(scope))
        } else {
            // Resource group or subscription: every vault below it.
            None
        };
        let reads = !role.eq_ignore_ascii_case("Key Vault Reader");
        out.grants.push(Grant {
            format: FORMAT,
            place: self.src.place(scope),
            consumer: self.text(b, "principal_id"),
            store,
            all_secrets: secret.is_none() && reads,
            resource: secret.unwrap_or_else(|| "*".into()),
            actions: vec![role],
        });
    }

    /// A secret value written in place: a `literal` reference at the value, carrying it for
    /// the detector (never serialised).
    fn literal_value(
        &self,
        out: &mut Facts,
        v: &Node,
        name: String,
        store: Option<String>,
        consumer: String,
    ) {
        let value = match self.src.literal(v) {
            Some(s) => Some(s.to_string()),
            None => ["jsonencode", "yamlencode"].iter().find_map(|f| {
                self.src
                    .call_argument(v, f)
                    .filter(|arg| self.src.is_literal(arg))
                    .and(v.str().map(str::to_string))
            }),
        };
        let Some(value) = value else { return };
        out.refs.push(SecretRef {
            store,
            consumer: Some(consumer),
            kind: "literal",
            value: Some(value),
            ..SecretRef::at(FORMAT, self.src.place(v), name)
        });
    }

    // ---------------------------------------------------------------- AWS

    fn aws(&self, out: &mut Facts) {
        let store = || Some("aws-secretsmanager".to_string());
        let mut labels = Vec::new();
        for (label, b) in self.resources("aws_secretsmanager_secret") {
            let prefix = self.lit(b, "name_prefix");
            let name = match (self.lit(b, "name"), prefix) {
                (Some(n), _) => n.to_string(),
                (None, Some(p)) => p.to_string(),
                _ => format!("aws_secretsmanager_secret.{label}"),
            };
            let mut d = SecretDecl::new(FORMAT, self.src.block_place(b), name);
            d.store = store();
            d.tags = self.tags(b, "tags");
            d.owner = Self::owner(&d.tags);
            d.environment = Self::environment(&d.tags);
            if prefix.is_some() && b.get("name").is_none() {
                d.tags.insert("terraform:name_prefix".into(), "true".into());
            }
            // Absent: encrypted with the account's AWS managed key `aws/secretsmanager`.
            if let Some(k) = self.text(b, "kms_key_id") {
                d.tags.insert("terraform:kms_key_id".into(), k);
            }
            // Absent: 30 days; 0 deletes at once without recovery.
            if let Some(w) = self.text(b, "recovery_window_in_days") {
                d.tags.insert("terraform:recovery_window_in_days".into(), w);
            }
            // AWS provider < 4 wrote rotation on the secret itself.
            d.rotation_days = b.get("rotation_rules").and_then(|r| self.rotation_days(r));
            d.supports = &["rotation"];
            labels.push((label, out.secrets.len()));
            out.secrets.push(d);
            if let Some(p) = b.get("policy") {
                let name = out.secrets.last().map(|d| d.name.clone());
                self.iam_policy(out, p, None, name);
            }
        }
        for (_, b) in self.resources("aws_secretsmanager_secret_rotation") {
            let days = b.get("rotation_rules").and_then(|r| self.rotation_days(r));
            let target = b
                .str_at(&["secret_id"])
                .and_then(|e| label_of(e, "aws_secretsmanager_secret"));
            if let (Some(days), Some(target)) = (days, target) {
                if let Some((_, i)) = labels.iter().find(|(l, _)| *l == target) {
                    out.secrets[*i].rotation_days = Some(days);
                }
            }
        }
        for (_, b) in self.resources("aws_secretsmanager_secret_policy") {
            if let Some(p) = b.get("policy") {
                let name = self
                    .secret_id_name(b.get("secret_arn"))
                    .unwrap_or_else(|| "(attached secret)".into());
                self.iam_policy(out, p, None, Some(name));
            }
        }
        for (label, b) in self.resources("aws_secretsmanager_secret_version") {
            let Some(v) = b.get("secret_string") else {
                continue;
            };
            let name = self.secret_id_name(b.get("secret_id"));
            self.literal_value(
                out,
                v,
                name.unwrap_or_else(|| format!("aws_secretsmanager_secret_version.{label}")),
                store(),
                format!("aws_secretsmanager_secret_version.{label}"),
            );
        }
        for (label, b) in self.resources("aws_ssm_parameter") {
            if self.lit(b, "type") != Some("SecureString") {
                continue;
            }
            if let Some(v) = b.get("value") {
                self.literal_value(
                    out,
                    v,
                    self.name(b, "name", "aws_ssm_parameter", label),
                    Some("aws-ssm".into()),
                    format!("aws_ssm_parameter.{label}"),
                );
            }
        }
    }

    /// `automatically_after_days = N`, or `schedule_expression = "rate(N days)"`.
    fn rotation_days(&self, rules: &Node) -> Option<u32> {
        if let Some(d) = self.lit(rules, "automatically_after_days") {
            return d.parse().ok();
        }
        let e = self.lit(rules, "schedule_expression")?;
        let inner = e.trim().strip_prefix("rate(")?.strip_suffix(')')?;
        let (n, unit) = inner.trim().split_once(' ')?;
        let n: u32 = n.parse().ok()?;
        match unit.trim() {
            "day" | "days" => Some(n),
            "hour" | "hours" => Some(n.div_ceil(24)),
            _ => None,
        }
    }

    /// The secret's name behind `aws_secretsmanager_secret.x.id` (resource or data source).
    fn secret_id_name(&self, id: Option<&Node>) -> Option<String> {
        let id = id?;
        let expr = id.str()?;
        if let Some(l) = self.src.literal(id) {
            return Some(l.to_string());
        }
        let label = label_of(expr, "aws_secretsmanager_secret")?;
        let found = if expr.trim_start_matches("${").starts_with("data.") {
            self.readers_of("aws_secretsmanager_secret")
        } else {
            self.resources("aws_secretsmanager_secret")
        };
        found
            .into_iter()
            .find(|(l, _)| *l == label)
            .and_then(|(_, b)| {
                self.lit(b, "name")
                    .or_else(|| self.lit(b, "name_prefix"))
                    .or_else(|| self.lit(b, "arn"))
            })
            .map(str::to_string)
            .or_else(|| Some(expr.to_string()))
    }

    // ---------------------------------------------------------------- Google

    fn gcp_store(&self, b: &Node) -> String {
        let project = self.text(b, "project").or_else(|| {
            self.body
                .get("provider")
                .map_or(&[][..], Node::items)
                .iter()
                .flat_map(|p| p.get("google").map_or(&[][..], Node::items))
                .find_map(|g| self.text(g, "project"))
        });
        project.map_or_else(|| "gcp".to_string(), |p| format!("gcp:{p}"))
    }

    fn google(&self, out: &mut Facts) {
        let mut labels = Vec::new();
        for (label, b) in self.resources("google_secret_manager_secret") {
            let name = self.name(b, "secret_id", "google_secret_manager_secret", label);
            let mut d = SecretDecl::new(FORMAT, self.src.block_place(b), name.clone());
            d.store = Some(self.gcp_store(b));
            // `expire_time` is an RFC 3339 timestamp; `ttl` a duration such as "2592000s".
            d.expires = self.text(b, "expire_time").or_else(|| self.text(b, "ttl"));
            d.rotation_days = b
                .get("rotation")
                .and_then(|r| self.lit(r, "rotation_period"))
                .and_then(duration_days);
            d.tags = self.tags(b, "labels");
            d.owner = Self::owner(&d.tags);
            d.environment = Self::environment(&d.tags);
            d.supports = &["expiry", "rotation"];
            labels.push((label, name, d.store.clone()));
            out.secrets.push(d);
        }
        for (label, b) in self.resources("google_secret_manager_secret_version") {
            let Some(v) = b.get("secret_data") else {
                continue;
            };
            let target = b
                .str_at(&["secret"])
                .and_then(|e| label_of(e, "google_secret_manager_secret"))
                .and_then(|l| labels.iter().find(|(x, _, _)| *x == l));
            let (name, store) = match target {
                Some((_, n, s)) => (n.clone(), s.clone()),
                None => (
                    self.text(b, "secret")
                        .unwrap_or_else(|| format!("google_secret_manager_secret_version.{label}")),
                    Some(self.gcp_store(b)),
                ),
            };
            self.literal_value(
                out,
                v,
                name,
                store,
                format!("google_secret_manager_secret_version.{label}"),
            );
        }
    }

    // ---------------------------------------------------------------- Vault

    /// The mount under `key`: a literal, or `vault_mount.<x>.path` resolved in this file.
    fn vault_mount(&self, b: &Node, key: &str) -> Option<String> {
        let n = b.get(key)?;
        if let Some(l) = self.src.literal(n) {
            return Some(l.trim_matches('/').to_string());
        }
        let expr = n.str()?;
        let resolved = label_of(expr, "vault_mount").and_then(|l| {
            self.resources("vault_mount")
                .into_iter()
                .find(|(x, _)| *x == l)
                .and_then(|(_, m)| self.lit(m, "path"))
        });
        Some(resolved.unwrap_or(expr).trim_matches('/').to_string())
    }

    /// `secret/app/db` → (`vault:secret`, `app/db`).
    fn vault_path(&self, b: &Node, label: &str, ty: &str) -> (String, String) {
        let path = self.name(b, "path", ty, label);
        let path = path.trim_start_matches('/');
        match path.split_once('/') {
            Some((mount, rest)) => (format!("vault:{mount}"), rest.to_string()),
            None => ("vault".to_string(), path.to_string()),
        }
    }

    fn vault(&self, out: &mut Facts) {
        for ty in [
            "vault_generic_secret",
            "vault_kv_secret",
            "vault_kv_secret_v2",
        ] {
            for (label, b) in self.resources(ty) {
                let (store, name) = if ty == "vault_kv_secret_v2" {
                    let mount = self.vault_mount(b, "mount");
                    (
                        mount.map_or_else(|| "vault".into(), |m| format!("vault:{m}")),
                        self.name(b, "name", ty, label),
                    )
                } else {
                    self.vault_path(b, label, ty)
                };
                let mut d = SecretDecl::new(FORMAT, self.src.block_place(b), name.clone());
                d.store = Some(store.clone());
                if let Some(meta) = b.get("custom_metadata") {
                    if let Some(after) = self.text(meta, "delete_version_after") {
                        d.tags
                            .insert("terraform:delete_version_after".into(), after);
                    }
                    for (k, v) in self.tags(meta, "data") {
                        d.tags.insert(k, v);
                    }
                    d.owner = Self::owner(&d.tags);
                }
                out.secrets.push(d);
                if let Some(v) = b.get("data_json") {
                    self.literal_value(out, v, name, Some(store), format!("{ty}.{label}"));
                }
            }
        }
        for p in self.body.get("provider").map_or(&[][..], Node::items) {
            for v in p.get("vault").map_or(&[][..], Node::items) {
                let Some(addr) = v.get("address") else {
                    continue;
                };
                let name = self.lit(v, "alias").unwrap_or("vault").to_string();
                let mut s = StoreDecl::new(FORMAT, self.src.place(addr), "vault", name);
                s.endpoint = self.src.literal(addr).map(str::to_string);
                out.stores.push(s);
            }
        }
        for (label, b) in self.resources("vault_policy") {
            let consumer = self.name(b, "name", "vault_policy", label);
            if let Some(padded) = b.get("policy").and_then(|p| self.src.heredoc_padded(p)) {
                if let Ok(doc) = tree::parse_hcl(&padded) {
                    vault_policy::grants(&self.src, &doc, &consumer, &mut out.grants);
                }
            }
        }
        for (label, b) in self.readers_of("vault_policy_document") {
            for rule in b.get("rule").map_or(&[][..], Node::items) {
                let Some(path) = rule.get("path") else {
                    continue;
                };
                let resource = self.text(rule, "path").unwrap_or_default();
                let actions: Vec<String> = rule
                    .get("capabilities")
                    .map_or(&[][..], Node::items)
                    .iter()
                    .filter_map(|c| c.str().map(str::to_string))
                    .collect();
                out.grants.push(Grant {
                    format: FORMAT,
                    place: self.src.place(path),
                    consumer: Some(label.to_string()),
                    store: Some("vault".into()),
                    all_secrets: vault_policy::covers_all(&resource, &actions),
                    resource,
                    actions,
                });
            }
        }
    }

    // ---------------------------------------------------------------- readers

    fn read(&self, out: &mut Facts, at: &Node, name: String, store: Option<String>) -> usize {
        out.refs.push(SecretRef {
            store,
            consumer: Some(self.module.clone()),
            ..SecretRef::at(FORMAT, self.src.place(at), name)
        });
        out.refs.len() - 1
    }

    /// Data sources and ephemeral resources that read a secret.
    fn readers(&self, out: &mut Facts) {
        for ty in ["vault_generic_secret", "vault_kv_secret"] {
            for (label, b) in self.readers_of(ty) {
                let (store, name) = self.vault_path(b, label, ty);
                let i = self.read(out, b.get("path").unwrap_or(b), name, Some(store));
                out.refs[i].version = self.text(b, "version").filter(|v| v != "-1" && v != "0");
            }
        }
        for (label, b) in self.readers_of("vault_kv_secret_v2") {
            let store = self
                .vault_mount(b, "mount")
                .map_or_else(|| "vault".into(), |m| format!("vault:{m}"));
            let name = self.name(b, "name", "vault_kv_secret_v2", label);
            let i = self.read(out, b.get("name").unwrap_or(b), name, Some(store));
            out.refs[i].version = self.text(b, "version");
        }
        let sm = || Some("aws-secretsmanager".to_string());
        for (label, b) in self.readers_of("aws_secretsmanager_secret") {
            let at = b.get("name").or_else(|| b.get("arn")).unwrap_or(b);
            let name = self
                .text(b, "name")
                .or_else(|| self.text(b, "arn"))
                .unwrap_or_else(|| format!("data.aws_secretsmanager_secret.{label}"));
            self.read(out, at, name, sm());
        }
        for (label, b) in self.readers_of("aws_secretsmanager_secret_version") {
            let name = self
                .secret_id_name(b.get("secret_id"))
                .unwrap_or_else(|| format!("data.aws_secretsmanager_secret_version.{label}"));
            let i = self.read(out, b.get("secret_id").unwrap_or(b), name, sm());
            out.refs[i].version = self.text(b, "version_id");
        }
        for (label, b) in self.readers_of("azurerm_key_vault_secret") {
            let name = self.name(b, "name", "data.azurerm_key_vault_secret", label);
            let store = b.get("key_vault_id").map(|n| self.key_vault(n));
            let i = self.read(out, b.get("name").unwrap_or(b), name, store);
            out.refs[i].version = self.text(b, "version");
        }
        for ty in [
            "google_secret_manager_secret_version",
            "google_secret_manager_secret_version_access",
        ] {
            for (label, b) in self.readers_of(ty) {
                let secret = self
                    .text(b, "secret")
                    .unwrap_or_else(|| format!("{ty}.{label}"));
                // `projects/p/secrets/name` or `google_secret_manager_secret.x.id`.
                let name = secret
                    .rsplit_once("/secrets/")
                    .map_or(secret.clone(), |(_, n)| n.to_string());
                let store = self.gcp_store(b);
                let i = self.read(out, b.get("secret").unwrap_or(b), name, Some(store));
                out.refs[i].version = self.text(b, "version").filter(|v| v != "latest");
            }
        }
    }

    // ---------------------------------------------------------------- IAM

    fn iam(&self, out: &mut Facts) {
        for (label, b) in self.resources("aws_iam_policy") {
            let consumer = self.name(b, "name", "aws_iam_policy", label);
            if let Some(p) = b.get("policy") {
                self.iam_policy(out, p, Some(consumer), None);
            }
        }
        for (ty, principal) in [
            ("aws_iam_role_policy", ("role", "aws_iam_role")),
            ("aws_iam_user_policy", ("user", "aws_iam_user")),
            ("aws_iam_group_policy", ("group", "aws_iam_group")),
        ] {
            for (label, b) in self.resources(ty) {
                let consumer = self
                    .principal(b, principal.0, principal.1)
                    .unwrap_or_else(|| format!("{ty}.{label}"));
                if let Some(p) = b.get("policy") {
                    self.iam_policy(out, p, Some(consumer), None);
                }
            }
        }
        for (label, b) in self.readers_of("aws_iam_policy_document") {
            for st in b.get("statement").map_or(&[][..], Node::items) {
                if self
                    .lit(st, "effect")
                    .is_some_and(|e| !e.eq_ignore_ascii_case("allow"))
                {
                    continue;
                }
                let actions = strings(st.get("actions"));
                let consumer = st
                    .get("principals")
                    .map_or(&[][..], Node::items)
                    .iter()
                    .flat_map(|p| strings(p.get("identifiers")))
                    .collect::<Vec<_>>();
                let consumer = if consumer.is_empty() {
                    label.to_string()
                } else {
                    consumer.join(",")
                };
                let resources: Vec<&Node> = st
                    .get("resources")
                    .map_or(Vec::new(), |r| r.items().iter().collect());
                self.statement(out, &actions, &resources, st, Some(consumer), None);
            }
        }
    }

    /// `role = aws_iam_role.app.id` → the role's name when declared here, else its address.
    fn principal(&self, b: &Node, key: &str, ty: &str) -> Option<String> {
        let n = b.get(key)?;
        if let Some(l) = self.src.literal(n) {
            return Some(l.to_string());
        }
        let expr = n.str()?;
        let Some(label) = label_of(expr, ty) else {
            return Some(expr.to_string());
        };
        let named = self
            .resources(ty)
            .into_iter()
            .find(|(x, _)| *x == label)
            .and_then(|(_, r)| self.lit(r, "name"));
        Some(named.map_or_else(|| format!("{ty}.{label}"), str::to_string))
    }

    /// An IAM policy document written as `jsonencode({…})` or a JSON heredoc. `attached`:
    /// the secret a resource policy is attached to (its `Resource` can only be that secret).
    fn iam_policy(
        &self,
        out: &mut Facts,
        p: &Node,
        consumer: Option<String>,
        attached: Option<String>,
    ) {
        let doc = self.src.call_argument(p, "jsonencode").or_else(|| {
            self.src
                .heredoc_padded(p)
                .and_then(|t| tree::parse_json(&t).ok())
        });
        let Some(doc) = doc else { return };
        for st in doc.get("Statement").map_or(&[][..], Node::items) {
            if st
                .str_at(&["Effect"])
                .is_some_and(|e| !e.eq_ignore_ascii_case("allow"))
            {
                continue;
            }
            let actions = strings(st.get("Action"));
            let principal = st.get("Principal").map(|p| {
                let ids: Vec<String> = match &p.value {
                    Value::Map(e) => e.iter().flat_map(|(_, v)| strings(Some(v))).collect(),
                    _ => strings(Some(p)),
                };
                ids.join(",")
            });
            let resources: Vec<&Node> = st
                .get("Resource")
                .map_or(Vec::new(), |r| r.items().iter().collect());
            let consumer = principal.or_else(|| consumer.clone());
            self.statement(out, &actions, &resources, st, consumer, attached.clone());
        }
    }

    /// One Allow statement: a grant per resource when an action reaches secrets.
    fn statement(
        &self,
        out: &mut Facts,
        actions: &[String],
        resources: &[&Node],
        st: &Node,
        consumer: Option<String>,
        attached: Option<String>,
    ) {
        if !actions.iter().any(|a| secret_action(a)) {
            return;
        }
        if let Some(secret) = attached {
            // A secret's resource policy: whatever `Resource` says, it is that secret.
            let at = resources.first().copied().unwrap_or(st);
            out.grants.push(Grant {
                format: FORMAT,
                place: self.src.place(at),
                consumer,
                store: Some("aws-secretsmanager".into()),
                resource: secret,
                actions: actions.to_vec(),
                all_secrets: false,
            });
            return;
        }
        for r in resources {
            let Some(resource) = r.str() else { continue };
            out.grants.push(Grant {
                format: FORMAT,
                place: self.src.place(r),
                consumer: consumer.clone(),
                store: Some(aws_store(resource, actions)),
                all_secrets: aws_covers_all(resource) && actions.iter().any(|a| reads_secrets(a)),
                resource: resource.to_string(),
                actions: actions.to_vec(),
            });
        }
    }
}

/// The strings of a string-or-list value.
fn strings(n: Option<&Node>) -> Vec<String> {
    n.map_or(&[][..], Node::items)
        .iter()
        .filter_map(|i| i.str().map(str::to_string))
        .collect()
}

/// Actions that read or change secrets: Secrets Manager, SSM parameters, KMS, or `*`.
fn secret_action(a: &str) -> bool {
    let a = a.to_ascii_lowercase();
    a == "*"
        || a.starts_with("secretsmanager:")
        || a.starts_with("kms:")
        || a == "ssm:*"
        || (a.starts_with("ssm:") && a.contains("parameter"))
}

/// Actions that reach secret values themselves (not only the keys that encrypt them).
fn reads_secrets(a: &str) -> bool {
    secret_action(a) && !a.to_ascii_lowercase().starts_with("kms:")
}

/// The store an IAM resource belongs to: from its ARN's service, else from the actions.
fn aws_store(resource: &str, actions: &[String]) -> String {
    let service = resource
        .strip_prefix("arn:")
        .and_then(|r| r.split(':').nth(1))
        .filter(|s| *s != "*")
        .map(str::to_string)
        .or_else(|| {
            actions
                .iter()
                .find(|a| secret_action(a) && a.contains(':'))
                .and_then(|a| a.split(':').next())
                .map(str::to_ascii_lowercase)
        });
    match service.as_deref() {
        Some("secretsmanager") => "aws-secretsmanager".into(),
        Some("ssm") => "aws-ssm".into(),
        Some("kms") => "aws-kms".into(),
        Some(s) => format!("aws-{s}"),
        None => "aws".into(),
    }
}

/// `*`, or an ARN whose resource part is every secret / parameter / key. A grant covers every
/// secret when its resource does and an action reaches secret values: `kms:Decrypt` on `*`
/// alone does not (it is still reported as written for the least-privilege check).
/// (`arn:aws:secretsmanager:*:*:secret:*`, `arn:aws:ssm:eu-west-1:123:parameter/*`).
fn aws_covers_all(resource: &str) -> bool {
    if resource == "*" {
        return true;
    }
    let Some(rest) = resource.strip_prefix("arn:") else {
        return false;
    };
    let part = rest.splitn(5, ':').nth(4).unwrap_or("");
    matches!(
        part,
        "*" | "secret:*" | "parameter/*" | "parameter*" | "key/*" | "alias/*"
    )
}

/// `"7776000s"` → 90 (days, rounded up).
fn duration_days(s: &str) -> Option<u32> {
    let secs: f64 = s.trim().strip_suffix('s')?.parse().ok()?;
    (secs > 0.0).then(|| (secs / 86_400.0).ceil() as u32)
}

#[cfg(test)]
mod tests {
    use crate::policy::refs::extract;

    #[test]
    fn literal_detection_and_value_positions() {
        let text = "resource \"azurerm_key_vault_secret\" \"a\" {\n  name  = \"db\"\n  value = var.db\n  expiration_date = \"2030-01-01T00:00:00Z\"\n}\nresource \"azurerm_key_vault_secret\" \"b\" {\n  name  = \"x-${var.env}\"\n  value = \"hunter2-fake\"\n}\n";
        let f = extract("infra/main.tf", text);
        assert_eq!(f.secrets.len(), 2);
        let a = &f.secrets[0];
        assert_eq!(a.name, "db");
        assert_eq!(a.expires.as_deref(), Some("2030-01-01T00:00:00Z"));
        // At the block, not at the `expiration_date` written in it.
        assert_eq!((a.place.line, a.place.column), (1, 1));
        let b = &f.secrets[1];
        assert_eq!(b.name, "azurerm_key_vault_secret.b");
        assert_eq!((b.place.line, b.place.column), (6, 1));
        assert_eq!(f.refs.len(), 1, "{:?}", f.refs);
        let lit = &f.refs[0];
        assert_eq!((lit.kind, lit.line, lit.column), ("literal", 8, 11));
        assert_eq!(lit.value.as_deref(), Some("hunter2-fake"));
    }

    fn fixture(rel: &str) -> crate::policy::refs::Facts {
        let path = format!("{}/testdata/policy/{rel}", env!("CARGO_MANIFEST_DIR"));
        let mut f = extract(rel, &std::fs::read_to_string(path).unwrap());
        f.sort();
        f
    }

    fn at(p: &crate::policy::refs::Place) -> (usize, usize) {
        (p.line, p.column)
    }

    #[test]
    fn azure_key_vault_secrets() {
        let f = fixture("terraform/azure/keyvault.tf");
        let s = |n: &str| f.secrets.iter().find(|d| d.name == n).unwrap();
        let db = s("db-password");
        assert_eq!(
            at(&db.place),
            (84, 1),
            "the resource, not its expiration_date"
        );
        assert_eq!(db.store.as_deref(), Some("kv-prod-payments"));
        assert_eq!(db.expires.as_deref(), Some("2027-06-30T00:00:00Z"));
        assert_eq!(db.not_before.as_deref(), Some("2025-01-01T00:00:00Z"));
        assert_eq!(db.content_type.as_deref(), Some("password"));
        assert_eq!(db.owner.as_deref(), Some("payments-team"));
        assert_eq!(db.supports, ["expiry", "content-type", "not-before"]);
        let api = s("api-key");
        assert_eq!((at(&api.place), api.expires.as_deref()), ((98, 1), None));
        let hook = s("webhook-token");
        assert_eq!(
            (hook.store.as_deref(), hook.content_type.as_deref()),
            (Some("kv-dev-payments"), None)
        );
        let legacy = s("legacy-smtp-password");
        assert_eq!(at(&legacy.place), (114, 1));
        assert_eq!(legacy.store.as_deref(), Some("kv-stg-payments"));
        let tls = s("api-tls");
        assert_eq!(tls.kind, "certificate");
        assert_eq!(tls.content_type.as_deref(), Some("application/x-pkcs12"));
        assert_eq!(tls.tags["terraform:validity_in_months"], "12");
        assert_eq!(tls.tags["terraform:lifetime_action"], "AutoRenew");
        assert!(tls.supports.is_empty());

        // Only the literal value is a reference, at the value, carrying it unserialised.
        assert_eq!(f.refs.len(), 1, "{:#?}", f.refs);
        let r = &f.refs[0];
        assert_eq!(
            (r.kind, r.line, r.column, r.name.as_str()),
            ("literal", 116, 18, "legacy-smtp-password")
        );
        assert_eq!(
            r.consumer.as_deref(),
            Some("azurerm_key_vault_secret.legacy")
        );
        assert_eq!(r.value.as_deref(), Some("fake-Smtp-Passw0rd-not-real"));
        assert!(!serde_json::to_string(r).unwrap().contains("fake-Smtp"));
    }

    #[test]
    fn azure_key_vaults_and_access() {
        let f = fixture("terraform/azure/keyvault.tf");
        let v = |n: &str| f.stores.iter().find(|s| s.name == n).unwrap();
        let prod = v("kv-prod-payments");
        assert_eq!(
            (
                at(&prod.place),
                prod.purge_protection,
                prod.soft_delete_days
            ),
            ((17, 32), Some(true), Some(90))
        );
        assert_eq!(prod.environment.as_deref(), Some("production"));
        let dev = v("kv-dev-payments");
        assert_eq!(
            (at(&dev.place), dev.purge_protection, dev.soft_delete_days),
            ((33, 1), Some(false), Some(7)),
            "absent purge protection is the provider default, off"
        );
        let stg = v("kv-stg-payments");
        assert_eq!(
            (at(&stg.place), stg.purge_protection, stg.soft_delete_days),
            ((61, 30), Some(false), Some(90))
        );

        assert_eq!(f.grants.len(), 4, "{:#?}", f.grants);
        let full = &f.grants[0];
        assert_eq!(at(&full.place), (44, 26));
        assert_eq!(full.store.as_deref(), Some("kv-dev-payments"));
        assert_eq!(
            full.consumer.as_deref(),
            Some("data.azurerm_client_config.current.object_id")
        );
        assert_eq!(full.resource, "*");
        assert!(full.all_secrets, "every secret permission");
        let read = &f.grants[1];
        assert_eq!(read.actions, ["get", "list"]);
        assert!(!read.all_secrets);
        let ci = &f.grants[2];
        assert_eq!(
            (
                ci.store.as_deref(),
                ci.consumer.as_deref(),
                ci.actions.as_slice()
            ),
            (
                Some("kv-stg-payments"),
                Some("00000000-0000-0000-0000-00000000c1c1"),
                &["get".to_string()][..]
            )
        );
        let rbac = &f.grants[3];
        assert_eq!(rbac.actions, ["Key Vault Secrets User"]);
        assert_eq!(
            (
                rbac.store.as_deref(),
                rbac.resource.as_str(),
                rbac.all_secrets
            ),
            (Some("kv-prod-payments"), "*", true)
        );
        // The RBAC vault's own access policies (none here) would be skipped.
        assert!(f.grants.iter().all(|g| at(&g.place) != (11, 1)));
    }

    #[test]
    fn azure_reads_resolve_the_vault_data_source() {
        let f = fixture("terraform/azure/reads.tf");
        assert_eq!(f.refs.len(), 2);
        let r = &f.refs[0];
        assert_eq!(
            (r.name.as_str(), r.store.as_deref(), r.line, r.column),
            ("stripe-api-key", Some("kv-prod-shared"), 8, 18)
        );
        assert_eq!(r.consumer.as_deref(), Some("terraform/azure"));
        assert_eq!(r.kind, "reference");
        assert_eq!(
            f.refs[1].version.as_deref(),
            Some("0123456789abcdef0123456789abcdef")
        );
    }

    #[test]
    fn aws_secrets_rotation_and_literals() {
        let f = fixture("terraform/aws/secrets.tf");
        let s = |n: &str| f.secrets.iter().find(|d| d.name == n).unwrap();
        let db = s("prod/payments/db");
        assert_eq!(at(&db.place), (13, 1));
        assert_eq!(db.rotation_days, Some(30));
        assert_eq!(db.store.as_deref(), Some("aws-secretsmanager"));
        assert_eq!(db.supports, ["rotation"]);
        assert_eq!(db.tags["terraform:kms_key_id"], "aws_kms_key.secrets.arn");
        assert_eq!(db.owner.as_deref(), Some("payments-team"));
        let legacy = s("legacy-api-");
        assert_eq!(legacy.rotation_days, None);
        assert_eq!(legacy.tags["terraform:recovery_window_in_days"], "0");
        assert_eq!(legacy.tags["terraform:name_prefix"], "true");
        assert_eq!(s("staging/reports/token").rotation_days, Some(10));

        let lits: Vec<_> = f.refs.iter().filter(|r| r.kind == "literal").collect();
        assert_eq!(lits.len(), 2, "jsonencode of a variable is not a literal");
        assert_eq!(
            (lits[0].line, lits[0].column, lits[0].name.as_str()),
            (41, 19, "legacy-api-")
        );
        assert_eq!(
            lits[0].consumer.as_deref(),
            Some("aws_secretsmanager_secret_version.legacy")
        );
        assert_eq!(
            (lits[1].store.as_deref(), lits[1].name.as_str()),
            (Some("aws-ssm"), "/prod/smtp/password")
        );
        let reads: Vec<_> = f.refs.iter().filter(|r| r.kind == "reference").collect();
        assert_eq!(reads.len(), 2);
        assert!(reads.iter().all(|r| r.name == "prod/shared/stripe"));
        assert_eq!((reads[1].line, reads[1].column), (90, 15));

        // The secret's resource policy: `Resource = "*"` means that secret.
        assert_eq!(f.grants.len(), 1);
        let g = &f.grants[0];
        assert_eq!(
            (g.resource.as_str(), g.all_secrets, g.consumer.as_deref()),
            (
                "staging/reports/token",
                false,
                Some("arn:aws:iam::111122223333:role/reports")
            )
        );
    }

    #[test]
    fn aws_iam_grants() {
        let f = fixture("terraform/aws/iam.tf");
        assert_eq!(f.grants.len(), 4, "{:#?}", f.grants);
        let one = &f.grants[0];
        assert_eq!(at(&one.place), (21, 21));
        assert_eq!(
            (
                one.consumer.as_deref(),
                one.resource.as_str(),
                one.all_secrets
            ),
            (
                Some("payments-app"),
                "aws_secretsmanager_secret.db.arn",
                false
            )
        );
        let all = &f.grants[1];
        assert_eq!(at(&all.place), (42, 19), "inside the JSON heredoc");
        assert_eq!(all.consumer.as_deref(), Some("ci-all-secrets"));
        assert!(all.all_secrets);
        assert_eq!(all.actions.len(), 2);
        let ssm = &f.grants[2];
        assert_eq!(
            (
                ssm.consumer.as_deref(),
                ssm.store.as_deref(),
                ssm.all_secrets
            ),
            (Some("ssm_read"), Some("aws-ssm"), false)
        );
        let kms = &f.grants[3];
        assert_eq!(
            (kms.resource.as_str(), kms.store.as_deref(), kms.all_secrets),
            ("*", Some("aws-kms"), false)
        );
    }

    #[test]
    fn google_secrets() {
        let f = fixture("terraform/gcp/secrets.tf");
        let s = |n: &str| f.secrets.iter().find(|d| d.name == n).unwrap();
        let api = s("api-key");
        assert_eq!(at(&api.place), (6, 1), "the resource, not its expire_time");
        assert_eq!(api.store.as_deref(), Some("gcp:payments-prod-4711"));
        assert_eq!(api.expires.as_deref(), Some("2027-01-31T00:00:00Z"));
        assert_eq!(api.rotation_days, Some(90));
        assert_eq!(api.supports, ["expiry", "rotation"]);
        assert_eq!(s("session-key").expires.as_deref(), Some("2592000s"));
        let none = s("webhook-signing");
        assert_eq!(
            (
                at(&none.place),
                none.store.as_deref(),
                none.expires.as_deref()
            ),
            ((37, 1), Some("gcp:payments-stg-4712"), None)
        );
        let lit = f.refs.iter().find(|r| r.kind == "literal").unwrap();
        assert_eq!(
            (lit.line, lit.column, lit.name.as_str()),
            (48, 17, "session-key")
        );
        let read = f.refs.iter().find(|r| r.kind == "reference").unwrap();
        assert_eq!(
            (read.name.as_str(), read.version.as_deref(), read.line),
            ("db-password", Some("5"), 56)
        );
    }

    #[test]
    fn vault_in_terraform() {
        let f = fixture("terraform/vault/main.tf");
        let s = |n: &str| f.secrets.iter().find(|d| d.name == n).unwrap();
        let db = s("prod/db");
        assert_eq!(
            db.store.as_deref(),
            Some("vault:kv-payments"),
            "via vault_mount"
        );
        assert_eq!(db.tags["terraform:delete_version_after"], "7776000");
        assert_eq!(s("legacy/smtp").store.as_deref(), Some("vault:secret"));
        let lits: Vec<_> = f.refs.iter().filter(|r| r.kind == "literal").collect();
        assert_eq!(lits.len(), 1, "{lits:#?}");
        assert_eq!((lits[0].line, lits[0].column), (33, 15));
        assert!(lits[0].value.as_deref().unwrap().contains("fake-smtp"));
        let reads: Vec<_> = f.refs.iter().filter(|r| r.kind == "reference").collect();
        let names: Vec<_> = reads
            .iter()
            .map(|r| (r.name.as_str(), r.store.as_deref(), r.line))
            .collect();
        assert_eq!(
            names,
            [
                ("prod/stripe", Some("vault:secret"), 41),
                ("prod/db", Some("vault:kv-payments"), 46),
                ("prod/api-token", Some("vault:kv-payments"), 51),
            ]
        );
        assert_eq!(reads[2].version.as_deref(), Some("3"));
        assert_eq!(f.stores.len(), 2);
        assert_eq!(
            f.stores[0].endpoint.as_deref(),
            Some("http://vault.internal.example:8200")
        );
        assert_eq!(at(&f.stores[0].place), (2, 13));
        assert_eq!(f.stores[1].name, "secure");
        let g: Vec<_> = f
            .grants
            .iter()
            .map(|g| (g.resource.as_str(), g.place.line, g.all_secrets))
            .collect();
        assert_eq!(
            g,
            [
                ("kv-payments/data/prod/*", 58, false),
                ("kv-payments/*", 62, true)
            ]
        );
        assert_eq!(f.grants[0].consumer.as_deref(), Some("payments-app"));
    }

    #[test]
    fn literal_jsonencode_and_odd_shapes() {
        let text = "resource \"aws_secretsmanager_secret_version\" \"v\" {\n  secret_id = \"arn:aws:secretsmanager:eu-west-1:111122223333:secret:x\"\n  secret_string = jsonencode({\n    password = \"fake-pw-0000\"\n  })\n}\nresource \"azurerm_key_vault\" {\n}\nresource \"azurerm_key_vault_secret\" \"x\" \"y\" {}\nresource = 3\ndata \"aws_iam_policy_document\" \"d\" {\n  statement = 4\n}\nresource \"aws_iam_policy\" \"p\" {\n  policy = jsonencode(\n}\n";
        // The last block does not parse: a warning, no facts, no panic.
        let f = extract("main.tf", text);
        assert_eq!(f.problems.len(), 1);
        let text = text.rsplit_once("resource \"aws_iam_policy\"").unwrap().0;
        let f = extract("main.tf", text);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.refs.len(), 1, "{:#?}", f.refs);
        assert_eq!(f.refs[0].kind, "literal");
        assert_eq!(
            f.refs[0].name,
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:x"
        );
        assert_eq!((f.refs[0].line, f.refs[0].column), (3, 19));
    }

    #[test]
    fn durations_and_rates() {
        assert_eq!(super::duration_days("7776000s"), Some(90));
        assert_eq!(super::duration_days("3600s"), Some(1));
        assert_eq!(super::duration_days("7776000"), None);
        assert!(super::aws_covers_all("arn:aws:secretsmanager:*:*:secret:*"));
        assert!(!super::aws_covers_all(
            "arn:aws:secretsmanager:eu-west-1:111122223333:secret:app/*"
        ));
    }
}
