//! `keyguard refs` over cloud configuration: ARM templates and parameter files, Bicep and
//! .bicepparam, ECS task definitions / CloudFormation / IAM, .NET secret-manager manifests
//! and settings. Fixtures live in testdata/policy/{arm,bicep,aws,dotnet}.

mod common;

use common::*;
use std::path::PathBuf;

/// (path, line, column, format, kind, name, store, consumer, version)
type Row = (
    String,
    u64,
    u64,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// Run `keyguard refs . -f json` in a fixture directory: the rows, and stderr.
fn refs(area: &str) -> (Vec<Row>, String, String) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/policy")
        .join(area);
    let r = run(&dir, &["refs", ".", "--format", "json"]);
    assert_eq!(r.code, 0, "the run goes on past bad files: {}", r.stderr);
    let s = |v: &serde_json::Value| v.as_str().map(str::to_string);
    let json = r.json();
    let rows = json["refs"]
        .as_array()
        .expect("an array of references")
        .iter()
        .map(|v| {
            (
                s(&v["path"]).unwrap(),
                v["line"].as_u64().unwrap(),
                v["column"].as_u64().unwrap(),
                s(&v["format"]).unwrap(),
                s(&v["kind"]).unwrap(),
                s(&v["name"]).unwrap(),
                s(&v["store"]),
                s(&v["consumer"]),
                s(&v["version"]),
            )
        })
        .collect();
    (rows, r.stdout, r.stderr)
}

#[allow(clippy::too_many_arguments)]
fn row(
    path: &str,
    line: u64,
    column: u64,
    format: &str,
    kind: &str,
    name: &str,
    store: Option<&str>,
    consumer: Option<&str>,
    version: Option<&str>,
) -> Row {
    (
        path.into(),
        line,
        column,
        format.into(),
        kind.into(),
        name.into(),
        store.map(Into::into),
        consumer.map(Into::into),
        version.map(Into::into),
    )
}

#[test]
fn arm_templates_and_parameter_files() {
    let (rows, stdout, stderr) = refs("arm");
    assert_eq!(
        rows,
        [
            row(
                "azuredeploy.json",
                6,
                67,
                "arm",
                "literal",
                "sqlAdminPassword",
                None,
                Some("sqlAdminPassword"),
                None
            ),
            row(
                "azuredeploy.json",
                44,
                32,
                "arm",
                "literal",
                "legacy-api-key",
                Some("kv-orders-prod"),
                None,
                None
            ),
            row(
                "azuredeploy.parameters.prod.json",
                10,
                23,
                "arm",
                "reference",
                "sql-admin-password",
                Some("kv-orders-prod"),
                Some("sqlAdminPassword"),
                Some("00112233445566778899aabbccddeeff")
            ),
            row(
                "azuredeploy.parameters.prod.json",
                15,
                32,
                "arm",
                "value",
                "smtpPassword",
                None,
                Some("smtpPassword"),
                None
            ),
        ]
    );
    for fake in [
        "Fake-Default-Passw0rd",
        "fake-legacy-api-key",
        "fake-smtp-password",
    ] {
        assert!(!stdout.contains(fake), "a literal leaked into the report");
    }
    assert!(
        stderr.contains("warning: broken.parameters.json:4: not valid JSON"),
        "{stderr}"
    );
}

#[test]
fn bicep_and_bicepparam() {
    let (rows, _, stderr) = refs("bicep");
    assert_eq!(
        rows,
        [
            row(
                "main.bicep",
                43,
                20,
                "bicep",
                "reference",
                "sql-admin-password",
                Some("kv-shared-prod"),
                Some("db.adminPassword"),
                None
            ),
            row(
                "prod.bicepparam",
                4,
                16,
                "bicep",
                "reference",
                "orders-signing-key",
                Some("kv-shared-prod"),
                Some("apiKey"),
                Some("00112233445566778899aabbccddeeff")
            ),
        ]
    );
    assert!(
        stderr.contains("warning: broken.bicep:2: not valid Bicep (unterminated string)"),
        "{stderr}"
    );
}

#[test]
fn ecs_task_definitions_and_cloudformation() {
    let (rows, stdout, stderr) = refs("aws");
    assert_eq!(
        rows,
        [
            row(
                "cfn/orders.yaml",
                28,
                26,
                "aws-ecs",
                "reference",
                "prod/orders/db",
                Some("aws-secretsmanager"),
                Some("orders-worker/worker"),
                None
            ),
            row(
                "taskdef.json",
                9,
                47,
                "aws-ecs",
                "reference",
                "prod/orders/db-AbC123#password",
                Some("aws-secretsmanager:123456789012/eu-west-1"),
                Some("orders-api/web"),
                None
            ),
            row(
                "taskdef.json",
                10,
                45,
                "aws-ecs",
                "reference",
                "/prod/orders/api-token",
                Some("aws-ssm:123456789012/eu-west-1"),
                Some("orders-api/web"),
                None
            ),
            row(
                "taskdef.json",
                14,
                46,
                "aws-ecs",
                "value",
                "SESSION_SECRET",
                None,
                Some("orders-api/web"),
                None
            ),
        ]
    );
    assert!(!stdout.contains("fake-session-secret"));
    assert!(
        stderr.contains("warning: broken-taskdef.json:3: not valid JSON"),
        "{stderr}"
    );
}

#[test]
fn dotnet_secret_manager_manifests_and_settings() {
    let (rows, _, stderr) = refs("dotnet");
    assert_eq!(
        rows,
        [
            row(
                ".vault-config/orders-prod.yaml",
                28,
                15,
                "vault-config",
                "reference",
                "BotAccount-orders-bot",
                Some("engshared"),
                Some("orders-bot-pat"),
                None
            ),
            row(
                "src/Orders/.config/settings.Production.json",
                3,
                22,
                "dotnet-settings",
                "reference",
                "orders-bot-pat",
                None,
                Some("Bot:Token"),
                None
            ),
            row(
                "src/Orders/.config/settings.json",
                3,
                26,
                "dotnet-settings",
                "reference",
                "orders-storage",
                None,
                Some("Storage:ConnectionString"),
                None
            ),
            row(
                "src/Orders/.config/settings.json",
                6,
                15,
                "dotnet-settings",
                "reference",
                "github-app-id",
                None,
                Some("GitHub:AppId"),
                None
            ),
            row(
                "src/Orders/.config/settings.json",
                7,
                20,
                "dotnet-settings",
                "reference",
                "github-app-private-key",
                None,
                Some("GitHub:PrivateKey"),
                None
            ),
        ]
    );
    assert!(
        stderr.contains("warning: src/Orders/.config/settings.Staging.json:3: not valid JSON"),
        "{stderr}"
    );
}
