//! Every parser keyguard runs on untrusted input, fed thousands of generated inputs on stable
//! Rust (a fixed seed, so a failure reproduces): mutations of valid seeds — bit flips,
//! truncations, spliced bytes, repeated chunks — must give a result or an error, never a
//! panic. Inputs are small, so a hang or an unbounded allocation would show as a test that
//! never ends. (Coverage-guided fuzzing with cargo-fuzz is not set up yet.)

mod common;

use common::Rng;
use std::io::Write;

/// `n` mutations of each seed, deterministic for `salt`.
fn mutations(seeds: &[Vec<u8>], n: usize, salt: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng::new(salt);
    let mut out = Vec::with_capacity(seeds.len() * n);
    for seed in seeds {
        for _ in 0..n {
            let mut b = seed.clone();
            for _ in 0..1 + rng.next() % 4 {
                let len = b.len().max(1) as u64;
                match rng.next() % 5 {
                    0 if !b.is_empty() => {
                        let i = (rng.next() % len) as usize;
                        b[i] ^= 1 << (rng.next() % 8);
                    }
                    1 => b.truncate((rng.next() % len) as usize),
                    2 => {
                        let i = (rng.next() % len) as usize;
                        let junk: Vec<u8> =
                            (0..rng.next() % 16).map(|_| rng.next() as u8).collect();
                        b.splice(i.min(b.len())..i.min(b.len()), junk);
                    }
                    3 if b.len() > 4 => {
                        let i = (rng.next() % (len - 2)) as usize;
                        let j = (i + 1 + (rng.next() % 32) as usize).min(b.len());
                        let chunk = b[i..j].to_vec();
                        b.splice(i..i, chunk.iter().cycle().take(chunk.len() * 3).copied());
                    }
                    _ => {
                        let i = (rng.next() % len) as usize;
                        if i < b.len() {
                            b[i] = b"{}[]:=\"'\n\\<>&%#-"[(rng.next() % 16) as usize];
                        }
                    }
                }
            }
            out.push(b);
        }
    }
    out
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zip(name: &str, data: &[u8]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    w.start_file(name, zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(data).unwrap();
    w.finish().unwrap().into_inner()
}

fn tar(name: &str, data: &[u8]) -> Vec<u8> {
    let mut t = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    h.set_size(data.len() as u64);
    h.set_mode(0o644);
    h.set_cksum();
    t.append_data(&mut h, name, data).unwrap();
    t.into_inner().unwrap()
}

#[test]
fn the_expansion_stage_survives_mangled_archives_and_encodings() {
    let token = common::github_token(1);
    let line = format!("GITHUB_TOKEN={token}\n");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&line);
    let utf16: Vec<u8> = std::iter::once([0xFF, 0xFE])
        .chain(line.encode_utf16().map(u16::to_le_bytes))
        .flatten()
        .collect();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("a.gz", gzip(line.as_bytes())),
        ("a.zip", zip("inner/a.env", line.as_bytes())),
        ("a.jar", zip("x.zip", &zip("y.env", line.as_bytes()))),
        ("a.tar", tar("a.env", line.as_bytes())),
        ("a.tgz", gzip(&tar("a.env", line.as_bytes()))),
        ("a.txt", format!("config: {b64}\n").into_bytes()),
        (
            "a.txt",
            format!(
                "x = \"{}\" # &#x67;&amp; %41\n",
                token
                    .bytes()
                    .map(|b| format!("\\x{b:02x}"))
                    .collect::<String>()
            )
            .into_bytes(),
        ),
        ("a.txt", utf16),
        ("a.bz2", b"BZh91AY&SY".to_vec()),
        ("a.zst", vec![0x28, 0xB5, 0x2F, 0xFD, 0, 0x58, 1, 0]),
    ];
    let config = keyguard::config::Config::defaults().unwrap();
    let mut work = keyguard::blob::Work::default();
    let mut n = 0;
    for (i, (name, seed)) in cases.iter().enumerate() {
        // The seed itself is found (a mutation need not be).
        let r = keyguard::blob::scan_bytes(&config, name, seed, &mut work);
        if !name.ends_with(".bz2") && !name.ends_with(".zst") {
            assert!(
                !r.findings.is_empty(),
                "{name}: the unmangled seed is not found"
            );
        }
        for m in mutations(std::slice::from_ref(seed), 300, i as u64) {
            let _ = keyguard::blob::scan_bytes(&config, name, &m, &mut work);
            n += 1;
        }
    }
    assert_eq!(n, 3000);
}

#[test]
fn reference_extractors_survive_mangled_config_files() {
    let seeds: Vec<(&str, &str)> = vec![
        ("k8s/deploy.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: api, namespace: prod}\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n          env:\n            - name: DB\n              valueFrom: {secretKeyRef: {name: db, key: pw}}\n---\nkind: ExternalSecret\nspec:\n  secretStoreRef: {name: kv-prod}\n  data: [{secretKey: a, remoteRef: {key: db-password}}]\n"),
        ("main.tf", "resource \"azurerm_key_vault_secret\" \"db\" {\n  name = \"db-pw\"\n  value = var.pw\n  key_vault_id = azurerm_key_vault.kv.id\n  expiration_date = \"2027-01-01T00:00:00Z\"\n}\ndata \"vault_generic_secret\" \"x\" { path = \"secret/prod/db\" }\n"),
        (".github/workflows/ci.yml", "on: push\njobs:\n  a:\n    environment: production\n    steps:\n      - run: echo ${{ secrets.DEPLOY_KEY }}\n        env: {TOKEN: \"${{ secrets.NPM_TOKEN }}\"}\n"),
        ("azuredeploy.json", "{\"resources\":[{\"type\":\"Microsoft.KeyVault/vaults/secrets\",\"name\":\"kv/db\",\"properties\":{\"value\":\"[parameters('pw')]\",\"attributes\":{\"exp\":1800000000}}}]}"),
        ("main.bicep", "resource s 'Microsoft.KeyVault/vaults/secrets@2023-02-01' = {\n  name: 'kv/db'\n  properties: { value: pw }\n}\n"),
        (".env", "DB_PASSWORD=op://prod-main/db/password\nAPI=@Microsoft.KeyVault(SecretUri=https://kv-prod.vault.azure.net/secrets/api/)\n"),
        ("keyguard-secrets.toml", "[[secret]]\nname = \"db-pw\"\nstore = \"kv-prod\"\nowner = \"team\"\nexpires = 2027-01-01\n"),
        ("policy.hcl", "path \"secret/data/prod/*\" {\n  capabilities = [\"read\", \"list\"]\n}\n"),
        ("cert.pem", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQk8gd2hhdCBhIHRlc3QgY2VydGlmaWNhdGUwCgYIKoZI\nzj0EAwIwEjEQMA4GA1UEAwwHdGVzdCBjYTAeFw0yNjAxMDEwMDAwMDBaFw0yNzAx\n-----END CERTIFICATE-----\n"),
    ];
    let mut n = 0;
    for (i, (path, text)) in seeds.iter().enumerate() {
        let _ = keyguard::policy::refs::inventory_files(&[(
            path.to_string(),
            text.as_bytes().to_vec(),
        )]);
        for m in mutations(&[text.as_bytes().to_vec()], 250, 100 + i as u64) {
            let _ = keyguard::policy::refs::inventory_files(&[(path.to_string(), m)]);
            n += 1;
        }
    }
    assert_eq!(n, 9 * 250);
}

#[test]
fn rule_files_configs_and_baselines_give_errors_not_panics() {
    let rules =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/github.toml")).unwrap();
    let config = "[rules]\nextend_default = true\ndisable = [\"generic-password\"]\n[allowlist]\npaths = [\"vendor/**\"]\nregexes = ['^test']\n[scan]\nfail_on = \"high\"\n[expand]\nmax_ratio = 50\n[verify]\nhosts = [\"api.github.com\"]\n[[rule]]\nid = \"x-token\"\nname = \"X\"\nfamily = \"x\"\nseverity = \"high\"\nkeywords = [\"xtok_\"]\nregex = '''xtok_[a-z]{20}'''\nexamples = ['xtok_abcdefghijklmnopqrst']\n";
    let baseline = "version = 1\n[[finding]]\nfingerprint = \"2f13a2b4c5d6e7f8091a2b3c4d5e6f70\"\nrule = \"github-pat-classic\"\npath = \"a.env\"\nsecret_sha256 = \"6e36\"\nexpires = 2027-01-01\n";
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    for m in mutations(&[rules.into_bytes()], 150, 7) {
        let _ = keyguard::rules::parse_rule_file("fuzz.toml", &String::from_utf8_lossy(&m));
        n += 1;
    }
    for m in mutations(&[config.as_bytes().to_vec()], 400, 8) {
        let _ = keyguard::config::Config::parse(
            &dir.path().join(".keyguard.toml"),
            &String::from_utf8_lossy(&m),
        );
        n += 1;
    }
    let path = dir.path().join("baseline.toml");
    for m in mutations(&[baseline.as_bytes().to_vec()], 400, 9) {
        std::fs::write(&path, &m).unwrap();
        let _ = keyguard::suppress::baseline::Baseline::load(&path);
        n += 1;
    }
    let ds = r#"{"version":"1.5.0","results":{"a.py":[{"type":"Secret Keyword","filename":"a.py","hashed_secret":"0123","line_number":3}]}}"#;
    let gl = "[[rules]]\nid = \"x\"\nregex = '''x[a-z]{8}'''\nkeywords = [\"x\"]\n[allowlist]\npaths = ['''^vendor/''']\n";
    for (i, (name, seed)) in [("ds.json", ds), ("gitleaks.toml", gl)].iter().enumerate() {
        let p = dir.path().join(name);
        for m in mutations(&[seed.as_bytes().to_vec()], 300, 10 + i as u64) {
            std::fs::write(&p, &m).unwrap();
            if i == 0 {
                let _ = keyguard::import::read_detect_secrets(&p);
            } else {
                let _ = keyguard::import::gitleaks_config(&p);
            }
            n += 1;
        }
    }
    assert_eq!(n, 150 + 400 + 400 + 600);
}
