//! `.keyguard.toml`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = keyguard::config::Config::parse(std::path::Path::new(".keyguard.toml"), &text);
});
