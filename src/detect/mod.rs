//! The matcher: keyword prefilter (one bucketed shift-or filter over every rule's keywords)
//! → each triggered rule's regex, only in windows around its keyword hits → filters
//! (placeholders, allow patterns, entropy, nearby companion, offline validators).

pub mod placeholder;
pub mod validate;

use crate::rules::{Rule, RuleSet};

/// A rule match inside one blob. Offsets are byte offsets into the blob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    pub rule: u32,
    /// The secret's span.
    pub start: usize,
    pub end: usize,
    pub validated: Option<&'static str>,
    /// The rule's `nearby` companion (an AWS secret key's access key id): its group 1, else
    /// the whole companion match. Verification needs both halves of a pair.
    pub companion: Option<(usize, usize)>,
}

/// Per-thread scratch space, reused across blobs so the no-hit path allocates nothing.
#[derive(Debug, Default)]
pub struct Scratch {
    hits: Vec<(u32, usize)>,
    /// Spans a specific rule's checksum rejected: no generic rule reports them either.
    rejected: Vec<(usize, usize)>,
}

impl RuleSet {
    /// Find every secret in `bytes`, appending to `out` (cleared first). Matches come out
    /// sorted by position.
    pub fn find(&self, bytes: &[u8], scratch: &mut Scratch, out: &mut Vec<Match>) {
        out.clear();
        let hits = &mut scratch.hits;
        hits.clear();
        let rejected = &mut scratch.rejected;
        rejected.clear();
        self.keywords.each_hit(bytes, |k, start| {
            for &r in &self.keyword_rules[k] {
                hits.push((r, start));
            }
        });
        if hits.is_empty() {
            return;
        }
        hits.sort_unstable();
        hits.dedup();
        self.compile_cold(hits);
        let mut i = 0;
        while i < hits.len() {
            let rule_idx = hits[i].0;
            let rule = &self.rules[rule_idx as usize];
            let mut j = i;
            while j < hits.len() && hits[j].0 == rule_idx {
                j += 1;
            }
            // Merge the windows around this rule's hits, then run its regex in each.
            let mut win: Option<(usize, usize)> = None;
            for &(_, pos) in &hits[i..j] {
                let (lo, hi) = window(bytes, pos, rule.window);
                win = match win {
                    Some((wlo, whi)) if lo <= whi => Some((wlo, whi.max(hi))),
                    Some(w) => {
                        run_rule(rule, rule_idx, bytes, w, out, rejected);
                        Some((lo, hi))
                    }
                    None => Some((lo, hi)),
                };
            }
            if let Some(w) = win {
                run_rule(rule, rule_idx, bytes, w, out, rejected);
            }
            i = j;
        }
        out.sort_by_key(|m| (m.start, m.end, m.rule));
        out.dedup_by(|a, b| a.rule == b.rule && a.start == b.start && a.end == b.end);
        self.drop_generic_overlaps(out, &scratch.rejected);
    }

    /// Rules are compiled on first use. A file that wakes several at once (the generic
    /// rules share keywords like `key` and `pass`) compiles them on every core instead of
    /// one after another: most of a one-file scan's start-up when it has hits.
    fn compile_cold(&self, hits: &[(u32, usize)]) {
        let cold = |&(r, _): &(u32, usize)| !self.rules[r as usize].is_compiled();
        if hits.iter().filter(|h| cold(h)).nth(1).is_none() {
            return;
        }
        let mut rules: Vec<u32> = hits.iter().filter(|h| cold(h)).map(|h| h.0).collect();
        rules.dedup();
        use rayon::prelude::*;
        rules.par_iter().for_each(|&r| {
            self.rules[r as usize].compiled();
        });
    }

    /// A `generic` rule's match is dropped where a specific rule matched the same bytes, or
    /// where a specific rule's checksum said the bytes are not a live credential (a `ghp_`
    /// token with a bad CRC is documentation or a truncated copy, whatever its key says).
    fn drop_generic_overlaps(&self, out: &mut Vec<Match>, rejected: &[(usize, usize)]) {
        // A rule's match drops the matches of the rules it overrides on the same bytes.
        if out.len() > 1
            && out
                .iter()
                .any(|m| !self.overrides[m.rule as usize].is_empty())
        {
            let winners: Vec<(u32, usize, usize)> = out
                .iter()
                .filter(|m| !self.overrides[m.rule as usize].is_empty())
                .map(|m| (m.rule, m.start, m.end))
                .collect();
            out.retain(|m| {
                !winners.iter().any(|&(w, s, e)| {
                    m.start < e && s < m.end && self.overrides[w as usize].contains(&m.rule)
                })
            });
        }
        let is_generic = |m: &Match| self.rules[m.rule as usize].generic;
        if !out.iter().any(is_generic) || (out.iter().all(is_generic) && rejected.is_empty()) {
            return;
        }
        let specific: Vec<(usize, usize)> = out
            .iter()
            .filter(|m| !is_generic(m))
            .map(|m| (m.start, m.end))
            .chain(rejected.iter().copied())
            .collect();
        out.retain(|m| !is_generic(m) || !specific.iter().any(|&(s, e)| m.start < e && s < m.end));
    }
}

/// `pos ± size`, widened to whole lines when the line ends are close, so a window edge never
/// cuts a token in half.
fn window(bytes: &[u8], pos: usize, size: usize) -> (usize, usize) {
    let lo = pos.saturating_sub(size);
    let hi = (pos + size).min(bytes.len());
    const SLACK: usize = 256;
    let lo = match memchr::memrchr(b'\n', &bytes[lo.saturating_sub(SLACK)..lo]) {
        Some(p) => lo.saturating_sub(SLACK) + p + 1,
        None => lo.saturating_sub(SLACK),
    };
    let end = (hi + SLACK).min(bytes.len());
    let hi = match memchr::memchr(b'\n', &bytes[hi..end]) {
        Some(p) => hi + p,
        None => end,
    };
    (lo, hi)
}

fn run_rule(
    rule: &Rule,
    idx: u32,
    bytes: &[u8],
    (lo, hi): (usize, usize),
    out: &mut Vec<Match>,
    rejected: &mut Vec<(usize, usize)>,
) {
    let hay = &bytes[lo..hi];
    let c = rule.compiled();
    for caps in c.regex.captures_iter(hay) {
        let Some(g) = caps.get(c.secret_group).or_else(|| caps.get(0)) else {
            continue;
        };
        let whole = caps.get(0).expect("group 0 always matches");
        let (start, end) = (lo + g.start(), lo + g.end());
        match accept(
            rule,
            bytes,
            start,
            end,
            lo + whole.start(),
            lo + whole.end(),
        ) {
            Verdict::Accept(validated, companion) => out.push(Match {
                rule: idx,
                start,
                end,
                validated,
                companion,
            }),
            Verdict::ChecksumFailed if !rule.generic => rejected.push((start, end)),
            _ => {}
        }
    }
}

/// What the filters say of a raw regex match.
enum Verdict {
    /// A finding, with what its validator checked and where its companion is.
    Accept(Option<&'static str>, Option<(usize, usize)>),
    Reject,
    /// The rule's checksum failed: the provider cannot have issued these bytes.
    ChecksumFailed,
}

/// The filters a raw regex match must pass.
fn accept(
    rule: &Rule,
    bytes: &[u8],
    start: usize,
    end: usize,
    mstart: usize,
    mend: usize,
) -> Verdict {
    match filters(rule, bytes, start, end, mstart, mend) {
        None => Verdict::Reject,
        Some(companion) => match rule.spec.validator {
            None => Verdict::Accept(None, companion),
            Some(v) => match v.check(&bytes[start..end]) {
                Some(label) => Verdict::Accept(Some(label), companion),
                None if v.is_checksum() => Verdict::ChecksumFailed,
                None => Verdict::Reject,
            },
        },
    }
}

/// Placeholder, allow, entropy and nearby filters: `Some(companion span)` when the match
/// passes them.
fn filters(
    rule: &Rule,
    bytes: &[u8],
    start: usize,
    end: usize,
    mstart: usize,
    mend: usize,
) -> Option<Option<(usize, usize)>> {
    let secret = &bytes[start..end];
    if secret.is_empty() || placeholder::is_placeholder(secret) {
        return None;
    }
    let c = rule.compiled();
    if c.allow.iter().any(|a| a.is_match(secret)) {
        return None;
    }
    if c.allow_key
        .iter()
        .any(|a| a.is_match(&bytes[mstart..start]))
    {
        return None;
    }
    if let Some(min) = rule.spec.entropy {
        if shannon_entropy(secret) < min {
            return None;
        }
    }
    let near = |(re, within): &(regex::bytes::Regex, usize)| {
        let lo = mstart.saturating_sub(*within);
        let hi = (mend + within).min(bytes.len());
        let caps = re.captures(&bytes[lo..hi])?;
        let g = caps.get(1).or_else(|| caps.get(0))?;
        Some((lo + g.start(), lo + g.end()))
    };
    match &c.nearby {
        Some(n) => Some(Some(near(n)?)),
        None => Some(c.companion.as_ref().and_then(near)),
    }
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(data: &[u8]) -> f64 {
    if data.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in data {
        counts[b as usize] += 1;
    }
    let n = data.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f64 / n;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_bounds() {
        assert_eq!(shannon_entropy(b"aaaa"), 0.0);
        assert!((shannon_entropy(b"abcd") - 2.0).abs() < 1e-9);
    }

    #[test]
    fn window_snaps_to_lines() {
        let text = b"line one\nline two has the keyword here\nline three";
        let (lo, hi) = window(text, 20, 4);
        assert_eq!(&text[lo..hi], b"line two has the keyword here");
    }
}
