//! Detection depth: secrets that are encoded, compressed, archived, UTF-16 or in large files,
//! found in the tree and in history. Archives are made at test time by Python's standard
//! library (zipfile, gzip, tarfile): a second, independent implementation of each format.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

/// Run a Python script in `dir` (the archive maker).
fn python(dir: &Path, script: &str) {
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .output()
        .expect("python3 runs (scripts/test installs it)");
    assert!(
        o.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A fake AWS key pair (the secret key next to its id, as the rule wants).
fn aws(seed: u64) -> (String, String) {
    let mut r = Rng::new(seed);
    (
        format!("AKIA{}", r.string(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)),
        r.string(ALNUM, 40),
    )
}

/// The lines every case hides: a GitHub token and an AWS key pair.
fn secret_lines() -> (String, [String; 3]) {
    let gh = github_token(7);
    let (id, key) = aws(8);
    let text =
        format!("GITHUB_TOKEN={gh}\naws_access_key_id = {id}\naws_secret_access_key = {key}\n");
    (text, [gh, id, key])
}

/// `path:line:col rule [decoding]` for every finding, sorted.
fn summary(findings: &[serde_json::Value]) -> Vec<String> {
    let mut v: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{}:{}:{} {}{}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["column"],
                f["rule_id"].as_str().unwrap(),
                f["decoding"]
                    .as_str()
                    .map(|d| format!(" [{d}]"))
                    .unwrap_or_default()
            )
        })
        .collect();
    v.sort();
    v
}

/// The six ways of the issue: base64 lines, gzip, zip, UTF-16, a 12 MiB log, a 50 MiB
/// minified one-line script.
fn six_ways(dir: &Path) {
    let (text, [gh, ..]) = secret_lines();
    write(
        dir,
        "config.yaml",
        format!("config: {}\n", b64(text.as_bytes())).as_bytes(),
    );
    std::fs::write(dir.join("lines.txt"), &text).unwrap();
    python(
        dir,
        r#"
import gzip, zipfile
text = open('lines.txt', 'rb').read()
open('secret.txt.gz', 'wb').write(gzip.compress(text))
with zipfile.ZipFile('bundle.zip', 'w', zipfile.ZIP_DEFLATED) as z:
    z.writestr('README.md', '# bundle\n')
    z.writestr('inner/settings.py', b'import os\n\n' + text)
open('win.txt', 'wb').write(b'\xff\xfe' + text.decode().replace('\n', '\r\n').encode('utf-16-le'))
"#,
    );
    std::fs::remove_file(dir.join("lines.txt")).unwrap();
    let mut log = String::with_capacity(13 << 20);
    let mut i = 0;
    while log.len() < 12 << 20 {
        log.push_str(&format!(
            "2024-03-01T10:00:00Z INFO request {i:08} served in 12ms status=200\n"
        ));
        i += 1;
    }
    let log_lines = i;
    log.push_str(&text);
    write(dir, "app.log", log.as_bytes());
    let unit = "function(a,b){return a+b};var c=[1,2,3].map(function(x){return x*2});";
    let mut js = unit.repeat((50 << 20) / unit.len());
    let col = js.chars().count() + 1 + "var t=\"".len();
    js.push_str(&format!("var t=\"{gh}\";"));
    write(dir, "app.min.js", js.as_bytes());
    write(dir, "expected.txt", format!("{log_lines} {col}").as_bytes());
}

fn expected(dir: &Path) -> Vec<String> {
    let e = std::fs::read_to_string(dir.join("expected.txt")).unwrap();
    let (log_lines, col) = e.split_once(' ').unwrap();
    let log_lines: usize = log_lines.parse().unwrap();
    let three = |path: &str, first: usize, dec: &str| {
        let d = if dec.is_empty() {
            String::new()
        } else {
            format!(" [{dec}]")
        };
        [
            format!("{path}:{first}:14 github-pat-classic{d}"),
            format!("{path}:{}:21 aws-access-key-id{d}", first + 1),
            format!("{path}:{}:25 aws-secret-access-key{d}", first + 2),
        ]
    };
    let mut v = vec![
        format!("app.min.js:1:{col} github-pat-classic"),
        "config.yaml:1:9 aws-access-key-id [base64]".to_string(),
        "config.yaml:1:9 aws-secret-access-key [base64]".to_string(),
        "config.yaml:1:9 github-pat-classic [base64]".to_string(),
    ];
    v.extend(three("app.log", log_lines + 1, ""));
    v.extend(three("bundle.zip!inner/settings.py", 3, "zip"));
    v.extend(three("secret.txt.gz!secret.txt", 1, "gzip"));
    v.extend(three("win.txt", 1, "utf-16le"));
    v.sort();
    v
}

#[test]
fn six_ways_of_hiding_a_secret_are_found_in_the_tree_and_in_history() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    six_ways(d);
    let want = expected(d);
    std::fs::remove_file(d.join("expected.txt")).unwrap();

    let r = run(d, &["scan", ".", "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(summary(&findings(&v)), want);
    assert_eq!(v["summary"]["streamed"], 2, "{}", v["summary"]);
    // Reports never show the secret, not even in disguise.
    let (_, secrets) = secret_lines();
    for s in &secrets {
        assert!(!r.stdout.contains(s.as_str()));
    }
    let encoded = b64(secret_lines().0.as_bytes());
    assert!(
        !r.stdout.contains(&encoded[..40]),
        "the base64 run leaks: {}",
        r.stdout
    );
    let zip = findings(&v)
        .into_iter()
        .find(|f| f["path"] == "bundle.zip!inner/settings.py")
        .unwrap();
    assert_eq!(zip["container"], "bundle.zip");
    // The text report says how each was reached, and the summary what was streamed.
    let t = run(d, &["scan", "."]);
    assert!(
        t.stdout
            .contains("config.yaml:1:9: high [github-pat-classic] GitHub personal access token (classic) · validated (checksum) · decoded (base64)"),
        "{}",
        t.stdout
    );
    assert!(t.stdout.contains("2 large files streamed"), "{}", t.stdout);

    // The same files committed: history finds them all, at the same places.
    git_ok(d, &["init", "-q"]);
    git_ok(d, &["add", "-A"]);
    git_ok(d, &["commit", "-q", "-m", "six ways"]);
    let r = run(d, &["scan", "--history", ".", "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(summary(&findings(&r.json())), want);
}

#[test]
fn kubernetes_secret_data_is_decoded_and_base64_decoys_stay_silent() {
    let gh = github_token(21);
    let (id, key) = aws(22);
    let dockercfg = format!(
        "{{\"auths\":{{\"registry.corp.test\":{{\"username\":\"deploy\",\"password\":\"{}\",\"auth\":\"{}\"}}}}}}",
        Rng::new(23).string(ALNUM, 24),
        b64(format!("deploy:{}", Rng::new(24).string(ALNUM, 24)).as_bytes())
    );
    let png = b64(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0\x1f\xf3\xffa\0\0\0\x19tEXtSoftware");
    let manifest = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  GITHUB_TOKEN: {}\n  AWS_CREDENTIALS: {}\n  username: {}\n---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: pull\ntype: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: {}\n",
        b64(gh.as_bytes()),
        b64(format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {key}\n").as_bytes()),
        b64(b"deploy-bot"),
        b64(dockercfg.as_bytes()),
    );
    let decoys = format!(
        "<img src=\"data:image/png;base64,{png}\">\n\
         \"integrity\": \"sha512-Xo8tA7Sav1bE3aTQ2PqE1sLhR2sS5kQW4gm0jzH8+9m0iOQ/lE5m5BR0gDlW2vY7uHq3Vhx7dY1Pi1zqbFQsbg==\",\n\
         id: 550e8400-e29b-41d4-a716-446655440000\n\
         sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n\
         name: {}\n",
        b64(b"just a harmless label value")
    );
    let dir = tree(&[("k8s/secret.yaml", &manifest), ("web/index.html", &decoys)]);
    let r = run(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let got = summary(&findings(&r.json()));
    assert_eq!(
        got,
        [
            // The decoded .dockerconfigjson holds two secrets: the password and the auth.
            "k8s/secret.yaml:17:22 dockerhub-config-auth [base64]",
            "k8s/secret.yaml:17:22 generic-password [base64]",
            "k8s/secret.yaml:7:17 github-pat-classic [base64]",
            "k8s/secret.yaml:8:20 aws-access-key-id [base64]",
            "k8s/secret.yaml:8:20 aws-secret-access-key [base64]",
        ],
        "{}",
        r.stdout
    );
    // The fingerprint is the decoded secret's: the same token written plainly in the same
    // file would have it.
    let f = findings(&r.json())
        .into_iter()
        .find(|f| f["rule_id"] == "github-pat-classic")
        .unwrap();
    assert_eq!(
        f["fingerprint"],
        keyguard::finding::fingerprint(
            "github-pat-classic",
            "k8s/secret.yaml",
            &keyguard::finding::secret_hash(&gh)
        )
    );
    // Decoding is a choice: depth 0 turns it off (a generic rule still sees the base64
    // value as a token, as it did before).
    let r = run(
        dir.path(),
        &["scan", ".", "--max-decode-depth", "0", "-f", "json"],
    );
    assert_eq!(
        summary(&findings(&r.json())),
        ["k8s/secret.yaml:7:17 generic-token-unquoted"]
    );
}

#[test]
fn nested_encodings_are_decoded_to_the_depth_limit() {
    let gh = github_token(31);
    let twice = b64(format!("inner: {}\n", b64(format!("token={gh}").as_bytes())).as_bytes());
    let dir = tree(&[("twice.txt", &format!("blob = \"{twice}\"\n"))]);
    let r = run(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(
        summary(&findings(&r.json())),
        ["twice.txt:1:9 github-pat-classic [base64 > base64]"]
    );
    let r = run(dir.path(), &["scan", ".", "--max-decode-depth", "1"]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    // Other encodings: hex, percent, escapes, entities.
    let hex: String = format!("GITHUB_TOKEN={gh}")
        .bytes()
        .map(|b| format!("{b:02x}"))
        .collect();
    let esc: String = gh.bytes().map(|b| format!("\\x{b:02x}")).collect();
    let ent: String = gh.bytes().map(|b| format!("&#{b};")).collect();
    let (id, key) = aws(32);
    let pct = key.replacen(&key[10..11], "%2F", 1);
    let dir = tree(&[
        ("a.hex", &format!("payload: {hex}\n")),
        ("b.js", &format!("const t = \"{esc}\";\n")),
        ("c.html", &format!("<code>{ent}</code>\n")),
        (
            "d.url",
            &format!("https://h.test/cb?aws_access_key_id={id}&aws_secret_access_key={pct}\n"),
        ),
    ]);
    let r = run(dir.path(), &["scan", ".", "-f", "json"]);
    let got = summary(&findings(&r.json()));
    for want in [
        "a.hex:1:10 github-pat-classic [hex]",
        "b.js:1:12 github-pat-classic [escape]",
        "c.html:1:7 github-pat-classic [html-entity]",
    ] {
        assert!(got.contains(&want.to_string()), "{want}: {got:#?}");
    }
    assert!(
        got.iter()
            .any(|g| g.starts_with("d.url:1:") && g.ends_with("aws-secret-access-key [percent]")),
        "{got:#?}"
    );
}

#[test]
fn utf16_with_or_without_bom_and_utf8_with_bom_report_editor_positions() {
    let gh = github_token(41);
    let text = format!("# settings\r\n  token: {gh}\r\n");
    let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let mut le_bom = vec![0xFF, 0xFE];
    le_bom.extend(&le);
    let mut u8_bom = b"\xEF\xBB\xBF".to_vec();
    u8_bom.extend(text.as_bytes());
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("le-bom.txt", &le_bom),
        ("le.txt", &le),
        ("be.txt", &be),
        ("utf8-bom.txt", &u8_bom),
    ] {
        write(dir.path(), name, bytes);
    }
    let r = run(dir.path(), &["scan", ".", "-f", "json"]);
    assert_eq!(
        summary(&findings(&r.json())),
        [
            "be.txt:2:10 github-pat-classic [utf-16be]",
            "le-bom.txt:2:10 github-pat-classic [utf-16le]",
            "le.txt:2:10 github-pat-classic [utf-16le]",
            "utf8-bom.txt:2:10 github-pat-classic",
        ]
    );
    // Binary data with NUL bytes is still binary, not UTF-16.
    let bin: Vec<u8> = (0..9000u32).map(|i| (i * 31 % 256) as u8).collect();
    write(dir.path(), "blob.bin", &bin);
    let r = run(dir.path(), &["scan", "blob.bin", "-f", "json"]);
    assert_eq!(r.json()["summary"]["skipped"]["binary"], 1);
}

#[test]
fn a_secret_across_a_window_boundary_of_a_large_file_is_found_once() {
    use keyguard::expand::window::{OVERLAP, WINDOW};
    let gh = [github_token(51), github_token(52), github_token(53)];
    // Lines of 64 bytes; the tokens straddle the first window's core end, its buffer end and
    // the second window's core end.
    let line = format!("{}\n", "x".repeat(63));
    let mut text = line.repeat((2 * WINDOW + 4 * OVERLAP) / 64);
    let mut starts = Vec::new();
    for (t, at) in gh
        .iter()
        .zip([WINDOW + OVERLAP, WINDOW + 2 * OVERLAP, 2 * WINDOW + OVERLAP])
    {
        let start = at - 20;
        // The token as its own word, over a line end.
        text.replace_range(start - 1..start + t.len() + 1, &format!(" {t} "));
        starts.push(start);
    }
    let want: Vec<String> = starts
        .iter()
        .map(|&start| {
            let before = &text[..start];
            let line = before.matches('\n').count() + 1;
            let col = start - before.rfind('\n').map_or(0, |p| p + 1) + 1;
            format!("big.txt:{line}:{col} github-pat-classic")
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "big.txt", text.as_bytes());
    let r = run(dir.path(), &["scan", ".", "-f", "json"]);
    let v = r.json();
    assert_eq!(summary(&findings(&v)), want);
    assert_eq!(v["summary"]["streamed"], 1);
    // Skipping large files is still possible, on purpose, and counted.
    let r = run(
        dir.path(),
        &["scan", ".", "-f", "json", "--max-file-size", "1MiB"],
    );
    assert_eq!(r.code, 0);
    assert_eq!(r.json()["summary"]["skipped"]["too-large"], 1);
}

#[test]
fn bombs_corrupt_and_odd_archives_warn_and_the_scan_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let gh = github_token(61);
    write(d, "lines.txt", format!("token = {gh}\n").as_bytes());
    python(
        d,
        r#"
import gzip, io, tarfile, zipfile
text = open('lines.txt', 'rb').read()
# A 42.zip-style nested bomb: 16 x 16 x 64 MiB of zeros, three zips deep.
def zipped(members):
    b = io.BytesIO()
    with zipfile.ZipFile(b, 'w', zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return b.getvalue()
layer = zipped([('zeros.bin', b'\0' * (64 << 20))])
for depth in range(2):
    layer = zipped([(f'{depth}-{i}.zip', layer) for i in range(16)])
open('bomb.zip', 'wb').write(layer)
# One member that expands 1000x: stopped by the ratio limit.
open('ratio.gz', 'wb').write(gzip.compress(b'a' * (32 << 20)))
# Truncated and corrupt archives.
good = zipped([('settings.py', text)])
open('truncated.zip', 'wb').write(good[: len(good) // 2])
gz = gzip.compress(text * 100)
open('truncated.gz', 'wb').write(gz[: len(gz) // 2])
# An encrypted member (the flag says so) and a member whose name climbs out.
b = io.BytesIO()
with zipfile.ZipFile(b, 'w') as z:
    info = zipfile.ZipInfo('secret.env')
    info.flag_bits |= 0x1
    z.writestr(info, text)
    z.writestr('../../outside/evil.py', text)
odd = bytearray(b.getvalue())
# zipfile never writes encrypted members: set the flag in the local and central headers.
odd[6] |= 1
cd = odd.index(b'PK\x01\x02')
odd[cd + 8] |= 1
open('odd.zip', 'wb').write(bytes(odd))
# A tarball in a gzip.
t = io.BytesIO()
with tarfile.open(fileobj=t, mode='w:gz') as tf:
    data = text
    ti = tarfile.TarInfo('pkg/conf.ini'); ti.size = len(data)
    tf.addfile(ti, io.BytesIO(data))
open('release.tar.gz', 'wb').write(t.getvalue())
"#,
    );
    std::fs::remove_file(d.join("lines.txt")).unwrap();
    let r = run(d, &["scan", ".", "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let v = r.json();
    assert_eq!(
        summary(&findings(&v)),
        [
            "odd.zip!../../outside/evil.py:1:9 github-pat-classic [zip]",
            "release.tar.gz!pkg/conf.ini:1:9 github-pat-classic [gzip > tar]",
        ]
    );
    let warnings: Vec<String> = v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{}: {}",
                w["path"].as_str().unwrap(),
                w["message"].as_str().unwrap()
            )
        })
        .collect();
    let has = |path: &str, words: &str| {
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with(&format!("{path}: ")) && w.contains(words)),
            "no warning for {path} with `{words}`: {warnings:#?}"
        )
    };
    has("bomb.zip!1-0.zip!0-0.zip", "archive depth limit");
    has("ratio.gz", "expansion ratio limit");
    has("truncated.zip", "corrupt zip");
    has("truncated.gz", "gzip");
    has("odd.zip!secret.env", "encrypted");
    // Nothing was written anywhere: the climbing member stayed a name.
    assert!(!d.join("../outside").exists() && !d.parent().unwrap().join("outside").exists());
    // The bombs alone do not change the exit code. Opened all the way down, the bomb is
    // stopped by the ratio limit on each member, then by the per-file total.
    let r = run(
        d,
        &[
            "scan",
            "bomb.zip",
            "ratio.gz",
            "truncated.zip",
            "--max-archive-depth",
            "3",
            "-f",
            "json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let w = r.json()["warnings"].to_string();
    assert!(
        w.contains("the expansion ratio limit") && w.contains("the per-file expansion limit"),
        "{w}"
    );
}

#[test]
fn staged_scans_leave_archives_closed_unless_asked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git_ok(d, &["init", "-q"]);
    write(
        d,
        "t.txt",
        format!("token = {}\n", github_token(71)).as_bytes(),
    );
    python(
        d,
        "import zipfile\nwith zipfile.ZipFile('b.zip', 'w') as z: z.write('t.txt')\n",
    );
    std::fs::remove_file(d.join("t.txt")).unwrap();
    git_ok(d, &["add", "b.zip"]);
    let r = run(d, &["scan", "--staged", "."]);
    assert_eq!(r.code, 0, "{}", r.stdout);
    let r = run(d, &["scan", "--staged", ".", "--archives", "-f", "json"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_eq!(
        summary(&findings(&r.json())),
        ["b.zip!t.txt:1:9 github-pat-classic [zip]"]
    );
}

#[test]
fn sarif_names_archive_members_as_nested_artifacts_and_validates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    six_ways(d);
    let r = run(d, &["scan", ".", "-f", "sarif", "-o", "out.sarif"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let path = d.join("out.sarif");
    let errors = validation_errors(&path);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let run0 = &v["runs"][0];
    let artifacts = run0["artifacts"].as_array().unwrap();
    let res = run0["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["properties"]["member"] == "bundle.zip!inner/settings.py")
        .unwrap();
    let loc = &res["locations"][0]["physicalLocation"]["artifactLocation"];
    assert_eq!(loc["uri"], "bundle.zip");
    let member = &artifacts[loc["index"].as_u64().unwrap() as usize];
    assert_eq!(member["location"]["uri"], "inner/settings.py");
    let parent = &artifacts[member["parentIndex"].as_u64().unwrap() as usize];
    assert_eq!(parent["location"]["uri"], "bundle.zip");
    assert_eq!(res["properties"]["decoding"], "zip");
    assert!(res["message"]["text"]
        .as_str()
        .unwrap()
        .contains("decoded (zip)"));
}

#[test]
fn bzip2_and_zstd_files_made_by_the_real_tools_are_opened() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "dump.sql",
        format!("-- dump\nINSERT INTO t VALUES ('{}');\n", github_token(81)).as_bytes(),
    );
    write(
        d,
        "notes.txt",
        format!("deploy token {}\n", github_token(82)).as_bytes(),
    );
    for (tool, file) in [("zstd", "dump.sql"), ("bzip2", "notes.txt")] {
        let o = Command::new(tool)
            .args(["-q", file])
            .current_dir(d)
            .output()
            .expect("zstd and bzip2 run (scripts/test installs them)");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    // zstd keeps its input; bzip2 replaces it.
    std::fs::remove_file(d.join("dump.sql")).unwrap();
    write(d, "broken.bz2", b"BZh91AY&SYtruncated");
    let r = run(d, &["scan", ".", "-f", "json"]);
    assert_eq!(
        summary(&findings(&r.json())),
        [
            "dump.sql.zst!dump.sql:2:24 github-pat-classic [zstd]",
            "notes.txt.bz2!notes.txt:1:14 github-pat-classic [bzip2]",
        ]
    );
    assert!(
        r.json()["warnings"]
            .to_string()
            .contains("corrupt or truncated bzip2"),
        "{}",
        r.stdout
    );
}
