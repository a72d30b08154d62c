//! The policy half: secret *references* in configuration (where a secret is read from, by
//! whom, for which environment), the secrets, stores and grants declared beside them
//! (`refs` → [`facts::Facts`]), and the checks that hold them against policy files.

pub mod certificates;
pub mod check;
pub mod facts;
pub mod init;
pub mod model;
pub mod refs;
pub mod tree;

use crate::config::Config;
use crate::error::Error;
use crate::finding::{fingerprint, secret_hash, Confidence, Finding, Location};
use facts::{Facts, Problem};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// What a policy run produced: findings ready for suppression and reporting, and what
/// the extractors found (including `facts.problems`, the files they could not read).
#[derive(Debug, Default)]
pub struct Outcome {
    pub findings: Vec<Finding>,
    /// Findings dropped by an inline `keyguard:allow` or an allowlist.
    pub suppressed: BTreeMap<crate::suppress::Suppression, usize>,
    pub facts: Facts,
}

/// Inventory `root`, check it against every policy file, and turn violations into
/// [`Finding`]s (rule ids `policy/<check>`, family `policy`) so they share suppressions,
/// baselines, reports and exit codes with secrets.
pub fn run(
    config: &Config,
    root: &Path,
    policy_files: &[PathBuf],
    today: jiff::civil::Date,
) -> Result<Outcome, Error> {
    run_scoped(config, root, policy_files, today, &Scope::default())
}

/// What part of a tree a policy run reports on.
#[derive(Debug, Default)]
pub struct Scope {
    /// Paths not read at all (`--exclude`, the configuration's excludes).
    pub exclude: Vec<String>,
    /// Files whose text is not the disk's (a staged version), by path relative to the root.
    pub overlay: HashMap<String, Vec<u8>>,
    /// Report only violations in these files (what a commit or pull request touches); the
    /// whole tree is still read, so cross-file checks (undeclared, orphaned) see everything.
    pub only: Option<std::collections::HashSet<String>>,
}

/// [`run`] over `scope`: the gate's policy check.
pub fn run_scoped(
    config: &Config,
    root: &Path,
    policy_files: &[PathBuf],
    today: jiff::civil::Date,
    scope: &Scope,
) -> Result<Outcome, Error> {
    let policies = load(policy_files)?;
    let mut facts = refs::inventory_with(root.to_path_buf(), &scope.exclude, &scope.overlay)?;
    if let Some(only) = &scope.only {
        facts.problems.retain(|p| only.contains(&p.path));
    }
    let mut out = findings(
        config,
        &policies,
        facts,
        today,
        &|path| match scope.overlay.get(path) {
            Some(b) => Some(String::from_utf8_lossy(b).into_owned()),
            None => std::fs::read_to_string(root.join(path)).ok(),
        },
    );
    if let Some(only) = &scope.only {
        out.findings.retain(|f| only.contains(&f.location.path));
    }
    Ok(out)
}

/// The same, for HEAD of a repository without a working tree (a bare clone): files are read
/// from the object database. The repository's own `.keyguard.toml` is not read (its rule
/// files would have to come from the tree too): built-in rules and no allowlists.
pub fn run_git_head(
    repo_path: &Path,
    policy_files: &[PathBuf],
    today: jiff::civil::Date,
) -> Result<Outcome, Error> {
    let policies = load(policy_files)?;
    let config = Config::defaults()?;
    let repo = crate::source::git::open(repo_path)?;
    let (files, warnings) = crate::source::git::head_files(&repo, 10 << 20)?;
    let mut facts = refs::inventory_files(&files);
    facts
        .problems
        .extend(warnings.into_iter().map(|(path, message)| Problem {
            path,
            line: 0,
            message,
            note: false,
        }));
    let texts: HashMap<&str, &[u8]> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    Ok(findings(&config, &policies, facts, today, &|path| {
        texts
            .get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }))
}

fn load(policy_files: &[PathBuf]) -> Result<Vec<model::Policy>, Error> {
    policy_files
        .iter()
        .map(|f| model::Policy::load(f))
        .collect()
}

/// Check `facts` against the policies and turn violations into findings; `text_of` gives
/// a file's text for snippets and inline suppressions.
fn findings(
    config: &Config,
    policies: &[model::Policy],
    facts: Facts,
    today: jiff::civil::Date,
    text_of: &dyn Fn(&str) -> Option<String>,
) -> Outcome {
    // The plaintext check asks the secret detector about literal values.
    let detect = |key: &str, value: &str| {
        let text = format!("{key} = \"{value}\"\n");
        let mut scratch = crate::detect::Scratch::default();
        let mut out = Vec::new();
        config.rules.find(text.as_bytes(), &mut scratch, &mut out);
        !out.is_empty()
    };
    let mut violations: Vec<check::Violation> = policies
        .iter()
        .flat_map(|p| check::check(p, &facts, today, &detect))
        .collect();
    violations.sort_by(|a, b| (&a.place, &a.rule_id).cmp(&(&b.place, &b.rule_id)));
    // Two policies, or a grant and the reference that carries it (an ExternalSecret's
    // match-all `find`), may say the same thing about the same place: report it once.
    violations.dedup_by(|a, b| a.place == b.place && a.rule_id == b.rule_id);
    let mut texts: HashMap<String, Option<String>> = HashMap::new();
    let mut out = Outcome::default();
    for v in violations {
        let text = texts
            .entry(v.place.path.clone())
            .or_insert_with(|| text_of(&v.place.path));
        let lines: Vec<&str> = text
            .as_deref()
            .map_or_else(Vec::new, |t| t.lines().collect());
        let line_text = lines
            .get(v.place.line.wrapping_sub(1))
            .copied()
            .unwrap_or("");
        let previous = v
            .place
            .line
            .checked_sub(2)
            .and_then(|i| lines.get(i))
            .copied();
        if crate::suppress::inline_allowed(line_text.as_bytes(), previous.map(str::as_bytes)) {
            *out.suppressed
                .entry(crate::suppress::Suppression::Inline)
                .or_default() += 1;
            continue;
        }
        let hash = secret_hash(&v.subject);
        let desc = model::CHECKS
            .iter()
            .find(|c| format!("policy/{}", c.0) == v.rule_id)
            .map_or("", |c| c.2);
        let f = Finding {
            fingerprint: fingerprint(&v.rule_id, &v.place.path, &hash),
            secret_hash: hash,
            rule_name: desc.to_string(),
            family: "policy".into(),
            severity: v.severity,
            confidence: Confidence::High,
            location: Location {
                path: v.place.path.clone(),
                line: v.place.line,
                column: v.place.column,
                end_line: v.place.line,
                end_column: v.place.column,
            },
            // A plaintext finding whose literal is unknown shows no line: never risk it.
            line_text: if v.rule_id == "policy/plaintext-secret" && v.literal.is_none() {
                String::new()
            } else {
                line_text.to_string()
            },
            secret: v.literal.unwrap_or_default(),
            validated: None,
            commit: None,
            also_in: 0,
            versions: 1,
            chain: String::new(),
            encoded: None,
            container: None,
            companion: None,
            verification: None,
            message: Some(v.message),
            rule_id: v.rule_id,
        };
        if let Some(why) = crate::suppress::allowlisted(&config.allowlist, &f) {
            *out.suppressed.entry(why).or_default() += 1;
            continue;
        }
        out.findings.push(f);
    }
    out.facts = facts;
    out
}
