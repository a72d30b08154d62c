//! Accuracy: the generated corpus (testdata/accuracy) plants fake credentials of every
//! supported family next to decoys; overall precision and recall must both be ≥ 0.95.
//! Per-family figures go to BENCHMARKS.md (`scripts/accuracy`).

mod common;

use std::process::Command;

#[test]
fn precision_and_recall_on_the_generated_corpus_are_at_least_95_percent() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = tempfile::tempdir().unwrap();
    let corpus = out.path().join("corpus");
    let gen = Command::new("python3")
        .arg(format!("{root}/testdata/accuracy/generate.py"))
        .arg(&corpus)
        .output()
        .expect("python3 runs the corpus generator");
    assert!(
        gen.status.success(),
        "{}",
        String::from_utf8_lossy(&gen.stderr)
    );
    let eval = Command::new("python3")
        .arg(format!("{root}/testdata/accuracy/evaluate.py"))
        .arg(&corpus)
        .arg("--keyguard")
        .arg(common::bin())
        .args(["--min-precision", "0.95", "--min-recall", "0.95"])
        .output()
        .expect("python3 runs the evaluator");
    let report = String::from_utf8_lossy(&eval.stdout);
    assert!(
        eval.status.success(),
        "accuracy below target:\n{report}\n{}",
        String::from_utf8_lossy(&eval.stderr)
    );
}
