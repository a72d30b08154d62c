//! The keyword prefilter: every ASCII-case-insensitive occurrence of every rule keyword,
//! overlapping ones included, as `(keyword, start)` pairs.
//!
//! With ~2,800 keywords an Aho-Corasick automaton walks one state per byte through a large
//! transition table, and its DFA takes tens of milliseconds to build. This is a bucketed
//! shift-or filter in the manner of Hyperscan's FDR instead, with no automaton to build:
//!
//! - Bytes map to 6-bit classes: one class per distinct keyword byte (case-folded, the 63
//!   most frequent), one shared by every other byte. A *bigram* is the classes of two
//!   adjacent bytes, 12 bits.
//! - Keywords fall into 8 buckets by how many bigrams of theirs are checked (`min(len-1,
//!   8)`), the largest groups split in two. One bit per bucket.
//! - `reach[bigram]` is a `u64`: byte `e` has bucket `b`'s bit clear when some keyword of `b`
//!   has that bigram at offset `7 - e` (or `b` checks fewer bigrams than that offset).
//! - Eight positions at a time are OR-ed into a 128-bit accumulator, each position's entry
//!   shifted by its place in the block; a byte of the accumulator with a clear bit is a
//!   window of 8 positions where every bigram of some keyword of that bucket fits. Such
//!   candidates (about one window per 40 bytes of real text) are confirmed exactly: presence
//!   bits, a hash of the bucket's lowercased key bytes, then a case-insensitive comparison.
//!
//! A run of eight positions costs a handful of independent loads and shifts and one compare,
//! with no data-dependent branch on the common path, and the whole table is 32 KiB. It is
//! built in about a millisecond, so a one-file scan and a tree scan use the same code.
//! Measurements and the variants tried: BENCHMARKS.md §1a'''.

use crate::error::Error;
use rustc_hash::FxHashMap;

/// Bigrams checked per window; a keyword's first `min(len - 1, OFFSETS)` bigrams.
const OFFSETS: usize = 8;
/// Bits per offset in a `reach` entry: one per bucket.
const LANE: usize = 64 / OFFSETS;
const BUCKETS: usize = LANE;
const CLASS_BITS: usize = 6;
const DOMAIN: usize = 1 << (2 * CLASS_BITS);
/// log2 of the presence bits the confirmation checks before its hash map.
const PRESENCE_LOG2: u32 = 16;
// One bucket at least for each number of bigrams checked, 2..=OFFSETS.
const _: () = assert!(OFFSETS - 1 <= BUCKETS);

#[derive(Debug)]
pub(crate) struct Keywords {
    literals: Vec<String>,
    /// Byte → class (case-folded), and the same shifted into a bigram's high bits.
    class: [u8; 256],
    class_hi: [u16; 256],
    /// Bigram → per offset, per bucket "no keyword of this bucket fits here" bits.
    reach: Box<[u64; DOMAIN]>,
    buckets: [Bucket; BUCKETS],
    /// One bit per hashed (bucket, key) a keyword has: most candidates stop here.
    presence: Box<[u64; (1 << PRESENCE_LOG2) / 64]>,
}

#[derive(Debug, Default)]
struct Bucket {
    /// Bytes of a candidate the confirmation hashes (the shortest keyword's length, ≤ 8).
    key_len: usize,
    /// Lowercased first `key_len` bytes → the keywords of this bucket starting with them.
    by_key: FxHashMap<u64, Vec<u32>>,
}

/// The first `n` bytes of `b` (`n` ≤ 8, `b.len()` ≥ `n`), ASCII-lowercased, as a
/// little-endian integer.
#[inline]
fn key_of(b: &[u8], n: usize) -> u64 {
    let x = match b.get(..8) {
        Some(w) => u64::from_le_bytes(w.try_into().unwrap()),
        None => {
            let mut w = [0u8; 8];
            w[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(w)
        }
    };
    let x = if n == 8 {
        x
    } else {
        x & ((1u64 << (8 * n)) - 1)
    };
    // Lowercase the ASCII capitals of all eight bytes at once: a byte gets 0x20 when it is
    // in 'A'..='Z' (high bit clear, ≥ 0x41, ≤ 0x5A).
    const LO: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    const HI: u64 = 0x8080_8080_8080_8080;
    let low7 = x & LO;
    let ge_a = low7.wrapping_add(0x3f3f_3f3f_3f3f_3f3f); // high bit set iff ≥ 0x41
    let gt_z = low7.wrapping_add(0x2525_2525_2525_2525); // high bit set iff > 0x5A
    let upper = ge_a & !gt_z & !x & HI;
    x | (upper >> 2)
}

/// The `reach` index of the bigram `a`, `b`.
#[inline]
fn bigram(class: &[u8; 256], class_hi: &[u16; 256], a: u8, b: u8) -> usize {
    (class_hi[a as usize] | class[b as usize] as u16) as usize & (DOMAIN - 1)
}

/// Where a (bucket, key) pair sits in the presence bits.
#[inline]
fn presence_slot(bucket: usize, key: u64) -> usize {
    ((key ^ bucket as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - PRESENCE_LOG2)) as usize
}

impl Keywords {
    /// `literals` are distinct and lowercase, each at least 3 bytes.
    pub(crate) fn build(literals: Vec<String>) -> Result<Keywords, Error> {
        if let Some(k) = literals.iter().find(|k| k.len() < 3) {
            return Err(Error::Rule {
                file: "(keywords)".into(),
                rule: "*".into(),
                reason: format!("keyword `{k}` is shorter than 3 bytes"),
            });
        }
        // Classes: the most frequent keyword bytes get their own, the rest share class 0
        // with every byte no keyword has (more candidates, never a missed one).
        let mut freq = [0usize; 256];
        for k in &literals {
            for &b in k.as_bytes() {
                freq[b.to_ascii_lowercase() as usize] += 1;
            }
        }
        let mut order: Vec<usize> = (0..256).filter(|&b| freq[b] > 0).collect();
        order.sort_by_key(|&b| (std::cmp::Reverse(freq[b]), b));
        let mut class = [0u8; 256];
        for (i, &b) in order.iter().take((1 << CLASS_BITS) - 1).enumerate() {
            class[b] = i as u8 + 1;
            class[(b as u8).to_ascii_uppercase() as usize] = i as u8 + 1;
        }
        let class_hi: [u16; 256] = std::array::from_fn(|b| (class[b] as u16) << CLASS_BITS);

        // Buckets: group by bigrams checked, then split the largest group while buckets
        // are left (sorted, so keywords sharing a prefix share a bucket and its bigrams).
        let checked = |k: &str| (k.len() - 1).min(OFFSETS);
        let mut sorted: Vec<u32> = (0..literals.len() as u32).collect();
        sorted.sort_unstable_by(|&a, &b| literals[a as usize].cmp(&literals[b as usize]));
        let mut groups: Vec<Vec<u32>> = vec![Vec::new(); OFFSETS - 1];
        for i in sorted {
            groups[checked(&literals[i as usize]) - 2].push(i);
        }
        groups.retain(|g| !g.is_empty());
        while groups.len() < BUCKETS {
            let Some(big) = (0..groups.len()).max_by_key(|&g| groups[g].len()) else {
                break;
            };
            if groups[big].len() < 2 {
                break;
            }
            let half = groups[big].len() / 2;
            let tail = groups[big].split_off(half);
            groups.push(tail);
        }

        let mut reach = Box::new([!0u64; DOMAIN]);
        // Per bucket, the offsets past the bigrams it checks: they fit anything.
        let mut fits_anything = 0u64;
        let mut presence = Box::new([0u64; (1 << PRESENCE_LOG2) / 64]);
        let mut buckets: [Bucket; BUCKETS] = Default::default();
        for (b, members) in groups.iter().enumerate() {
            let bit = 1u64 << b;
            let m = members
                .iter()
                .map(|&i| checked(&literals[i as usize]))
                .min()
                .unwrap_or(OFFSETS);
            for o in m..OFFSETS {
                fits_anything |= bit << (LANE * (OFFSETS - 1 - o));
            }
            let key_len = members
                .iter()
                .map(|&i| literals[i as usize].len())
                .min()
                .unwrap_or(8)
                .min(8);
            let bucket = &mut buckets[b];
            bucket.key_len = key_len;
            for &i in members {
                let k = literals[i as usize].as_bytes();
                for o in 0..m {
                    reach[bigram(&class, &class_hi, k[o], k[o + 1])] &=
                        !(bit << (LANE * (OFFSETS - 1 - o)));
                }
                let key = key_of(k, key_len);
                let slot = presence_slot(b, key);
                presence[slot / 64] |= 1 << (slot % 64);
                bucket.by_key.entry(key).or_default().push(i);
            }
        }
        for r in reach.iter_mut() {
            *r &= !fits_anything;
        }
        Ok(Keywords {
            literals,
            class,
            class_hi,
            reach,
            buckets,
            presence,
        })
    }

    /// Call `hit(keyword, start)` for every occurrence of a keyword in `bytes`, overlapping
    /// ones included, in no particular order.
    pub(crate) fn each_hit(&self, bytes: &[u8], mut hit: impl FnMut(usize, usize)) {
        let n = bytes.len();
        if n < 3 {
            return;
        }
        // Byte E of `carry` (then of the accumulator) is the window ending at block start +
        // E; windows ending before position 7 would start before the text.
        let mut carry: u128 = (u64::MAX >> LANE) as u128;
        let mut at = 0usize;
        // Full blocks: positions at..at+8 all have both bytes of their bigram.
        while at + OFFSETS < n {
            let w = &bytes[at..at + OFFSETS + 1];
            let mut acc = carry;
            for j in 0..OFFSETS {
                let d = bigram(&self.class, &self.class_hi, w[j], w[j + 1]);
                acc |= (self.reach[d] as u128) << (LANE * j);
            }
            if acc as u64 != u64::MAX {
                self.confirm(bytes, at, acc as u64, &mut hit);
            }
            carry = acc >> 64;
            at += OFFSETS;
        }
        // The rest, and windows running past the end (a missing bigram fits anything; the
        // confirmation checks bounds), up to windows starting at the last byte.
        while at < n + OFFSETS - 1 {
            let mut acc = carry;
            for j in 0..OFFSETS {
                let p = at + j;
                let r = if p + 1 < n {
                    self.reach[bigram(&self.class, &self.class_hi, bytes[p], bytes[p + 1])]
                } else {
                    0
                };
                acc |= (r as u128) << (LANE * j);
            }
            if acc as u64 != u64::MAX {
                self.confirm(bytes, at, acc as u64, &mut hit);
            }
            carry = acc >> 64;
            at += OFFSETS;
        }
    }

    /// Check the candidate windows of one block exactly. Lane E of `ends` is the window
    /// that ends at `block + E`, so starts at `block + E - (OFFSETS - 1)`; a clear bit in it
    /// is a bucket whose keywords may start there.
    #[cold]
    fn confirm(&self, bytes: &[u8], block: usize, ends: u64, hit: &mut impl FnMut(usize, usize)) {
        let mut fits = !ends;
        while fits != 0 {
            let bit = fits.trailing_zeros() as usize;
            fits &= fits - 1;
            let (e, b) = (bit / LANE, bit % LANE);
            let Some(start) = (block + e).checked_sub(OFFSETS - 1) else {
                continue;
            };
            let bucket = &self.buckets[b];
            let rest = &bytes[start.min(bytes.len())..];
            if rest.len() < bucket.key_len {
                continue;
            }
            let key = key_of(rest, bucket.key_len);
            let slot = presence_slot(b, key);
            if self.presence[slot / 64] & (1 << (slot % 64)) == 0 {
                continue;
            }
            let Some(list) = bucket.by_key.get(&key) else {
                continue;
            };
            for &k in list {
                let lit = self.literals[k as usize].as_bytes();
                if rest.len() >= lit.len() && rest[..lit.len()].eq_ignore_ascii_case(lit) {
                    hit(k as usize, start);
                }
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn literals(&self) -> &[String] {
        &self.literals
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasick, MatchKind};

    fn reference(literals: &[String], text: &[u8]) -> Vec<(usize, usize)> {
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(literals)
            .unwrap();
        let mut v: Vec<(usize, usize)> = ac
            .find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start()))
            .collect();
        v.sort_unstable();
        v
    }

    fn filtered(kw: &Keywords, text: &[u8]) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        kw.each_hit(text, |k, at| v.push((k, at)));
        v.sort_unstable();
        v
    }

    /// `word`, cut short by one byte half the time, each byte upper-cased half the time.
    fn plant(text: &mut Vec<u8>, word: &[u8], next: &mut impl FnMut() -> u64) {
        let cut = word.len() - (next() % 2) as usize;
        for &b in &word[..cut] {
            text.push(if next() % 2 == 0 {
                b.to_ascii_uppercase()
            } else {
                b
            });
        }
    }

    fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// The filter finds what an Aho-Corasick automaton finds, on text dense with the real
    /// keywords in mixed case, overlapping and cut short, at every length from 0 to 40 and
    /// at every alignment of a longer text.
    #[test]
    fn finds_what_the_automaton_finds() {
        let set = super::super::RuleSet::build(super::super::load_builtin().unwrap()).unwrap();
        let kw = &set.keywords;
        let lits = kw.literals();
        let mut next = xorshift(0x2545_F491_4F6C_DD1D);
        let mut text = Vec::new();
        for _ in 0..4000 {
            let lit = lits[(next() % lits.len() as u64) as usize].as_bytes();
            plant(&mut text, lit, &mut next);
            for _ in 0..next() % 4 {
                text.push(b" =_:\"x9Az\xff"[(next() % 10) as usize]);
            }
        }
        let want = reference(lits, &text);
        assert!(want.len() > 3000, "{}", want.len());
        assert_eq!(filtered(kw, &text), want);
        for skip in 0..9 {
            let t = &text[skip..skip + 5000];
            assert_eq!(filtered(kw, t), reference(lits, t), "offset {skip}");
        }
        for len in 0..40 {
            for start in (0..400).step_by(37) {
                let t = &text[start..start + len];
                assert_eq!(filtered(kw, t), reference(lits, t), "{start}+{len}");
            }
        }
    }

    /// Small and odd keyword sets: one keyword, keywords of one length only, more distinct
    /// bytes than classes, keywords that are prefixes of each other.
    #[test]
    fn small_and_odd_keyword_sets() {
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        let alphabet: Vec<u8> = (0x20u8..0x7f).chain([0x00, 0xc3, 0xa9, 0xff]).collect();
        let sets: Vec<Vec<&str>> = vec![
            vec!["abc"],
            vec!["ghp_"],
            vec!["abc", "abcd", "abcde", "abcdefghijklmnop", "bcd"],
            vec![
                "!#%",
                "&'(",
                ")*+",
                ",-.",
                "{|}",
                "~~~",
                "[\\]",
                "^`@",
                "<>?",
                "0123456789",
            ],
            vec!["aaa", "aaaa", "aaaaaaaaaaaa", "zzz", "aza"],
        ];
        for words in sets {
            let lits: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            let kw = Keywords::build(lits.clone()).unwrap();
            for round in 0..200 {
                let len = (next() % 200) as usize;
                let mut text: Vec<u8> = (0..len)
                    .map(|_| {
                        if next() % 3 == 0 {
                            let w = lits[(next() % lits.len() as u64) as usize].as_bytes();
                            w[(next() % w.len() as u64) as usize].to_ascii_uppercase()
                        } else {
                            alphabet[(next() % alphabet.len() as u64) as usize]
                        }
                    })
                    .collect();
                let w = &lits[round % lits.len()];
                let at = (next() as usize) % (text.len() + 1);
                text.splice(at..at, w.bytes());
                assert_eq!(filtered(&kw, &text), reference(&lits, &text), "{words:?}");
            }
        }
        // 100 keywords over 95 distinct bytes: some bytes share a class.
        let lits: Vec<String> = (0..100u32)
            .map(|i| {
                let b = |x: u32| (0x21 + (x % 94)) as u8 as char;
                format!("{}{}{}", b(i), b(i * 7 + 3), b(i * 13 + 5))
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|s| s.to_ascii_lowercase())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let kw = Keywords::build(lits.clone()).unwrap();
        let text: Vec<u8> = (0..20000).map(|_| (0x20 + next() % 95) as u8).collect();
        let want = reference(&lits, &text);
        assert!(!want.is_empty());
        assert_eq!(filtered(&kw, &text), want);
    }

    /// The eight-at-once lowercasing agrees with `to_ascii_lowercase` on every byte value,
    /// in every place of the key, and the key stops at its length.
    #[test]
    fn keys_lowercase_every_byte_like_the_standard_library() {
        for v in 0..=255u8 {
            for place in 0..8 {
                let mut b = *b"aZ0_\x80q~[";
                b[place] = v;
                let want = b[..8].iter().enumerate().fold(0u64, |k, (i, c)| {
                    k | (c.to_ascii_lowercase() as u64) << (8 * i)
                });
                assert_eq!(key_of(&b, 8), want, "{v:#x} at {place}");
                assert_eq!(key_of(&b[..5], 3), want & 0xff_ffff, "{v:#x} at {place}");
            }
        }
    }

    /// Random keyword sets over a small alphabet (so keywords overlap, share prefixes and
    /// are prefixes of each other), 3 to 20 bytes, 1 to 400 of them, on random text.
    #[test]
    fn random_keyword_sets_agree_with_the_automaton() {
        let mut next = xorshift(0xD1B5_4A32_D192_ED03);
        let alphabet = b"abAB_-.01";
        for round in 0..300 {
            let count = 1 + (next() % 400) as usize;
            let lits: Vec<String> = (0..count)
                .map(|_| {
                    let len = 3 + (next() % 18) as usize;
                    (0..len)
                        .map(|_| alphabet[(next() % alphabet.len() as u64) as usize] as char)
                        .collect::<String>()
                        .to_ascii_lowercase()
                })
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let kw = Keywords::build(lits.clone()).unwrap();
            // Random bytes with keywords planted, in random case, some cut short.
            let mut text = Vec::new();
            let len = (next() % 3000) as usize;
            while text.len() < len {
                if next() % 4 == 0 {
                    let w = lits[(next() % lits.len() as u64) as usize].as_bytes();
                    plant(&mut text, w, &mut next);
                } else {
                    text.push(alphabet[(next() % alphabet.len() as u64) as usize]);
                }
            }
            assert_eq!(
                filtered(&kw, &text),
                reference(&lits, &text),
                "round {round}"
            );
        }
    }

    #[test]
    fn keywords_shorter_than_three_bytes_are_refused() {
        assert!(Keywords::build(vec!["ab".into()]).is_err());
    }
}
