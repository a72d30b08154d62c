//! Azure Key Vault references: `@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/name/version)`
//! and `@Microsoft.KeyVault(VaultName=v;SecretName=name;SecretVersion=version)`, in app
//! settings, appsettings*.json, ARM and Bicep parameter files, or anywhere else.

use super::SecretRef;
use regex::Regex;
use std::sync::LazyLock;

static REF: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@Microsoft\.KeyVault\(([^)]*)\)").expect("valid"));

pub struct KeyVaultRef {
    pub vault: String,
    pub name: String,
    pub version: Option<String>,
}

/// Parse the inside of one reference (or a whole `@Microsoft.KeyVault(…)` string).
pub fn parse(s: &str) -> Option<KeyVaultRef> {
    let inner = REF
        .captures(s)
        .map_or(s, |c| c.get(1).expect("group").as_str());
    if !s.contains("@Microsoft.KeyVault(") {
        return None;
    }
    let mut vault = None;
    let mut name = None;
    let mut version = None;
    for part in inner.split(';') {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "secreturi" => {
                // https://<vault>.vault.azure.net/secrets/<name>[/<version>]
                let rest = v.trim().strip_prefix("https://")?;
                let (host, path) = rest.split_once('/')?;
                vault = host.split('.').next().map(str::to_string);
                let mut segs = path.trim_end_matches('/').split('/');
                if segs.next() != Some("secrets") {
                    return None;
                }
                name = segs.next().map(str::to_string);
                version = segs.next().filter(|v| !v.is_empty()).map(str::to_string);
            }
            "vaultname" => vault = Some(v.trim().to_string()),
            "secretname" => name = Some(v.trim().to_string()),
            "secretversion" => version = Some(v.trim().to_string()).filter(|v| !v.is_empty()),
            _ => {}
        }
    }
    Some(KeyVaultRef {
        vault: vault?,
        name: name?,
        version,
    })
}

pub fn extract(path: &str, text: &str, out: &mut Vec<SecretRef>) {
    for m in REF.find_iter(text) {
        let Some(kv) = parse(m.as_str()) else {
            continue;
        };
        let mut r = SecretRef::new("azure-keyvault", path, text, m.start(), kv.name);
        r.store = Some(kv.vault);
        r.version = kv.version;
        out.push(r);
    }
}
