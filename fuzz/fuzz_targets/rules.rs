//! Rule files (`rules/*.toml` format), compiled and run on their own examples.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(rules) = keyguard::rules::parse_rule_file("fuzz.toml", &text) {
        let _ = keyguard::rules::RuleSet::build(rules);
    }
});
