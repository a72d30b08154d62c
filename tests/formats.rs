//! CSV, JUnit XML and GitLab secret-detection reports, each checked against its published
//! structure: RFC 4180 (Python's csv module), JUnit XML (parsed with Python's XML parser, the
//! attributes CI test tabs read), GitLab's secret-detection report schema 15.0.7 (its required
//! fields, enums and patterns).

mod common;

use common::*;
use std::process::Command;

fn python_json(script: &str, input: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("input");
    std::fs::write(&file, input).unwrap();
    let o = Command::new("python3")
        .args(["-c", script])
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{}\n{input}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn fixture() -> (tempfile::TempDir, String) {
    let tok = github_token(1);
    let dir = tree(&[
        ("src/app.py", &format!("TOKEN = \"{tok}\"\n")),
        ("=cmd|calc.txt", &format!("x,y = \"{}\"\n", github_token(2))),
    ]);
    (dir, tok)
}

#[test]
fn csv_is_rfc4180_with_redacted_secrets_and_no_formulas() {
    let (dir, tok) = fixture();
    let r = run(dir.path(), &["scan", "-f", "csv"]);
    assert_eq!(r.code, 1);
    assert!(!r.stdout.contains(&tok));
    let rows = python_json(
        "import csv, json, sys; print(json.dumps(list(csv.DictReader(open(sys.argv[1], newline='')))))",
        &r.stdout,
    );
    let rows = rows.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["path"], "src/app.py");
    assert_eq!(rows[1]["rule_id"], "github-pat-classic");
    assert_eq!(rows[1]["secret"], "ghp_…");
    assert_eq!(
        rows[0]["path"], "'=cmd|calc.txt",
        "a formula-like cell is neutralised"
    );
}

#[test]
fn junit_has_one_failing_case_per_finding_and_a_passing_case_when_clean() {
    let (dir, tok) = fixture();
    let script = "import json, sys, xml.etree.ElementTree as E\n\
root = E.parse(sys.argv[1]).getroot()\n\
suite = root.find('testsuite')\n\
cases = [{'classname': c.get('classname'), 'name': c.get('name'), 'failure': (c.find('failure').attrib if c.find('failure') is not None else None)} for c in suite.findall('testcase')]\n\
print(json.dumps({'root': root.tag, 'tests': root.get('tests'), 'failures': root.get('failures'), 'suite_tests': suite.get('tests'), 'cases': cases}))";
    let r = run(dir.path(), &["scan", "-f", "junit"]);
    assert_eq!(r.code, 1);
    assert!(!r.stdout.contains(&tok));
    let v = python_json(script, &r.stdout);
    assert_eq!(v["root"], "testsuites");
    assert_eq!(
        (v["tests"].as_str(), v["failures"].as_str()),
        (Some("2"), Some("2"))
    );
    let case = &v["cases"][1];
    assert_eq!(case["name"], "github-pat-classic at src/app.py:1:10");
    assert_eq!(case["failure"]["type"], "high");

    let clean = tree(&[("a.txt", "fine\n")]);
    let r = run(clean.path(), &["scan", "-f", "junit"]);
    assert_eq!(r.code, 0);
    let v = python_json(script, &r.stdout);
    assert_eq!(
        (v["tests"].as_str(), v["failures"].as_str()),
        (Some("1"), Some("0"))
    );
    assert!(v["cases"][0]["failure"].is_null());
}

#[test]
fn gitlab_report_meets_the_secret_detection_schema() {
    let (dir, tok) = fixture();
    let r = run(dir.path(), &["scan", "-f", "gitlab"]);
    assert_eq!(r.code, 1);
    assert!(!r.stdout.contains(&tok));
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let semver =
        |s: &str| s.split('.').count() == 3 && s.split('.').all(|p| p.parse::<u32>().is_ok());
    assert!(semver(v["version"].as_str().unwrap()));
    let scan = &v["scan"];
    for tool in ["analyzer", "scanner"] {
        for field in ["id", "name", "version"] {
            assert!(
                !scan[tool][field].as_str().unwrap().is_empty(),
                "{tool}.{field}"
            );
        }
        assert!(!scan[tool]["vendor"]["name"].as_str().unwrap().is_empty());
    }
    assert_eq!(scan["type"], "secret_detection");
    assert!(["success", "failure"].contains(&scan["status"].as_str().unwrap()));
    for t in ["start_time", "end_time"] {
        let s = scan[t].as_str().unwrap();
        let b = s.as_bytes();
        assert!(
            s.len() == 19
                && b[4] == b'-'
                && b[7] == b'-'
                && b[10] == b'T'
                && b[13] == b':'
                && b[16] == b':',
            "{t} is yyyy-mm-ddThh:mm:ss: {s}"
        );
    }
    let vulns = v["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 2);
    for x in vulns {
        assert!(!x["id"].as_str().unwrap().is_empty());
        let id = &x["identifiers"][0];
        for field in ["type", "name", "value"] {
            assert!(!id[field].as_str().unwrap().is_empty());
        }
        assert!(!x["location"]["commit"]["sha"].as_str().unwrap().is_empty());
        assert!(["Info", "Unknown", "Low", "Medium", "High", "Critical"]
            .contains(&x["severity"].as_str().unwrap()));
        assert!(x["name"].as_str().unwrap().len() <= 255);
    }
    let app = vulns
        .iter()
        .find(|x| x["location"]["file"] == "src/app.py")
        .unwrap();
    assert_eq!(app["location"]["start_line"], 1);
    assert_eq!(app["identifiers"][0]["value"], "github-pat-classic");
}

/// File and archive member names are the attacker's: control characters in them reach the
/// terminal escaped, never raw (no recolouring, no OSC title changes), in findings and in
/// warnings.
#[test]
fn control_characters_in_names_are_escaped_in_text_output() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\u{1b}[31m\u{1b}]0;owned\u{7}.env";
    write(
        dir.path(),
        name,
        format!("TOKEN={}\n", github_token(77)).as_bytes(),
    );
    // A corrupt zip whose name holds a control character: the warning names it.
    write(dir.path(), "bad\u{1b}[2J.zip", b"PK\x03\x04 truncated");
    let r = run(dir.path(), &["scan", "."]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    for out in [&r.stdout, &r.stderr] {
        assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
    }
    assert!(
        r.stdout.contains("evil\\x1b[31m\\x1b]0;owned\\x07.env:1:7"),
        "{}",
        r.stdout
    );
    assert!(r.stderr.contains("bad\\x1b[2J.zip"), "{}", r.stderr);
}
