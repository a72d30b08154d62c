//! keyguard's secrets manifest: the inventory a team keeps of its secrets, in
//! `keyguard-secrets.toml` or `keyguard-secrets.yaml` (any directory). Modelled on .NET
//! engineering's secret-manager manifests: what is declared is what CI holds every pull
//! request to (undeclared references, orphaned entries, lifecycle, allowed consumers).
//!
//! ```toml
//! [[secret]]
//! name = "payments-db-password"     # required
//! store = "kv-payments-prod"        # the vault / account holding it
//! environment = "production"
//! owner = "team-payments@example.com"
//! content-type = "password"
//! expires = 2027-06-30              # TOML date, or an ISO date string
//! not-before = 2026-07-01
//! rotation-days = 90
//! consumers = ["payments/*"]        # globs on the consumers allowed to read it
//! kind = "secret"                   # or "certificate"
//! ```
//!
//! YAML has the same keys under a top-level `secrets:` list.
//!
//! Each entry is placed where it starts, whichever key comes first: its `[[secret]]` header
//! (TOML), or the `-` of its list item (YAML) — never at its `name`.

use super::{Facts, Input, Problem, SecretDecl};
use crate::policy::tree::{Node, Value};

const KEYS: &[&str] = &[
    "name",
    "store",
    "environment",
    "owner",
    "content-type",
    "expires",
    "not-before",
    "rotation-days",
    "consumers",
    "kind",
];

pub fn applies(name: &str) -> bool {
    matches!(
        name,
        "keyguard-secrets.toml" | "keyguard-secrets.yaml" | "keyguard-secrets.yml"
    )
}

pub fn extract(input: &Input, out: &mut Facts) {
    if !applies(input.name) {
        return;
    }
    let toml = input.name.ends_with(".toml");
    let entries: Vec<Node> = if toml {
        match toml_entries(input.text) {
            Ok(e) => e,
            Err((line, message)) => {
                problem(out, input, line, message);
                return;
            }
        }
    } else {
        match input.yaml.first().map(|d| d.get("secrets")) {
            Some(Some(list)) => list.items().to_vec(),
            _ => {
                problem(
                    out,
                    input,
                    1,
                    "a secrets manifest needs a top-level `secrets:` list".into(),
                );
                return;
            }
        }
    };
    for e in &entries {
        for (k, v) in e.entries() {
            if !KEYS.contains(&k.as_str()) {
                problem(
                    out,
                    input,
                    v.line,
                    format!("unknown key `{k}` in a secret (known: {})", KEYS.join(", ")),
                );
            }
        }
        let Some(name) = e.str_at(&["name"]).filter(|n| !n.is_empty()) else {
            problem(out, input, e.line, "a secret without `name`".into());
            continue;
        };
        let s = |k: &str| e.str_at(&[k]).map(str::to_string);
        let place = if toml {
            input.place(e)
        } else {
            input.yaml_item_place(e)
        };
        let mut d = SecretDecl::new("manifest", place, name.to_string());
        d.store = s("store");
        d.environment = s("environment");
        d.owner = s("owner");
        d.content_type = s("content-type");
        d.expires = s("expires");
        d.not_before = s("not-before");
        d.inventory = true;
        d.supports = &["expiry", "owner", "rotation", "content-type"];
        if s("kind").as_deref() == Some("certificate") {
            d.kind = "certificate";
        }
        match e
            .get("rotation-days")
            .map(|n| n.str().map(str::parse::<u32>))
        {
            None => {}
            Some(Some(Ok(n))) => d.rotation_days = Some(n),
            Some(_) => problem(
                out,
                input,
                e.get("rotation-days").map_or(e.line, |n| n.line),
                format!("`rotation-days` of `{name}` is not a whole number of days"),
            ),
        }
        if let Some(c) = e.get("consumers") {
            d.consumers = c
                .items()
                .iter()
                .filter_map(|n| n.str().map(str::to_string))
                .collect();
        }
        if let Some(raw) = &d.expires {
            if crate::policy::check::parse_date(raw).is_none() {
                problem(
                    out,
                    input,
                    e.get("expires").map_or(e.line, |n| n.line),
                    format!("`expires` of `{name}` is not a date (`{raw}`); write YYYY-MM-DD"),
                );
            }
        }
        out.secrets.push(d);
    }
}

fn problem(out: &mut Facts, input: &Input, line: usize, message: String) {
    out.problems.push(Problem {
        path: input.path.to_string(),
        line,
        message,
        note: false,
    });
}

/// `[[secret]]` tables as tree nodes, positioned at their `[[secret]]` header.
fn toml_entries(text: &str) -> Result<Vec<Node>, (usize, String)> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Manifest {
        #[serde(default)]
        secret: Vec<toml::Spanned<toml::Table>>,
    }
    let lines = crate::policy::tree::LineStarts::new(text);
    let m: Manifest = toml::from_str(text).map_err(|e| {
        let line = e.span().map_or(1, |s| lines.line_col(text, s.start).0);
        (
            line,
            format!("not a valid secrets manifest: {}", e.message()),
        )
    })?;
    Ok(m.secret
        .iter()
        .map(|t| {
            let (line, column) = lines.line_col(text, t.span().start);
            let entries = t
                .get_ref()
                .iter()
                .map(|(k, v)| {
                    let value = match v {
                        toml::Value::Array(a) => Value::Seq(
                            a.iter()
                                .map(|x| Node {
                                    line,
                                    column,
                                    value: Value::Scalar(toml_text(x)),
                                })
                                .collect(),
                        ),
                        other => Value::Scalar(toml_text(other)),
                    };
                    // Lines of keys: find `key =` after the header.
                    let key_line = text
                        .lines()
                        .enumerate()
                        .skip(line)
                        .find(|(_, l)| {
                            l.trim_start()
                                .strip_prefix(k.as_str())
                                .is_some_and(|r| r.trim_start().starts_with('='))
                        })
                        .map_or(line, |(i, _)| i + 1);
                    (
                        k.clone(),
                        Node {
                            line: key_line,
                            column: 1,
                            value,
                        },
                    )
                })
                .collect();
            Node {
                line,
                column,
                value: Value::Map(entries),
            }
        })
        .collect())
}

fn toml_text(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::policy::refs::extract;

    #[test]
    fn toml_and_yaml_manifests_declare_secrets() {
        let toml = "[[secret]]\nname = \"db\"\nstore = \"kv-prod\"\nexpires = 2027-06-30\nrotation-days = 90\nconsumers = [\"prod/*\"]\n\n[[secret]]\nname = \"api\"\ncolour = \"red\"\n";
        let f = extract("ops/keyguard-secrets.toml", toml);
        assert_eq!(f.secrets.len(), 2);
        let db = &f.secrets[0];
        assert_eq!(
            (db.name.as_str(), db.place.line, db.expires.as_deref()),
            ("db", 1, Some("2027-06-30"))
        );
        assert_eq!(db.rotation_days, Some(90));
        assert_eq!(db.consumers, vec!["prod/*"]);
        assert!(db.inventory);
        assert_eq!(f.problems.len(), 1, "{:?}", f.problems);
        assert_eq!(f.problems[0].line, 10);

        let yaml = "secrets:\n  - name: db\n    owner: me\n    expires: soon\n";
        let f = extract("keyguard-secrets.yaml", yaml);
        assert_eq!(f.secrets[0].owner.as_deref(), Some("me"));
        assert_eq!(f.secrets[0].place.line, 2);
        assert!(f.problems[0].message.contains("not a date"));
    }
}
