//! `keyguard verify REPORT.json`: verify the findings of a saved JSON report later. A
//! report holds redacted secrets (unless made with `--show-secrets`), so each one is read
//! again from where the report says it is — the file under the report's root, or the blob
//! at `commit:path` for history findings — and recognised by its fingerprint.

use super::{run, VerifyOptions, VerifyStats};
use crate::blob::{self, Work};
use crate::config::Config;
use crate::error::Error;
use crate::finding::Finding;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The report with a `verification` on every verifiable finding, and the counts.
pub struct Verified {
    pub report: serde_json::Value,
    pub stats: VerifyStats,
    /// Findings whose secret could not be recovered: (path, why).
    pub missing: Vec<(String, String)>,
}

/// Verify the findings of the JSON report at `path`. `root` overrides the directory the
/// report's paths are relative to (default: the report's own `root`).
pub fn verify_report(
    path: &Path,
    root: Option<&Path>,
    opts: &VerifyOptions,
) -> Result<Verified, Error> {
    let text = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
    let mut report: serde_json::Value = serde_json::from_slice(&text).map_err(|e| {
        Error::Usage(format!(
            "{}: not a keyguard JSON report ({e})",
            path.display()
        ))
    })?;
    let Some(items) = report["findings"].as_array() else {
        return Err(Error::Usage(format!(
            "{}: not a keyguard JSON report (no `findings` array)",
            path.display()
        )));
    };
    // The verified report gets `summary.verify`: a `summary` that is not an object (or
    // absent) is not a keyguard report, and writing into it would panic.
    if !(report["summary"].is_object() || report["summary"].is_null()) {
        return Err(Error::Usage(format!(
            "{}: not a keyguard JSON report (`summary` is not an object)",
            path.display()
        )));
    }
    let root: PathBuf = match root {
        Some(r) => r.to_path_buf(),
        None => PathBuf::from(report["root"].as_str().unwrap_or(".")),
    };
    let config = Config::discover(&root, None)?;
    let mut work = Work::default();
    // Each outer file (or commit:file) scanned once: fingerprint → the finding, secret in it.
    let mut found: HashMap<String, Finding> = HashMap::new();
    let mut scanned: HashMap<String, Result<(), String>> = HashMap::new();
    let mut repo: Option<Option<gix::Repository>> = None;
    let mut findings = Vec::new();
    let mut slots = Vec::new();
    let mut missing = Vec::new();
    for (i, f) in items.iter().enumerate() {
        let s = |k: &str| f[k].as_str().unwrap_or("").to_string();
        if s("family") == "policy" {
            continue;
        }
        let shown = f["redacted"] == serde_json::Value::Bool(false);
        let fp = s("fingerprint");
        let outer = f["container"]
            .as_str()
            .unwrap_or(f["path"].as_str().unwrap_or(""));
        let commit = f["commit"]["id"].as_str().map(str::to_string);
        let key = match &commit {
            Some(c) => format!("{c}:{outer}"),
            None => outer.to_string(),
        };
        if !found.contains_key(&fp) && !shown {
            let outcome = scanned.entry(key).or_insert_with(|| {
                let bytes = match &commit {
                    None => std::fs::read(root.join(outer))
                        .map_err(|e| format!("cannot read {}: {e}", root.join(outer).display()))?,
                    Some(c) => {
                        let r = repo.get_or_insert_with(|| gix::open(&root).ok());
                        read_blob(r.as_ref(), c, outer)?
                    }
                };
                for g in blob::scan_bytes(&config, outer, &bytes, &mut work).findings {
                    found.insert(g.fingerprint.clone(), g);
                }
                Ok(())
            });
            if let Err(why) = outcome {
                missing.push((s("path"), why.clone()));
                continue;
            }
        }
        let finding = match found.get(&fp) {
            Some(g) => g.clone(),
            None if shown => Finding {
                rule_id: s("rule_id"),
                family: s("family"),
                secret: s("secret"),
                line_text: s("snippet"),
                ..found_template(&s("rule_id"))
            },
            None => {
                missing.push((
                    s("path"),
                    "the secret is no longer there (the file changed since the report)".into(),
                ));
                continue;
            }
        };
        findings.push(finding);
        slots.push(i);
    }
    let stats = run(&mut findings, opts)?;
    let items = report["findings"]
        .as_array_mut()
        .expect("checked to be an array");
    for (f, i) in findings.iter().zip(slots) {
        if let Some(v) = &f.verification {
            items[i]["verification"] = serde_json::to_value(v).expect("serialises");
        }
    }
    report["summary"]["verify"] = serde_json::to_value(&stats).expect("serialises");
    Ok(Verified {
        report,
        stats,
        missing,
    })
}

fn read_blob(repo: Option<&gix::Repository>, commit: &str, path: &str) -> Result<Vec<u8>, String> {
    let repo = repo.ok_or("the report's root is not a git repository")?;
    let spec = format!("{commit}:{path}");
    let id = repo
        .rev_parse_single(spec.as_str())
        .map_err(|e| format!("cannot find {spec}: {e}"))?;
    let object = id
        .object()
        .map_err(|e| format!("cannot read {spec}: {e}"))?;
    Ok(object.data.clone())
}

/// An empty finding to fill in from a report made with `--show-secrets`.
fn found_template(rule_id: &str) -> Finding {
    Finding {
        rule_id: rule_id.to_string(),
        rule_name: String::new(),
        family: String::new(),
        severity: Default::default(),
        confidence: Default::default(),
        location: Default::default(),
        secret: String::new(),
        line_text: String::new(),
        validated: None,
        fingerprint: String::new(),
        secret_hash: String::new(),
        commit: None,
        also_in: 0,
        versions: 1,
        message: None,
        chain: String::new(),
        encoded: None,
        container: None,
        companion: None,
        verification: None,
    }
}
