//! The policy half: secret *references* in configuration (where a secret is read from, by
//! whom, for which environment), inventoried by `keyguard refs`. Checking them against policy
//! files (`keyguard policy`) builds on this inventory.

pub mod check;
pub mod model;
pub mod refs;
