//! `keyguard merge DIR…`: the result files of one or more sweep outputs (shards) as one
//! SARIF log (one run per repository), one JSON report and one CSV.
//!
//! Each result file already holds the repository's JSON report and SARIF run as `scan`
//! renders them, so merging only gathers: nothing is re-derived, and a merged run equals
//! what `keyguard scan --history --format sarif` says of that repository.

use super::state::{self, RepoResult, Status};
use crate::error::Error;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The results of several sweep outputs, one per repository, sorted by name.
#[derive(Debug, Default)]
pub struct Merged {
    pub results: Vec<RepoResult>,
    /// Unreadable result files, repositories found in more than one output.
    pub warnings: Vec<String>,
}

impl Merged {
    pub fn ok(&self) -> impl Iterator<Item = &RepoResult> {
        self.results.iter().filter(|r| r.status == Status::Ok)
    }

    pub fn failed(&self) -> impl Iterator<Item = &RepoResult> {
        self.results.iter().filter(|r| r.status == Status::Failed)
    }

    pub fn findings(&self) -> usize {
        self.ok().map(|r| r.findings).sum()
    }

    pub fn blocking(&self) -> usize {
        self.ok().map(|r| r.blocking).sum()
    }

    pub fn policy_violations(&self) -> usize {
        self.ok()
            .filter_map(|r| r.policy.as_ref())
            .map(|p| p.violations.len())
            .sum()
    }
}

/// Read every result file of `dirs`. A repository present in several outputs (two shards
/// of different sweeps, or a rerun) keeps its newest result; that is reported as a warning.
pub fn load(dirs: &[PathBuf]) -> Result<Merged, Error> {
    let mut by_name: BTreeMap<String, (RepoResult, String)> = BTreeMap::new();
    let mut warnings = Vec::new();
    for dir in dirs {
        for r in state::read_results(dir)? {
            match r {
                Ok(r) => {
                    let from = dir.display().to_string();
                    match by_name.get(&r.name) {
                        Some((old, old_from)) => {
                            warnings.push(format!(
                                "repository `{}` is in both {old_from} and {from}; keeping the newer result",
                                r.name
                            ));
                            if r.finished_at > old.finished_at {
                                by_name.insert(r.name.clone(), (r, from));
                            }
                        }
                        None => {
                            by_name.insert(r.name.clone(), (r, from));
                        }
                    }
                }
                Err(e) => warnings.push(e.to_string()),
            }
        }
    }
    Ok(Merged {
        results: by_name.into_values().map(|(r, _)| r).collect(),
        warnings,
    })
}

/// One SARIF log with one run per repository. Each run's `automationDetails.id` names the
/// repository, so code-scanning tools keep the runs apart; a failed repository is a run
/// with no results whose invocation failed, with the error as a notification.
pub fn sarif(m: &Merged) -> String {
    let runs: Vec<Value> = m
        .results
        .iter()
        .map(|r| {
            let mut run = match (&r.status, &r.sarif_run) {
                (Status::Ok, Some(run)) => run.clone(),
                _ => failed_run(r),
            };
            let category = run["automationDetails"]["id"]
                .as_str()
                .unwrap_or("keyguard/history/")
                .to_string();
            run["automationDetails"]["id"] = json!(format!("{category}{}/", r.name));
            if !run["properties"].is_object() {
                run["properties"] = json!({});
            }
            run["properties"]["repository"] = json!(r.name);
            run["properties"]["source"] = json!(r.source);
            run
        })
        .collect();
    let log = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": runs,
    });
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serialises");
    s.push('\n');
    s
}

fn failed_run(r: &RepoResult) -> Value {
    json!({
        "tool": { "driver": {
            "name": "keyguard",
            "version": env!("CARGO_PKG_VERSION"),
            "semanticVersion": env!("CARGO_PKG_VERSION"),
            "rules": [],
        }},
        "results": [],
        "invocations": [{
            "executionSuccessful": false,
            "toolExecutionNotifications": [{
                "level": "error",
                "message": { "text": format!("{}: {}", r.name, r.error.as_deref().unwrap_or("failed")) },
            }],
        }],
        "columnKind": "unicodeCodePoints",
        "automationDetails": { "id": "keyguard/history/" },
    })
}

/// One JSON document: every repository (status, counts), every finding and policy violation
/// with its repository, and the totals.
pub fn json(m: &Merged) -> String {
    let repos: Vec<Value> = m.results.iter().map(repo_summary).collect();
    let with_repo = |r: &RepoResult, v: &Value| {
        let mut v = v.clone();
        if let Value::Object(o) = &mut v {
            o.insert("repository".into(), json!(r.name));
        }
        v
    };
    let findings: Vec<Value> = m
        .ok()
        .flat_map(|r| r.finding_values().iter().map(move |f| with_repo(r, f)))
        .collect();
    let violations: Vec<Value> = m
        .ok()
        .filter_map(|r| r.policy.as_ref().map(|p| (r, p)))
        .flat_map(|(r, p)| p.violations.iter().map(move |v| with_repo(r, v)))
        .collect();
    let doc = json!({
        "schema_version": 1,
        "tool": { "name": "keyguard", "version": env!("CARGO_PKG_VERSION") },
        "summary": {
            "repositories": m.results.len(),
            "ok": m.ok().count(),
            "failed": m.failed().count(),
            "findings": findings.len(),
            "blocking": m.blocking(),
            "policy_violations": violations.len(),
            "bytes_scanned": m.ok().map(|r| r.bytes_scanned).sum::<u64>(),
        },
        "repositories": repos,
        "findings": findings,
        "policy_violations": violations,
        "warnings": m.warnings,
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("JSON serialises");
    s.push('\n');
    s
}

/// One repository's line in the merged JSON (and the HTML report's data).
pub fn repo_summary(r: &RepoResult) -> Value {
    json!({
        "name": r.name,
        "source": r.source,
        "status": r.status,
        "error": r.error,
        "findings": r.findings,
        "blocking": r.blocking,
        "policy_violations": r.policy.as_ref().map(|p| p.violations.len()),
        "policy_skipped": r.policy.as_ref().and_then(|p| p.skipped.clone()),
        "bytes_scanned": r.bytes_scanned,
        "duration_secs": r.duration_secs,
        "finished_at": r.finished_at,
        "head": r.report.as_ref().map(|x| x["summary"]["history"]["head"].clone()),
    })
}

/// CSV: `scan --format csv`'s columns with the repository first.
pub fn csv(m: &Merged) -> String {
    use crate::report::csv::{cells, row, HEADER};
    let mut out = String::new();
    row(
        &mut out,
        std::iter::once("repository".to_string()).chain(HEADER.iter().map(|s| s.to_string())),
    );
    for r in m.ok() {
        for f in r.finding_values() {
            row(&mut out, std::iter::once(r.name.clone()).chain(cells(f)));
        }
    }
    out
}

/// Write `merged.sarif`, `merged.json` and `merged.csv` into `out` (atomically); returns
/// their paths.
pub fn write(m: &Merged, out: &Path) -> Result<Vec<PathBuf>, Error> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, &e))?;
    let files = [
        ("merged.sarif", sarif(m)),
        ("merged.json", json(m)),
        ("merged.csv", csv(m)),
    ];
    let mut paths = Vec::new();
    for (name, text) in files {
        let p = out.join(name);
        crate::report::write_atomic(&p, text.as_bytes())?;
        paths.push(p);
    }
    Ok(paths)
}
