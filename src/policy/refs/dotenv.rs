//! `.env` files: each `KEY=value` is a reference (`op://vault/item/field`, `vault:path#key`,
//! `@Microsoft.KeyVault(…)`, `${OTHER}`) or a literal value written in place of one.

use super::SecretRef;

pub fn applies(file_name: &str) -> bool {
    file_name == ".env" || file_name.starts_with(".env.") || file_name.ends_with(".env")
}

pub fn extract(path: &str, text: &str, out: &mut Vec<SecretRef>) {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let l = line.trim_end_matches(['\n', '\r']);
        let line_start = offset;
        offset += line.len();
        let body = l.trim_start();
        if body.is_empty() || body.starts_with('#') {
            continue;
        }
        let body = body.strip_prefix("export ").unwrap_or(body);
        let Some((key, value)) = body.split_once('=') else {
            continue;
        };
        let key = key.trim();
        let raw = value.trim();
        let value = raw.trim_matches(['"', '\'']);
        if value.is_empty() {
            continue;
        }
        // `value` is a sub-slice of `l`: its byte offset in the line locates it.
        let value_off = line_start + (value.as_ptr() as usize - l.as_ptr() as usize);
        let mut r = SecretRef::new("dotenv", path, text, value_off, String::new());
        r.consumer = Some(key.to_string());
        if let Some(rest) = value.strip_prefix("op://") {
            // op://vault/item/field
            let mut parts = rest.splitn(2, '/');
            r.store = parts.next().map(|v| format!("1password:{v}"));
            r.name = parts.next().unwrap_or("").to_string();
        } else if let Some(rest) = value.strip_prefix("vault:") {
            let (p, field) = rest.split_once('#').unwrap_or((rest, ""));
            r.store = Some("vault".into());
            r.name = if field.is_empty() {
                p.to_string()
            } else {
                format!("{p}#{field}")
            };
        } else if let Some(kv) = super::azure::parse(value) {
            r.store = Some(kv.vault);
            r.name = kv.name;
            r.version = kv.version;
            r.format = "azure-keyvault";
        } else if value.starts_with("${") && value.ends_with('}') {
            r.name = value[2..value.len() - 1].to_string();
            r.store = Some("environment".into());
        } else if super::secret_named(key) {
            r.kind = "literal";
            r.name = key.to_string();
            r.value = Some(value.to_string());
        } else {
            continue; // ordinary configuration, not a secret
        }
        out.push(r);
    }
}
