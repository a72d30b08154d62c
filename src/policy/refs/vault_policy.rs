//! HashiCorp Vault policies: `path "secret/data/app/*" { capabilities = ["read"] }` in `*.hcl`
//! (and the same document as JSON, `{"path": {"…": {"capabilities": […]}}}`) → a [`Grant`]
//! per path: format `vault-policy`, consumer = the policy's name (the file stem), store
//! `vault`, resource = the path as written, actions = the capabilities as written (`deny` and
//! `sudo` included: `deny` overrides every other grant on the path, `sudo` opens root-protected
//! paths). The legacy `policy = "read"` form gives that one word as the action.
//!
//! Also, for the transport check: a top-level `vault { address = "…" }` block (Vault Agent,
//! Nomad and Consul-template configuration) → a [`StoreDecl`] of kind `vault` with the address
//! as endpoint.
//!
//! **Whole-mount grants** (`all_secrets`): a path ending in `*` whose segments after the
//! mount (ignoring one KV v2 `data/` or `metadata/` segment) are only `+` wildcards — `*`,
//! `+/*`, `secret/*`, `secret/data/*`, `secret/+/*`, `kv*` — with a capability that reads or
//! changes secrets (`read`, `create`, `update`, `patch`, `delete`, `sudo`, or the legacy
//! `read` / `write` / `sudo` policies) and no `deny`. `list` alone reveals names, not values,
//! and is not counted. Paths under Vault's own mounts (`sys/`, `auth/`, `identity/`,
//! `cubbyhole/`) are not secret mounts and are not counted either (their capabilities are
//! still reported as written).

use super::terraform::Source;
use super::{Facts, Grant, Input, StoreDecl};
use crate::policy::tree::Node;

const FORMAT: &str = "vault-policy";

pub fn extract(input: &Input, out: &mut Facts) {
    let lower = input.name.to_ascii_lowercase();
    let doc = if lower.ends_with(".hcl") {
        input.hcl
    } else if lower.ends_with(".json") {
        input.json
    } else {
        None
    };
    let Some(doc) = doc else { return };
    let src = Source::new(input.path, input.text);
    let stem = input
        .name
        .rsplit_once('.')
        .map_or(input.name, |(s, _)| s)
        .to_string();
    if is_policy(doc) {
        let before = out.grants.len();
        grants(&src, doc, &stem, &mut out.grants);
        for g in &mut out.grants[before..] {
            g.format = FORMAT;
        }
    }
    if lower.ends_with(".hcl") {
        for v in doc.get("vault").map_or(&[][..], Node::items) {
            let Some(addr) = v.get("address") else {
                continue;
            };
            let mut s = StoreDecl::new(FORMAT, src.place(addr), "vault", "vault".into());
            s.format = "vault-config";
            s.endpoint = src.literal(addr).map(str::to_string);
            out.stores.push(s);
        }
    }
}

/// A Vault policy: a top-level `path` whose entries are blocks with `capabilities` (or the
/// legacy `policy`).
fn is_policy(doc: &Node) -> bool {
    doc.get("path").is_some_and(|p| {
        p.items().iter().any(|p| {
            p.entries().iter().any(|(_, b)| {
                b.items()
                    .iter()
                    .any(|b| b.get("capabilities").is_some() || b.get("policy").is_some())
            })
        })
    })
}

/// The grants of a parsed policy document (also used for Terraform's `vault_policy`
/// heredocs, whose positions are the `.tf` file's). Format `terraform`: the caller sets its own.
pub(super) fn grants(src: &Source, doc: &Node, consumer: &str, out: &mut Vec<Grant>) {
    for p in doc.get("path").map_or(&[][..], Node::items) {
        for (path, blocks) in p.entries() {
            for b in blocks.items() {
                let actions: Vec<String> = match (b.get("capabilities"), b.get("policy")) {
                    (Some(c), _) => c
                        .items()
                        .iter()
                        .filter_map(|c| c.str().map(str::to_string))
                        .collect(),
                    (None, Some(p)) => p.str().map(str::to_string).into_iter().collect(),
                    (None, None) => continue,
                };
                out.push(Grant {
                    format: "terraform",
                    place: src.block_place(b),
                    consumer: Some(consumer.to_string()),
                    store: Some("vault".into()),
                    all_secrets: covers_all(path, &actions),
                    resource: path.clone(),
                    actions,
                });
            }
        }
    }
}

/// A grant of every secret of a mount (or of every mount); see the module documentation.
pub fn covers_all(path: &str, capabilities: &[String]) -> bool {
    let caps: Vec<String> = capabilities
        .iter()
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if caps.iter().any(|c| c == "deny") {
        return false;
    }
    let reaches = caps.iter().any(|c| {
        matches!(
            c.as_str(),
            "read" | "create" | "update" | "patch" | "delete" | "sudo" | "write"
        )
    });
    let path = path.trim_start_matches('/');
    let Some(prefix) = path.strip_suffix('*') else {
        return false;
    };
    let mut segs = prefix.split('/');
    let mount = segs.next().unwrap_or("");
    if matches!(mount, "sys" | "auth" | "identity" | "cubbyhole") && prefix.contains('/') {
        return false;
    }
    let mut rest: Vec<&str> = segs.collect();
    if matches!(rest.first(), Some(&"data") | Some(&"metadata")) && rest.len() > 1 {
        rest.remove(0);
    }
    reaches && rest.iter().all(|s| s.is_empty() || *s == "+")
}

#[cfg(test)]
mod tests {
    use super::covers_all;
    use crate::policy::refs::extract;

    fn caps(c: &[&str]) -> Vec<String> {
        c.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn whole_mount_paths() {
        let read = caps(&["read", "list"]);
        for p in ["*", "+/*", "secret/*", "secret/data/*", "secret/+/*", "kv*"] {
            assert!(covers_all(p, &read), "{p}");
        }
        for p in [
            "secret/data/app/*",
            "secret/app",
            "secret/data/app*",
            "sys/*",
            "auth/token/*",
        ] {
            assert!(!covers_all(p, &read), "{p}");
        }
        assert!(!covers_all("secret/*", &caps(&["deny"])));
        assert!(!covers_all("secret/metadata/*", &caps(&["list"])));
        assert!(covers_all("secret/*", &caps(&["sudo"])));
    }

    #[test]
    fn policy_file_grants_and_agent_address() {
        let text = "# app policy\npath \"secret/data/app/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n\npath \"secret/*\" {\n  capabilities = [\"create\", \"read\", \"update\", \"delete\", \"list\", \"sudo\"]\n}\n\npath \"secret/data/admin\" {\n  capabilities = [\"deny\"]\n}\n";
        let f = extract("vault/policies/app-read.hcl", text);
        assert_eq!(f.grants.len(), 3, "{:#?}", f.grants);
        let g = &f.grants[0];
        assert_eq!(
            (g.format, g.consumer.as_deref(), g.resource.as_str()),
            ("vault-policy", Some("app-read"), "secret/data/app/*")
        );
        assert_eq!((g.place.line, g.place.column), (2, 1));
        assert_eq!(g.actions, ["read", "list"]);
        assert!(!g.all_secrets);
        assert!(f.grants[1].all_secrets);
        assert_eq!(f.grants[2].actions, ["deny"]);
        assert!(!f.grants[2].all_secrets);

        let agent = "vault {\n  address = \"http://vault.internal:8200\"\n}\nauto_auth {\n  method \"kubernetes\" {}\n}\n";
        let f = extract("deploy/agent.hcl", agent);
        assert_eq!(f.stores.len(), 1);
        let s = &f.stores[0];
        assert_eq!(s.endpoint.as_deref(), Some("http://vault.internal:8200"));
        assert_eq!((s.place.line, s.place.column), (2, 13));
        assert!(f.grants.is_empty());
    }

    #[test]
    fn json_policy() {
        let text = "{\n  \"path\": {\n    \"secret/*\": {\n      \"capabilities\": [\"read\"]\n    }\n  }\n}\n";
        let f = extract("policies/ci.json", text);
        assert_eq!(f.grants.len(), 1);
        assert_eq!(f.grants[0].consumer.as_deref(), Some("ci"));
        assert!(f.grants[0].all_secrets);
        assert_eq!(f.grants[0].place.line, 3);
    }
}
