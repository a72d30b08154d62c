//! What a sweep leaves in its output directory: one result file per repository
//! (`repos/<name>-<hash>.json`) and a state file (`sweep.json`) with the sweep's inputs.
//! Result files are what `merge` and `report` read, and what a resumed sweep compares the
//! repositories' current refs with.

use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Bumped when a result file changes incompatibly; older results are redone.
pub const RESULT_SCHEMA: u32 = 1;

/// The state file in the output directory.
pub const STATE_FILE: &str = "sweep.json";
/// The folder of result files in the output directory.
pub const RESULTS_DIR: &str = "repos";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Failed,
}

/// One repository's result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepoResult {
    pub schema_version: u32,
    /// The normalised name (what `--shard` hashes).
    pub name: String,
    /// The path or URL as listed (credentials removed).
    pub source: String,
    /// What was scanned: the local repository or its bare clone in the cache.
    pub scanned: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// What else decides the result (mode, policies, fail-on, keyguard version): a result
    /// made with other settings is redone.
    pub settings: String,
    /// Ref name → object id (or `ref: target` for symbolic refs) when the scan started.
    pub refs: BTreeMap<String, String>,
    /// Seconds since the Unix epoch.
    pub finished_at: u64,
    pub duration_secs: f64,
    pub bytes_scanned: u64,
    pub findings: usize,
    /// Findings and policy violations at or above the failing severity.
    pub blocking: usize,
    /// keyguard's JSON report of the scan (docs/json-report.md), secrets redacted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub report: Option<serde_json::Value>,
    /// The scan's SARIF run, as `scan --format sarif` writes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sarif_run: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyResult>,
}

/// The policy check of one repository.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PolicyResult {
    /// Violations as `keyguard policy --format json` lists them.
    pub violations: Vec<serde_json::Value>,
    /// Why the check did not run, when it did not (e.g. the policy file could not be read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl RepoResult {
    /// A result for a repository that could not be scanned.
    pub fn failed(name: &str, source: &str, scanned: &str, settings: &str, error: String) -> Self {
        RepoResult {
            schema_version: RESULT_SCHEMA,
            name: name.to_string(),
            source: source.to_string(),
            scanned: scanned.to_string(),
            status: Status::Failed,
            error: Some(error),
            settings: settings.to_string(),
            refs: BTreeMap::new(),
            finished_at: now(),
            duration_secs: 0.0,
            bytes_scanned: 0,
            findings: 0,
            blocking: 0,
            report: None,
            sarif_run: None,
            policy: None,
        }
    }

    /// The findings of the JSON report.
    pub fn finding_values(&self) -> &[serde_json::Value] {
        self.report
            .as_ref()
            .and_then(|r| r["findings"].as_array())
            .map_or(&[], Vec::as_slice)
    }

    pub fn write(&self, path: &Path) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(self).expect("result serialises");
        text.push('\n');
        crate::report::write_atomic(path, text.as_bytes())
    }

    pub fn read(path: &Path) -> Result<RepoResult, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, &e))?;
        let r: RepoResult = serde_json::from_str(&text).map_err(|e| Error::Io {
            path: path.display().to_string(),
            reason: format!("not a keyguard sweep result: {e}"),
        })?;
        if r.schema_version != RESULT_SCHEMA {
            return Err(Error::Io {
                path: path.display().to_string(),
                reason: format!(
                    "sweep result schema {} (this keyguard reads {RESULT_SCHEMA})",
                    r.schema_version
                ),
            });
        }
        Ok(r)
    }
}

/// The sweep's inputs and its last outcome, in `sweep.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct State {
    pub keyguard_version: String,
    /// `--repos FILE` or `--root DIR`, as given.
    pub input: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<String>,
    pub settings: String,
    pub started_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<u64>,
    /// The repositories of this shard, by name → result file (relative to the output dir).
    pub repos: BTreeMap<String, String>,
}

impl State {
    pub fn write(&self, out: &Path) -> Result<(), Error> {
        let mut text = serde_json::to_string_pretty(self).expect("state serialises");
        text.push('\n');
        crate::report::write_atomic(&out.join(STATE_FILE), text.as_bytes())
    }
}

/// The result files of a sweep output directory: those its state file lists (so results
/// left from an older list or another sharding are not merged), or every result file when
/// there is no state file. Sorted by file name; a file that cannot be read is returned as
/// an error beside the others.
pub fn read_results(dir: &Path) -> Result<Vec<Result<RepoResult, Error>>, Error> {
    let folder = dir.join(RESULTS_DIR);
    let state = dir.join(STATE_FILE);
    let mut files: Vec<PathBuf> = if state.exists() {
        let text = std::fs::read_to_string(&state).map_err(|e| Error::io(&state, &e))?;
        let st: State = serde_json::from_str(&text).map_err(|e| Error::Io {
            path: state.display().to_string(),
            reason: format!("not a keyguard sweep state file: {e}"),
        })?;
        st.repos.values().map(|rel| dir.join(rel)).collect()
    } else {
        let entries = std::fs::read_dir(&folder).map_err(|e| Error::Io {
            path: folder.display().to_string(),
            reason: format!("not a keyguard sweep output directory ({e})"),
        })?;
        entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.extension().is_some_and(|x| x == "json")
                    && !p
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect()
    };
    files.sort();
    Ok(files.iter().map(|f| RepoResult::read(f)).collect())
}

/// A repository's refs, cheaply: the ref store only (loose and packed refs, no object is
/// read). Symbolic refs are recorded as `ref: <target>`.
pub fn read_refs(repo: &gix::Repository) -> Result<BTreeMap<String, String>, Error> {
    let err = |e: &dyn std::fmt::Display| Error::Io {
        path: repo.git_dir().display().to_string(),
        reason: format!("cannot read refs: {e}"),
    };
    let mut refs = BTreeMap::new();
    let platform = repo.references().map_err(|e| err(&e))?;
    for r in platform.all().map_err(|e| err(&e))? {
        let r = r.map_err(|e| err(&e))?;
        refs.insert(r.name().as_bstr().to_string(), target(&r.inner.target));
    }
    if let Ok(head) = repo.find_reference("HEAD") {
        refs.insert("HEAD".into(), target(&head.inner.target));
    }
    Ok(refs)
}

fn target(t: &gix::refs::Target) -> String {
    match t {
        gix::refs::Target::Object(id) => id.to_string(),
        gix::refs::Target::Symbolic(name) => format!("ref: {}", name.as_bstr()),
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
