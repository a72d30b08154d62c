//! `keyguard scan --history` on real repositories built with the git CLI in temp dirs.

mod common;

use common::*;
use std::path::Path;

fn git(dir: &Path, args: &[&str]) -> String {
    git_ok(dir, args)
}

fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git(dir.path(), &["init", "-q"]);
    dir
}

fn commit_file(dir: &Path, path: &str, text: &str, message: &str) -> String {
    write(dir, path, text.as_bytes());
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", message]);
    git(dir, &["rev-parse", "HEAD"])
}

fn history(dir: &Path, extra: &[&str]) -> (Run, Vec<serde_json::Value>) {
    let mut args = vec!["scan", "--history", ".", "-f", "json"];
    args.extend_from_slice(extra);
    let r = run(dir, &args);
    let f = findings(&r.json());
    (r, f)
}

#[test]
fn a_deleted_secret_is_found_and_attributed_to_the_commit_that_added_it() {
    let dir = repo();
    let d = dir.path();
    commit_file(d, "README.md", "hello\n", "initial");
    let tok = github_token(1);
    let added = commit_file(
        d,
        "config/app.env",
        &format!("A=1\nGH_TOKEN={tok}\n"),
        "add app config",
    );
    git(d, &["rm", "-q", "config/app.env"]);
    git(d, &["commit", "-q", "-m", "remove the token"]);
    // The working tree is clean...
    assert_eq!(run(d, &["scan", "."]).code, 0);
    // ...the history is not.
    let (r, f) = history(d, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(f.len(), 1, "{}", r.stdout);
    let c = &f[0]["commit"];
    assert_eq!(c["id"], added.as_str());
    assert_eq!(c["author"], "Alice Example");
    assert_eq!(c["email"], "alice@corp.test");
    assert_eq!(c["date"], "2024-03-01T10:00:00+01:00");
    assert_eq!(c["summary"], "add app config");
    assert_eq!(
        (f[0]["path"].as_str(), f[0]["line"].as_u64()),
        (Some("config/app.env"), Some(2))
    );
    let v = r.json();
    assert_eq!(v["summary"]["history"]["commits"], 3);
    // Text shows path@commit:line.
    let t = run(d, &["scan", "--history", "."]);
    assert!(
        t.stdout
            .contains(&format!("config/app.env@{}:2:10", &added[..12])),
        "{}",
        t.stdout
    );
    assert!(!t.stdout.contains(&tok));
}

#[test]
fn the_same_blob_in_100_commits_is_reported_once_with_its_first_commit() {
    let dir = repo();
    let d = dir.path();
    let tok = github_token(2);
    let first = commit_file(d, "secrets.txt", &format!("token {tok}\n"), "add secret");
    for i in 0..99 {
        commit_file(d, "counter.txt", &format!("{i}\n"), &format!("bump {i}"));
    }
    // The same content at two more paths.
    write(d, "copy/secrets.txt", format!("token {tok}\n").as_bytes());
    write(d, "other.txt", format!("token {tok}\n").as_bytes());
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "copies"]);
    let (r, f) = history(d, &[]);
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["commit"]["id"], first.as_str());
    assert_eq!(f[0]["path"], "secrets.txt");
    assert_eq!(f[0]["also_in"], 2);
    assert_eq!(r.json()["summary"]["history"]["commits"], 101);
}

#[test]
fn side_branches_tags_and_unreachable_commits() {
    let dir = repo();
    let d = dir.path();
    commit_file(d, "a.txt", "base\n", "base");
    let on_branch = github_token(3);
    let in_tag = github_token(4);
    let dangling = github_token(5);
    // A side branch.
    git(d, &["checkout", "-q", "-b", "feature"]);
    commit_file(
        d,
        "feature.txt",
        &format!("t={on_branch}\n"),
        "feature work",
    );
    // Only a tag holds this one: its branch is deleted.
    git(d, &["checkout", "-q", "-b", "release-prep", "main"]);
    commit_file(d, "release.txt", &format!("t={in_tag}\n"), "release");
    git(d, &["tag", "-a", "v1.0", "-m", "v1.0"]);
    // Nothing reaches this one after the branch is deleted.
    git(d, &["checkout", "-q", "-b", "oops", "main"]);
    commit_file(d, "oops.txt", &format!("t={dangling}\n"), "oops");
    git(d, &["checkout", "-q", "main"]);
    git(d, &["branch", "-q", "-D", "release-prep", "oops"]);

    let secrets = |extra: &[&str]| -> Vec<String> {
        let r = run(
            d,
            &[
                &["scan", "--history", ".", "-f", "json", "--show-secrets"],
                extra,
            ]
            .concat(),
        );
        findings(&r.json())
            .iter()
            .map(|f| f["secret"].as_str().unwrap().to_string())
            .collect()
    };
    let reachable = secrets(&[]);
    assert!(reachable.contains(&on_branch), "side branch");
    assert!(reachable.contains(&in_tag), "tag");
    assert!(
        !reachable.contains(&dangling),
        "unreachable only with --all-objects"
    );
    let all = secrets(&["--all-objects"]);
    assert!(all.contains(&dangling) && all.contains(&on_branch) && all.contains(&in_tag));
    // --branch limits the walk to one ref's history.
    let main_only = secrets(&["--branch", "main"]);
    assert!(main_only.is_empty(), "{main_only:?}");
    assert_eq!(secrets(&["--branch", "feature"]), vec![on_branch.clone()]);
    let bad = run(d, &["scan", "--history", ".", "--branch", "no-such-branch"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("no-such-branch"), "{}", bad.stderr);
}

#[test]
fn a_bare_repository_and_a_stash_are_scanned() {
    let dir = repo();
    let d = dir.path();
    let committed = github_token(6);
    commit_file(d, "a.txt", &format!("t={committed}\n"), "one");
    let stashed = github_token(7);
    write(d, "a.txt", format!("t={stashed}\n").as_bytes());
    git(d, &["stash", "-q"]);
    let (_, f) = history(d, &["--show-secrets"]);
    let secrets: Vec<&str> = f.iter().map(|f| f["secret"].as_str().unwrap()).collect();
    assert!(
        secrets.contains(&stashed.as_str()),
        "stash is a ref: {secrets:?}"
    );

    let bare = tempfile::tempdir().unwrap();
    let bare_path = bare.path().join("r.git");
    git(
        d,
        &["clone", "-q", "--bare", ".", bare_path.to_str().unwrap()],
    );
    let r = run(&bare_path, &["scan", "--history", ".", "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(findings(&r.json()).len(), 1);
}

#[test]
fn a_corrupt_loose_object_is_a_warning_and_the_rest_is_found() {
    let dir = repo();
    let d = dir.path();
    let good = github_token(8);
    commit_file(d, "good.txt", &format!("t={good}\n"), "good");
    commit_file(d, "broken.txt", "this blob will be corrupted\n", "broken");
    let blob = git(d, &["rev-parse", "HEAD:broken.txt"]);
    let obj = d.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"not zlib data at all").unwrap();
    let (r, f) = history(d, &[]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(f.len(), 1);
    assert!(
        r.stderr.contains(&blob),
        "warning names the object: {}",
        r.stderr
    );
    assert_eq!(r.json()["summary"]["skipped"]["unreadable"], 1);
}

#[test]
fn shallow_clones_and_submodules_are_scanned_as_far_as_they_go_and_said() {
    let dir = repo();
    let d = dir.path();
    commit_file(d, "old.txt", &format!("t={}\n", github_token(9)), "old");
    let recent = github_token(10);
    commit_file(d, "new.txt", &format!("t={recent}\n"), "new");
    // A gitlink (submodule entry) pointing at some commit.
    let head = git(d, &["rev-parse", "HEAD"]);
    git(
        d,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{head},vendor/lib"),
        ],
    );
    git(d, &["commit", "-q", "-m", "add submodule"]);

    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", d.display());
    git(clone.path(), &["clone", "-q", "--depth", "1", &url, "c"]);
    let c = clone.path().join("c");
    let (r, f) = history(&c, &["--show-secrets"]);
    let v = r.json();
    assert_eq!(v["summary"]["history"]["shallow"], true);
    assert!(r.stderr.contains("shallow clone"), "{}", r.stderr);
    assert!(r.stderr.contains("submodule"), "{}", r.stderr);
    // Both files exist at the shallow tip, so both secrets are there to find.
    assert_eq!(f.len(), 2);
}

#[test]
fn not_a_repository_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["scan", "--history", "."]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a git repository"), "{}", r.stderr);
}

#[test]
fn history_sarif_names_the_commit_and_validates() {
    let dir = repo();
    let d = dir.path();
    let id = commit_file(d, "k.txt", &format!("t={}\n", github_token(11)), "add key");
    git(
        d,
        &[
            "remote",
            "add",
            "origin",
            "https://user:hunter2pass@git.example.test/org/repo.git",
        ],
    );
    let r = run(d, &["scan", "--history", ".", "-f", "sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("history.sarif");
    std::fs::write(&file, &r.stdout).unwrap();
    let errors = validation_errors(&file);
    assert!(
        errors.is_empty(),
        "SARIF Multitool errors:\n{}",
        errors.join("\n")
    );
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let run0 = &v["runs"][0];
    assert_eq!(run0["automationDetails"]["id"], "keyguard/history/");
    let res = &run0["results"][0];
    assert_eq!(res["properties"]["commit"]["id"], id.as_str());
    assert!(res["message"]["text"].as_str().unwrap().contains(&id));
    let vcp = &run0["versionControlProvenance"][0];
    assert_eq!(
        vcp["repositoryUri"], "https://git.example.test/org/repo.git",
        "credentials stripped"
    );
    assert_eq!(vcp["revisionId"], id.as_str());
    assert!(!r.stdout.contains("hunter2pass"));
}

#[test]
fn a_secret_kept_while_the_file_changes_is_reported_once_at_its_first_commit() {
    let dir = repo();
    let d = dir.path();
    let tok = github_token(12);
    let first = commit_file(
        d,
        "settings.py",
        &format!("DEBUG = 0\nTOKEN = '{tok}'\n"),
        "v0",
    );
    for i in 1..5 {
        commit_file(
            d,
            "settings.py",
            &format!("DEBUG = {i}\nTOKEN = '{tok}'\n"),
            &format!("v{i}"),
        );
    }
    let (r, f) = history(d, &[]);
    assert_eq!(f.len(), 1, "{}", r.stdout);
    assert_eq!(f[0]["commit"]["id"], first.as_str());
    assert_eq!(f[0]["versions"], 5);
    assert_eq!(
        r.json()["summary"]["files_scanned"],
        5,
        "each version is still scanned"
    );
}

#[test]
fn a_range_scans_only_what_its_commits_introduce() {
    let dir = repo();
    let d = dir.path();
    let old = github_token(13);
    commit_file(d, "config.py", &format!("A = 1\nOLD = '{old}'\n"), "base");
    git(d, &["checkout", "-q", "-b", "feature"]);
    // Touch the file holding the old secret, and add a new one elsewhere.
    commit_file(d, "config.py", &format!("A = 2\nOLD = '{old}'\n"), "tweak");
    let new = github_token(14);
    let added = commit_file(
        d,
        "deploy/prod.env",
        &format!("TOKEN={new}\n"),
        "add deploy env",
    );
    commit_file(d, "README.md", "docs\n", "docs");
    // Lines added above the secret later in the range: findings point at HEAD's line.
    commit_file(
        d,
        "deploy/prod.env",
        &format!("# prod\nREGION=eu\nTOKEN={new}\n"),
        "header",
    );

    let secrets = |args: &[&str]| -> (i32, Vec<serde_json::Value>) {
        let r = run(
            d,
            &[&["scan", "-f", "json", "--show-secrets"], args].concat(),
        );
        let code = r.code;
        (code, findings(&r.json()))
    };
    let (code, f) = secrets(&["--range", "main..feature"]);
    assert_eq!(code, 1);
    assert_eq!(f.len(), 1, "only the new secret: {f:?}");
    assert_eq!(f[0]["secret"], new.as_str());
    assert_eq!(
        f[0]["commit"]["id"],
        added.as_str(),
        "named by the commit that added it"
    );
    assert_eq!(
        (f[0]["line"].as_u64(), f[0]["column"].as_u64()),
        (Some(3), Some(7)),
        "at HEAD's line"
    );
    // --since REV is REV..HEAD; HEAD is `feature` here.
    let (_, f) = secrets(&["--since", "main"]);
    assert_eq!(f.len(), 1);
    // An empty range finds nothing.
    let (code, f) = secrets(&["--range", "feature..feature"]);
    assert_eq!((code, f.len()), (0, 0));
    let r = run(d, &["scan", "--range", "nope..feature"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("unknown revision `nope`"), "{}", r.stderr);
    let r = run(d, &["scan", "--range", "main"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("BASE..HEAD"), "{}", r.stderr);
    let v: serde_json::Value =
        serde_json::from_str(&run(d, &["scan", "--range", "main..feature", "-f", "sarif"]).stdout)
            .unwrap();
    assert_eq!(v["runs"][0]["automationDetails"]["id"], "keyguard/range/");
}

/// A gate fails closed: history with an object that cannot be read, and nothing else to
/// report, exits 3 (not 0), names the object, and SARIF says the run was not successful.
#[test]
fn an_unreadable_object_makes_the_scan_partial_and_the_exit_code_3() {
    let dir = repo();
    let d = dir.path();
    commit_file(d, "a.txt", "nothing secret here\n", "a");
    commit_file(d, "broken.txt", "this blob will be corrupted\n", "broken");
    let blob = git(d, &["rev-parse", "HEAD:broken.txt"]);
    let obj = d.join(".git/objects").join(&blob[..2]).join(&blob[2..]);
    let mut perms = std::fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perms.set_readonly(false);
    std::fs::set_permissions(&obj, perms).unwrap();
    std::fs::write(&obj, b"not zlib data at all").unwrap();
    let (r, f) = history(d, &[]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert!(f.is_empty());
    assert!(
        r.json()["warnings"].to_string().contains(&blob),
        "{}",
        r.stdout
    );
    let s = run(d, &["scan", "--history", ".", "-f", "sarif"]);
    assert_eq!(s.code, 3);
    let v: serde_json::Value = serde_json::from_str(&s.stdout).unwrap();
    let inv = &v["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert!(inv["toolExecutionNotifications"]
        .to_string()
        .contains(&blob));
}
