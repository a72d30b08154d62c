//! Sweeps of a forge's organisation: a local HTTPS server answering GitHub's and GitLab's
//! REST shapes (pagination by `Link` and `X-Next-Page`, a rate limit with `Retry-After`, a
//! 500), and `git http-backend` behind a local HTTP server for the clones (smart HTTP, one
//! repository behind basic authentication, one that disappears between listing and clone).

mod common;

use common::https::{reply, serve, Reply, Req};
use common::*;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// `git http-backend` (CGI) behind a one-request-per-connection HTTP server over `root`.
/// Paths under `/private/` need basic auth `user:pass`. Returns the base URL and the log of
/// (method, path, had the right credentials).
/// (method, path, authenticated) of each request the git server got.
type GitLog = Arc<Mutex<Vec<(String, String, bool)>>>;

fn git_server(root: PathBuf) -> (String, GitLog) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let Ok(mut tcp) = tcp else { continue };
            let (root, log) = (root.clone(), l.clone());
            std::thread::spawn(move || {
                let Some(req) = common::https::read_request(&mut tcp) else {
                    return;
                };
                let (path, query) = req.path.split_once('?').unwrap_or((&req.path, ""));
                use base64::Engine;
                let good = format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode("user:pass")
                );
                let authed = req.headers.get("authorization") == Some(&good);
                log.lock()
                    .unwrap()
                    .push((req.method.clone(), path.to_string(), authed));
                if path.starts_with("/private/") && !authed {
                    let _ = tcp.write_all(b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    return;
                }
                let mut cgi = Command::new("git")
                    .arg("http-backend")
                    .env("GIT_PROJECT_ROOT", &root)
                    .env("GIT_HTTP_EXPORT_ALL", "1")
                    .env("PATH_INFO", path)
                    .env("QUERY_STRING", query)
                    .env("REQUEST_METHOD", &req.method)
                    .env(
                        "CONTENT_TYPE",
                        req.headers.get("content-type").cloned().unwrap_or_default(),
                    )
                    .env("CONTENT_LENGTH", req.body.len().to_string())
                    .env(
                        "GIT_PROTOCOL",
                        req.headers.get("git-protocol").cloned().unwrap_or_default(),
                    )
                    .env(
                        "HTTP_CONTENT_ENCODING",
                        req.headers
                            .get("content-encoding")
                            .cloned()
                            .unwrap_or_default(),
                    )
                    .env("REMOTE_USER", if authed { "user" } else { "" })
                    .env("REMOTE_ADDR", "127.0.0.1")
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                cgi.stdin
                    .take()
                    .unwrap()
                    .write_all(req.body.as_bytes())
                    .unwrap();
                let mut out = Vec::new();
                cgi.stdout.take().unwrap().read_to_end(&mut out).unwrap();
                let _ = cgi.wait();
                let split = out
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n")
                    .map(|p| (p, 4))
                    .or_else(|| out.windows(2).position(|w| w == b"\n\n").map(|p| (p, 2)));
                let Some((at, sep)) = split else { return };
                let head = String::from_utf8_lossy(&out[..at]).into_owned();
                let body = &out[at + sep..];
                let mut status = "200 OK".to_string();
                let mut resp = String::new();
                for line in head.lines() {
                    match line.split_once(':') {
                        Some((k, v)) if k.eq_ignore_ascii_case("status") => {
                            status = v.trim().to_string()
                        }
                        Some(_) => {
                            resp.push_str(line.trim_end());
                            resp.push_str("\r\n");
                        }
                        None => {}
                    }
                }
                let _ = tcp.write_all(
                    format!("HTTP/1.1 {status}\r\n{resp}Content-Length: {}\r\nConnection: close\r\n\r\n", body.len()).as_bytes(),
                );
                let _ = tcp.write_all(body);
            });
        }
    });
    (format!("http://127.0.0.1:{port}"), log)
}

/// A bare repository `root/<rel>.git` with one commit holding `files`.
fn bare_repo(root: &Path, rel: &str, files: &[(&str, String)]) {
    let work = tempfile::tempdir().unwrap();
    git_ok(work.path(), &["init", "-q"]);
    for (p, c) in files {
        write(work.path(), p, c.as_bytes());
    }
    git_ok(work.path(), &["add", "-A"]);
    git_ok(work.path(), &["commit", "-q", "-m", "initial"]);
    let dest = root.join(format!("{rel}.git"));
    std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
    git_ok(
        work.path(),
        &["clone", "-q", "--bare", ".", dest.to_str().unwrap()],
    );
}

fn github_repo(name: &str, clone: &str, archived: bool, fork: bool) -> serde_json::Value {
    serde_json::json!({
        "full_name": name, "clone_url": clone, "archived": archived, "fork": fork,
        "pushed_at": "2026-11-01T10:00:00Z", "visibility": "private"
    })
}

fn keyguard_env(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = Command::new(bin());
    c.args(args).current_dir(dir).stdin(Stdio::null());
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap().into()
}

#[test]
fn a_github_org_is_listed_page_by_page_cloned_over_http_and_swept() {
    let git_root = tempfile::tempdir().unwrap();
    let token = github_token(51);
    bare_repo(
        git_root.path(),
        "acme/app",
        &[("deploy.env", format!("GITHUB_TOKEN={token}\n"))],
    );
    bare_repo(
        git_root.path(),
        "private/acme/vault",
        &[("README", "nothing\n".into())],
    );
    bare_repo(
        git_root.path(),
        "acme/old",
        &[("README", "archived\n".into())],
    );
    let (git_base, git_log) = git_server(git_root.path().to_path_buf());

    // The API's own address, for its `Link` headers (known once it listens).
    let own = Arc::new(Mutex::new(String::new()));
    let rate_limited = Arc::new(AtomicUsize::new(0));
    let (gb, rl, me) = (git_base.clone(), rate_limited.clone(), own.clone());
    let api = serve(Arc::new(move |r: &Req| {
        if r.headers.get("authorization").map(String::as_str) != Some("Bearer api-token-1") {
            return reply(401, r#"{"message":"Bad credentials"}"#);
        }
        let me = me.lock().unwrap().clone();
        match r.path.as_str() {
            "/orgs/acme/repos?per_page=100&type=all" => Reply {
                extra: vec![(
                    "Link",
                    format!("<{me}/orgs/acme/repos?per_page=100&type=all&page=2>; rel=\"next\""),
                )],
                ..reply(
                    200,
                    &serde_json::json!([
                        github_repo("acme/app", &format!("{gb}/acme/app.git"), false, false),
                        github_repo("acme/old", &format!("{gb}/acme/old.git"), true, false),
                        github_repo("acme/forked", &format!("{gb}/acme/forked.git"), false, true),
                    ])
                    .to_string(),
                )
            },
            "/orgs/acme/repos?per_page=100&type=all&page=2"
                if rl.fetch_add(1, Ordering::SeqCst) == 0 =>
            {
                Reply {
                    extra: vec![
                        ("Retry-After", "1".into()),
                        ("X-RateLimit-Remaining", "0".into()),
                    ],
                    ..reply(403, r#"{"message":"API rate limit exceeded"}"#)
                }
            }
            "/orgs/acme/repos?per_page=100&type=all&page=2" => reply(
                200,
                &serde_json::json!([
                    github_repo(
                        "acme/vault",
                        &format!("{gb}/private/acme/vault.git"),
                        false,
                        false
                    ),
                    // Listed, then deleted before the clone.
                    github_repo("acme/gone", &format!("{gb}/acme/gone.git"), false, false),
                ])
                .to_string(),
            ),
            _ => reply(404, "{}"),
        }
    }));
    *own.lock().unwrap() = api.base.clone();
    let work = tempfile::tempdir().unwrap();
    let ca = api.ca.to_str().unwrap().to_string();
    let sweep_acme = |out: &str, env: &[(&str, &str)]| {
        keyguard_env(
            work.path(),
            &[
                "sweep",
                "--github-org",
                "acme",
                "--api-url",
                &api.base,
                "--ca-cert",
                &ca,
                "-o",
                out,
                "-q",
            ],
            env,
        )
    };
    let run = sweep_acme(
        "out",
        &[
            ("GITHUB_TOKEN", "api-token-1"),
            ("KEYGUARD_GIT_USER", "user"),
            ("KEYGUARD_GIT_TOKEN", "pass"),
        ],
    );
    // A finding (1) and a failed repository (3): 4.
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        rate_limited.load(Ordering::SeqCst),
        2,
        "the rate-limited page was asked again"
    );

    // The listing is saved, sorted, filtered (no archived repository, no fork).
    let listing = std::fs::read_to_string(work.path().join("out/repos.txt")).unwrap();
    let urls: Vec<&str> = listing.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        urls,
        [
            format!("{git_base}/acme/app.git"),
            format!("{git_base}/acme/gone.git"),
            format!("{git_base}/private/acme/vault.git"),
        ]
    );
    let state: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(work.path().join("out/sweep.json")).unwrap())
            .unwrap();
    let text = state.to_string();
    assert!(text.contains("acme/gone"), "{text}");
    // The clone of the private repository authenticated; no secret reached the disk.
    assert!(git_log
        .lock()
        .unwrap()
        .iter()
        .any(|(_, p, ok)| p.starts_with("/private/") && *ok));
    let cfg = std::fs::read_to_string(
        work.path()
            .join("out/cache")
            .read_dir()
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains("vault"))
            .unwrap()
            .join("config"),
    )
    .unwrap();
    assert!(
        !cfg.contains("pass"),
        "the credential was written to the cache: {cfg}"
    );
    let results: Vec<String> = std::fs::read_dir(work.path().join("out/repos"))
        .unwrap()
        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
        .collect();
    assert!(
        results.iter().any(|r| r.contains("github-pat-classic")),
        "the app's token is found"
    );

    // Without the git credentials the private repository fails, the others are scanned.
    let run = sweep_acme("out2", &[("GITHUB_TOKEN", "api-token-1")]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    // A wrong API token is a clear error, nothing swept.
    let run = sweep_acme("out3", &[("GITHUB_TOKEN", "tok-zzq81")]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("HTTP 401"), "{}", run.stderr);
    assert!(
        !run.stderr.contains("tok-zzq81"),
        "the token is printed: {}",
        run.stderr
    );
}

#[test]
fn a_gitlab_group_is_listed_through_x_next_page_and_a_server_error() {
    let errors = Arc::new(AtomicUsize::new(0));
    let e = errors.clone();
    let api = serve(Arc::new(move |r: &Req| {
        assert_eq!(
            r.headers.get("private-token").map(String::as_str),
            Some("gl-token")
        );
        let base = "/groups/team%2Fplatform/projects?include_subgroups=true&per_page=100&order_by=id&sort=asc";
        let project = |name: &str, archived: bool| {
            serde_json::json!({
                "path_with_namespace": name, "http_url_to_repo": format!("https://gitlab.example/{name}.git"),
                "archived": archived, "last_activity_at": "2026-10-01T00:00:00Z"
            })
        };
        if r.path == base {
            Reply {
                extra: vec![("X-Next-Page", "2".into())],
                ..reply(
                    200,
                    &serde_json::json!([project("team/platform/api", false)]).to_string(),
                )
            }
        } else if r.path == format!("{base}&page=2") && e.fetch_add(1, Ordering::SeqCst) == 0 {
            reply(500, "{}")
        } else if r.path == format!("{base}&page=2") {
            Reply {
                extra: vec![("X-Next-Page", "".into())],
                ..reply(
                    200,
                    &serde_json::json!([
                        project("team/platform/sub/worker", false),
                        project("team/platform/legacy", true)
                    ])
                    .to_string(),
                )
            }
        } else {
            reply(404, "{}")
        }
    }));
    let work = tempfile::tempdir().unwrap();
    let ca = api.ca.to_str().unwrap().to_string();
    // Clones of gitlab.example cannot work here: the listing is what is checked (and that a
    // clone failure is a failed repository, not a stopped sweep).
    let run = keyguard_env(
        work.path(),
        &[
            "sweep",
            "--gitlab-group",
            "team/platform",
            "--api-url",
            &api.base,
            "--ca-cert",
            &ca,
            "-o",
            "out",
            "-q",
            "--include-repo",
            "team/platform/**",
        ],
        &[("GITLAB_TOKEN", "gl-token"), ("GIT_ALLOW_PROTOCOL", "file")],
    );
    assert_eq!(
        run.code, 3,
        "every clone fails, the sweep completes: {}",
        run.stderr
    );
    assert_eq!(errors.load(Ordering::SeqCst), 2, "the 500 was retried");
    let listing = std::fs::read_to_string(work.path().join("out/repos.txt")).unwrap();
    let urls: Vec<&str> = listing.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        urls,
        [
            "https://gitlab.example/team/platform/api.git",
            "https://gitlab.example/team/platform/sub/worker.git"
        ]
    );
}

#[test]
fn azure_devops_and_bitbucket_listings_follow_their_pages() {
    let own = Arc::new(Mutex::new(String::new()));
    let me = own.clone();
    let api = serve(Arc::new(move |r: &Req| {
        let me = me.lock().unwrap().clone();
        let auth = r.headers.get("authorization").cloned().unwrap_or_default();
        match r.path.as_str() {
            // Azure DevOps: basic auth with an empty user and the PAT, a continuation token.
            "/contoso/_apis/git/repositories?api-version=7.1" => {
                use base64::Engine;
                let want = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(":ado-pat"));
                if auth != want {
                    return reply(401, "{}");
                }
                Reply {
                    extra: vec![("x-ms-continuationtoken", "tok2".into())],
                    ..reply(200, &serde_json::json!({"count": 1, "value": [
                        {"name": "web", "project": {"name": "shop"}, "remoteUrl": "https://contoso@dev.azure.com/contoso/shop/_git/web", "isDisabled": false}
                    ]}).to_string())
                }
            }
            "/contoso/_apis/git/repositories?api-version=7.1&continuationToken=tok2" => reply(
                200,
                &serde_json::json!({"count": 2, "value": [
                    {"name": "old", "project": {"name": "shop"}, "remoteUrl": "https://dev.azure.com/contoso/shop/_git/old", "isDisabled": true},
                    {"name": "api", "project": {"name": "pay"}, "remoteUrl": "https://dev.azure.com/contoso/pay/_git/api", "isDisabled": false}
                ]}).to_string(),
            ),
            // Bitbucket Cloud: the next page's URL in the body.
            "/repositories/acme?pagelen=100" if auth == "Bearer bb-token" => reply(
                200,
                &serde_json::json!({"values": [
                    {"full_name": "acme/site", "updated_on": "2026-11-02T00:00:00Z",
                     "links": {"clone": [{"name": "ssh", "href": "git@bitbucket.org:acme/site.git"}, {"name": "https", "href": "https://me@bitbucket.org/acme/site.git"}]}}
                ], "next": format!("{me}/repositories/acme?pagelen=100&page=2")}).to_string(),
            ),
            "/repositories/acme?pagelen=100&page=2" if auth == "Bearer bb-token" => reply(
                200,
                &serde_json::json!({"values": [
                    {"full_name": "acme/fork", "parent": {"full_name": "other/x"}, "updated_on": "2026-11-02T00:00:00Z",
                     "links": {"clone": [{"name": "https", "href": "https://bitbucket.org/acme/fork.git"}]}},
                    {"full_name": "acme/tools", "updated_on": "2025-01-01T00:00:00Z",
                     "links": {"clone": [{"name": "https", "href": "https://bitbucket.org/acme/tools.git"}]}}
                ]}).to_string(),
            ),
            _ => reply(404, "{}"),
        }
    }));
    *own.lock().unwrap() = api.base.clone();
    let work = tempfile::tempdir().unwrap();
    let ca = api.ca.to_str().unwrap().to_string();
    let listing = |forge: &[&str], out: &str, env: (&str, &str), extra: &[&str]| {
        let args = [
            &["sweep"][..],
            forge,
            &["--api-url", &api.base, "--ca-cert", &ca, "-o", out, "-q"],
            extra,
        ]
        .concat();
        let run = keyguard_env(work.path(), &args, &[env, ("GIT_ALLOW_PROTOCOL", "file")]);
        assert_eq!(
            run.code, 3,
            "the clones fail here, the listing is what counts: {}",
            run.stderr
        );
        let text = std::fs::read_to_string(work.path().join(out).join("repos.txt")).unwrap();
        text.lines()
            .filter(|l| !l.starts_with('#'))
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        listing(
            &["--azure-devops", "contoso"],
            "ado",
            ("AZURE_DEVOPS_TOKEN", "ado-pat"),
            &[]
        ),
        [
            "https://dev.azure.com/contoso/pay/_git/api",
            "https://dev.azure.com/contoso/shop/_git/web"
        ],
        "disabled repositories are left out; the listing user is not kept in the URL"
    );
    assert_eq!(
        listing(
            &["--bitbucket-workspace", "acme"],
            "bb",
            ("BITBUCKET_TOKEN", "bb-token"),
            &["--pushed-since", "2026-01-01"]
        ),
        ["https://bitbucket.org/acme/site.git"],
        "no fork, nothing pushed before the date"
    );
}

#[test]
fn a_listing_cut_by_a_long_rate_limit_resumes_at_its_page_and_filters_by_visibility() {
    let own = Arc::new(Mutex::new(String::new()));
    let (first_hits, limited) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (me, fh, lim) = (own.clone(), first_hits.clone(), limited.clone());
    let repo = |name: &str, visibility: &str| {
        serde_json::json!({
            "full_name": name, "clone_url": format!("https://git.invalid/{name}.git"),
            "archived": false, "fork": false, "pushed_at": "2026-11-01T10:00:00Z",
            "visibility": visibility
        })
    };
    let api = serve(Arc::new(move |r: &Req| {
        let me = me.lock().unwrap().clone();
        match r.path.as_str() {
            "/orgs/acme/repos?per_page=100&type=all" => {
                fh.fetch_add(1, Ordering::SeqCst);
                Reply {
                    extra: vec![(
                        "Link",
                        format!(
                            "<{me}/orgs/acme/repos?per_page=100&type=all&page=2>; rel=\"next\""
                        ),
                    )],
                    ..reply(
                        200,
                        &serde_json::json!([
                            repo("acme/site", "public"),
                            repo("acme/vault", "private")
                        ])
                        .to_string(),
                    )
                }
            }
            // The first time: rate limited for an hour (longer than --max-wait).
            "/orgs/acme/repos?per_page=100&type=all&page=2"
                if lim.fetch_add(1, Ordering::SeqCst) == 0 =>
            {
                Reply {
                    extra: vec![
                        ("X-RateLimit-Remaining", "0".into()),
                        ("Retry-After", "3600".into()),
                    ],
                    ..reply(403, r#"{"message":"API rate limit exceeded"}"#)
                }
            }
            "/orgs/acme/repos?per_page=100&type=all&page=2" => reply(
                200,
                &serde_json::json!([
                    repo("acme/intranet", "internal"),
                    repo("acme/www", "public")
                ])
                .to_string(),
            ),
            _ => reply(404, "{}"),
        }
    }));
    *own.lock().unwrap() = api.base.clone();
    let work = tempfile::tempdir().unwrap();
    let ca = api.ca.to_str().unwrap().to_string();
    let sweep = || {
        keyguard_env(
            work.path(),
            &[
                "sweep",
                "--github-org",
                "acme",
                "--api-url",
                &api.base,
                "--ca-cert",
                &ca,
                "--max-wait",
                "2s",
                "--visibility",
                "public",
                "--visibility",
                "internal",
                "-o",
                "out",
                "-q",
            ],
            &[("GITHUB_TOKEN", "t"), ("GIT_ALLOW_PROTOCOL", "file")],
        )
    };
    let run = sweep();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("rate limited for 3600s")
            && run.stderr.contains("listing.partial.json"),
        "{}",
        run.stderr
    );
    assert!(work.path().join("out/listing.partial.json").is_file());
    assert!(
        !work.path().join("out/repos.txt").exists(),
        "no listing is saved half-done"
    );

    // The next run asks only the page that was cut, and lists everything.
    let run = sweep();
    assert_eq!(
        run.code, 3,
        "the clones fail here, the listing counts: {}",
        run.stderr
    );
    assert_eq!(
        first_hits.load(Ordering::SeqCst),
        1,
        "the first page was asked again"
    );
    assert_eq!(limited.load(Ordering::SeqCst), 2);
    assert!(!work.path().join("out/listing.partial.json").exists());
    let listing = std::fs::read_to_string(work.path().join("out/repos.txt")).unwrap();
    let urls: Vec<&str> = listing.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        urls,
        [
            "https://git.invalid/acme/intranet.git",
            "https://git.invalid/acme/site.git",
            "https://git.invalid/acme/www.git"
        ],
        "the private repository is left out, the resumed page is in"
    );
}

#[test]
fn depth_keeps_clones_and_fetches_shallow_over_http_and_file_urls() {
    let git_root = tempfile::tempdir().unwrap();
    // An old commit holds a token that a later commit removed.
    let work = tempfile::tempdir().unwrap();
    git_ok(work.path(), &["init", "-q"]);
    write(
        work.path(),
        "old.env",
        format!("GITHUB_TOKEN={}\n", github_token(61)).as_bytes(),
    );
    git_ok(work.path(), &["add", "-A"]);
    git_ok(work.path(), &["commit", "-q", "-m", "old"]);
    std::fs::remove_file(work.path().join("old.env")).unwrap();
    write(work.path(), "README", b"clean\n");
    git_ok(work.path(), &["add", "-A"]);
    git_ok(work.path(), &["commit", "-q", "-m", "clean"]);
    let bare = git_root.path().join("acme/app.git");
    std::fs::create_dir_all(bare.parent().unwrap()).unwrap();
    git_ok(
        work.path(),
        &["clone", "-q", "--bare", ".", bare.to_str().unwrap()],
    );
    let (git_base, _) = git_server(git_root.path().to_path_buf());

    let out = tempfile::tempdir().unwrap();
    let list = out.path().join("repos.txt");
    std::fs::write(
        &list,
        format!("{git_base}/acme/app.git\nfile://{}\n", bare.display()),
    )
    .unwrap();
    let sweep = |dir: &str, depth: &[&str]| {
        let args = [
            &["sweep", "--repos", list.to_str().unwrap(), "-o", dir, "-q"][..],
            depth,
        ]
        .concat();
        keyguard_env(out.path(), &args, &[])
    };
    let findings = |dir: &str| -> Vec<usize> {
        let mut v: Vec<(String, usize)> = std::fs::read_dir(out.path().join(dir).join("repos"))
            .unwrap()
            .map(|e| {
                let r: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(e.unwrap().path()).unwrap())
                        .unwrap();
                assert_eq!(r["status"], "ok", "{r}");
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["findings"].as_u64().unwrap() as usize,
                )
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, n)| n).collect()
    };
    // Full history: the old token is found in both.
    assert_eq!(sweep("full", &[]).code, 1);
    assert_eq!(findings("full"), [1, 1]);
    // --depth 1: only the tip is downloaded and scanned, and each result says so.
    let run = sweep("shallow", &["--depth", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(findings("shallow"), [0, 0]);
    for e in std::fs::read_dir(out.path().join("shallow/cache")).unwrap() {
        let p = e.unwrap().path();
        assert!(
            p.join("shallow").is_file(),
            "{} is not shallow",
            p.display()
        );
        let n = git_ok(&p, &["rev-list", "--all", "--count"]);
        assert_eq!(n.trim(), "1", "{}", p.display());
    }
    for e in std::fs::read_dir(out.path().join("shallow/repos")).unwrap() {
        let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
        assert!(
            text.contains("shallow"),
            "the result does not say it is partial: {text}"
        );
    }
    // A new commit upstream: the shallow re-sweep fetches it and stays shallow.
    write(work.path(), "README", b"clean again\n");
    git_ok(work.path(), &["commit", "-qam", "again"]);
    let branch = git_ok(work.path(), &["rev-parse", "--abbrev-ref", "HEAD"]);
    let refspec = format!("HEAD:refs/heads/{}", branch.trim());
    git_ok(
        work.path(),
        &["push", "-q", bare.to_str().unwrap(), &refspec],
    );
    let run = sweep("shallow", &["--depth", "1"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for e in std::fs::read_dir(out.path().join("shallow/cache")).unwrap() {
        let p = e.unwrap().path();
        let log = git_ok(&p, &["log", "--format=%s", "HEAD"]);
        assert_eq!(log.trim(), "again", "{}", p.display());
    }
}
