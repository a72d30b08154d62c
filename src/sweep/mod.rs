//! `keyguard sweep`: many repositories (an organisation), each scanned in a child process,
//! with results on disk so a restart resumes, sharded so an existing job engine can spread
//! the work (`--shard K/N`), and merged afterwards ([`merge`], [`html`]).
//!
//! ## Why a child process per repository
//!
//! Each repository is scanned by a child process of the same binary (`keyguard sweep-one`,
//! hidden), which writes that repository's result file; the parent only schedules, waits
//! and records. This gives, with no extra machinery:
//! - a hard `--repo-timeout`: the parent kills the child (a thread cannot be stopped);
//! - isolation: a panic, an abort or memory exhaustion on one corrupt or hostile repository
//!   ends that child only, and is recorded as that repository's failure;
//! - bounded concurrency and memory: at most `-j` children (each may use every core),
//!   each returning its memory to the system when it exits.
//!
//! The cost is one process start and one rule compilation per repository (milliseconds,
//! small beside a history scan), paid only for repositories that are actually scanned: the
//! resume check for local repositories (read the refs, compare with the last result) runs
//! in the parent, so a resumed sweep with nothing changed costs about the time to read the
//! refs.

pub mod forge;
pub mod html;
pub mod merge;
pub mod one;
pub mod state;

use crate::error::Error;
use crate::finding::Severity;
use serde::{Deserialize, Serialize};
use state::{RepoResult, State, Status};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a repository comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A repository on this machine (bare or not), scanned in place.
    Path(PathBuf),
    /// A clone URL (`file://`, `ssh://`, `git://`, `user@host:path`): fetched into the cache.
    Url(String),
}

/// One repository of the sweep.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repo {
    /// Normalised name: what `--shard` hashes and result files are named after.
    pub name: String,
    pub source: Source,
}

impl Repo {
    /// A repository from one line of a `--repos` file: a local path or a clone URL.
    pub fn parse(line: &str) -> Repo {
        let line = line.trim();
        if is_url(line) {
            Repo {
                name: url_name(line),
                source: Source::Url(line.to_string()),
            }
        } else {
            let name = line.trim_end_matches('/');
            let name = name.strip_suffix("/.git").unwrap_or(name);
            Repo {
                name: if name.is_empty() { "/" } else { name }.to_string(),
                source: Source::Path(PathBuf::from(line)),
            }
        }
    }

    /// The source as shown in results: a path, or a URL without credentials.
    pub fn display(&self) -> String {
        match &self.source {
            Source::Path(p) => p.display().to_string(),
            Source::Url(u) => without_credentials(u),
        }
    }

    /// A file name for this repository: the name made safe, and a hash of it so that two
    /// names that sanitise alike still differ.
    pub fn slug(&self) -> String {
        slug(&self.name)
    }
}

fn is_url(s: &str) -> bool {
    if s.contains("://") {
        return true;
    }
    // scp-like `user@host:path`
    match (s.find('@'), s.find(':'), s.find('/')) {
        (Some(at), Some(colon), slash) => at < colon && slash.is_none_or(|sl| colon < sl),
        _ => false,
    }
}

/// `https://user:pw@github.com/org/repo.git` and `git@github.com:org/repo` → `github.com/org/repo`;
/// `file:///srv/git/repo.git` → `srv/git/repo`.
fn url_name(url: &str) -> String {
    let rest = match url.find("://") {
        Some(i) => &url[i + 3..],
        None => url,
    };
    let rest = match (rest.find('@'), rest.find('/')) {
        (Some(at), slash) if slash.is_none_or(|s| at < s) => &rest[at + 1..],
        _ => rest,
    };
    let rest = if url.contains("://") {
        rest.to_string()
    } else {
        rest.replacen(':', "/", 1)
    };
    let rest = rest.trim_matches('/');
    let rest = rest.strip_suffix(".git").unwrap_or(rest);
    rest.trim_end_matches('/').to_string()
}

fn without_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// FNV-1a, 64 bits: stable across platforms, versions and runs (unlike std's hasher), which
/// is what makes `--shard` deterministic.
pub fn stable_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn slug(name: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_matches(['_', '.']);
    let safe: String = safe.chars().take(80).collect();
    format!("{safe}-{:08x}", stable_hash(name) as u32)
}

/// `--shard K/N`: this worker takes the repositories whose name hashes to K modulo N
/// (0 ≤ K < N), so N workers cover every repository exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shard {
    pub index: u32,
    pub count: u32,
}

impl Shard {
    pub fn contains(&self, name: &str) -> bool {
        stable_hash(name) % self.count as u64 == self.index as u64
    }
}

impl std::str::FromStr for Shard {
    type Err = String;
    fn from_str(s: &str) -> Result<Shard, String> {
        let bad = || format!("`{s}` is not a shard: use K/N with 0 ≤ K < N, e.g. 0/4");
        let (k, n) = s.split_once('/').ok_or_else(bad)?;
        let (index, count): (u32, u32) = (
            k.trim().parse().map_err(|_| bad())?,
            n.trim().parse().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// Read a `--repos` file: one repository a line (a path or a clone URL); blank lines and
/// lines starting with `#` are skipped. Relative paths are relative to the current
/// directory. A repeated name is listed once; the repeats are returned as warnings.
pub fn read_repo_list(file: &Path) -> Result<(Vec<Repo>, Vec<String>), Error> {
    let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, &e))?;
    Ok(dedupe(
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(Repo::parse)
            .collect(),
        &file.display().to_string(),
    ))
}

fn dedupe(repos: Vec<Repo>, origin: &str) -> (Vec<Repo>, Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    let mut warnings = Vec::new();
    let mut out = Vec::new();
    for r in repos {
        if seen.insert(r.name.clone()) {
            out.push(r);
        } else {
            warnings.push(format!(
                "{origin}: repository `{}` is listed more than once; swept once",
                r.name
            ));
        }
    }
    (out, warnings)
}

/// Every git repository below `root` (a directory with `.git`, or a bare repository),
/// named by its path relative to `root`. Repositories inside repositories (submodules,
/// nested clones) are not descended into; unreadable directories are warnings.
pub fn discover(root: &Path) -> Result<(Vec<Repo>, Vec<String>), Error> {
    if !root.is_dir() {
        return Err(Error::Io {
            path: root.display().to_string(),
            reason: "not a directory".into(),
        });
    }
    let mut repos = Vec::new();
    let mut warnings = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        if dir.join(".git").exists() || is_bare(&dir) {
            let rel = crate::source::fs::relative(root, &dir);
            let name = if rel.is_empty() { ".".to_string() } else { rel };
            repos.push(Repo {
                name,
                source: Source::Path(dir),
            });
            continue;
        }
        match std::fs::read_dir(&dir) {
            Ok(entries) => {
                for e in entries.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        stack.push(e.path());
                    }
                }
            }
            Err(e) => warnings.push(format!("{}: {e}", dir.display())),
        }
    }
    repos.sort_by(|a, b| a.name.cmp(&b.name));
    Ok((repos, warnings))
}

fn is_bare(dir: &Path) -> bool {
    dir.join("HEAD").is_file() && dir.join("objects").is_dir() && dir.join("refs").is_dir()
}

/// Everything a sweep needs.
#[derive(Clone)]
pub struct SweepOptions {
    pub repos: Vec<Repo>,
    /// `--repos FILE` or `--root DIR`, as given (recorded in the state file).
    pub input: String,
    pub out: PathBuf,
    /// Where clone URLs are cloned (bare) and fetched.
    pub cache: PathBuf,
    /// Repositories scanned at once (0 = one per core).
    pub jobs: usize,
    pub shard: Option<Shard>,
    /// Scan HEAD's tree only instead of the whole history.
    pub head_only: bool,
    /// `--depth N`: clone and fetch URLs shallow, the last N commits of each ref (the
    /// result says the history before the boundary was not scanned).
    pub depth: Option<u32>,
    /// Policy files checked against each repository's working tree.
    pub policies: Vec<PathBuf>,
    /// Rescan repositories whose refs did not change.
    pub force: bool,
    pub repo_timeout: Option<Duration>,
    pub fail_on: Severity,
    /// `--verify`: each child verifies its repository's findings.
    pub verify: Option<crate::verify::VerifyOptions>,
    /// The keyguard binary that runs `sweep-one` (the running one, normally).
    pub exe: PathBuf,
    pub progress: Option<Arc<dyn SweepProgress>>,
}

/// Progress of a sweep, implemented by the binary (a terminal progress bar).
pub trait SweepProgress: Send + Sync {
    /// `total` repositories in this sweep (this shard).
    fn start(&self, total: u64);
    /// One repository done.
    fn repo_done(&self, name: &str, outcome: Outcome, findings: usize, bytes: u64);
    fn finish(&self);
}

/// What happened to one repository in this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Scanned now.
    Scanned,
    /// Refs unchanged since its last result: not scanned again.
    Unchanged,
    Failed,
}

/// What a sweep did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepSummary {
    pub repos: usize,
    pub scanned: usize,
    pub unchanged: usize,
    /// (name, error), sorted by name.
    pub failed: Vec<(String, String)>,
    /// Findings in every repository's current result (scanned now or earlier).
    pub findings: usize,
    pub blocking: usize,
    pub policy_violations: usize,
    pub bytes_scanned: u64,
    pub elapsed_secs: f64,
    /// Problems that did not stop the sweep (repeated names, unreadable directories).
    pub warnings: Vec<String>,
}

/// The settings a result depends on besides the refs: a result made with other settings is
/// redone on resume.
fn settings(opts: &SweepOptions) -> Result<String, Error> {
    let mut s = format!(
        "keyguard {}; {}; fail-on {}",
        env!("CARGO_PKG_VERSION"),
        if opts.head_only {
            "head-only"
        } else {
            "history"
        },
        opts.fail_on
    );
    if let Some(d) = opts.depth {
        // A shallow result is not a full one: changing --depth rescans.
        s.push_str(&format!("; depth {d}"));
    }
    if opts.verify.is_some() {
        // A verified result is not an unverified one: turning --verify on rescans.
        s.push_str("; verify");
    }
    for p in &opts.policies {
        let bytes = std::fs::read(p).map_err(|e| Error::io(p, &e))?;
        s.push_str(&format!(
            "; policy {} {}",
            p.display(),
            &crate::finding::secret_hash(&String::from_utf8_lossy(&bytes))[..12]
        ));
    }
    Ok(s)
}

/// The job a `sweep-one` child runs (passed as JSON on its command line).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Job {
    pub repo: Repo,
    /// Where a URL is cloned (bare); unused for local paths.
    pub cache_path: PathBuf,
    pub result: PathBuf,
    pub settings: String,
    pub head_only: bool,
    #[serde(default)]
    pub depth: Option<u32>,
    pub policies: Vec<PathBuf>,
    pub force: bool,
    pub threads: usize,
    pub fail_on: Severity,
    #[serde(default)]
    pub verify: Option<crate::verify::VerifyOptions>,
}

/// Exit code of a `sweep-one` child that found the refs unchanged and wrote nothing.
pub const CHILD_UNCHANGED: i32 = 10;

/// Run a sweep: every repository of `opts.repos` in this shard, `opts.jobs` at a time.
pub fn sweep(opts: &SweepOptions) -> Result<SweepSummary, Error> {
    let started = Instant::now();
    let settings = settings(opts)?;
    let results_dir = opts.out.join(state::RESULTS_DIR);
    let work_dir = opts.out.join(".work");
    for d in [&results_dir, &work_dir] {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d, &e))?;
    }
    let repos: Vec<&Repo> = opts
        .repos
        .iter()
        .filter(|r| opts.shard.is_none_or(|s| s.contains(&r.name)))
        .collect();
    let jobs = crate::scan::thread_count(opts.jobs);
    // Every child may use every core. While several run, the system shares the cores among
    // them; when one large repository is left last (an organisation's biggest is often
    // several times the rest), it gets the whole machine instead of one core's share.
    let threads = crate::scan::thread_count(0);
    let mut st = State {
        keyguard_version: env!("CARGO_PKG_VERSION").into(),
        input: opts.input.clone(),
        shard: opts.shard.map(|s| s.to_string()),
        settings: settings.clone(),
        started_at: state::now(),
        finished_at: None,
        repos: repos
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    format!("{}/{}.json", state::RESULTS_DIR, r.slug()),
                )
            })
            .collect(),
    };
    st.write(&opts.out)?;
    if let Some(p) = &opts.progress {
        p.start(repos.len() as u64);
    }

    let mut summary = SweepSummary {
        repos: repos.len(),
        ..SweepSummary::default()
    };
    let mut queue: std::collections::VecDeque<Job> = Default::default();
    let mut outcomes: BTreeMap<String, Outcome> = BTreeMap::new();
    for r in &repos {
        let job = Job {
            repo: (*r).clone(),
            cache_path: opts.cache.join(format!("{}.git", r.slug())),
            result: results_dir.join(format!("{}.json", r.slug())),
            settings: settings.clone(),
            head_only: opts.head_only,
            depth: opts.depth,
            policies: opts.policies.clone(),
            force: opts.force,
            threads,
            fail_on: opts.fail_on,
            verify: opts.verify.clone(),
        };
        // Local repositories: the resume check needs no child (URLs must be fetched first).
        if let Source::Path(p) = &r.source {
            if !opts.force && one::unchanged(&job, p) {
                outcomes.insert(r.name.clone(), Outcome::Unchanged);
                report_done(opts, &job, Outcome::Unchanged);
                continue;
            }
        }
        queue.push_back(job);
    }

    let mut running: Vec<Running> = Vec::new();
    while !queue.is_empty() || !running.is_empty() {
        while running.len() < jobs {
            let Some(job) = queue.pop_front() else { break };
            match spawn(opts, &job, &work_dir) {
                Ok(r) => running.push(r),
                Err(e) => {
                    record_failure(&job, format!("cannot start keyguard: {e}"))?;
                    outcomes.insert(job.repo.name.clone(), Outcome::Failed);
                    report_done(opts, &job, Outcome::Failed);
                }
            }
        }
        let mut i = 0;
        let mut progressed = false;
        while i < running.len() {
            let r = &mut running[i];
            let status = r.child.try_wait().map_err(|e| Error::io(&opts.exe, &e))?;
            let timed_out =
                status.is_none() && opts.repo_timeout.is_some_and(|t| r.started.elapsed() >= t);
            if status.is_none() && !timed_out {
                i += 1;
                continue;
            }
            let mut r = running.swap_remove(i);
            progressed = true;
            let outcome = if timed_out {
                kill_group(&mut r.child);
                let _ = r.child.wait();
                let t = opts.repo_timeout.expect("timed out");
                record_failure(
                    &r.job,
                    format!(
                        "timed out after {} (--repo-timeout); the scan was stopped",
                        human_duration(t)
                    ),
                )?;
                Outcome::Failed
            } else {
                let status = status.expect("exited");
                match status.code() {
                    Some(0) => match RepoResult::read(&r.job.result) {
                        Ok(res) if res.status == Status::Ok => Outcome::Scanned,
                        Ok(_) => Outcome::Failed,
                        Err(e) => {
                            record_failure(&r.job, e.to_string())?;
                            Outcome::Failed
                        }
                    },
                    Some(CHILD_UNCHANGED) => Outcome::Unchanged,
                    _ => {
                        let tail = stderr_tail(&r.stderr);
                        record_failure(
                            &r.job,
                            format!(
                                "keyguard stopped on this repository ({}){}",
                                describe(status),
                                if tail.is_empty() {
                                    String::new()
                                } else {
                                    format!(": {tail}")
                                }
                            ),
                        )?;
                        Outcome::Failed
                    }
                }
            };
            let _ = std::fs::remove_file(&r.stderr);
            outcomes.insert(r.job.repo.name.clone(), outcome);
            report_done(opts, &r.job, outcome);
        }
        if !progressed && !running.is_empty() {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    if let Some(p) = &opts.progress {
        p.finish();
    }

    // The summary covers every repository's current result, scanned now or earlier.
    for r in &repos {
        let path = results_dir.join(format!("{}.json", r.slug()));
        let outcome = outcomes.get(&r.name).copied().unwrap_or(Outcome::Failed);
        match outcome {
            Outcome::Scanned => summary.scanned += 1,
            Outcome::Unchanged => summary.unchanged += 1,
            Outcome::Failed => {}
        }
        match RepoResult::read(&path) {
            Ok(res) if res.status == Status::Ok => {
                summary.findings += res.findings;
                summary.blocking += res.blocking;
                summary.policy_violations += res.policy.as_ref().map_or(0, |p| p.violations.len());
                if outcome == Outcome::Scanned {
                    summary.bytes_scanned += res.bytes_scanned;
                }
            }
            Ok(res) => summary
                .failed
                .push((r.name.clone(), res.error.unwrap_or_default())),
            Err(e) => summary.failed.push((r.name.clone(), e.to_string())),
        }
    }
    summary.failed.sort();
    let _ = std::fs::remove_dir(&work_dir);
    st.finished_at = Some(state::now());
    st.write(&opts.out)?;
    summary.elapsed_secs = started.elapsed().as_secs_f64();
    Ok(summary)
}

struct Running {
    child: Child,
    job: Job,
    started: Instant,
    stderr: PathBuf,
}

/// Start `keyguard sweep-one JOB` with its output going to files (not pipes: nothing can
/// block on a full pipe, and a killed child's own children cannot hold the sweep open).
fn spawn(opts: &SweepOptions, job: &Job, work: &Path) -> std::io::Result<Running> {
    let stderr = work.join(format!("{}.stderr", job.repo.slug()));
    let err_file = std::fs::File::create(&stderr)?;
    let mut cmd = Command::new(&opts.exe);
    cmd.arg("sweep-one")
        .arg(serde_json::to_string(job).expect("job serialises"))
        .stdin(Stdio::null())
        .stdout(err_file.try_clone()?)
        .stderr(err_file);
    // Its own process group, so a timeout stops what it started too (git for https://).
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let child = cmd.spawn()?;
    Ok(Running {
        child,
        job: job.clone(),
        started: Instant::now(),
        stderr,
    })
}

/// Kill a child and, on Unix, its whole process group (the child leads its own).
fn kill_group(child: &mut Child) {
    #[cfg(unix)]
    {
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", child.id())])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    let _ = child.kill();
}

fn record_failure(job: &Job, error: String) -> Result<(), Error> {
    let scanned = match &job.repo.source {
        Source::Path(p) => p.display().to_string(),
        Source::Url(_) => job.cache_path.display().to_string(),
    };
    RepoResult::failed(
        &job.repo.name,
        &job.repo.display(),
        &scanned,
        &job.settings,
        error,
    )
    .write(&job.result)
}

/// Tell the progress bar; findings count for unchanged repositories too (they are in the
/// sweep's results), bytes only for what was scanned now.
fn report_done(opts: &SweepOptions, job: &Job, outcome: Outcome) {
    if let Some(p) = &opts.progress {
        let (findings, bytes) = match RepoResult::read(&job.result) {
            Ok(r) if r.status == Status::Ok => (
                r.findings,
                if outcome == Outcome::Scanned {
                    r.bytes_scanned
                } else {
                    0
                },
            ),
            _ => (0, 0),
        };
        p.repo_done(&job.repo.name, outcome, findings, bytes);
    }
}

/// The last non-empty lines of a child's standard error, on one line.
fn stderr_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let tail = lines[lines.len().saturating_sub(3)..].join(" | ");
    tail.chars().take(500).collect()
}

fn describe(status: std::process::ExitStatus) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        if let Some(sig) = status.signal() {
            return format!("killed by signal {sig}");
        }
    }
    match status.code() {
        Some(c) => format!("exit code {c}"),
        None => "no exit code".into(),
    }
}

fn human_duration(d: Duration) -> String {
    if d.as_secs() >= 1 && d.subsec_millis() == 0 {
        format!("{}s", d.as_secs())
    } else {
        format!("{}ms", d.as_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(
            Repo::parse("https://user:pw@github.com/org/repo.git").name,
            "github.com/org/repo"
        );
        assert_eq!(
            Repo::parse("git@github.com:org/repo.git").name,
            "github.com/org/repo"
        );
        assert_eq!(Repo::parse("file:///srv/git/a.git/").name, "srv/git/a");
        assert_eq!(Repo::parse("repos/a/").name, "repos/a");
        assert_eq!(Repo::parse("repos/a/.git").name, "repos/a");
        assert_eq!(
            Repo::parse("https://user:pw@host/x").display(),
            "https://host/x"
        );
        assert!(matches!(Repo::parse("/srv/a").source, Source::Path(_)));
    }

    #[test]
    fn shards_partition() {
        assert!("4/4".parse::<Shard>().is_err());
        assert!("1/0".parse::<Shard>().is_err());
        assert!("x".parse::<Shard>().is_err());
        let shards: Vec<Shard> = (0..4).map(|k| format!("{k}/4").parse().unwrap()).collect();
        for i in 0..200 {
            let name = format!("org/repo-{i}");
            assert_eq!(shards.iter().filter(|s| s.contains(&name)).count(), 1);
        }
        // Stable: FNV-1a of a fixed name never changes.
        assert_eq!(stable_hash("a"), 0xaf63dc4c8601ec8c);
    }
}
