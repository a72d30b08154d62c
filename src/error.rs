//! Errors: configuration, rule and I/O problems that stop a run (exit code 2). Findings are
//! data, never errors; problems that let the run go on are [`crate::scan::Warning`]s.

use miette::{Diagnostic, NamedSource, SourceSpan};
use thiserror::Error;

#[derive(Debug, Error, Diagnostic)]
pub enum Error {
    #[error("{path}: {reason}")]
    #[diagnostic(code(keyguard::io))]
    Io { path: String, reason: String },

    #[error("{file}: rule `{rule}`: {reason}")]
    #[diagnostic(code(keyguard::rule))]
    Rule {
        file: String,
        rule: String,
        reason: String,
    },

    #[error("{file}: {message}")]
    #[diagnostic(code(keyguard::toml))]
    Toml {
        file: String,
        message: String,
        #[source_code]
        src: NamedSource<String>,
        #[label("{message}")]
        span: Option<SourceSpan>,
    },

    #[error("{file}: {reason}")]
    #[diagnostic(code(keyguard::config))]
    Config {
        file: String,
        reason: String,
        #[source_code]
        src: Option<NamedSource<String>>,
        #[label("here")]
        span: Option<SourceSpan>,
    },

    #[error("{0}")]
    #[diagnostic(code(keyguard::usage))]
    Usage(String),
}

impl Error {
    /// A TOML parse or schema error, pointing at the offending place in `text`.
    pub fn toml(file: &str, text: &str, err: &toml::de::Error) -> Error {
        Error::Toml {
            file: file.to_string(),
            message: err.message().trim().to_string(),
            src: NamedSource::new(file, text.to_string()),
            span: err.span().map(SourceSpan::from),
        }
    }

    pub fn io(path: impl AsRef<std::path::Path>, err: &std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            reason: err.to_string(),
        }
    }
}
