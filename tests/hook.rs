//! `keyguard hook install|uninstall` with real `git commit`s.

mod common;

use common::*;
use std::path::Path;
use std::process::Output;

fn git(dir: &Path, args: &[&str]) -> Output {
    git_command(dir).args(args).output().unwrap()
}

fn commit(dir: &Path, file: &str, text: &str) -> Output {
    write(dir, file, text.as_bytes());
    assert!(git(dir, &["add", file]).status.success());
    git(dir, &["commit", "-q", "-m", &format!("add {file}")])
}

fn init() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    assert!(git(dir.path(), &["init", "-q"]).status.success());
    dir
}

#[test]
fn the_hook_refuses_a_secret_and_lets_clean_and_allowed_commits_through() {
    let dir = init();
    let d = dir.path();
    let r = run(d, &["hook", "install"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(d.join(".git/hooks/pre-commit").exists());

    let o = commit(d, "a.py", &format!("TOKEN = '{}'\n", github_token(1)));
    assert!(!o.status.success(), "a commit adding a secret is refused");
    let err = String::from_utf8_lossy(&o.stderr).to_string() + &String::from_utf8_lossy(&o.stdout);
    assert!(
        err.contains("a.py:1:10: high [github-pat-classic]"),
        "readable message: {err}"
    );
    git(d, &["reset", "-q"]);

    assert!(commit(d, "b.txt", "nothing secret\n").status.success());
    let o = commit(
        d,
        "c.py",
        &format!("TOKEN = '{}'  # keyguard:allow\n", github_token(2)),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let r = run(d, &["hook", "uninstall"]);
    assert_eq!(r.code, 0);
    assert!(!d.join(".git/hooks/pre-commit").exists());
}

#[test]
fn an_existing_hook_is_never_clobbered() {
    let dir = init();
    let d = dir.path();
    let hook = d.join(".git/hooks/pre-commit");
    std::fs::create_dir_all(hook.parent().unwrap()).unwrap();
    let mine = "#!/bin/sh\necho team-hook-ran >&2\n";
    std::fs::write(&hook, mine).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let r = run(d, &["hook", "install"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not written by keyguard"), "{}", r.stderr);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), mine);
    // Uninstall leaves a foreign hook alone too.
    assert_eq!(run(d, &["hook", "uninstall"]).code, 2);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), mine);

    // --chain keeps it and runs it first.
    let r = run(d, &["hook", "install", "--chain"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let o = commit(d, "a.env", &format!("T={}\n", github_token(3)));
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("team-hook-ran"));
    // Uninstall restores it.
    assert_eq!(run(d, &["hook", "uninstall"]).code, 0);
    assert_eq!(std::fs::read_to_string(&hook).unwrap(), mine);
}

#[test]
fn core_hooks_path_is_honoured() {
    let dir = init();
    let d = dir.path();
    assert!(git(d, &["config", "core.hooksPath", ".githooks"])
        .status
        .success());
    assert_eq!(run(d, &["hook", "install"]).code, 0);
    assert!(d.join(".githooks/pre-commit").exists());
    assert!(!d.join(".git/hooks/pre-commit").exists());
    let o = commit(d, "k.txt", &format!("t={}\n", github_token(4)));
    assert!(!o.status.success());
}

#[test]
fn outside_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["hook", "install"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a git repository"), "{}", r.stderr);
}

#[test]
fn a_hooks_path_that_cannot_be_written_is_an_error_naming_it() {
    let dir = init();
    let d = dir.path();
    // core.hooksPath points below a regular file: the directory cannot be created.
    write(d, "not-a-dir", b"file\n");
    assert!(git(d, &["config", "core.hooksPath", "not-a-dir/hooks"])
        .status
        .success());
    let r = run(d, &["hook", "install"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not-a-dir/hooks"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(d.join("not-a-dir")).unwrap(),
        "file\n"
    );
}
