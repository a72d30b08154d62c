//! The `keyguard` binary: parse arguments, call one library function per subcommand, print,
//! and map the outcome to the exit code (0 clean, 1 blocking findings, 2 errors).

mod cli;

use clap::Parser;
use cli::{
    BaselineCommand, Cli, Command, HookCommand, ImportArgs, ImportCommand, PolicyArgs,
    PolicyCommand, RulesCommand, ScanArgs, SweepArgs,
};
use keyguard::report::{self, Format};
use keyguard::rules::{self, RuleSet};
use keyguard::scan::Progress;
use keyguard::{Error, ScanOptions, Target};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            let _ = miette::set_hook(Box::new(|_| {
                Box::new(
                    miette::MietteHandlerOpts::new()
                        .terminal_links(false)
                        .build(),
                )
            }));
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &Error) -> bool {
    matches!(err, Error::Io { reason, .. } if reason.contains("Broken pipe"))
}

fn run(cli: Cli) -> Result<ExitCode, Error> {
    match cli.command {
        Command::Scan(args) => scan(args),
        Command::Rules(RulesCommand::List {
            family,
            families,
            config,
            format,
        }) => rules_list(family, families, config.as_deref(), format),
        Command::Rules(RulesCommand::Check { files }) => rules_check(files),
        Command::Baseline(BaselineCommand::Create(args)) => baseline_create(args),
        Command::Hook(cmd) => hook(cmd),
        Command::Refs { path, format } => refs(path, format),
        Command::Policy {
            init: Some(PolicyCommand::Init { path, output }),
            ..
        } => policy_init(&path, &output),
        Command::Policy { init: None, args } => policy(args),
        Command::Import(ImportCommand::Gitleaksignore(a)) => {
            let places = keyguard::import::read_gitleaksignore(&a.file)?;
            import_places(a, places, "imported from .gitleaksignore")
        }
        Command::Import(ImportCommand::Gitleaks { file, output }) => {
            if output.exists() {
                return Err(Error::Usage(format!(
                    "{} already exists; not replacing it (choose another --output and merge by hand)",
                    output.display()
                )));
            }
            let t = keyguard::import::gitleaks_config(&file)?;
            keyguard::report::write_atomic(&output, t.config.as_bytes())?;
            for u in &t.untranslated {
                eprintln!("not translated: {u}");
            }
            eprintln!(
                "keyguard: wrote {} with {} rule{} from {} ({} item{} not translated, listed above and in the file)",
                output.display(),
                t.rules,
                if t.rules == 1 { "" } else { "s" },
                file.display(),
                t.untranslated.len(),
                if t.untranslated.len() == 1 { "" } else { "s" }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Sweep(args) => sweep(args),
        Command::SweepOne { job } => {
            let job: keyguard::sweep::Job = serde_json::from_str(&job)
                .map_err(|e| Error::Usage(format!("sweep-one: bad job: {e}")))?;
            Ok(match keyguard::sweep::one::run(&job)? {
                keyguard::sweep::one::Done::Written => ExitCode::SUCCESS,
                keyguard::sweep::one::Done::Unchanged => {
                    ExitCode::from(keyguard::sweep::CHILD_UNCHANGED as u8)
                }
            })
        }
        Command::Merge { dirs, out } => {
            let m = keyguard::sweep::merge::load(&dirs)?;
            for w in &m.warnings {
                eprintln!(
                    "warning: {}",
                    keyguard::report::terminal_safe(&w.to_string())
                );
            }
            let files = keyguard::sweep::merge::write(&m, &out)?;
            eprintln!(
                "keyguard merge: {} repositories ({} failed), {} findings -> {}",
                m.results.len(),
                m.failed().count(),
                m.findings(),
                files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { dirs, html, now } => {
            let m = keyguard::sweep::merge::load(&dirs)?;
            for w in &m.warnings {
                eprintln!(
                    "warning: {}",
                    keyguard::report::terminal_safe(&w.to_string())
                );
            }
            let now = match now {
                Some(d) => jiff::tz::TimeZone::UTC
                    .to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                    .map_or(0, |t| t.as_second().max(0) as u64),
                None => keyguard::sweep::state::now(),
            };
            let page = keyguard::sweep::html::render(&m, now);
            keyguard::report::write_atomic(&html, page.as_bytes())?;
            eprintln!(
                "keyguard report: {} repositories, {} findings -> {}",
                m.results.len(),
                m.findings(),
                html.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify {
            report,
            root,
            output,
            net,
        } => {
            let v =
                keyguard::verify::saved::verify_report(&report, root.as_deref(), &net.options())?;
            for n in &v.stats.notes {
                eprintln!("warning: {}", keyguard::report::terminal_safe(n));
            }
            for (path, why) in &v.missing {
                eprintln!(
                    "warning: {}: not verified: {}",
                    keyguard::report::terminal_safe(path),
                    keyguard::report::terminal_safe(why)
                );
            }
            let mut text = serde_json::to_string_pretty(&v.report).expect("serialises");
            text.push('\n');
            emit(&text, output.as_deref())?;
            let s = &v.stats;
            eprintln!(
                "keyguard verify: {} secret{} checked: {} live, {} invalid, {} unknown; {} not verifiable, {} not found again",
                s.checked,
                if s.checked == 1 { "" } else { "s" },
                s.live,
                s.invalid,
                s.unknown,
                s.not_verifiable,
                v.missing.len()
            );
            Ok(if s.live > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Import(ImportCommand::DetectSecrets(a)) => {
            let places = keyguard::import::read_detect_secrets(&a.file)?;
            import_places(a, places, "imported from detect-secrets baseline")
        }
    }
}

fn scan(args: ScanArgs) -> Result<ExitCode, Error> {
    let opts = scan_options(&args)?;
    let report = keyguard::scan(&opts)?;
    let code = finish(
        &report,
        args.format,
        args.output.as_deref(),
        args.show_secrets,
        args.quiet,
    );
    // The process ends here: freeing the compiled rules one by one would cost a one-file
    // scan ~7 % of its run time for nothing.
    std::mem::forget(report);
    code
}

/// Warnings, the report, the summary, the exit code: the same for every job.
fn finish(
    report: &keyguard::ScanReport,
    format: Format,
    output: Option<&Path>,
    show_secrets: bool,
    quiet: bool,
) -> Result<ExitCode, Error> {
    if !quiet {
        for w in &report.warnings {
            eprintln!(
                "warning: {}: {}",
                keyguard::report::terminal_safe(&w.path),
                keyguard::report::terminal_safe(&w.message)
            );
        }
    }
    let rendered = report::render(report, format, show_secrets);
    emit(&rendered, output)?;
    let summary_in_report = format == Format::Text && output.is_none();
    if !quiet && !summary_in_report {
        eprintln!("{}", report::text::summary(report));
    }
    // A gate must not pass on a partial scan: files or git objects that could not be read
    // (each named in a warning) make the exit code 3 when nothing blocking was found.
    Ok(if report.blocking() > 0 {
        ExitCode::from(1)
    } else if report.partial() {
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// `keyguard sweep`: exit 0 clean, 1 blocking findings, 3 failed repositories, 4 both.
fn sweep(args: SweepArgs) -> Result<ExitCode, Error> {
    use keyguard::sweep::{self, SweepOptions};
    let (repos, warnings, input) = match (&args.repos, &args.root) {
        (Some(f), _) => {
            let (r, w) = sweep::read_repo_list(f)?;
            (r, w, format!("--repos {}", f.display()))
        }
        (None, Some(d)) => {
            let (r, w) = sweep::discover(d)?;
            (r, w, format!("--root {}", d.display()))
        }
        (None, None) => {
            use sweep::forge::{self, Forge};
            let (f, env) = if let Some(o) = &args.github_org {
                (Forge::GitHubOrg(o.clone()), "GITHUB_TOKEN")
            } else if let Some(u) = &args.github_user {
                (Forge::GitHubUser(u.clone()), "GITHUB_TOKEN")
            } else if let Some(g) = &args.gitlab_group {
                (Forge::GitLabGroup(g.clone()), "GITLAB_TOKEN")
            } else if let Some(a) = &args.azure_devops {
                (Forge::AzureDevOps(a.clone()), "AZURE_DEVOPS_TOKEN")
            } else if let Some(w) = &args.bitbucket_workspace {
                (Forge::BitbucketWorkspace(w.clone()), "BITBUCKET_TOKEN")
            } else {
                unreachable!("clap requires an input")
            };
            let listed = forge::list(
                &f,
                &forge::ListOptions {
                    api: args.api_url.clone(),
                    token: std::env::var(env).ok().filter(|t| !t.is_empty()),
                    include: args.include_repo.clone(),
                    exclude: args.exclude_repo.clone(),
                    archived: args.archived,
                    forks: args.forks,
                    pushed_since: args.pushed_since.clone(),
                    visibility: args.visibility.clone(),
                    resume: Some(args.out.join("listing.partial.json")),
                    max_wait: args.max_wait,
                    ca_certs: args.verify_net.ca_cert.clone(),
                    ..Default::default()
                },
            )?;
            // The listing is the sweep's repos file: a re-run, a shard or a resume reads
            // exactly this (`--repos <out>/repos.txt`).
            let mut text = format!("# {} repositories listed from {f:?}\n", listed.len());
            for l in &listed {
                text.push_str(&l.clone_url);
                text.push('\n');
            }
            std::fs::create_dir_all(&args.out).map_err(|e| Error::io(&args.out, &e))?;
            let file = args.out.join("repos.txt");
            keyguard::report::write_atomic(&file, text.as_bytes())?;
            if args.list_only {
                if !args.quiet {
                    eprintln!(
                        "keyguard sweep: {} repositories listed -> {}",
                        listed.len(),
                        file.display()
                    );
                }
                return Ok(ExitCode::SUCCESS);
            }
            let (r, w) = sweep::read_repo_list(&file)?;
            (r, w, format!("--repos {}", file.display()))
        }
    };
    if !args.quiet {
        for w in &warnings {
            eprintln!(
                "warning: {}",
                keyguard::report::terminal_safe(&w.to_string())
            );
        }
    }
    let exe = std::env::current_exe().map_err(|e| Error::io("keyguard", &e))?;
    let opts = SweepOptions {
        repos,
        input,
        cache: args.cache.clone().unwrap_or_else(|| args.out.join("cache")),
        out: args.out.clone(),
        jobs: args.jobs,
        shard: args.shard,
        head_only: args.head_only,
        depth: args.depth,
        policies: args.policies.clone(),
        force: args.force,
        repo_timeout: args.repo_timeout,
        fail_on: args.fail_on.unwrap_or(keyguard::Severity::Low),
        verify: args.verify.then(|| args.verify_net.options()),
        exe,
        progress: (!args.quiet && std::io::stderr().is_terminal()).then(|| {
            std::sync::Arc::new(SweepBar::default()) as std::sync::Arc<dyn sweep::SweepProgress>
        }),
    };
    let s = sweep::sweep(&opts)?;
    if !args.quiet {
        for (name, error) in &s.failed {
            if error.starts_with(name.as_str()) {
                eprintln!("failed: {error}");
            } else {
                eprintln!("failed: {name}: {error}");
            }
        }
        eprintln!(
            "keyguard sweep: {} repositories{}: {} scanned, {} unchanged, {} failed; {} findings ({} blocking at or above {}), {} policy violations; {} scanned in {:.1}s -> {}",
            s.repos,
            args.shard.map(|k| format!(" (shard {k})")).unwrap_or_default(),
            s.scanned,
            s.unchanged,
            s.failed.len(),
            s.findings,
            s.blocking,
            opts.fail_on,
            s.policy_violations,
            report::human_bytes(s.bytes_scanned),
            s.elapsed_secs,
            args.out.display()
        );
    }
    Ok(ExitCode::from(
        match (s.blocking > 0, !s.failed.is_empty()) {
            (false, false) => 0,
            (true, false) => 1,
            (false, true) => 3,
            (true, true) => 4,
        },
    ))
}

/// The sweep's progress bar on stderr: repositories done / total, findings so far, bytes
/// scanned, MB/s and the estimated time left.
struct SweepBar {
    bar: indicatif::ProgressBar,
    findings: AtomicU64,
    bytes: AtomicU64,
    failed: AtomicU64,
    started: Instant,
}

impl Default for SweepBar {
    fn default() -> Self {
        SweepBar {
            bar: indicatif::ProgressBar::with_draw_target(
                None,
                indicatif::ProgressDrawTarget::stderr_with_hz(4),
            ),
            findings: AtomicU64::new(0),
            bytes: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

impl keyguard::sweep::SweepProgress for SweepBar {
    fn start(&self, total: u64) {
        self.bar.set_length(total);
        self.bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} {pos}/{len} repos {wide_bar} {msg} ETA {eta}",
            )
            .expect("valid template"),
        );
        self.bar
            .enable_steady_tick(std::time::Duration::from_millis(250));
    }

    fn repo_done(
        &self,
        _name: &str,
        outcome: keyguard::sweep::Outcome,
        findings: usize,
        bytes: u64,
    ) {
        let f = self.findings.fetch_add(findings as u64, Ordering::Relaxed) + findings as u64;
        let b = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        let failed = self.failed.load(Ordering::Relaxed)
            + u64::from(outcome == keyguard::sweep::Outcome::Failed);
        self.failed.store(failed, Ordering::Relaxed);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar.set_message(format!(
            "{f} findings · {failed} failed · {} ({:.0} MB/s)",
            report::human_bytes(b),
            b as f64 / secs / 1e6
        ));
        self.bar.inc(1);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn hook(cmd: HookCommand) -> Result<ExitCode, Error> {
    use keyguard::hook::{self, Outcome};
    let outcome = match cmd {
        HookCommand::Install { repo, chain } => {
            let exe = std::env::current_exe().map_err(|e| Error::io("keyguard", &e))?;
            hook::install(&repo, &exe, chain)?
        }
        HookCommand::Uninstall { repo } => hook::uninstall(&repo)?,
    };
    let msg = match outcome {
        Outcome::Installed(p) => format!("installed the keyguard pre-commit hook at {}", p.display()),
        Outcome::Chained { hook, previous } => format!(
            "installed the keyguard pre-commit hook at {}; the existing hook was moved to {} and runs first",
            hook.display(),
            previous.display()
        ),
        Outcome::Removed(p) => format!("removed the keyguard pre-commit hook {}", p.display()),
        Outcome::Restored(p) => format!("removed the keyguard hook and restored the previous hook at {}", p.display()),
        Outcome::NothingToRemove(p) => format!("no hook at {}; nothing to remove", p.display()),
    };
    eprintln!("keyguard: {msg}");
    Ok(ExitCode::SUCCESS)
}

fn policy(args: PolicyArgs) -> Result<ExitCode, Error> {
    let mut opts = ScanOptions::new(Target::Paths(vec![args.path.clone()]));
    opts.config = args.config.clone();
    opts.fail_on = args.fail_on;
    opts.baseline = args.baseline.clone();
    opts.report_unused = args.report_unused;
    opts.policies = args.policies.clone();
    opts.detect = false;
    opts.today = args.now;
    if !args.path.is_dir() {
        return Err(Error::Usage(format!(
            "`keyguard policy` checks a directory; `{}` is not one",
            args.path.display()
        )));
    }
    let report = keyguard::scan(&opts)?;
    finish(
        &report,
        args.format,
        args.output.as_deref(),
        false,
        args.quiet,
    )
}

fn policy_init(path: &Path, output: &Path) -> Result<ExitCode, Error> {
    if output.exists() {
        return Err(Error::Usage(format!(
            "{} exists; keyguard never overwrites it (choose another --output)",
            output.display()
        )));
    }
    let facts = keyguard::policy::refs::inventory(path.to_path_buf())?;
    print_problems(&facts.problems);
    let text = keyguard::policy::init::starter(&facts);
    report::write_atomic(output, text.as_bytes())?;
    eprintln!(
        "keyguard: wrote {} from {} references, {} declared secrets and {} stores; review it, then run `keyguard policy --policy {}`",
        output.display(),
        facts.refs.len(),
        facts.secrets.len(),
        facts.stores.len(),
        output.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Files the policy could not read as their format, and files skipped on purpose.
fn print_problems(problems: &[keyguard::policy::facts::Problem]) {
    for p in problems {
        let what = if p.note { "note" } else { "warning" };
        match p.line {
            0 => eprintln!("{what}: {}: {}", p.path, p.message),
            l => eprintln!("{what}: {}:{l}: {}", p.path, p.message),
        }
    }
}

fn refs(path: std::path::PathBuf, format: Format) -> Result<ExitCode, Error> {
    let facts = keyguard::policy::refs::inventory(path)?;
    print_problems(&facts.problems);
    let out = match format {
        Format::Json => serde_json::to_string_pretty(&facts).expect("facts serialise") + "\n",
        Format::Csv => report::refs::csv(&facts),
        Format::Text => report::refs::text(&facts),
        other => {
            return Err(Error::Usage(format!(
                "`keyguard refs` writes text, json or csv, not {other:?}"
            )))
        }
    };
    emit(&out, None)?;
    Ok(ExitCode::SUCCESS)
}

/// The baseline file to write (`--output`, default `.keyguard-baseline.toml`) and what it
/// holds now. An existing file must parse: its owners, reasons and expiry dates are kept, and
/// a corrupt one is never overwritten.
fn baseline_target(
    args: &ScanArgs,
) -> Result<
    (
        std::path::PathBuf,
        Option<keyguard::suppress::baseline::Baseline>,
    ),
    Error,
> {
    use keyguard::suppress::baseline::{Baseline, DEFAULT_FILE};
    let path = args
        .output
        .clone()
        .unwrap_or_else(|| std::path::PathBuf::from(DEFAULT_FILE));
    let previous = if path.exists() {
        Some(Baseline::load(&path)?)
    } else {
        None
    };
    Ok((path, previous))
}

/// Scan, then record the findings at `places` in the baseline.
fn import_places(
    a: ImportArgs,
    places: Vec<keyguard::import::Place>,
    reason: &str,
) -> Result<ExitCode, Error> {
    let (path, previous) = baseline_target(&a.scan)?;
    let mut opts = scan_options(&a.scan)?;
    opts.baseline = None;
    if a.file.is_relative() {
        // The imported file holds hashes and places, not secrets: do not scan it.
        opts.exclude.push(format!("/{}", a.file.display()));
    }
    let report = keyguard::scan(&opts)?;
    let (b, unmatched) =
        keyguard::import::baseline_for(&report.findings, &places, reason, previous.as_ref());
    keyguard::report::write_atomic(&path, b.to_toml().as_bytes())?;
    for p in &unmatched {
        eprintln!(
            "warning: {}: {}:{}{}: no keyguard finding at this place; not imported",
            a.file.display(),
            p.path,
            p.line,
            p.commit
                .as_ref()
                .map(|c| format!(" (commit {c})"))
                .unwrap_or_default()
        );
    }
    eprintln!(
        "keyguard: {} of {} entries in {} matched keyguard findings; {} now has {} entries",
        places.len() - unmatched.len(),
        places.len(),
        a.file.display(),
        path.display(),
        b.entries.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `baseline create`: scan, then write every finding to the baseline file.
fn baseline_create(args: ScanArgs) -> Result<ExitCode, Error> {
    use keyguard::suppress::baseline::Baseline;
    let (path, previous) = baseline_target(&args)?;
    let mut opts = scan_options(&args)?;
    opts.baseline = None;
    let report = keyguard::scan(&opts)?;
    if !args.quiet {
        for w in &report.warnings {
            eprintln!(
                "warning: {}: {}",
                keyguard::report::terminal_safe(&w.path),
                keyguard::report::terminal_safe(&w.message)
            );
        }
    }
    let b = Baseline::from_findings(&report.findings, previous.as_ref());
    keyguard::report::write_atomic(&path, b.to_toml().as_bytes())?;
    if !args.quiet {
        eprintln!(
            "keyguard: wrote {} entr{} to {}",
            b.entries.len(),
            if b.entries.len() == 1 { "y" } else { "ies" },
            path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn scan_options(args: &ScanArgs) -> Result<ScanOptions, Error> {
    let target = if args.history {
        let [path] = args.paths.as_slice() else {
            return Err(Error::Usage(
                "--history scans one repository: give one PATH".into(),
            ));
        };
        Target::History(
            path.clone(),
            keyguard::source::git::HistoryOptions {
                all_objects: args.all_objects,
                branch: args.branch.clone(),
                range: None,
                tip_only: false,
            },
        )
    } else if args.range.is_some() || args.since.is_some() {
        let [path] = args.paths.as_slice() else {
            return Err(Error::Usage(
                "--range scans one repository: give one PATH".into(),
            ));
        };
        let (base, head) = match (&args.range, &args.since) {
            (Some(r), _) => match r.split_once("..") {
                Some((b, h)) if !b.is_empty() => (
                    b.to_string(),
                    if h.is_empty() {
                        "HEAD".into()
                    } else {
                        h.to_string()
                    },
                ),
                _ => {
                    return Err(Error::Usage(format!(
                        "--range takes BASE..HEAD (e.g. origin/main..HEAD), not `{r}`"
                    )))
                }
            },
            (None, Some(since)) => (since.clone(), "HEAD".into()),
            (None, None) => unreachable!("checked above"),
        };
        Target::History(
            path.clone(),
            keyguard::source::git::HistoryOptions {
                range: Some((base, head)),
                ..Default::default()
            },
        )
    } else if args.staged {
        let [path] = args.paths.as_slice() else {
            return Err(Error::Usage(
                "--staged scans one repository: give one PATH".into(),
            ));
        };
        Target::Staged(path.clone())
    } else if args.paths.len() == 1 && args.paths[0].as_os_str() == "-" {
        Target::Stdin
    } else {
        Target::Paths(args.paths.clone())
    };
    let opts = ScanOptions {
        target,
        config: args.config.clone(),
        exclude: args.exclude.clone(),
        max_file_size: args.max_file_size,
        follow_symlinks: args.follow_symlinks,
        no_ignore: args.no_ignore,
        threads: args.threads,
        fail_on: args.fail_on,
        progress: (!args.quiet && std::io::stderr().is_terminal())
            .then(|| std::sync::Arc::new(Bar::default()) as std::sync::Arc<dyn Progress>),
        baseline: args.baseline.clone(),
        report_unused: args.report_unused,
        policies: args.policies.clone(),
        detect: true,
        today: args.now,
        archives: match (args.archives, args.no_archives) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        },
        max_archive_depth: args.max_archive_depth,
        max_decode_depth: args.max_decode_depth,
        verify: args.verify.options(),
        only_verified: args.verify.only_verified,
        fail_on_verified: args.verify.fail_on_verified,
    };
    Ok(opts)
}

/// A progress bar on stderr (only when it is a terminal): items done / total, bytes and MB/s.
/// It appears after half a second, so quick scans print nothing.
struct Bar {
    bar: indicatif::ProgressBar,
    bytes: AtomicU64,
    started: Instant,
}

impl Default for Bar {
    fn default() -> Self {
        Bar {
            bar: indicatif::ProgressBar::hidden(),
            bytes: AtomicU64::new(0),
            started: Instant::now(),
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: u64, unit: &'static str) {
        self.bar.set_length(total);
        self.bar.set_style(
            indicatif::ProgressStyle::with_template(&format!(
                "{{spinner}} {{pos}}/{{len}} {unit} {{wide_bar}} {{msg}} ETA {{eta}}"
            ))
            .expect("valid template"),
        );
    }

    fn add_total(&self, n: u64) {
        self.bar.inc_length(n);
    }

    fn advance(&self, bytes: u64) {
        let total = self.bytes.fetch_add(bytes, Ordering::Relaxed) + bytes;
        self.bar.inc(1);
        let elapsed = self.started.elapsed().as_secs_f64();
        if self.bar.is_hidden() && elapsed > 0.5 {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr_with_hz(4));
        }
        if self.bar.position() % 256 == 0 {
            self.bar.set_message(format!(
                "{} ({:.0} MB/s)",
                report::human_bytes(total),
                total as f64 / elapsed.max(1e-3) / 1e6
            ));
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Print to stdout, or write `path` atomically (temp file in the same directory, then rename).
fn emit(text: &str, path: Option<&Path>) -> Result<(), Error> {
    match path {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|_| out.flush())
                .map_err(|e| Error::io("<stdout>", &e))
        }
        Some(p) => keyguard::report::write_atomic(p, text.as_bytes()),
    }
}

fn rules_list(
    family: Option<String>,
    families: bool,
    config: Option<&Path>,
    format: Format,
) -> Result<ExitCode, Error> {
    let set = match config {
        Some(c) => keyguard::config::Config::load(c)?.rules,
        None => RuleSet::defaults()?,
    };
    let rules: Vec<_> = set
        .rules
        .iter()
        .filter(|r| {
            family
                .as_ref()
                .is_none_or(|f| r.spec.family.eq_ignore_ascii_case(f))
        })
        .collect();
    let mut out = String::new();
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for r in &rules {
        *counts.entry(r.spec.family.as_str()).or_default() += 1;
    }
    if families {
        if format == Format::Json {
            let v: Vec<_> = counts
                .iter()
                .map(|(f, n)| serde_json::json!({ "family": f, "rules": n }))
                .collect();
            out = serde_json::to_string_pretty(&v).expect("json") + "\n";
        } else {
            let fw = counts.keys().map(|f| f.len()).max().unwrap_or(6);
            for (f, n) in &counts {
                out.push_str(&format!("{f:fw$}  {n}\n"));
            }
            out.push_str(&format!(
                "{} families, {} rules\n",
                counts.len(),
                rules.len()
            ));
        }
        emit(&out, None)?;
        return Ok(ExitCode::SUCCESS);
    }
    if format == Format::Json {
        let v: Vec<_> = rules
            .iter()
            .map(|r| {
                serde_json::json!({
                    "id": r.spec.id, "name": r.spec.name, "family": r.spec.family,
                    "severity": r.spec.severity, "confidence": r.spec.confidence,
                    "keywords": r.spec.keywords, "validator": r.spec.validator.map(|v| format!("{v:?}")),
                    "source": r.source,
                })
            })
            .collect();
        out = serde_json::to_string_pretty(&v).expect("json") + "\n";
    } else {
        let w = rules.iter().map(|r| r.spec.id.len()).max().unwrap_or(2);
        let fw = rules.iter().map(|r| r.spec.family.len()).max().unwrap_or(6);
        for r in &rules {
            out.push_str(&format!(
                "{:w$}  {:fw$}  {:8}  {}\n",
                r.spec.id,
                r.spec.family,
                r.spec.severity.as_str(),
                r.spec.name
            ));
        }
        out.push_str(&format!(
            "{} rules in {} families\n",
            rules.len(),
            counts.len()
        ));
    }
    emit(&out, None)?;
    Ok(ExitCode::SUCCESS)
}

fn rules_check(files: Vec<std::path::PathBuf>) -> Result<ExitCode, Error> {
    let rules = if files.is_empty() {
        rules::load_defaults()?
    } else {
        let mut all = Vec::new();
        for f in &files {
            all.extend(rules::load_rule_file(f)?);
        }
        all
    };
    let n = rules.len();
    let problems = rules::check_rules(rules);
    let mut out = String::new();
    for p in &problems {
        out.push_str(&format!("{}: rule `{}`: {}\n", p.file, p.rule, p.problem));
    }
    if problems.is_empty() {
        out.push_str(&format!("{n} rules checked, all examples behave\n"));
        emit(&out, None)?;
        Ok(ExitCode::SUCCESS)
    } else {
        out.push_str(&format!("{n} rules checked, {} problems\n", problems.len()));
        emit(&out, None)?;
        Ok(ExitCode::from(1))
    }
}
