//! The `scan` job: source → detect → findings → suppress, with counts of everything that
//! was scanned, skipped or suppressed.

use crate::blob::{self, Scanned, Work};
use crate::config::Config;
use crate::error::Error;
use crate::finding::{Finding, Severity};
use crate::rules::RuleSet;
use crate::source::{fs, git, Blob, SkipReason};
use crate::suppress::baseline::Baseline;
use crate::suppress::Suppression;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// What to scan.
#[derive(Debug, Clone)]
pub enum Target {
    /// One directory (paths are reported relative to it), or several files and
    /// directories (paths are reported as given, e.g. by the pre-commit framework).
    Paths(Vec<PathBuf>),
    Stdin,
    /// The history of the git repository at the path.
    History(PathBuf, git::HistoryOptions),
    /// What is staged in the repository at the path, compared with HEAD: only added or
    /// changed lines count (the pre-commit gate).
    Staged(PathBuf),
}

impl Target {
    /// The directory findings are relative to, and where `.keyguard.toml` is looked for.
    fn base(&self) -> PathBuf {
        match self {
            Target::Paths(p) if p.len() == 1 && p[0].is_dir() => p[0].clone(),
            Target::History(p, _) | Target::Staged(p) => p.clone(),
            _ => PathBuf::from("."),
        }
    }

    fn display(&self) -> String {
        match self {
            Target::Paths(p) => p
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" "),
            Target::Stdin => "-".into(),
            Target::History(p, _) | Target::Staged(p) => p.display().to_string(),
        }
    }
}

/// Progress reporting, implemented by the binary (a terminal progress bar); the library only
/// calls it.
pub trait Progress: Send + Sync {
    /// The number of files or blobs (`unit`) about to be scanned.
    fn start(&self, total: u64, unit: &'static str);
    /// `n` more files or blobs found (history walks find them as they go).
    fn add_total(&self, _n: u64) {}
    /// One more file or blob done, of `bytes` bytes.
    fn advance(&self, bytes: u64);
    fn finish(&self);
}

#[derive(Clone)]
pub struct ScanOptions {
    pub target: Target,
    /// `--config FILE`; otherwise `.keyguard.toml` at the scan root is used if present.
    pub config: Option<PathBuf>,
    pub exclude: Vec<String>,
    pub max_file_size: Option<u64>,
    pub follow_symlinks: bool,
    pub no_ignore: bool,
    /// 0 = one per core.
    pub threads: usize,
    pub fail_on: Option<Severity>,
    pub progress: Option<std::sync::Arc<dyn Progress>>,
    /// Findings in this baseline file do not count.
    pub baseline: Option<PathBuf>,
    /// Warn about baseline entries that matched nothing (stale).
    pub report_unused: bool,
    /// Policy files to check (besides those `.keyguard.toml` names).
    pub policies: Vec<PathBuf>,
    /// Run the secret detector (false for `keyguard policy`).
    pub detect: bool,
    /// The date lifecycle checks compare with (`--now`); today (UTC) when `None`.
    pub today: Option<jiff::civil::Date>,
    /// `--archives` / `--no-archives`; else the config's, else on (off for `--staged`).
    pub archives: Option<bool>,
    pub max_archive_depth: Option<u32>,
    pub max_decode_depth: Option<u32>,
    /// `--verify`: ask each finding's provider whether the credential is live.
    pub verify: Option<crate::verify::VerifyOptions>,
    /// `--only-verified`: report live findings only.
    pub only_verified: bool,
    /// `--fail-on-verified`: only live findings block.
    pub fail_on_verified: bool,
}

impl std::fmt::Debug for ScanOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScanOptions")
            .field("target", &self.target)
            .field("config", &self.config)
            .field("threads", &self.threads)
            .finish_non_exhaustive()
    }
}

impl ScanOptions {
    pub fn new(target: Target) -> ScanOptions {
        ScanOptions {
            target,
            config: None,
            exclude: Vec::new(),
            max_file_size: None,
            follow_symlinks: false,
            no_ignore: false,
            threads: 0,
            fail_on: None,
            progress: None,
            baseline: None,
            report_unused: false,
            policies: Vec::new(),
            detect: true,
            today: None,
            archives: None,
            max_archive_depth: None,
            max_decode_depth: None,
            verify: None,
            only_verified: false,
            fail_on_verified: false,
        }
    }
}

/// A problem that did not stop the scan.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Warning {
    pub path: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Stats {
    pub files_scanned: usize,
    pub bytes_scanned: u64,
    pub skipped: BTreeMap<SkipReason, usize>,
    pub suppressed: BTreeMap<Suppression, usize>,
    /// Files too large to hold, read as a stream of windows.
    pub streamed: usize,
    /// Archive and compressed-file members opened.
    pub archive_members: u64,
    #[serde(serialize_with = "secs")]
    pub elapsed: Duration,
    pub rules: usize,
    /// History scans only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<HistoryStats>,
    /// When policies were checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyStats>,
    /// With `--verify`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify: Option<crate::verify::VerifyStats>,
}

/// What the policy half read and found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PolicyStats {
    pub policies: usize,
    pub files: u64,
    pub references: usize,
    pub secrets: usize,
    pub stores: usize,
    pub grants: usize,
    pub certificates: usize,
    /// Before baselines.
    pub violations: usize,
}

/// What a history scan walked.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HistoryStats {
    pub refs: usize,
    pub commits: usize,
    /// Distinct blobs found in the walk (each scanned once).
    pub blobs: usize,
    pub shallow: bool,
    /// Distinct submodule paths met in trees (not descended into).
    pub submodules: usize,
    /// `HEAD` when the repository has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
    /// The `origin` remote's URL, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote_url: Option<String>,
}

fn secs<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64((d.as_secs_f64() * 1000.0).round() / 1000.0)
}

/// Everything a report needs.
#[derive(Debug)]
pub struct ScanReport {
    /// What was scanned, as the user named it.
    pub root: String,
    /// Sorted by (path, line, column, rule).
    pub findings: Vec<Finding>,
    pub stats: Stats,
    pub warnings: Vec<Warning>,
    pub fail_on: Severity,
    pub rules: RuleSet,
    /// SARIF `automationDetails.id` category: `working-tree/`, later `history/`, `policy/`.
    pub category: &'static str,
    /// `--fail-on-verified`: only findings verified live block.
    pub live_only_blocks: bool,
}

impl Stats {
    /// Count one scanned blob of `n` bytes (or its skip), its suppressions and warnings.
    fn add(&mut self, n: u64, r: &Scanned, warnings: &mut Vec<Warning>) {
        match r.skipped {
            Some(reason) => *self.skipped.entry(reason).or_default() += 1,
            None => {
                self.files_scanned += 1;
                self.bytes_scanned += n;
            }
        }
        self.streamed += usize::from(r.streamed);
        self.archive_members += r.members;
        for (k, v) in &r.suppressed {
            *self.suppressed.entry(*k).or_default() += v;
        }
        warnings.extend(r.warnings.iter().map(|(path, message)| Warning {
            path: path.clone(),
            message: message.clone(),
        }));
    }
}

impl ScanReport {
    /// Some files or git objects could not be read: what was scanned is not all there is.
    pub fn partial(&self) -> bool {
        self.stats
            .skipped
            .get(&SkipReason::Unreadable)
            .is_some_and(|&n| n > 0)
    }

    /// Findings at or above the failing severity.
    pub fn blocking(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity >= self.fail_on)
            .filter(|f| !self.live_only_blocks || f.is_live())
            .count()
    }
}

/// Run a scan.
pub fn scan(opts: &ScanOptions) -> Result<ScanReport, Error> {
    let started = Instant::now();
    let (root_dir, root_display) = (opts.target.base(), opts.target.display());
    let mut config = Config::discover(&root_dir, opts.config.as_deref())?;
    if opts.verify.is_some() && matches!(opts.target, Target::Staged(_)) && !config.verify_in_hooks
    {
        return Err(Error::Usage(
            "--verify sends credentials to their providers: a pre-commit hook (--staged) does that only when asked twice, by the flag and by `[verify] allow-in-hooks = true` in .keyguard.toml".into(),
        ));
    }
    // Expansion: the command line, else `.keyguard.toml`, else the defaults. Archives are off
    // for `--staged` unless asked for: a pre-commit hook must stay instant, and a commit that
    // adds an archive is rare and still caught by the pull-request and history scans.
    config.expand.archives = opts
        .archives
        .or(config.archives)
        .unwrap_or(!matches!(opts.target, Target::Staged(_)));
    if let Some(d) = opts.max_archive_depth {
        config.expand.max_archive_depth = d;
    }
    if let Some(d) = opts.max_decode_depth {
        config.expand.max_decode_depth = d;
    }
    // Read the baseline first: a corrupt one must stop the run before any work.
    let baseline = match &opts.baseline {
        Some(p) => Some((p, Baseline::load(p)?)),
        None => None,
    };
    // Files over `max` are skipped only when the user asks: `--max-file-size` or the config.
    let max = opts
        .max_file_size
        .or(config.max_file_size)
        .unwrap_or(u64::MAX);
    let fail_on = opts.fail_on.or(config.fail_on).unwrap_or(Severity::Low);
    let mut stats = Stats {
        rules: config.rules.rules.len(),
        ..Stats::default()
    };
    let mut warnings = Vec::new();
    let mut findings = Vec::new();
    let mut category = "working-tree/";

    match &opts.target {
        Target::Stdin => {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| Error::io("-", &e))?;
            let blob = Blob {
                path: "-".into(),
                bytes,
            };
            let r = blob::scan_bytes(&config, &blob.path, &blob.bytes, &mut Work::default());
            stats.add(blob.bytes.len() as u64, &r, &mut warnings);
            findings = r.findings;
        }
        Target::History(path, hopts) => {
            category = if hopts.range.is_some() {
                "range/"
            } else {
                "history/"
            };
            let threads = thread_count(opts.threads);
            let mut exclude = opts.exclude.clone();
            exclude.extend(config.exclude.iter().cloned());
            let (f, history) = scan_history(
                &config,
                path,
                hopts,
                &exclude,
                max,
                threads,
                opts.progress.as_deref(),
                &mut stats,
                &mut warnings,
            )?;
            findings = f;
            stats.history = Some(history);
        }
        Target::Staged(path) => {
            category = "staged/";
            findings = scan_staged(&config, path, max, &mut stats, &mut warnings)?;
        }
        Target::Paths(_) if !opts.detect => category = "policy/",
        Target::Paths(paths) => {
            let root = &root_dir;
            let mut exclude = opts.exclude.clone();
            exclude.extend(config.exclude.iter().cloned());
            exclude.extend(own_files_under(root, &config));
            let threads = thread_count(opts.threads);
            let walk_opts = fs::WalkOptions {
                root: root.clone(),
                paths: paths.clone(),
                exclude,
                follow_symlinks: opts.follow_symlinks,
                no_ignore: opts.no_ignore,
                threads,
            };
            let (entries, problems) = fs::walk(&walk_opts)?;
            warnings.extend(problems.into_iter().map(|p| Warning {
                path: p.path,
                message: p.message,
            }));
            let pool = pool(threads)?;
            let progress = opts.progress.as_deref();
            if let Some(p) = progress {
                p.start(entries.len() as u64, "files");
            }
            let per_file: Vec<FileResult> = pool.install(|| {
                entries
                    .par_iter()
                    .map_init(
                        || (Work::default(), Vec::new()),
                        |(work, buf), entry| scan_entry(&config, entry, max, work, buf),
                    )
                    .inspect(|r| {
                        if let Some(p) = progress {
                            p.advance(match r {
                                FileResult::Scanned(n, _) => *n,
                                FileResult::Skipped(..) => 0,
                            });
                        }
                    })
                    .collect()
            });
            if let Some(p) = progress {
                p.finish();
            }
            for r in per_file {
                match r {
                    FileResult::Scanned(n, r) => {
                        stats.add(n, &r, &mut warnings);
                        findings.extend(r.findings);
                    }
                    FileResult::Skipped(path, reason, msg) => {
                        *stats.skipped.entry(reason).or_default() += 1;
                        if let Some(message) = msg {
                            warnings.push(Warning { path, message });
                        }
                    }
                }
            }
        }
    }
    // The policy half: `keyguard policy`, or `keyguard scan` of a directory whose
    // configuration names policies.
    let mut policies = opts.policies.clone();
    policies.extend(config.policies.iter().cloned());
    policies.dedup();
    if !opts.detect && policies.is_empty() {
        return Err(Error::Usage(
            "no policy to check: pass --policy FILE, or name policies in .keyguard.toml under `[policy] files = [...]`".into(),
        ));
    }
    let scope = match &opts.target {
        _ if policies.is_empty() || !root_dir.is_dir() => None,
        Target::Paths(_) => Some(crate::policy::Scope::default()),
        // The gate checks the policy on what the change touches: the staged files (their
        // staged text), or the files the pull request's commits change.
        Target::Staged(path) => Some(staged_scope(path)?),
        Target::History(path, h) => match &h.range {
            Some((base, head)) => Some(range_scope(path, base, head)?),
            None => None,
        },
        Target::Stdin => None,
    };
    if let Some(mut scope) = scope {
        scope.exclude.extend(opts.exclude.iter().cloned());
        scope.exclude.extend(config.exclude.iter().cloned());
        let today = opts.today.unwrap_or_else(crate::policy::check::today);
        let outcome = crate::policy::run_scoped(&config, &root_dir, &policies, today, &scope)?;
        for p in &outcome.facts.problems {
            warnings.push(Warning {
                path: if p.line > 0 {
                    format!("{}:{}", p.path, p.line)
                } else {
                    p.path.clone()
                },
                message: if p.note {
                    format!("note: {}", p.message)
                } else {
                    p.message.clone()
                },
            });
        }
        merge(&mut stats.suppressed, outcome.suppressed);
        let f = &outcome.facts;
        stats.policy = Some(PolicyStats {
            policies: policies.len(),
            files: f.files,
            references: f.refs.len(),
            secrets: f.secrets.len(),
            stores: f.stores.len(),
            grants: f.grants.len(),
            certificates: f.certificates.len(),
            violations: outcome.findings.len(),
        });
        findings.extend(outcome.findings);
    }
    findings.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    if let Some((path, b)) = &baseline {
        // One clock for every date check: `--now` when given, else today (UTC).
        let today = opts.today.unwrap_or_else(crate::policy::check::today);
        let applied = b.apply(
            &mut findings,
            (today.year() as u16, today.month() as u8, today.day() as u8),
        );
        if applied.suppressed > 0 {
            stats
                .suppressed
                .insert(Suppression::Baseline, applied.suppressed);
        }
        let name = path.display().to_string();
        for e in &applied.expired {
            warnings.push(Warning {
                path: name.clone(),
                message: format!(
                    "baseline entry for `{}` in {} expired on {}: it no longer suppresses",
                    e.rule,
                    e.path,
                    e.expires.map(|d| d.to_string()).unwrap_or_default()
                ),
            });
        }
        if opts.report_unused {
            for e in &applied.unused {
                warnings.push(Warning {
                    path: name.clone(),
                    message: format!(
                        "unused baseline entry {} (`{}` in {}): nothing matches it any more; remove it",
                        e.fingerprint, e.rule, e.path
                    ),
                });
            }
        }
    }
    if let Some(v) = &opts.verify {
        let mut v = v.clone();
        v.hosts.extend(config.verify_hosts.iter().cloned());
        let vs = crate::verify::run(&mut findings, &v)?;
        warnings.extend(vs.notes.iter().map(|n| Warning {
            path: "--verify".into(),
            message: n.clone(),
        }));
        if opts.only_verified {
            findings.retain(Finding::is_live);
        }
        stats.verify = Some(vs);
    }
    warnings.sort();
    stats.elapsed = started.elapsed();
    Ok(ScanReport {
        root: root_display,
        findings,
        stats,
        warnings,
        fail_on,
        rules: config.rules,
        category,
        live_only_blocks: opts.fail_on_verified,
    })
}

/// `requested`, or one per core for 0.
pub fn thread_count(requested: usize) -> usize {
    if requested == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        requested
    }
}

fn pool(threads: usize) -> Result<rayon::ThreadPool, Error> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Usage(format!("cannot start {threads} threads: {e}")))
}

/// The delta-base cache of each history scanning thread.
const SCANNER_DELTA_CACHE: usize = 24 << 20;

/// Scan every distinct blob of a repository's history once, in parallel, and attribute the
/// findings to the commit and path that introduced each blob.
#[allow(clippy::too_many_arguments)]
fn scan_history(
    config: &Config,
    path: &std::path::Path,
    hopts: &git::HistoryOptions,
    exclude: &[String],
    max: u64,
    threads: usize,
    progress: Option<&dyn Progress>,
    stats: &mut Stats,
    warnings: &mut Vec<Warning>,
) -> Result<(Vec<Finding>, HistoryStats), Error> {
    let repo = git::open(path)?;
    let excluded = exclude_matcher(exclude)?;
    let sync = repo.clone().into_sync();
    if let Some(p) = progress {
        p.start(0, "blobs");
    }
    // The walk (one thread) finds blobs in commit order and hands each to the scanners
    // (the pool) at once, so reading and scanning overlap the tree walk.
    let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, gix::hash::ObjectId, String)>(1 << 14);
    let pool = pool(threads)?;
    let done = std::sync::atomic::AtomicBool::new(false);
    let (index, results) = std::thread::scope(|s| {
        // Once a second, drop the pack pages read so far from the resident set (see
        // `source::resident`): the pack is read once, front to back and at random, and would
        // otherwise stay resident whole until the end.
        s.spawn(|| {
            use std::sync::atomic::Ordering;
            let mut ticks = 0u32;
            while !done.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(50));
                ticks += 1;
                if ticks % 20 == 0 {
                    crate::source::resident::release_pack_pages();
                }
            }
        });
        let walker = s.spawn(|| {
            let repo = sync.to_thread_local();
            let tx = tx;
            git::enumerate_with(&repo, hopts, &mut |bi, site| {
                if let Some(p) = progress {
                    p.add_total(1);
                }
                let _ = tx.send((bi, site.id, site.path.clone()));
            })
        });
        let results: Vec<BlobResult> = pool.install(|| {
            rx.into_iter()
                .par_bridge()
                .map_init(
                    || {
                        // Each scanner's delta-base cache: gix's default is 96 MiB a thread,
                        // which on a large history is most of the heap; blobs are read once
                        // each, so a smaller one costs little (BENCHMARKS.md §2e).
                        let mut repo = sync.to_thread_local();
                        repo.objects.set_pack_cache(|| {
                            Box::new(gix::odb::pack::cache::lru::StaticLinkedList::<64>::new(
                                SCANNER_DELTA_CACHE,
                            ))
                        });
                        (repo, Work::default(), Vec::new())
                    },
                    |(repo, work, buf), (bi, id, path)| {
                        scan_history_blob(config, repo, &excluded, max, bi, id, &path, work, buf)
                    },
                )
                .inspect(|r| {
                    if let Some(p) = progress {
                        p.advance(match r {
                            BlobResult::Scanned(_, n, ..) => *n,
                            _ => 0,
                        });
                    }
                })
                .collect()
        });
        let index = walker.join();
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        (index.expect("the history walk does not panic"), results)
    });
    let index = index?;
    warnings.extend(index.warnings.iter().map(|(p, m)| Warning {
        path: p.clone(),
        message: m.clone(),
    }));
    if index.submodules > 0 {
        warnings.push(Warning {
            path: path.display().to_string(),
            message: format!(
                "{} submodule paths were not descended into (scan each submodule's repository on its own)",
                index.submodules
            ),
        });
    }
    if let Some(p) = progress {
        p.finish();
    }
    let mut first: std::collections::HashMap<String, (Option<u32>, usize)> = Default::default();
    let mut findings: Vec<(Option<u32>, usize, Finding)> = Vec::new();
    for r in results {
        match r {
            BlobResult::Scanned(bi, n, mut r) => {
                // Expansion warnings name the blob's path; say which blob it was.
                for (_, m) in &mut r.warnings {
                    *m = format!("{m} (blob {})", index.blobs[bi].id.to_hex_with_len(12));
                }
                let f = std::mem::take(&mut r.findings);
                stats.add(n, &r, warnings);
                let site = &index.blobs[bi];
                for mut x in f {
                    x.also_in = site.also_in;
                    // Unattributed (unreachable) blobs sort after every commit.
                    let order = site.commit;
                    match first.get_mut(&x.fingerprint) {
                        Some((best, at)) => {
                            let kept = &mut findings[*at];
                            kept.2.versions += 1;
                            if order.unwrap_or(u32::MAX) < best.unwrap_or(u32::MAX) {
                                let versions = kept.2.versions;
                                x.versions = versions;
                                *kept = (order, bi, x);
                                *best = order;
                            }
                        }
                        None => {
                            first.insert(x.fingerprint.clone(), (order, findings.len()));
                            findings.push((order, bi, x));
                        }
                    }
                }
            }
            BlobResult::Skipped(reason) => *stats.skipped.entry(reason).or_default() += 1,
            BlobResult::Unreadable(path, message) => {
                *stats.skipped.entry(SkipReason::Unreadable).or_default() += 1;
                warnings.push(Warning { path, message });
            }
            BlobResult::Excluded => {}
        }
    }
    // A range reports what its commits add: a secret the base side already had at the same
    // path is not new, even when the file around it changed.
    if !index.boundary.is_empty() {
        findings.retain(|(_, _, f)| {
            !index.boundary.iter().any(|&c| {
                git::commit_file_contains(
                    &repo,
                    c,
                    &f.location.path,
                    f.encoded.as_deref().unwrap_or(&f.secret).as_bytes(),
                )
            })
        });
    }
    // A range's findings point at HEAD's version of the file where the secret is still there
    // (that is where a reviewer can fix it); otherwise at the introducing version.
    if let Some((_, head)) = &hopts.range {
        let head = git::resolve(&repo, head)?;
        let mut files: std::collections::HashMap<String, Option<Vec<u8>>> = Default::default();
        for (_, _, f) in &mut findings {
            let content = files
                .entry(f.location.path.clone())
                .or_insert_with(|| git::file_at(&repo, head, &f.location.path));
            if let Some(text) = content {
                relocate(f, text);
            }
        }
    }
    // Attribution, only for the blobs that kept findings.
    let mut infos: std::collections::HashMap<u32, std::sync::Arc<git::CommitInfo>> =
        Default::default();
    let findings = findings
        .into_iter()
        .map(|(order, _, mut f)| {
            f.commit = order.map(|ci| {
                infos
                    .entry(ci)
                    .or_insert_with(|| {
                        std::sync::Arc::new(git::commit_info(&repo, index.commits[ci as usize].id))
                    })
                    .clone()
            });
            f
        })
        .collect();
    let history = HistoryStats {
        refs: index.refs,
        commits: index.commits.len(),
        blobs: index.blobs.len(),
        shallow: index.shallow,
        submodules: index.submodules,
        head: repo.head_id().ok().map(|id| id.to_string()),
        remote_url: repo.find_remote("origin").ok().and_then(|r| {
            r.url(gix::remote::Direction::Fetch)
                .map(|u| without_credentials(&u.to_bstring().to_string()))
        }),
    };
    Ok((findings, history))
}

/// Move `f` to where its secret is in `text` (another version of the same file), if there.
fn relocate(f: &mut Finding, text: &[u8]) {
    let needle = f.encoded.as_deref().unwrap_or(&f.secret);
    let Some(start) = memchr::memmem::find(text, needle.as_bytes()) else {
        return;
    };
    let end = start + needle.len();
    let (location, line_text) = blob::span_location(
        &mut blob::LineIndex::new(text),
        &f.location.path,
        start,
        end,
    );
    f.location = location;
    f.line_text = line_text;
}

/// A remote URL with any `user:password@` removed: reports must not carry credentials.
fn without_credentials(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}{}", &url[..s + 3], &url[at + 1..]),
        _ => url.to_string(),
    }
}

/// Scan the staged version of every file the index changes, keeping findings on the lines
/// the change adds: an old secret elsewhere in a file does not block an unrelated commit.
fn scan_staged(
    config: &Config,
    path: &std::path::Path,
    max: u64,
    stats: &mut Stats,
    warnings: &mut Vec<Warning>,
) -> Result<Vec<Finding>, Error> {
    use gix::objs::Find;
    let repo = git::open(path)?;
    let st = crate::source::staged::staged(&repo)?;
    let (mut work, mut buf) = (Work::default(), Vec::new());
    let mut findings = Vec::new();
    let read = |id: &gix::hash::ObjectId, buf: &mut Vec<u8>| -> Result<Vec<u8>, String> {
        match repo.objects.try_find(id, buf) {
            Ok(Some(d)) => Ok(d.data.to_vec()),
            Ok(None) => Err(format!(
                "staged blob {id} is missing from the object database"
            )),
            Err(e) => Err(format!("staged blob {id} cannot be read: {e}")),
        }
    };
    for file in &st.files {
        let data = match read(&file.id, &mut buf) {
            Ok(d) => d,
            Err(message) => {
                *stats.skipped.entry(SkipReason::Unreadable).or_default() += 1;
                warnings.push(Warning {
                    path: file.path.clone(),
                    message,
                });
                continue;
            }
        };
        if data.len() as u64 > max {
            *stats.skipped.entry(SkipReason::TooLarge).or_default() += 1;
            continue;
        }
        let mut r = blob::scan_bytes(config, &file.path, &data, &mut work);
        let found = std::mem::take(&mut r.findings);
        stats.add(data.len() as u64, &r, warnings);
        if found.is_empty() {
            continue;
        }
        let old: Vec<Vec<u8>> = file
            .old
            .iter()
            .filter_map(|id| read(id, &mut buf).ok())
            .collect();
        let added = crate::source::staged::added_lines(&data, &old);
        // Lines are the staged file's own; an archive member's lines are not, and the whole
        // archive is what the commit adds.
        findings.extend(
            found
                .into_iter()
                .filter(|f| f.location.path != file.path || added.contains(&f.location.line)),
        );
    }
    Ok(findings)
}

/// The policy scope of `--staged`: the staged files, with their staged text.
fn staged_scope(path: &std::path::Path) -> Result<crate::policy::Scope, Error> {
    use gix::objs::Find;
    let repo = git::open(path)?;
    let st = crate::source::staged::staged(&repo)?;
    let mut buf = Vec::new();
    let mut scope = crate::policy::Scope {
        only: Some(st.files.iter().map(|f| f.path.clone()).collect()),
        ..Default::default()
    };
    for f in &st.files {
        if let Ok(Some(d)) = repo.objects.try_find(&f.id, &mut buf) {
            scope.overlay.insert(f.path.clone(), d.data.to_vec());
        }
    }
    Ok(scope)
}

/// The policy scope of `--range BASE..HEAD`: the files changed between the merge base and
/// HEAD (the pull request's own changes), read from the working tree.
fn range_scope(
    path: &std::path::Path,
    base: &str,
    head: &str,
) -> Result<crate::policy::Scope, Error> {
    let repo = git::open(path)?;
    let fail = |what: &str, e: &dyn std::fmt::Display| Error::Io {
        path: path.display().to_string(),
        reason: format!("{what}: {e}"),
    };
    let id = |rev: &str| {
        repo.rev_parse_single(rev)
            .map(|i| i.detach())
            .map_err(|e| fail(&format!("cannot resolve `{rev}`"), &e))
    };
    let (b, h) = (id(base)?, id(head)?);
    let from = repo
        .merge_base(b, h)
        .ok()
        .flatten()
        .map_or(b, |i| i.detach());
    let tree = |c: gix::hash::ObjectId| {
        let commit = repo
            .find_commit(c)
            .map_err(|e| fail("cannot read a commit", &e))?;
        commit
            .tree()
            .map_err(|e| fail("cannot read a commit's tree", &e))
    };
    let (old, new) = (tree(from)?, tree(h)?);
    let changes = repo
        .diff_tree_to_tree(&old, &new, None)
        .map_err(|e| fail("cannot diff the range", &e))?;
    Ok(crate::policy::Scope {
        only: Some(changes.iter().map(|c| c.location().to_string()).collect()),
        ..Default::default()
    })
}

/// Read one blob and scan it.
#[allow(clippy::too_many_arguments)]
fn scan_history_blob(
    config: &Config,
    repo: &gix::Repository,
    excluded: &Option<ignore::gitignore::Gitignore>,
    max: u64,
    bi: usize,
    id: gix::hash::ObjectId,
    path: &str,
    work: &mut Work,
    buf: &mut Vec<u8>,
) -> BlobResult {
    use gix::objs::Find;
    if excluded
        .as_ref()
        .is_some_and(|g| g.matched_path_or_any_parents(path, false).is_ignore())
    {
        return BlobResult::Excluded;
    }
    let data = match repo.objects.try_find(&id, buf) {
        Ok(Some(d)) => d.data,
        Ok(None) => {
            return BlobResult::Unreadable(
                id.to_string(),
                format!("blob at `{path}` is missing from the object database"),
            )
        }
        Err(e) => {
            return BlobResult::Unreadable(
                id.to_string(),
                format!("blob at `{path}` cannot be read: {e}"),
            )
        }
    };
    if data.len() as u64 > max {
        return BlobResult::Skipped(SkipReason::TooLarge);
    }
    BlobResult::Scanned(
        bi,
        data.len() as u64,
        blob::scan_bytes(config, path, data, work),
    )
}

enum BlobResult {
    Scanned(usize, u64, Scanned),
    Skipped(SkipReason),
    Unreadable(String, String),
    Excluded,
}

/// Exclude globs (gitignore syntax) matched against history paths.
fn exclude_matcher(globs: &[String]) -> Result<Option<ignore::gitignore::Gitignore>, Error> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut b = ignore::gitignore::GitignoreBuilder::new("");
    for g in globs {
        b.add_line(None, g)
            .map_err(|e| Error::Usage(format!("invalid exclude glob `{g}`: {e}")))?;
    }
    b.build()
        .map(Some)
        .map_err(|e| Error::Usage(format!("invalid exclude globs: {e}")))
}

/// Anchored excludes for the configuration and rule files that live inside the scan root.
fn own_files_under(root: &std::path::Path, config: &Config) -> Vec<String> {
    files_under(root, config.own_files.iter().map(PathBuf::as_path))
}

/// Anchored exclude globs for those of `files` that live inside `root`.
fn files_under<'a>(
    root: &std::path::Path,
    files: impl IntoIterator<Item = &'a std::path::Path>,
) -> Vec<String> {
    let Ok(root) = root.canonicalize() else {
        return Vec::new();
    };
    files
        .into_iter()
        .filter_map(|f| f.canonicalize().ok())
        .filter_map(|f| {
            f.strip_prefix(&root)
                .ok()
                .map(|r| format!("/{}", fs::relative(&root, &root.join(r))))
        })
        .collect()
}

enum FileResult {
    Scanned(u64, Scanned),
    Skipped(String, SkipReason, Option<String>),
}

/// One file of the tree: skipped when over `max` (asked for), streamed when over the
/// in-memory size, else read whole.
fn scan_entry(
    config: &Config,
    entry: &fs::FileEntry,
    max: u64,
    work: &mut Work,
    buf: &mut Vec<u8>,
) -> FileResult {
    if entry.size > max {
        return FileResult::Skipped(entry.rel.clone(), SkipReason::TooLarge, None);
    }
    if entry.size > blob::IN_MEMORY {
        return match blob::scan_file(config, &entry.rel, &entry.abs, entry.size, work) {
            Ok(r) => FileResult::Scanned(entry.size, r),
            Err(e) => FileResult::Skipped(entry.rel.clone(), SkipReason::Unreadable, Some(e)),
        };
    }
    match fs::read_whole(entry, buf) {
        Ok(()) => FileResult::Scanned(
            buf.len() as u64,
            blob::scan_bytes(config, &entry.rel, buf, work),
        ),
        Err(e) => FileResult::Skipped(entry.rel.clone(), SkipReason::Unreadable, Some(e)),
    }
}

fn merge(into: &mut BTreeMap<Suppression, usize>, from: BTreeMap<Suppression, usize>) {
    for (k, v) in from {
        *into.entry(k).or_default() += v;
    }
}
