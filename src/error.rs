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

    #[error(transparent)]
    #[diagnostic(transparent)]
    Toml(Box<TomlError>),

    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(Box<ConfigError>),

    #[error("{0}")]
    #[diagnostic(code(keyguard::usage))]
    Usage(String),
}

/// A TOML syntax or schema error in a configuration, rule or policy file.
#[derive(Debug, Error, Diagnostic)]
#[error("{file}: {message}")]
#[diagnostic(code(keyguard::toml))]
pub struct TomlError {
    pub file: String,
    pub message: String,
    #[source_code]
    pub src: NamedSource<String>,
    #[label("{message}")]
    pub span: Option<SourceSpan>,
}

/// A well-formed file with a value keyguard cannot use.
#[derive(Debug, Error, Diagnostic)]
#[error("{file}: {reason}")]
#[diagnostic(code(keyguard::config))]
pub struct ConfigError {
    pub file: String,
    pub reason: String,
    #[source_code]
    pub src: Option<NamedSource<String>>,
    #[label("here")]
    pub span: Option<SourceSpan>,
}

impl Error {
    /// A TOML parse or schema error, pointing at the offending place in `text`.
    pub fn toml(file: &str, text: &str, err: &toml::de::Error) -> Error {
        Error::Toml(Box::new(TomlError {
            file: file.to_string(),
            message: err.message().trim().to_string(),
            src: NamedSource::new(file, text.to_string()),
            span: err.span().map(SourceSpan::from),
        }))
    }

    /// A problem with a value in `file`, pointing at `span` of `text` when known.
    pub fn config(
        file: &str,
        reason: String,
        text: Option<&str>,
        span: Option<std::ops::Range<usize>>,
    ) -> Error {
        Error::Config(Box::new(ConfigError {
            file: file.to_string(),
            reason,
            src: text.map(|t| NamedSource::new(file, t.to_string())),
            span: span.map(SourceSpan::from),
        }))
    }

    pub fn io(path: impl AsRef<std::path::Path>, err: &std::io::Error) -> Error {
        Error::Io {
            path: path.as_ref().display().to_string(),
            reason: err.to_string(),
        }
    }
}
