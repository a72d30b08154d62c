//! Secrets Store CSI driver: `SecretProviderClass` (`secrets-store.csi.x-k8s.io/*`), whose
//! provider parameters list the objects a pod mounts. The object lists are YAML written
//! inside strings (Azure's are YAML strings inside a YAML string); they are parsed with
//! positions that point into the real file.
//!
//! Every reference has format `secrets-store-csi` and sits at the object's name value:
//!
//! - **azure**: `parameters.keyvaultName` → store `<name>` (the vault name, as Key Vault references and Terraform name it); each
//!   `objects.array[]` item's `objectName` (secrets, keys and certificates alike), version
//!   `objectVersion` when not empty.
//! - **aws**: `objects[]`, store `aws-secretsmanager[:<region>]` or `aws-ssm[:<region>]`
//!   (`objectType` `secretsmanager`/`ssmparameter`, else from an ARN objectName; region from
//!   the ARN, else `parameters.region`), version `objectVersion` (else `objectVersionLabel`);
//!   with `jmesPath`, one reference per path, named `<objectName>#<path>`.
//! - **gcp**: `secrets[].resourceName` `projects/P/[locations/L/]secrets/S/versions/V` →
//!   store `gcp:<P>`, name `S`, version `V` unless `latest`.
//! - **vault**: `objects[].secretPath` `<mount>/<rest>` → store `vault:<mount>`, name
//!   `<rest>` or `<rest>#<secretKey>`; `parameters.vaultAddress` → a [`StoreDecl`] (kind
//!   `vault`, name and endpoint = the address) for the transport check.
//!
//! Consumer: `<namespace>/<identity>` where the class names the identity pods read with
//! (azure `clientID` or `userAssignedIdentityID` as written, `pod-identity` when
//! `usePodIdentity` is true; vault `roleName`), else `<namespace>` (any pod there that
//! mounts the class).
//!
//! A wildcard object (`*` in an `objectName` or `secretPath`) → a [`Grant`] (actions
//! `["read"]`, resource = the pattern as written, vault `<path>#<key>`), `all_secrets` when
//! nothing but the store or the mount is fixed (`*`, `secret/*`, `secret/data/*`); a
//! narrower wildcard (`secret/data/app/*`) is left to the least-privilege check. An
//! all-secrets grant also yields an `all-secrets` reference (name `*`).
//!
//! `secretObjects` (mounted objects synced into a Kubernetes Secret) are not listed: that
//! Secret is a copy, and the workloads reading it are reported by the Kubernetes extractor.

use super::{Facts, Grant, Input, Problem, StoreDecl};
use crate::policy::tree::{self, Node};

const FORMAT: &str = "secrets-store-csi";

pub fn extract(input: &Input, out: &mut Facts) {
    if super::kubernetes::template_line(input).is_some() {
        return; // noted by the Kubernetes extractor
    }
    for doc in input.yaml.iter().chain(input.json) {
        let spc = doc.str_at(&["kind"]) == Some("SecretProviderClass")
            && doc
                .str_at(&["apiVersion"])
                .is_some_and(|a| a.starts_with("secrets-store.csi.x-k8s.io/"));
        if spc {
            class(input, doc, out);
        }
    }
}

/// What one object of a class names, before it becomes a reference or a grant.
struct Object {
    /// Where the object's name is written (position only).
    at: Node,
    name: String,
    store: Option<String>,
    version: Option<String>,
    /// The pattern as written, for a wildcard grant.
    pattern: String,
    /// The pattern covers every secret of its store.
    all: bool,
}

fn class(input: &Input, doc: &Node, out: &mut Facts) {
    let Some(spec) = doc.get("spec") else {
        return;
    };
    let params = spec.get("parameters").unwrap_or(Node::null());
    let ns = doc
        .at(&["metadata", "namespace"])
        .and_then(Node::str)
        .unwrap_or("default");
    let param = |k: &str| params.str_at(&[k]).filter(|v| !v.is_empty());
    let truthy = |k: &str| param(k).is_some_and(|v| v.eq_ignore_ascii_case("true"));
    let provider = spec.str_at(&["provider"]).unwrap_or("");
    let identity = match provider {
        "azure" => param("clientID")
            .or_else(|| param("userAssignedIdentityID"))
            .map(str::to_string)
            .or_else(|| truthy("usePodIdentity").then(|| "pod-identity".to_string())),
        "vault" => param("roleName").map(str::to_string),
        _ => None,
    };
    let consumer = match identity {
        Some(id) => format!("{ns}/{id}"),
        None => ns.to_string(),
    };
    let mut objects = Vec::new();
    match provider {
        "azure" => {
            let store = param("keyvaultName").map(str::to_string);
            for o in embedded_items(input, params.get("objects"), out) {
                let Some(n) = o.get("objectName").filter(|n| n.str().is_some()) else {
                    continue;
                };
                let name = n.str().unwrap_or_default().to_string();
                objects.push(Object {
                    at: pos(n),
                    all: name.trim() == "*",
                    pattern: name.clone(),
                    name,
                    store: store.clone(),
                    version: o
                        .str_at(&["objectVersion"])
                        .filter(|v| !v.is_empty())
                        .map(str::to_string),
                });
            }
        }
        "aws" => {
            for o in embedded_items(input, params.get("objects"), out) {
                let Some(n) = o.get("objectName").filter(|n| n.str().is_some()) else {
                    continue;
                };
                let name = n.str().unwrap_or_default();
                let arn: Vec<&str> = name.split(':').collect();
                let is_arn = name.starts_with("arn:") && arn.len() >= 6;
                let ssm = match o.str_at(&["objectType"]) {
                    Some(t) => t.eq_ignore_ascii_case("ssmparameter"),
                    None => is_arn && arn[2] == "ssm",
                };
                // An ARN names its own region; `region` is the default for plain names.
                let region = (is_arn && !arn[3].is_empty())
                    .then(|| arn[3])
                    .or(param("region"));
                let service = if ssm { "aws-ssm" } else { "aws-secretsmanager" };
                let store = Some(match region {
                    Some(r) => format!("{service}:{r}"),
                    None => service.to_string(),
                });
                let version = o
                    .str_at(&["objectVersion"])
                    .or_else(|| o.str_at(&["objectVersionLabel"]))
                    .filter(|v| !v.is_empty())
                    .map(str::to_string);
                let paths: Vec<&str> = o
                    .get("jmesPath")
                    .map_or(&[][..], Node::items)
                    .iter()
                    .filter_map(|p| p.str_at(&["path"]))
                    .collect();
                let names = if paths.is_empty() {
                    vec![name.to_string()]
                } else {
                    paths.iter().map(|p| format!("{name}#{p}")).collect()
                };
                for full in names {
                    objects.push(Object {
                        at: pos(n),
                        all: name.trim() == "*",
                        pattern: name.to_string(),
                        name: full,
                        store: store.clone(),
                        version: version.clone(),
                    });
                }
            }
        }
        "gcp" => {
            for o in embedded_items(input, params.get("secrets"), out) {
                let Some(n) = o.get("resourceName").filter(|n| n.str().is_some()) else {
                    continue;
                };
                let resource = n.str().unwrap_or_default();
                let parts: Vec<&str> = resource.split('/').collect();
                let field = |k: &str| {
                    parts
                        .iter()
                        .position(|p| *p == k)
                        .and_then(|i| parts.get(i + 1))
                        .copied()
                };
                let secret = field("secrets").unwrap_or(resource);
                objects.push(Object {
                    at: pos(n),
                    all: secret == "*",
                    pattern: resource.to_string(),
                    name: secret.to_string(),
                    store: field("projects").map(|p| format!("gcp:{p}")),
                    version: field("versions")
                        .filter(|v| !v.is_empty() && *v != "latest")
                        .map(str::to_string),
                });
            }
        }
        "vault" => {
            if let Some(addr) = params.get("vaultAddress").filter(|a| a.str().is_some()) {
                let a = addr.str().unwrap_or_default().to_string();
                let mut s = StoreDecl::new(FORMAT, input.place(addr), "vault", a.clone());
                s.endpoint = Some(a);
                out.stores.push(s);
            }
            for o in embedded_items(input, params.get("objects"), out) {
                let Some(p) = o.get("secretPath").filter(|n| n.str().is_some()) else {
                    continue;
                };
                let path = p.str().unwrap_or_default().trim_start_matches('/');
                let (mount, rest) = path.split_once('/').unwrap_or((path, ""));
                let key = o.str_at(&["secretKey"]).filter(|k| !k.is_empty());
                let name = match key {
                    Some(k) => format!("{rest}#{k}"),
                    None => rest.to_string(),
                };
                let fixed = rest
                    .trim_start_matches("data/")
                    .trim_start_matches("metadata/");
                objects.push(Object {
                    at: pos(p),
                    all: mount == "*" || matches!(fixed, "*" | "**" | "*/*"),
                    pattern: match key {
                        Some(k) => format!("{path}#{k}"),
                        None => path.to_string(),
                    },
                    name,
                    store: Some(format!("vault:{mount}")),
                    version: None,
                });
            }
        }
        _ => {}
    }
    for o in objects {
        if o.pattern.contains('*') {
            out.grants.push(Grant {
                format: FORMAT,
                place: input.place(&o.at),
                consumer: Some(consumer.clone()),
                store: o.store.clone(),
                resource: o.pattern,
                actions: vec!["read".into()],
                all_secrets: o.all,
            });
            if !o.all {
                continue;
            }
        }
        let mut r = input.reference(FORMAT, &o.at, if o.all { "*".into() } else { o.name });
        if o.all {
            r.kind = "all-secrets";
        }
        r.store = o.store;
        r.version = o.version;
        r.consumer = Some(consumer.clone());
        out.refs.push(r);
    }
}

fn pos(n: &Node) -> Node {
    Node {
        line: n.line,
        column: n.column,
        value: tree::Value::Null,
    }
}

/// The maps listed in a YAML-in-a-string parameter: a list of maps (aws, gcp, vault), or
/// Azure's `array:` whose items are themselves YAML strings. Unparsable text is a warning.
fn embedded_items(input: &Input, scalar: Option<&Node>, out: &mut Facts) -> Vec<Node> {
    let Some(scalar) = scalar else {
        return Vec::new();
    };
    let mut warn = |p: tree::ParseProblem| {
        out.problems.push(Problem {
            path: input.path.to_string(),
            line: p.line,
            message: format!(
                "SecretProviderClass object list is not valid YAML ({}); skipped",
                p.message
            ),
            note: false,
        })
    };
    // Written as YAML rather than a string: use it as it is.
    let docs = if scalar.str().is_some() {
        match tree::parse_embedded_yaml(input.text, scalar) {
            Ok(d) => d,
            Err(p) => {
                warn(p);
                return Vec::new();
            }
        }
    } else {
        vec![scalar.clone()]
    };
    let mut items = Vec::new();
    for d in &docs {
        let list = d.get("array").unwrap_or(d);
        for item in list.items() {
            if item.str().is_some() {
                match tree::parse_embedded_yaml(input.text, item) {
                    Ok(inner) => items.extend(inner.into_iter().filter(Node::is_map)),
                    Err(p) => warn(p),
                }
            } else if item.is_map() {
                items.push(item.clone());
            }
        }
    }
    items
}

#[cfg(test)]
mod tests {
    use crate::policy::refs::extract;

    #[test]
    fn vault_store_and_wildcard_grants() {
        let text = "\
apiVersion: secrets-store.csi.x-k8s.io/v1
kind: SecretProviderClass
metadata:
  name: vault-db
  namespace: shop
spec:
  provider: vault
  parameters:
    vaultAddress: http://vault.vault:8200
    roleName: shop-db
    objects: |
      - objectName: db-password
        secretPath: secret/data/shop/db
        secretKey: password
      - objectName: everything
        secretPath: secret/data/*
      - objectName: team
        secretPath: secret/data/shop/*
";
        let f = extract("k8s/spc.yaml", text);
        assert_eq!(f.stores.len(), 1);
        let s = &f.stores[0];
        assert_eq!(
            (
                s.kind,
                s.name.as_str(),
                s.endpoint.as_deref(),
                s.place.line,
                s.place.column
            ),
            (
                "vault",
                "http://vault.vault:8200",
                Some("http://vault.vault:8200"),
                9,
                19
            )
        );
        let g: Vec<(&str, bool, usize, usize)> = f
            .grants
            .iter()
            .map(|g| {
                (
                    g.resource.as_str(),
                    g.all_secrets,
                    g.place.line,
                    g.place.column,
                )
            })
            .collect();
        assert_eq!(
            g,
            [
                ("secret/data/*", true, 16, 21),
                ("secret/data/shop/*", false, 18, 21)
            ]
        );
        assert!(f
            .grants
            .iter()
            .all(|g| g.consumer.as_deref() == Some("shop/shop-db")
                && g.store.as_deref() == Some("vault:secret")));
        let r: Vec<(&str, &str, usize)> = f
            .refs
            .iter()
            .map(|r| (r.name.as_str(), r.kind, r.line))
            .collect();
        assert_eq!(
            r,
            [
                ("data/shop/db#password", "reference", 13),
                ("*", "all-secrets", 16)
            ]
        );
    }

    #[test]
    fn malformed_object_list_is_a_warning() {
        let text = "\
apiVersion: secrets-store.csi.x-k8s.io/v1
kind: SecretProviderClass
metadata:
  name: broken
spec:
  provider: aws
  parameters:
    objects: |
      - objectName: [db
";
        let f = extract("k8s/spc.yaml", text);
        assert!(f.refs.is_empty());
        assert_eq!(f.problems.len(), 1);
        assert!(f.problems[0].message.contains("not valid YAML"));
        assert!(f.problems[0].line >= 9, "{:?}", f.problems);
    }
}
