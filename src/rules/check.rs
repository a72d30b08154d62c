//! `keyguard rules check`: every rule's examples must be found, its negative examples must
//! not, every keyword must occur in some example, and ids must be unique.

use super::{Rule, RuleSet};
use crate::detect::Scratch;
use std::collections::HashMap;

/// One thing wrong with a rule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CheckProblem {
    pub file: String,
    pub rule: String,
    pub problem: String,
}

/// Check rules one by one (each alone, so another rule cannot mask it). Returns every
/// problem found, in rule order.
pub fn check_rules(rules: Vec<Rule>) -> Vec<CheckProblem> {
    let mut problems = Vec::new();
    let mut ids: HashMap<String, String> = HashMap::new();
    for rule in rules {
        let file = rule.source.clone();
        let id = rule.id().to_string();
        let mut say = |problem: String| {
            problems.push(CheckProblem {
                file: file.clone(),
                rule: id.clone(),
                problem,
            })
        };
        if let Some(first) = ids.insert(id.clone(), file.clone()) {
            say(format!("duplicate rule id (also in {first})"));
        }
        if rule.spec.examples.is_empty() {
            say("no `examples`: every rule needs text it must find".into());
        }
        if rule.spec.negative_examples.is_empty() {
            say("no `negative_examples`: every rule needs text it must not find".into());
        }
        if rule.spec.description.trim().is_empty() {
            say("no `description`".into());
        }
        for kw in &rule.spec.keywords {
            let kw_l = kw.to_ascii_lowercase();
            if !rule
                .spec
                .examples
                .iter()
                .any(|e| e.to_ascii_lowercase().contains(&kw_l))
            {
                say(format!("keyword `{kw}` appears in no example"));
            }
        }
        let examples = rule.spec.examples.clone();
        let negatives = rule.spec.negative_examples.clone();
        let set = match RuleSet::build(vec![rule]) {
            Ok(s) => s,
            Err(e) => {
                say(e.to_string());
                continue;
            }
        };
        let mut scratch = Scratch::default();
        let mut out = Vec::new();
        for (i, ex) in examples.iter().enumerate() {
            set.find(ex.as_bytes(), &mut scratch, &mut out);
            if out.is_empty() {
                say(format!("example {} is not found: {}", i + 1, short(ex)));
            }
        }
        for (i, ex) in negatives.iter().enumerate() {
            set.find(ex.as_bytes(), &mut scratch, &mut out);
            if !out.is_empty() {
                say(format!(
                    "negative example {} is found: {}",
                    i + 1,
                    short(ex)
                ));
            }
        }
    }
    problems
}

fn short(s: &str) -> String {
    let one_line = s.replace('\n', "\\n");
    if one_line.chars().count() > 80 {
        format!("{}…", one_line.chars().take(80).collect::<String>())
    } else {
        one_line
    }
}
