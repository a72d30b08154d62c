//! `keyguard refs`: the secret-reference inventory, one extractor per format, with lines.

mod common;

use common::*;

fn inventory(dir: &std::path::Path) -> Vec<serde_json::Value> {
    let r = run(dir, &["refs", ".", "-f", "json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    serde_json::from_str::<serde_json::Value>(&r.stdout).unwrap()["refs"]
        .as_array()
        .unwrap()
        .clone()
}

fn find<'a>(refs: &'a [serde_json::Value], name: &str) -> &'a serde_json::Value {
    refs.iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no reference named {name} in {refs:#?}"))
}

#[test]
fn github_actions_secrets_with_job_and_environment() {
    let dir = tree(&[(
        ".github/workflows/deploy.yml",
        "name: deploy\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ secrets.NPM_TOKEN }}\n  release:\n    runs-on: ubuntu-latest\n    environment:\n      name: production\n    steps:\n      - run: deploy --token \"${{ secrets.DEPLOY_KEY }}\" --gh ${{ secrets.GITHUB_TOKEN }}\n      - run: echo '${{ toJSON(secrets) }}'\n  reuse:\n    uses: org/repo/.github/workflows/x.yml@main\n    secrets: inherit\n",
    )]);
    let refs = inventory(dir.path());
    let npm = find(&refs, "NPM_TOKEN");
    assert_eq!(
        (npm["line"].as_u64(), npm["column"].as_u64()),
        (Some(7), Some(23))
    );
    assert_eq!(npm["consumer"], "build");
    assert!(npm["environment"].is_null());
    let deploy = find(&refs, "DEPLOY_KEY");
    assert_eq!(
        (deploy["consumer"].as_str(), deploy["environment"].as_str()),
        (Some("release"), Some("production"))
    );
    assert!(
        refs.iter().all(|r| r["name"] != "GITHUB_TOKEN"),
        "GITHUB_TOKEN is issued per run, not stored"
    );
    let all: Vec<_> = refs.iter().filter(|r| r["kind"] == "all-secrets").collect();
    assert_eq!(all.len(), 2, "toJSON(secrets) and secrets: inherit");
    assert_eq!(all[1]["consumer"], "reuse");
}

#[test]
fn dotenv_references_and_literals() {
    let dir = tree(&[(
        "deploy/prod/.env",
        "# prod\nDB_PASSWORD=op://prod-vault/postgres/password\nAPI_TOKEN=@Microsoft.KeyVault(SecretUri=https://kv-prod-eu.vault.azure.net/secrets/api-token/0123abcd)\nSESSION_SECRET=not-a-reference\nLOG_LEVEL=debug\nexport REDIS_URL=\"${REDIS_URL}\"\nVAULT_TOKEN=vault:secret/app#token\n",
    )]);
    let refs = inventory(dir.path());
    let db = find(&refs, "postgres/password");
    assert_eq!(
        (
            db["store"].as_str(),
            db["line"].as_u64(),
            db["column"].as_u64()
        ),
        (Some("1password:prod-vault"), Some(2), Some(13))
    );
    assert_eq!(db["environment"], "production");
    let kv = find(&refs, "api-token");
    assert_eq!(
        (
            kv["format"].as_str(),
            kv["store"].as_str(),
            kv["version"].as_str()
        ),
        (Some("azure-keyvault"), Some("kv-prod-eu"), Some("0123abcd"))
    );
    let lit = find(&refs, "SESSION_SECRET");
    assert_eq!(lit["kind"], "literal");
    assert!(
        refs.iter().all(|r| r["consumer"] != "LOG_LEVEL"),
        "plain configuration is not a reference"
    );
    assert_eq!(find(&refs, "REDIS_URL")["store"], "environment");
    assert_eq!(find(&refs, "secret/app#token")["store"], "vault");
}

#[test]
fn azure_cloudformation_and_vault_templates() {
    let dir = tree(&[
        (
            "infra/appsettings.json",
            "{\n  \"Db\": \"@Microsoft.KeyVault(VaultName=kv-staging;SecretName=db-conn;SecretVersion=)\"\n}\n",
        ),
        (
            "infra/template.yaml",
            "Resources:\n  Db:\n    Properties:\n      MasterUserPassword: '{{resolve:secretsmanager:prod/db:SecretString:password}}'\n      Key: '{{resolve:ssm-secure:/dev/api-key:3}}'\n      Arn: '{{resolve:secretsmanager:arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared-AbCdEf:SecretString:user}}'\n",
        ),
        ("agent/app.ctmpl", "{{ with secret \"secret/data/staging/app\" }}{{ .Data.data.key }}{{ end }}\n"),
    ]);
    let refs = inventory(dir.path());
    let kv = find(&refs, "db-conn");
    assert_eq!(
        (kv["store"].as_str(), kv["line"].as_u64()),
        (Some("kv-staging"), Some(2))
    );
    assert!(kv["version"].is_null());
    assert_eq!(kv["environment"], "staging");
    let db = find(&refs, "prod/db#password");
    assert_eq!(
        (db["store"].as_str(), db["environment"].as_str()),
        (Some("aws-secretsmanager"), Some("production"))
    );
    let ssm = find(&refs, "/dev/api-key");
    assert_eq!(
        (ssm["store"].as_str(), ssm["version"].as_str()),
        (Some("aws-ssm"), Some("3"))
    );
    find(
        &refs,
        "arn:aws:secretsmanager:eu-west-1:123456789012:secret:shared-AbCdEf#user",
    );
    let v = find(&refs, "data/staging/app");
    assert_eq!(
        (v["format"].as_str(), v["store"].as_str()),
        (Some("vault-template"), Some("vault:secret"))
    );
}

#[test]
fn text_and_csv_outputs() {
    let dir = tree(&[(
        ".github/workflows/ci.yml",
        "jobs:\n  test:\n    steps:\n      - run: echo ${{ secrets.TOKEN }}\n",
    )]);
    let r = run(dir.path(), &["refs"]);
    assert!(
        r.stdout.starts_with("LOCATION ")
            && r.stdout.contains(".github/workflows/ci.yml:4:")
            && r.stdout.contains("github-actions  reference  github")
            && r.stdout.contains("1 secret references"),
        "{}",
        r.stdout
    );
    let r = run(dir.path(), &["refs", "-f", "csv"]);
    let mut lines = r.stdout.lines();
    assert_eq!(
        lines.next(),
        Some("format,path,line,column,store,name,version,consumer,environment,kind")
    );
    assert!(lines
        .next()
        .unwrap()
        .starts_with("github-actions,.github/workflows/ci.yml,4,"));
}
