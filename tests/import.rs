//! Migration: `.gitleaksignore` and detect-secrets baselines become keyguard baseline entries.

mod common;

use common::*;

#[test]
fn gitleaksignore_entries_become_baseline_entries() {
    let (a, b) = (github_token(1), github_token(2));
    let dir = tree(&[
        ("src/a.py", &format!("x = 1\nA = '{a}'\n")),
        ("src/b.py", &format!("B = '{b}'\n")),
        (
            ".gitleaksignore",
            "# accepted\nsrc/a.py:github-pat:2\n0123456789abcdef0123456789abcdef01234567:gone.txt:generic-api-key:9\n",
        ),
    ]);
    let d = dir.path();
    let r = run(d, &["import", "gitleaksignore", ".gitleaksignore"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("1 of 2 entries"), "{}", r.stderr);
    assert!(
        r.stderr.contains("gone.txt:9") && r.stderr.contains("not imported"),
        "{}",
        r.stderr
    );
    let baseline = std::fs::read_to_string(d.join(".keyguard-baseline.toml")).unwrap();
    assert!(
        baseline.contains("path = \"src/a.py\"")
            && baseline.contains("imported from .gitleaksignore")
    );
    assert!(!baseline.contains(&a));
    let r = run(
        d,
        &[
            "scan",
            "--baseline",
            ".keyguard-baseline.toml",
            "-f",
            "json",
            "--show-secrets",
        ],
    );
    let f = findings(&r.json());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["secret"], b.as_str());
}

#[test]
fn detect_secrets_baselines_are_imported() {
    let a = github_token(3);
    let dir = tree(&[
        ("conf/settings.ini", &format!("[x]\ntoken = {a}\n")),
        (
            ".secrets.baseline",
            r#"{"version": "1.5.0", "plugins_used": [], "filters_used": [],
               "results": {"conf/settings.ini": [{"type": "GitHub Token", "filename": "conf/settings.ini",
                 "hashed_secret": "3f786850e387550fdab836ed7e6dc881de23001b", "is_verified": false, "line_number": 2}]},
               "generated_at": "2024-01-01T00:00:00Z"}"#,
        ),
    ]);
    let d = dir.path();
    let r = run(
        d,
        &[
            "import",
            "detect-secrets",
            ".secrets.baseline",
            "-o",
            "kg-baseline.toml",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("1 of 1 entries"), "{}", r.stderr);
    assert_eq!(run(d, &["scan", "--baseline", "kg-baseline.toml"]).code, 0);
}

#[test]
fn malformed_files_are_errors_naming_the_file_and_line() {
    let dir = tree(&[
        (".gitleaksignore", "ok/file.txt:rule:3\nnot a fingerprint\n"),
        ("x.json", "{nope"),
    ]);
    let r = run(dir.path(), &["import", "gitleaksignore", ".gitleaksignore"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains(".gitleaksignore") && r.stderr.contains("line 2"),
        "{}",
        r.stderr
    );
    let r = run(dir.path(), &["import", "detect-secrets", "x.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("x.json") && r.stderr.contains("not a detect-secrets baseline"),
        "{}",
        r.stderr
    );
    assert!(
        !dir.path().join(".keyguard-baseline.toml").exists(),
        "nothing written on error"
    );
}

#[test]
fn a_gitleaks_config_becomes_keyguard_toml_and_says_what_it_could_not_translate() {
    let dir = tree(&[
        (
            ".gitleaks.toml",
            r#"
title = "team config"
[extend]
useDefault = true
disabledRules = ["generic-api-key"]

[[rules]]
id = "acme-token"
description = "ACME internal token"
regex = '''\b(acme_[a-z0-9]{24})\b'''
keywords = ["acme_"]
entropy = 2.5
[rules.allowlist]
stopwords = ["acme_testtesttesttesttesttest"]

[[rules]]
id = "no-keywords"
regex = '''corp-[0-9]{12}'''

[[rules]]
id = "pem-files"
path = '''\.pem$'''

[allowlist]
paths = ['''vendor/''']
stopwords = ["notreal"]
"#,
        ),
        ("app.env", "TOKEN=acme_q8w7e6r5t4y3u2i1o9p8a7s6\n"),
    ]);
    let d = dir.path();
    let r = run(d, &["import", "gitleaks", ".gitleaks.toml"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for needle in [
        "no-keywords",
        "pem-files",
        "disabledRules",
        "vendor/",
        "1 rule from",
    ] {
        assert!(
            r.stderr.contains(needle),
            "missing `{needle}`: {}",
            r.stderr
        );
    }
    let config = std::fs::read_to_string(d.join(".keyguard.toml")).unwrap();
    assert!(config.contains("# NOT TRANSLATED"), "{config}");
    // The translated configuration loads and its rule finds the team's token.
    let r = run(d, &["scan", ".", "-f", "json"]);
    let f = findings(&r.json());
    assert!(
        f.iter().any(|f| f["rule_id"] == "acme-token"),
        "{}",
        r.stdout
    );
    // An existing .keyguard.toml is never replaced.
    let again = run(d, &["import", "gitleaks", ".gitleaks.toml"]);
    assert_eq!(again.code, 2);
    assert_eq!(
        std::fs::read_to_string(d.join(".keyguard.toml")).unwrap(),
        config
    );
}
