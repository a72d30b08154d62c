//! `.keyguard-baseline.toml`: load it, and write back what loaded. The loaders read files,
//! so each input goes through one file in this process's temporary directory.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let dir = std::env::temp_dir().join(format!("keyguard-fuzz-baseline-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("baseline.toml");
    std::fs::write(&path, data).unwrap();
    if let Ok(b) = keyguard::suppress::baseline::Baseline::load(&path) {
        // What keyguard writes, it must read back.
        std::fs::write(&path, b.to_toml()).unwrap();
        keyguard::suppress::baseline::Baseline::load(&path).expect("a written baseline loads");
    }
});
