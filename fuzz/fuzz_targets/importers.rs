//! The importers of other scanners' files: `.gitleaksignore`, detect-secrets'
//! `.secrets.baseline` and `.gitleaks.toml`. The first byte picks one; the rest is the file.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&which, text)) = data.split_first() else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("keyguard-fuzz-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("input");
    std::fs::write(&path, text).unwrap();
    match which % 3 {
        0 => drop(keyguard::import::read_gitleaksignore(&path)),
        1 => drop(keyguard::import::read_detect_secrets(&path)),
        _ => drop(keyguard::import::gitleaks_config(&path)),
    }
});
