//! Placeholders and documented example values are not secrets. This filter runs on every
//! candidate secret, for every rule, before entropy and validation.

/// Substrings (lowercase) that mark a value as a placeholder or documentation example.
const MARKERS: &[&[u8]] = &[
    b"example",
    b"placeholder",
    b"changeme",
    b"change_me",
    b"change-me",
    b"your_",
    b"your-",
    b"yourapi",
    b"yourtoken",
    b"yoursecret",
    b"yourpass",
    b"redacted",
    b"dummy",
    b"replace_me",
    b"replaceme",
    b"insert_",
    b"insert-",
    b"xxxxx",
    b"*****",
    b"#####",
    b"...",
    "\u{2026}".as_bytes(),
    b"0123456789",
    b"123456789",
    b"abcdefghij",
    b"${",
    b"{{",
    b"$(",
    b"%(",
    b"os.environ",
    b"process.env",
    b"getenv",
    b"...",
    b"...",
    b"secrets.",
    b"vault:",
    b"op://",
    b"@microsoft.keyvault",
];

/// Values longer than this are key material, not tokens: the run test does not apply.
const LONG: usize = 120;

/// True when `s` looks like a placeholder rather than a real credential.
pub fn is_placeholder(s: &[u8]) -> bool {
    if s.len() >= 2 && s[0] == b'<' && s[s.len() - 1] == b'>' {
        return true;
    }
    if s.first() == Some(&b'$') && s.len() > 1 && (s[1].is_ascii_uppercase() || s[1] == b'_') {
        // `$API_TOKEN`: a shell or template variable.
        return true;
    }
    // Runs and tiny alphabets mark placeholders among token-sized values; long values (key
    // bodies, certificates) legitimately hold runs such as `AAAAAAAA` (zero bytes in base64).
    if s.len() <= LONG {
        // A run that is a large part of the value (`ghp_000000…`), not an incidental one
        // inside a long random token (Azure DevOps PATs carry `AAAAAAAAAAAAA` by design).
        let run = longest_run(s);
        if s.len() >= 8 && run >= 8 && run * 4 >= s.len() {
            return true;
        }
        if distinct(s) <= 2 && s.len() >= 6 {
            return true;
        }
    } else if distinct(s) <= 4 {
        return true;
    }
    let lower: Vec<u8> = s.iter().map(u8::to_ascii_lowercase).collect();
    MARKERS
        .iter()
        .any(|m| memchr::memmem::find(&lower, m).is_some())
}

fn longest_run(s: &[u8]) -> usize {
    let (mut best, mut cur) = (1, 1);
    for w in s.windows(2) {
        if w[0] == w[1] {
            cur += 1;
            best = best.max(cur);
        } else {
            cur = 1;
        }
    }
    best
}

fn distinct(s: &[u8]) -> usize {
    let mut seen = [false; 256];
    s.iter()
        .filter(|&&b| !std::mem::replace(&mut seen[b as usize], true))
        .count()
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;

    #[test]
    fn placeholders() {
        for p in [
            "AKIAIOSFODNN7EXAMPLE",
            "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "${API_TOKEN}",
            "<your-api-key>",
            "os.environ['TOKEN']",
            "process.env.TOKEN",
            "$GITHUB_TOKEN",
            "0000000000000000",
            "sk_live_...",
            "{{ secrets.TOKEN }}",
        ] {
            assert!(is_placeholder(p.as_bytes()), "{p} should be a placeholder");
        }
    }

    #[test]
    fn long_key_material_may_hold_runs() {
        let body = format!(
            "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW{}",
            "Qy9kLm".repeat(20)
        );
        assert!(!is_placeholder(body.as_bytes()));
        assert!(is_placeholder("x".repeat(300).as_bytes()));
    }

    #[test]
    fn real_looking_values_pass() {
        for s in [
            "ghp_Vh3xQm9LpT2wKc8RzN4bYd6FsJ1gAe5UoI7n",
            "wJ4lrXUtnFEMiK7MDENGbPxRfiCYq9Zq3kLm8sVb",
            "k3Jd9Qs2Lp0Zx7Vb",
        ] {
            assert!(!is_placeholder(s.as_bytes()), "{s} is not a placeholder");
        }
    }
}
