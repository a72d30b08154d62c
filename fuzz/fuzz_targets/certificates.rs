//! X.509 certificates as the policy checks read them: PEM blocks (also inside JSON or YAML
//! strings) or a whole DER file, then the DER decoder on its own. The first byte picks the
//! file name.
#![no_main]
use libfuzzer_sys::fuzz_target;

const NAMES: [&str; 4] = ["cert.pem", "cert.der", "cert.crt", "tls.json"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let name = NAMES[pick as usize % NAMES.len()];
    let _ = keyguard::policy::certificates::from_file(name, rest);
    let _ = keyguard::policy::certificates::parse_der(rest);
});
