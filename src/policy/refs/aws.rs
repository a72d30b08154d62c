//! AWS: ECS task definitions and IAM policy documents, in JSON or YAML.
//!
//! **ECS task definitions** — a JSON document with `containerDefinitions` (top level, or under
//! `taskDefinition` as `aws ecs describe-task-definition` prints it), a JSON array of container
//! definitions (`container_definitions = file(…)`), or a CloudFormation
//! `AWS::ECS::TaskDefinition` (`ContainerDefinitions`, JSON or YAML):
//! - `secrets[].valueFrom`, `logConfiguration.secretOptions[].valueFrom` and
//!   `repositoryCredentials.credentialsParameter` → [`SecretRef`] (format `aws-ecs`,
//!   consumer `<family>/<container>`, position = the value):
//!   - Secrets Manager ARN `arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME[:json-key:version-stage:version-id]`
//!     → store `aws-secretsmanager:<account>/<region>`, name `NAME` as written (a full ARN
//!     carries Secrets Manager's `-xxxxxx` suffix; it is not stripped because a name may end
//!     in six characters after a hyphen of its own), `NAME#json-key` when a key is selected,
//!     version = the version id, else the version stage;
//!   - SSM ARN `arn:aws:ssm:REGION:ACCOUNT:parameter/NAME` → store `aws-ssm:<account>/<region>`,
//!     name `/NAME` for a hierarchical parameter (`NAME` otherwise);
//!   - a bare name (an SSM parameter in the task's own account and region) → store `aws-ssm`;
//!   - CloudFormation `Ref`/`!Ref` to an `AWS::SecretsManager::Secret` or `AWS::SSM::Parameter`
//!     of the same template → that resource's `Name` (or logical id) in `aws-secretsmanager` /
//!     `aws-ssm`; `Fn::Sub` strings are read as ARNs with their `${…}` kept as written.
//! - `environment[]` (`Environment[]`) entries: a value that is a Secrets Manager or SSM ARN
//!   is a reference; a literal under a secret-like name is kind `value` with `.value` set.
//!
//! **IAM policy documents** — any map with a `Statement` of `Effect` entries: a policy file
//! (`Version` + `Statement`), CloudFormation `AWS::IAM::Policy`/`ManagedPolicy`
//! (`PolicyDocument`), `AWS::IAM::Role`/`User`/`Group` (`Policies[].PolicyDocument`),
//! `AWS::SecretsManager::ResourcePolicy`, or a policy inline anywhere else → a [`Grant`]
//! (format `aws-iam`) per resource of each `Allow` statement whose actions reach secrets
//! (`secretsmanager:*` actions, `ssm:GetParameter*`, `kms:Decrypt`, or wildcards matching
//! one of them). `resource` and `actions` are as written (`NotResource`/`NotAction` entries
//! are prefixed with `!`); store = `aws-secretsmanager:`/`aws-ssm:`/`aws-kms:<account>/<region>`
//! from the resource ARN; consumer = the role/user/group (`RoleName` or logical id; the
//! `Roles`/`Users`/`Groups` of a policy), else the `PolicyName`, the resource policy's
//! principal, or the file name. `all_secrets` is the verdict that the *resource* covers a
//! whole store: `*`, `…:secret:*`, `…:parameter/*`, `…:key/*`, any `NotResource`; wildcard
//! actions on a narrow resource stay visible in `actions` for the least-privilege check.
//! `Deny` statements grant nothing. Conditions are not read.

use super::Input;
use crate::policy::facts::{Facts, Grant};
use crate::policy::tree::{Node, Value};

pub fn extract(input: &Input, out: &mut Facts) {
    let docs: Vec<&Node> = input.json.into_iter().chain(input.yaml).collect();
    for doc in docs {
        let cfn = doc
            .get("Resources")
            .is_some_and(|r| r.entries().iter().any(|(_, v)| v.get("Type").is_some()));
        if cfn {
            cloudformation(input, doc, out);
        } else {
            ecs_document(input, doc, out);
            policies(input, doc, None, out, 0);
        }
    }
}

/// Text that cannot be a credential on its own: a boolean or a number.
pub(super) fn plain_setting(value: &str) -> bool {
    matches!(value, "true" | "false" | "True" | "False") || value.parse::<f64>().is_ok()
}

// ---------------------------------------------------------------- ECS

/// Field names differ only in case between the ECS API (`containerDefinitions`) and
/// CloudFormation (`ContainerDefinitions`).
fn field<'a>(n: &'a Node, camel: &str) -> Option<&'a Node> {
    n.get(camel).or_else(|| {
        let mut pascal = camel.to_string();
        pascal[..1].make_ascii_uppercase();
        n.get(&pascal)
    })
}

fn str_field<'a>(n: &'a Node, camel: &str) -> Option<&'a str> {
    field(n, camel).and_then(Node::str)
}

fn ecs_document(input: &Input, doc: &Node, out: &mut Facts) {
    let task = doc.get("taskDefinition").unwrap_or(doc);
    if let Some(containers) = task.get("containerDefinitions") {
        let family = task.str_at(&["family"]).map(str::to_string);
        containers_of(input, None, family, containers, out);
    } else if input.json.is_some()
        && matches!(doc.value, Value::Seq(_))
        && doc
            .items()
            .iter()
            .all(|c| c.get("image").is_some() && c.get("name").is_some())
    {
        let stem = input.name.split('.').next().unwrap_or(input.name);
        containers_of(input, None, Some(stem.to_string()), doc, out);
    }
}

fn containers_of(
    input: &Input,
    template: Option<&Node>,
    family: Option<String>,
    containers: &Node,
    out: &mut Facts,
) {
    for c in containers.items() {
        let name = str_field(c, "name");
        let consumer = match (&family, name) {
            (Some(f), Some(n)) => Some(format!("{f}/{n}")),
            (Some(f), None) => Some(f.clone()),
            (None, n) => n.map(str::to_string),
        };
        let mut value_from = Vec::new();
        for s in field(c, "secrets").map_or(&[][..], Node::items) {
            value_from.extend(field(s, "valueFrom"));
        }
        if let Some(log) = field(c, "logConfiguration") {
            for s in field(log, "secretOptions").map_or(&[][..], Node::items) {
                value_from.extend(field(s, "valueFrom"));
            }
        }
        if let Some(creds) = field(c, "repositoryCredentials") {
            value_from.extend(field(creds, "credentialsParameter"));
        }
        for v in value_from {
            let Some((store, name, version)) = secret_source(input, template, v, true) else {
                continue;
            };
            let mut r = input.reference("aws-ecs", v, name);
            r.store = Some(store);
            r.version = version;
            r.consumer = consumer.clone();
            out.refs.push(r);
        }
        for e in field(c, "environment").map_or(&[][..], Node::items) {
            let (Some(var), Some(v)) = (str_field(e, "name"), field(e, "value")) else {
                continue;
            };
            if let Some((store, name, version)) = secret_source(input, template, v, false) {
                let mut r = input.reference("aws-ecs", v, name);
                r.store = Some(store);
                r.version = version;
                r.consumer = consumer.clone();
                out.refs.push(r);
            } else if let Some(text) = v.str().filter(|t| !t.is_empty() && !plain_setting(t)) {
                if super::secret_named(var) && yaml_tag(input.text, v).is_none() {
                    let mut r = input.reference("aws-ecs", v, var.to_string());
                    r.kind = "value";
                    r.consumer = consumer.clone();
                    r.value = Some(text.to_string());
                    out.refs.push(r);
                }
            }
        }
    }
}

/// Where a `valueFrom` (or an environment value) points: (store, name, version). A bare name
/// counts only where the field must name a secret (`bare`).
fn secret_source(
    input: &Input,
    template: Option<&Node>,
    v: &Node,
    bare: bool,
) -> Option<(String, String, Option<String>)> {
    match cfn_value(input.text, v)? {
        Cfn::Ref(id) => {
            let res = template.and_then(|t| t.at(&["Resources", &id]));
            let ty = res.and_then(|r| r.str_at(&["Type"])).unwrap_or_default();
            let named = res
                .and_then(|r| r.at(&["Properties", "Name"]))
                .and_then(|n| match cfn_value(input.text, n) {
                    Some(Cfn::Text(t)) => Some(t),
                    _ => None,
                })
                .unwrap_or_else(|| id.clone());
            match ty {
                "AWS::SecretsManager::Secret" => Some(("aws-secretsmanager".into(), named, None)),
                "AWS::SSM::Parameter" => Some(("aws-ssm".into(), named, None)),
                // A template parameter or another resource: the name as written.
                _ if bare => Some(("aws".into(), id, None)),
                _ => None,
            }
        }
        Cfn::Text(t) => {
            if let Some(a) = parse_arn(&t) {
                return arn_secret(&a);
            }
            let plain = !t.is_empty() && !t.contains(char::is_whitespace) && !t.contains("${");
            (bare && plain).then(|| ("aws-ssm".into(), t, None))
        }
    }
}

/// A secret or parameter named by an ARN: (store, name, version).
fn arn_secret(a: &Arn) -> Option<(String, String, Option<String>)> {
    let where_ = format!("{}/{}", a.account, a.region);
    match a.service {
        "secretsmanager" => {
            let rest = a.resource.strip_prefix("secret:")?;
            let fields: Vec<&str> = rest.split(':').collect();
            let mut name = fields[0].to_string();
            if let Some(key) = fields.get(1).filter(|k| !k.is_empty()) {
                name = format!("{name}#{key}");
            }
            // json-key:version-stage:version-id — the id pins harder than the stage.
            let version = [fields.get(3), fields.get(2)]
                .into_iter()
                .flatten()
                .find(|v| !v.is_empty())
                .map(|v| v.to_string());
            Some((format!("aws-secretsmanager:{where_}"), name, version))
        }
        "ssm" => {
            let rest = a.resource.strip_prefix("parameter")?;
            let rest = rest.strip_prefix('/').unwrap_or(rest);
            let name = if rest.contains('/') {
                format!("/{rest}")
            } else {
                rest.to_string()
            };
            Some((format!("aws-ssm:{where_}"), name, None))
        }
        _ => None,
    }
}

pub(super) struct Arn<'a> {
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (the resource may hold more colons;
/// CloudFormation `${AWS::Region}` placeholders are kept whole).
pub(super) fn parse_arn(s: &str) -> Option<Arn<'_>> {
    let mut fields = Vec::with_capacity(6);
    let mut start = 0;
    let mut depth = 0usize;
    let b = s.as_bytes();
    for i in 0..b.len() {
        match b[i] {
            b'{' if i > 0 && b[i - 1] == b'$' => depth += 1,
            b'}' if depth > 0 => depth -= 1,
            b':' if depth == 0 && fields.len() < 5 => {
                fields.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    fields.push(&s[start..]);
    if fields.len() != 6 || fields[0] != "arn" {
        return None;
    }
    Some(Arn {
        service: fields[2],
        region: fields[3],
        account: fields[4],
        resource: fields[5],
    })
}

// ---------------------------------------------------------------- CloudFormation

/// A CloudFormation value: text (literal or `Fn::Sub`, with `${…}` as written) or a `Ref`.
#[derive(Debug, PartialEq)]
enum Cfn {
    Text(String),
    Ref(String),
}

/// The YAML short-form tag of a node (`!Ref`, `!Sub`), which the tree drops: a tagged
/// scalar's position is its tag's; otherwise the tag is written just before the node.
fn yaml_tag<'t>(text: &'t str, n: &Node) -> Option<&'t str> {
    let line = text.lines().nth(n.line.checked_sub(1)?)?;
    let end = line
        .char_indices()
        .nth(n.column.checked_sub(1)?)
        .map_or(line.len(), |(i, _)| i);
    if let Some(tagged) = line[end..].strip_prefix('!') {
        let tag = tagged.split(|c: char| c.is_whitespace()).next()?;
        return Some(tag).filter(|t| !t.is_empty());
    }
    let before = line[..end].trim_end();
    let token = before
        .rsplit(|c: char| c.is_whitespace() || matches!(c, '[' | '{' | ',' | '-' | ':'))
        .next()?;
    token.strip_prefix('!').filter(|t| !t.is_empty())
}

fn cfn_value(text: &str, n: &Node) -> Option<Cfn> {
    match &n.value {
        Value::Scalar(s) => Some(match yaml_tag(text, n) {
            Some("Ref") => Cfn::Ref(s.clone()),
            Some("GetAtt") => Cfn::Text(format!("${{{s}}}")),
            Some("ImportValue") => Cfn::Text(format!("${{ImportValue:{s}}}")),
            _ => Cfn::Text(s.clone()),
        }),
        Value::Map(e) if e.len() == 1 => {
            let (k, v) = &e[0];
            match k.as_str() {
                "Ref" => v.str().map(|s| Cfn::Ref(s.to_string())),
                "Fn::Sub" => v
                    .items()
                    .first()
                    .and_then(Node::str)
                    .map(|s| Cfn::Text(s.to_string())),
                "Fn::Join" => join(text, v),
                "Fn::GetAtt" => Some(Cfn::Text(format!(
                    "${{{}}}",
                    v.items()
                        .iter()
                        .filter_map(Node::str)
                        .collect::<Vec<_>>()
                        .join(".")
                ))),
                _ => None,
            }
        }
        Value::Seq(_) => match yaml_tag(text, n) {
            Some("Join") => join(text, n),
            Some("Sub") => n
                .items()
                .first()
                .and_then(Node::str)
                .map(|s| Cfn::Text(s.to_string())),
            _ => None,
        },
        _ => None,
    }
}

/// `Fn::Join: [sep, [parts]]`, with non-literal parts as `${…}`.
fn join(text: &str, v: &Node) -> Option<Cfn> {
    let items = v.items();
    let sep = items.first()?.str().unwrap_or_default();
    let parts: Vec<String> = items
        .get(1)?
        .items()
        .iter()
        .map(|p| match cfn_value(text, p) {
            Some(Cfn::Text(t)) => t,
            Some(Cfn::Ref(r)) => format!("${{{r}}}"),
            None => "${…}".into(),
        })
        .collect();
    Some(Cfn::Text(parts.join(sep)))
}

fn cloudformation(input: &Input, doc: &Node, out: &mut Facts) {
    let Some(resources) = doc.get("Resources") else {
        return;
    };
    for (id, res) in resources.entries() {
        let ty = res.str_at(&["Type"]).unwrap_or_default();
        let props = res.get("Properties").unwrap_or(Node::null());
        let text_of = |key: &str| match props.get(key).and_then(|n| cfn_value(input.text, n)) {
            Some(Cfn::Text(t)) => Some(t),
            _ => None,
        };
        match ty {
            "AWS::ECS::TaskDefinition" => {
                let family = text_of("Family").unwrap_or_else(|| id.clone());
                if let Some(c) = props.get("ContainerDefinitions") {
                    containers_of(input, Some(doc), Some(family), c, out);
                }
                policies(input, props, Some(id), out, 0);
            }
            "AWS::IAM::Role" | "AWS::IAM::User" | "AWS::IAM::Group" => {
                let named = match ty {
                    "AWS::IAM::Role" => "RoleName",
                    "AWS::IAM::User" => "UserName",
                    _ => "GroupName",
                };
                let who = text_of(named).unwrap_or_else(|| id.clone());
                for p in props.get("Policies").map_or(&[][..], Node::items) {
                    if let Some(d) = p.get("PolicyDocument") {
                        document(input, d, Some(&who), out);
                    }
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                let mut who: Vec<String> = Vec::new();
                for key in ["Roles", "Users", "Groups"] {
                    for n in props.get(key).map_or(&[][..], Node::items) {
                        match cfn_value(input.text, n) {
                            Some(Cfn::Text(t) | Cfn::Ref(t)) => who.push(t),
                            None => {}
                        }
                    }
                }
                let who = if who.is_empty() {
                    text_of("PolicyName")
                        .or_else(|| text_of("ManagedPolicyName"))
                        .unwrap_or_else(|| id.clone())
                } else {
                    who.join(",")
                };
                if let Some(d) = props.get("PolicyDocument") {
                    document(input, d, Some(&who), out);
                }
            }
            "AWS::SecretsManager::ResourcePolicy" => {
                if let Some(d) = props.get("ResourcePolicy") {
                    document(input, d, None, out);
                }
            }
            _ => policies(input, props, Some(id), out, 0),
        }
    }
}

// ---------------------------------------------------------------- IAM

/// Find policy documents anywhere below `n`.
fn policies(input: &Input, n: &Node, consumer: Option<&str>, out: &mut Facts, depth: usize) {
    if depth > 64 {
        return;
    }
    match &n.value {
        Value::Map(entries) => {
            if is_document(n) {
                document(input, n, Some(consumer.unwrap_or(input.name)), out);
                return;
            }
            // A named inline policy: `{PolicyName: x, PolicyDocument: {…}}`.
            let named = n
                .get("PolicyName")
                .or_else(|| n.get("policyName"))
                .and_then(Node::str);
            for (_, v) in entries {
                policies(input, v, named.or(consumer), out, depth + 1);
            }
        }
        Value::Seq(items) => items
            .iter()
            .for_each(|i| policies(input, i, consumer, out, depth + 1)),
        _ => {}
    }
}

fn is_document(n: &Node) -> bool {
    n.get("Statement").is_some_and(|s| {
        let items = s.items();
        !items.is_empty() && items.iter().all(|st| st.get("Effect").is_some())
    })
}

/// Actions that read a secret's value, for matching IAM wildcards against.
const SECRET_ACTIONS: &[&str] = &[
    "secretsmanager:getsecretvalue",
    "secretsmanager:batchgetsecretvalue",
    "ssm:getparameter",
    "ssm:getparameters",
    "ssm:getparametersbypath",
    "ssm:getparameterhistory",
    "kms:decrypt",
];

/// IAM wildcard match (`*` any run, `?` one character), case-insensitive.
fn wildcard(pattern: &str, s: &str) -> bool {
    let p: Vec<char> = pattern.to_ascii_lowercase().chars().collect();
    let s: Vec<char> = s.chars().collect();
    let (mut pi, mut si, mut star, mut mark) = (0, 0, None, 0);
    while si < s.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == s[si]) {
            pi += 1;
            si += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = si;
            pi += 1;
        } else if let Some(st) = star {
            pi = st + 1;
            mark += 1;
            si = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

fn touches_secrets(action: &str) -> bool {
    action.to_ascii_lowercase().starts_with("secretsmanager:")
        || SECRET_ACTIONS.iter().any(|a| wildcard(action, a))
}

fn strings(input: &Input, n: &Node) -> Vec<(String, Node)> {
    n.items()
        .iter()
        .filter_map(|i| match cfn_value(input.text, i)? {
            Cfn::Text(t) => Some((t, i.clone())),
            Cfn::Ref(r) => Some((format!("${{{r}}}"), i.clone())),
        })
        .collect()
}

fn document(input: &Input, doc: &Node, consumer: Option<&str>, out: &mut Facts) {
    for st in doc.get("Statement").map_or(&[][..], Node::items) {
        if st.str_at(&["Effect"]) != Some("Allow") {
            continue;
        }
        let (actions, touches) = if let Some(a) = st.get("Action") {
            let a: Vec<String> = strings(input, a).into_iter().map(|(t, _)| t).collect();
            let touches = a.iter().any(|x| touches_secrets(x));
            (a, touches)
        } else if let Some(na) = st.get("NotAction") {
            let na: Vec<String> = strings(input, na).into_iter().map(|(t, _)| t).collect();
            // Everything but these: secrets are reached unless they are excluded.
            let excluded = na
                .iter()
                .any(|x| wildcard(x, "secretsmanager:getsecretvalue"));
            (na.iter().map(|x| format!("!{x}")).collect(), !excluded)
        } else {
            continue;
        };
        if !touches {
            continue;
        }
        let principal = st.get("Principal").map(|p| principal_text(input, p));
        let who = principal.or_else(|| consumer.map(str::to_string));
        let (resources, negated) = match (st.get("Resource"), st.get("NotResource")) {
            (Some(r), _) => (strings(input, r), false),
            (None, Some(nr)) => (strings(input, nr), true),
            (None, None) => (vec![("*".to_string(), st.clone())], false),
        };
        for (res, at) in resources {
            let arn = parse_arn(&res);
            let store = arn.as_ref().and_then(|a| {
                let scheme = match a.service {
                    "secretsmanager" => "aws-secretsmanager",
                    "ssm" => "aws-ssm",
                    "kms" => "aws-kms",
                    _ => return None,
                };
                Some(format!("{scheme}:{}/{}", a.account, a.region))
            });
            let all_secrets = negated
                || res == "*"
                || arn.as_ref().is_some_and(|a| {
                    matches!(a.resource, "*" | "secret:*" | "parameter/*" | "key/*")
                });
            out.grants.push(Grant {
                format: "aws-iam",
                place: input.place(&at),
                consumer: who.clone(),
                store,
                resource: if negated { format!("!{res}") } else { res },
                actions: actions.clone(),
                all_secrets,
            });
        }
    }
}

/// `Principal: {AWS: [arn, …]}` / `{Service: x}` / `*` as one line of text.
fn principal_text(input: &Input, p: &Node) -> String {
    match &p.value {
        Value::Map(entries) => entries
            .iter()
            .flat_map(|(_, v)| strings(input, v).into_iter().map(|(t, _)| t))
            .collect::<Vec<_>>()
            .join(","),
        _ => p.str().unwrap_or("*").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::refs::extract;
    use crate::policy::refs::secret_named;

    #[test]
    fn arns_and_wildcards() {
        let a = parse_arn("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbCdEf:password:AWSCURRENT:").unwrap();
        assert_eq!(
            arn_secret(&a),
            Some((
                "aws-secretsmanager:123456789012/eu-west-1".into(),
                "prod/db-AbCdEf#password".into(),
                Some("AWSCURRENT".into())
            ))
        );
        let a = parse_arn("arn:aws:ssm:us-east-1:123456789012:parameter/prod/api/token").unwrap();
        assert_eq!(arn_secret(&a).unwrap().1, "/prod/api/token");
        let a = parse_arn("arn:aws:ssm:us-east-1:123456789012:parameter/FLAT").unwrap();
        assert_eq!(arn_secret(&a).unwrap().1, "FLAT");
        assert!(wildcard(
            "secretsmanager:Get*",
            "secretsmanager:getsecretvalue"
        ));
        assert!(wildcard("ssm:GetParameter?", "ssm:getparameters"));
        assert!(!wildcard("ssm:Put*", "ssm:getparameter"));
        assert!(wildcard("*", "kms:decrypt"));
        assert!(touches_secrets("secretsmanager:DescribeSecret"));
        assert!(!touches_secrets("s3:GetObject"));
        assert!(secret_named("DB_PASSWORD") && secret_named("apiKey"));
        assert!(!secret_named("LOG_LEVEL"));
        assert!(secret_named("ConnectionStrings__Main") && secret_named("SECRET_KEY_BASE"));
        assert!(!secret_named("publicKeySecretName") && !secret_named("DB_PASSWORD_FILE"));
        assert!(
            !secret_named("enableSecretRotation") && !secret_named("disablePasswordAuthentication")
        );
        assert!(
            secret_named("sqlAdministratorLoginPassword") && secret_named("AWS_SECRET_ACCESS_KEY")
        );
    }

    #[test]
    fn ecs_task_definition_json() {
        let text = r#"{
  "taskDefinition": {
    "family": "billing-api",
    "containerDefinitions": [
      {
        "name": "app",
        "image": "example/app:1.2",
        "secrets": [
          { "name": "DB_PASSWORD", "valueFrom": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/billing/db-Xy12Zq:password::v-0001" },
          { "name": "API_TOKEN", "valueFrom": "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/billing/api-token" },
          { "name": "FLAG", "valueFrom": "billing-flag" }
        ],
        "environment": [
          { "name": "STRIPE_SECRET_KEY", "value": "sk_test_fake_0000000000000000" },
          { "name": "LOG_LEVEL", "value": "debug" },
          { "name": "DB_SECRET_ARN", "value": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/billing/db-Xy12Zq" }
        ],
        "repositoryCredentials": { "credentialsParameter": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:registry-Ab12Cd" }
      }
    ]
  }
}"#;
        let f = extract("ecs/billing.json", text);
        let got: Vec<_> = f
            .refs
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.kind,
                    r.store.as_deref(),
                    r.name.as_str(),
                    r.version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    9,
                    "reference",
                    Some("aws-secretsmanager:123456789012/eu-west-1"),
                    "prod/billing/db-Xy12Zq#password",
                    Some("v-0001")
                ),
                (
                    10,
                    "reference",
                    Some("aws-ssm:123456789012/eu-west-1"),
                    "/prod/billing/api-token",
                    None
                ),
                (11, "reference", Some("aws-ssm"), "billing-flag", None),
                (14, "value", None, "STRIPE_SECRET_KEY", None),
                (
                    16,
                    "reference",
                    Some("aws-secretsmanager:123456789012/eu-west-1"),
                    "prod/billing/db-Xy12Zq",
                    None
                ),
                (
                    18,
                    "reference",
                    Some("aws-secretsmanager:123456789012/eu-west-1"),
                    "registry-Ab12Cd",
                    None
                ),
            ]
        );
        assert!(f
            .refs
            .iter()
            .all(|r| r.consumer.as_deref() == Some("billing-api/app")));
        assert_eq!(f.refs[0].column, 49);
        assert_eq!(
            f.refs[3].value.as_deref(),
            Some("sk_test_fake_0000000000000000")
        );
    }

    #[test]
    fn iam_policy_file() {
        let text = r#"{
  "Version": "2012-10-17",
  "Statement": [
    { "Sid": "Read", "Effect": "Allow",
      "Action": ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
      "Resource": [
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/billing/*",
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*"
      ] },
    { "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*" },
    { "Effect": "Allow", "Action": "s3:GetObject", "Resource": "*" },
    { "Effect": "Deny", "Action": "secretsmanager:*", "Resource": "*" },
    { "Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/*" }
  ]
}"#;
        let f = extract("iam/billing-read.json", text);
        let got: Vec<_> = f
            .grants
            .iter()
            .map(|g| {
                (
                    g.place.line,
                    g.resource.as_str(),
                    g.all_secrets,
                    g.store.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    7,
                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/billing/*",
                    false,
                    Some("aws-secretsmanager:123456789012/eu-west-1")
                ),
                (
                    8,
                    "arn:aws:secretsmanager:eu-west-1:123456789012:secret:*",
                    true,
                    Some("aws-secretsmanager:123456789012/eu-west-1")
                ),
                (10, "*", true, None),
                (
                    13,
                    "arn:aws:ssm:eu-west-1:123456789012:parameter/prod/*",
                    false,
                    Some("aws-ssm:123456789012/eu-west-1")
                ),
            ]
        );
        assert_eq!(
            f.grants[0].actions,
            [
                "secretsmanager:GetSecretValue",
                "secretsmanager:DescribeSecret"
            ]
        );
        assert_eq!(f.grants[3].actions, ["!iam:*"]);
        assert!(f
            .grants
            .iter()
            .all(|g| g.consumer.as_deref() == Some("billing-read.json") && g.format == "aws-iam"));
    }

    #[test]
    fn cloudformation_yaml_task_definition_and_role() {
        let text = "AWSTemplateFormatVersion: '2010-09-09'
Resources:
  DbSecret:
    Type: AWS::SecretsManager::Secret
    Properties:
      Name: prod/orders/db
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      RoleName: orders-task
      AssumeRolePolicyDocument:
        Statement:
          - Effect: Allow
            Principal: { Service: ecs-tasks.amazonaws.com }
            Action: sts:AssumeRole
      Policies:
        - PolicyName: read-secrets
          PolicyDocument:
            Version: '2012-10-17'
            Statement:
              - Effect: Allow
                Action: secretsmanager:*
                Resource: !Ref DbSecret
              - Effect: Allow
                Action: [ssm:GetParameters]
                Resource: !Sub 'arn:aws:ssm:${AWS::Region}:${AWS::AccountId}:parameter/prod/orders/*'
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      Family: orders
      ContainerDefinitions:
        - Name: web
          Image: example/orders:3
          Secrets:
            - Name: DB
              ValueFrom: !Ref DbSecret
            - Name: KEY
              ValueFrom: !Sub arn:aws:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:prod/orders/key
          Environment:
            - Name: SESSION_SECRET
              Value: fake-session-secret-value
";
        let f = extract("cfn/orders.yaml", text);
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let got: Vec<_> = f
            .refs
            .iter()
            .map(|r| {
                (
                    r.line,
                    r.column,
                    r.kind,
                    r.store.as_deref(),
                    r.name.as_str(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (
                    36,
                    26,
                    "reference",
                    Some("aws-secretsmanager"),
                    "prod/orders/db"
                ),
                (
                    38,
                    26,
                    "reference",
                    Some("aws-secretsmanager:${AWS::AccountId}/${AWS::Region}"),
                    "prod/orders/key"
                ),
                (41, 22, "value", None, "SESSION_SECRET"),
            ]
        );
        assert!(f
            .refs
            .iter()
            .all(|r| r.consumer.as_deref() == Some("orders/web")));
        let got: Vec<_> = f
            .grants
            .iter()
            .map(|g| {
                (
                    g.place.line,
                    g.resource.as_str(),
                    g.consumer.as_deref(),
                    g.all_secrets,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                (23, "${DbSecret}", Some("orders-task"), false),
                (
                    26,
                    "arn:aws:ssm:${AWS::Region}:${AWS::AccountId}:parameter/prod/orders/*",
                    Some("orders-task"),
                    false
                ),
            ]
        );
        assert_eq!(f.grants[0].actions, ["secretsmanager:*"]);
    }
}
