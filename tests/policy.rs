//! `keyguard policy`: every check with a failing and a passing case, reports through the
//! common formats, suppressions, baselines, and bad policy files.

mod common;

use common::*;
use std::path::Path;

const EXAMPLE: &str = include_str!("../policies/example.toml");
/// A fixed date, so lifecycle checks are reproducible.
const NOW: &str = "2026-11-23";

/// A small policy: prod and dev environments, naming, an access rule.
const POLICY: &str = r#"
[[environment]]
name = "production"
paths = ["prod/**"]
stores = ["kv-prod-*", "1password:prod-*"]
namespaces = ["prod"]
github_environments = ["production"]

[[environment]]
name = "development"
paths = ["dev/**"]
stores = ["kv-dev-*", "1password:dev-*"]

[naming]
secret = '^[a-z0-9-]+$'

[[access]]
consumer = "API_*"
secrets = ["api-*"]

[inventory]
pin-versions-in = ["production"]
"#;

/// Run `keyguard policy . --policy policy.toml --now NOW -f json` plus `extra`; the findings.
fn check(dir: &Path, extra: &[&str]) -> (Run, Vec<serde_json::Value>) {
    let r = run(
        dir,
        &[
            &[
                "policy",
                ".",
                "--policy",
                "policy.toml",
                "--now",
                NOW,
                "-f",
                "json",
            ],
            extra,
        ]
        .concat(),
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
    (r, v["findings"].as_array().unwrap().clone())
}

/// `rule_id@path:line` of every finding.
fn ids(v: &[serde_json::Value]) -> Vec<String> {
    v.iter()
        .map(|f| {
            format!(
                "{}@{}:{}",
                f["rule_id"].as_str().unwrap(),
                f["path"].as_str().unwrap(),
                f["line"]
            )
        })
        .collect()
}

fn policy_tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let mut all = vec![("policy.toml", POLICY)];
    all.extend_from_slice(files);
    tree(&all)
}

#[test]
fn env_partition_both_directions_and_environmentless_files() {
    let dir = policy_tree(&[
        // dev → prod, prod → dev, prod → prod (fine), no environment → prod, → dev (fine)
        ("dev/.env", "DB=op://prod-main/db/password\n"),
        (
            "prod/.env",
            "DB=op://dev-main/db/password\nOK=op://prod-main/db/pw\n",
        ),
        (
            "misc/.env",
            "DB=op://prod-main/db/password\nDEV=op://dev-main/db/password\n",
        ),
    ]);
    let (r, v) = check(dir.path(), &["--policy", "policy.toml"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.starts_with("policy/env-partition"))
        .collect();
    assert_eq!(
        got,
        [
            "policy/env-partition@dev/.env:1",
            "policy/env-partition@misc/.env:1",
            "policy/env-partition@prod/.env:1"
        ],
        "{v:#?}"
    );
    let dev = &v.iter().find(|f| f["path"] == "dev/.env").unwrap();
    assert!(dev["message"]
        .as_str()
        .unwrap()
        .contains("belongs to development"));
    assert_eq!(dev["severity"], "high");
}

#[test]
fn plaintext_secrets_wildcard_grants_and_naming() {
    let dir = policy_tree(&[
        (".env", "SESSION_SECRET=just-a-literal-value\nGOOD=op://dev-x/y/z\n"),
        (
            ".github/workflows/ci.yml",
            "jobs:\n  call:\n    uses: org/x/.github/workflows/y.yml@main\n    secrets: inherit\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ secrets.DEPLOY_KEY }}\n",
        ),
    ]);
    let (_, v) = check(dir.path(), &[]);
    let got = ids(&v);
    assert!(
        got.contains(&"policy/plaintext-secret@.env:1".to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&"policy/wildcard-grant@.github/workflows/ci.yml:4".to_string()),
        "{got:?}"
    );
    // DEPLOY_KEY breaks `^[a-z0-9-]+$`; `y/z` (the 1Password item path) does too.
    assert!(
        got.iter()
            .any(|g| g.starts_with("policy/naming@.github/workflows/ci.yml:8")),
        "{got:?}"
    );
    // The literal is never printed.
    assert!(!serde_json::to_string(&v)
        .unwrap()
        .contains("just-a-literal-value"));
}

#[test]
fn least_privilege_access_rules() {
    let dir = policy_tree(&[(
        ".env",
        "API_TOKEN=op://dev-x/api-token\nAPI_DB=op://dev-x/payments-db\nOTHER=op://dev-x/payments-db\n",
    )]);
    let (_, v) = check(dir.path(), &[]);
    let got: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.starts_with("policy/least-privilege"))
        .collect();
    // API_* may read api-*; API_DB reads payments-db; OTHER has no rule.
    assert_eq!(got, ["policy/least-privilege@.env:2"], "{v:#?}");
}

const MANIFEST: &str = r#"
[[secret]]
name = "api-token"
store = "dev-x"
owner = "team-api@example.com"
content-type = "token"
expires = 2027-03-01
rotation-days = 60
consumers = ["API_*"]

[[secret]]
name = "db-password"
store = "dev-x"
expires = 2026-12-10
rotation-days = 400

[[secret]]
name = "old-key"
expires = 2026-01-01
not-before = 2024-01-01
"#;

#[test]
fn lifecycle_from_the_secrets_manifest() {
    let dir = policy_tree(&[
        ("keyguard-secrets.toml", MANIFEST),
        (
            ".env",
            "API_TOKEN=op://dev-x/api-token\nOTHER=op://dev-x/db-password\nK=op://dev-x/old-key\n",
        ),
    ]);
    let (_, v) = check(dir.path(), &[]);
    let got: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.contains("keyguard-secrets.toml"))
        .collect();
    // api-token (line 2) is compliant.
    assert_eq!(
        got,
        [
            "policy/expiring-soon@keyguard-secrets.toml:11",
            "policy/missing-content-type@keyguard-secrets.toml:11",
            "policy/missing-owner@keyguard-secrets.toml:11",
            "policy/rotation-too-long@keyguard-secrets.toml:11",
            "policy/expired@keyguard-secrets.toml:17",
            "policy/missing-content-type@keyguard-secrets.toml:17",
            "policy/missing-owner@keyguard-secrets.toml:17",
            "policy/missing-rotation@keyguard-secrets.toml:17",
            "policy/validity-too-long@keyguard-secrets.toml:17",
        ],
        "{v:#?}"
    );
    let expired = v.iter().find(|f| f["rule_id"] == "policy/expired").unwrap();
    assert_eq!(expired["severity"], "high");
    assert!(expired["message"].as_str().unwrap().contains("2026-01-01"));
    // Nothing else fires on the compliant entry, and at a later date it expires too.
    let (_, later) = check(dir.path(), &["--now", "2027-03-02"]);
    assert!(ids(&later).contains(&"policy/expired@keyguard-secrets.toml:2".to_string()));
}

#[test]
fn inventory_undeclared_orphaned_and_manifest_consumers() {
    let dir = policy_tree(&[
        ("keyguard-secrets.toml", MANIFEST),
        (
            ".env",
            "API_TOKEN=op://dev-x/api-token\nWORKER=op://dev-x/api-token\nNEW=op://dev-x/not-declared\n",
        ),
    ]);
    let (_, v) = check(dir.path(), &[]);
    let got = ids(&v);
    assert!(
        got.contains(&"policy/undeclared-secret@.env:3".to_string()),
        "{got:?}"
    );
    // db-password and old-key are referenced by nobody.
    assert!(
        got.contains(&"policy/orphaned-secret@keyguard-secrets.toml:11".to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&"policy/orphaned-secret@keyguard-secrets.toml:17".to_string()),
        "{got:?}"
    );
    assert!(!got.contains(&"policy/orphaned-secret@keyguard-secrets.toml:2".to_string()));
    // The manifest lets API_* read api-token; WORKER is not allowed.
    assert!(
        got.contains(&"policy/least-privilege@.env:2".to_string()),
        "{got:?}"
    );
    assert!(
        !got.contains(&"policy/least-privilege@.env:1".to_string()),
        "{got:?}"
    );
}

#[test]
fn version_pins_are_required_where_the_policy_says() {
    let dir = policy_tree(&[
        ("prod/app.json", "{\"A\": \"@Microsoft.KeyVault(VaultName=kv-prod-eu;SecretName=a)\",\n \"B\": \"@Microsoft.KeyVault(VaultName=kv-prod-eu;SecretName=b;SecretVersion=0123abcd)\"}\n"),
        ("dev/app.json", "{\"A\": \"@Microsoft.KeyVault(VaultName=kv-dev-eu;SecretName=a)\"}\n"),
    ]);
    let (_, v) = check(dir.path(), &[]);
    let got: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.starts_with("policy/unpinned-version"))
        .collect();
    assert_eq!(got, ["policy/unpinned-version@prod/app.json:1"], "{v:#?}");
}

/// A self-signed certificate valid for 20 days, made by the real openssl, and its `notAfter`
/// date. openssl dates it from the machine's clock, so every `--now` a test passes is derived
/// from that `notAfter`, never from the calendar.
fn certificate(dir: &Path) -> (String, jiff::civil::Date) {
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
        .arg(dir.join("key.pem"))
        .args(["-subj", "/CN=shop.example.test", "-days", "20"])
        .output()
        .expect("openssl runs (scripts/test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let _ = std::fs::remove_file(dir.join("key.pem"));
    let pem = String::from_utf8(out.stdout).unwrap();
    let mut end = std::process::Command::new("openssl")
        .args(["x509", "-noout", "-enddate", "-dateopt", "iso_8601"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    end.stdin.take().unwrap().write_all(pem.as_bytes()).unwrap();
    let end = end.wait_with_output().unwrap();
    // `notAfter=2026-12-27 01:26:33Z`
    let text = String::from_utf8(end.stdout).unwrap();
    let date = text
        .trim()
        .strip_prefix("notAfter=")
        .and_then(|d| d.get(..10))
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("openssl's notAfter: {text:?}"));
    (pem, date)
}

/// `date` moved by `days`, as `--now` takes it.
fn shifted(date: jiff::civil::Date, days: i64) -> String {
    date.checked_add(jiff::Span::new().days(days))
        .unwrap()
        .to_string()
}

#[test]
fn certificates_committed_as_pem_or_der() {
    let dir = policy_tree(&[]);
    let (pem, not_after) = certificate(dir.path());
    write(
        dir.path(),
        "certs/shop.pem",
        format!("# shop\n{pem}").as_bytes(),
    );
    // The same certificate as DER.
    let der = std::process::Command::new("openssl")
        .args(["x509", "-outform", "der"])
        .stdin(std::fs::File::open(dir.path().join("certs/shop.pem")).unwrap())
        .output()
        .unwrap();
    std::fs::write(dir.path().join("certs/shop.der"), der.stdout).unwrap();
    // And as a JSON string with `\n` escapes (a configuration file carrying it).
    let escaped = pem.trim_end().replace('\n', "\\n");
    write(
        dir.path(),
        "certs/shop.json",
        format!("{{\"cert\": \"{escaped}\"}}\n").as_bytes(),
    );
    // Ten days before it ends, it is expiring (warn-days is 30).
    let (_, v) = check(dir.path(), &["--now", &shifted(not_after, -10)]);
    let got = ids(&v);
    for at in ["certs/shop.json:1", "certs/shop.pem:2", "certs/shop.der:1"] {
        assert!(
            got.contains(&format!("policy/certificate-expiring@{at}")),
            "{at}: {got:?}"
        );
    }
    // The day after it ends, it has expired; a year before, it is fine.
    let (_, v) = check(dir.path(), &["--now", &shifted(not_after, 1)]);
    assert!(ids(&v).contains(&"policy/certificate-expired@certs/shop.pem:2".to_string()));
    let (r, v) = check(dir.path(), &["--now", &shifted(not_after, -400)]);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(r.code, 0);
}

/// Every date check (manifest expiry, rotation and validity, baseline expiry) follows
/// `--now` alone: the same tree dated a year back, at `NOW` and a year ahead, with every
/// date in it relative to that `--now`, gives the same findings. A calendar drift cannot
/// turn these checks red.
#[test]
fn date_checks_follow_now_a_year_back_and_a_year_ahead() {
    let base: jiff::civil::Date = NOW.parse().unwrap();
    let mut seen = Vec::new();
    for shift in [-365, 0, 365] {
        let now: jiff::civil::Date = shifted(base, shift).parse().unwrap();
        let d = |days: i64| shifted(now, days);
        let manifest = format!(
            "[[secret]]\nname = \"fresh\"\nstore = \"dev-x\"\nowner = \"o@example.com\"\n\
             content-type = \"token\"\nexpires = {}\nrotation-days = 60\n\n\
             [[secret]]\nname = \"soon\"\nstore = \"dev-x\"\nowner = \"o@example.com\"\n\
             content-type = \"token\"\nexpires = {}\nrotation-days = 60\n\n\
             [[secret]]\nname = \"gone\"\nstore = \"dev-x\"\nowner = \"o@example.com\"\n\
             content-type = \"token\"\nexpires = {}\nnot-before = {}\nrotation-days = 60\n",
            d(50),
            d(10),
            d(-1),
            d(-40),
        );
        let token = github_token(40);
        let dir = policy_tree(&[
            ("keyguard-secrets.toml", &manifest),
            (
                ".env",
                "A=op://dev-x/fresh\nB=op://dev-x/soon\nC=op://dev-x/gone\n",
            ),
            ("old.txt", &format!("T={token}\n")),
            ("new.txt", &format!("T={}\n", github_token(41))),
        ]);
        let p = dir.path();
        assert_eq!(run(p, &["baseline", "create", "."]).code, 0);
        // old.txt's entry expires tomorrow, new.txt's expired yesterday.
        let b = std::fs::read_to_string(p.join(".keyguard-baseline.toml")).unwrap();
        let b = b
            .replacen(
                "path = \"old.txt\"",
                &format!("path = \"old.txt\"\nexpires = {}", d(1)),
                1,
            )
            .replacen(
                "path = \"new.txt\"",
                &format!("path = \"new.txt\"\nexpires = {}", d(-1)),
                1,
            );
        std::fs::write(p.join(".keyguard-baseline.toml"), b).unwrap();
        let now = now.to_string();
        let (_, v) = check(p, &["--now", &now]);
        let mut got = ids(&v);
        let s = run(
            p,
            &[
                "scan",
                ".",
                "-f",
                "json",
                "--now",
                &now,
                "--baseline",
                ".keyguard-baseline.toml",
            ],
        );
        let sv: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
        got.extend(ids(sv["findings"].as_array().unwrap()));
        got.sort();
        seen.push(got);
    }
    assert!(
        seen[0].contains(&"policy/expiring-soon@keyguard-secrets.toml:9".to_string())
            && seen[0].contains(&"policy/expired@keyguard-secrets.toml:17".to_string())
            && seen[0].iter().any(|i| i.contains("@new.txt:1"))
            && !seen[0].iter().any(|i| i.contains("@old.txt"))
            && !seen[0]
                .iter()
                .any(|i| i.ends_with("keyguard-secrets.toml:1")),
        "{:#?}",
        seen[0]
    );
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[1], seen[2]);
}

#[test]
fn reports_suppressions_and_baselines_are_shared_with_scan() {
    let dir = policy_tree(&[(
        "dev/.env",
        "DB=op://prod-main/db/password\nCACHE=op://prod-main/cache/password # keyguard:allow\n",
    )]);
    // Inline allow works; SARIF names the policy rule.
    let (r, v) = check(dir.path(), &[]);
    let partition: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.starts_with("policy/env-partition"))
        .collect();
    assert_eq!(partition, ["policy/env-partition@dev/.env:1"], "{v:#?}");
    assert!(r.stderr.contains("suppressed") || r.stdout.contains("suppressed"));
    let sarif = run(
        dir.path(),
        &[
            "policy",
            ".",
            "--policy",
            "policy.toml",
            "--now",
            NOW,
            "-f",
            "sarif",
        ],
    );
    let s: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    assert_eq!(s["runs"][0]["results"][0]["ruleId"], "policy/env-partition");
    assert_eq!(
        s["runs"][0]["tool"]["driver"]["rules"][0]["id"],
        "policy/env-partition"
    );
    // Text output says what to change.
    let text = run(
        dir.path(),
        &["policy", ".", "--policy", "policy.toml", "--now", NOW],
    );
    assert!(
        text.stdout
            .contains("dev/.env:1:4: high [policy/env-partition]"),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("use the development store"),
        "{}",
        text.stdout
    );
}

#[test]
fn policy_findings_can_be_baselined() {
    let dir = policy_tree(&[("dev/.env", "DB=op://prod-main/db/password\n")]);
    let b = run(
        dir.path(),
        &[
            "baseline",
            "create",
            ".",
            "--policy",
            "policy.toml",
            "--now",
            NOW,
            "-o",
            "base.toml",
        ],
    );
    assert_eq!(b.code, 0, "{}", b.stderr);
    assert!(std::fs::read_to_string(dir.path().join("base.toml"))
        .unwrap()
        .contains("policy/env-partition"));
    let (r, v) = check(dir.path(), &["--baseline", "base.toml"]);
    assert!(v.is_empty(), "{v:#?}");
    assert_eq!(r.code, 0);
}

#[test]
fn scan_runs_the_policy_named_in_keyguard_toml() {
    let dir = policy_tree(&[
        (".keyguard.toml", "[policy]\nfiles = [\"policy.toml\"]\n"),
        ("dev/.env", "DB=op://prod-main/db/password\n"),
    ]);
    let r = run(dir.path(), &["scan", ".", "--now", NOW, "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(v["findings"][0]["rule_id"], "policy/env-partition");
    // And `keyguard policy` needs no --policy then.
    let r = run(dir.path(), &["policy", ".", "--now", NOW]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    // A missing policy file named in the configuration is an error pointing at it.
    write(
        dir.path(),
        ".keyguard.toml",
        b"[policy]\nfiles = [\"nope.toml\"]\n",
    );
    let r = run(dir.path(), &["scan", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nope.toml"), "{}", r.stderr);
}

#[test]
fn checks_can_be_switched_and_fail_on_applies() {
    let policy = format!("{POLICY}\n[checks]\nnaming = \"off\"\nunpinned-version = \"low\"\n");
    let dir = tree(&[
        ("policy.toml", &policy),
        (
            "prod/app.json",
            "{\"K\": \"@Microsoft.KeyVault(VaultName=kv-prod-eu;SecretName=K_1)\"}\n",
        ),
    ]);
    let (r, v) = check(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert_eq!(ids(&v), ["policy/unpinned-version@prod/app.json:1"]);
    assert_eq!(v[0]["severity"], "low");
    let (r, _) = check(dir.path(), &["--fail-on", "medium"]);
    assert_eq!(
        r.code, 0,
        "a low violation does not block at --fail-on medium"
    );
}

#[test]
fn the_example_policy_loads_and_runs() {
    let dir = tree(&[
        ("policy.toml", EXAMPLE),
        (
            "deploy/dev/.env",
            "DB_PASSWORD=op://prod-vault/postgres/password\n",
        ),
    ]);
    let (r, v) = check(dir.path(), &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(ids(&v).contains(&"policy/env-partition@deploy/dev/.env:1".to_string()));
}

#[test]
fn policy_init_writes_a_starter_policy_that_loads() {
    let dir = tree(&[
        ("deploy/prod/.env", "DB=op://prod-main/db/password\n"),
        ("deploy/dev/.env", "DB=op://dev-main/db/password\n"),
    ]);
    let r = run(dir.path(), &["policy", "init", ".", "-o", "starter.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let text = std::fs::read_to_string(dir.path().join("starter.toml")).unwrap();
    assert!(
        text.contains("name = \"production\"") && text.contains("**/prod/**"),
        "{text}"
    );
    assert!(text.contains("\"1password:prod-main\""), "{text}");
    // It loads, and the current state passes it.
    let r = run(
        dir.path(),
        &["policy", ".", "--policy", "starter.toml", "--now", NOW],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    // Never overwritten.
    let again = run(dir.path(), &["policy", "init", ".", "-o", "starter.toml"]);
    assert_eq!(again.code, 2);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("starter.toml")).unwrap(),
        text
    );
}

#[test]
fn bad_policy_files_are_errors_naming_the_file() {
    for (text, needle) in [
        (
            "[checks]\nnot-a-check = \"high\"\n",
            "unknown check `not-a-check`",
        ),
        ("[checks]\nnaming = \"severe\"\n", "severe"),
        (
            "[[environment]]\nname = \"p\"\npaths = [\"[\"]\n",
            "paths glob",
        ),
        ("[naming]\nsecret = \"(\"\n", "invalid regex"),
        (
            "[[environment]]\nname = \"p\"\ncolour = \"red\"\n",
            "unknown field `colour`",
        ),
        ("[lifecycle]\nwarn-days = \"soon\"\n", "warn-days"),
        ("[inventory]\npin-versions-in = [\"nowhere\"]\n", "nowhere"),
    ] {
        let dir = tree(&[("policy.toml", text)]);
        let r = run(dir.path(), &["policy", ".", "--policy", "policy.toml"]);
        assert_eq!(r.code, 2, "{text}");
        assert!(
            r.stderr.contains("policy.toml") && r.stderr.contains(needle),
            "{text}: {}",
            r.stderr
        );
    }
    // No policy at all is a usage error.
    let dir = tree(&[("a.env", "")]);
    let r = run(dir.path(), &["policy", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--policy"), "{}", r.stderr);
}

#[test]
fn malformed_configuration_is_a_warning_and_the_run_goes_on() {
    let dir = policy_tree(&[
        ("k8s/broken.yaml", "a: [\n"),
        (
            "chart/templates/d.yaml",
            "name: {{ .Values.name }}\n  x: [\n",
        ),
        ("dev/.env", "DB=op://prod-main/db/password\n"),
    ]);
    let (r, v) = check(dir.path(), &[]);
    assert_eq!(r.code, 1);
    assert!(ids(&v).contains(&"policy/env-partition@dev/.env:1".to_string()));
    assert!(
        r.stderr.contains("k8s/broken.yaml:2") && r.stderr.contains("not valid YAML"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("chart/templates/d.yaml") && r.stderr.contains("template"),
        "{}",
        r.stderr
    );
}

#[test]
fn policy_sarif_passes_the_sarif_multitool() {
    let dir = policy_tree(&[
        ("keyguard-secrets.toml", MANIFEST),
        (
            "dev/.env",
            "DB=op://prod-main/db/password\nSESSION_SECRET=just-a-literal-value\n",
        ),
    ]);
    let r = run(
        dir.path(),
        &[
            "policy",
            ".",
            "--policy",
            "policy.toml",
            "--now",
            NOW,
            "-f",
            "sarif",
            "-o",
            "policy.sarif",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let path = dir.path().join("policy.sarif");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        !text.contains("just-a-literal-value"),
        "the literal is redacted"
    );
    let s: serde_json::Value = serde_json::from_str(&text).unwrap();
    let rules: Vec<&str> = s["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"policy/plaintext-secret") && rules.contains(&"policy/expired"),
        "{rules:?}"
    );
    assert_eq!(
        s["runs"][0]["automationDetails"]["id"]
            .as_str()
            .map(|c| c.starts_with("keyguard/policy/")),
        Some(true)
    );
    let errors = validation_errors(&path);
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn workflow_env_literals_are_plaintext_only_when_the_detector_recognises_a_credential() {
    let token = github_token(7);
    let wf = format!(
        "env:\n  LOG_LEVEL: debug\n  API_TOKEN: {token}\njobs:\n  build:\n    runs-on: ubuntu-latest\n    env:\n      DB_PASSWORD: ${{{{ secrets.DB_PASSWORD }}}}\n      SOME_PASSWORD: changeme\n    steps:\n      - run: make\n        env:\n          BUILD_ID: a1b2c3d4e5f6a7b8c9d0\n"
    );
    let dir = policy_tree(&[(".github/workflows/ci.yml", wf.as_str())]);
    let (_, v) = check(dir.path(), &[]);
    let plain: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.starts_with("policy/plaintext-secret"))
        .collect();
    assert_eq!(
        plain,
        ["policy/plaintext-secret@.github/workflows/ci.yml:3"],
        "{v:#?}"
    );
    assert!(!serde_json::to_string(&v).unwrap().contains(&token));
}

#[test]
fn naming_groups_must_agree_with_the_environment() {
    let policy = POLICY.replace(
        "secret = '^[a-z0-9-]+$'",
        "secret = '^(?P<env>prod|dev)-[a-z0-9-]+$'",
    );
    let dir = tree(&[
        ("policy.toml", policy.as_str()),
        (
            "dev/.env",
            "A=op://dev-x/dev-db\nB=op://dev-x/prod-db\nC=op://dev-x/db\n",
        ),
    ]);
    let (_, v) = check(dir.path(), &[]);
    let naming: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.starts_with("policy/naming"))
        .collect();
    assert_eq!(
        naming,
        ["policy/naming@dev/.env:2", "policy/naming@dev/.env:3"],
        "{v:#?}"
    );
    assert!(v.iter().any(|f| f["message"]
        .as_str()
        .unwrap()
        .contains("named for `prod` but used from development")));
}

#[test]
fn kubernetes_and_compose_configuration() {
    let token = github_token(11);
    let compose = format!(
        "services:\n  api:\n    image: shop/api:1\n    environment:\n      LOG_LEVEL: info\n      GITHUB_TOKEN: {token}\n      DB_PASSWORD: ${{DB_PASSWORD}}\n"
    );
    let k8s = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\n  namespace: dev\nstringData:\n  password: hunter2-but-longer\n---\napiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: all\n  namespace: dev\nspec:\n  secretStoreRef:\n    name: prod-store\n    kind: SecretStore\n  dataFrom:\n    - find:\n        name:\n          regexp: \".*\"\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: dev\nspec:\n  template:\n    spec:\n      serviceAccountName: api\n      containers:\n        - name: api\n          env:\n            - name: DB\n              valueFrom:\n                secretKeyRef:\n                  name: db\n                  key: password\n";
    let dir = policy_tree(&[("compose.yaml", compose.as_str()), ("dev/k8s.yaml", k8s)]);
    let (_, v) = check(dir.path(), &[]);
    let got = ids(&v);
    assert!(
        got.contains(&"policy/plaintext-secret@compose.yaml:6".to_string()),
        "{got:?}"
    );
    assert!(!got
        .iter()
        .any(|g| g.starts_with("policy/plaintext-secret@compose.yaml:5")));
    // A Secret's data is plaintext whatever its value; a match-all find is reported once.
    assert!(
        got.contains(&"policy/plaintext-secret@dev/k8s.yaml:7".to_string()),
        "{got:?}"
    );
    let wild: Vec<&String> = got
        .iter()
        .filter(|g| g.starts_with("policy/wildcard-grant@dev/k8s.yaml"))
        .collect();
    assert_eq!(wild.len(), 1, "{got:?}");
    assert!(!serde_json::to_string(&v).unwrap().contains(&token));
    assert!(!serde_json::to_string(&v)
        .unwrap()
        .contains("hunter2-but-longer"));
}

#[test]
fn dotnet_vault_references_must_resolve_to_a_vault_config_secret() {
    let manifest = "storageLocation:\n  type: azure-key-vault\n  parameters:\n    subscription: 00000000-0000-0000-0000-000000000000\n    name: shop-prod\nsecrets:\n  db-connection:\n    type: text\n    parameters:\n      description: the database\n";
    let dir = policy_tree(&[
        (".vault-config/shop-prod.yaml", manifest),
        (
            "src/Shop/settings.Production.json",
            "{\n  \"KeyVaultUri\": \"https://shop-prod.vault.azure.net/\",\n  \"Db\": \"[vault(db-connection)]\",\n  \"Api\": \"[vault(api-key)]\"\n}\n",
        ),
    ]);
    let (_, v) = check(dir.path(), &[]);
    let got: Vec<String> = ids(&v)
        .into_iter()
        .filter(|i| i.starts_with("policy/undeclared-secret"))
        .collect();
    assert_eq!(
        got,
        ["policy/undeclared-secret@src/Shop/settings.Production.json:4"],
        "{v:#?}"
    );
}

/// The gate runs the configured policy on what the change touches: `--staged` on the staged
/// files (their staged text), `--range` on the files the range changes; `--exclude` holds.
#[test]
fn the_gate_checks_policy_on_the_files_a_change_touches() {
    let dir = policy_tree(&[
        (".keyguard.toml", "[policy]\nfiles = [\"policy.toml\"]\n"),
        ("prod/.env", "DB=op://prod-main/db/password\n"),
        ("misc/.env", "DB=op://prod-main/db/password\n"),
    ]);
    let d = dir.path();
    git_ok(d, &["init", "-q"]);
    git_ok(d, &["add", "."]);
    git_ok(d, &["commit", "-q", "-m", "base"]);
    let base = git_ok(d, &["rev-parse", "HEAD"]).trim().to_string();
    let gate = |args: &[&str]| {
        let r = run(
            d,
            &[&["scan", "--now", NOW, "-f", "json"][..], args].concat(),
        );
        let v: serde_json::Value = serde_json::from_str(&r.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}\n{}", r.stdout, r.stderr));
        (r.code, ids(v["findings"].as_array().unwrap()))
    };
    // Nothing staged: misc/.env's old violation is not this commit's.
    let (code, got) = gate(&["--staged", "."]);
    assert_eq!((code, got.clone()), (0, vec![]), "{got:?}");

    // A dev deployment pointed at the prod vault, staged (the working tree says otherwise).
    write(d, "dev/app.env", b"DB=op://prod-main/db/password\n");
    git_ok(d, &["add", "dev/app.env"]);
    write(d, "dev/app.env", b"DB=op://dev-main/db/password\n");
    let (code, got) = gate(&["--staged", "."]);
    assert_eq!(code, 1);
    assert!(
        got.contains(&"policy/env-partition@dev/app.env:1".to_string()),
        "{got:?}"
    );
    assert!(
        got.iter().all(|g| g.ends_with("@dev/app.env:1")),
        "only the staged file: {got:?}"
    );
    let (code, got) = gate(&["--staged", ".", "--exclude", "dev/**"]);
    assert_eq!(
        (code, got.clone()),
        (0, vec![]),
        "--exclude holds for policy: {got:?}"
    );

    // The same change as a pull request: --range reports it, and only it.
    write(d, "dev/app.env", b"DB=op://prod-main/db/password\n");
    git_ok(d, &["add", "dev/app.env"]);
    git_ok(d, &["commit", "-q", "-m", "point dev at prod"]);
    let (code, got) = gate(&["--range", &format!("{base}..HEAD"), "."]);
    assert_eq!(code, 1);
    assert!(
        got.contains(&"policy/env-partition@dev/app.env:1".to_string()),
        "{got:?}"
    );
    assert!(
        got.iter().all(|g| g.ends_with("@dev/app.env:1")),
        "only the PR's file: {got:?}"
    );
}
