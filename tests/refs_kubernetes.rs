//! `keyguard refs` over Kubernetes manifests, External Secrets, Secrets Store CSI
//! `SecretProviderClass`es and docker-compose files (fixtures under testdata/policy/).

mod common;

use common::*;
use serde_json::Value;
use std::path::PathBuf;

fn fixtures(area: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/policy")
        .join(area)
}

/// The references under a fixture directory, and stderr.
fn inventory(area: &str) -> (Vec<Value>, String) {
    let r = run(&fixtures(area), &["refs", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    // Today the array of references; later `{"refs": […], …}`.
    let refs = v.get("refs").unwrap_or(&v).as_array().unwrap().clone();
    (refs, r.stderr)
}

/// The one reference at `path:line` named `name`.
fn at<'a>(refs: &'a [Value], path: &str, line: u64, name: &str) -> &'a Value {
    let found: Vec<&Value> = refs
        .iter()
        .filter(|r| r["path"] == path && r["line"] == line && r["name"] == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "{path}:{line} {name} in {:#?}",
        refs.iter()
            .filter(|r| r["path"] == path)
            .map(|r| format!("{}:{} {} {}", r["line"], r["column"], r["name"], r["kind"]))
            .collect::<Vec<_>>()
    );
    found[0]
}

fn s(v: &Value) -> Option<&str> {
    v.as_str()
}

/// (column, store, consumer, kind, version)
fn fields(r: &Value) -> (u64, Option<&str>, Option<&str>, &str, Option<&str>) {
    (
        r["column"].as_u64().unwrap(),
        s(&r["store"]),
        s(&r["consumer"]),
        r["kind"].as_str().unwrap(),
        s(&r["version"]),
    )
}

#[test]
fn workloads_read_secrets_as_their_service_account() {
    let (refs, _) = inventory("kubernetes");
    let w = "workloads.yaml";
    let shop = (Some("k8s:shop"), Some("shop/checkout"), "reference", None);
    let expect = [
        (13, "registry-creds", 17),  // imagePullSecrets
        (19, "db-admin", 23),        // envFrom (init container)
        (27, "db/password", 25),     // secretKeyRef
        (38, "checkout-tls", 25),    // secret volume
        (43, "gcp-sa/key.json", 22), // secret volume items
        (49, "signing", 25),         // projected volume
    ];
    for (line, name, column) in expect {
        assert_eq!(
            fields(at(&refs, w, line, name)),
            (column, shop.0, shop.1, shop.2, shop.3),
            "{name}"
        );
    }
    // A secret-named env literal is handed to the detector; `$(VAR)` and plain settings are not.
    let v = at(&refs, w, 30, "SESSION_SECRET");
    assert_eq!(fields(v), (22, None, Some("shop/checkout"), "value", None));
    for name in ["API_TOKEN", "FEATURE_FLAGS", "LOG_LEVEL"] {
        assert!(refs.iter().all(|r| r["name"] != name), "{name}");
    }
    // CronJob pod template, default namespace and service account; the anchor's node is
    // where both the anchored and the merged reference are written.
    let redis = at(&refs, w, 70, "redis/password");
    assert_eq!(
        fields(redis),
        (
            49,
            Some("k8s:default"),
            Some("default/default"),
            "reference",
            None
        )
    );
    at(&refs, w, 70, "redis/username");
    assert_eq!(
        refs.iter().filter(|r| r["path"] == w).count(),
        9,
        "nothing else"
    );
    // `kind: List` items; `serviceAccount` (the deprecated spelling) names the account.
    let smtp = at(&refs, "list.yaml", 17, "smtp/password");
    assert_eq!(
        fields(smtp),
        (
            38,
            Some("k8s:staging"),
            Some("staging/debugger"),
            "reference",
            None
        )
    );
    assert_eq!(smtp["environment"], "staging");
}

#[test]
fn secret_objects_are_literals_except_placeholders() {
    let (refs, _) = inventory("kubernetes");
    let p = "secrets.yaml";
    for (line, name, column) in [
        (8, "db/username", 13),
        (9, "db/password", 13),
        (12, "db/dsn", 8),
        (15, "db/default", 12), // `changeme` is a real (bad) password, not a placeholder
    ] {
        let r = at(&refs, p, line, name);
        assert_eq!(
            fields(r),
            (column, Some("k8s:prod"), Some("prod/db"), "literal", None),
            "{name}"
        );
        assert_eq!(r["environment"], "production");
    }
    // Empty, `${…}` and `<…>` values; a service-account token Secret without data.
    assert_eq!(refs.iter().filter(|r| r["path"] == p).count(), 4);
    assert!(
        refs.iter().all(|r| r.get("value").is_none()),
        "values never serialised"
    );
}

#[test]
fn external_secrets_with_store_consumer_and_version() {
    let (refs, _) = inventory("kubernetes");
    let p = "external-secrets.yaml";
    let consumer = Some("payments/payments-env");
    assert_eq!(
        fields(at(&refs, p, 16, "payments/stripe#api_key")),
        (
            14,
            Some("k8s:payments/vault-backend"),
            consumer,
            "reference",
            Some("3")
        )
    );
    // An item's own sourceRef.storeRef wins.
    assert_eq!(
        fields(at(&refs, p, 21, "payments/db")),
        (
            14,
            Some("k8s-cluster:aws-prod"),
            consumer,
            "reference",
            None
        )
    );
    // dataFrom.extract: a whole remote secret; dataFrom.find `.*`: every secret.
    at(&refs, p, 28, "payments/shared");
    assert_eq!(
        fields(at(&refs, p, 31, "*")),
        (
            19,
            Some("k8s:payments/vault-backend"),
            consumer,
            "all-secrets",
            None
        )
    );
    // ClusterExternalSecret: the namespaces are the consumer.
    assert_eq!(
        fields(at(&refs, p, 49, "ci/registry")),
        (
            16,
            Some("k8s-cluster:aws-prod"),
            Some("selector(registry-access=true)/registry-pull"),
            "reference",
            None
        )
    );
    assert_eq!(
        fields(at(&refs, p, 65, "shared/db#url")),
        (
            16,
            Some("k8s:billing/vault-backend"),
            Some("billing/shared-db"),
            "reference",
            None
        )
    );
}

#[test]
fn go_templates_in_values_do_not_make_a_helm_chart() {
    let (refs, stderr) = inventory("kubernetes");
    let r = at(&refs, "vault-agent.yaml", 23, "billing-env");
    assert_eq!(
        fields(r),
        (
            23,
            Some("k8s:billing"),
            Some("billing/billing"),
            "reference",
            None
        )
    );
    assert!(!stderr.contains("vault-agent.yaml"), "{stderr}");
}

#[test]
fn malformed_yaml_and_helm_templates_are_reported_and_skipped() {
    let (refs, stderr) = inventory("kubernetes");
    assert!(
        stderr.contains("warning: broken.yaml:7: not valid YAML"),
        "{stderr}"
    );
    // A template that happens to parse as YAML, and one that does not.
    assert!(
        stderr.contains("note: chart/templates/deployment.yaml:4:")
            && stderr.contains("note: chart/templates/secret.yaml:1:"),
        "{stderr}"
    );
    assert!(refs
        .iter()
        .all(|r| !r["path"].as_str().unwrap().starts_with("chart/") && r["path"] != "broken.yaml"));
}

#[test]
fn odd_shapes_do_not_panic() {
    let dir = tree(&[
        (
            "odd.yaml",
            "apiVersion: v1\nkind: Secret\ndata: [1, 2]\n---\nkind: Deployment\nspec: 3\n---\napiVersion: external-secrets.io/v1\nkind: ExternalSecret\nspec:\n  data: {remoteRef: 1}\n  dataFrom: [null, {find: 7}]\n---\napiVersion: v1\nkind: List\nitems: 5\n---\n- just\n- a list\n---\napiVersion: external-secrets.io/v1\nkind: SecretStore\nspec: {provider: [1]}\n",
        ),
        (
            "spc.yaml",
            "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nspec:\n  provider: azure\n  parameters:\n    objects: 5\n---\napiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nspec:\n  provider: gcp\n  parameters:\n    secrets: {resourceName: projects}\n---\napiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nspec:\n  provider: vault\n  parameters: [1]\n",
        ),
        (
            "compose.yml",
            "services:\n  a:\n    image: x\n    environment: [1, null, {x: 1}, \"=\", \"K=${\", \"K=$\", \"K=${}\"]\n    secrets: [{source: [1]}, 7]\n  b: 3\nsecrets: [1]\n",
        ),
        (
            "pod.json",
            "{\"apiVersion\": \"v1\", \"kind\": \"Pod\", \"metadata\": {\"name\": \"p\", \"namespace\": \"ops\"},\n \"spec\": {\"containers\": [{\"name\": \"c\", \"envFrom\": [{\"secretRef\": {\"name\": \"ops-creds\"}}]}]}}\n",
        ),
    ]);
    let r = run(dir.path(), &["refs", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let refs = v.get("refs").unwrap_or(&v).as_array().unwrap().clone();
    let p = at(&refs, "pod.json", 2, "ops-creds");
    assert_eq!(
        fields(p),
        (75, Some("k8s:ops"), Some("ops/default"), "reference", None)
    );
}

#[test]
fn secret_provider_classes_point_into_embedded_yaml() {
    let (refs, stderr) = inventory("csi");
    // Azure: each `array` item is a YAML string inside the `objects` YAML string.
    let kv = Some("kv-orders-prod");
    let id = Some("orders/00000000-0000-0000-0000-00000000abcd");
    assert_eq!(
        fields(at(&refs, "azure.yaml", 22, "db-password")),
        (23, kv, id, "reference", None)
    );
    assert_eq!(
        fields(at(&refs, "azure.yaml", 26, "signing-key")),
        (
            23,
            kv,
            id,
            "reference",
            Some("6f0c9d1e2a3b4c5d6e7f8091a2b3c4d5")
        )
    );
    assert_eq!(
        fields(at(&refs, "azure.yaml", 30, "*")),
        (23, kv, id, "all-secrets", None)
    );
    // AWS: one reference per jmesPath; SSM parameters; an ARN names its own region.
    let sm = Some("aws-secretsmanager:eu-west-1");
    for name in ["orders/db#username", "orders/db#password"] {
        assert_eq!(
            fields(at(&refs, "aws.yaml", 11, name)),
            (23, sm, Some("orders"), "reference", None)
        );
    }
    assert_eq!(
        fields(at(&refs, "aws.yaml", 18, "/orders/api-key")),
        (
            23,
            Some("aws-ssm:eu-west-1"),
            Some("orders"),
            "reference",
            Some("4")
        )
    );
    let arn = at(
        &refs,
        "aws.yaml",
        21,
        "arn:aws:secretsmanager:us-east-1:123456789012:secret:shared-AbCdEf",
    );
    assert_eq!(
        (s(&arn["store"]), s(&arn["version"])),
        (Some("aws-secretsmanager:us-east-1"), Some("AWSCURRENT"))
    );
    // GCP: `latest` is not a pinned version.
    let gcp = Some("gcp:acme-staging");
    assert_eq!(
        fields(at(&refs, "aws.yaml", 33, "orders-db")),
        (23, gcp, Some("orders"), "reference", Some("3"))
    );
    assert_eq!(
        fields(at(&refs, "aws.yaml", 35, "orders-api")),
        (23, gcp, Some("orders"), "reference", None)
    );
    // Vault: mount as store, role as consumer, a mount-wide wildcard is every secret.
    assert_eq!(
        fields(at(&refs, "vault.yaml", 13, "data/orders/db#password")),
        (
            21,
            Some("vault:secret"),
            Some("orders/orders"),
            "reference",
            None
        )
    );
    assert_eq!(at(&refs, "vault.yaml", 16, "*")["kind"], "all-secrets");
    // A broken object list is a warning naming the file and line; the rest goes on.
    assert!(
        stderr.contains(
            "warning: broken-objects.yaml:10: SecretProviderClass object list is not valid YAML"
        ),
        "{stderr}"
    );
    assert!(refs.iter().all(|r| r["path"] != "broken-objects.yaml"));
    assert_eq!(refs.len(), 11, "secretObjects are not references");
}

/// (line, name, consumer, column, store, kind)
type Expected = (
    u64,
    &'static str,
    Option<&'static str>,
    u64,
    Option<&'static str>,
    &'static str,
);

#[test]
fn compose_secrets_environment_and_interpolations() {
    let (refs, stderr) = inventory("compose");
    let c = "compose.yaml";
    let expect: [Expected; 13] = [
        // Anchored and merged into two services: written once, read by both.
        (
            3,
            "POSTGRES_PASSWORD",
            Some("db"),
            22,
            Some("environment"),
            "reference",
        ),
        (
            3,
            "POSTGRES_PASSWORD",
            Some("api"),
            22,
            Some("environment"),
            "reference",
        ),
        (
            12,
            "db_root",
            Some("db"),
            9,
            Some("file:./secrets/db_root.txt"),
            "reference",
        ),
        (18, "SESSION_SECRET", Some("api"), 23, None, "value"),
        (19, "DATABASE_URL", Some("api"), 22, None, "value"), // credentials in a URL
        (
            22,
            "STRIPE_KEY",
            Some("api"),
            19,
            Some("environment"),
            "reference",
        ),
        (
            24,
            "stripe_key",
            Some("api"),
            17,
            Some("environment"),
            "reference",
        ), // long syntax
        (
            27,
            "registry_token",
            Some("api"),
            9,
            Some("external"),
            "reference",
        ),
        (
            32,
            "WORKER_TOKEN",
            Some("worker"),
            19,
            Some("environment"),
            "reference",
        ), // list form
        (33, "SMTP_PASSWORD", Some("worker"), 23, None, "value"),
        (36, "undeclared", Some("worker"), 9, None, "reference"),
        // Top-level definitions.
        (42, "STRIPE_KEY", None, 18, Some("environment"), "reference"),
        (
            45,
            "prod_registry_token",
            None,
            11,
            Some("external"),
            "reference",
        ),
    ];
    for (line, name, consumer, column, store, kind) in expect {
        let r = refs
            .iter()
            .find(|r| {
                r["path"] == c
                    && r["line"] == line
                    && r["name"] == name
                    && s(&r["consumer"]) == consumer
            })
            .unwrap_or_else(|| panic!("{line} {name} {consumer:?}"));
        assert_eq!(
            fields(r),
            (column, store, consumer, kind, None),
            "{line} {name}"
        );
    }
    at(&refs, c, 48, "legacy_token"); // `external: {name: …}`
    assert_eq!(
        refs.iter().filter(|r| r["path"] == c).count(),
        14,
        "plain settings, `$$`, empty defaults and pass-through variables are not references"
    );
    // Any YAML whose services have an image is compose, whatever its name.
    assert_eq!(
        at(&refs, "deploy/stack.yml", 5, "tls_key")["consumer"],
        "web"
    );
    assert!(
        stderr.contains("warning: docker-compose.broken.yml:5: not valid YAML"),
        "{stderr}"
    );
}
