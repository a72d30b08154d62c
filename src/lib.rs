//! keyguard: a fast, Git-native secrets scanner and secret-policy linter.
//!
//! The library never prints: every job returns data (findings, counts, warnings) and the
//! binary decides what to show. Stages follow the data flow in `DESIGN.md`:
//! [`source`] → [`expand`] → [`detect`] (one blob at a time: [`blob`]) → [`finding`] → [`suppress`] → [`report`].
#![warn(clippy::print_stdout, clippy::print_stderr)]

pub mod blob;
pub mod config;
pub mod detect;
pub mod error;
pub mod expand;
pub mod finding;
pub mod hook;
pub mod import;
pub mod policy;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod suppress;
pub mod sweep;
pub mod verify;

pub use error::Error;
pub use finding::{Finding, Severity};
pub use scan::{scan, ScanOptions, ScanReport, Target};
