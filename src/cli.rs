//! Command-line definitions only (clap). Behaviour lives in the library.

use clap::{Args, Parser, Subcommand};
use keyguard::report::Format;
use keyguard::Severity;
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "keyguard",
    version,
    about = "Fast, Git-native secrets scanner and secret-policy linter",
    after_help = "Exit codes: 0 nothing at or above the failing severity, 1 blocking findings, 2 usage, configuration or I/O error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan a directory tree, a file, or standard input (`-`) for hardcoded secrets.
    Scan(ScanArgs),
    /// List and check detection rules.
    #[command(subcommand)]
    Rules(RulesCommand),
    /// Install or remove a git pre-commit hook that runs `keyguard scan --staged`.
    #[command(subcommand)]
    Hook(HookCommand),
    /// List every secret reference in the configuration under PATH: format, file:line, store,
    /// secret name, version pin, consumer, environment (the inventory an auditor asks for).
    Refs {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// `text`, `json` or `csv`.
        #[arg(short, long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check the secret references, declarations, stores and grants under PATH against
    /// policy files (environment partitioning, naming, least privilege, lifecycle,
    /// certificates, transport, inventory, plaintext). Same reports, suppressions,
    /// baselines and exit codes as `scan`.
    #[command(args_conflicts_with_subcommands = true)]
    Policy {
        #[command(subcommand)]
        init: Option<PolicyCommand>,
        #[command(flatten)]
        args: PolicyArgs,
    },
    /// Verify the findings of a saved JSON report (`scan -f json -o FILE`): each secret is
    /// read again from the file or commit the report names and checked with its provider,
    /// as `scan --verify` does. Writes the report with `verification` filled in.
    #[command(
        after_help = "Exit codes: 0 no finding verified live, 1 one or more live, 2 usage, configuration or I/O error."
    )]
    Verify {
        /// The JSON report.
        report: PathBuf,
        /// The directory the report's paths are relative to (default: its `root`).
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Write the verified report to FILE (default: standard output).
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        net: VerifyNetArgs,
    },
    /// Migrate from gitleaks or detect-secrets.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Record the current findings so they stop blocking (`scan --baseline FILE`).
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// Sweep many repositories (an organisation): a history scan of each (and the policy
    /// check with --policy), a result file per repository in --out, resumable and shardable.
    #[command(
        after_help = "Exit codes: 0 every repository scanned and nothing at or above the failing severity, 1 blocking findings, 2 usage, configuration or I/O error (the sweep did not run), 3 one or more repositories failed (no blocking findings), 4 blocking findings and failed repositories."
    )]
    Sweep(SweepArgs),
    /// Merge sweep outputs (shards) into one SARIF (one run per repository), one JSON and
    /// one CSV: `merged.sarif`, `merged.json`, `merged.csv` in --out.
    Merge {
        /// Sweep output directories (`sweep --out`).
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// Where to write the merged files.
        #[arg(short, long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Write a self-contained HTML dashboard of sweep outputs (no network, no external assets).
    Report {
        /// Sweep output directories (`sweep --out`), or merged shard outputs.
        #[arg(required = true)]
        dirs: Vec<PathBuf>,
        /// The HTML file to write.
        #[arg(long, value_name = "FILE")]
        html: PathBuf,
        /// The date the page is generated at and finding ages count from (YYYY-MM-DD,
        /// midnight UTC; default now).
        #[arg(long, value_name = "DATE", value_parser = parse_date)]
        now: Option<jiff::civil::Date>,
    },
    /// Internal: one repository of a sweep (run by `keyguard sweep` in a child process).
    #[command(hide = true)]
    SweepOne {
        /// The job, as JSON.
        job: String,
    },
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["repos", "root", "github_org", "github_user", "gitlab_group", "azure_devops", "bitbucket_workspace"])))]
pub struct SweepArgs {
    /// A file listing the repositories, one a line: a local path or a clone URL
    /// (file://, ssh://, git://, user@host:path). `#` starts a comment line.
    #[arg(long, value_name = "FILE")]
    pub repos: Option<PathBuf>,
    /// Sweep every repository of this GitHub organisation (listed with the REST API;
    /// `GITHUB_TOKEN` is sent to it). The listing is saved as `<out>/repos.txt`.
    #[arg(long, value_name = "ORG")]
    pub github_org: Option<String>,
    /// Sweep every repository this GitHub user owns.
    #[arg(long, value_name = "USER")]
    pub github_user: Option<String>,
    /// Sweep every project of this GitLab group and its subgroups (`GITLAB_TOKEN`).
    #[arg(long, value_name = "GROUP")]
    pub gitlab_group: Option<String>,
    /// Sweep every repository of this Azure DevOps organisation, or of one of its projects
    /// (`ORG/PROJECT`; `AZURE_DEVOPS_TOKEN`, a personal access token).
    #[arg(long, value_name = "ORG[/PROJECT]")]
    pub azure_devops: Option<String>,
    /// Sweep every repository of this Bitbucket Cloud workspace (`BITBUCKET_TOKEN`).
    #[arg(long, value_name = "WORKSPACE")]
    pub bitbucket_workspace: Option<String>,
    /// The forge's API base: GitHub Enterprise Server (`https://ghe.example.com/api/v3`) or
    /// self-managed GitLab (`https://gitlab.example.com/api/v4`).
    #[arg(long, value_name = "URL")]
    pub api_url: Option<String>,
    /// Only listed repositories whose name (`org/repo`) matches GLOB. Repeatable.
    #[arg(long = "include-repo", value_name = "GLOB")]
    pub include_repo: Vec<String>,
    /// Leave out listed repositories whose name matches GLOB. Repeatable.
    #[arg(long = "exclude-repo", value_name = "GLOB")]
    pub exclude_repo: Vec<String>,
    /// Include archived repositories (left out by default).
    #[arg(long)]
    pub archived: bool,
    /// Include forks (left out by default).
    #[arg(long)]
    pub forks: bool,
    /// Only repositories pushed on or after this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    pub pushed_since: Option<String>,
    /// Only listed repositories of this visibility: public, private or internal (GitHub
    /// Enterprise, GitLab). Repeatable; default: every visibility the token can see.
    #[arg(long, value_name = "VISIBILITY", value_parser = ["public", "private", "internal"])]
    pub visibility: Vec<String>,
    /// List the forge's repositories into `<out>/repos.txt` and stop: the exact list the
    /// shards of a sweep then read with `--repos` (one listing for every worker).
    #[arg(long, conflicts_with_all = ["repos", "root"])]
    pub list_only: bool,
    /// The longest rate-limit wait accepted while listing before giving up.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "15m")]
    pub max_wait: std::time::Duration,
    /// Sweep every git repository below DIR (bare or not).
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// Output directory: one result file per repository (`repos/`) and the state file
    /// (`sweep.json`). Rerunning with the same --out resumes.
    #[arg(short, long, value_name = "DIR")]
    pub out: PathBuf,
    /// Where clone URLs are cloned (bare, no checkout) and fetched (default: OUT/cache).
    #[arg(long, value_name = "DIR")]
    pub cache: Option<PathBuf>,
    /// Repositories scanned at once (default: one per core); each scan may use every core.
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub jobs: usize,
    /// Only the repositories whose name hashes to K modulo N (0 ≤ K < N): N workers with
    /// K = 0…N-1 cover every repository exactly once.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<keyguard::sweep::Shard>,
    /// Scan only the tree of HEAD, not the whole history.
    #[arg(long)]
    pub head_only: bool,
    /// Clone and fetch URLs shallow: only the last N commits of each branch and tag are
    /// downloaded and scanned (each result says the history before them was not).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub depth: Option<u32>,
    /// Also check each repository's working tree against these policy files. Repeatable.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// Scan every repository again, even those whose refs did not change.
    #[arg(long)]
    pub force: bool,
    /// Stop a repository's scan after this long and record it as failed (e.g. 30m, 90s).
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub repo_timeout: Option<std::time::Duration>,
    /// Lowest severity that makes the exit code 1 (default: low).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Print no progress, summary or warnings on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    /// Verify each repository's findings with their providers (see `scan --verify`).
    #[arg(long)]
    pub verify: bool,
    #[command(flatten)]
    pub verify_net: VerifyNetArgs,
}

#[derive(Debug, Subcommand)]
pub enum HookCommand {
    /// Write the hook into the repository's hooks directory (`core.hooksPath` is honoured).
    /// An existing hook is never replaced: keyguard refuses, or with --chain keeps it and
    /// runs it first.
    Install {
        /// The repository (default: the current directory).
        #[arg(default_value = ".")]
        repo: PathBuf,
        /// Keep an existing pre-commit hook and run it before keyguard.
        #[arg(long)]
        chain: bool,
    },
    /// Remove the hook keyguard installed (and restore a chained one); nothing else.
    Uninstall {
        #[arg(default_value = ".")]
        repo: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Turn a `.gitleaksignore` into keyguard baseline entries: scans (with the `scan`
    /// options given) and records the findings at the places the file names.
    Gitleaksignore(ImportArgs),
    /// Turn a detect-secrets `.secrets.baseline` into keyguard baseline entries, the same way.
    DetectSecrets(ImportArgs),
    /// Translate a gitleaks configuration (custom rules, allowlists, [extend]) into
    /// `.keyguard.toml`, saying what could not be translated. Never overwrites a file.
    Gitleaks {
        /// The gitleaks configuration, e.g. `.gitleaks.toml`.
        file: PathBuf,
        /// Where to write (default `.keyguard.toml`); an existing file is never replaced.
        #[arg(short, long, value_name = "FILE", default_value = ".keyguard.toml")]
        output: PathBuf,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The file to import.
    pub file: PathBuf,
    /// The baseline to write or extend (default `.keyguard-baseline.toml`, or --output).
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Scan (with the same options as `scan`) and write the findings to a baseline file
    /// (default `.keyguard-baseline.toml`, or `--output FILE`), atomically. Owners, reasons
    /// and expiry dates already in the file are kept; a corrupt file is never overwritten.
    Create(ScanArgs),
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan: a directory, files, or `-` for standard input. With one directory,
    /// paths are reported relative to it; otherwise as given.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file (default: `.keyguard.toml` at the scan root, if present).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Skip paths matching GLOB (gitignore syntax, relative to the scan root). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Skip files larger than SIZE on purpose (bytes; suffixes K, M, G, KiB, MiB, GiB).
    /// Without it nothing is skipped for its size: files over 10 MiB are read as a stream of
    /// overlapping windows, in bounded memory.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Open archives and compressed files (zip, jar, whl, docx…, tar, gzip, tar.gz) and scan
    /// their members (default: on; off for --staged). `--no-archives` turns it off.
    #[arg(long, overrides_with = "no_archives")]
    pub archives: bool,
    #[arg(long, overrides_with = "archives", hide = true)]
    pub no_archives: bool,
    /// Archives inside archives opened, at most (default 2; `[expand] max_archive_depth`).
    #[arg(long, value_name = "N")]
    pub max_archive_depth: Option<u32>,
    /// Encodings inside encodings decoded (base64, hex, percent, escapes, HTML entities), at
    /// most; 0 decodes nothing (default 2; `[expand] max_decode_depth`).
    #[arg(long, value_name = "N")]
    pub max_decode_depth: Option<u32>,
    /// Lowest severity that makes the exit code 1 (default: low, or the config's `scan.fail_on`).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Print secrets in full instead of a redacted preview. Never use for reports you upload.
    #[arg(long)]
    pub show_secrets: bool,
    /// Follow symbolic links (loops are detected and reported).
    #[arg(long)]
    pub follow_symlinks: bool,
    /// Do not honour .gitignore, .ignore and .git/info/exclude.
    #[arg(long)]
    pub no_ignore: bool,
    /// Worker threads (default: one per core).
    #[arg(short = 'j', long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    /// Findings recorded in this baseline file (see `keyguard baseline create`) do not count.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: warn about entries that matched nothing (stale, safe to remove).
    #[arg(long, requires = "baseline")]
    pub report_unused: bool,
    /// Scan what is staged in the repository at PATH (default `.`) against HEAD, reporting
    /// secrets on added or changed lines only: the pre-commit gate. Works in the first commit.
    #[arg(long, conflicts_with_all = ["history", "all_objects", "branch"])]
    pub staged: bool,
    /// Scan only the blobs that commits in BASE..HEAD introduce (the pull-request check);
    /// findings name the commit. `BASE..` means `BASE..HEAD`.
    #[arg(long, value_name = "BASE..HEAD", conflicts_with_all = ["history", "staged", "since"])]
    pub range: Option<String>,
    /// Like `--range REV..HEAD`.
    #[arg(long, value_name = "REV", conflicts_with_all = ["history", "staged"])]
    pub since: Option<String>,
    /// Scan the git history of the repository at PATH (bare or not): every blob reachable
    /// from every ref (branches, tags, remotes, stash), each distinct blob once.
    #[arg(long)]
    pub history: bool,
    /// With --history: also scan objects no ref reaches (dangling commits, dropped stashes).
    #[arg(long, requires = "history")]
    pub all_objects: bool,
    /// With --history: only the history of this branch, tag or commit.
    #[arg(
        long,
        value_name = "REF",
        requires = "history",
        conflicts_with = "all_objects"
    )]
    pub branch: Option<String>,
    /// Also check these policy files (besides those `.keyguard.toml` names in
    /// `[policy] files`) against the configuration under the scanned directory.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// The date baseline expiries and policy lifecycle checks compare with (YYYY-MM-DD;
    /// default today, UTC).
    #[arg(long, value_name = "DATE", value_parser = parse_date, overrides_with = "now")]
    pub now: Option<jiff::civil::Date>,
    /// Print no summary or warnings on standard error.
    #[arg(short, long)]
    pub quiet: bool,
    #[command(flatten)]
    pub verify: VerifyArgs,
}

/// Live verification (off unless asked).
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Ask each finding's provider whether the credential works: one read-only "who am I"
    /// request per distinct secret, to that provider's own host only. Off by default;
    /// with --staged it also needs `[verify] allow-in-hooks = true`.
    #[arg(long)]
    pub verify: bool,
    /// Report only findings verified live (implies --verify).
    #[arg(long)]
    pub only_verified: bool,
    /// Only findings verified live make the exit code 1 (implies --verify).
    #[arg(long)]
    pub fail_on_verified: bool,
    #[command(flatten)]
    pub net: VerifyNetArgs,
}

/// How verification requests are made.
#[derive(Debug, Clone, Args)]
pub struct VerifyNetArgs {
    /// Per-request timeout, connect to last byte.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "10s")]
    pub verify_timeout: std::time::Duration,
    /// Requests in flight at once.
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub verify_concurrency: usize,
    /// Requests per second to any one provider host, at most.
    #[arg(long, value_name = "N", default_value_t = 5.0)]
    pub verify_rate: f64,
    /// Send only to this host (`api.github.com`, `*.blob.core.windows.net`). Repeatable;
    /// adds to `[verify] hosts`. Others are reported `unknown`, not sent.
    #[arg(long, value_name = "HOST")]
    pub verify_host: Vec<String>,
    /// Remember results in FILE (hashes of secrets, never a secret) and reuse them.
    #[arg(long, value_name = "FILE")]
    pub verify_cache: Option<PathBuf>,
    /// How long a cached result holds.
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, default_value = "24h")]
    pub verify_cache_ttl: std::time::Duration,
    /// Send verification requests through this proxy (`http://host:3128`).
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,
    /// Trust the CA certificates in this PEM file instead of the built-in web roots (a
    /// TLS-intercepting corporate proxy). Repeatable.
    #[arg(long, value_name = "FILE")]
    pub ca_cert: Vec<PathBuf>,
}

impl VerifyArgs {
    /// The verify options, when verification was asked for.
    pub fn options(&self) -> Option<keyguard::verify::VerifyOptions> {
        (self.verify || self.only_verified || self.fail_on_verified).then(|| self.net.options())
    }
}

impl VerifyNetArgs {
    pub fn options(&self) -> keyguard::verify::VerifyOptions {
        keyguard::verify::VerifyOptions {
            timeout: self.verify_timeout,
            concurrency: self.verify_concurrency.max(1),
            per_host_rate: self.verify_rate,
            hosts: self.verify_host.clone(),
            proxy: self.proxy.clone(),
            ca_certs: self.ca_cert.clone(),
            cache: self.verify_cache.clone(),
            cache_ttl: self.verify_cache_ttl,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Write a starter policy inferred from what `keyguard refs` finds under PATH
    /// (environments from directory names, namespaces and store names), for you to edit.
    Init {
        #[arg(default_value = ".")]
        path: PathBuf,
        /// Where to write it (never overwritten).
        #[arg(
            short,
            long,
            value_name = "FILE",
            default_value = "keyguard-policy.toml"
        )]
        output: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
pub struct PolicyArgs {
    /// The directory whose configuration is checked.
    #[arg(default_value = ".")]
    pub path: PathBuf,
    /// Policy files (TOML; see policies/example.toml). Repeatable. Default: the files
    /// `.keyguard.toml` names in `[policy] files`.
    #[arg(long = "policy", value_name = "FILE")]
    pub policies: Vec<PathBuf>,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Configuration file (default: `.keyguard.toml` in PATH, if present).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1 (default: low, or the config's `scan.fail_on`).
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Findings recorded in this baseline file do not count.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// With --baseline: warn about entries that matched nothing.
    #[arg(long, requires = "baseline")]
    pub report_unused: bool,
    /// The date lifecycle checks compare with (YYYY-MM-DD; default: today, UTC), for
    /// reproducible runs.
    #[arg(long, value_name = "DATE", value_parser = parse_date, overrides_with = "now")]
    pub now: Option<jiff::civil::Date>,
    /// Print no summary or warnings on standard error.
    #[arg(short, long)]
    pub quiet: bool,
}

fn parse_date(s: &str) -> Result<jiff::civil::Date, String> {
    s.parse()
        .map_err(|_| format!("`{s}` is not a date (write YYYY-MM-DD)"))
}

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// List the rules in use: id, family, severity, name.
    List {
        /// Only rules of this family (e.g. `github`, `aws`).
        #[arg(long)]
        family: Option<String>,
        /// One line per provider family with its number of rules, instead of the rules.
        #[arg(long)]
        families: bool,
        /// Include the rules of this configuration file.
        #[arg(short, long, value_name = "FILE")]
        config: Option<PathBuf>,
        /// `text` or `json`.
        #[arg(short, long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check rule files: examples must match, negative examples must not, keywords must
    /// appear in an example, ids must be unique and regexes valid. Without FILE, checks
    /// the built-in rules.
    Check {
        /// Rule files (TOML, the `rules/*.toml` format).
        files: Vec<PathBuf>,
    },
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// `12K` → (12, "K"); `what` names the expected kind in the error.
fn number_and_unit<'a>(s: &'a str, what: &str) -> Result<(u64, &'a str), String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n = num.parse().map_err(|_| format!("`{s}` is not {what}"))?;
    Ok((n, unit))
}

/// `30s`, `5m`, `1h`, `500ms`, or plain seconds; more than zero.
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    use std::time::Duration;
    let (n, unit) = number_and_unit(s, "a duration (e.g. 90s, 10m, 1h)")?;
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(format!("`{s}`: unknown unit `{unit}` (use ms, s, m or h)")),
    };
    if d.is_zero() {
        return Err(format!("`{s}`: a timeout must be more than zero"));
    }
    Ok(d)
}

/// `10485760`, `10M`, `10MiB`, `512k`, `1G`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (n, unit) = number_and_unit(s, "a size (e.g. 10MiB, 512K, 1048576)")?;
    let mult = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return Err(format!("`{s}`: unknown size unit `{unit}` (use K, M or G)")),
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("`{s}` is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("3d").is_err());
        assert!(parse_duration("soon").is_err());
        assert_eq!(parse_size("10M"), Ok(10 << 20));
        assert!(parse_size("x").is_err());
    }
}
