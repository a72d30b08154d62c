//! The optional on-disk verification cache: for each checked credential, a hash (of the
//! provider, the secret and its companion — never the secret), its state and when it was
//! checked. Entries older than the TTL are checked again.

use super::Verification;
use crate::error::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Cache {
    version: u32,
    entries: BTreeMap<String, Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Entry {
    /// Seconds since the Unix epoch.
    at: u64,
    #[serde(flatten)]
    verification: Verification,
}

pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Cache {
    /// A missing file is an empty cache; a corrupt one is an error naming it.
    pub fn load(path: &Path) -> Result<Cache, Error> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                Error::Usage(format!(
                    "{}: not a keyguard verify cache ({e}); delete it to start afresh",
                    path.display()
                ))
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Cache::default()),
            Err(e) => Err(Error::io(path, &e)),
        }
    }

    pub fn get(&self, key: &str, now: u64, ttl: Duration) -> Option<Verification> {
        let e = self.entries.get(key)?;
        (now.saturating_sub(e.at) < ttl.as_secs()).then(|| e.verification.clone())
    }

    pub fn put(&mut self, key: &str, v: &Verification, now: u64) {
        self.entries.insert(
            key.to_string(),
            Entry {
                at: now,
                verification: v.clone(),
            },
        );
    }

    pub fn save(&mut self, path: &Path) -> Result<(), Error> {
        self.version = 1;
        let text = serde_json::to_vec_pretty(self).expect("the cache serialises");
        crate::report::write_atomic(path, &text)
    }
}
