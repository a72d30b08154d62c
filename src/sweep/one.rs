//! One repository of a sweep, as the `sweep-one` child runs it: clone or fetch (URLs), read
//! the refs, skip if unchanged, scan, check policies, write the result file.

use super::state::{self, PolicyResult, RepoResult, Status};
use super::{Job, Source};
use crate::error::Error;
use crate::scan::{ScanOptions, Target};
use std::path::Path;
use std::time::Instant;

/// What the child did.
#[derive(Debug, PartialEq, Eq)]
pub enum Done {
    /// A result file was written (the repository may have failed: see its status).
    Written,
    /// The refs equal those of the last good result: nothing written.
    Unchanged,
}

/// Run one job. Problems with the repository become a failed result; an `Err` means the
/// result file itself could not be written.
pub fn run(job: &Job) -> Result<Done, Error> {
    let started = Instant::now();
    let scanned = match &job.repo.source {
        Source::Path(p) => p.clone(),
        Source::Url(_) => job.cache_path.clone(),
    };
    let fail = |error: String| {
        RepoResult::failed(
            &job.repo.name,
            &job.repo.display(),
            &scanned.display().to_string(),
            &job.settings,
            error,
        )
        .write(&job.result)
        .map(|_| Done::Written)
    };
    if let Source::Url(url) = &job.repo.source {
        if let Err(e) = fetch(url, &job.cache_path, job.depth) {
            return fail(e);
        }
    }
    let repo = match open_exact(&scanned) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    let refs = match state::read_refs(&repo) {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    if !job.force && previous_matches(job, &refs) {
        return Ok(Done::Unchanged);
    }
    let workdir = repo.workdir().map(Path::to_path_buf);
    drop(repo);

    let hopts = crate::source::git::HistoryOptions {
        branch: job.head_only.then(|| "HEAD".to_string()),
        tip_only: job.head_only,
        ..Default::default()
    };
    let mut opts = ScanOptions::new(Target::History(scanned.clone(), hopts));
    opts.threads = job.threads;
    opts.fail_on = Some(job.fail_on);
    opts.verify = job.verify.clone();
    let report = match crate::scan::scan(&opts) {
        Ok(r) => r,
        Err(e) => return fail(e.to_string()),
    };
    let json: serde_json::Value =
        serde_json::from_str(&crate::report::json::render(&report, false))
            .expect("the JSON report parses");
    let sarif = crate::report::sarif::build(&report, false);
    let sarif_run = sarif
        .runs
        .into_iter()
        .next()
        .map(|r| serde_json::to_value(r).expect("SARIF serialises"));
    let policy = (!job.policies.is_empty()).then(|| policy_step(workdir.as_deref(), &scanned, job));
    let policy_blocking = policy.as_ref().map_or(0, |p| {
        p.violations
            .iter()
            .filter(|v| {
                v["severity"]
                    .as_str()
                    .and_then(|s| s.parse::<crate::Severity>().ok())
                    .is_some_and(|s| s >= job.fail_on)
            })
            .count()
    });
    RepoResult {
        schema_version: state::RESULT_SCHEMA,
        name: job.repo.name.clone(),
        source: job.repo.display(),
        scanned: scanned.display().to_string(),
        status: Status::Ok,
        error: None,
        settings: job.settings.clone(),
        refs,
        finished_at: state::now(),
        duration_secs: (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0,
        bytes_scanned: report.stats.bytes_scanned,
        findings: report.findings.len(),
        blocking: report.blocking() + policy_blocking,
        report: Some(json),
        sarif_run,
        policy,
    }
    .write(&job.result)?;
    Ok(Done::Written)
}

/// True when the job's last result is good, made with the same settings, and recorded the
/// same refs the repository at `path` has now. Reads the ref store only.
pub fn unchanged(job: &Job, path: &Path) -> bool {
    let Ok(repo) = open_exact(path) else {
        return false;
    };
    state::read_refs(&repo).is_ok_and(|refs| previous_matches(job, &refs))
}

/// The repository at `path` itself (its work tree or git directory), never one found in a
/// parent directory: a listed directory that is not a repository is a failure, not a scan
/// of whatever repository happens to contain it. No user or system configuration is read.
fn open_exact(path: &Path) -> Result<gix::Repository, String> {
    gix::open_opts(path, gix::open::Options::isolated())
        .map_err(|e| format!("{}: cannot open as a git repository ({e})", path.display()))
}

fn previous_matches(job: &Job, refs: &std::collections::BTreeMap<String, String>) -> bool {
    RepoResult::read(&job.result).is_ok_and(|prev| {
        prev.status == Status::Ok && prev.settings == job.settings && &prev.refs == refs
    })
}

/// The policy check of one repository, as `keyguard policy` runs it: on the working tree
/// when there is one (the repository's `.keyguard.toml` applies), otherwise on HEAD's tree
/// read from the object database (bare repositories, clones in the cache). Violations are
/// stored in the JSON report's finding form.
fn policy_step(workdir: Option<&Path>, repo: &Path, job: &Job) -> PolicyResult {
    let today = crate::policy::check::today();
    let run = || -> Result<Vec<serde_json::Value>, Error> {
        let outcome = match workdir {
            Some(dir) => {
                let config = crate::config::Config::discover(dir, None)?;
                crate::policy::run(&config, dir, &job.policies, today)?
            }
            None => crate::policy::run_git_head(repo, &job.policies, today)?,
        };
        let mut findings = outcome.findings;
        findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        Ok(findings
            .iter()
            .map(|f| {
                serde_json::to_value(crate::report::json::JsonFinding::new(f, false))
                    .expect("violation serialises")
            })
            .collect())
    };
    match run() {
        Ok(violations) => PolicyResult {
            violations,
            skipped: None,
        },
        Err(e) => PolicyResult {
            violations: Vec::new(),
            skipped: Some(format!("policy check failed: {e}")),
        },
    }
}

/// Smart HTTP through the system's `git` (its TLS stack, proxies, `http.sslCAInfo` and
/// credential helpers are the user's own): `git clone --mirror`, then `git fetch` into the
/// mirror. Credentials: a user and password in the URL, or `KEYGUARD_GIT_TOKEN` (with
/// `KEYGUARD_GIT_USER`, default `x-access-token`), are handed to git by a credential helper
/// that reads them from the environment: never in the command line, the cache's config or
/// a log. git never prompts (`GIT_TERMINAL_PROMPT=0`): a repository that needs credentials
/// nobody gave fails instead of hanging the sweep.
fn fetch_http(url: &str, dest: &Path, depth: Option<u32>) -> Result<(), String> {
    let clean = super::without_credentials(url);
    let (user, password) = url_credentials(url);
    let mut cmd = std::process::Command::new("git");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_ASKPASS", "")
        .stdin(std::process::Stdio::null());
    let token = std::env::var("KEYGUARD_GIT_TOKEN")
        .ok()
        .filter(|t| !t.is_empty());
    if password.is_some() || token.is_some() {
        let user = user
            .or_else(|| std::env::var("KEYGUARD_GIT_USER").ok())
            .unwrap_or_else(|| "x-access-token".into());
        cmd.env("KEYGUARD_GIT_USER_", user)
            .env("KEYGUARD_GIT_PASSWORD_", password.or(token).unwrap_or_default())
            .env("GIT_CONFIG_COUNT", "1")
            .env("GIT_CONFIG_KEY_0", "credential.helper")
            .env(
                "GIT_CONFIG_VALUE_0",
                "!f() { test \"$1\" = get && echo \"username=$KEYGUARD_GIT_USER_\" && echo \"password=$KEYGUARD_GIT_PASSWORD_\"; }; f",
            );
    }
    let fresh = !dest.exists();
    if fresh {
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create the cache {}: {e}", parent.display()))?;
        }
        cmd.args(["clone", "--mirror", "--quiet"]);
        if let Some(d) = depth {
            cmd.arg(format!("--depth={d}"));
        }
        cmd.arg(&clean).arg(dest);
    } else {
        cmd.arg("-C").arg(dest).args(["fetch", "--quiet"]);
        if let Some(d) = depth {
            cmd.arg(format!("--depth={d}"));
        }
        cmd.args([&clean, "+refs/*:refs/*"]);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("{clean}: cannot run git (needed for https:// URLs): {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    if fresh {
        let _ = std::fs::remove_dir_all(dest);
    }
    let err = String::from_utf8_lossy(&out.stderr);
    let err = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("git failed");
    Err(format!(
        "{clean}: {}",
        super::without_credentials(err.trim())
    ))
}

/// The user and password of `https://user:password@host/…`, percent-decoded.
fn url_credentials(url: &str) -> (Option<String>, Option<String>) {
    let Some((_, rest)) = url.split_once("://") else {
        return (None, None);
    };
    let authority = rest.split('/').next().unwrap_or("");
    let Some((creds, _)) = authority.rsplit_once('@') else {
        return (None, None);
    };
    let decode = |s: &str| {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b[i],
                b.get(i + 1).and_then(|&c| hex(c)),
                b.get(i + 2).and_then(|&c| hex(c)),
            ) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (c, _, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    };
    match creds.split_once(':') {
        Some((u, p)) => (Some(decode(u)), Some(decode(p))),
        None => (Some(decode(creds)), None),
    }
}

/// Clone `url` into `dest` (bare, no checkout) or, when `dest` exists, fetch into it. Every
/// ref is mirrored (`+refs/*:refs/*`), so the cache's refs are the remote's and the resume
/// check works on them. Refs deleted on the remote are kept (not pruned).
///
/// Transports: `file://`, `ssh://` / `user@host:path` (through `ssh`) and `git://` with gix;
/// `https://` and `http://` (smart HTTP) through the system's `git`, see [`fetch_http`].
/// With `depth`, the clone is shallow and each fetch moves the boundary to `depth` commits
/// below every ref's tip (history before it is neither downloaded nor scanned).
pub fn fetch(url: &str, dest: &Path, depth: Option<u32>) -> Result<(), String> {
    use gix::remote::Direction;
    if url.starts_with("https://") || url.starts_with("http://") {
        return fetch_http(url, dest, depth);
    }
    let fresh = !dest.exists();
    let result = (|| -> Result<(), String> {
        let repo = if fresh {
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| format!("cannot create the cache {}: {e}", parent.display()))?;
            }
            gix::init_bare(dest).map_err(|e| format!("cannot create {}: {e}", dest.display()))?
        } else {
            gix::open_opts(dest, gix::open::Options::isolated())
                .map_err(|e| format!("cached clone {} is unusable: {e}", dest.display()))?
        };
        let remote = repo
            .remote_at(url)
            .map_err(|e| format!("bad URL `{}`: {e}", super::without_credentials(url)))?
            .with_refspecs(["+refs/*:refs/*"], Direction::Fetch)
            .map_err(|e| format!("refspec: {e}"))?;
        let connection = remote
            .connect(Direction::Fetch)
            .map_err(|e| format!("cannot connect: {e}"))?;
        let prepared = connection
            .prepare_fetch(
                gix::progress::Discard,
                gix::remote::ref_map::Options {
                    // gix would send `refs/*` itself as the ls-refs prefix, which matches
                    // nothing; list every ref and let the refspec map them.
                    prefix_from_spec_as_filter_on_remote: false,
                    ..Default::default()
                },
            )
            .map_err(|e| format!("cannot list the remote's refs: {e}"))?;
        let prepared = match depth.and_then(std::num::NonZeroU32::new) {
            Some(d) => prepared.with_shallow(gix::remote::fetch::Shallow::DepthAtRemote(d)),
            None => prepared,
        };
        let outcome = prepared
            .receive(gix::progress::Discard, &gix::interrupt::IS_INTERRUPTED)
            .map_err(|e| format!("fetch failed: {e}"))?;
        // Point HEAD where the remote's HEAD points (a fresh bare repository's HEAD names
        // a default branch the remote may not have), so `--head-only` scans the right tree.
        let head = outcome.ref_map.remote_refs.iter().find_map(|r| match r {
            gix::protocol::handshake::Ref::Symbolic {
                full_ref_name,
                target,
                ..
            } if full_ref_name == "HEAD" => Some(target.to_string()),
            _ => None,
        });
        if let Some(target) = head.filter(|t| t.starts_with("refs/")) {
            let path = repo.git_dir().join("HEAD");
            crate::report::write_atomic(&path, format!("ref: {target}\n").as_bytes())
                .map_err(|e| e.to_string())?;
        }
        Ok(())
    })();
    if result.is_err() && fresh {
        // Leave no half-made clone behind: the next run starts over.
        let _ = std::fs::remove_dir_all(dest);
    }
    result.map_err(|e| format!("{}: {e}", super::without_credentials(url)))
}
