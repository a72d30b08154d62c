//! `keyguard scan` on real directory trees built in temp dirs.

mod common;

use common::*;

#[test]
fn finds_a_token_redacts_it_and_exits_1() {
    let tok = github_token(1);
    let dir = tree(&[("src/app.py", &format!("import os\nTOKEN = \"{tok}\"\n"))]);
    for format in ["text", "json", "sarif"] {
        let r = run(dir.path(), &["scan", ".", "--format", format]);
        assert_eq!(r.code, 1, "{format}: {}", r.stderr);
        assert!(!r.stdout.contains(&tok), "{format} output leaks the secret");
        assert!(!r.stderr.contains(&tok), "{format} stderr leaks the secret");
        assert!(
            r.stdout.contains("ghp_…"),
            "{format} shows the redacted preview"
        );
    }
    let r = run(dir.path(), &["scan", ".", "--format", "json"]);
    let f = &findings(&r.json())[0];
    assert_eq!(f["rule_id"], "github-pat-classic");
    assert_eq!(f["path"], "src/app.py");
    assert_eq!(f["line"], 2);
    assert_eq!(f["column"], 10);
    assert_eq!(f["validated"], "checksum");
    assert_eq!(f["redacted"], true);
}

#[test]
fn text_report_names_file_line_and_rule() {
    let tok = github_token(2);
    let dir = tree(&[("a.env", &format!("\n\nGH={tok}\n"))]);
    let r = run(dir.path(), &["scan"]);
    assert_eq!(r.code, 1);
    assert!(
        r.stdout.contains("a.env:3:4: high [github-pat-classic]"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("1 finding (1 high)"), "{}", r.stdout);
    assert!(r.stdout.contains("scanned 1 file"), "{}", r.stdout);
}

#[test]
fn show_secrets_prints_the_secret() {
    let tok = github_token(3);
    let dir = tree(&[("a.txt", &format!("t={tok}\n"))]);
    let r = run(dir.path(), &["scan", "--show-secrets", "-f", "json"]);
    assert_eq!(findings(&r.json())[0]["secret"], tok.as_str());
}

#[test]
fn clean_and_empty_trees_exit_0() {
    let dir = tree(&[("README.md", "nothing to see\n")]);
    let r = run(dir.path(), &["scan"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(r.stdout.contains("no secrets found"));
    let empty = tempfile::tempdir().unwrap();
    let r = run(empty.path(), &["scan", "."]);
    assert_eq!(r.code, 0);
    assert!(r.stdout.contains("scanned 0 files"), "{}", r.stdout);
}

#[test]
fn placeholders_are_not_findings() {
    let dir = tree(&[(
        "docs.md",
        "export GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\
         token: ${GITHUB_TOKEN}\n\
         token = os.environ['GITHUB_TOKEN']\n",
    )]);
    let r = run(dir.path(), &["scan", "-f", "json"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    assert!(findings(&r.json()).is_empty());
}

#[test]
fn a_token_with_a_wrong_checksum_is_not_reported() {
    let mut tok = github_token(4);
    // Change one character of the body: the CRC32 no longer matches.
    let c = if tok.as_bytes()[6] == b'a' { "b" } else { "a" };
    tok.replace_range(6..7, c);
    let dir = tree(&[("a.txt", &format!("t={tok}\n"))]);
    let r = run(dir.path(), &["scan", "-f", "json"]);
    assert!(findings(&r.json()).is_empty(), "{}", r.stdout);
}

#[test]
fn gitignore_ignore_and_exclude_are_honoured() {
    let t = |i| format!("k={}\n", github_token(i));
    let dir = tree(&[
        (".gitignore", "build/\n"),
        (".ignore", "vendor/\n"),
        ("build/out.txt", &t(10)),
        ("vendor/lib.txt", &t(11)),
        ("gen/x.txt", &t(12)),
        ("src/keep.txt", &t(13)),
        (".env", &t(14)),
    ]);
    let r = run(dir.path(), &["scan", "-f", "json", "--exclude", "gen/**"]);
    let paths: Vec<String> = findings(&r.json())
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec![".env", "src/keep.txt"]);
    // --no-ignore brings the ignored ones back (but not the excluded one).
    let r = run(
        dir.path(),
        &["scan", "-f", "json", "--exclude", "gen/**", "--no-ignore"],
    );
    assert_eq!(findings(&r.json()).len(), 4);
}

#[test]
fn binary_and_large_files_are_skipped_and_counted() {
    let tok = github_token(20);
    let dir = tree(&[("ok.txt", "fine\n")]);
    let mut bin = format!("t={tok}\n").into_bytes();
    bin.extend_from_slice(&[0, 1, 2, 0, 255]);
    write(dir.path(), "image.bin", &bin);
    let big = format!("t={tok}\n") + &"a".repeat(2048);
    write(dir.path(), "big.txt", big.as_bytes());
    let r = run(dir.path(), &["scan", "--max-file-size", "1K", "-f", "json"]);
    let v = r.json();
    assert!(findings(&v).is_empty());
    assert_eq!(v["summary"]["skipped"]["binary"], 1);
    assert_eq!(v["summary"]["skipped"]["too-large"], 1);
    assert!(
        r.stderr
            .contains("skipped 2 (1 binary, 1 over --max-file-size)"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_1_gib_binary_file_is_judged_by_its_head_and_size_skips_only_on_purpose() {
    let dir = tree(&[("small.txt", &format!("t={}\n", github_token(21)))]);
    let f = std::fs::File::create(dir.path().join("huge.log")).unwrap();
    f.set_len(1 << 30).unwrap(); // sparse: no disk used, and all NUL bytes
                                 // Too large to hold, so streamed, but its first 8 KiB say binary: skipped unread.
    let r = run(dir.path(), &["scan", "-f", "json"]);
    let v = r.json();
    assert_eq!(v["summary"]["skipped"]["binary"], 1, "{}", v["summary"]);
    assert_eq!(findings(&v).len(), 1);
    // With a size limit asked for, it is skipped for its size.
    let r = run(
        dir.path(),
        &["scan", "-f", "json", "--max-file-size", "10MiB"],
    );
    let v = r.json();
    assert_eq!(v["summary"]["skipped"]["too-large"], 1);
    assert_eq!(findings(&v).len(), 1);
}

#[test]
fn invalid_utf8_is_scanned_as_bytes() {
    let tok = github_token(22);
    let mut bytes = b"\xff\xfe garbage \xc3\x28\n".to_vec();
    bytes.extend_from_slice(format!("key = {tok}\n").as_bytes());
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "latin1.txt", &bytes);
    let r = run(dir.path(), &["scan", "-f", "json"]);
    let f = findings(&r.json());
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["line"], 2);
}

#[cfg(unix)]
#[test]
fn unreadable_entries_and_symlink_loops_warn_and_the_scan_goes_on() {
    let tok = github_token(23);
    let dir = tree(&[("real/a.txt", &format!("t={tok}\n"))]);
    std::os::unix::fs::symlink("../real", dir.path().join("real/loop")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/target", dir.path().join("dangling.txt")).unwrap();
    let r = run(dir.path(), &["scan", "--follow-symlinks", "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(findings(&r.json()).len(), 1);
    assert!(r.stderr.contains("loop"), "{}", r.stderr);
    assert!(r.stderr.contains("dangling.txt"), "{}", r.stderr);
}

#[cfg(unix)]
#[test]
fn a_file_that_cannot_be_read_is_a_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tree(&[("ok.txt", &format!("t={}\n", github_token(24)))]);
    // A FIFO passes the walk as a non-regular file; a directory entry we turn into an
    // unreadable file covers permission errors when not running as root.
    let locked = dir.path().join("locked.txt");
    std::fs::write(&locked, "secret stuff").unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let readable_anyway = std::fs::read(&locked).is_ok(); // root reads everything
    let r = run(dir.path(), &["scan", "-f", "json"]);
    let v = r.json();
    assert_eq!(findings(&v).len(), 1, "the rest of the scan goes on");
    if !readable_anyway {
        assert_eq!(v["summary"]["skipped"]["unreadable"], 1);
        assert!(r.stderr.contains("locked.txt"), "{}", r.stderr);
    }
}

#[test]
fn stdin_is_scanned() {
    let tok = github_token(25);
    let dir = tempfile::tempdir().unwrap();
    let r = run_stdin(
        dir.path(),
        &["scan", "-", "-f", "json"],
        format!("x\ntoken={tok}\n").as_bytes(),
    );
    assert_eq!(r.code, 1);
    let f = findings(&r.json());
    assert_eq!(
        (f[0]["path"].as_str(), f[0]["line"].as_u64()),
        (Some("-"), Some(2))
    );
}

#[test]
fn inline_allow_comments_suppress() {
    let t = |i| github_token(i);
    let dir = tree(&[(
        "a.py",
        &format!(
            "a = '{}'  # keyguard:allow\nb = '{}'  # gitleaks:allow\nc = '{}'  # pragma: allowlist secret\n# pragma: allowlist nextline secret\nd = '{}'\ne = '{}'\n",
            t(30), t(31), t(32), t(33), t(34)
        ),
    )]);
    let r = run(dir.path(), &["scan", "-f", "json"]);
    let v = r.json();
    let f = findings(&v);
    assert_eq!(f.len(), 1);
    assert_eq!(f[0]["line"], 6);
    assert_eq!(v["summary"]["suppressed"]["inline"], 4);
}

#[test]
fn fail_on_sets_the_blocking_severity() {
    let dir = tree(&[("a.txt", &format!("t={}\n", github_token(40)))]);
    assert_eq!(run(dir.path(), &["scan", "--fail-on", "critical"]).code, 0);
    assert_eq!(run(dir.path(), &["scan", "--fail-on", "high"]).code, 1);
    let bad = run(dir.path(), &["scan", "--fail-on", "severe"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("unknown severity"), "{}", bad.stderr);
}

#[test]
fn output_file_is_written_and_stdout_stays_empty() {
    let dir = tree(&[("a.txt", &format!("t={}\n", github_token(41)))]);
    let r = run(
        dir.path(),
        &["scan", "a.txt", "-f", "json", "-o", "report.json"],
    );
    assert_eq!(r.code, 1);
    assert!(r.stdout.is_empty());
    let text = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(findings(&v).len(), 1);
    // Writing into a directory that does not exist is an I/O error naming the file.
    let r = run(
        dir.path(),
        &["scan", "-f", "json", "-o", "no/such/dir/r.json"],
    );
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("no/such/dir/r.json"), "{}", r.stderr);
}

#[test]
fn fingerprints_survive_lines_added_above() {
    let tok = github_token(42);
    let dir = tree(&[("a.txt", &format!("t={tok}\n"))]);
    let fp = |d: &std::path::Path| {
        let v = run(d, &["scan", "-f", "json"]).json();
        findings(&v)[0]["fingerprint"].as_str().unwrap().to_string()
    };
    let before = fp(dir.path());
    write(
        dir.path(),
        "a.txt",
        format!("# new header\n\n\nt={tok}\n").as_bytes(),
    );
    assert_eq!(fp(dir.path()), before);
    // A different secret on the same line gets a different fingerprint.
    write(
        dir.path(),
        "a.txt",
        format!("t={}\n", github_token(43)).as_bytes(),
    );
    assert_ne!(fp(dir.path()), before);
}

#[test]
fn findings_are_sorted_by_path_line_column() {
    let t = |i| github_token(i);
    let dir = tree(&[
        ("b.txt", &format!("{} {}\n{}\n", t(50), t(51), t(52))),
        ("a.txt", &format!("x\n{}\n", t(53))),
    ]);
    let v = run(dir.path(), &["scan", "-f", "json"]).json();
    let keys: Vec<(String, u64, u64)> = findings(&v)
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().into(),
                f["line"].as_u64().unwrap(),
                f["column"].as_u64().unwrap(),
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys.len(), 4);
}

#[test]
fn missing_path_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(dir.path(), &["scan", "does-not-exist"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("does-not-exist"), "{}", r.stderr);
}

#[test]
fn several_paths_are_reported_as_given() {
    let dir = tree(&[
        ("a.txt", &format!("t={}\n", github_token(60))),
        ("sub/b.txt", &format!("t={}\n", github_token(61))),
        ("sub/c.txt", &format!("t={}\n", github_token(62))),
        ("other/d.txt", &format!("t={}\n", github_token(63))),
    ]);
    let v = run(
        dir.path(),
        &["scan", "a.txt", "sub/b.txt", "other", "-f", "json"],
    )
    .json();
    let paths: Vec<String> = findings(&v)
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(paths, vec!["a.txt", "other/d.txt", "sub/b.txt"]);
    assert_eq!(v["summary"]["files_scanned"], 3);
}

#[cfg(unix)]
#[test]
fn output_to_a_device_or_fifo_writes_through_instead_of_replacing_it() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tree(&[("a.txt", &format!("t={}\n", github_token(64)))]);
    let fifo = dir.path().join("pipe");
    let status = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(status.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read_to_string(fifo).unwrap())
    };
    let r = run(dir.path(), &["scan", "a.txt", "-f", "json", "-o", "pipe"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got = reader.join().unwrap();
    assert!(got.contains("github-pat-classic"));
    assert!(
        std::fs::metadata(&fifo).unwrap().file_type().is_fifo(),
        "the FIFO is still a FIFO"
    );
}

/// A token whose checksum a specific rule rejected is not a credential; the generic rules that
/// also see a `token = …` shape must not report it either. With a good checksum it is the
/// specific rule's finding, once.
#[test]
fn a_checksum_rejected_token_is_not_reported_by_a_generic_rule() {
    let good = github_token(91);
    // The same body with a wrong CRC: change the last character.
    let mut bad = good.clone();
    let last = bad.pop().unwrap();
    bad.push(if last == 'A' { 'B' } else { 'A' });
    let npm_bad = bad.replacen("ghp_", "npm_", 1);
    let dir = tree(&[(
        "a.env",
        &format!(
            "GITHUB_TOKEN={bad}\nnpm_token: \"{npm_bad}\"\napi_key = \"{bad}\"\nDEPLOY_TOKEN={good}\n"
        ),
    )]);
    let r = run(dir.path(), &["scan", ".", "-f", "json"]);
    let got: Vec<String> = findings(&r.json())
        .iter()
        .map(|f| format!("{}:{}", f["rule_id"].as_str().unwrap(), f["line"]))
        .collect();
    assert_eq!(got, ["github-pat-classic:4"], "{}", r.stdout);
}
