//! The secret-reference extractors (YAML, HCL, JSON/ARM, Bicep, dotenv, manifests, Vault
//! policies, certificates), by file name.
#![no_main]
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 10] = [
    "k8s.yaml",
    "main.tf",
    ".github/workflows/ci.yml",
    "azuredeploy.json",
    "main.bicep",
    ".env",
    "keyguard-secrets.toml",
    "policy.hcl",
    "cert.pem",
    "cert.der",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[pick as usize % NAMES.len()].to_string();
    let _ = keyguard::policy::refs::inventory_files(&[(name, rest.to_vec())]);
});
