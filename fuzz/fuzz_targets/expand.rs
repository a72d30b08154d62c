//! The expansion stage and detector on one blob: archives (zip, tar, gzip, bzip2, zstd),
//! decoders, UTF-16, then every rule. The first byte picks the file name, so each format's
//! path is taken.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static CONFIG: OnceLock<keyguard::config::Config> = OnceLock::new();
const NAMES: [&str; 8] = [
    "a.txt", "a.zip", "a.tar", "a.gz", "a.tgz", "a.bz2", "a.zst", "a.jar",
];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let config = CONFIG.get_or_init(|| keyguard::config::Config::defaults().unwrap());
    let mut work = keyguard::blob::Work::default();
    let name = NAMES[pick as usize % NAMES.len()];
    let _ = keyguard::blob::scan_bytes(config, name, rest, &mut work);
});
