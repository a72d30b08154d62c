//! A provider's reply to a verification request, read as live, invalid or unknown. The
//! first byte picks the provider (`src/verify/providers.toml`), the second the status (its
//! live and invalid codes, then common others), the third the content type; the rest is
//! the body. No network: the reply is handed to the reader directly.
#![no_main]
use libfuzzer_sys::fuzz_target;

const TYPES: [Option<&str>; 4] = [
    Some("application/json"),
    Some("text/html; charset=utf-8"),
    Some("text/xml"),
    None,
];

fuzz_target!(|data: &[u8]| {
    let [p, s, t, body @ ..] = data else { return };
    let providers = keyguard::verify::spec::providers();
    let p = &providers[*p as usize % providers.len()];
    let statuses: Vec<u16> = p
        .live
        .iter()
        .chain(&p.invalid)
        .copied()
        .chain([200, 302, 404, 429, 503])
        .collect();
    let status = statuses[*s as usize % statuses.len()];
    let _ = keyguard::verify::judge_reply(
        p,
        status,
        TYPES[*t as usize % TYPES.len()],
        Some("30"),
        body,
    );
});
