//! Shared test helpers: run the real binary, build fixture trees, make fake secrets.
#![allow(dead_code)]

pub mod https;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_keyguard"))
}

/// Result of one keyguard run.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

/// Run keyguard with `args` in `dir`.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("run keyguard")
        .into()
}

/// Run keyguard with `stdin` piped in.
pub fn run_stdin(dir: &Path, args: &[&str], stdin: &[u8]) -> Run {
    use std::io::Write;
    let mut child = Command::new(bin())
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn keyguard");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap().into()
}

/// Write `files` (path, contents) under a new temp dir.
pub fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (p, c) in files {
        write(dir.path(), p, c.as_bytes());
    }
    dir
}

pub fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// A tiny deterministic generator so fixtures differ per seed but never change.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn string(&mut self, alphabet: &[u8], n: usize) -> String {
        (0..n)
            .map(|_| alphabet[(self.next() % alphabet.len() as u64) as usize] as char)
            .collect()
    }
}

pub const ALNUM: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A fake GitHub token with a valid checksum (so it passes offline validation).
pub fn github_token(seed: u64) -> String {
    let body = Rng::new(seed).string(ALNUM, 30);
    format!(
        "ghp_{body}{}",
        keyguard::detect::validate::crc32_base62_checksum(body.as_bytes())
    )
}

/// The findings array of a JSON report.
pub fn findings(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["findings"].as_array().cloned().unwrap_or_default()
}

/// The SARIF Multitool binary: `$KEYGUARD_SARIF_MULTITOOL`, or installed from npm into
/// `target/tools` on first use (the README's test command does the same up front).
pub fn multitool() -> PathBuf {
    if let Ok(p) = std::env::var("KEYGUARD_SARIF_MULTITOOL") {
        return PathBuf::from(p);
    }
    let prefix = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools");
    let exe = prefix.join("node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool");
    if !exe.exists() {
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg("@microsoft/sarif-multitool-linux@5.7.0")
            .status()
            .expect("npm is needed to install the SARIF Multitool");
        assert!(
            status.success(),
            "npm install of the SARIF Multitool failed"
        );
    }
    // npm may skip the package's postinstall `chmod`.
    let _ = Command::new("chmod").arg("u+x").arg(&exe).status();
    exe
}

/// Validate `sarif` with the Multitool; return its error-level results as text.
pub fn validation_errors(sarif: &std::path::Path) -> Vec<String> {
    let out = sarif.with_extension("validation.sarif");
    let _ = std::fs::remove_file(&out);
    let o = Command::new(multitool())
        .arg("validate")
        .arg(sarif)
        .arg("-o")
        .arg(&out)
        .args(["--rule-kind", "Gh;Sarif"])
        .output()
        .expect("run the SARIF Multitool");
    // The Multitool exits 0 even when it finds errors: read its own SARIF log.
    let text = std::fs::read_to_string(&out).unwrap_or_else(|_| {
        panic!(
            "Multitool wrote no log: {}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        )
    });
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["runs"][0]["results"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter(|r| r["level"] == "error")
        .map(|r| r.to_string())
        .collect()
}

/// `$KEYGUARD_PRE_COMMIT`, or a venv under `target/tools` with pre-commit installed on first use.
pub fn pre_commit() -> PathBuf {
    if let Ok(p) = std::env::var("KEYGUARD_PRE_COMMIT") {
        return PathBuf::from(p);
    }
    let venv = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/tools/pre-commit-venv");
    let exe = venv.join("bin/pre-commit");
    if !exe.exists() {
        let ok = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .expect("python3 is needed for the pre-commit framework")
            .success();
        assert!(ok, "python3 -m venv failed");
        let ok = Command::new(venv.join("bin/pip"))
            .args(["install", "-q", "pre-commit"])
            .status()
            .unwrap()
            .success();
        assert!(ok, "pip install pre-commit failed");
    }
    exe
}

/// `git` in `dir` with a fixed identity and dates, and no user or system configuration.
pub fn git_command(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.args([
        "-c",
        "user.name=Alice Example",
        "-c",
        "user.email=alice@corp.test",
    ])
    .args([
        "-c",
        "init.defaultBranch=main",
        "-c",
        "commit.gpgsign=false",
    ])
    .current_dir(dir)
    .env("GIT_AUTHOR_DATE", "2024-03-01T10:00:00+01:00")
    .env("GIT_COMMITTER_DATE", "2024-03-01T10:00:00+01:00")
    .env("GIT_CONFIG_GLOBAL", "/dev/null")
    .env("GIT_CONFIG_NOSYSTEM", "1");
    c
}

/// Run git, failing the test if it fails; returns its trimmed stdout.
pub fn git_ok(dir: &Path, args: &[&str]) -> String {
    let o = git_command(dir).args(args).output().expect("git runs");
    assert!(
        o.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

/// Parse YAML with PyYAML from the pre-commit venv (pre-commit depends on it) into JSON.
pub fn yaml_to_json(path: &Path) -> serde_json::Value {
    let python = pre_commit().with_file_name("python");
    let o = Command::new(python)
        .args([
            "-c",
            "import json, sys, yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))",
        ])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{} is not valid YAML: {}",
        path.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Headless Chromium: `$KEYGUARD_CHROMIUM`, or `chromium` on PATH (scripts/test installs
/// Debian's package). Missing Chromium fails the test: the HTML report must be checked.
pub fn chromium() -> PathBuf {
    if let Ok(p) = std::env::var("KEYGUARD_CHROMIUM") {
        return PathBuf::from(p);
    }
    for dir in std::env::var("PATH").unwrap_or_default().split(':') {
        for name in ["chromium", "chromium-browser"] {
            let p = Path::new(dir).join(name);
            if p.is_file() {
                return p;
            }
        }
    }
    panic!("Chromium is needed to check the HTML report: run scripts/test (it installs Debian's `chromium`), or set KEYGUARD_CHROMIUM");
}
