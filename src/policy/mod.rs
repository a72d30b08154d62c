//! The policy half: secret *references* in configuration (where a secret is read from, by
//! whom, for which environment), the secrets, stores and grants declared beside them
//! (`refs` → [`facts::Facts`]), and the checks that hold them against policy files.

pub mod certificates;
pub mod check;
pub mod facts;
pub mod model;
pub mod refs;
pub mod tree;
