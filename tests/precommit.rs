//! The real pre-commit framework (PyPI `pre-commit`) running keyguard's hook definition.
//!
//! The hook in `.pre-commit-hooks.yaml` is `language: rust` (pre-commit builds keyguard with
//! cargo). Building it inside the test would take minutes, so the test runs the same `entry`
//! as a `repo: local` / `language: system` hook pointing at the binary under test; the
//! manifest itself is checked with `pre-commit validate-manifest`.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};

fn git(dir: &Path, args: &[&str]) -> Output {
    git_command(dir)
        .args(args)
        .env("PRE_COMMIT_HOME", dir.join(".pre-commit-cache"))
        .output()
        .unwrap()
}

/// The `entry` of the `keyguard` hook in `.pre-commit-hooks.yaml`.
fn manifest_entry() -> String {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    ))
    .unwrap();
    text.lines()
        .find_map(|l| l.trim().strip_prefix("entry: "))
        .expect("the manifest has an entry")
        .to_string()
}

#[test]
fn the_manifest_is_valid_for_the_framework() {
    let o = Command::new(pre_commit())
        .args([
            "validate-manifest",
            concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml"),
        ])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn the_framework_refuses_a_secret_and_lets_clean_and_allowed_commits_through() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git(d, &["init", "-q"]).status.success());
    let entry = manifest_entry().replacen("keyguard", &bin().display().to_string(), 1);
    write(
        d,
        ".pre-commit-config.yaml",
        format!(
            "repos:\n- repo: local\n  hooks:\n  - id: keyguard\n    name: keyguard (hardcoded secrets)\n    entry: {entry}\n    language: system\n    pass_filenames: true\n    verbose: true\n"
        )
        .as_bytes(),
    );
    let o = Command::new(pre_commit())
        .arg("install")
        .current_dir(d)
        .env("PRE_COMMIT_HOME", d.join(".pre-commit-cache"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(git(d, &["add", ".pre-commit-config.yaml"]).status.success());
    assert!(git(d, &["commit", "-q", "-m", "config"]).status.success());

    write(
        d,
        "app.py",
        format!("TOKEN = '{}'\n", github_token(1)).as_bytes(),
    );
    assert!(git(d, &["add", "app.py"]).status.success());
    let o = git(d, &["commit", "-m", "add token"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the commit is refused: {out}");
    assert!(
        out.contains("app.py:1:10: high [github-pat-classic]"),
        "{out}"
    );
    assert!(
        out.contains("scanned 1 file"),
        "the summary says what was scanned: {out}"
    );

    write(
        d,
        "app.py",
        format!("TOKEN = '{}'  # keyguard:allow\n", github_token(1)).as_bytes(),
    );
    assert!(git(d, &["add", "app.py"]).status.success());
    let o = git(d, &["commit", "-q", "-m", "allowed"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));

    write(d, "notes.md", b"nothing secret here\n");
    assert!(git(d, &["add", "notes.md"]).status.success());
    assert!(git(d, &["commit", "-q", "-m", "clean"]).status.success());

    // `pre-commit run --all-files` scans every tracked file and says so.
    let o = Command::new(pre_commit())
        .args(["run", "--all-files"])
        .current_dir(d)
        .env("PRE_COMMIT_HOME", d.join(".pre-commit-cache"))
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{out}");
    assert!(out.contains("Passed"), "{out}");
    assert!(
        out.contains("scanned 3 files"),
        "the summary shows even on success: {out}"
    );
}
