//! `keyguard scan --staged`: the pre-commit gate, on real repositories built with git.

mod common;

use common::*;
use std::path::Path;

fn git(dir: &Path, args: &[&str]) {
    git_ok(dir, args);
}

fn staged(dir: &Path) -> (Run, Vec<serde_json::Value>) {
    let r = run(dir, &["scan", "--staged", "-f", "json", "--show-secrets"]);
    let f = findings(&r.json());
    (r, f)
}

#[test]
fn the_first_commit_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "a.env", format!("T={}\n", github_token(1)).as_bytes());
    git(d, &["add", "a.env"]);
    let (r, f) = staged(d);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["path"], "a.env");
}

#[test]
fn only_added_lines_block() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let old = github_token(2);
    write(
        d,
        "settings.py",
        format!("DEBUG = False\nTOKEN = '{old}'\n").as_bytes(),
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "old secret"]);
    // An unrelated change to the same file: the old secret does not block it.
    write(
        d,
        "settings.py",
        format!("DEBUG = True\nTOKEN = '{old}'\n").as_bytes(),
    );
    git(d, &["add", "."]);
    let (r, f) = staged(d);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(f.is_empty());
    assert_eq!(
        r.json()["summary"]["files_scanned"],
        1,
        "the changed file was scanned"
    );
    // A new secret line blocks, and only it is reported.
    let new = github_token(3);
    write(
        d,
        "settings.py",
        format!("DEBUG = True\nTOKEN = '{old}'\nOTHER = '{new}'\n").as_bytes(),
    );
    git(d, &["add", "."]);
    let (r, f) = staged(d);
    assert_eq!(r.code, 1);
    assert_eq!(f.len(), 1);
    assert_eq!(
        (f[0]["secret"].as_str(), f[0]["line"].as_u64()),
        (Some(new.as_str()), Some(3))
    );
}

#[test]
fn renames_deletions_binaries_and_unstaged_edits() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(
        d,
        "old/name.txt",
        format!("t={}\n", github_token(4)).as_bytes(),
    );
    write(d, "gone.txt", format!("t={}\n", github_token(5)).as_bytes());
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "base"]);
    std::fs::create_dir_all(d.join("new")).unwrap();
    git(d, &["mv", "old/name.txt", "new/name.txt"]);
    git(d, &["rm", "-q", "gone.txt"]);
    let mut bin = format!("t={}\n", github_token(6)).into_bytes();
    bin.extend_from_slice(&[0, 0, 1, 2]);
    write(d, "blob.bin", &bin);
    git(d, &["add", "blob.bin"]);
    let (r, f) = staged(d);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(f.is_empty());
    assert_eq!(r.json()["summary"]["skipped"]["binary"], 1);
    // What counts is what is staged, not the work tree.
    write(d, "clean.txt", b"fine\n");
    git(d, &["add", "clean.txt"]);
    write(
        d,
        "clean.txt",
        format!("t={}\n", github_token(7)).as_bytes(),
    );
    let (r, _) = staged(d);
    assert_eq!(r.code, 0, "an unstaged edit does not block the commit");
}

#[test]
fn not_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["scan", "--staged"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a git repository"), "{}", r.stderr);
}

#[test]
fn a_detached_head_works() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "a.txt", b"one\n");
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "one"]);
    git(d, &["checkout", "-q", "--detach"]);
    write(d, "b.txt", format!("t={}\n", github_token(8)).as_bytes());
    git(d, &["add", "b.txt"]);
    let (r, f) = staged(d);
    assert_eq!((r.code, f.len()), (1, 1), "{}", r.stderr);
    git(d, &["commit", "-q", "-m", "two"]);
    let r = run(d, &["scan", "--since", "main", "-f", "json"]);
    assert_eq!((r.code, findings(&r.json()).len()), (1, 1), "{}", r.stderr);
}

/// Unchanged directories are skipped through the index's cache-tree: what is staged deep in
/// one directory, deleted in another and added in a new one is still seen exactly.
#[test]
fn deep_changes_next_to_unchanged_directories() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    for (i, sub) in ["a/x", "b/y/z", "c", "b/w"].iter().enumerate() {
        write(d, &format!("{sub}/f{i}.txt"), b"nothing here\n");
    }
    write(
        d,
        "c/old.env",
        format!("T={}\n", github_token(10)).as_bytes(),
    );
    git(d, &["add", "."]);
    git(d, &["commit", "-q", "-m", "base"]);
    let (r, f) = staged(d);
    assert_eq!((r.code, f.len()), (0, 0), "nothing staged: {}", r.stdout);

    let deep = github_token(11);
    let fresh = github_token(12);
    write(
        d,
        "b/y/z/f1.txt",
        format!("nothing here\nT={deep}\n").as_bytes(),
    );
    write(d, "e/new/n.env", format!("T={fresh}\n").as_bytes());
    git(d, &["add", "b/y/z/f1.txt", "e/new/n.env"]);
    // A rename of the old secret into a new directory adds nothing.
    std::fs::create_dir_all(d.join("f")).unwrap();
    git(d, &["mv", "c/old.env", "f/old.env"]);
    let (r, f) = staged(d);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut got: Vec<(String, String)> = f
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["secret"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        vec![
            ("b/y/z/f1.txt".to_string(), deep),
            ("e/new/n.env".to_string(), fresh)
        ]
    );
}
