//! The real pre-commit framework (PyPI `pre-commit`) running keyguard's hook definition.
//!
//! `.pre-commit-hooks.yaml` offers `keyguard` (`language: rust`: pre-commit builds keyguard with
//! cargo) and `keyguard-system` (`language: system`: the keyguard on PATH). Building the rust
//! hook inside the test would take minutes, so the test runs its `entry` as a `repo: local` /
//! `language: system` hook pointing at the binary under test; `keyguard-system` is run as
//! users run it, from a clone of the manifest, with the binary under test on PATH. The
//! manifest itself is checked with `pre-commit validate-manifest`, and the two hooks are
//! checked to differ only in their language. `keyguard-prebuilt` (`language: python`) is
//! installed by the framework as users install it, its release archive served by a local
//! HTTPS server with a test CA.

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

#[test]
fn the_system_and_prebuilt_hooks_are_the_rust_hook_in_another_language() {
    let hooks = yaml_to_json(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/.pre-commit-hooks.yaml"
    )));
    let hooks = hooks.as_array().expect("a list of hooks");
    let hook = |id: &str| {
        let mut h = hooks
            .iter()
            .find(|h| h["id"] == id)
            .unwrap_or_else(|| panic!("no hook `{id}`"))
            .as_object()
            .unwrap()
            .clone();
        let language = h.remove("language").unwrap();
        for key in ["id", "description"] {
            h.remove(key);
        }
        (language, h)
    };
    let (rust_language, rust) = hook("keyguard");
    let (system_language, system) = hook("keyguard-system");
    let (prebuilt_language, prebuilt) = hook("keyguard-prebuilt");
    assert_eq!(rust_language, "rust");
    assert_eq!(system_language, "system");
    assert_eq!(prebuilt_language, "python");
    assert_eq!(rust, system, "same entry, arguments, files and stages");
    assert_eq!(rust, prebuilt, "same entry, arguments, files and stages");
}

#[test]
fn the_system_hook_runs_the_keyguard_on_path() {
    // The hook repository: a clone of the manifest, as pre-commit fetches it from a tag.
    let hooks = tempfile::tempdir().unwrap();
    let h = hooks.path();
    git_ok(h, &["init", "-q"]);
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/.pre-commit-hooks.yaml"),
        h.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    git_ok(h, &["add", "."]);
    git_ok(h, &["commit", "-q", "-m", "hooks"]);
    let rev = git_ok(h, &["rev-parse", "HEAD"]);

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(git(d, &["init", "-q"]).status.success());
    write(
        d,
        ".pre-commit-config.yaml",
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: keyguard-system\n",
            h.display()
        )
        .as_bytes(),
    );
    // The binary under test is the `keyguard` on PATH.
    let mut path = vec![bin().parent().unwrap().to_path_buf()];
    path.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    let path = std::env::join_paths(path).unwrap();
    let git_with_path = |args: &[&str]| {
        git_command(d)
            .args(args)
            .env("PRE_COMMIT_HOME", d.join(".pre-commit-cache"))
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    let o = Command::new(pre_commit())
        .arg("install")
        .current_dir(d)
        .env("PRE_COMMIT_HOME", d.join(".pre-commit-cache"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(git_with_path(&["add", ".pre-commit-config.yaml"])
        .status
        .success());
    let o = git_with_path(&["commit", "-q", "-m", "config"]);
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );

    write(
        d,
        "app.py",
        format!("TOKEN = '{}'\n", github_token(1)).as_bytes(),
    );
    assert!(git_with_path(&["add", "app.py"]).status.success());
    let o = git_with_path(&["commit", "-m", "add token"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the commit is refused: {out}");
    assert!(
        out.contains("app.py:1:10: high [github-pat-classic]"),
        "{out}"
    );
    assert!(out.contains("scanned 1 file"), "{out}");

    write(d, "app.py", b"TOKEN = read_token()\n");
    assert!(git_with_path(&["add", "app.py"]).status.success());
    let o = git_with_path(&["commit", "-q", "-m", "clean"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
}

/// A release as the release workflow publishes it: `keyguard-v<version>-<target>.tar.gz`
/// (holding `keyguard-v<version>-<target>/keyguard`, here the binary under test) and its
/// SHA256SUMS line, served over HTTPS at `/v<version>/`. `sums` says what SHA256SUMS holds.
fn serve_release(sums: impl Fn(&str, &str) -> String) -> (common::https::Server, String) {
    use sha2::Digest;
    let arch = std::env::consts::ARCH;
    let triple = match std::env::consts::OS {
        "macos" => format!("{arch}-apple-darwin"),
        _ => format!("{arch}-unknown-linux-gnu"),
    };
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let name = format!("keyguard-{tag}-{triple}");
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir(work.path().join(&name)).unwrap();
    std::fs::copy(bin(), work.path().join(&name).join("keyguard")).unwrap();
    let archive = format!("{name}.tar.gz");
    let o = Command::new("tar")
        .args(["-czf", &archive, &name])
        .current_dir(work.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let bytes = std::fs::read(work.path().join(&archive)).unwrap();
    let hex: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let sums = sums(&hex, &archive);
    let (sums_path, archive_path) = (format!("/{tag}/SHA256SUMS"), format!("/{tag}/{archive}"));
    let server = common::https::serve(std::sync::Arc::new(move |req| {
        let mut r = common::https::reply(200, "");
        r.content_type = "application/octet-stream";
        if req.path == sums_path {
            r.body = sums.clone().into_bytes();
        } else if req.path == archive_path {
            r.body = bytes.clone();
        } else {
            r.status = 404;
        }
        r
    }));
    (server, archive)
}

/// A hook repository as pre-commit clones it from a tag: the manifest and what `pip install .`
/// reads (setup.py, pyproject.toml, Cargo.toml for the version).
fn hook_repository() -> (tempfile::TempDir, String) {
    let hooks = tempfile::tempdir().unwrap();
    let h = hooks.path();
    git_ok(h, &["init", "-q"]);
    for f in [
        ".pre-commit-hooks.yaml",
        "setup.py",
        "pyproject.toml",
        "Cargo.toml",
    ] {
        std::fs::copy(Path::new(env!("CARGO_MANIFEST_DIR")).join(f), h.join(f)).unwrap();
    }
    git_ok(h, &["add", "."]);
    git_ok(h, &["commit", "-q", "-m", "hooks"]);
    let rev = git_ok(h, &["rev-parse", "HEAD"]);
    (hooks, rev)
}

/// `pre-commit install-hooks` for a repository using `keyguard-prebuilt` from `hooks`, with
/// releases at `server`.
fn install_prebuilt(d: &Path, hooks: &Path, rev: &str, server: &common::https::Server) -> Output {
    assert!(git(d, &["init", "-q"]).status.success());
    write(
        d,
        ".pre-commit-config.yaml",
        format!(
            "repos:\n- repo: {}\n  rev: {rev}\n  hooks:\n  - id: keyguard-prebuilt\n",
            hooks.display()
        )
        .as_bytes(),
    );
    Command::new(pre_commit())
        .arg("install-hooks")
        .current_dir(d)
        .env("PRE_COMMIT_HOME", d.join(".pre-commit-cache"))
        .env("KEYGUARD_RELEASE_URL", &server.base)
        .env("KEYGUARD_RELEASE_CA", &server.ca)
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .output()
        .unwrap()
}

/// The `keyguard` files pre-commit's virtualenvs hold under `cache`.
fn installed_binaries(cache: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for repo in std::fs::read_dir(cache).into_iter().flatten().flatten() {
        for env in std::fs::read_dir(repo.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            let exe = env.path().join("bin").join("keyguard");
            if env.file_name().to_string_lossy().starts_with("py_env") && exe.exists() {
                found.push(exe);
            }
        }
    }
    found
}

#[test]
fn the_prebuilt_hook_installs_the_checked_release_binary_and_refuses_a_secret() {
    let (server, archive) = serve_release(|hex, archive| {
        format!(
            "{}  keyguard-other.tar.gz\n{hex}  {archive}\n",
            "0".repeat(64)
        )
    });
    let (hooks, rev) = hook_repository();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = install_prebuilt(d, hooks.path(), &rev, &server);
    assert!(
        o.status.success(),
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    let asked: Vec<String> = server.requests().into_iter().map(|r| r.path).collect();
    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    assert_eq!(
        asked,
        [format!("/{tag}/SHA256SUMS"), format!("/{tag}/{archive}")]
    );
    // What is installed is the released binary itself, byte for byte.
    let installed = installed_binaries(&d.join(".pre-commit-cache"));
    assert_eq!(installed.len(), 1, "{installed:?}");
    assert!(std::fs::read(&installed[0]).unwrap() == std::fs::read(bin()).unwrap());

    // The framework runs it: PATH holds no other keyguard.
    let o = Command::new(pre_commit())
        .arg("install")
        .current_dir(d)
        .env("PRE_COMMIT_HOME", d.join(".pre-commit-cache"))
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    write(
        d,
        "app.py",
        format!("TOKEN = '{}'\n", github_token(3)).as_bytes(),
    );
    assert!(git(d, &["add", "app.py", ".pre-commit-config.yaml"])
        .status
        .success());
    let o = git(d, &["commit", "-m", "add token"]);
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "the commit is refused: {out}");
    assert!(
        out.contains("app.py:1:10: high [github-pat-classic]"),
        "{out}"
    );
}

#[test]
fn the_prebuilt_hook_refuses_an_archive_that_does_not_match_its_checksum() {
    let (server, archive) = serve_release(|hex, archive| {
        // One hex digit changed: the download no longer matches.
        let flipped = if hex.starts_with('0') { "1" } else { "0" };
        format!("{flipped}{}  {archive}\n", &hex[1..])
    });
    let (hooks, rev) = hook_repository();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = install_prebuilt(d, hooks.path(), &rev, &server);
    let out = String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{out}");
    assert!(
        out.contains(&format!("{archive} does not match SHA256SUMS")),
        "{out}"
    );
    assert!(installed_binaries(&d.join(".pre-commit-cache")).is_empty());
}
