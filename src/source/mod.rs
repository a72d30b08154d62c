//! Where bytes come from. Every source yields blobs the detector scans the same way; a
//! blob carries its origin so later stages never reach back here.

pub mod fs;
pub mod git;
pub mod resident;
pub mod staged;

/// Bytes to scan and where they came from.
#[derive(Debug)]
pub struct Blob {
    /// Path relative to the scan root, `/`-separated; `-` for standard input.
    pub path: String,
    pub bytes: Vec<u8>,
}

/// Why a file was not scanned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// A NUL byte in the first 8 KiB (git's own test).
    Binary,
    /// Larger than `--max-file-size`.
    TooLarge,
    /// Could not be read (the warning names the file and the reason).
    Unreadable,
}

/// Git's binary test: a NUL byte in the first 8000 bytes.
pub fn looks_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(8000)]).is_some()
}

/// Why content read in full is not scanned: over the size limit, or binary.
pub fn skip_reason(bytes: &[u8], max_size: u64) -> Option<SkipReason> {
    if bytes.len() as u64 > max_size {
        Some(SkipReason::TooLarge)
    } else if looks_binary(bytes) {
        Some(SkipReason::Binary)
    } else {
        None
    }
}
