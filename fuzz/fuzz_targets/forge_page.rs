//! One page of a forge's repository listing (GitHub, GitLab, Azure DevOps, Bitbucket): the
//! JSON body and the headers that point to the next page. The first byte picks the forge;
//! the rest is split at the first NUL into the pagination header and the body. No network:
//! the page is handed to the listing's parser directly.
#![no_main]
use keyguard::sweep::forge::{parse_page, Kind, Page};
use libfuzzer_sys::fuzz_target;

const KINDS: [Kind; 4] = [Kind::GitHub, Kind::GitLab, Kind::Azure, Kind::Bitbucket];

fuzz_target!(|data: &[u8]| {
    let [k, rest @ ..] = data else { return };
    let (header, body) = match rest.iter().position(|&b| b == 0) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&b""[..], rest),
    };
    let header = String::from_utf8_lossy(header).into_owned();
    let page = Page {
        body: String::from_utf8_lossy(body).into_owned(),
        link: Some(header.clone()),
        next_page: Some(header.clone()),
        continuation: Some(header),
    };
    let first = "https://api.example/list?per_page=100";
    let _ = parse_page(KINDS[*k as usize % KINDS.len()], first, first, &page);
});
