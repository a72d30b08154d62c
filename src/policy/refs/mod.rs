//! Reference extractors, one per configuration format, each producing [`SecretRef`]s with
//! the line and column where the reference is written.

mod azure;
mod cloudformation;
mod dotenv;
mod github_actions;
mod vault;

use crate::error::Error;
use crate::source::fs;
use serde::Serialize;
use std::path::PathBuf;

/// One reference to a secret (or, for `.env` files, a literal value where one was expected).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretRef {
    /// The extractor: `github-actions`, `dotenv`, `azure-keyvault`, `cloudformation`, `vault-template`.
    pub format: &'static str,
    pub path: String,
    pub line: usize,
    pub column: usize,
    /// The store: a vault, key vault, account or mount, when the reference names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
    /// The secret's name or path in its store.
    pub name: String,
    /// A pinned version, when the reference pins one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Who reads it: a workflow job, a service, an environment variable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consumer: Option<String>,
    /// The environment it belongs to, declared or inferred from paths and names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// `reference`, or `literal` for a value written in place of a reference, or
    /// `all-secrets` for a grant of every secret (`secrets: inherit`, `toJSON(secrets)`).
    pub kind: &'static str,
}

impl SecretRef {
    fn new(format: &'static str, path: &str, text: &str, offset: usize, name: String) -> SecretRef {
        let (line, column) = line_col(text, offset);
        SecretRef {
            format,
            path: path.to_string(),
            line,
            column,
            store: None,
            name,
            version: None,
            consumer: None,
            environment: None,
            kind: "reference",
        }
    }
}

/// 1-based line and column (in characters) of a byte offset.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (line, text[line_start..offset].chars().count() + 1)
}

/// An environment name from words in a path or store name (`prod`, `staging`, `dev`, …).
pub fn infer_environment(s: &str) -> Option<&'static str> {
    let lower = s.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let any = |names: &[&str]| words.iter().any(|w| names.contains(w));
    if any(&["prod", "production", "prd", "live"]) {
        Some("production")
    } else if any(&["staging", "stage", "stg", "preprod", "uat"]) {
        Some("staging")
    } else if any(&["dev", "development", "sandbox", "local"]) {
        Some("development")
    } else if any(&["test", "testing", "qa", "ci"]) {
        Some("test")
    } else {
        None
    }
}

/// Every reference in one file's text.
pub fn extract(path: &str, text: &str) -> Vec<SecretRef> {
    let mut out = Vec::new();
    let name = path.rsplit('/').next().unwrap_or(path);
    if github_actions::applies(path) {
        github_actions::extract(path, text, &mut out);
    }
    if dotenv::applies(name) {
        dotenv::extract(path, text, &mut out);
    } else {
        // In .env files these are classified by the dotenv extractor.
        azure::extract(path, text, &mut out);
        vault::extract(path, text, &mut out);
    }
    cloudformation::extract(path, text, &mut out);
    for r in &mut out {
        if r.environment.is_none() {
            r.environment = infer_environment(&r.path)
                .or_else(|| r.store.as_deref().and_then(infer_environment))
                .or_else(|| infer_environment(&r.name))
                .map(str::to_string);
        }
    }
    out.sort_by_key(|r| (r.line, r.column));
    out
}

/// Walk `root` (honouring .gitignore) and list every reference, sorted by path and line.
pub fn inventory(root: PathBuf) -> Result<(Vec<SecretRef>, Vec<fs::WalkProblem>), Error> {
    let opts = fs::WalkOptions {
        root: root.clone(),
        paths: vec![root],
        exclude: Vec::new(),
        follow_symlinks: false,
        no_ignore: false,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let (files, mut problems) = fs::walk(&opts)?;
    let mut refs = Vec::new();
    let mut buf = Vec::new();
    for f in &files {
        match fs::read_into(f, 10 << 20, &mut buf) {
            Ok(()) => {
                let text = String::from_utf8_lossy(&buf);
                refs.extend(extract(&f.rel, &text));
            }
            Err((_, Some(message))) => problems.push(fs::WalkProblem {
                path: f.rel.clone(),
                message,
            }),
            Err(_) => {}
        }
    }
    refs.sort_by(|a, b| (&a.path, a.line, a.column).cmp(&(&b.path, b.line, b.column)));
    Ok((refs, problems))
}
