//! A saved JSON report, as `keyguard verify REPORT.json --root DIR` reads it: the findings
//! are looked for again in a small tree (one GitHub token; GitHub rules only) and verified
//! with an allowlist no provider is in, so nothing is ever sent.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use std::sync::OnceLock;

static ROOT: OnceLock<PathBuf> = OnceLock::new();

fn root() -> &'static PathBuf {
    ROOT.get_or_init(|| {
        let root = std::env::temp_dir().join(format!("keyguard-fuzz-saved-{}", std::process::id()));
        std::fs::create_dir_all(root.join("deploy")).unwrap();
        let config = format!(
            "[rules]\nextend_default = false\nfiles = ['{}/../rules/github.toml']\n",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::write(root.join(".keyguard.toml"), config).unwrap();
        let body = "0123456789abcdefghijABCDEFGHIJ";
        let token = format!(
            "ghp_{body}{}",
            keyguard::detect::validate::crc32_base62_checksum(body.as_bytes())
        );
        std::fs::write(root.join("deploy/a.env"), format!("GITHUB_TOKEN={token}\n")).unwrap();
        root
    })
}

fuzz_target!(|data: &[u8]| {
    let root = root();
    let report = root.join("report.json");
    std::fs::write(&report, data).unwrap();
    let opts = keyguard::verify::VerifyOptions {
        hosts: vec!["verify.invalid".into()],
        concurrency: 1,
        ..Default::default()
    };
    let _ = keyguard::verify::saved::verify_report(&report, Some(root), &opts);
});
