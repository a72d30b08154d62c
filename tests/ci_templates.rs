//! The CI templates in docs/ci, the GitHub Action (action.yml) and the release workflow
//! (.github/workflows/release.yml).
//!
//! - Each is valid YAML, and so is the job the GitHub template offers commented out.
//! - Every keyguard command line in a template is accepted by the CLI and runs (exit 0 on a
//!   clean repository) once the CI system's variables are filled in; a template that mentions
//!   a keyguard command anywhere but at the start of a command line fails the test, so none is
//!   left unrun.
//! - The release workflow's Package and SHA256SUMS steps, run here on a stand-in binary, make
//!   the release the action's and the templates' install scripts expect: those scripts, run
//!   here against it over file:// URLs, check the archive against SHA256SUMS, put a keyguard
//!   that runs on PATH, and refuse an archive whose checksum does not match.
//! - The action's scan step, run here, scans a pull request's range (or the whole checkout on
//!   other events) with its inputs, writes SARIF and hands keyguard's exit code to its last
//!   step, which exits with it.

mod common;

use common::*;
use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}

/// Every `uses:` value in `v`.
fn uses(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| uses(x, out)),
        Value::Object(m) => {
            for (k, x) in m {
                match x {
                    Value::String(s) if k == "uses" => out.push(s.clone()),
                    x => uses(x, out),
                }
            }
        }
        _ => {}
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or_default()
}

/// Fill in the CI systems' variables the templates use.
fn substitute(cmd: &str) -> String {
    let mut s = cmd
        .replace("$(System.PullRequest.TargetBranch)", "main")
        .replace("$(Build.ArtifactStagingDirectory)", "out");
    while let Some(a) = s.find("${{") {
        let b = s[a..].find("}}").expect("closed expression") + a + 2;
        s.replace_range(a..b, "HEAD");
    }
    for var in ["$CI_MERGE_REQUEST_DIFF_BASE_SHA", "$CI_COMMIT_SHA"] {
        s = s.replace(var, "HEAD");
    }
    assert!(!s.contains('$'), "unknown variable left in `{s}`");
    s
}

/// Split a command line on spaces, honouring double quotes.
fn split(cmd: &str) -> Vec<String> {
    let (mut args, mut cur, mut quoted) = (Vec::new(), String::new(), false);
    for c in cmd.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' | '\n' if !quoted => {
                if !cur.is_empty() {
                    args.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        args.push(cur);
    }
    args
}

/// keyguard's subcommands, from its own `--help`.
fn subcommands() -> Vec<String> {
    let help = run(root(), &["--help"]).stdout;
    let names: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect();
    assert!(names.iter().any(|n| n == "scan"), "{help}");
    names
}

/// The keyguard invocations (`keyguard <subcommand> …`) in a YAML string: one per command line
/// (lines continued with `\` joined). A mention of a keyguard command that does not start its
/// line fails the test: it would be a command the test does not run.
fn invocations(s: &str, subcommands: &[String], name: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut continued = false;
    for l in s.lines() {
        let (l, cont) = match l.trim_end().strip_suffix('\\') {
            Some(head) => (head, true),
            None => (l, false),
        };
        if continued {
            let last = lines.last_mut().unwrap();
            last.push(' ');
            last.push_str(l.trim());
        } else {
            lines.push(l.trim().to_string());
        }
        continued = cont;
    }
    let mut out = Vec::new();
    for line in lines {
        let mut at = 0;
        while let Some(i) = line[at..].find("keyguard ").map(|i| i + at) {
            at = i + "keyguard ".len();
            let boundary = line[..i]
                .chars()
                .next_back()
                .is_none_or(|c| c.is_whitespace() || "\"'`(/;&|".contains(c));
            let word = line[at..].split([' ', '"', '`', ';']).next().unwrap_or("");
            if !boundary || !subcommands.iter().any(|c| c == word) {
                continue;
            }
            assert_eq!(
                i, 0,
                "{name}: `{line}` runs or mentions a keyguard command other than at the start of a command line"
            );
            out.push(line.clone());
        }
    }
    out
}

/// The job a template offers commented out: the `# jobs:` line and the `#` lines after it,
/// less their first `# `.
fn commented_jobs(text: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| *l != "# jobs:");
    let first = lines.next()?;
    let block: Vec<&str> = std::iter::once(first)
        .chain(lines.take_while(|l| l.starts_with('#')))
        .map(|l| l.strip_prefix("# ").unwrap_or(&l[1..]))
        .collect();
    Some(block.join("\n") + "\n")
}

/// A template as CI reads it, and (for the GitHub template) its commented-out job as a user
/// who uncomments it gets it; both must be valid YAML.
fn template(name: &str, scratch: &Path) -> (Value, Option<Value>) {
    let path = root().join("docs/ci").join(name);
    let v = yaml_to_json(&path);
    let alt = commented_jobs(&std::fs::read_to_string(&path).unwrap()).map(|yaml| {
        let p = scratch.join(format!("{name}.uncommented.yml"));
        std::fs::write(&p, yaml).unwrap();
        yaml_to_json(&p)
    });
    (v, alt)
}

#[test]
fn every_template_parses_and_its_keyguard_commands_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let git = |args: &[&str]| git_ok(d, args);
    git(&["init", "-q"]);
    write(d, "README.md", b"clean\n");
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "one"]);
    git(&["branch", "origin/main"]);
    std::fs::create_dir_all(d.join("out")).unwrap();
    let scratch = tempfile::tempdir().unwrap();

    let subcommands = subcommands();
    let mut seen = 0;
    for name in ["github-actions.yml", "gitlab-ci.yml", "azure-pipelines.yml"] {
        let (v, alt) = template(name, scratch.path());
        if name == "github-actions.yml" {
            assert!(alt.is_some(), "{name} offers the job without the action");
        }
        let mut all = Vec::new();
        strings(&v, &mut all);
        if let Some(alt) = &alt {
            strings(alt, &mut all);
        }
        let cmds: Vec<String> = all
            .iter()
            .flat_map(|s| invocations(s, &subcommands, name))
            .collect();
        assert!(!cmds.is_empty(), "{name} runs keyguard");
        for cmd in cmds {
            let line = substitute(&cmd);
            let args = split(&line);
            assert_eq!(args[0], "keyguard", "{line}");
            let r = run(d, &args[1..].iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(r.code, 0, "{name}: `{line}` failed:\n{}", r.stderr);
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
}

/// Run `script` with bash (`flags` as the CI system passes them) in `dir`, with only `env`, HOME
/// and PATH (`path` first) in its environment.
fn bash(
    dir: &Path,
    flags: &[&str],
    script: &str,
    env: &[(String, String)],
    path: &[PathBuf],
) -> Output {
    assert!(
        Command::new("curl").arg("--version").output().is_ok(),
        "curl is needed to run the install scripts"
    );
    let mut dirs: Vec<PathBuf> = path.to_vec();
    dirs.extend(std::env::split_paths(
        &std::env::var_os("PATH").unwrap_or_default(),
    ));
    Command::new("bash")
        .args(["--noprofile", "--norc"])
        .args(flags)
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::join_paths(dirs).unwrap())
        .env(
            "HOME",
            std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into()),
        )
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .expect("bash runs")
}

fn both(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

/// `s` with each `${{ expression }}` replaced from `vars`; an unknown expression fails the test.
fn expand(s: &str, vars: &HashMap<&str, String>) -> String {
    let mut s = s.to_string();
    while let Some(a) = s.find("${{") {
        let b = s[a..].find("}}").expect("closed expression") + a;
        let expr = s[a + 3..b].trim().to_string();
        let value = vars
            .get(expr.as_str())
            .unwrap_or_else(|| panic!("the test does not know `{expr}`"));
        s.replace_range(a..b + 2, value);
    }
    s
}

/// A step's `env`, expressions expanded.
fn step_env(step: &Value, vars: &HashMap<&str, String>) -> Vec<(String, String)> {
    step["env"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), expand(&yaml_scalar(v), vars)))
                .collect()
        })
        .unwrap_or_default()
}

fn yaml_scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        v => v.to_string(),
    }
}

fn steps(v: &Value) -> &Vec<Value> {
    v["steps"].as_array().expect("steps")
}

fn step_with_id<'a>(steps: &'a [Value], id: &str) -> &'a Value {
    steps
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step with id {id}"))
}

/// The release workflow's Package step (each Unix target) and SHA256SUMS step, run on a
/// stand-in binary (a script that runs the keyguard under test), laid out as GitHub serves a
/// release: `<server>/OWNER/keyguard/releases/download/<tag>/…`, and the API's latest
/// release at `<server>/api/repos/OWNER/keyguard/releases/latest`. Returns `<server>`.
fn release(tmp: &Path, tag: &str) -> PathBuf {
    let wf = yaml_to_json(&root().join(".github/workflows/release.yml"));
    let build = steps(&wf["jobs"]["build"]);
    let package = step_with_id(build, "package");
    let checksums = step_with_id(steps(&wf["jobs"]["release"]), "checksums");
    assert_eq!(text(&checksums["working-directory"]), "dist");
    let shell = ["-eo", "pipefail"]; // `defaults: run: shell: bash`
    assert_eq!(wf["defaults"]["run"]["shell"], "bash");

    let ws = tmp.join("workspace");
    let dist = tmp.join("artifacts/dist");
    std::fs::create_dir_all(&dist).unwrap();
    write(&ws, "README.md", b"keyguard\n");
    let stand_in = format!("#!/bin/sh\nexec '{}' \"$@\"\n", bin().display());
    for target in &TARGETS[..4] {
        let exe = ws.join(format!("target/{target}/release/keyguard"));
        write(
            &ws,
            &format!("target/{target}/release/keyguard"),
            stand_in.as_bytes(),
        );
        std::fs::set_permissions(&exe, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
        let os = if target.contains("apple") {
            "macOS"
        } else {
            "Linux"
        };
        let mut env = step_env(package, &HashMap::new());
        env.extend([
            ("TAG".to_string(), tag.to_string()),
            ("TARGET".to_string(), target.to_string()),
            ("RUNNER_OS".to_string(), os.to_string()),
        ]);
        let o = bash(&ws, &shell, text(&package["run"]), &env, &[]);
        assert!(o.status.success(), "Package {target}: {}", both(&o));
        // upload-artifact, then download-artifact with merge-multiple
        for e in std::fs::read_dir(ws.join("dist")).unwrap() {
            let e = e.unwrap();
            std::fs::rename(e.path(), dist.join(e.file_name())).unwrap();
        }
        let name = format!("keyguard-{tag}-{target}");
        let o = Command::new("tar")
            .arg("-tzf")
            .arg(dist.join(format!("{name}.tar.gz")))
            .output()
            .unwrap();
        let mut listed: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .map(|l| l.trim_end_matches('/').to_string())
            .collect();
        listed.sort();
        assert_eq!(
            listed,
            [
                name.clone(),
                format!("{name}/README.md"),
                format!("{name}/keyguard")
            ],
            "the archive holds a directory with the binary and README.md"
        );
    }
    let o = bash(&dist, &shell, text(&checksums["run"]), &[], &[]);
    assert!(o.status.success(), "SHA256SUMS: {}", both(&o));
    let sums = std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 4, "one line per archive:\n{sums}");
    for target in &TARGETS[..4] {
        assert!(
            sums.contains(&format!("  keyguard-{tag}-{target}.tar.gz\n")),
            "{sums}"
        );
    }

    let server = tmp.join("server");
    let download = server.join("OWNER/keyguard/releases/download").join(tag);
    std::fs::create_dir_all(download.parent().unwrap()).unwrap();
    std::fs::rename(&dist, &download).unwrap();
    write(
        &server,
        "api/repos/OWNER/keyguard/releases/latest",
        format!("{{\n  \"id\": 1,\n  \"tag_name\": \"{tag}\",\n  \"name\": \"{tag}\"\n}}\n")
            .as_bytes(),
    );
    server
}

/// Make the checksum of `archive` in the release's SHA256SUMS wrong; returns what restores it.
fn tamper(server: &Path, tag: &str, archive: &str) -> impl Fn() {
    let path = server
        .join("OWNER/keyguard/releases/download")
        .join(tag)
        .join("SHA256SUMS");
    let sums = std::fs::read_to_string(&path).unwrap();
    let out: String = sums
        .lines()
        .map(|l| match l.strip_suffix(&format!("  {archive}")) {
            Some(hash) => {
                let other: String = hash
                    .chars()
                    .map(|c| if c == '0' { '1' } else { '0' })
                    .collect();
                format!("{other}  {archive}\n")
            }
            None => format!("{l}\n"),
        })
        .collect();
    assert_ne!(out, sums, "{archive} is in SHA256SUMS");
    std::fs::write(&path, out).unwrap();
    move || std::fs::write(&path, &sums).unwrap()
}

/// This machine as a GitHub runner (`RUNNER_ARCH`) and its release target.
fn host() -> (&'static str, &'static str) {
    match std::env::consts::ARCH {
        "x86_64" => ("X64", "x86_64-unknown-linux-gnu"),
        "aarch64" => ("ARM64", "aarch64-unknown-linux-gnu"),
        a => panic!("no release target for {a}"),
    }
}

#[test]
fn the_release_workflow_builds_five_targets_and_writes_sha256sums() {
    let path = root().join(".github/workflows/release.yml");
    let wf = yaml_to_json(&path);
    // PyYAML reads the key `on` as the boolean true.
    let on = if wf["on"].is_null() {
        &wf["true"]
    } else {
        &wf["on"]
    };
    assert_eq!(on["push"]["tags"][0], "v*", "{on}");
    assert!(on.get("workflow_dispatch").is_some(), "{on}");
    assert!(
        text(&wf["env"]["TAG"]).contains("github.ref_name"),
        "the tag comes from the pushed ref"
    );

    let build = &wf["jobs"]["build"];
    let include = build["strategy"]["matrix"]["include"].as_array().unwrap();
    let mut targets: Vec<&str> = include.iter().map(|m| text(&m["target"])).collect();
    targets.sort();
    let mut want = TARGETS.to_vec();
    want.sort();
    assert_eq!(targets, want);
    let arm = include
        .iter()
        .find(|m| m["target"] == "aarch64-unknown-linux-gnu")
        .unwrap();
    assert!(
        text(&arm["os"]).ends_with("-arm"),
        "built natively on an arm runner: {arm}"
    );
    assert_eq!(build["env"]["TARGET"], "${{ matrix.target }}");
    let runs: Vec<&str> = steps(build).iter().map(|s| text(&s["run"])).collect();
    assert!(
        runs.iter()
            .any(|r| r.contains("cargo build --release --locked --target \"$TARGET\"")),
        "{runs:?}"
    );
    let package = text(&step_with_id(steps(build), "package")["run"]);
    assert!(
        package.contains("7z a -tzip \"$name.zip\""),
        "Windows gets a zip: {package}"
    );

    let publish = &wf["jobs"]["release"];
    assert_eq!(publish["needs"], "build");
    assert_eq!(publish["permissions"]["contents"], "write");
    let gh_release = steps(publish)
        .iter()
        .find(|s| text(&s["uses"]).starts_with("softprops/action-gh-release@"))
        .expect("the release step");
    let files = text(&gh_release["with"]["files"]);
    assert!(
        files.contains("dist/SHA256SUMS") && files.contains("dist/keyguard-*"),
        "{files}"
    );

    // Every action is pinned to a major version, here and in the action.
    let mut all = Vec::new();
    uses(&wf, &mut all);
    uses(&yaml_to_json(&root().join("action.yml")), &mut all);
    assert!(all.len() >= 5, "{all:?}");
    for u in &all {
        let major = u.rsplit_once('@').map(|(_, m)| m).unwrap_or("");
        assert!(
            major
                .strip_prefix('v')
                .is_some_and(|n| n.parse::<u32>().is_ok()),
            "`{u}` is pinned by major version"
        );
    }

    // Packaging and checksums, run: the archives check out against SHA256SUMS.
    let tmp = tempfile::tempdir().unwrap();
    let server = release(tmp.path(), "v9.8.7");
    let dir = server.join("OWNER/keyguard/releases/download/v9.8.7");
    let o = Command::new("sha256sum")
        .args(["-c", "SHA256SUMS"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", both(&o));
}

/// Runs the action's steps the way the runner does, in the repository `repo`.
struct Runner<'a> {
    steps: &'a [Value],
    tmp: &'a Path,
    repo: &'a Path,
    server: &'a Path,
}

impl Runner<'_> {
    fn env(&self, extra: &[(&str, &str)]) -> Vec<(String, String)> {
        let (arch, _) = host();
        let mut env: Vec<(String, String)> = [
            ("RUNNER_OS", "Linux"),
            ("RUNNER_ARCH", arch),
            ("GITHUB_REPOSITORY", "someone/project"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let server = format!("file://{}", self.server.display());
        env.push(("GITHUB_SERVER_URL".into(), server.clone()));
        env.push(("GITHUB_API_URL".into(), format!("{server}/api")));
        env.push((
            "RUNNER_TEMP".into(),
            self.tmp.join("runner-temp").display().to_string(),
        ));
        env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        env
    }

    /// Run the step `id` (`shell: bash`) with these expression values and extra environment.
    fn step(
        &self,
        id: &str,
        vars: &HashMap<&str, String>,
        extra: &[(&str, &str)],
        path: &[PathBuf],
    ) -> Output {
        let step = step_with_id(self.steps, id);
        assert_eq!(step["shell"], "bash", "step {id}");
        let mut env = self.env(extra);
        env.extend(step_env(step, vars));
        bash(
            self.repo,
            &["-eo", "pipefail"],
            &expand(text(&step["run"]), vars),
            &env,
            path,
        )
    }

    /// Run the install step; on success return the directory it added to GITHUB_PATH.
    fn install(
        &self,
        vars: &HashMap<&str, String>,
        extra: &[(&str, &str)],
    ) -> Result<PathBuf, String> {
        let github_path = self.tmp.join("github-path");
        let _ = std::fs::remove_file(&github_path);
        std::fs::create_dir_all(self.tmp.join("runner-temp")).unwrap();
        let gp = github_path.display().to_string();
        let mut extra = extra.to_vec();
        extra.push(("GITHUB_PATH", &gp));
        let o = self.step("install", vars, &extra, &[]);
        let added = std::fs::read_to_string(&github_path).unwrap_or_default();
        if !o.status.success() {
            assert!(added.is_empty(), "nothing is put on PATH after a failure");
            return Err(both(&o));
        }
        let lines: Vec<&str> = added.lines().collect();
        assert_eq!(lines.len(), 1, "{added}");
        Ok(PathBuf::from(lines[0]))
    }

    /// Run the scan step for `event`; return its outputs.
    fn scan(
        &self,
        event: &str,
        vars: &HashMap<&str, String>,
        path: &Path,
    ) -> HashMap<String, String> {
        let output = self.tmp.join("github-output");
        std::fs::write(&output, "").unwrap();
        let out = output.display().to_string();
        let o = self.step(
            "scan",
            vars,
            &[("GITHUB_EVENT_NAME", event), ("GITHUB_OUTPUT", &out)],
            &[path.to_path_buf()],
        );
        assert!(
            o.status.success(),
            "the scan step itself succeeds: {}",
            both(&o)
        );
        let mut outputs: HashMap<String, String> = std::fs::read_to_string(&output)
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        outputs.insert("log".into(), both(&o));
        outputs
    }
}

#[test]
fn the_action_installs_a_verified_release_and_gates_a_pull_request() {
    let action = yaml_to_json(&root().join("action.yml"));
    assert_eq!(action["runs"]["using"], "composite");
    for (input, default) in [
        ("version", "latest"),
        ("args", ""),
        ("sarif", "keyguard.sarif"),
        ("upload-sarif", "true"),
        ("fail-on", "low"),
    ] {
        assert_eq!(action["inputs"][input]["default"], default, "input {input}");
    }
    let all = steps(&action["runs"]);
    let install = text(&step_with_id(all, "install")["run"]);
    assert!(
        install.contains("/releases/latest"),
        "`latest` asks the API"
    );
    assert!(
        text(&step_with_id(all, "install")["env"]["KEYGUARD_ACTION_REPOSITORY"])
            .contains("github.action_repository")
    );
    assert!(install.contains("sha256sum -c") && install.contains("shasum -a 256 -c"));
    let windows = all
        .iter()
        .find(|s| text(&s["if"]).contains("runner.os == 'Windows'"))
        .expect("a Windows install step");
    assert!(text(&windows["run"]).contains("Get-FileHash -Algorithm SHA256"));
    let scan = text(&step_with_id(all, "scan")["run"]);
    assert!(
        scan.contains(r#"keyguard scan --range "${{ github.event.pull_request.base.sha }}..${{ github.event.pull_request.head.sha }}" . -f sarif -o "$SARIF" --fail-on "$FAIL_ON" "${extra[@]}""#),
        "{scan}"
    );
    assert!(
        scan.contains(r#"keyguard scan . -f sarif -o "$SARIF" --fail-on "$FAIL_ON" "${extra[@]}""#),
        "{scan}"
    );
    let position = |p: &dyn Fn(&Value) -> bool| all.iter().position(p).unwrap();
    let upload = position(&|s| text(&s["uses"]) == "github/codeql-action/upload-sarif@v3");
    assert!(
        text(&all[upload]["if"]).contains("always()")
            && text(&all[upload]["if"]).contains("inputs.upload-sarif == 'true'")
    );
    assert_eq!(all[upload]["with"]["sarif_file"], "${{ inputs.sarif }}");
    let exit = position(&|s| s["id"] == "exit");
    assert!(
        upload < exit && exit == all.len() - 1,
        "the last step exits with keyguard's code"
    );
    assert!(text(&all[exit]["if"]).contains("always()"));

    // A repository with a pull request (base..head) that adds a secret.
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git_ok(&repo, &["init", "-q"]);
    write(&repo, "README.md", b"clean\n");
    git_ok(&repo, &["add", "."]);
    git_ok(&repo, &["commit", "-q", "-m", "base"]);
    let base = git_ok(&repo, &["rev-parse", "HEAD"]);
    write(
        &repo,
        "app.py",
        format!("TOKEN = '{}'\n", github_token(1)).as_bytes(),
    );
    git_ok(&repo, &["add", "."]);
    git_ok(&repo, &["commit", "-q", "-m", "head"]);
    let head = git_ok(&repo, &["rev-parse", "HEAD"]);

    let tag = format!("v{}", env!("CARGO_PKG_VERSION"));
    let server = release(tmp.path(), &tag);
    let runner = Runner {
        steps: all,
        tmp: tmp.path(),
        repo: &repo,
        server: &server,
    };
    let vars = |pairs: &[(&'static str, &str)]| -> HashMap<&'static str, String> {
        let mut m: HashMap<&str, String> = [
            ("inputs.version", "latest"),
            ("inputs.token", "a-token"),
            ("inputs.args", ""),
            ("inputs.sarif", "keyguard.sarif"),
            ("inputs.fail-on", "low"),
            ("github.action_repository", "OWNER/keyguard"),
            ("github.event.pull_request.base.sha", base.as_str()),
            ("github.event.pull_request.head.sha", head.as_str()),
        ]
        .iter()
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
        for (k, v) in pairs {
            m.insert(*k, v.to_string());
        }
        m
    };

    // Install: `latest` resolved through the API, the archive checked, its directory on PATH.
    let (_, target) = host();
    let installed = runner.install(&vars(&[]), &[]).unwrap();
    assert_eq!(
        installed,
        tmp.path().join(format!(
            "runner-temp/keyguard-{tag}/keyguard-{tag}-{target}"
        ))
    );
    let o = Command::new(installed.join("keyguard"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", both(&o));
    // github.action_repository empty (as in some composite runs): taken from the action's path.
    let action_path = "/home/runner/work/_actions/OWNER/keyguard/v1";
    let again = runner
        .install(
            &vars(&[("github.action_repository", "")]),
            &[("GITHUB_ACTION_PATH", action_path)],
        )
        .unwrap();
    assert_eq!(again, installed);
    // A version without its `v`.
    let v = env!("CARGO_PKG_VERSION");
    assert_eq!(
        runner
            .install(&vars(&[("inputs.version", v)]), &[])
            .unwrap(),
        installed
    );
    // A release that does not exist, and an archive that does not match SHA256SUMS.
    let err = runner
        .install(&vars(&[("inputs.version", "v0.0.0-none")]), &[])
        .unwrap_err();
    assert!(err.contains("v0.0.0-none"), "{err}");
    let archive = format!("keyguard-{tag}-{target}.tar.gz");
    let restore = tamper(&server, &tag, &archive);
    let err = runner.install(&vars(&[]), &[]).unwrap_err();
    assert!(
        err.contains(&format!("{archive} does not match SHA256SUMS")),
        "{err}"
    );
    restore();
    runner.install(&vars(&[]), &[]).unwrap();

    // Scan a pull request: the secret its head commit adds fails it; SARIF is written.
    let out = runner.scan("pull_request", &vars(&[]), &installed);
    assert_eq!(out["exit-code"], "1", "{}", out["log"]);
    assert_eq!(out.get("sarif-written").map(String::as_str), Some("true"));
    let sarif: Value =
        serde_json::from_str(&std::fs::read_to_string(repo.join("keyguard.sarif")).unwrap())
            .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(
        results.iter().any(|r| r["ruleId"] == "github-pat-classic"),
        "{sarif}"
    );
    std::fs::remove_file(repo.join("keyguard.sarif")).unwrap();
    // fail-on: the token is `high`, below `critical`.
    let out = runner.scan(
        "pull_request",
        &vars(&[("inputs.fail-on", "critical")]),
        &installed,
    );
    assert_eq!(out["exit-code"], "0", "{}", out["log"]);
    // A shallow checkout without the base commit: exit code 2 and what to do.
    let missing = "0123456789abcdef0123456789abcdef01234567";
    let out = runner.scan(
        "pull_request",
        &vars(&[
            ("github.event.pull_request.base.sha", missing),
            ("inputs.sarif", "out/k.sarif"),
        ]),
        &installed,
    );
    assert_eq!(out["exit-code"], "2", "{}", out["log"]);
    assert!(out["log"].contains("fetch-depth: 0"), "{}", out["log"]);
    assert!(!out.contains_key("sarif-written"), "no SARIF to upload");
    // Other events scan the whole checkout; `args` reach keyguard, split on whitespace.
    let out = runner.scan(
        "push",
        &vars(&[("inputs.sarif", "out/k.sarif")]),
        &installed,
    );
    assert_eq!(out["exit-code"], "1", "{}", out["log"]);
    assert!(repo.join("out/k.sarif").is_file());
    let out = runner.scan(
        "push",
        &vars(&[
            ("inputs.args", "--exclude app.py  --exclude out"),
            ("inputs.sarif", "out/k.sarif"),
        ]),
        &installed,
    );
    assert_eq!(out["exit-code"], "0", "{}", out["log"]);

    // The last step exits with keyguard's code.
    for code in ["0", "1", "2"] {
        let o = runner.step(
            "exit",
            &vars(&[("steps.scan.outputs.exit-code", code)]),
            &[],
            &[],
        );
        assert_eq!(o.status.code(), Some(code.parse().unwrap()));
    }
}

#[test]
fn the_templates_install_a_verified_release_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, target) = host();

    // The GitHub Actions template: the action with full history; without the action, the
    // commented-out job's install step.
    let (gh, alt) = template("github-actions.yml", tmp.path());
    let job_steps = steps(&gh["jobs"]["secrets"]);
    assert_eq!(job_steps[0]["uses"], "actions/checkout@v4");
    assert_eq!(job_steps[0]["with"]["fetch-depth"], 0);
    assert!(
        job_steps
            .iter()
            .any(|s| text(&s["uses"]) == "OWNER/keyguard@v1"),
        "the template uses the action"
    );
    let alt = alt.expect("the job without the action");

    let gitlab = yaml_to_json(&root().join("docs/ci/gitlab-ci.yml"));
    let azure = yaml_to_json(&root().join("docs/ci/azure-pipelines.yml"));

    struct Case<'a> {
        name: &'a str,
        vars: &'a Value,
        script: String,
        flags: &'a [&'a str],
    }
    let one = |scripts: Vec<String>, name: &str| -> String {
        let s: Vec<String> = scripts
            .into_iter()
            .filter(|s| s.contains("SHA256SUMS"))
            .collect();
        assert_eq!(s.len(), 1, "{name} has one install script");
        s[0].clone()
    };
    let cases = [
        Case {
            name: "github-actions.yml",
            vars: &alt["jobs"]["secrets"]["env"],
            script: one(
                steps(&alt["jobs"]["secrets"])
                    .iter()
                    .map(|s| text(&s["run"]).to_string())
                    .collect(),
                "github",
            ),
            flags: &["-e"], // `run` without `shell`: bash -e {0}
        },
        Case {
            name: "gitlab-ci.yml",
            vars: &gitlab["keyguard"]["variables"],
            // GitLab runs a job's script lines in one shell, so the PATH it exports stays.
            script: one(
                gitlab["keyguard"]["script"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|s| text(s).to_string())
                    .collect(),
                "gitlab",
            ) + "\necho \"keyguard at $(command -v keyguard)\"\nkeyguard --version\n",
            flags: &["-eo", "pipefail"],
        },
        Case {
            name: "azure-pipelines.yml",
            vars: &azure["variables"],
            script: one(
                steps(&azure)
                    .iter()
                    .map(|s| text(&s["script"]).to_string())
                    .collect(),
                "azure",
            ),
            flags: &[], // Azure's bash runs the script without -e; the script sets it
        },
    ];
    for case in &cases {
        let name = case.name;
        let repo = text(&case.vars["KEYGUARD_REPO"]);
        assert!(repo.ends_with("/OWNER/keyguard"), "{name}: {repo}");
        let tag = text(&case.vars["KEYGUARD_VERSION"]).to_string();
        assert!(tag.starts_with('v'), "{name} pins a release: {tag}");
        let scratch = tmp.path().join(name);
        let server = release(&scratch, &tag);
        let work = scratch.join("work");
        std::fs::create_dir_all(&work).unwrap();
        std::fs::create_dir_all(scratch.join("runner-temp")).unwrap();
        std::fs::create_dir_all(scratch.join("agent-temp")).unwrap();
        let github_path = scratch.join("github-path");
        let env: Vec<(String, String)> = [
            (
                "KEYGUARD_REPO",
                format!("file://{}/OWNER/keyguard", server.display()),
            ),
            ("KEYGUARD_VERSION", tag.clone()),
            (
                "RUNNER_TEMP",
                scratch.join("runner-temp").display().to_string(),
            ),
            ("GITHUB_PATH", github_path.display().to_string()),
            (
                "AGENT_TEMPDIRECTORY",
                scratch.join("agent-temp").display().to_string(),
            ),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();

        let install = |work: &Path| -> Output {
            let _ = std::fs::remove_file(&github_path);
            bash(work, case.flags, &case.script, &env, &[])
        };
        let o = install(&work);
        assert!(o.status.success(), "{name}: {}", both(&o));
        // Where the CI system would look for keyguard next.
        let added: Vec<PathBuf> = match name {
            "github-actions.yml" => std::fs::read_to_string(&github_path)
                .unwrap()
                .lines()
                .map(PathBuf::from)
                .collect(),
            "azure-pipelines.yml" => String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.strip_prefix("##vso[task.prependpath]"))
                .map(PathBuf::from)
                .collect(),
            _ => String::from_utf8_lossy(&o.stdout)
                .lines()
                .filter_map(|l| l.strip_prefix("keyguard at "))
                .map(|p| Path::new(p).parent().unwrap().to_path_buf())
                .collect(),
        };
        assert_eq!(added.len(), 1, "{name}: {added:?}");
        let exe = added[0].join("keyguard");
        assert!(
            !exe.starts_with(&work) && exe.is_file(),
            "{name}: keyguard installed outside the checkout: {}",
            exe.display()
        );
        let o = Command::new(&exe).arg("--version").output().unwrap();
        assert!(o.status.success(), "{name}: {}", both(&o));

        // An archive that does not match SHA256SUMS is refused.
        let archive = format!("keyguard-{tag}-{target}.tar.gz");
        let _restore = tamper(&server, &tag, &archive);
        let o = install(&work);
        assert!(
            !o.status.success(),
            "{name} installs an archive whose checksum does not match"
        );
        assert!(both(&o).contains("FAILED"), "{name}: {}", both(&o));
    }
}
