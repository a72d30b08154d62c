//! SARIF output checked by the real Microsoft SARIF Multitool (with GitHub's ingestion rules)
//! and for the fields GitHub code scanning reads.

mod common;

use common::*;

#[test]
fn sarif_is_valid_for_github_and_redacted() {
    let t = |i| github_token(i);
    let secrets = [t(1), t(2), t(3)];
    let dir = tree(&[
        ("src/config.py", &format!("TOKEN = '{}'\n", secrets[0])),
        (
            "deploy/values file.yaml",
            &format!("github:\n  token: {}\n", secrets[1]),
        ),
        ("scripts/run.sh", &format!("export GH={}\n", secrets[2])),
    ]);
    let r = run(dir.path(), &["scan", ".", "-f", "sarif", "-o", "out.sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let path = dir.path().join("out.sarif");
    let text = std::fs::read_to_string(&path).unwrap();
    for s in &secrets {
        assert!(!text.contains(s.as_str()), "SARIF leaks a secret");
    }
    let errors = validation_errors(&path);
    assert!(
        errors.is_empty(),
        "SARIF Multitool errors:\n{}",
        errors.join("\n")
    );

    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["version"], "2.1.0");
    let run0 = &v["runs"][0];
    assert_eq!(run0["automationDetails"]["id"], "keyguard/working-tree/");
    let rule = &run0["tool"]["driver"]["rules"][0];
    assert_eq!(rule["id"], "github-pat-classic");
    for field in ["shortDescription", "fullDescription"] {
        assert!(
            rule[field]["text"].as_str().is_some_and(|s| !s.is_empty()),
            "{field}"
        );
    }
    assert!(rule["help"]["markdown"]
        .as_str()
        .unwrap()
        .contains("Remediation"));
    assert_eq!(rule["properties"]["security-severity"], "8.0");
    assert_eq!(rule["properties"]["precision"], "high");
    let tags = rule["properties"]["tags"].as_array().unwrap();
    assert!(tags.contains(&"security".into()) && tags.contains(&"secret".into()));
    let results = run0["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let res = results
        .iter()
        .find(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                == "deploy/values%20file.yaml"
        })
        .expect("URI is relative and percent-encoded");
    assert_eq!(res["level"], "error");
    assert_eq!(res["ruleIndex"], 0);
    let region = &res["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(2), Some(10))
    );
    assert_eq!(region["snippet"]["text"], "token: ghp_…");
    assert!(res["partialFingerprints"]["primaryLocationLineHash"].is_string());
    assert!(res["partialFingerprints"]["keyguard/v1"].is_string());
}

#[test]
fn sarif_stays_within_githubs_result_limit_and_says_so() {
    let mut text = String::new();
    for i in 0..25_010u64 {
        text.push_str(&format!("t{i}={}\n", github_token(1000 + i)));
    }
    let dir = tree(&[("many.txt", &text)]);
    let r = run(
        dir.path(),
        &[
            "scan",
            ".",
            "-f",
            "sarif",
            "-o",
            "out.sarif",
            "--max-file-size",
            "100M",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("out.sarif")).unwrap())
            .unwrap();
    let run0 = &v["runs"][0];
    assert_eq!(run0["results"].as_array().unwrap().len(), 25_000);
    assert_eq!(run0["properties"]["truncated"], true);
    assert_eq!(run0["properties"]["totalFindings"], 25_010);
    let notes = run0["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| n["message"]["text"]
        .as_str()
        .unwrap()
        .contains("only the first 25000")));
}
