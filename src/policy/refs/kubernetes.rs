//! Kubernetes manifests (YAML, multi-document, `kind: List`, or JSON): workloads, `Secret`
//! objects, and the External Secrets Operator (external-secrets.io).
//!
//! Schemes (the lead's checks read these fields):
//!
//! - **Workloads** (Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController,
//!   Job, CronJob): containers, init containers and ephemeral containers.
//!   - `env[].valueFrom.secretKeyRef` → `reference`, store `k8s:<namespace>`, name
//!     `<secret>/<key>`, at the `secretKeyRef.name` value.
//!   - `envFrom[].secretRef.name`, `volumes[].secret.secretName`, projected
//!     `sources[].secret.name` and `imagePullSecrets[].name` → `reference` to the whole Secret
//!     (name `<secret>`); a volume that lists `items` gives one `<secret>/<key>` per item.
//!   - consumer `<namespace>/<serviceAccountName>` (`serviceAccount`, else `default`: the
//!     account the pod runs as, i.e. the identity that can read those Secrets).
//!   - `env[].value` literals whose variable name looks secret-ish or whose value looks like a
//!     credential → kind `value` with `.value` set (name = the variable); placeholders,
//!     empty values and `$(VAR)` expansions are skipped.
//! - **`kind: Secret`** (`v1`): one `SecretDecl` (format `kubernetes`, store `k8s:<namespace>`,
//!   name = `metadata.name`, tag `type`, supports nothing; placed where the object starts:
//!   the document's first key, or the `-` of an item of a `kind: List`, or the `{` of a JSON
//!   object — never its `metadata.name`) and, for each key of `data`
//!   (base64-decoded) and `stringData`, a `literal` reference (name `<secret>/<key>`, store
//!   `k8s:<namespace>`, consumer `<namespace>/<secret>`, `.value` = the plaintext). Skipped:
//!   empty values and placeholders (`${…}`, `$(…)`, `{{…}}`, `<…>`, one repeated character such
//!   as `xxxx`/`****`); a `service-account-token` Secret without data has nothing to report.
//!   `changeme` and friends are NOT placeholders: such defaults get deployed. A `data` key
//!   holding a base64 PEM certificate (`tls.crt`, `ca.crt`) is public material, not a literal
//!   secret: it yields a [`Certificate`] instead.
//! - **ExternalSecret** (`external-secrets.io/*`): `data[].remoteRef.key` → `reference` at the
//!   key, name `<key>` or `<key>#<property>`, `version` when pinned, store `k8s:<ns>/<name>`
//!   for a `SecretStore`, `k8s-cluster:<name>` for a `ClusterSecretStore` (an item's
//!   `sourceRef.storeRef` wins over `secretStoreRef`), consumer `<ns>/<target Secret>`
//!   (`spec.target.name`, default `metadata.name`). `dataFrom[].extract` (and v1alpha1
//!   `dataFrom[].key`) → one reference to a whole remote secret. `dataFrom[].find` → a [`Grant`]
//!   (format `external-secrets`, actions `["find"]`, resource = what is written, as
//!   `path=<p>;name=<regexp>;tags=<k>=<v>,…`, or `*` for an empty find), `all_secrets` when it
//!   matches everything (no path, no tags, and a missing or match-all name regexp); such a
//!   match-all find also yields an `all-secrets` reference (name `*`) so reference-only
//!   checks see it. Generator sources (`sourceRef.generatorRef`) are not secrets: skipped.
//! - **ClusterExternalSecret**: its `externalSecretSpec` as above, with the target namespaces
//!   in place of one namespace: `namespaces: [a, b]` → `a,b`; `namespaceSelector(s)` →
//!   `selector(k=v,…)` (several joined by `|`; an empty selector → `*`, every namespace).
//!   Consumer `<namespaces>/<target>`; a `SecretStore` reference becomes `k8s:<ns>/<name>` for
//!   one listed namespace, else `k8s:*/<name>`.
//! - **SecretStore / ClusterSecretStore** → [`StoreDecl`] (format `external-secrets`) at the
//!   provider: `vault` (name `<server>/<path>`, endpoint `server`), `aws` (kind
//!   `aws-secrets-manager` or `aws-parameter-store`, name = region), `azurekv` (name = vault
//!   name from `vaultUrl`, endpoint `vaultUrl`), `gcpsm` (name = `projectID`); other providers
//!   keep their provider key as kind (`other` when unknown) and the store object
//!   (`k8s:<ns>/<name>` or `k8s-cluster:<name>`) as name (as do the four above when their
//!   field is missing), with the first `http(s)://` URL under the provider as endpoint.
//!   Credentials the store reads from Secrets (`…SecretRef: {name, key}` anywhere under the
//!   provider) → `reference`, store `k8s:<namespace>` (`k8s:*` for a cluster store's Secret
//!   without a namespace: each ExternalSecret's own), consumer = the store
//!   (`k8s:<ns>/<name>` or `k8s-cluster:<name>`).
//!
//! `environment` is set only from a declared `environment`/`env` label; inference runs later.
//! A Helm chart template (text with `{{ … }}` that still parsed as YAML) is skipped with a
//! note; templates that do not parse are noted by [`super::extract`].

use super::{Certificate, Facts, Grant, Input, Problem, SecretDecl, SecretRef, StoreDecl};
use crate::policy::tree::Node;
use base64::Engine;

const FORMAT: &str = "kubernetes";
const ESO: &str = "external-secrets";

pub fn extract(input: &Input, out: &mut Facts) {
    let docs: Vec<&Node> = input.yaml.iter().chain(input.json).collect();
    if docs.is_empty() {
        return;
    }
    if let Some(line) = template_line(input) {
        if docs.iter().any(|d| d.get("kind").is_some()) {
            out.problems.push(Problem {
                path: input.path.to_string(),
                line,
                message: "a Helm/Go template (`{{ … }}`): skipped for structured references \
                          until rendered"
                    .into(),
                note: true,
            });
        }
        return;
    }
    let first = out.refs.len();
    for d in docs {
        object(input, d, out, 0);
    }
    // Aliases and merge keys repeat nodes: a reference written once is reported once.
    let mut seen = std::collections::HashSet::new();
    let mut i = 0;
    out.refs.retain(|r| {
        i += 1;
        i <= first || seen.insert((r.line, r.column, r.name.clone(), r.consumer.clone(), r.kind))
    });
}

/// The line of the first `{{` when the file is a Helm chart template that happens to parse
/// as YAML (it uses Helm's objects or functions); the structured extractors skip such files.
/// Other Go templates in values (Vault Agent annotations, ExternalSecret `target.template`)
/// do not make a manifest a template.
pub(super) fn template_line(input: &Input) -> Option<usize> {
    let at = input.text.find("{{")?;
    let helm = [
        ".Values.",
        ".Release.",
        ".Chart.",
        ".Capabilities.",
        "include \"",
        "template \"",
    ]
    .iter()
    .any(|w| input.text.contains(w));
    helm.then(|| input.text[..at].matches('\n').count() + 1)
}

fn object(input: &Input, doc: &Node, out: &mut Facts, depth: usize) {
    let Some(kind) = doc.str_at(&["kind"]) else {
        return;
    };
    let api = doc.str_at(&["apiVersion"]).unwrap_or("");
    let eso = api.starts_with("external-secrets.io/");
    match kind {
        _ if kind.ends_with("List") && depth < 4 => {
            for item in doc.get("items").map_or(&[][..], Node::items) {
                object(input, item, out, depth + 1);
            }
        }
        "Secret" if api == "v1" => secret(input, doc, out),
        "Pod"
        | "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job"
        | "CronJob" => workload(input, doc, kind, out),
        "ExternalSecret" if eso => external_secret(input, doc, out),
        "ClusterExternalSecret" if eso => cluster_external_secret(input, doc, out),
        "SecretStore" | "ClusterSecretStore" if eso => secret_store(input, doc, kind, out),
        _ => {}
    }
}

/// `metadata.name` (or `generateName`) and `metadata.namespace` (`default`).
fn meta(doc: &Node) -> (&str, &str) {
    let m = doc.get("metadata").unwrap_or(Node::null());
    let name = m
        .get("name")
        .or_else(|| m.get("generateName"))
        .and_then(Node::str)
        .unwrap_or("");
    let ns = m.str_at(&["namespace"]).unwrap_or("default");
    (name, ns)
}

/// A declared environment: an `environment` or `env` label.
fn declared_env(doc: &Node) -> Option<String> {
    let labels = doc.at(&["metadata", "labels"])?;
    labels
        .str_at(&["environment"])
        .or_else(|| labels.str_at(&["env"]))
        .map(str::to_string)
}

fn new_ref(
    input: &Input,
    format: &'static str,
    at: &Node,
    name: String,
    store: Option<String>,
    consumer: &str,
    env: &Option<String>,
) -> SecretRef {
    let mut r = input.reference(format, at, name);
    r.store = store;
    r.consumer = Some(consumer.to_string());
    r.environment = env.clone();
    r
}

// ---------------------------------------------------------------------------------------
// Workloads

fn workload(input: &Input, doc: &Node, kind: &str, out: &mut Facts) {
    let spec = match kind {
        "Pod" => doc.get("spec"),
        "CronJob" => doc.at(&["spec", "jobTemplate", "spec", "template", "spec"]),
        _ => doc.at(&["spec", "template", "spec"]),
    };
    let Some(spec) = spec else {
        return;
    };
    let (_, ns) = meta(doc);
    let env = declared_env(doc);
    let sa = spec
        .str_at(&["serviceAccountName"])
        .or_else(|| spec.str_at(&["serviceAccount"]))
        .unwrap_or("default");
    let consumer = format!("{ns}/{sa}");
    let store = Some(format!("k8s:{ns}"));
    let mut push = |at: &Node, name: String| {
        out.refs.push(new_ref(
            input,
            FORMAT,
            at,
            name,
            store.clone(),
            &consumer,
            &env,
        ))
    };
    let mut values = Vec::new();
    for field in ["initContainers", "containers", "ephemeralContainers"] {
        for c in spec.get(field).map_or(&[][..], Node::items) {
            for e in c.get("env").map_or(&[][..], Node::items) {
                if let Some(r) = e.at(&["valueFrom", "secretKeyRef"]) {
                    if let Some(n) = r.get("name").filter(|n| n.str().is_some()) {
                        let key = r.str_at(&["key"]).unwrap_or("");
                        push(n, format!("{}/{key}", n.str().unwrap_or_default()));
                    }
                } else if let (Some(var), Some(v)) = (e.str_at(&["name"]), e.get("value")) {
                    if let Some(text) = v.str().filter(|t| worth_checking(var, t)) {
                        values.push((v, var.to_string(), text.to_string()));
                    }
                }
            }
            for e in c.get("envFrom").map_or(&[][..], Node::items) {
                if let Some(n) = e.at(&["secretRef", "name"]).filter(|n| n.str().is_some()) {
                    push(n, n.str().unwrap_or_default().to_string());
                }
            }
        }
    }
    for v in spec.get("volumes").map_or(&[][..], Node::items) {
        if let Some(s) = v.get("secret") {
            if let Some(n) = s.get("secretName").filter(|n| n.str().is_some()) {
                secret_items(n, s, &mut push);
            }
        }
        let sources = v.at(&["projected", "sources"]).map_or(&[][..], Node::items);
        for src in sources {
            if let Some(s) = src.get("secret") {
                if let Some(n) = s.get("name").filter(|n| n.str().is_some()) {
                    secret_items(n, s, &mut push);
                }
            }
        }
    }
    for p in spec.get("imagePullSecrets").map_or(&[][..], Node::items) {
        if let Some(n) = p.get("name").filter(|n| n.str().is_some()) {
            push(n, n.str().unwrap_or_default().to_string());
        }
    }
    for (at, var, text) in values {
        let mut r = new_ref(input, FORMAT, at, var, None, &consumer, &env);
        r.kind = "value";
        r.value = Some(text);
        out.refs.push(r);
    }
}

/// A secret volume: the whole Secret, or one reference per listed item.
fn secret_items(name: &Node, source: &Node, push: &mut impl FnMut(&Node, String)) {
    let secret = name.str().unwrap_or_default();
    let items = source.get("items").map_or(&[][..], Node::items);
    let keys: Vec<&Node> = items.iter().filter_map(|i| i.get("key")).collect();
    if keys.is_empty() {
        push(name, secret.to_string());
    }
    for k in keys {
        push(k, format!("{secret}/{}", k.str().unwrap_or_default()));
    }
}

// ---------------------------------------------------------------------------------------
// Secret objects

fn secret(input: &Input, doc: &Node, out: &mut Facts) {
    let (name, ns) = meta(doc);
    let typ = doc.str_at(&["type"]).unwrap_or("Opaque");
    let env = declared_env(doc);
    let mut decl = SecretDecl::new(FORMAT, input.yaml_item_place(doc), name.to_string());
    decl.store = Some(format!("k8s:{ns}"));
    decl.environment = env.clone();
    decl.tags.insert("type".into(), typ.to_string());
    out.secrets.push(decl);
    let consumer = format!("{ns}/{name}");
    for (field, encoded) in [("data", true), ("stringData", false)] {
        for (key, v) in doc.get(field).map_or(&[][..], Node::entries) {
            let Some(raw) = v.str() else {
                continue; // null or not a string: nothing written
            };
            let text = if encoded {
                let compact: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
                match base64::engine::general_purpose::STANDARD.decode(compact.as_bytes()) {
                    Ok(bytes) => {
                        if let Some(certs) = super::certificates::from_file(key, &bytes) {
                            if !certs.is_empty() {
                                out.certificates
                                    .extend(certs.into_iter().map(|c| Certificate {
                                        place: input.place(v),
                                        ..c
                                    }));
                                continue;
                            }
                        }
                        String::from_utf8_lossy(&bytes).into_owned()
                    }
                    // Not base64: report it as written (the API server would reject it, but
                    // whatever is there is committed in plain text).
                    Err(_) => raw.to_string(),
                }
            } else {
                raw.to_string()
            };
            if is_placeholder(&text) || is_placeholder(raw) {
                continue;
            }
            let mut r = new_ref(
                input,
                FORMAT,
                v,
                format!("{name}/{key}"),
                Some(format!("k8s:{ns}")),
                &consumer,
                &env,
            );
            r.kind = "literal";
            r.value = Some(text);
            out.refs.push(r);
        }
    }
}

// ---------------------------------------------------------------------------------------
// External Secrets Operator

/// The store an ExternalSecret reads from: `k8s:<ns>/<name>` or `k8s-cluster:<name>`.
fn store_of(store_ref: Option<&Node>, ns: &str) -> Option<String> {
    let r = store_ref?;
    let name = r.str_at(&["name"])?;
    Some(match r.str_at(&["kind"]) {
        Some("ClusterSecretStore") => format!("k8s-cluster:{name}"),
        _ => format!("k8s:{ns}/{name}"),
    })
}

fn external_secret(input: &Input, doc: &Node, out: &mut Facts) {
    let Some(spec) = doc.get("spec") else {
        return;
    };
    let (name, ns) = meta(doc);
    let target = spec.str_at(&["target", "name"]).unwrap_or(name);
    let consumer = format!("{ns}/{target}");
    es_spec(input, spec, ns, &consumer, &declared_env(doc), out);
}

fn cluster_external_secret(input: &Input, doc: &Node, out: &mut Facts) {
    let Some(spec) = doc.at(&["spec", "externalSecretSpec"]) else {
        return;
    };
    let (name, _) = meta(doc);
    let outer = doc.get("spec").unwrap_or(Node::null());
    let target = spec
        .str_at(&["target", "name"])
        .or_else(|| outer.str_at(&["externalSecretName"]))
        .unwrap_or(name);
    let mut scopes = Vec::new();
    let listed: Vec<&str> = outer
        .get("namespaces")
        .map_or(&[][..], Node::items)
        .iter()
        .filter_map(Node::str)
        .collect();
    if !listed.is_empty() {
        scopes.push(listed.join(","));
    }
    let selectors = outer
        .get("namespaceSelectors")
        .map_or(&[][..], Node::items)
        .iter()
        .chain(outer.get("namespaceSelector"));
    for s in selectors {
        scopes.push(selector(s));
    }
    let namespaces = if scopes.is_empty() {
        "*".to_string() // no selection at all: the controller matches no namespace, but say so
    } else {
        scopes.join("|")
    };
    let store_ns = if listed.len() == 1 && scopes.len() == 1 {
        listed[0]
    } else {
        "*"
    };
    let consumer = format!("{namespaces}/{target}");
    es_spec(input, spec, store_ns, &consumer, &declared_env(doc), out);
}

/// A label selector as text: `selector(k=v,k2 in (a,b))`; empty → `*` (every namespace).
fn selector(s: &Node) -> String {
    let mut parts = Vec::new();
    for (k, v) in s.get("matchLabels").map_or(&[][..], Node::entries) {
        parts.push(format!("{k}={}", v.str().unwrap_or_default()));
    }
    for e in s.get("matchExpressions").map_or(&[][..], Node::items) {
        let values: Vec<&str> = e
            .get("values")
            .map_or(&[][..], Node::items)
            .iter()
            .filter_map(Node::str)
            .collect();
        parts.push(format!(
            "{} {} ({})",
            e.str_at(&["key"]).unwrap_or_default(),
            e.str_at(&["operator"]).unwrap_or_default(),
            values.join(",")
        ));
    }
    if parts.is_empty() {
        "*".into()
    } else {
        format!("selector({})", parts.join(","))
    }
}

fn es_spec(
    input: &Input,
    spec: &Node,
    ns: &str,
    consumer: &str,
    env: &Option<String>,
    out: &mut Facts,
) {
    let default_store = store_of(spec.get("secretStoreRef"), ns);
    let store_for = |item: &Node| {
        item.at(&["sourceRef", "storeRef"])
            .and_then(|s| store_of(Some(s), ns))
            .or_else(|| default_store.clone())
    };
    let generated = |item: &Node| item.at(&["sourceRef", "generatorRef"]).is_some();
    let remote = |r: &Node, item: &Node, out: &mut Facts| {
        let Some(key) = r.get("key").filter(|k| k.str().is_some()) else {
            return;
        };
        let k = key.str().unwrap_or_default();
        let name = match r.str_at(&["property"]).filter(|p| !p.is_empty()) {
            Some(p) => format!("{k}#{p}"),
            None => k.to_string(),
        };
        let mut s = new_ref(input, ESO, key, name, store_for(item), consumer, env);
        s.version = r
            .str_at(&["version"])
            .filter(|v| !v.is_empty())
            .map(str::to_string);
        out.refs.push(s);
    };
    for item in spec.get("data").map_or(&[][..], Node::items) {
        if generated(item) {
            continue;
        }
        if let Some(r) = item.get("remoteRef") {
            remote(r, item, out);
        }
    }
    for item in spec.get("dataFrom").map_or(&[][..], Node::items) {
        if generated(item) {
            continue;
        }
        if let Some(r) = item.get("extract") {
            remote(r, item, out);
        } else if let Some(find) = item.get("find") {
            grant(input, find, store_for(item), consumer, env, out);
        } else if item.get("key").is_some() {
            remote(item, item, out); // v1alpha1: dataFrom items are remote refs
        }
    }
}

/// `dataFrom[].find`: a grant of every secret matching a name, path and tags.
fn grant(
    input: &Input,
    find: &Node,
    store: Option<String>,
    consumer: &str,
    env: &Option<String>,
    out: &mut Facts,
) {
    let mut parts = Vec::new();
    let path = find.str_at(&["path"]).filter(|p| !p.is_empty());
    if let Some(p) = path {
        parts.push(format!("path={p}"));
    }
    let regexp = find.get("name").and_then(|n| n.get("regexp"));
    if let Some(r) = regexp.and_then(Node::str) {
        parts.push(format!("name={r}"));
    }
    let tags: Vec<String> = find
        .get("tags")
        .map_or(&[][..], Node::entries)
        .iter()
        .map(|(k, v)| format!("{k}={}", v.str().unwrap_or_default()))
        .collect();
    if !tags.is_empty() {
        parts.push(format!("tags={}", tags.join(",")));
    }
    let all =
        path.is_none() && tags.is_empty() && regexp.and_then(Node::str).is_none_or(matches_all);
    let at = regexp.unwrap_or(find);
    out.grants.push(Grant {
        format: ESO,
        place: input.place(at),
        consumer: Some(consumer.to_string()),
        store: store.clone(),
        resource: if parts.is_empty() {
            "*".into()
        } else {
            parts.join(";")
        },
        actions: vec!["find".into()],
        all_secrets: all,
    });
    if all {
        let mut r = new_ref(input, ESO, at, "*".into(), store, consumer, env);
        r.kind = "all-secrets";
        out.refs.push(r);
    }
}

/// A regular expression that matches every name.
fn matches_all(re: &str) -> bool {
    let core = re.trim();
    let core = core.strip_prefix('^').unwrap_or(core);
    let core = core.strip_suffix('$').unwrap_or(core);
    matches!(
        core,
        "" | ".*" | ".+" | "(.*)" | "(.+)" | ".*?" | "*" | "[\\s\\S]*" | "[\\s\\S]+"
    )
}

/// Provider keys of SecretStore, for `StoreDecl.kind` (which must be static).
const PROVIDERS: &[&str] = &[
    "akeyless",
    "alibaba",
    "beyondtrust",
    "bitwardensecretsmanager",
    "chef",
    "cloudrusm",
    "conjur",
    "delinea",
    "device42",
    "doppler",
    "fake",
    "fortanixsdkms",
    "github",
    "gitlab",
    "ibm",
    "infisical",
    "keepersecurity",
    "kubernetes",
    "onboardbase",
    "onepassword",
    "onepasswordSDK",
    "oracle",
    "passbolt",
    "passworddepot",
    "previder",
    "pulumi",
    "scaleway",
    "secretserver",
    "senhasegura",
    "upcloud",
    "webhook",
    "yandexcertificatemanager",
    "yandexlockbox",
];

fn secret_store(input: &Input, doc: &Node, kind: &str, out: &mut Facts) {
    let Some(provider) = doc.at(&["spec", "provider"]) else {
        return;
    };
    let (name, ns) = meta(doc);
    let env = declared_env(doc);
    let cluster = kind == "ClusterSecretStore";
    let this = if cluster {
        format!("k8s-cluster:{name}")
    } else {
        format!("k8s:{ns}/{name}")
    };
    // A cluster store's credential Secret without a namespace is looked up in the namespace
    // of each ExternalSecret that uses the store.
    let ns = if cluster { "*" } else { ns };
    for (key, p) in provider.entries() {
        let (kind, store_name, endpoint, at): (&'static str, String, Option<&str>, &Node) =
            match key.as_str() {
                "vault" => {
                    let server = p.str_at(&["server"]).unwrap_or("");
                    let name = match p.str_at(&["path"]).filter(|x| !x.is_empty()) {
                        Some(path) => format!("{}/{}", server.trim_end_matches('/'), path),
                        None => server.to_string(),
                    };
                    (
                        "vault",
                        name,
                        Some(server).filter(|s| !s.is_empty()),
                        p.get("server").unwrap_or(p),
                    )
                }
                "aws" => {
                    let kind = if p.str_at(&["service"]) == Some("ParameterStore") {
                        "aws-parameter-store"
                    } else {
                        "aws-secrets-manager" // the default service
                    };
                    let region = p.str_at(&["region"]).unwrap_or("");
                    (kind, region.to_string(), None, p.get("region").unwrap_or(p))
                }
                "azurekv" => {
                    let url = p.str_at(&["vaultUrl"]).unwrap_or("");
                    let host = url.split("://").nth(1).unwrap_or(url);
                    let vault = host.split(['.', '/']).next().unwrap_or("");
                    (
                        "azure-key-vault",
                        vault.to_string(),
                        Some(url).filter(|u| !u.is_empty()),
                        p.get("vaultUrl").unwrap_or(p),
                    )
                }
                "gcpsm" => (
                    "gcp-secret-manager",
                    p.str_at(&["projectID"]).unwrap_or("").to_string(),
                    None,
                    p.get("projectID").unwrap_or(p),
                ),
                other => (
                    PROVIDERS
                        .iter()
                        .find(|k| **k == other)
                        .copied()
                        .unwrap_or("other"),
                    this.clone(),
                    first_url(p),
                    p,
                ),
            };
        // Nothing names the backend (no server, region, …): the store object names it.
        let store_name = if store_name.is_empty() {
            this.clone()
        } else {
            store_name
        };
        let mut s = StoreDecl::new(ESO, input.place(at), kind, store_name);
        s.endpoint = endpoint.map(str::to_string);
        s.environment = env.clone();
        out.stores.push(s);
        credentials(input, p, ns, &this, &env, out);
    }
}

/// The first `http(s)://` URL under a provider (server, url, host, apiURL, …).
fn first_url(p: &Node) -> Option<&str> {
    p.scalars()
        .into_iter()
        .filter_map(Node::str)
        .find(|s| s.starts_with("http://") || s.starts_with("https://"))
}

/// Secrets a store authenticates with: every `…SecretRef: {name, key, namespace?}`.
fn credentials(
    input: &Input,
    n: &Node,
    ns: &str,
    store: &str,
    env: &Option<String>,
    out: &mut Facts,
) {
    for (k, v) in n.entries() {
        let name = v.get("name").filter(|x| x.str().is_some());
        match name {
            Some(name) if k.to_ascii_lowercase().ends_with("secretref") => {
                let secret_ns = v.str_at(&["namespace"]).unwrap_or(ns);
                let key = v.str_at(&["key"]);
                let secret = name.str().unwrap_or_default();
                let full = key.map_or(secret.to_string(), |k| format!("{secret}/{k}"));
                out.refs.push(new_ref(
                    input,
                    FORMAT,
                    name,
                    full,
                    Some(format!("k8s:{secret_ns}")),
                    store,
                    env,
                ));
            }
            _ => credentials(input, v, ns, store, env, out),
        }
    }
    for i in match &n.value {
        crate::policy::tree::Value::Seq(items) => &items[..],
        _ => &[],
    } {
        credentials(input, i, ns, store, env, out);
    }
}

// ---------------------------------------------------------------------------------------
// Shared by the YAML extractors (kubernetes, csi, compose)

/// A value with the look of a credential whatever its variable is called: a URL with a
/// password, a private key, a known token prefix, or a long random-looking string. The
/// secret detector has the last word; this only keeps ordinary configuration out.
pub(super) fn looks_like_credential(v: &str) -> bool {
    let v = v.trim();
    if v.contains("-----BEGIN") {
        return true;
    }
    if let Some((_, rest)) = v.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if let Some((userinfo, _)) = authority.rsplit_once('@') {
            if userinfo.split_once(':').is_some_and(|(_, p)| !p.is_empty()) {
                return true;
            }
        }
        return false;
    }
    const PREFIXES: &[&str] = &[
        "AKIA",
        "ASIA",
        "ghp_",
        "gho_",
        "ghs_",
        "github_pat_",
        "glpat-",
        "xox",
        "sk_live_",
        "sk-",
        "AIza",
        "SG.",
        "npm_",
        "hvs.",
        "dop_v1_",
    ];
    if PREFIXES.iter().any(|p| v.starts_with(p)) && v.len() >= 16 {
        return true;
    }
    v.len() >= 20
        && !v.chars().any(char::is_whitespace)
        && v.chars().any(|c| c.is_ascii_digit())
        && v.chars().any(|c| c.is_ascii_alphabetic())
        && entropy(v) >= 3.5
}

fn entropy(s: &str) -> f64 {
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f64;
    counts
        .iter()
        .filter(|c| **c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

/// A value that stands for one to be filled in: empty, a template or variable expansion
/// (`${X}`, `$(X)`, `{{ x }}`, `<password>`), or one character repeated (`xxxx`, `****`).
pub(super) fn is_placeholder(v: &str) -> bool {
    let v = v.trim();
    let wrapped = |open: &str, close: &str| v.starts_with(open) && v.ends_with(close);
    v.is_empty()
        || wrapped("${", "}")
        || wrapped("$(", ")")
        || wrapped("{{", "}}")
        || wrapped("<", ">") && !v.contains('\n')
        || v.chars().all(|c| c == v.chars().next().unwrap_or(' ')) && v.chars().count() > 1
}

/// A literal worth handing to the detector as a `value` reference.
pub(super) fn worth_checking(name: &str, value: &str) -> bool {
    !is_placeholder(value) && (super::secret_named(name) || looks_like_credential(value))
}

#[cfg(test)]
mod tests {
    use crate::policy::refs::{extract, Facts};

    fn facts(path: &str, text: &str) -> Facts {
        extract(path, text)
    }

    #[test]
    fn placeholders_and_credentials() {
        use super::*;
        for p in [
            "",
            "${DB}",
            "$(DB)",
            "{{ .x }}",
            "<password>",
            "xxxx",
            "****",
        ] {
            assert!(is_placeholder(p), "{p:?}");
        }
        for p in ["changeme", "hunter2", "x"] {
            assert!(!is_placeholder(p), "{p:?}");
        }
        assert!(looks_like_credential("postgres://app:s3cr3t@db:5432/app"));
        assert!(!looks_like_credential("postgres://db:5432/app"));
        assert!(!looks_like_credential("https://user@example.com/x"));
        assert!(looks_like_credential("AKIAIOSFODNN7EXAMPLE"));
        assert!(!looks_like_credential("debug"));
        assert!(!looks_like_credential("/var/lib/postgresql/data/pgdata"));
        assert!(crate::policy::refs::secret_named("db_password"));
        assert!(!crate::policy::refs::secret_named("LOG_LEVEL"));
        assert!(matches_all("^.*$") && matches_all("") && !matches_all("^db-.*"));
    }

    #[test]
    fn secret_store_declarations_and_credentials() {
        let text = "\
apiVersion: external-secrets.io/v1beta1
kind: SecretStore
metadata:
  name: vault-backend
  namespace: payments
spec:
  provider:
    vault:
      server: http://vault.internal:8200
      path: secret
      auth:
        tokenSecretRef:
          name: vault-token
          key: token
---
apiVersion: external-secrets.io/v1beta1
kind: ClusterSecretStore
metadata:
  name: aws-prod
  labels:
    environment: production
spec:
  provider:
    aws:
      service: ParameterStore
      region: eu-west-1
      auth:
        secretRef:
          accessKeyIDSecretRef:
            name: awssm-secret
            key: access-key
            namespace: eso
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: azure
spec:
  provider:
    azurekv:
      vaultUrl: https://kv-prod-eu.vault.azure.net
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: gcp
spec:
  provider:
    gcpsm:
      projectID: acme-prod-123
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata:
  name: gl
  namespace: ci
spec:
  provider:
    gitlab:
      url: http://gitlab.internal
";
        let f = facts("eso/stores.yaml", text);
        let kinds: Vec<(&str, &str, Option<&str>, usize)> = f
            .stores
            .iter()
            .map(|s| (s.kind, s.name.as_str(), s.endpoint.as_deref(), s.place.line))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (
                    "vault",
                    "http://vault.internal:8200/secret",
                    Some("http://vault.internal:8200"),
                    9
                ),
                ("aws-parameter-store", "eu-west-1", None, 26),
                (
                    "azure-key-vault",
                    "kv-prod-eu",
                    Some("https://kv-prod-eu.vault.azure.net"),
                    41
                ),
                ("gcp-secret-manager", "acme-prod-123", None, 50),
                ("gitlab", "k8s:ci/gl", Some("http://gitlab.internal"), 60),
            ]
        );
        assert_eq!(f.stores[1].environment.as_deref(), Some("production"));
        let creds: Vec<(&str, Option<&str>, Option<&str>, usize)> = f
            .refs
            .iter()
            .map(|r| {
                (
                    r.name.as_str(),
                    r.store.as_deref(),
                    r.consumer.as_deref(),
                    r.line,
                )
            })
            .collect();
        assert_eq!(
            creds,
            vec![
                (
                    "vault-token/token",
                    Some("k8s:payments"),
                    Some("k8s:payments/vault-backend"),
                    13
                ),
                (
                    "awssm-secret/access-key",
                    Some("k8s:eso"),
                    Some("k8s-cluster:aws-prod"),
                    30
                ),
            ]
        );
    }

    #[test]
    fn find_grants() {
        let text = "\
apiVersion: external-secrets.io/v1beta1
kind: ExternalSecret
metadata:
  name: app
  namespace: shop
spec:
  secretStoreRef:
    name: vault
    kind: ClusterSecretStore
  target:
    name: app-env
  dataFrom:
    - find:
        name:
          regexp: \".*\"
    - find:
        path: shop/
        name:
          regexp: \"^db-\"
    - find:
        tags:
          team: shop
          env: prod
    - find: {}
    - sourceRef:
        generatorRef:
          kind: ECRAuthorizationToken
          name: ecr
";
        let f = facts("k8s/es.yaml", text);
        let g: Vec<(&str, bool, usize, usize)> = f
            .grants
            .iter()
            .map(|g| {
                (
                    g.resource.as_str(),
                    g.all_secrets,
                    g.place.line,
                    g.place.column,
                )
            })
            .collect();
        assert_eq!(
            g,
            vec![
                ("name=.*", true, 15, 19),
                ("path=shop/;name=^db-", false, 19, 19),
                ("tags=team=shop,env=prod", false, 21, 9),
                ("*", true, 24, 13),
            ]
        );
        assert!(f
            .grants
            .iter()
            .all(|g| g.store.as_deref() == Some("k8s-cluster:vault")
                && g.consumer.as_deref() == Some("shop/app-env")
                && g.actions == ["find"]));
        let all: Vec<_> = f.refs.iter().filter(|r| r.kind == "all-secrets").collect();
        assert_eq!(all.len(), 2);
        assert_eq!(f.refs.len(), 2, "generators are not secret references");
    }

    #[test]
    fn secret_declarations() {
        let text = "\
apiVersion: v1
kind: Secret
metadata:
  name: sa-token
  annotations:
    kubernetes.io/service-account.name: build
type: kubernetes.io/service-account-token
---
apiVersion: v1
kind: Secret
metadata:
  name: db
  namespace: prod
type: Opaque
data:
  password: aHVudGVyMi1mYWtlLXBhc3N3b3Jk # keyguard:allow (fake)
  empty: \"\"
stringData:
  url: \"${DB_URL}\"
";
        let f = facts("k8s/secrets.yaml", text);
        let decls: Vec<(&str, Option<&str>, usize)> = f
            .secrets
            .iter()
            .map(|s| (s.name.as_str(), s.store.as_deref(), s.place.line))
            .collect();
        assert_eq!(
            decls,
            // Where each document starts, not at its `metadata.name` (lines 4 and 12).
            vec![
                ("sa-token", Some("k8s:default"), 1),
                ("db", Some("k8s:prod"), 9)
            ]
        );
        assert!(f.secrets.iter().all(|s| s.supports.is_empty()));
        assert_eq!(f.secrets[1].environment.as_deref(), Some("production"));
        assert_eq!(f.refs.len(), 1);
        assert_eq!(f.refs[0].name, "db/password");
        assert_eq!(f.refs[0].value.as_deref(), Some("hunter2-fake-password"));
    }

    #[test]
    fn tls_certificate_in_secret_data_is_a_certificate_not_a_literal() {
        let text = include_str!("../../../testdata/policy/kubernetes/tls-secret.yaml");
        let f = facts("k8s/tls-secret.yaml", text);
        assert_eq!(f.certificates.len(), 1);
        let c = &f.certificates[0];
        assert_eq!(
            (
                c.subject.as_str(),
                c.not_after.as_str(),
                c.place.line,
                c.place.column
            ),
            ("shop.example.test", "2027-11-23T20:55:52Z", 8, 12)
        );
        let names: Vec<&str> = f.refs.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["shop-tls/tls.key"]);
    }
}
