//! `.keyguard.toml`: discovery, allowlists, custom and disabled rules, and its errors.

mod common;

use common::*;

#[test]
fn allowlists_suppress_by_path_regex_and_stopword() {
    let t = |i| github_token(i);
    let kept = t(1);
    let by_regex = t(2);
    let dir = tree(&[
        (
            ".keyguard.toml",
            &format!(
                "[allowlist]\npaths = [\"fixtures/**\"]\nregexes = ['^{}']\nstopwords = [\"{}\"]\n",
                &by_regex[..12],
                &t(3)[4..14].to_lowercase()
            ),
        ),
        ("fixtures/x.txt", &format!("k={}\n", t(4))),
        (
            "src/a.txt",
            &format!("k={kept}\nk={by_regex}\nk={}\n", t(3)),
        ),
    ]);
    let r = run(dir.path(), &["scan", "-f", "json", "--show-secrets"]);
    let v = r.json();
    let f = findings(&v);
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["secret"], kept.as_str());
    assert_eq!(v["summary"]["suppressed"]["allowlist-regex"], 1);
    assert_eq!(v["summary"]["suppressed"]["allowlist-stopword"], 1);
}

#[test]
fn custom_rules_extend_and_disable_removes() {
    let dir = tree(&[
        (
            ".keyguard.toml",
            r#"
[rules]
disable = ["github-pat-classic"]

[[rule]]
id = "acme-api-key"
name = "ACME internal API key"
family = "acme"
severity = "critical"
keywords = ["acme_"]
regex = '''\b(acme_[a-z0-9]{24})\b'''
description = "ACME's internal API key."
examples = ["ACME=acme_q8w7e6r5t4y3u2i1o9p8a7s6"]
negative_examples = ["acme_short"]
"#,
        ),
        (
            "a.txt",
            &format!(
                "key=acme_z9x8c7v6b5n4m3l2k1j9h8g7\ngh={}\n",
                github_token(5)
            ),
        ),
    ]);
    let v = run(dir.path(), &["scan", "-f", "json"]).json();
    let ids: Vec<String> = findings(&v)
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["acme-api-key"]);
    let r = run(
        dir.path(),
        &[
            "rules",
            "list",
            "--family",
            "acme",
            "--config",
            ".keyguard.toml",
        ],
    );
    assert!(r.stdout.contains("acme-api-key"), "{}", r.stdout);
}

#[test]
fn config_can_replace_the_defaults_and_set_fail_on() {
    let dir = tree(&[
        (
            "kg.toml",
            "[rules]\nextend_default = false\nfiles = [\"my-rules.toml\"]\n[scan]\nfail_on = \"critical\"\n",
        ),
        (
            "my-rules.toml",
            "[[rule]]\nid = \"corp-token\"\nname = \"Corp token\"\nfamily = \"corp\"\nseverity = \"high\"\nkeywords = [\"corp_tok_\"]\nregex = '''corp_tok_([0-9a-f]{16})'''\n",
        ),
        ("a.txt", &format!("x=corp_tok_9f8e7d6c5b4a3f2e\ngh={}\n", github_token(6))),
    ]);
    let r = run(dir.path(), &["scan", "--config", "kg.toml", "-f", "json"]);
    // Only the custom rule runs; it is high, below the configured failing severity.
    assert_eq!(r.code, 0, "{}", r.stderr);
    let ids: Vec<String> = findings(&r.json())
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["corp-token"]);
}

#[test]
fn unknown_key_is_an_error_pointing_at_the_line() {
    let dir = tree(&[(
        ".keyguard.toml",
        "[allowlist]\npaths = []\nfiles = [\"x\"]\n",
    )]);
    let r = run(dir.path(), &["scan"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains(".keyguard.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("unknown field `files`"), "{}", r.stderr);
    assert!(
        r.stderr.contains("3 │ files"),
        "diagnostic shows the line:\n{}",
        r.stderr
    );
}

#[test]
fn malformed_toml_and_bad_values_are_errors() {
    for (text, needle) in [
        ("[rules\n", ".keyguard.toml"),
        ("[scan]\nfail_on = \"severe\"\n", "severe"),
        ("[allowlist]\nregexes = ['(unclosed']\n", "invalid regex"),
        (
            "[rules]\ndisable = [\"no-such-rule\"]\n",
            "unknown rule id `no-such-rule`",
        ),
    ] {
        let dir = tree(&[(".keyguard.toml", text)]);
        let r = run(dir.path(), &["scan"]);
        assert_eq!(r.code, 2, "{text}");
        assert!(r.stderr.contains(needle), "{text}: {}", r.stderr);
    }
}

#[test]
fn custom_rule_with_invalid_regex_names_rule_and_file() {
    let dir = tree(&[(
        ".keyguard.toml",
        "[[rule]]\nid = \"broken-rule\"\nname = \"b\"\nfamily = \"x\"\nseverity = \"low\"\nkeywords = [\"abc\"]\nregex = '(abc'\n",
    )]);
    let r = run(dir.path(), &["scan"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("broken-rule"), "{}", r.stderr);
    assert!(r.stderr.contains(".keyguard.toml"), "{}", r.stderr);
    assert!(r.stderr.contains("invalid regex"), "{}", r.stderr);
}

#[test]
fn a_custom_regex_too_large_to_compile_is_an_error_at_load_not_a_crash() {
    let dir = tree(&[
        (
            ".keyguard.toml",
            "[[rule]]\nid = \"huge\"\nname = \"h\"\nfamily = \"x\"\nseverity = \"low\"\nkeywords = [\"abc\"]\nregex = '''abc(?:[a-z]{1000}){1000}'''\n",
        ),
        ("a.txt", "abc\n"),
    ]);
    let r = run(dir.path(), &["scan"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr.contains("huge") && r.stderr.contains("size limit"),
        "{}",
        r.stderr
    );
}
