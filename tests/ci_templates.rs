//! The CI templates in docs/ci: each is valid YAML, and every keyguard command line in it
//! is accepted by the CLI and runs (exit 0 on a clean repository) once the CI system's
//! variables are filled in.

mod common;

use common::*;
use std::path::Path;

fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(m) => m.values().for_each(|x| strings(x, out)),
        _ => {}
    }
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

    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ci");
    let mut seen = 0;
    for name in ["github-actions.yml", "gitlab-ci.yml", "azure-pipelines.yml"] {
        let v = yaml_to_json(&templates.join(name));
        let mut all = Vec::new();
        strings(&v, &mut all);
        let cmds: Vec<&String> = all.iter().filter(|s| s.contains("keyguard scan")).collect();
        assert!(!cmds.is_empty(), "{name} runs keyguard");
        for cmd in cmds {
            let line = substitute(&cmd[cmd.find("keyguard scan").unwrap()..]);
            let args = split(&line);
            let r = run(d, &args[1..].iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(r.code, 0, "{name}: `{line}` failed:\n{}", r.stderr);
            seen += 1;
        }
    }
    assert_eq!(seen, 3);
}
