//! AWS CloudFormation dynamic references: `{{resolve:secretsmanager:<id>[:SecretString[:key[:stage[:version]]]]}}`
//! and `{{resolve:ssm-secure:<name>[:<version>]}}`.

use super::SecretRef;
use regex::Regex;
use std::sync::LazyLock;

static RESOLVE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\{\{resolve:(secretsmanager|ssm-secure):([^}]+)\}\}").expect("valid")
});

pub fn extract(path: &str, text: &str, out: &mut Vec<SecretRef>) {
    for c in RESOLVE.captures_iter(text) {
        let whole = c.get(0).expect("match");
        let service = c.get(1).expect("group").as_str();
        let rest = c.get(2).expect("group").as_str();
        let (name, version) = if service == "secretsmanager" {
            // An ARN carries colons of its own: arn:aws:secretsmanager:region:acct:secret:name
            let fields: Vec<&str> = rest.split(':').collect();
            let (id, tail) = if rest.starts_with("arn:") && fields.len() >= 7 {
                (fields[..7].join(":"), &fields[7..])
            } else {
                (fields[0].to_string(), &fields[1..])
            };
            let key = tail.get(1).filter(|k| !k.is_empty());
            let name = match key {
                Some(k) => format!("{id}#{k}"),
                None => id,
            };
            // SecretString:json-key:version-stage:version-id
            let version = tail
                .get(3)
                .or(tail.get(2))
                .filter(|v| !v.is_empty())
                .map(|v| v.to_string());
            (name, version)
        } else {
            let (n, v) = rest
                .split_once(':')
                .map_or((rest, None), |(n, v)| (n, Some(v.to_string())));
            (n.to_string(), v)
        };
        let mut r = SecretRef::new("cloudformation", path, text, whole.start(), name);
        r.store = Some(
            if service == "secretsmanager" {
                "aws-secretsmanager"
            } else {
                "aws-ssm"
            }
            .into(),
        );
        r.version = version;
        out.push(r);
    }
}
