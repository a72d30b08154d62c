//! The README's main command, `keyguard scan .` on this repository, finds nothing: the rule
//! packs' example secrets are allowlisted by the repository's own .keyguard.toml, and
//! nothing else (policies, docs, tests, scripts) may look like a secret.

mod common;

#[test]
fn keyguard_scans_its_own_repository_clean() {
    let r = common::run(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")),
        &["scan", "."],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
}
