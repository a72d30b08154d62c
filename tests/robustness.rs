//! Every parser keyguard runs on untrusted input, fed thousands of generated inputs on stable
//! Rust (a fixed seed, so a failure reproduces): mutations of valid seeds — bit flips,
//! truncations, spliced bytes, repeated chunks — must give a result or an error, never a
//! panic. Inputs are small, so a hang or an unbounded allocation would show as a test that
//! never ends. `fuzz/` has cargo-fuzz targets for the same entry points (nightly).

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
        if let Ok(b) = keyguard::suppress::baseline::Baseline::load(&path) {
            // What keyguard writes of a baseline it read, it reads back the same.
            let written = b.to_toml();
            std::fs::write(&path, &written).unwrap();
            let again = keyguard::suppress::baseline::Baseline::load(&path)
                .unwrap_or_else(|e| panic!("{e:?}\n{written}"));
            assert_eq!(again.to_toml(), written);
        }
        n += 1;
    }
    let ds = r#"{"version":"1.5.0","results":{"a.py":[{"type":"Secret Keyword","filename":"a.py","hashed_secret":"0123","line_number":3}]}}"#;
    let gl = "[[rules]]\nid = \"x\"\nregex = '''x[a-z]{8}'''\nkeywords = [\"x\"]\n[allowlist]\npaths = ['''^vendor/''']\n";
    let gi = "# gitleaks\n4f1e2d3c:src/a.py:github-pat:3\nconfig/b.env:generic-api-key:12\n";
    let seeds = [
        ("ds.json", ds),
        ("gitleaks.toml", gl),
        (".gitleaksignore", gi),
    ];
    for (i, (name, seed)) in seeds.iter().enumerate() {
        let p = dir.path().join(name);
        for m in mutations(&[seed.as_bytes().to_vec()], 300, 10 + i as u64) {
            std::fs::write(&p, &m).unwrap();
            match i {
                0 => drop(keyguard::import::read_detect_secrets(&p)),
                1 => drop(keyguard::import::gitleaks_config(&p)),
                _ => drop(keyguard::import::read_gitleaksignore(&p)),
            }
            n += 1;
        }
    }
    assert_eq!(n, 150 + 400 + 400 + 900);
}

/// A throwaway self-signed test certificate (EC P-256, no key kept; shared with the unit tests
/// of `policy::certificates`): `/CN=keyguard-test`,
/// notAfter 2036-12-04T15:52:04Z (a UTCTime).
const TEST_CERT: &str = include_str!("../testdata/certs/keyguard-test.pem");

/// `YYYY-MM-DDTHH:MM:SSZ`, the shape the expiry checks parse.
fn rfc3339(s: &str) -> bool {
    s.len() == 20
        && s.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            10 => b == b'T',
            13 | 16 => b == b':',
            19 => b == b'Z',
            _ => b.is_ascii_digit(),
        })
}

#[test]
fn certificates_as_pem_der_or_json_strings_survive_mangling() {
    use base64::Engine;
    use keyguard::policy::certificates::{from_file, parse_der};
    let body: String = TEST_CERT
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap();
    let json = format!(
        "{{\"tls\": {{\"cert\": \"{}\"}}}}\n",
        TEST_CERT.trim_end().replace('\n', "\\n")
    );
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        (
            "certs/shop.pem",
            format!("# shop\n{TEST_CERT}").into_bytes(),
        ),
        ("certs/shop.der", der.clone()),
        ("certs/shop.crt", der.clone()),
        ("config/tls.json", json.into_bytes()),
    ];
    let (mut n, mut parsed) = (0, 0);
    for (i, (path, seed)) in seeds.iter().enumerate() {
        // The unmangled seed: one certificate, with its CN and notAfter.
        let certs = from_file(path, seed).unwrap_or_else(|| panic!("{path}: no certificate"));
        let got: Vec<_> = certs
            .iter()
            .map(|c| (c.subject.as_str(), c.not_after.as_str()))
            .collect();
        assert_eq!(got, [("keyguard-test", "2036-12-04T15:52:04Z")], "{path}");
        for m in mutations(std::slice::from_ref(seed), 750, 200 + i as u64) {
            if let Some(certs) = from_file(path, &m) {
                parsed += 1;
                for c in &certs {
                    assert!(rfc3339(&c.not_after), "{path}: notAfter {:?}", c.not_after);
                }
            }
            if let Some((_, not_after)) = parse_der(&m) {
                assert!(rfc3339(&not_after), "{path}: notAfter {not_after:?}");
            }
            n += 1;
        }
    }
    assert_eq!(n, 4 * 750);
    // Some mutations land where a certificate still decodes (the signature, a CN byte), most
    // do not: the parser sees both.
    assert!(parsed > 0 && parsed < n / 2, "{parsed} of {n} parsed");
    // No prefix of a DER certificate is one.
    assert!((0..der.len()).all(|k| parse_der(&der[..k]).is_none()));
}

#[test]
fn verification_replies_of_every_provider_are_read_without_panics() {
    use keyguard::verify::spec::{providers, Kind};
    use keyguard::verify::{judge_reply, State};
    let json: &[u8] = br#"{"ok":true,"login":"octo","id":4201,"data":{"viewer":{"id":"u1","email":"a@example.com"}},"result":{"username":"ci_bot"},"scopes":["repo","read:org"],"expires_at":"2027-01-01T00:00:00Z"}"#;
    let xml: &[u8] = b"<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/ci</Arn><UserId>AIDAEXAMPLEEXAMPLE</UserId><Account>123456789012</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
    // Bodies no mutation reaches: deep nesting, huge numbers, invalid UTF-8, the client's
    // 64 KiB limit, an HTML page, nothing.
    let mut extra: Vec<Vec<u8>> = vec![
        "[".repeat(60_000).into_bytes(),
        "{\"a\":".repeat(12_000).into_bytes(),
        format!("{{\"id\":{}}}", "9".repeat(20_000)).into_bytes(),
        br#"{"id":1e999999999,"n":-0.0e-99999,"ok":true}"#.to_vec(),
        vec![
            0xff, 0xfe, b'{', 0xc3, 0x28, b'"', 0xed, 0xa0, 0x80, b'"', b'}',
        ],
        json.iter().copied().cycle().take(64 * 1024).collect(),
        b"<!doctype html><html><body>Sign in to the Wi-Fi</body></html>".to_vec(),
        br#"{"ok":false,"error":"invalid_auth"}"#.to_vec(),
        Vec::new(),
    ];
    extra.push(json.iter().map(|&b| b | 0x80).collect());
    const STATUSES: usize = 6;
    const TYPES: [Option<&str>; 4] = [
        Some("application/json; charset=utf-8"),
        Some("text/html"),
        Some("text/xml"),
        None,
    ];
    let all = providers();
    assert!(all.len() >= 25, "{} providers", all.len());
    let mut seen = std::collections::BTreeMap::new();
    let mut n = 0;
    for (i, p) in all.iter().enumerate() {
        let seed = if p.kind == Kind::AwsSts { xml } else { json };
        let ctype = Some(if p.kind == Kind::AwsSts {
            "text/xml"
        } else {
            "application/json"
        });
        // The unmangled seed with the provider's live status is live; its first invalid
        // status (when it is not also a live one) is invalid; 429 is unknown, with the wait.
        let (state, why) = judge_reply(p, p.live[0], ctype, None, seed);
        assert_eq!(state, State::Live, "{}: {why}", p.name);
        assert_eq!(why, format!("HTTP {} from {}", p.live[0], p.host));
        if let Some(&bad) = p.invalid.iter().find(|s| !p.live.contains(s)) {
            assert_eq!(
                judge_reply(p, bad, ctype, None, seed).0,
                State::Invalid,
                "{}",
                p.name
            );
        }
        let (state, why) = judge_reply(p, 429, ctype, Some("30"), seed);
        assert_eq!(state, State::Unknown);
        assert!(why.contains("Retry-After 30"), "{why}");

        let statuses: [u16; STATUSES] = [p.live[0], p.invalid[0], 200, 302, 429, 503];
        let bodies = mutations(&[seed.to_vec()], 40, 300 + i as u64);
        for (j, body) in bodies.iter().chain(&extra).enumerate() {
            for status in statuses {
                let ctype = TYPES[(j + status as usize) % TYPES.len()];
                let (state, why) = judge_reply(p, status, ctype, Some("1"), body);
                assert!(why.contains(&p.host), "{}: {why}", p.name);
                let live = p.live.contains(&status);
                if !live {
                    let want = if p.invalid.contains(&status) {
                        State::Invalid
                    } else {
                        State::Unknown
                    };
                    assert_eq!(state, want, "{} HTTP {status}: {why}", p.name);
                } else if ctype == Some("text/html") {
                    assert_eq!(state, State::Unknown, "{}: a web page: {why}", p.name);
                }
                *seen.entry(state).or_insert(0) += 1;
                n += 1;
            }
        }
    }
    assert_eq!(n, all.len() * (40 + extra.len()) * STATUSES);
    assert_eq!(
        seen.len(),
        3,
        "live, invalid and unknown all seen: {seen:?}"
    );
}

#[test]
fn saved_reports_give_results_or_errors_not_panics() {
    use keyguard::verify::{saved::verify_report, VerifyOptions};
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    let (t1, t2, t3) = (
        common::github_token(61),
        common::github_token(62),
        common::github_token(63),
    );
    // The GitHub rules only, so each run builds a small rule set.
    let config = format!(
        "[rules]\nextend_default = false\nfiles = ['{}/rules/github.toml']\n",
        env!("CARGO_MANIFEST_DIR")
    );
    common::write(&root, ".keyguard.toml", config.as_bytes());
    common::write(
        &root,
        "deploy/a.env",
        format!("GITHUB_TOKEN={t1}\nBACKUP_TOKEN={t2}\n").as_bytes(),
    );
    common::write(
        &root,
        "ci/b.yml",
        format!("env:\n  GH: {t1}\n  OTHER: {t3}\n").as_bytes(),
    );
    let scan = keyguard::scan(&keyguard::ScanOptions::new(keyguard::Target::Paths(vec![
        root.clone(),
    ])))
    .unwrap();
    assert_eq!(scan.findings.len(), 4, "{:#?}", scan.findings);
    let json = keyguard::report::Format::Json;
    let seeds = [
        keyguard::report::render(&scan, json, false).into_bytes(),
        keyguard::report::render(&scan, json, true).into_bytes(),
    ];
    // A host no provider has: every request stops at the allowlist, nothing is sent.
    let opts = VerifyOptions {
        hosts: vec!["verify.invalid".into()],
        concurrency: 1,
        ..Default::default()
    };
    let path = dir.path().join("report.json");
    let verify = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        verify_report(&path, Some(&root), &opts)
    };
    for seed in &seeds {
        // The unmangled report: four findings, three distinct secrets checked, each
        // unknown because the allowlist stopped it.
        let v = verify(seed).unwrap();
        assert!(v.missing.is_empty(), "{:?}", v.missing);
        assert_eq!(
            (v.stats.checked, v.stats.unknown, v.stats.requests),
            (3, 3, 0)
        );
        let findings = common::findings(&v.report);
        assert_eq!(findings.len(), 4);
        for f in &findings {
            assert_eq!(f["verification"]["state"], "unknown", "{f:#}");
            let why = f["verification"]["reason"].as_str().unwrap();
            assert!(why.contains("not in the verify allowlist"), "{why}");
        }
    }
    // Regression: a `summary` that is not an object panicked when the counts were written.
    assert!(verify(br#"{"findings":[],"summary":1}"#).is_err());
    assert!(verify(br#"{"findings":{}}"#).is_err());
    let v = verify(br#"{"findings":[1,"x",null,{"fingerprint":5,"path":[]}]}"#).unwrap();
    assert_eq!((v.missing.len(), v.stats.checked), (4, 0));

    let (mut n, mut loaded) = (0, 0);
    for m in mutations(&seeds, 1000, 400) {
        if let Ok(v) = verify(&m) {
            loaded += 1;
            let s = &v.stats;
            assert_eq!((s.requests, s.live, s.invalid), (0, 0, 0), "{s:?}");
            assert_eq!(s.unknown, s.checked);
            assert!(s.checked <= 4, "{s:?}");
        }
        n += 1;
    }
    assert_eq!(n, 2 * 1000);
    assert!(loaded > 0 && loaded < n, "{loaded} of {n} loaded");
}

#[test]
fn forge_listing_pages_give_repositories_or_errors_not_panics() {
    use keyguard::sweep::forge::{parse_page, Kind, Page};
    let first = "https://api.example/orgs/acme/repos?per_page=100";
    let seeds: Vec<(Kind, &str, Page)> = vec![
        (
            Kind::GitHub,
            "acme/app",
            Page {
                body: r#"[{"full_name":"acme/app","clone_url":"https://github.com/acme/app.git","archived":false,"fork":false,"pushed_at":"2026-11-01T00:00:00Z","visibility":"internal"}]"#.into(),
                link: Some(r#"<https://api.example/orgs/acme/repos?page=2>; rel="next""#.into()),
                ..Page::default()
            },
        ),
        (
            Kind::GitLab,
            "team/api",
            Page {
                body: r#"[{"path_with_namespace":"team/api","http_url_to_repo":"https://gitlab.example/team/api.git","archived":false,"visibility":"private","forked_from_project":null}]"#.into(),
                next_page: Some("2".into()),
                ..Page::default()
            },
        ),
        (
            Kind::Azure,
            "shop/web",
            Page {
                body: r#"{"count":1,"value":[{"name":"web","project":{"name":"shop","visibility":"private"},"remoteUrl":"https://o@dev.azure.com/o/shop/_git/web","isDisabled":false}]}"#.into(),
                continuation: Some("tok2".into()),
                ..Page::default()
            },
        ),
        (
            Kind::Bitbucket,
            "acme/site",
            Page {
                body: r#"{"values":[{"full_name":"acme/site","is_private":true,"updated_on":"2026-11-02T00:00:00Z","links":{"clone":[{"name":"https","href":"https://me@bitbucket.org/acme/site.git"}]}}],"next":"https://api.example/repositories/acme?page=2"}"#.into(),
                ..Page::default()
            },
        ),
    ];
    let mut n = 0;
    for (i, (kind, name, seed)) in seeds.iter().enumerate() {
        let (listed, next) = parse_page(*kind, first, first, seed).unwrap();
        assert_eq!(listed.len(), 1, "{kind:?}");
        assert_eq!(listed[0].name, *name);
        assert!(!listed[0].visibility.is_empty(), "{kind:?}: no visibility");
        assert!(
            !listed[0].clone_url.contains('@'),
            "{kind:?}: the listing user is kept"
        );
        assert!(
            next.is_some_and(|n| n.starts_with("https://api.example/")),
            "{kind:?}"
        );
        let headers = [&seed.link, &seed.next_page, &seed.continuation];
        let mut parsed = 0;
        for (j, m) in mutations(&[seed.body.clone().into_bytes()], 500, 200 + i as u64)
            .into_iter()
            .enumerate()
        {
            let header = headers[j % 3].clone().map(|h| {
                let mut b = h.into_bytes();
                b.truncate(j % (b.len() + 1));
                String::from_utf8_lossy(&b).into_owned()
            });
            let page = Page {
                body: String::from_utf8_lossy(&m).into_owned(),
                link: header.clone(),
                next_page: header.clone(),
                continuation: header,
            };
            if let Ok((listed, _)) = parse_page(*kind, first, first, &page) {
                parsed += 1;
                assert!(listed.len() <= 1);
            }
            n += 1;
        }
        assert!(
            parsed > 0 && parsed < 500,
            "{kind:?}: {parsed} of 500 parsed"
        );
    }
    assert_eq!(n, 4 * 500);
}
