//! Embeds every `rules/*.toml` file into the binary. Listing the directory here (rather than
//! include_dir!) means a new rule file is picked up by incremental builds too.

use std::fmt::Write;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=rules");
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&manifest).join("rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("rules/ directory")
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = String::from("&[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        let name = f.file_name().unwrap().to_string_lossy();
        writeln!(
            out,
            "    ({name:?}, include_str!({:?})),",
            f.display().to_string()
        )
        .unwrap();
    }
    out.push(']');
    let out_dir = std::env::var("OUT_DIR").unwrap();
    std::fs::write(Path::new(&out_dir).join("default_rules.rs"), out).unwrap();

    // What a scan needs of the built-in rules, as JSON without the examples: parsing it is
    // several times faster than the TOML, and start-up is what a pre-commit hook feels.
    // The TOML above stays for `keyguard rules check`. A rule file that does not parse is
    // left out here; the tests (which parse the TOML) name it.
    let mut json = String::from("&[\n");
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy();
        let text = std::fs::read_to_string(f).unwrap();
        let Ok(mut table) = text.parse::<toml::Table>() else {
            continue;
        };
        if let Some(toml::Value::Array(rules)) = table.get_mut("rule") {
            for r in rules.iter_mut() {
                if let toml::Value::Table(t) = r {
                    t.remove("examples");
                    t.remove("negative_examples");
                }
            }
        }
        let j = serde_json::to_string(&table).unwrap();
        writeln!(json, "    ({name:?}, {j:?}),").unwrap();
    }
    json.push(']');
    std::fs::write(Path::new(&out_dir).join("default_rules_json.rs"), json).unwrap();
}
