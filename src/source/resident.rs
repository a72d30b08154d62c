//! Keep a long history scan's resident set bounded by the work, not by the repository.
//!
//! gix reads packs through `mmap`. Every page of a pack the scan touches stays mapped, so
//! by the end of a full-history scan the whole pack counts in the process's resident set
//! (507 MiB of git/git's 1,019 MiB peak). Those pages are clean copies of an immutable file:
//! [`release_pack_pages`] tells the kernel that this process no longer needs them
//! (`madvise(MADV_DONTNEED)`), which drops them from the resident set without unmapping
//! anything. A later read of the same bytes faults the page back in from the page cache
//! (the kernel keeps it there while memory allows) with the same contents, so readers
//! holding slices into the mapping are unaffected. Linux only; elsewhere it does nothing.

/// Drop the resident pages of every mapped `*.pack` file of this process. Returns the
/// bytes of mappings advised (0 where this is not supported).
#[cfg(target_os = "linux")]
pub fn release_pack_pages() -> u64 {
    let Ok(maps) = std::fs::read_to_string("/proc/self/maps") else {
        return 0;
    };
    let mut advised = 0;
    for (start, end) in pack_mappings(&maps) {
        // SAFETY: the range is a whole mapping of this process, read from /proc/self/maps,
        // of a pack file gix mapped read-only and never writes. MADV_DONTNEED on a clean
        // file-backed page only discards this process's copy: the next access refills it
        // from the file, byte for byte the same, so no reader can observe a change.
        let rc =
            unsafe { libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED) };
        if rc == 0 {
            advised += (end - start) as u64;
        }
    }
    advised
}

#[cfg(not(target_os = "linux"))]
pub fn release_pack_pages() -> u64 {
    0
}

/// `(start, end)` of each read-only mapping of a `.pack` file in `/proc/self/maps` text.
fn pack_mappings(maps: &str) -> Vec<(usize, usize)> {
    maps.lines()
        .filter_map(|line| {
            let mut f = line.split_whitespace();
            let range = f.next()?;
            let perms = f.next()?;
            let path = f.nth(3)?;
            if !path.ends_with(".pack") || perms.as_bytes().get(1) != Some(&b'-') {
                return None;
            }
            let (a, b) = range.split_once('-')?;
            Some((
                usize::from_str_radix(a, 16).ok()?,
                usize::from_str_radix(b, 16).ok()?,
            ))
        })
        .filter(|(a, b)| a < b)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_read_only_pack_mappings_are_picked() {
        let maps = "\
7f00a0000000-7f00a2000000 r--s 00000000 fd:01 123 /srv/r.git/objects/pack/pack-1a2b.pack
7f00b0000000-7f00b0100000 r--s 00000000 fd:01 124 /srv/r.git/objects/pack/pack-1a2b.idx
7f00c0000000-7f00c0001000 rw-p 00000000 fd:01 125 /tmp/writable.pack
55d000000000-55d000100000 r-xp 00000000 fd:01 126 /usr/bin/keyguard
7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]
";
        assert_eq!(pack_mappings(maps), [(0x7f00a0000000, 0x7f00a2000000)]);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn released_pages_read_back_the_same_bytes() {
        // A real read-only file mapping, the way gix maps a pack.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pack");
        let data: Vec<u8> = (0..(4 << 20)).map(|i: u32| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        // SAFETY: the file is private to this test and not changed while mapped.
        let map = unsafe { memmap2::Mmap::map(&file).unwrap() };
        let before: u64 = map.iter().map(|&b| b as u64).sum();
        assert!(release_pack_pages() >= data.len() as u64);
        let after: u64 = map.iter().map(|&b| b as u64).sum();
        assert_eq!(before, after);
        assert_eq!(&map[..], &data[..]);
    }
}
