//! SARIF 2.1.0 for GitHub code scanning and other SARIF readers (serde-sarif types).
//!
//! Filled beyond what peers emit: rules carry full descriptions, help (text and Markdown:
//! what the secret is, how to rotate it), `security-severity` and `precision`; results carry
//! a redacted snippet and two partial fingerprints. SARIF is uploaded and shown to every
//! reader of a repository, so secrets are redacted here too unless `--show-secrets`.

use crate::finding::{hex, Finding, Severity};
use crate::rules::Rule;
use crate::scan::ScanReport;
use serde_sarif::sarif::{
    Artifact, ArtifactContent, ArtifactLocation, Invocation, Location, Message,
    MultiformatMessageString, Notification, PhysicalLocation, PropertyBag, Region,
    ReportingDescriptor, Result as SResult, ResultLevel, Run, RunAutomationDetails, Sarif, Tool,
    ToolComponent, VersionControlDetails,
};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashMap};

/// GitHub code scanning accepts at most this many results per run.
pub const MAX_RESULTS: usize = 25_000;

pub fn render(report: &ScanReport, show: bool) -> String {
    let sarif = build(report, show);
    let mut s = serde_json::to_string_pretty(&sarif).expect("SARIF serialises");
    s.push('\n');
    s
}

/// Build the SARIF log for a report.
pub fn build(report: &ScanReport, show: bool) -> Sarif {
    // Driver rules: those with results, in first-seen order; results point at them by index.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut descriptors = Vec::new();
    for f in &report.findings {
        if !index.contains_key(f.rule_id.as_str()) {
            index.insert(&f.rule_id, descriptors.len());
            descriptors.push(match report.rules.get(&f.rule_id) {
                Some(rule) => descriptor(rule),
                None => bare_descriptor(f),
            });
        }
    }
    let truncated = report.findings.len() > MAX_RESULTS;
    let shown = &report.findings[..report.findings.len().min(MAX_RESULTS)];
    let (artifacts, members) = nested_artifacts(shown);
    let results: Vec<SResult> = shown
        .iter()
        .map(|f| {
            result(
                f,
                index[f.rule_id.as_str()],
                members.get(f.location.path.as_str()).copied(),
                show,
            )
        })
        .collect();

    let mut notes: Vec<Notification> = report
        .warnings
        .iter()
        .map(|w| notification("warning", format!("{}: {}", w.path, w.message)))
        .collect();
    if truncated {
        notes.push(notification(
            "error",
            format!(
                "{} findings; only the first {MAX_RESULTS} are included (GitHub code scanning's limit per run). Use --format json for all of them.",
                report.findings.len()
            ),
        ));
    }
    let invocation = Invocation::builder()
        .execution_successful(!report.partial())
        .tool_execution_notifications(notes)
        .build();

    let driver = ToolComponent::builder()
        .name("keyguard")
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .version(env!("CARGO_PKG_VERSION"))
        .rules(descriptors)
        .build();
    let mut run_props = BTreeMap::new();
    run_props.insert("truncated".into(), serde_json::Value::Bool(truncated));
    run_props.insert(
        "totalFindings".into(),
        serde_json::Value::from(report.findings.len()),
    );
    let provenance: Vec<VersionControlDetails> = report
        .stats
        .history
        .as_ref()
        .and_then(|h| {
            let uri = h.remote_url.clone()?;
            let mut d = VersionControlDetails::builder().repository_uri(uri).build();
            d.revision_id = h.head.clone();
            Some(d)
        })
        .into_iter()
        .collect();
    let mut run = Run::builder()
        .tool(Tool::builder().driver(driver).build())
        .results(results)
        .invocations(vec![invocation])
        .column_kind(serde_json::Value::String("unicodeCodePoints".into()))
        .automation_details(
            RunAutomationDetails::builder()
                .id(format!("keyguard/{}", report.category))
                .build(),
        )
        .properties(
            PropertyBag::builder()
                .additional_properties(run_props)
                .build(),
        )
        .build();
    if !provenance.is_empty() {
        run.version_control_provenance = Some(provenance);
    }
    if !artifacts.is_empty() {
        run.artifacts = Some(artifacts);
    }
    Sarif::builder()
        .schema(
            "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        )
        .version(serde_json::Value::String("2.1.0".into()))
        .runs(vec![run])
        .build()
}

fn notification(level: &str, text: String) -> Notification {
    Notification::builder()
        .level(serde_json::Value::String(level.into()))
        .message(Message::builder().text(text).build())
        .build()
}

fn level(sev: Severity) -> ResultLevel {
    match sev {
        Severity::Critical | Severity::High => ResultLevel::Error,
        Severity::Medium => ResultLevel::Warning,
        Severity::Low | Severity::Info => ResultLevel::Note,
    }
}

fn rule_properties(family: &str, severity: Severity, precision: &str) -> PropertyBag {
    let mut extra = BTreeMap::new();
    extra.insert(
        "security-severity".into(),
        serde_json::Value::String(severity.security_severity().into()),
    );
    extra.insert(
        "precision".into(),
        serde_json::Value::String(precision.into()),
    );
    extra.insert(
        "problem.severity".into(),
        serde_json::Value::String(
            match level(severity) {
                ResultLevel::Error => "error",
                ResultLevel::Warning => "warning",
                _ => "recommendation",
            }
            .into(),
        ),
    );
    PropertyBag::builder()
        .tags(vec!["security".into(), "secret".into(), family.to_string()])
        .additional_properties(extra)
        .build()
}

fn descriptor(rule: &Rule) -> ReportingDescriptor {
    let s = &rule.spec;
    let description = if s.description.is_empty() {
        s.name.clone()
    } else {
        s.description.clone()
    };
    let mut d = ReportingDescriptor::builder()
        .id(s.id.clone())
        .name(camel(&s.id))
        .short_description(
            MultiformatMessageString::builder()
                .text(s.name.clone())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(description.clone())
                .build(),
        )
        .help(help(rule, &description))
        .properties(rule_properties(
            &s.family,
            s.severity,
            s.confidence.as_str(),
        ))
        .build();
    d.help_uri = s.references.first().cloned();
    d
}

/// What the secret is, how to rotate it, how to accept a false positive; text and Markdown.
fn help(rule: &Rule, description: &str) -> MultiformatMessageString {
    let s = &rule.spec;
    let remediation = if s.remediation.is_empty() {
        "Revoke the credential at its provider, issue a new one, and load it from a secret manager or the environment instead of the repository."
    } else {
        s.remediation.as_str()
    };
    const HISTORY: &str = "A secret stays exposed in git history after it is deleted from the files: rotate it first, then rewrite history if needed.";
    const ACCEPT: &str = "To accept a false positive, add `keyguard:allow` in a comment on the line, or an allowlist entry in `.keyguard.toml`.";
    let mut text = format!("{description}\n\nRemediation: {remediation}\n\n{HISTORY}\n\n{ACCEPT}");
    let mut markdown = format!(
        "**{}**\n\n{description}\n\n### Remediation\n\n{remediation}\n\n{HISTORY}\n\n{ACCEPT}",
        s.name
    );
    if !s.references.is_empty() {
        text.push_str("\n\nReferences:");
        markdown.push_str("\n\n### References\n");
        for r in &s.references {
            text.push_str(&format!("\n- {r}"));
            markdown.push_str(&format!("\n- <{r}>"));
        }
    }
    MultiformatMessageString::builder()
        .text(text)
        .markdown(markdown)
        .build()
}

/// A descriptor for a finding whose rule is not in the set (should not happen).
fn bare_descriptor(f: &Finding) -> ReportingDescriptor {
    ReportingDescriptor::builder()
        .id(f.rule_id.clone())
        .name(camel(&f.rule_id))
        .short_description(
            MultiformatMessageString::builder()
                .text(f.rule_name.clone())
                .build(),
        )
        .full_description(
            MultiformatMessageString::builder()
                .text(f.rule_name.clone())
                .build(),
        )
        .help(
            MultiformatMessageString::builder()
                .text(f.rule_name.clone())
                .build(),
        )
        .properties(rule_properties(
            &f.family,
            f.severity,
            f.confidence.as_str(),
        ))
        .build()
}

/// `github-pat-classic` → `GithubPatClassic` (SARIF rule names are identifiers).
fn camel(id: &str) -> String {
    id.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|p| !p.is_empty())
        .map(|p| {
            let mut c = p.chars();
            c.next()
                .map(|h| h.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Secrets in archive members: the file holding the archive (what code scanning can show)
/// and each member as a nested artifact whose `parentIndex` points at it. Returns the
/// artifacts and each member path's index.
fn nested_artifacts(findings: &[Finding]) -> (Vec<Artifact>, HashMap<&str, usize>) {
    let mut artifacts = Vec::new();
    let mut outers: HashMap<&str, usize> = HashMap::new();
    let mut members: HashMap<&str, usize> = HashMap::new();
    let artifact = |uri: String, parent: Option<usize>| {
        let mut a = Artifact::builder()
            .location(ArtifactLocation::builder().uri(uri).build())
            .build();
        a.parent_index = parent.map(|p| p as i64);
        a
    };
    for f in findings {
        let Some(outer) = f.container.as_deref() else {
            continue;
        };
        let path = f.location.path.as_str();
        if members.contains_key(path) {
            continue;
        }
        let parent = *outers.entry(outer).or_insert_with(|| {
            artifacts.push(artifact(uri_encode(outer), None));
            artifacts.len() - 1
        });
        let inner = path
            .strip_prefix(outer)
            .and_then(|p| p.strip_prefix('!'))
            .unwrap_or(path);
        artifacts.push(artifact(uri_encode(inner), Some(parent)));
        members.insert(path, artifacts.len() - 1);
    }
    (artifacts, members)
}

fn result(f: &Finding, rule_index: usize, member: Option<usize>, show: bool) -> SResult {
    let l = &f.location;
    // In an archive member, lines are the member's: the file code scanning shows is the
    // archive, so the region is its start and the message names the member and line.
    let region = if member.is_some() {
        Region::builder().start_line(1).build()
    } else {
        Region::builder()
            .start_line(l.line as i64)
            .start_column(l.column as i64)
            .end_line(l.end_line as i64)
            .end_column(l.end_column as i64)
            .snippet(ArtifactContent::builder().text(f.snippet(show)).build())
            .build()
    };
    let mut artifact = ArtifactLocation::builder()
        .uri(uri_encode(f.container.as_deref().unwrap_or(&l.path)))
        .build();
    artifact.index = member.map(|i| i as i64);
    let physical = PhysicalLocation::builder()
        .artifact_location(artifact)
        .region(region)
        .build();
    let mut fps = BTreeMap::new();
    fps.insert("keyguard/v1".to_string(), f.fingerprint.clone());
    fps.insert("primaryLocationLineHash".to_string(), line_hash(f));
    let validated = f
        .validated
        .map(|v| format!(" Offline validation passed ({v})."))
        .unwrap_or_default();
    let introduced = f
        .commit
        .as_ref()
        .map(|c| {
            format!(
                " Introduced in commit {} by {} on {}.",
                c.id, c.author, c.date
            )
        })
        .unwrap_or_default();
    let verified = f
        .verification
        .as_ref()
        .map(|v| match v.advice() {
            Some(a) => format!(" Verified LIVE ({}): {a}.", v.reason),
            None => format!(" Verified {} ({}).", v.state.as_str(), v.reason),
        })
        .unwrap_or_default();
    let text = match &f.message {
        Some(m) => format!("{m}."),
        None => format!(
            "{} `{}` found in {} at line {}{}.{validated}{introduced}{verified} Rotate it; deleting it from the file does not remove it from git history.",
            f.rule_name,
            f.shown_secret(show),
            l.path,
            l.line,
            if f.chain.is_empty() {
                String::new()
            } else {
                format!(", decoded ({})", f.chain)
            }
        ),
    };
    let mut props = BTreeMap::new();
    props.insert(
        "severity".into(),
        serde_json::Value::String(f.severity.as_str().into()),
    );
    props.insert(
        "confidence".into(),
        serde_json::Value::String(f.confidence.as_str().into()),
    );
    props.insert("family".into(), serde_json::Value::String(f.family.clone()));
    if let Some(v) = f.validated {
        props.insert("validated".into(), serde_json::Value::String(v.into()));
    }
    if !f.chain.is_empty() {
        props.insert(
            "decoding".into(),
            serde_json::Value::String(f.chain.clone()),
        );
    }
    if f.container.is_some() {
        props.insert("member".into(), serde_json::Value::String(l.path.clone()));
    }
    if let Some(v) = &f.verification {
        props.insert(
            "verification".into(),
            serde_json::Value::String(v.state.as_str().into()),
        );
        props.insert(
            "verificationReason".into(),
            serde_json::Value::String(v.reason.clone()),
        );
        props.insert("revoke".into(), serde_json::Value::String(v.revoke.clone()));
    }
    props.insert(
        "secretSha256".into(),
        serde_json::Value::String(f.secret_hash.clone()),
    );
    if let Some(c) = &f.commit {
        props.insert(
            "commit".into(),
            serde_json::to_value(c.as_ref()).expect("commit info"),
        );
        props.insert("alsoIn".into(), serde_json::Value::from(f.also_in));
    }
    SResult::builder()
        .rule_id(f.rule_id.clone())
        .rule_index(rule_index as i64)
        .level(level(f.severity))
        .message(Message::builder().text(text).build())
        .locations(vec![Location::builder()
            .physical_location(physical)
            .build()])
        .partial_fingerprints(fps)
        .properties(PropertyBag::builder().additional_properties(props).build())
        .build()
}

/// A line hash in GitHub's `hash:occurrence` shape, from the rule and the whitespace-free
/// line with the secret replaced by its hash (so moving the line keeps it).
fn line_hash(f: &Finding) -> String {
    let line: String = f
        .line_text
        .replace(&f.secret, &f.secret_hash)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let mut h = Sha256::new();
    h.update(f.rule_id.as_bytes());
    h.update([0]);
    h.update(line.as_bytes());
    format!("{}:1", hex(&h.finalize()[..8]))
}

/// Percent-encode a relative path for a SARIF `uri` (RFC 3986 unreserved and `/` kept).
fn uri_encode(path: &str) -> String {
    super::percent_encode(path, b"/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn uri_and_names() {
        assert_eq!(super::uri_encode("a b/c#d.txt"), "a%20b/c%23d.txt");
        assert_eq!(super::camel("github-pat-classic"), "GithubPatClassic");
    }
}
