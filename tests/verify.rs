//! `--verify` against real local HTTPS servers: a test CA made with openssl, a rustls
//! server speaking HTTP/1.1 that answers as each provider would (live, invalid, slow,
//! rate-limited, 5xx, a web page), and keyguard pointed at it with the testing override
//! (`KEYGUARD_VERIFY_BASE_URL`) and `--ca-cert`. Every request the server gets is logged and
//! asserted: method, path, authentication, and for AWS the SigV4 signature recomputed.

mod common;

use common::https::{reply, serve, Reply, Req};
use common::{findings, Rng, ALNUM};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

/// keyguard with the testing override pointing at `base`.
fn keyguard(dir: &Path, base: &str, args: &[&str]) -> common::Run {
    Command::new(common::bin())
        .args(args)
        .current_dir(dir)
        .env(keyguard::verify::BASE_URL_ENV, base)
        .stdin(Stdio::null())
        .output()
        .expect("run keyguard")
        .into()
}

fn slack_token(seed: u64) -> String {
    let mut r = Rng::new(seed);
    format!(
        "xoxb-{}-{}-{}",
        r.string(b"0123456789", 12),
        r.string(b"0123456789", 13),
        r.string(ALNUM, 24)
    )
}

fn stripe_key(seed: u64) -> String {
    format!("sk_live_{}", Rng::new(seed).string(ALNUM, 24))
}

fn openai_key(seed: u64) -> String {
    let mut r = Rng::new(seed);
    format!(
        "sk-proj-{}T3BlbkFJ{}",
        r.string(ALNUM, 20),
        r.string(ALNUM, 20)
    )
}

fn aws_pair(seed: u64) -> (String, String) {
    let mut r = Rng::new(seed);
    (
        format!("AKIA{}", r.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
        r.string(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
            40,
        ),
    )
}

/// The finding of `rule` in the JSON report, by path.
fn verification(report: &serde_json::Value, path: &str) -> serde_json::Value {
    findings(report)
        .into_iter()
        .find(|f| f["path"] == path)
        .unwrap_or_else(|| panic!("no finding in {path}: {report:#}"))["verification"]
        .clone()
}

/// Recompute the SigV4 signature of an STS request with `secret`.
fn sigv4_ok(req: &Req, secret: &str) -> bool {
    let Some(auth) = req.headers.get("authorization") else {
        return false;
    };
    let date = req.headers.get("x-amz-date").cloned().unwrap_or_default();
    let ctype = req.headers.get("content-type").cloned().unwrap_or_default();
    let s = keyguard::verify::sign::SigV4 {
        method: &req.method,
        host: "sts.amazonaws.com",
        path: "/",
        query: "",
        headers: &[("content-type", &ctype), ("x-amz-date", &date)],
        body: req.body.as_bytes(),
        region: "us-east-1",
        service: "sts",
        amz_date: &date,
    };
    let (_, sig) = s.signature(secret);
    auth.ends_with(&format!("Signature={sig}"))
}

#[test]
fn providers_answer_live_invalid_and_unknown_and_each_request_is_checked() {
    let live_gh = common::github_token(1);
    let dead_gh = common::github_token(2);
    let html_gh = common::github_token(3);
    let (slack_live, slack_dead) = (slack_token(4), slack_token(5));
    let stripe = stripe_key(6);
    let openai = openai_key(7);
    let (aws_id, aws_secret) = aws_pair(8);
    let (aws_id2, aws_wrong) = aws_pair(9);
    let (g1, g2, g3, s1, st, oa, sec) = (
        live_gh.clone(),
        dead_gh.clone(),
        html_gh.clone(),
        slack_live.clone(),
        stripe.clone(),
        openai.clone(),
        aws_secret.clone(),
    );
    let server = serve(Arc::new(move |r: &Req| {
        let auth = r.headers.get("authorization").cloned().unwrap_or_default();
        match (r.method.as_str(), r.path.as_str()) {
            ("GET", "/api.github.com/user") if auth == format!("Bearer {g1}") => {
                reply(200, r#"{"login":"octo","id":1}"#)
            }
            ("GET", "/api.github.com/user") if auth == format!("Bearer {g3}") => Reply {
                content_type: "text/html",
                ..reply(200, "<html><body>Sign in to the hotel wifi</body></html>")
            },
            ("GET", "/api.github.com/user") => {
                let _ = &g2;
                reply(401, r#"{"message":"Bad credentials"}"#)
            }
            ("POST", "/slack.com/api/auth.test") if auth == format!("Bearer {s1}") => {
                reply(200, r#"{"ok":true,"user":"bot"}"#)
            }
            ("POST", "/slack.com/api/auth.test") => {
                reply(200, r#"{"ok":false,"error":"invalid_auth"}"#)
            }
            ("GET", "/api.stripe.com/v1/account") => {
                use base64::Engine;
                let want = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(format!("{st}:"))
                );
                if auth == want {
                    reply(200, r#"{"id":"acct_1"}"#)
                } else {
                    reply(401, "{}")
                }
            }
            ("GET", "/api.openai.com/v1/models") => {
                assert_eq!(auth, format!("Bearer {oa}"));
                Reply {
                    extra: vec![("Retry-After", "30".into())],
                    ..reply(429, r#"{"error":"slow down"}"#)
                }
            }
            ("POST", "/sts.amazonaws.com/") if sigv4_ok(r, &sec) => reply(
                200,
                "<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::1:user/x</Arn></GetCallerIdentityResult></GetCallerIdentityResponse>",
            ),
            ("POST", "/sts.amazonaws.com/") => Reply {
                content_type: "text/xml",
                ..reply(403, "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code></Error></ErrorResponse>")
            },
            _ => reply(500, r#"{"error":"boom"}"#),
        }
    }));
    let dir = common::tree(&[
        ("gh_live.env", &format!("GITHUB_TOKEN={live_gh}\n")),
        ("gh_dead.env", &format!("GITHUB_TOKEN={dead_gh}\n")),
        ("gh_html.env", &format!("GITHUB_TOKEN={html_gh}\n")),
        ("slack_live.env", &format!("SLACK_BOT_TOKEN={slack_live}\n")),
        ("slack_dead.env", &format!("SLACK_BOT_TOKEN={slack_dead}\n")),
        ("stripe.env", &format!("STRIPE_SECRET_KEY={stripe}\n")),
        ("openai.env", &format!("OPENAI_API_KEY={openai}\n")),
        (
            "aws_live.ini",
            &format!("aws_access_key_id = {aws_id}\naws_secret_access_key = {aws_secret}\n"),
        ),
        (
            "aws_dead.ini",
            &format!("aws_access_key_id = {aws_id2}\naws_secret_access_key = {aws_wrong}\n"),
        ),
    ]);
    let ca = server.ca.to_str().unwrap();
    let run = keyguard(
        dir.path(),
        &server.base,
        &[
            "scan",
            ".",
            "-f",
            "json",
            "--verify",
            "--ca-cert",
            ca,
            "--verify-rate",
            "100",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report = run.json();
    let state = |p: &str| {
        verification(&report, p)["state"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    let reason = |p: &str| {
        verification(&report, p)["reason"]
            .as_str()
            .unwrap_or("")
            .to_string()
    };
    assert_eq!(state("gh_live.env"), "live");
    assert_eq!(reason("gh_live.env"), "HTTP 200 from api.github.com");
    assert_eq!(
        verification(&report, "gh_live.env")["revoke"],
        "https://github.com/settings/tokens"
    );
    assert_eq!(state("gh_dead.env"), "invalid");
    assert_eq!(
        state("gh_html.env"),
        "unknown",
        "a web page is not GitHub's answer"
    );
    assert!(
        reason("gh_html.env").contains("web page"),
        "{}",
        reason("gh_html.env")
    );
    assert_eq!(state("slack_live.env"), "live");
    assert_eq!(
        state("slack_dead.env"),
        "invalid",
        "Slack says 200 ok:false"
    );
    assert_eq!(state("stripe.env"), "live");
    assert_eq!(state("openai.env"), "unknown");
    assert!(
        reason("openai.env").contains("rate limited"),
        "{}",
        reason("openai.env")
    );
    assert!(
        reason("openai.env").contains("Retry-After 30"),
        "{}",
        reason("openai.env")
    );
    let aws_live = findings(&report)
        .into_iter()
        .find(|f| f["path"] == "aws_live.ini" && f["verification"].is_object())
        .expect("the AWS secret key is verified");
    assert_eq!(aws_live["verification"]["state"], "live", "{aws_live:#}");
    let aws_dead = findings(&report)
        .into_iter()
        .find(|f| f["path"] == "aws_dead.ini" && f["verification"].is_object())
        .unwrap();
    assert_eq!(aws_dead["verification"]["state"], "invalid");

    // What each provider got.
    let reqs = server.requests();
    let to = |p: &str| reqs.iter().filter(|r| r.path == p).collect::<Vec<_>>();
    assert_eq!(to("/api.github.com/user").len(), 3);
    assert!(to("/api.github.com/user")
        .iter()
        .all(|r| r.method == "GET" && r.headers["accept"] == "application/vnd.github+json"));
    assert_eq!(to("/slack.com/api/auth.test").len(), 2);
    let sts = to("/sts.amazonaws.com/");
    assert_eq!(sts.len(), 2);
    for r in &sts {
        assert_eq!(r.body, "Action=GetCallerIdentity&Version=2011-06-15");
        assert!(r.headers["authorization"].starts_with("AWS4-HMAC-SHA256 Credential=AKIA"));
        assert!(r.headers["authorization"].contains(
            "/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature="
        ));
    }
    // No request carries a secret anywhere but where the provider expects it.
    for r in &reqs {
        assert!(!r.path.contains(&live_gh) && !r.body.contains(&live_gh));
    }

    // Text and SARIF say it too; the secret itself stays redacted.
    let text = keyguard(
        dir.path(),
        &server.base,
        &["scan", "gh_live.env", "--verify", "--ca-cert", ca],
    );
    assert!(
        text.stdout
            .contains("verified live: HTTP 200 from api.github.com"),
        "{}",
        text.stdout
    );
    assert!(text
        .stdout
        .contains("revoke or rotate it now (https://github.com/settings/tokens)"));
    assert!(!text.stdout.contains(&live_gh));
    assert!(
        text.stdout.contains("1 live, 0 invalid, 0 unknown"),
        "{}",
        text.stdout
    );
    let sarif = keyguard(
        dir.path(),
        &server.base,
        &[
            "scan",
            "gh_live.env",
            "--verify",
            "--ca-cert",
            ca,
            "-f",
            "sarif",
        ],
    );
    let s: serde_json::Value = serde_json::from_str(&sarif.stdout).unwrap();
    let result = &s["runs"][0]["results"][0];
    assert_eq!(result["properties"]["verification"], "live");
    assert!(result["message"]["text"]
        .as_str()
        .unwrap()
        .contains("Verified LIVE"));
    let csv = keyguard(
        dir.path(),
        &server.base,
        &[
            "scan",
            "gh_live.env",
            "gh_dead.env",
            "--verify",
            "--ca-cert",
            ca,
            "-f",
            "csv",
        ],
    );
    let rows: Vec<&str> = csv.stdout.lines().collect();
    assert!(rows[0].ends_with(",verification"));
    assert!(
        rows.iter().any(|r| r.ends_with(",live")) && rows.iter().any(|r| r.ends_with(",invalid"))
    );
}

#[test]
fn each_secret_once_cached_across_runs_and_nothing_sent_without_verify() {
    let token = common::github_token(11);
    let t = token.clone();
    let server = serve(Arc::new(move |r: &Req| {
        if r.headers.get("authorization") == Some(&format!("Bearer {t}")) {
            reply(200, r#"{"login":"octo"}"#)
        } else {
            reply(401, "{}")
        }
    }));
    let line = format!("GITHUB_TOKEN={token}\n");
    let dir = common::tree(&[
        ("a.env", &line),
        ("b/c.env", &line),
        ("d.yaml", &format!("token: {token}\n")),
    ]);
    let ca = server.ca.to_str().unwrap();

    // Without --verify nothing goes out, even with the override set.
    let run = keyguard(dir.path(), &server.base, &["scan", ".", "-f", "json"]);
    assert_eq!(run.code, 1);
    assert!(findings(&run.json())
        .iter()
        .all(|f| f.get("verification").is_none()));
    assert!(server.requests().is_empty(), "a request without --verify");

    // Three findings of one secret: one request.
    let cache = dir.path().join("verify-cache.json");
    let cache_arg = cache.to_str().unwrap();
    let args = [
        "scan",
        ".",
        "-f",
        "json",
        "--verify",
        "--ca-cert",
        ca,
        "--verify-cache",
        cache_arg,
        "--exclude",
        "verify-cache.json",
    ];
    let run = keyguard(dir.path(), &server.base, &args);
    let f = findings(&run.json());
    assert!(f.len() >= 3, "{f:#?}");
    assert!(f.iter().all(|f| f["verification"]["state"] == "live"));
    assert_eq!(server.requests().len(), 1);
    let stored = std::fs::read_to_string(&cache).unwrap();
    assert!(!stored.contains(&token), "the cache holds the secret");
    assert!(stored.contains("\"live\""));

    // The cache answers the next run: no request.
    let run = keyguard(dir.path(), &server.base, &args);
    assert!(findings(&run.json())
        .iter()
        .all(|f| f["verification"]["state"] == "live"));
    assert_eq!(
        server.requests().len(),
        1,
        "the cached secret was asked again"
    );
    assert_eq!(run.json()["summary"]["verify"]["from_cache"], 1);
}

#[test]
fn timeouts_errors_and_garbage_are_unknown_with_a_reason() {
    let slow = common::github_token(21);
    let s = slow.clone();
    let server = serve(Arc::new(move |r: &Req| {
        let auth = r.headers.get("authorization").cloned().unwrap_or_default();
        if auth == format!("Bearer {s}") {
            Reply {
                delay: Duration::from_secs(4),
                ..reply(200, r#"{"login":"x"}"#)
            }
        } else if r.path.starts_with("/api.stripe.com") {
            reply(503, "<html>maintenance</html>")
        } else {
            Reply {
                content_type: "application/json",
                ..reply(200, "this is not json at all")
            }
        }
    }));
    let garbage = common::github_token(22);
    let dir = common::tree(&[
        ("slow.env", &format!("GITHUB_TOKEN={slow}\n")),
        ("garbage.env", &format!("GITHUB_TOKEN={garbage}\n")),
        (
            "stripe.env",
            &format!("STRIPE_SECRET_KEY={}\n", stripe_key(23)),
        ),
    ]);
    let ca = server.ca.to_str().unwrap();
    let run = keyguard(
        dir.path(),
        &server.base,
        &[
            "scan",
            ".",
            "-f",
            "json",
            "--verify",
            "--ca-cert",
            ca,
            "--verify-timeout",
            "1s",
        ],
    );
    let report = run.json();
    let v = |p: &str| verification(&report, p);
    assert_eq!(v("slow.env")["state"], "unknown");
    assert!(
        v("slow.env")["reason"]
            .as_str()
            .unwrap()
            .contains("timed out"),
        "{}",
        v("slow.env")
    );
    assert_eq!(v("garbage.env")["state"], "unknown", "{}", v("garbage.env"));
    assert_eq!(v("stripe.env")["state"], "unknown");
    assert!(v("stripe.env")["reason"]
        .as_str()
        .unwrap()
        .contains("provider error (HTTP 503"));

    // Without the test CA: a TLS error, not a crash and not "invalid".
    let run = keyguard(
        dir.path(),
        &server.base,
        &["scan", "garbage.env", "-f", "json", "--verify"],
    );
    let r = verification(&run.json(), "garbage.env");
    assert_eq!(r["state"], "unknown");
    assert!(
        r["reason"].as_str().unwrap().contains("TLS")
            || r["reason"].as_str().unwrap().contains("certificate"),
        "{r}"
    );

    // Nothing listening, and a name that does not resolve.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = format!("https://127.0.0.1:{}", closed.local_addr().unwrap().port());
    drop(closed);
    for base in [dead.as_str(), "https://keyguard-test.invalid"] {
        let run = keyguard(
            dir.path(),
            base,
            &[
                "scan",
                "garbage.env",
                "-f",
                "json",
                "--verify",
                "--verify-timeout",
                "2s",
            ],
        );
        assert_eq!(run.code, 1, "{}", run.stderr);
        let r = verification(&run.json(), "garbage.env");
        assert_eq!(r["state"], "unknown", "{base}: {r}");
        assert!(!r["reason"].as_str().unwrap().is_empty());
    }
}

#[test]
fn allowlist_gates_and_hooks() {
    let token = common::github_token(31);
    let t = token.clone();
    let server = serve(Arc::new(move |r: &Req| {
        if r.headers.get("authorization") == Some(&format!("Bearer {t}")) {
            reply(200, r#"{"login":"octo"}"#)
        } else {
            reply(200, r#"{"ok":false,"error":"invalid_auth"}"#)
        }
    }));
    let dir = common::tree(&[
        ("gh.env", &format!("GITHUB_TOKEN={token}\n")),
        (
            "slack.env",
            &format!("SLACK_BOT_TOKEN={}\n", slack_token(32)),
        ),
        ("other.env", "password = \"Zq8rT2vLp9WmX4nBq7\"\n"),
    ]);
    let ca = server.ca.to_str().unwrap();

    // Only api.github.com may be asked: Slack's token is not sent.
    let run = keyguard(
        dir.path(),
        &server.base,
        &[
            "scan",
            ".",
            "-f",
            "json",
            "--verify",
            "--ca-cert",
            ca,
            "--verify-host",
            "api.github.com",
        ],
    );
    let report = run.json();
    assert_eq!(verification(&report, "gh.env")["state"], "live");
    let slack = verification(&report, "slack.env");
    assert_eq!(slack["state"], "unknown");
    assert!(slack["reason"]
        .as_str()
        .unwrap()
        .contains("not in the verify allowlist"));
    assert!(server
        .requests()
        .iter()
        .all(|r| r.path.starts_with("/api.github.com/")));
    assert!(
        verification(&report, "other.env").is_null(),
        "generic findings are not verifiable"
    );

    // --only-verified reports the live one; --fail-on-verified blocks only on it.
    let run = keyguard(
        dir.path(),
        &server.base,
        &[
            "scan",
            ".",
            "-f",
            "json",
            "--only-verified",
            "--ca-cert",
            ca,
        ],
    );
    let f = findings(&run.json());
    assert_eq!(f.len(), 1, "{f:#?}");
    assert_eq!(f[0]["path"], "gh.env");
    let run = keyguard(
        dir.path(),
        &server.base,
        &[
            "scan",
            "slack.env",
            "other.env",
            "--fail-on-verified",
            "--ca-cert",
            ca,
        ],
    );
    assert_eq!(run.code, 0, "nothing live: the gate passes\n{}", run.stdout);
    let run = keyguard(
        dir.path(),
        &server.base,
        &["scan", "gh.env", "--fail-on-verified", "--ca-cert", ca],
    );
    assert_eq!(run.code, 1);

    // A pre-commit hook verifies only when asked twice.
    let repo = tempfile::tempdir().unwrap();
    common::git_ok(repo.path(), &["init", "-q"]);
    common::write(
        repo.path(),
        "gh.env",
        format!("GITHUB_TOKEN={token}\n").as_bytes(),
    );
    common::git_ok(repo.path(), &["add", "gh.env"]);
    let before = server.requests().len();
    let run = keyguard(
        repo.path(),
        &server.base,
        &["scan", "--staged", "--verify", "--ca-cert", ca],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("allow-in-hooks"), "{}", run.stderr);
    assert_eq!(server.requests().len(), before);
    common::write(
        repo.path(),
        ".keyguard.toml",
        b"[verify]\nallow-in-hooks = true\nhosts = [\"api.github.com\"]\n",
    );
    let run = keyguard(
        repo.path(),
        &server.base,
        &[
            "scan",
            "--staged",
            "--verify",
            "--ca-cert",
            ca,
            "-f",
            "json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(findings(&run.json())[0]["verification"]["state"], "live");
}

#[test]
fn saved_reports_and_sweeps_are_verified() {
    let token = common::github_token(41);
    let t = token.clone();
    let server = serve(Arc::new(move |r: &Req| {
        if r.headers.get("authorization") == Some(&format!("Bearer {t}")) {
            reply(200, r#"{"login":"octo"}"#)
        } else {
            reply(401, "{}")
        }
    }));
    let ca = server.ca.to_str().unwrap();
    // A repository whose token was committed, then deleted: only history holds it.
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("shop");
    std::fs::create_dir_all(&repo).unwrap();
    common::git_ok(&repo, &["init", "-q"]);
    common::write(
        &repo,
        "deploy/env",
        format!("GITHUB_TOKEN={token}\n").as_bytes(),
    );
    common::write(&repo, "README", b"shop\n");
    common::git_ok(&repo, &["add", "-A"]);
    common::git_ok(&repo, &["commit", "-q", "-m", "add deploy"]);
    common::git_ok(&repo, &["rm", "-q", "deploy/env"]);
    common::git_ok(&repo, &["commit", "-q", "-m", "remove it"]);

    // scan now, verify later: the secret is read again from the commit the report names.
    let run = keyguard(
        &repo,
        &server.base,
        &[
            "scan",
            "--history",
            ".",
            "-f",
            "json",
            "-o",
            "../report.json",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(server.requests().is_empty());
    let report = work.path().join("report.json");
    let run = keyguard(
        work.path(),
        &server.base,
        &[
            "verify",
            report.to_str().unwrap(),
            "--root",
            "shop",
            "--ca-cert",
            ca,
        ],
    );
    assert_eq!(run.code, 1, "a live credential: exit 1\n{}", run.stderr);
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(findings(&v)[0]["verification"]["state"], "live", "{v:#}");
    assert_eq!(v["summary"]["verify"]["live"], 1);
    assert!(
        !run.stdout.contains(&token),
        "the verified report shows the secret"
    );
    assert_eq!(server.requests().len(), 1);

    // A sweep with --verify: each repository's result carries the states, and the dashboard
    // has them to filter on.
    std::fs::write(work.path().join("repos.txt"), "shop\n").unwrap();
    let run = keyguard(
        work.path(),
        &server.base,
        &[
            "sweep",
            "--repos",
            "repos.txt",
            "-o",
            "out",
            "--verify",
            "--ca-cert",
            ca,
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let result = std::fs::read_dir(work.path().join("out/repos"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"))
        .unwrap();
    let text = std::fs::read_to_string(&result).unwrap();
    assert!(
        text.contains("\"state\": \"live\"") || text.contains("\"state\":\"live\""),
        "{text}"
    );
    let run = keyguard(
        work.path(),
        &server.base,
        &["report", "out", "--html", "page.html"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = std::fs::read_to_string(work.path().join("page.html")).unwrap();
    assert!(page.contains("\"verified\":\"live\""));
    assert!(page.contains("id=\"verified-filter\""));
}
