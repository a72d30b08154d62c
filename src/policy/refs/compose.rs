//! Docker Compose files: `compose.yaml`, `compose.*.yaml`, `docker-compose*.yml`, or any
//! YAML whose top-level `services:` holds services with an `image` or a `build`.
//!
//! Every fact has format `compose`:
//!
//! - top-level `secrets:` — `file:` → a [`SecretDecl`] (name = the secret's key, placed at
//!   that key, not at its `file:`; tag `file` = the path as written; supports nothing) and no
//!   reference: the file's content is the
//!   scanner's business; `environment: VAR` → `reference` named `VAR`, store `environment`;
//!   `external: true` (or the legacy `external: {name: x}`) or `name:` → `reference` named
//!   by `name` (else the key), store `external` (a secret created on the platform).
//! - services' `secrets:` (short `- name` and long `- source: name`) → `reference` named by
//!   the secret's key, consumer = the service, store from its top-level definition:
//!   `file:<path>`, `environment`, `external`, or none when it is not defined.
//! - services' `environment:` (map, or list of `KEY=value`): each `${VAR}` / `$VAR`
//!   interpolation → `reference` named `VAR`, store `environment`, consumer = the service,
//!   at the `$`; a literal (or a `${VAR:-default}` default, or a `${VAR:+alt}` alternative)
//!   whose variable name looks secret-ish or whose text looks like a credential → kind
//!   `value`, name = the variable, `.value` = the literal, for the secret detector. `$$` is
//!   an escaped dollar; `KEY` without a value (passed through from the shell) and
//!   placeholders are skipped. `env_file:` is left to the `.env` extractor.

use super::kubernetes::{is_placeholder, looks_like_credential, template_line};
use super::secret_named as looks_secret_named;
use super::{Facts, Input, SecretDecl, SecretRef};
use crate::policy::tree::Node;

const FORMAT: &str = "compose";

pub fn extract(input: &Input, out: &mut Facts) {
    let Some(doc) = input.yaml.first() else {
        return;
    };
    if !is_compose(input.name, doc) || template_line(input).is_some() {
        return;
    }
    let defined = top_level_secrets(input, doc, out);
    for (service, spec) in doc.get("services").map_or(&[][..], Node::entries) {
        for s in spec.get("secrets").map_or(&[][..], Node::items) {
            let Some(n) = s.get("source").or(Some(s)).filter(|n| n.str().is_some()) else {
                continue;
            };
            let name = n.str().unwrap_or_default();
            let mut r = input.reference(FORMAT, n, name.to_string());
            r.store = defined
                .iter()
                .find(|(k, _)| k == name)
                .and_then(|(_, s)| s.clone());
            r.consumer = Some(service.clone());
            out.refs.push(r);
        }
        let env = spec.get("environment").unwrap_or(Node::null());
        for (key, v) in env.entries() {
            if let Some(text) = v.str() {
                environment(input, service, key, text, v, 0, out);
            }
        }
        if let crate::policy::tree::Value::Seq(items) = &env.value {
            for item in items {
                let Some((key, text)) = item.str().and_then(|t| t.split_once('=')) else {
                    continue;
                };
                let skip = key.chars().count() + 1;
                environment(input, service, key.trim(), text, item, skip, out);
            }
        }
    }
}

fn is_compose(name: &str, doc: &Node) -> bool {
    let lower = name.to_ascii_lowercase();
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    let named = yaml
        && (lower.starts_with("docker-compose")
            || lower.starts_with("compose.")
            || lower.ends_with(".compose.yml")
            || lower.ends_with(".compose.yaml"));
    if doc.get("kind").is_some() || doc.get("apiVersion").is_some() {
        return false;
    }
    named
        || doc
            .get("services")
            .map_or(&[][..], Node::entries)
            .iter()
            .any(|(_, s)| s.get("image").is_some() || s.get("build").is_some())
}

/// Declarations and references of the top-level `secrets:`; returns each secret's store.
fn top_level_secrets(input: &Input, doc: &Node, out: &mut Facts) -> Vec<(String, Option<String>)> {
    let mut defined = Vec::new();
    for (key, def) in doc.get("secrets").map_or(&[][..], Node::entries) {
        let external = def.get("external");
        let external_name = external.and_then(|e| e.get("name"));
        let is_external = external.and_then(Node::str) == Some("true") || external_name.is_some();
        let store = if let Some(file) = def.get("file").filter(|f| f.str().is_some()) {
            let path = file.str().unwrap_or_default();
            let mut d = SecretDecl::new(FORMAT, input.yaml_key_place(def, key), key.clone());
            d.tags.insert("file".into(), path.to_string());
            out.secrets.push(d);
            Some(format!("file:{path}"))
        } else if let Some(var) = def.get("environment").filter(|v| v.str().is_some()) {
            let mut r = input.reference(FORMAT, var, var.str().unwrap_or_default().to_string());
            r.store = Some("environment".into());
            out.refs.push(r);
            Some("environment".into())
        } else if is_external || def.get("name").is_some() {
            let n = def
                .get("name")
                .or(external_name)
                .filter(|n| n.str().is_some());
            let (at, name) = match n {
                Some(n) => (n, n.str().unwrap_or_default()),
                None => (external.unwrap_or(def), key.as_str()),
            };
            let mut r = input.reference(FORMAT, at, name.to_string());
            r.store = Some("external".into());
            out.refs.push(r);
            Some("external".into())
        } else {
            None
        };
        defined.push((key.clone(), store));
    }
    defined
}

/// One `environment:` value: interpolations are references; a literal that may be a
/// credential is a `value` for the detector. `skip` = characters before the value in the
/// scalar (`KEY=` in the list form).
fn environment(
    input: &Input,
    service: &str,
    key: &str,
    text: &str,
    node: &Node,
    skip: usize,
    out: &mut Facts,
) {
    let mut literal = String::new();
    let mut literals: Vec<(usize, String)> = Vec::new(); // defaults and alternatives
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '$' {
            literal.push(chars[i]);
            i += 1;
            continue;
        }
        let start = i;
        match chars.get(i + 1) {
            Some('$') => {
                literal.push('$');
                i += 2;
            }
            Some('{') => {
                let Some(len) = chars[i + 2..].iter().position(|c| *c == '}') else {
                    literal.extend(&chars[i..]);
                    break;
                };
                let inner: String = chars[i + 2..i + 2 + len].iter().collect();
                let name_len = inner
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(inner.len());
                let (name, rest) = inner.split_at(name_len);
                let rest_start = i + 2 + name_len;
                let op = [":-", ":+", "-", "+", ":?", "?"]
                    .into_iter()
                    .find(|op| rest.starts_with(op));
                if let Some(op) = op.filter(|op| !op.ends_with('?')) {
                    let lit = &rest[op.len()..];
                    if !lit.is_empty() {
                        literals.push((rest_start + op.chars().count(), lit.to_string()));
                    }
                }
                push_ref(input, service, name, node, skip + start, out);
                i += 3 + len;
            }
            Some(c) if c.is_ascii_alphabetic() || *c == '_' => {
                let len = chars[i + 1..]
                    .iter()
                    .position(|c| !(c.is_ascii_alphanumeric() || *c == '_'))
                    .unwrap_or(chars.len() - i - 1);
                let name: String = chars[i + 1..i + 1 + len].iter().collect();
                push_ref(input, service, &name, node, skip + start, out);
                i += 1 + len;
            }
            _ => {
                literal.push('$');
                i += 1;
            }
        }
    }
    let whole = !text.contains('$');
    let candidate = if whole { text } else { literal.as_str() };
    if !candidate.trim().is_empty()
        && !is_placeholder(candidate)
        && (looks_secret_named(key) && whole || looks_like_credential(candidate))
    {
        push_value(input, service, key, text, node, skip, out);
    }
    for (offset, lit) in literals {
        if !is_placeholder(&lit) && (looks_secret_named(key) || looks_like_credential(&lit)) {
            push_value(input, service, key, &lit, node, skip + offset, out);
        }
    }
}

/// Line and column of the character `offset` characters into a scalar's text: exact for a
/// one-line plain or quoted scalar (escapes aside), the scalar's start otherwise.
fn inside(input: &Input, node: &Node, offset: usize) -> (usize, usize) {
    let line = input
        .text
        .lines()
        .nth(node.line.saturating_sub(1))
        .unwrap_or("");
    match line.chars().nth(node.column.saturating_sub(1)) {
        Some('"' | '\'') => (node.line, node.column + 1 + offset),
        Some('|' | '>') => (node.line, node.column),
        _ => (node.line, node.column + offset),
    }
}

fn at(input: &Input, node: &Node, offset: usize, name: String) -> SecretRef {
    let (line, column) = if node.str().is_some_and(|t| t.contains('\n')) {
        (node.line, node.column)
    } else {
        inside(input, node, offset)
    };
    let mut r = input.reference(FORMAT, node, name);
    (r.line, r.column) = (line, column);
    r
}

fn push_ref(input: &Input, service: &str, var: &str, node: &Node, offset: usize, out: &mut Facts) {
    if var.is_empty() {
        return;
    }
    let mut r = at(input, node, offset, var.to_string());
    r.store = Some("environment".into());
    r.consumer = Some(service.to_string());
    out.refs.push(r);
}

fn push_value(
    input: &Input,
    service: &str,
    key: &str,
    value: &str,
    node: &Node,
    offset: usize,
    out: &mut Facts,
) {
    let mut r = at(input, node, offset, key.to_string());
    r.kind = "value";
    r.value = Some(value.to_string());
    r.consumer = Some(service.to_string());
    out.refs.push(r);
}

#[cfg(test)]
mod tests {
    use crate::policy::refs::extract;

    #[test]
    fn declarations_and_detection() {
        let text = "\
services:
  web:
    image: nginx
    secrets: [tls_key]
secrets:
  tls_key:
    file: ./certs/tls.key
";
        let f = extract("deploy/stack.yml", text);
        assert_eq!(f.secrets.len(), 1);
        let d = &f.secrets[0];
        assert_eq!(
            (d.name.as_str(), d.format, d.place.line, d.place.column),
            ("tls_key", "compose", 6, 3)
        );
        assert_eq!(
            d.tags.get("file").map(String::as_str),
            Some("./certs/tls.key")
        );
        assert!(d.supports.is_empty());
        assert_eq!(f.refs.len(), 1);
        assert_eq!(f.refs[0].store.as_deref(), Some("file:./certs/tls.key"));
        assert_eq!((f.refs[0].line, f.refs[0].column), (4, 15));
        // Not compose: no services with image/build, and not named like one.
        assert!(
            extract("x.yml", "services:\n  a: 1\nsecrets:\n  s: {file: x}\n")
                .secrets
                .is_empty()
        );
    }

    #[test]
    fn interpolations_defaults_and_escapes() {
        let text = "\
services:
  api:
    image: api
    environment:
      DB_PASSWORD: \"${DB_PASSWORD:-not-a-real-default}\"
      PRICE: $$5
      URL: http://$HOST:${PORT-8080}/x
      REDIS_PASSWORD: ${REDIS_PASSWORD:?required}
";
        let f = extract("compose.yaml", text);
        let r: Vec<(&str, &str, usize, usize, Option<&str>)> = f
            .refs
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.kind,
                    r.line,
                    r.column,
                    r.value.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            r,
            [
                ("DB_PASSWORD", "reference", 5, 21, None),
                ("DB_PASSWORD", "value", 5, 36, Some("not-a-real-default")),
                ("HOST", "reference", 7, 19, None),
                ("PORT", "reference", 7, 25, None),
                ("REDIS_PASSWORD", "reference", 8, 23, None),
            ]
        );
    }
}
