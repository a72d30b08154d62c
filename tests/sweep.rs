//! `keyguard sweep`, `merge` and `report` over real git repositories built in temp dirs:
//! local paths and file:// URLs, resume, failures, timeouts, shards, SARIF validated by the
//! Multitool, and the HTML report opened in headless Chromium.

mod common;

use common::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A repository at `dir` with one commit holding `files`.
fn repo_with(dir: &Path, files: &[(&str, String)]) {
    std::fs::create_dir_all(dir).unwrap();
    git_ok(dir, &["init", "-q"]);
    commit(dir, files, "initial");
}

fn commit(dir: &Path, files: &[(&str, String)], message: &str) {
    for (p, c) in files {
        write(dir, p, c.as_bytes());
    }
    git_ok(dir, &["add", "-A"]);
    git_ok(dir, &["commit", "-q", "--allow-empty", "-m", message]);
}

fn sweep(dir: &Path, args: &[&str]) -> Run {
    run(dir, &[&["sweep"][..], args].concat())
}

/// (scanned, unchanged, failed) from the summary line.
fn counts(r: &Run) -> (usize, usize, usize) {
    let line = r
        .stderr
        .lines()
        .find(|l| l.starts_with("keyguard sweep:"))
        .unwrap_or_else(|| panic!("no summary:\n{}", r.stderr));
    let n = |what: &str| -> usize {
        let at = line.find(&format!(" {what}")).unwrap();
        line[..at]
            .rsplit(' ')
            .next()
            .unwrap()
            .trim_start_matches(':')
            .parse()
            .unwrap()
    };
    (n("scanned,"), n("unchanged,"), n("failed;"))
}

fn results(out: &Path) -> Vec<Value> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(out.join("repos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|f| serde_json::from_str(&std::fs::read_to_string(f).unwrap()).unwrap())
        .collect()
}

fn result<'a>(all: &'a [Value], name: &str) -> &'a Value {
    all.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no result for {name}"))
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

#[test]
fn local_paths_and_file_urls_are_swept_and_bad_repositories_are_recorded() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    repo_with(&d.join("src/clean"), &[("README.md", "hello\n".into())]);
    let tok = github_token(11);
    repo_with(
        &d.join("src/leaky"),
        &[("config/app.env", format!("GH_TOKEN={tok}\n"))],
    );
    let tok2 = github_token(12);
    repo_with(
        &d.join("upstream/remote"),
        &[("deploy.sh", format!("export TOKEN={tok2}\n"))],
    );
    // Not a repository, and a repository whose configuration is corrupt.
    std::fs::create_dir_all(d.join("src/plain")).unwrap();
    repo_with(&d.join("src/corrupt"), &[("a.txt", "a\n".into())]);
    std::fs::write(
        d.join("src/corrupt/.git/config"),
        "[core\n\tbare = nonsense\n",
    )
    .unwrap();
    let list = format!(
        "# the organisation\nsrc/clean\nsrc/leaky/\n\n{}\nsrc/plain\nsrc/corrupt\nsrc/clean\n",
        file_url(&d.join("upstream/remote"))
    );
    write(d, "repos.txt", list.as_bytes());

    let r = sweep(d, &["--repos", "repos.txt", "-o", "out", "-j", "2"]);
    // Findings and failures are reflected separately: 4 = both.
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_eq!(counts(&r), (3, 0, 2), "{}", r.stderr);
    assert!(
        r.stderr.contains("`src/clean` is listed more than once"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("failed: src/plain"), "{}", r.stderr);
    assert!(r.stderr.contains("failed: src/corrupt"), "{}", r.stderr);
    assert!(!r.stderr.contains(&tok) && !r.stderr.contains(&tok2));

    let all = results(&d.join("out"));
    assert_eq!(all.len(), 5);
    let leaky = result(&all, "src/leaky");
    assert_eq!(leaky["status"], "ok");
    assert_eq!(leaky["findings"], 1);
    let f = &leaky["report"]["findings"][0];
    assert_eq!(f["rule_id"], "github-pat-classic");
    assert_eq!(f["path"], "config/app.env");
    assert_eq!(f["commit"]["summary"], "initial");
    assert!(leaky["refs"]["refs/heads/main"].is_string(), "{leaky:#}");
    assert_eq!(leaky["sarif_run"]["results"].as_array().unwrap().len(), 1);
    assert_eq!(result(&all, "src/clean")["findings"], 0);

    // The URL was cloned bare, without checkout, into the cache, and scanned there.
    let remote_name = file_url(&d.join("upstream/remote"))
        .trim_start_matches("file://")
        .trim_start_matches('/')
        .to_string();
    let remote = result(&all, &remote_name);
    assert_eq!(remote["status"], "ok", "{remote:#}");
    assert_eq!(remote["findings"], 1);
    let cached = PathBuf::from(remote["scanned"].as_str().unwrap());
    assert!(cached.starts_with("out/cache"), "{cached:?}");
    let cached = d.join(cached);
    assert_eq!(
        git_ok(&cached, &["rev-parse", "--is-bare-repository"]),
        "true"
    );
    assert!(!cached.join("deploy.sh").exists());
    assert_eq!(remote["refs"]["HEAD"], "ref: refs/heads/main");

    for bad in ["src/plain", "src/corrupt"] {
        let b = result(&all, bad);
        assert_eq!(b["status"], "failed");
        assert!(
            b["error"]
                .as_str()
                .unwrap()
                .contains("cannot open as a git repository"),
            "{b:#}"
        );
    }
    // Nothing secret in any result file.
    for e in std::fs::read_dir(d.join("out/repos")).unwrap() {
        let t = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(!t.contains(&tok) && !t.contains(&tok2));
    }
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("out/sweep.json")).unwrap()).unwrap();
    assert_eq!(state["repos"].as_object().unwrap().len(), 5);
    assert!(state["finished_at"].is_u64());
}

#[test]
fn a_resumed_sweep_skips_unchanged_repositories_and_rescans_changed_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for name in ["a", "b", "c"] {
        repo_with(
            &d.join("org").join(name),
            &[("README.md", format!("{name}\n"))],
        );
    }
    repo_with(&d.join("upstream"), &[("x.txt", "x\n".into())]);
    write(
        d,
        "repos.txt",
        format!("org/a\norg/b\norg/c\n{}\n", file_url(&d.join("upstream"))).as_bytes(),
    );
    let args = ["--repos", "repos.txt", "-o", "out"];
    let r = sweep(d, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(counts(&r), (4, 0, 0));

    // Nothing changed: nothing is scanned again.
    let r = sweep(d, &args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(counts(&r), (0, 4, 0), "{}", r.stderr);

    // A new commit with a secret in one local repository and one upstream.
    let tok = github_token(21);
    commit(
        &d.join("org/b"),
        &[("k.env", format!("T={tok}\n"))],
        "add key",
    );
    commit(&d.join("upstream"), &[("y.txt", "y\n".into())], "more");
    let r = sweep(d, &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(counts(&r), (2, 2, 0), "{}", r.stderr);
    assert!(r.stderr.contains("1 findings (1 blocking"), "{}", r.stderr);

    // Resumed again: the finding still counts (it is in b's result), nothing is scanned.
    let r = sweep(d, &args);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(counts(&r), (0, 4, 0), "{}", r.stderr);

    // --force scans everything; other settings (--head-only) redo the results too.
    let r = sweep(d, &[&args[..], &["--force"]].concat());
    assert_eq!(counts(&r), (4, 0, 0), "{}", r.stderr);
    let r = sweep(d, &[&args[..], &["--head-only"]].concat());
    assert_eq!(counts(&r), (4, 0, 0), "{}", r.stderr);
    assert_eq!(r.code, 1, "HEAD still holds the key: {}", r.stderr);

    // A failed repository is retried, not skipped, on resume.
    std::fs::rename(d.join("org/c"), d.join("org/c-moved")).unwrap();
    let r = sweep(d, &args);
    assert_eq!(r.code, 4, "{}", r.stderr);
    std::fs::rename(d.join("org/c-moved"), d.join("org/c")).unwrap();
    let r = sweep(d, &args);
    assert_eq!(counts(&r), (1, 3, 0), "{}", r.stderr);
}

#[test]
fn a_repository_that_hangs_is_stopped_at_the_timeout_and_the_sweep_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    repo_with(&d.join("ok"), &[("a.txt", "a\n".into())]);
    repo_with(&d.join("upstream"), &[("b.txt", "b\n".into())]);
    // A server that never answers: the git-upload-pack gix starts for file:// URLs sleeps.
    let fake = d.join("fake-bin");
    let pidfile = d.join("server.pid");
    write(
        &fake,
        "git-upload-pack",
        format!(
            "#!/bin/sh\necho $$ > '{}'\nexec sleep 60\n",
            pidfile.display()
        )
        .as_bytes(),
    );
    Command::new("chmod")
        .arg("+x")
        .arg(fake.join("git-upload-pack"))
        .status()
        .unwrap();
    write(
        d,
        "repos.txt",
        format!("ok\n{}\n", file_url(&d.join("upstream"))).as_bytes(),
    );
    let o = Command::new(bin())
        .args(["sweep", "--repos", "repos.txt", "-o", "out"])
        .args(["--repo-timeout", "2s"])
        .current_dir(d)
        .env(
            "PATH",
            format!("{}:{}", fake.display(), std::env::var("PATH").unwrap()),
        )
        .output()
        .unwrap();
    let r: Run = o.into();
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_eq!(counts(&r), (1, 0, 1), "{}", r.stderr);
    let all = results(&d.join("out"));
    let hung = all.iter().find(|x| x["status"] == "failed").unwrap();
    assert!(
        hung["error"]
            .as_str()
            .unwrap()
            .contains("timed out after 2s"),
        "{hung:#}"
    );
    assert!(r.stderr.contains("timed out after 2s"), "{}", r.stderr);
    // The hung child's own children were killed with it (its process group).
    let pid = std::fs::read_to_string(&pidfile).unwrap();
    let stat = format!("/proc/{}/stat", pid.trim());
    let alive = || {
        std::fs::read_to_string(&stat)
            .map(|s| !s.split(") ").nth(1).unwrap_or("").starts_with('Z'))
            .unwrap_or(false)
    };
    for _ in 0..50 {
        if !alive() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(!alive(), "the server the hung scan started still runs");
}

/// Eight repositories, most with secrets in their history.
fn organisation(d: &Path) -> String {
    let mut list = String::new();
    for i in 0..8u64 {
        let name = format!("team-{}/svc-{i}", i % 3);
        let dir = d.join("org").join(&name);
        repo_with(&dir, &[("README.md", format!("service {i}\n"))]);
        if i % 4 != 3 {
            commit(
                &dir,
                &[("conf/app.env", format!("GH={}\n", github_token(100 + i)))],
                "config",
            );
            commit(&dir, &[("conf/app.env", "GH=${GH}\n".into())], "use env");
        }
        list.push_str(&format!("org/{name}\n"));
    }
    write(d, "repos.txt", list.as_bytes());
    list
}

fn finding_set(merged: &Value) -> BTreeSet<String> {
    merged["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {} {}",
                f["repository"], f["rule_id"], f["path"], f["fingerprint"], f["commit"]["id"]
            )
        })
        .collect()
}

#[test]
fn four_shards_merged_equal_one_unsharded_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    organisation(d);
    let r = sweep(d, &["--repos", "repos.txt", "-o", "all", "-j", "2"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let mut shard_repos = Vec::new();
    for k in 0..4 {
        let out = format!("shard-{k}");
        let r = sweep(
            d,
            &[
                "--repos",
                "repos.txt",
                "-o",
                &out,
                "--shard",
                &format!("{k}/4"),
            ],
        );
        assert!(r.code == 0 || r.code == 1, "{}", r.stderr);
        let state: Value = serde_json::from_str(
            &std::fs::read_to_string(d.join(&out).join("sweep.json")).unwrap(),
        )
        .unwrap();
        shard_repos.extend(state["repos"].as_object().unwrap().keys().cloned());
    }
    // Every repository in exactly one shard.
    shard_repos.sort();
    let mut unique = shard_repos.clone();
    unique.dedup();
    assert_eq!(shard_repos, unique);
    assert_eq!(shard_repos.len(), 8);

    let r = run(
        d,
        &[
            "merge", "shard-0", "shard-1", "shard-2", "shard-3", "-o", "merged",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = run(d, &["merge", "all", "-o", "merged-all"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let read = |p: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(d.join(p)).unwrap()).unwrap()
    };
    let sharded = read("merged/merged.json");
    let whole = read("merged-all/merged.json");
    assert_eq!(sharded["summary"]["repositories"], 8);
    assert_eq!(sharded["summary"]["findings"], 6);
    assert_eq!(finding_set(&sharded), finding_set(&whole));
    assert_eq!(finding_set(&sharded).len(), 6);

    // One SARIF run per repository, valid for the Multitool and GitHub's ingestion rules.
    let sarif = read("merged/merged.sarif");
    let runs = sarif["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 8);
    let ids: BTreeSet<&str> = runs
        .iter()
        .map(|r| r["automationDetails"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 8, "each run has its own category: {ids:?}");
    let results: usize = runs
        .iter()
        .map(|r| r["results"].as_array().unwrap().len())
        .sum();
    assert_eq!(results, 6);
    let errors = validation_errors(&d.join("merged/merged.sarif"));
    assert!(errors.is_empty(), "{errors:#?}");

    // CSV: a header and one row per finding, the repository first.
    let csv = std::fs::read_to_string(d.join("merged/merged.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 7);
    assert!(lines[0].starts_with("repository,rule_id,"));
    assert!(lines[1].starts_with("org/team-"));
    assert!(!csv.contains(&github_token(100)));
}

#[test]
fn a_failed_repository_is_a_failed_run_in_valid_sarif() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    repo_with(
        &d.join("ok"),
        &[("a.env", format!("T={}\n", github_token(5)))],
    );
    std::fs::create_dir_all(d.join("gone")).unwrap();
    write(d, "repos.txt", b"ok\ngone\n");
    let r = sweep(d, &["--repos", "repos.txt", "-o", "out"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    let r = run(d, &["merge", "out", "-o", "m"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("m/merged.sarif")).unwrap()).unwrap();
    let failed = sarif["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"]["repository"] == "gone")
        .unwrap();
    assert_eq!(failed["invocations"][0]["executionSuccessful"], false);
    let errors = validation_errors(&d.join("m/merged.sarif"));
    assert!(errors.is_empty(), "{errors:#?}");
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("m/merged.json")).unwrap()).unwrap();
    assert_eq!(json["summary"]["failed"], 1);
}

#[test]
fn root_finds_every_repository_below_a_directory_and_policies_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    repo_with(
        &d.join("root/app"),
        &[(
            "deploy/dev/.env",
            "DB_PASSWORD=op://prod-vault/postgres/password\n".into(),
        )],
    );
    repo_with(&d.join("root/nested/lib"), &[("x.txt", "x\n".into())]);
    // A bare repository counts too.
    git_ok(
        d,
        &["clone", "-q", "--bare", "root/app", "root/mirrors/app.git"],
    );
    write(
        d,
        "policy.toml",
        include_str!("../policies/example.toml").as_bytes(),
    );
    let r = sweep(
        d,
        &["--root", "root", "-o", "out", "--policy", "policy.toml"],
    );
    assert_eq!(r.code, 1, "policy violations block: {}", r.stderr);
    assert_eq!(counts(&r), (3, 0, 0), "{}", r.stderr);
    let all = results(&d.join("out"));
    let names: Vec<&str> = all.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 3);
    for n in ["app", "nested/lib", "mirrors/app.git"] {
        assert!(names.contains(&n), "{names:?}");
    }
    let app = result(&all, "app");
    let v = app["policy"]["violations"].as_array().unwrap();
    assert!(
        v.iter().any(|x| x["rule_id"] == "policy/env-partition"),
        "{app:#}"
    );
    // A bare repository has no working tree: its policy is checked on HEAD's tree.
    let bare = result(&all, "mirrors/app.git");
    assert!(bare["policy"]["skipped"].is_null(), "{bare:#}");
    let v = bare["policy"]["violations"].as_array().unwrap();
    assert!(
        v.iter()
            .any(|x| x["rule_id"] == "policy/env-partition" && x["path"] == "deploy/dev/.env"),
        "{bare:#}"
    );
}

#[test]
fn bad_arguments_are_usage_errors_naming_the_problem() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let r = sweep(d, &["--repos", "missing.txt", "-o", "out"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("missing.txt"), "{}", r.stderr);
    write(d, "repos.txt", b"x\n");
    for shard in ["4/4", "1", "a/b", "0/0"] {
        let r = sweep(d, &["--repos", "repos.txt", "-o", "out", "--shard", shard]);
        assert_eq!(r.code, 2, "{shard}: {}", r.stderr);
        assert!(r.stderr.contains("is not a shard"), "{}", r.stderr);
    }
    let r = sweep(d, &["-o", "out"]);
    assert_eq!(r.code, 2);
    let r = sweep(
        d,
        &["--repos", "repos.txt", "-o", "out", "--repo-timeout", "0s"],
    );
    assert_eq!(r.code, 2);
    let r = run(d, &["merge", "nowhere", "-o", "m"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("nowhere"), "{}", r.stderr);
}

#[test]
fn the_html_report_renders_its_totals_in_chromium_without_console_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let list = organisation(d);
    // Markup in a path and a commit message from an untrusted repository stays text.
    let evil = d.join("org/evil");
    repo_with(&evil, &[("README.md", "x\n".into())]);
    commit(
        &evil,
        &[(
            "<img src=x onerror=console.error(1)>.env",
            format!("T={}\n", github_token(300)),
        )],
        "</script><script>console.error('xss')</script>",
    );
    std::fs::create_dir_all(d.join("org/not-a-repo")).unwrap();
    write(
        d,
        "repos.txt",
        format!("{list}org/evil\norg/not-a-repo\n").as_bytes(),
    );
    let r = sweep(d, &["--repos", "repos.txt", "-o", "out"]);
    assert_eq!(r.code, 4, "{}", r.stderr);
    // Dated by `--now`, so finding ages do not depend on the machine's clock: the commits
    // are from 2024-03-01, 15 months before.
    let r = run(
        d,
        &[
            "report",
            "out",
            "--html",
            "report.html",
            "--now",
            "2025-06-01",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    // Self-contained: nothing is loaded from anywhere.
    for needle in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(!html.contains(needle), "external asset: {needle}");
    }
    assert!(!html.contains(&github_token(300)));

    let o = Command::new(chromium())
        .args([
            "--headless",
            "--disable-gpu",
            "--no-sandbox",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("file://{}", d.join("report.html").display()))
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&o.stdout);
    let log = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "chromium failed: {log}");
    // The page logs nothing itself: any console message is an error or a blocked script.
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "console output: {console:#?}");
    assert!(
        dom.contains("data-rendered=\"yes\""),
        "script did not finish"
    );
    let total = |id: &str| -> String {
        let at = dom
            .find(&format!("id=\"{id}\">"))
            .unwrap_or_else(|| panic!("no #{id} in the DOM"));
        let rest = &dom[at + id.len() + 6..];
        rest[..rest.find('<').unwrap()].to_string()
    };
    assert_eq!(total("total-repos"), "10");
    assert_eq!(total("total-failed"), "1");
    assert_eq!(total("total-findings"), "7");
    assert_eq!(total("total-affected"), "7");
    // The markup from the repository is text in a table cell, not an element.
    assert!(dom.contains("&lt;img src=x onerror=console.error(1)&gt;.env:1"));
    assert!(!dom.contains("<img"));
    for section in [
        "Findings by family",
        "Findings by age",
        "Failed repositories",
    ] {
        assert!(dom.contains(section), "{section}");
    }
    assert!(dom.contains("not-a-repo"));
    assert!(dom.contains("generated 2025-06-01 00:00 UTC"), "{dom}");
    let ages = &dom[dom.find("id=\"by-age\"").unwrap()..];
    let ages = &ages[..ages.find("id=\"by-repo-chart\"").unwrap_or(ages.len())];
    assert!(ages.contains("1\u{2013}2 years"), "{ages}");
    assert!(!ages.contains("&lt; 30 days"), "{ages}");
}

/// Every `keyguard sweep|merge|report` command line in the strings of a YAML document, up
/// to a shell `||`.
fn keyguard_commands(v: &Value) -> Vec<String> {
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(m) => m.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }
    let mut all = Vec::new();
    strings(v, &mut all);
    all.iter()
        .flat_map(|s| s.lines())
        .filter_map(|l| {
            let at = ["keyguard sweep", "keyguard merge", "keyguard report"]
                .iter()
                .filter_map(|k| l.find(k))
                .min()?;
            let cmd = &l[at..];
            Some(
                cmd[..cmd.find(" ||").unwrap_or(cmd.len())]
                    .trim()
                    .to_string(),
            )
        })
        .collect()
}

fn run_line(dir: &Path, line: &str) -> Run {
    run_line_env(dir, line, &[])
}

/// A template's command line run here. `--github-org` lines are pointed at `forge` (a
/// local API answering GitHub's shape) with its CA.
fn run_line_env(dir: &Path, line: &str, env: &[(&str, &str)]) -> Run {
    assert!(!line.contains('$'), "unknown variable left in `{line}`");
    let mut c = Command::new(bin());
    c.args(line.split_whitespace().skip(1))
        .current_dir(dir)
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run keyguard").into()
}

/// A local HTTPS server answering `GET /orgs/acme/repos` in GitHub's shape (two pages) with
/// file:// clone URLs of the repositories in `list` (relative to `d`). Only `token` is let in.
fn github_api(d: &Path, list: &str, token: &'static str) -> common::https::Server {
    use common::https::{reply, serve, Reply, Req};
    use std::sync::{Arc, Mutex};
    let repos: Vec<Value> = list
        .lines()
        .map(|rel| {
            serde_json::json!({
                "full_name": format!("acme/{}", rel.replace('/', "-")),
                "clone_url": format!("file://{}", d.join(rel).display()),
                "archived": false, "fork": false, "pushed_at": "2026-11-01T00:00:00Z",
                "visibility": "private"
            })
        })
        .collect();
    let own = Arc::new(Mutex::new(String::new()));
    let me = own.clone();
    let api = serve(Arc::new(move |r: &Req| {
        if r.headers.get("authorization").map(String::as_str) != Some(&format!("Bearer {token}")) {
            return reply(401, "{}");
        }
        let (first, second) = repos.split_at(repos.len() / 2);
        match r.path.as_str() {
            "/orgs/acme/repos?per_page=100&type=all" => Reply {
                extra: vec![(
                    "Link",
                    format!(
                        "<{}/orgs/acme/repos?per_page=100&type=all&page=2>; rel=\"next\"",
                        me.lock().unwrap()
                    ),
                )],
                ..reply(200, &Value::from(first.to_vec()).to_string())
            },
            "/orgs/acme/repos?per_page=100&type=all&page=2" => {
                reply(200, &Value::from(second.to_vec()).to_string())
            }
            _ => reply(404, "{}"),
        }
    }));
    *own.lock().unwrap() = api.base.clone();
    api
}

#[test]
fn the_scale_templates_parse_and_their_commands_run_every_shard_and_merge() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scale");
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let list = organisation(d);
    let api = github_api(d, &list, "forge-token-7");
    let forge = |line: &str| {
        format!(
            "{} --api-url {} --ca-cert {}",
            line.replace("\"$ORG\"", "acme"),
            api.base,
            api.ca.display()
        )
    };
    let env = [
        ("GITHUB_TOKEN", "forge-token-7"),
        ("GIT_ALLOW_PROTOCOL", "file"),
    ];

    // Kubernetes: pod K of the Indexed Job lists the organisation and runs shard K into
    // /results/shard-K; the merge Job runs after the sweep is complete.
    let job = &yaml_to_json(&docs.join("kubernetes-indexed-job.yml"));
    assert_eq!(job["spec"]["completionMode"], "Indexed");
    let cmds = keyguard_commands(job);
    assert_eq!(cmds.len(), 1, "{cmds:?}");
    let local = |s: &str| s.replace("/results", "results").replace("/cache", "cache");
    let shards = job["spec"]["completions"].as_u64().unwrap();
    assert_eq!(shards, 4);
    for k in 0..shards {
        let line = local(&forge(
            &cmds[0]
                .replace("$JOB_COMPLETION_INDEX", &k.to_string())
                .replace("$SHARDS", &shards.to_string()),
        ));
        let r = run_line_env(d, &line, &env);
        assert!([0, 1, 3, 4].contains(&r.code), "`{line}`: {}", r.stderr);
        let listed =
            std::fs::read_to_string(d.join(format!("results/shard-{k}/repos.txt"))).unwrap();
        assert_eq!(
            listed.lines().filter(|l| l.starts_with("file://")).count(),
            8
        );
    }
    let merge = keyguard_commands(&yaml_to_json(&docs.join("kubernetes-merge-job.yml")));
    assert_eq!(merge.len(), 2, "{merge:?}");
    for line in &merge {
        let r = run_line(d, &local(line));
        assert_eq!(r.code, 0, "`{line}`: {}", r.stderr);
    }
    let merged: Value = serde_json::from_str(
        &std::fs::read_to_string(d.join("results/merged/merged.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(merged["summary"]["repositories"], 8);
    assert_eq!(merged["summary"]["findings"], 6);
    assert!(d.join("results/merged/report.html").is_file());

    // GitHub Actions: the list job saves the listing (an artifact the matrix jobs download
    // as repos.txt); each matrix job sweeps it into `out`, uploaded as keyguard-shard-K and
    // downloaded by the merge job into shards/.
    let gha = yaml_to_json(&docs.join("github-actions-sweep.yml"));
    let list_cmds = keyguard_commands(&gha["jobs"]["list"]);
    assert_eq!(list_cmds.len(), 1, "{list_cmds:?}");
    let r = run_line_env(d, &forge(&list_cmds[0]), &env);
    assert_eq!(r.code, 0, "`{}`: {}", list_cmds[0], r.stderr);
    assert!(!d.join("listing/repos").exists(), "--list-only swept");
    std::fs::copy(d.join("listing/repos.txt"), d.join("repos.txt")).unwrap();
    let matrix: Vec<u64> = gha["jobs"]["sweep"]["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect();
    let sweep_cmds = keyguard_commands(&gha["jobs"]["sweep"]);
    assert_eq!(sweep_cmds.len(), 1);
    for k in &matrix {
        let line = sweep_cmds[0].replace("${{ matrix.shard }}", &k.to_string());
        let r = run_line_env(d, &line, &env[1..]);
        assert!([0, 1, 3, 4].contains(&r.code), "`{line}`: {}", r.stderr);
        std::fs::create_dir_all(d.join("shards")).unwrap();
        std::fs::rename(d.join("out"), d.join(format!("shards/keyguard-shard-{k}"))).unwrap();
    }
    let merge = keyguard_commands(&gha["jobs"]["merge"]);
    assert_eq!(merge.len(), 2);
    for line in &merge {
        let r = run_line(d, line);
        assert_eq!(r.code, 0, "`{line}`: {}", r.stderr);
    }
    let merged: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("merged/merged.json")).unwrap())
            .unwrap();
    assert_eq!(merged["summary"]["repositories"], 8);
    assert_eq!(merged["summary"]["findings"], 6);
}

#[test]
fn merge_reads_the_repositories_of_the_last_sweep_only() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    for n in ["a", "b", "c"] {
        repo_with(
            &d.join(n),
            &[("k.env", format!("T={}\n", github_token(40)))],
        );
    }
    write(d, "repos.txt", b"a\nb\nc\n");
    assert_eq!(sweep(d, &["--repos", "repos.txt", "-o", "out"]).code, 1);
    // The organisation lost a repository: its old result stays on disk but is not merged.
    write(d, "repos.txt", b"a\nb\n");
    let r = sweep(d, &["--repos", "repos.txt", "-o", "out"]);
    assert_eq!(counts(&r), (0, 2, 0), "{}", r.stderr);
    let r = run(d, &["merge", "out", "-o", "m"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("m/merged.json")).unwrap()).unwrap();
    let names: Vec<&str> = m["repositories"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"]);
    assert_eq!(m["summary"]["findings"], 2);
}
