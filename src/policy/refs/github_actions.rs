//! GitHub Actions workflows: `${{ secrets.NAME }}`, `secrets: inherit`, `toJSON(secrets)`,
//! with the job as consumer and the job's `environment:` as environment.

use super::SecretRef;
use regex::Regex;
use std::sync::LazyLock;

static SECRET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)").expect("valid"));
static EXPR: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\$\{\{(.*?)\}\}").expect("valid"));
static ALL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:^\s*secrets:\s*inherit\b|toJSON\(\s*secrets\s*\))").expect("valid")
});

pub fn applies(path: &str) -> bool {
    (path.starts_with(".github/workflows/") || path.contains("/.github/workflows/"))
        && (path.ends_with(".yml") || path.ends_with(".yaml"))
        || path.ends_with("action.yml")
        || path.ends_with("action.yaml")
}

/// The job a line belongs to, and that job's environment, from indentation under `jobs:`.
#[derive(Default)]
struct Jobs {
    in_jobs: bool,
    job: Option<String>,
    job_indent: usize,
    environment: Option<String>,
    env_block: bool,
}

fn indent(l: &str) -> usize {
    l.len() - l.trim_start().len()
}

pub fn extract(path: &str, text: &str, out: &mut Vec<SecretRef>) {
    // First pass: each job's environment (it may be declared after the steps that use it).
    let mut envs: Vec<(String, String)> = Vec::new();
    let mut jobs = Jobs::default();
    for line in text.split_inclusive('\n') {
        track(line, &mut jobs, &mut |job, env| {
            envs.push((job.to_string(), env.to_string()))
        });
    }
    let env_of = |job: &Option<String>| {
        job.as_ref()
            .and_then(|j| envs.iter().find(|(n, _)| n == j).map(|(_, e)| e.clone()))
    };
    let mut offset = 0;
    let mut jobs = Jobs::default();
    for line in text.split_inclusive('\n') {
        track(line, &mut jobs, &mut |_, _| {});
        let trimmed = line.trim_start();
        if !trimmed.starts_with('#') {
            for e in EXPR.captures_iter(line) {
                let inner = e.get(1).expect("group");
                for m in SECRET.captures_iter(inner.as_str()) {
                    let name = m.get(1).expect("group");
                    if name.as_str() == "GITHUB_TOKEN" {
                        continue; // issued per run by GitHub, not a stored secret
                    }
                    let mut r = SecretRef::new(
                        "github-actions",
                        path,
                        text,
                        offset + inner.start() + name.start() - "secrets.".len(),
                        name.as_str().to_string(),
                    );
                    r.store = Some("github".into());
                    r.consumer = jobs.job.clone();
                    r.environment = env_of(&jobs.job);
                    out.push(r);
                }
            }
            if let Some(m) = ALL.find(line) {
                let start = m.start() + (m.as_str().len() - m.as_str().trim_start().len());
                let mut r =
                    SecretRef::new("github-actions", path, text, offset + start, "*".into());
                r.store = Some("github".into());
                r.kind = "all-secrets";
                r.consumer = jobs.job.clone();
                r.environment = env_of(&jobs.job);
                out.push(r);
            }
        }
        offset += line.len();
    }
}

/// Follow `jobs:` → `  <job>:` → `    environment: x` (or `environment:\n name: x`).
fn track(line: &str, jobs: &mut Jobs, on_env: &mut dyn FnMut(&str, &str)) {
    let t = line.trim_end();
    let trimmed = t.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') {
        return;
    }
    let ind = indent(t);
    if ind == 0 {
        jobs.in_jobs = trimmed.starts_with("jobs:");
        jobs.job = None;
        return;
    }
    if !jobs.in_jobs {
        return;
    }
    if jobs.job.is_none() || ind <= jobs.job_indent {
        if let Some(name) = trimmed.strip_suffix(':') {
            jobs.job = Some(name.trim_matches(['"', '\'']).to_string());
            jobs.job_indent = ind;
            jobs.environment = None;
            jobs.env_block = false;
        }
        return;
    }
    if let Some(v) = trimmed.strip_prefix("environment:") {
        let v = v.trim().trim_matches(['"', '\'']);
        if v.is_empty() {
            jobs.env_block = true;
        } else if let Some(job) = &jobs.job {
            jobs.environment = Some(v.to_string());
            on_env(job, v);
        }
        return;
    }
    if jobs.env_block {
        if let Some(v) = trimmed.strip_prefix("name:") {
            let v = v.trim().trim_matches(['"', '\'']);
            if let Some(job) = &jobs.job {
                jobs.environment = Some(v.to_string());
                on_env(job, v);
            }
        }
        jobs.env_block = false;
    }
}

/// Literal values in a workflow's `env:` maps (workflow, job and step level): a credential
/// written there belongs in `secrets`. Each becomes a `value` reference the plaintext check
/// hands to the secret detector; `${{ … }}` expressions are references, not literals.
pub fn extract_env_literals(input: &super::Input, out: &mut super::Facts) {
    use super::tree::Node;
    if !applies(input.path) {
        return;
    }
    let mut literal = |consumer: String, env: &Node| {
        for (key, v) in env.entries() {
            let Some(value) = v.str() else { continue };
            if value.contains("${{") || value.trim().is_empty() {
                continue;
            }
            // Only what may be a credential: a secret-sounding name or a long opaque value.
            let opaque = value.len() >= 16 && !value.contains(char::is_whitespace);
            if !super::secret_named(key) && !opaque {
                continue;
            }
            let mut r = input.reference("github-actions", v, key.clone());
            r.kind = "value";
            r.consumer = Some(consumer.clone());
            r.value = Some(value.to_string());
            out.refs.push(r);
        }
    };
    for doc in input.yaml {
        if let Some(env) = doc.get("env") {
            literal("workflow".into(), env);
        }
        for (job, body) in doc.get("jobs").map_or(&[][..], |j| j.entries()) {
            if let Some(env) = body.get("env") {
                literal(job.clone(), env);
            }
            for step in body.get("steps").map_or(&[][..], |s| s.items()) {
                if let Some(env) = step.get("env") {
                    literal(job.clone(), env);
                }
            }
        }
    }
}
