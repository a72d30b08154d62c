//! Reference extractors, one per configuration format, each producing [`SecretRef`]s with
//! the line and column where the reference is written.

mod arm;
mod aws;
mod azure;
mod bicep;
mod cloudformation;
mod compose;
mod csi;
mod dotenv;
mod dotnet;
mod github_actions;
mod kubernetes;
mod manifest;
mod terraform;
mod vault;
mod vault_policy;

use super::certificates;
pub use super::facts::{Certificate, Facts, Grant, Place, Problem, SecretDecl, StoreDecl};
use super::tree::{self, Node};
use crate::error::Error;
use crate::source::fs;
use serde::Serialize;
use std::collections::HashMap;
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
    /// `reference`; `literal` for a secret value written in place of a reference (a
    /// secret-named `.env` variable, Kubernetes `Secret` data); `value` for a literal that is
    /// only a violation when the secret detector recognises a credential in it (compose and
    /// workflow `environment:`); `all-secrets` for a grant of every secret
    /// (`secrets: inherit`, `toJSON(secrets)`).
    pub kind: &'static str,
    /// For `kind = "value"`: the literal text written where a reference could be (a compose
    /// or workflow `environment:` value). Never serialised; the plaintext check runs the
    /// secret detector on it.
    #[serde(skip)]
    pub value: Option<String>,
}

impl SecretRef {
    fn new(format: &'static str, path: &str, text: &str, offset: usize, name: String) -> SecretRef {
        let (line, column) = line_col(text, offset);
        SecretRef::at(
            format,
            Place {
                path: path.to_string(),
                line,
                column,
            },
            name,
        )
    }

    /// A plain reference at a place; callers set store, version, consumer, kind.
    pub fn at(format: &'static str, place: Place, name: String) -> SecretRef {
        SecretRef {
            format,
            path: place.path,
            line: place.line,
            column: place.column,
            store: None,
            name,
            version: None,
            consumer: None,
            environment: None,
            kind: "reference",
            value: None,
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

/// A variable or parameter whose name says it holds a secret (`DB_PASSWORD`, `apiKey`,
/// `clientSecret`, `ConnectionStrings__Main`) — not one that names, points at or configures
/// a secret (`publicKeySecretName`, `DB_PASSWORD_FILE`, `enableSecretRotation`).
pub(crate) fn secret_named(name: &str) -> bool {
    // Words: split at `_`, `-`, `.`, `:` and lower→upper camel-case steps.
    let mut words: Vec<String> = Vec::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            prev_lower = false;
            words.push(String::new());
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower || words.is_empty() {
            words.push(String::new());
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        words
            .last_mut()
            .expect("pushed")
            .push(c.to_ascii_uppercase());
    }
    words.retain(|w| !w.is_empty());
    let joined = words.concat();
    let secretish = [
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "TOKEN",
        "APIKEY",
        "PRIVATEKEY",
        "CREDENTIAL",
        "ACCESSKEY",
        "CONNECTIONSTRING",
    ]
    .iter()
    .any(|w| joined.contains(w));
    let about_a_secret = |w: &str| {
        matches!(
            w,
            "NAME"
                | "NAMES"
                | "ID"
                | "IDS"
                | "ARN"
                | "URI"
                | "URL"
                | "PATH"
                | "FILE"
                | "REF"
                | "REFERENCE"
                | "VERSION"
                | "ROTATION"
                | "EXPIRY"
                | "EXPIRATION"
                | "TTL"
                | "LENGTH"
                | "TYPE"
                | "ENABLED"
                | "REQUIRED"
                | "AUTHENTICATION"
                | "PROVIDER"
                | "CONTENTTYPE"
                | "KEYVAULT"
                | "VAULT"
                | "ENDPOINT"
        )
    };
    let switch = |w: &str| matches!(w, "ENABLE" | "DISABLE" | "USE" | "IS" | "HAS" | "ALLOW");
    secretish
        && !words.last().is_some_and(|w| about_a_secret(w))
        && !words.first().is_some_and(|w| switch(w))
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

/// What the structured formats share: the file, its text, and its parsed tree when its
/// name says it is YAML, JSON or HCL and it parsed.
pub struct Input<'a> {
    pub path: &'a str,
    /// The file name (last path component).
    pub name: &'a str,
    pub text: &'a str,
    /// Every YAML document (`.yaml`, `.yml`).
    pub yaml: &'a [Node],
    /// The JSON document (`.json`, `.jsonc`).
    pub json: Option<&'a Node>,
    /// The HCL body (`.tf`, `.hcl`).
    pub hcl: Option<&'a Node>,
}

impl Input<'_> {
    /// A position-only `SecretRef` at a tree node.
    pub fn reference(&self, format: &'static str, at: &Node, name: String) -> SecretRef {
        SecretRef::at(format, self.place(at), name)
    }

    pub fn place(&self, at: &Node) -> Place {
        Place {
            path: self.path.to_string(),
            line: at.line,
            column: at.column,
        }
    }

    fn place_at(&self, line: usize, column: usize) -> Place {
        Place {
            path: self.path.to_string(),
            line,
            column,
        }
    }

    /// Where the YAML map entry `key: <value>` starts: its key, on the value's own line
    /// (`db: {file: x}`) or on the nearest line above it that is not blank or a comment
    /// (a block value). The tree keeps only values' positions; `value`'s own when the key
    /// is not found where it must be.
    pub fn yaml_key_place(&self, value: &Node, key: &str) -> Place {
        let lines: Vec<&str> = self.text.lines().collect();
        let spellings = [
            format!("{key}:"),
            format!("\"{key}\":"),
            format!("'{key}':"),
        ];
        let key_at = |i: usize| -> Option<usize> {
            let line = lines.get(i)?;
            let trimmed = line.trim_start();
            spellings
                .iter()
                .any(|s| trimmed.starts_with(s.as_str()))
                .then(|| line[..line.len() - trimmed.len()].chars().count() + 1)
        };
        let Some(own) = value.line.checked_sub(1) else {
            return self.place(value);
        };
        if let Some(column) = key_at(own).filter(|&c| c < value.column) {
            return self.place_at(value.line, column);
        }
        let above = (0..own).rev().find(|&i| {
            let t = lines.get(i).map_or("", |l| l.trim());
            !t.is_empty() && !t.starts_with('#')
        });
        match above.and_then(|i| key_at(i).map(|c| (i, c))) {
            Some((i, column)) => self.place_at(i + 1, column),
            None => self.place(value),
        }
    }

    /// Where a YAML block-sequence item starts: its `-` indicator, before `at` on the same
    /// line (`- name: a`) or alone on a line above it with only blank or comment lines
    /// between; `at` itself when it is not such an item (a document, a flow or JSON value).
    pub fn yaml_item_place(&self, at: &Node) -> Place {
        let lines: Vec<&str> = self.text.lines().collect();
        let Some(line) = at.line.checked_sub(1).and_then(|i| lines.get(i)) else {
            return self.place(at);
        };
        let prefix: String = line.chars().take(at.column.saturating_sub(1)).collect();
        if !prefix.trim().is_empty() {
            // `- - x` is an item of an item; `--- x` a document marker, not an item.
            let dashes =
                prefix.trim().chars().all(|c| c == '-' || c == ' ') && !prefix.contains("--");
            return match prefix.rfind('-').filter(|_| dashes) {
                Some(dash) => self.place_at(at.line, prefix[..dash].chars().count() + 1),
                None => self.place(at),
            };
        }
        let above = (0..at.line - 1).rev().find(|&i| {
            let t = lines[i].trim();
            !t.is_empty() && !t.starts_with('#')
        });
        match above {
            Some(i) if lines[i].trim() == "-" || lines[i].trim_start().starts_with("- #") => {
                let indent = lines[i].len() - lines[i].trim_start().len();
                self.place_at(i + 1, lines[i][..indent].chars().count() + 1)
            }
            _ => self.place(at),
        }
    }
}

/// Every reference, declaration, store and grant in one file's text, with warnings for
/// files that look like a structured format but do not parse.
pub fn extract(path: &str, text: &str) -> Facts {
    let mut facts = Facts::default();
    let name = path.rsplit('/').next().unwrap_or(path);
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.').map_or("", |(_, e)| e);
    let mut problem = |line: usize, message: String, note: bool| {
        facts.problems.push(Problem {
            path: path.to_string(),
            line,
            message,
            note,
        })
    };
    let yaml = match ext {
        "yaml" | "yml" => match tree::parse_yaml(text) {
            Ok(docs) => docs,
            // Helm and other Go templates are not YAML until rendered.
            Err(_) if text.contains("{{") => {
                problem(
                    1,
                    "a template (`{{ … }}`), not YAML: skipped for structured references".into(),
                    true,
                );
                Vec::new()
            }
            Err(p) => {
                problem(
                    p.line,
                    format!(
                        "not valid YAML ({}); structured references skipped",
                        p.message
                    ),
                    false,
                );
                Vec::new()
            }
        },
        _ => Vec::new(),
    };
    let json = match ext {
        "json" | "jsonc" => match tree::parse_json(text) {
            Ok(n) => Some(n),
            Err(p) => {
                problem(
                    p.line,
                    format!(
                        "not valid JSON ({}); structured references skipped",
                        p.message
                    ),
                    false,
                );
                None
            }
        },
        _ => None,
    };
    let hcl = match ext {
        "tf" | "hcl" => match tree::parse_hcl(text) {
            Ok(n) => Some(n),
            Err(p) => {
                problem(
                    p.line,
                    format!(
                        "not valid HCL ({}); structured references skipped",
                        p.message
                    ),
                    false,
                );
                None
            }
        },
        _ => None,
    };
    let input = Input {
        path,
        name,
        text,
        yaml: &yaml,
        json: json.as_ref(),
        hcl: hcl.as_ref(),
    };
    if github_actions::applies(path) {
        github_actions::extract(path, text, &mut facts.refs);
    }
    if dotenv::applies(name) {
        dotenv::extract(path, text, &mut facts.refs);
    } else {
        // In .env files these are classified by the dotenv extractor.
        azure::extract(path, text, &mut facts.refs);
        vault::extract(path, text, &mut facts.refs);
    }
    cloudformation::extract(path, text, &mut facts.refs);
    for extractor in STRUCTURED {
        extractor(&input, &mut facts);
    }
    for r in &mut facts.refs {
        if r.environment.is_none() {
            r.environment = infer_environment(&r.path)
                .or_else(|| r.store.as_deref().and_then(infer_environment))
                .or_else(|| infer_environment(&r.name))
                .map(str::to_string);
        }
    }
    for s in &mut facts.secrets {
        if s.environment.is_none() {
            s.environment = s
                .store
                .as_deref()
                .and_then(infer_environment)
                .or_else(|| infer_environment(&s.place.path))
                .map(str::to_string);
        }
    }
    facts.refs.sort_by_key(|r| (r.line, r.column));
    facts
}

/// The structured extractors, each `fn(&Input, &mut Facts)`; each decides from the input
/// (file name, parsed documents) whether the file is its format.
const STRUCTURED: &[fn(&Input, &mut Facts)] = &[
    manifest::extract,
    github_actions::extract_env_literals,
    terraform::extract,
    vault_policy::extract,
    kubernetes::extract,
    csi::extract,
    compose::extract,
    arm::extract,
    aws::extract,
    bicep::extract,
    dotnet::extract,
];

/// What one file holds: certificates (PEM or DER), and for text files every reference,
/// declaration, store and grant.
pub fn facts_of(path: &str, bytes: &[u8]) -> Facts {
    let mut facts = Facts {
        files: 1,
        ..Facts::default()
    };
    if let Some(cert) = certificates::from_file(path, bytes) {
        facts.certificates.extend(cert);
    }
    if !crate::source::looks_binary(bytes) {
        facts.extend(extract(path, &String::from_utf8_lossy(bytes)));
    }
    facts
}

/// The inventory of files already in memory (a git tree), in parallel.
pub fn inventory_files(files: &[(String, Vec<u8>)]) -> Facts {
    use rayon::prelude::*;
    let per_file: Vec<Facts> = files.par_iter().map(|(p, b)| facts_of(p, b)).collect();
    let mut facts = Facts::default();
    for f in per_file {
        facts.extend(f);
    }
    facts.sort();
    facts
}

/// Walk `root` (honouring .gitignore) and list every reference, sorted by path and line.
pub fn inventory(root: PathBuf) -> Result<Facts, Error> {
    inventory_with(root, &[], &HashMap::new())
}

/// [`inventory`] without the paths matching `exclude`, and with the text of the files in
/// `overlay` (path relative to `root` → bytes) taken from there instead of the disk: what
/// a commit stages.
pub fn inventory_with(
    root: PathBuf,
    exclude: &[String],
    overlay: &HashMap<String, Vec<u8>>,
) -> Result<Facts, Error> {
    let opts = fs::WalkOptions {
        root: root.clone(),
        paths: vec![root],
        exclude: exclude.to_vec(),
        follow_symlinks: false,
        no_ignore: false,
        threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let (files, problems) = fs::walk(&opts)?;
    let mut facts = Facts::default();
    facts.problems.extend(problems.into_iter().map(|p| Problem {
        path: p.path,
        line: 0,
        message: p.message,
        note: false,
    }));
    // Files are independent: read and parse them in parallel, each into its own Facts.
    use rayon::prelude::*;
    let per_file: Vec<Facts> = files
        .par_iter()
        .map_init(Vec::new, |buf, f| match fs::read_into(f, 10 << 20, buf) {
            _ if overlay.contains_key(&f.rel) => facts_of(&f.rel, &overlay[&f.rel]),
            Ok(()) => facts_of(&f.rel, buf),
            // DER certificates are binary: read them on their own.
            Err((crate::source::SkipReason::Binary, _)) => std::fs::read(&f.abs)
                .map(|bytes| facts_of(&f.rel, &bytes))
                .unwrap_or_default(),
            Err((_, Some(message))) => Facts {
                problems: vec![Problem {
                    path: f.rel.clone(),
                    line: 0,
                    message,
                    note: false,
                }],
                ..Facts::default()
            },
            Err(_) => Facts::default(),
        })
        .collect();
    for f in per_file {
        facts.extend(f);
    }
    facts.sort();
    Ok(facts)
}
