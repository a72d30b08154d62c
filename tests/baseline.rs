//! Baselines: `keyguard baseline create` and `scan --baseline`.

mod common;

use common::*;

const B: &str = ".keyguard-baseline.toml";

fn scan_with_baseline(dir: &std::path::Path, extra: &[&str]) -> Run {
    run(
        dir,
        &[&["scan", ".", "-f", "json", "--baseline", B], extra].concat(),
    )
}

#[test]
fn baselined_findings_stop_blocking_and_new_ones_still_block() {
    let old = github_token(1);
    let dir = tree(&[("app/config.py", &format!("TOKEN = '{old}'\n"))]);
    let d = dir.path();
    let c = run(d, &["baseline", "create", "."]);
    assert_eq!(c.code, 0, "{}", c.stderr);
    let text = std::fs::read_to_string(d.join(B)).unwrap();
    assert!(!text.contains(&old), "the baseline never holds the secret");
    assert!(text.contains("secret_sha256") && text.contains("app/config.py"));
    assert!(
        !text.contains("line =") && !text.contains("column"),
        "no line numbers: {text}"
    );

    let r = scan_with_baseline(d, &[]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert_eq!(r.json()["summary"]["suppressed"]["baseline"], 1);

    // Lines added above the secret: still the same finding.
    write(
        d,
        "app/config.py",
        format!("import os\n\n# config\nTOKEN = '{old}'\n").as_bytes(),
    );
    assert_eq!(scan_with_baseline(d, &[]).code, 0);

    // A different secret on the baselined line is reported.
    let new = github_token(2);
    write(d, "app/config.py", format!("TOKEN = '{new}'\n").as_bytes());
    let r = scan_with_baseline(d, &["--show-secrets"]);
    assert_eq!(r.code, 1);
    assert_eq!(findings(&r.json())[0]["secret"], new.as_str());
}

#[test]
fn report_unused_lists_stale_entries_and_expired_entries_stop_suppressing() {
    let a = github_token(3);
    let b = github_token(4);
    let dir = tree(&[
        ("a.txt", &format!("t={a}\n")),
        ("b.txt", &format!("t={b}\n")),
    ]);
    let d = dir.path();
    assert_eq!(run(d, &["baseline", "create", "."]).code, 0);
    // b.txt's secret is removed: its entry is stale.
    write(d, "b.txt", b"nothing here\n");
    let r = scan_with_baseline(d, &["--report-unused"]);
    assert_eq!(r.code, 0);
    assert!(
        r.stderr.contains("unused baseline entry") && r.stderr.contains("b.txt"),
        "{}",
        r.stderr
    );

    // An entry past its expiry date no longer suppresses, and says so.
    let text = std::fs::read_to_string(d.join(B)).unwrap();
    let expired = text.replacen(
        "path = \"a.txt\"",
        "path = \"a.txt\"\nowner = \"team-payments\"\nreason = \"rotation planned\"\nexpires = 2020-01-31",
        1,
    );
    std::fs::write(d.join(B), &expired).unwrap();
    // The day before its expiry it still suppresses; the day after it does not. The dates
    // come from `--now`, never from the machine's clock.
    let r = scan_with_baseline(d, &["--now", "2020-01-30"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = scan_with_baseline(d, &["--now", "2020-02-01"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("expired on 2020-01-31"), "{}", r.stderr);

    // Re-creating keeps the owner, reason and expiry of surviving entries.
    assert_eq!(run(d, &["baseline", "create", "."]).code, 0);
    let again = std::fs::read_to_string(d.join(B)).unwrap();
    assert!(
        again.contains("owner = \"team-payments\"") && again.contains("expires = 2020-01-31"),
        "{again}"
    );
}

#[test]
fn baseline_files_are_deterministic_and_sorted() {
    let dir = tree(&[
        ("z.txt", &format!("t={}\n", github_token(5))),
        ("a.txt", &format!("t={}\n", github_token(6))),
        ("m/x.txt", &format!("t={}\n", github_token(7))),
    ]);
    let d = dir.path();
    assert_eq!(
        run(d, &["baseline", "create", ".", "-o", "one.toml"]).code,
        0
    );
    assert_eq!(
        run(d, &["baseline", "create", ".", "-o", "two.toml"]).code,
        0
    );
    let one = std::fs::read_to_string(d.join("one.toml")).unwrap();
    assert_eq!(one, std::fs::read_to_string(d.join("two.toml")).unwrap());
    let paths: Vec<&str> = one.lines().filter(|l| l.starts_with("path = ")).collect();
    assert_eq!(
        paths,
        vec!["path = \"a.txt\"", "path = \"m/x.txt\"", "path = \"z.txt\""]
    );
}

#[test]
fn corrupt_or_newer_baselines_are_errors_and_never_overwritten() {
    let dir = tree(&[("a.txt", &format!("t={}\n", github_token(8)))]);
    let d = dir.path();
    for (text, needle) in [
        ("this is not toml [", B),
        ("version = 99\n", "newer than this keyguard"),
        (
            "version = 1\n[[finding]]\nfingerprint = \"x\"\n",
            "missing field",
        ),
    ] {
        std::fs::write(d.join(B), text).unwrap();
        let r = scan_with_baseline(d, &[]);
        assert_eq!(r.code, 2, "{text}");
        assert!(r.stderr.contains(needle), "{text}: {}", r.stderr);
        let c = run(d, &["baseline", "create", "."]);
        assert_eq!(c.code, 2, "create refuses to replace a file it cannot read");
        assert_eq!(
            std::fs::read_to_string(d.join(B)).unwrap(),
            text,
            "untouched"
        );
    }
}

#[test]
fn history_findings_can_be_baselined_too() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let git = |args: &[&str]| git_ok(d, args);
    git(&["init", "-q"]);
    write(d, "k.txt", format!("t={}\n", github_token(9)).as_bytes());
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "one"]);
    assert_eq!(
        run(
            d,
            &["baseline", "create", "--history", ".", "-o", "hist.toml"]
        )
        .code,
        0
    );
    let r = run(d, &["scan", "--history", ".", "--baseline", "hist.toml"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
}
