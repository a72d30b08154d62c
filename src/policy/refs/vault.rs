//! HashiCorp Vault Agent and consul-template: `{{ with secret "path" }}` and `{{ secret "path" }}`.

use super::SecretRef;
use regex::Regex;
use std::sync::LazyLock;

static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\{\{-?\s*(?:with\s+|range\s+)?secret\s+"([^"]+)""#).expect("valid")
});

pub fn extract(path: &str, text: &str, out: &mut Vec<SecretRef>) {
    for c in SECRET.captures_iter(text) {
        let p = c.get(1).expect("group");
        let full = p.as_str();
        let (mount, rest) = full.split_once('/').unwrap_or((full, ""));
        let mut r = SecretRef::new(
            "vault-template",
            path,
            text,
            c.get(0).expect("match").start(),
            rest.to_string(),
        );
        r.store = Some(format!("vault:{mount}"));
        out.push(r);
    }
}
