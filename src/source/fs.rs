//! Working-tree source: a parallel walk honouring .gitignore / .ignore and excludes.

use super::{skip_reason, SkipReason};
use crate::error::Error;
use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

#[derive(Debug, Clone)]
pub struct WalkOptions {
    /// Paths are reported relative to this directory.
    pub root: PathBuf,
    /// What to walk: directories and files (often just `root`).
    pub paths: Vec<PathBuf>,
    /// Globs (gitignore syntax, relative to the root) never to scan.
    pub exclude: Vec<String>,
    pub follow_symlinks: bool,
    /// Do not honour .gitignore / .ignore files.
    pub no_ignore: bool,
    pub threads: usize,
}

/// A file the walk found.
#[derive(Debug, Clone)]
pub struct FileEntry {
    pub abs: PathBuf,
    pub rel: String,
    pub size: u64,
}

/// Something the walk could not do, with the path it concerns.
#[derive(Debug, Clone)]
pub struct WalkProblem {
    pub path: String,
    pub message: String,
}

/// Walk `opts.paths` in parallel; entries come back sorted by path.
pub fn walk(opts: &WalkOptions) -> Result<(Vec<FileEntry>, Vec<WalkProblem>), Error> {
    let root = &opts.root;
    for p in &opts.paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(Error::Io {
                path: p.display().to_string(),
                reason: "no such file or directory".into(),
            });
        }
    }
    let mut ov = OverrideBuilder::new(root);
    for g in &opts.exclude {
        ov.add(&format!("!{g}"))
            .map_err(|e| Error::Usage(format!("invalid exclude glob `{g}`: {e}")))?;
    }
    let overrides = ov
        .build()
        .map_err(|e| Error::Usage(format!("invalid exclude globs: {e}")))?;
    let mut b = WalkBuilder::new(&opts.paths[0]);
    for p in &opts.paths[1..] {
        b.add(p);
    }
    b.hidden(false)
        .follow_links(opts.follow_symlinks)
        .overrides(overrides)
        .threads(opts.threads)
        .git_ignore(!opts.no_ignore)
        .git_global(false)
        .git_exclude(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .require_git(false)
        .filter_entry(|e| e.file_name() != ".git");
    let files = Mutex::new(Vec::new());
    let problems = Mutex::new(Vec::new());
    b.build_parallel().run(|| {
        let files = &files;
        let problems = &problems;
        Box::new(move |entry| {
            match entry {
                Ok(e) => {
                    let is_file = e.file_type().is_some_and(|t| t.is_file());
                    if is_file {
                        let size = e.metadata().map(|m| m.len()).unwrap_or(0);
                        let rel = relative(root, e.path());
                        files.lock().unwrap().push(FileEntry {
                            abs: e.path().to_path_buf(),
                            rel,
                            size,
                        });
                    } else if e.path_is_symlink() && opts.follow_symlinks {
                        // A symlink that could not be followed (dangling).
                        problems.lock().unwrap().push(WalkProblem {
                            path: relative(root, e.path()),
                            message: "cannot follow symbolic link (target missing)".into(),
                        });
                    }
                }
                Err(err) => problems.lock().unwrap().push(walk_problem(root, &err)),
            }
            WalkState::Continue
        })
    });
    let mut files = files.into_inner().unwrap();
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    let mut problems = problems.into_inner().unwrap();
    problems.sort_by(|a, b| a.path.cmp(&b.path));
    Ok((files, problems))
}

fn walk_problem(root: &Path, err: &ignore::Error) -> WalkProblem {
    use ignore::Error as E;
    fn inner(root: &Path, err: &ignore::Error, path: Option<&Path>) -> WalkProblem {
        match err {
            E::WithPath { path, err } => inner(root, err, Some(path)),
            E::WithDepth { err, .. } => inner(root, err, path),
            E::WithLineNumber { err, .. } => inner(root, err, path),
            E::Loop { child, ancestor } => WalkProblem {
                path: relative(root, child),
                message: format!(
                    "symbolic link loop (points back to {}); not followed",
                    relative(root, ancestor)
                ),
            },
            other => WalkProblem {
                path: path
                    .map(|p| relative(root, p))
                    .unwrap_or_else(|| "?".into()),
                message: other.to_string(),
            },
        }
    }
    inner(root, err, None)
}

/// `/`-separated path of `p` relative to `root` (`p` itself when it is not under `root`).
pub fn relative(root: &Path, p: &Path) -> String {
    let rel = p.strip_prefix(root).unwrap_or(p);
    let s = rel.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        s.into_owned()
    } else {
        s.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// Read a walked file into `buf` (cleared first, reused across files so the common path
/// allocates nothing), or say why it is skipped.
/// Read a file whole into `buf` (the scan decides what its bytes are).
pub fn read_whole(entry: &FileEntry, buf: &mut Vec<u8>) -> Result<(), String> {
    buf.clear();
    std::fs::File::open(&entry.abs)
        .and_then(|mut f| f.read_to_end(buf))
        .map(drop)
        .map_err(|e| e.to_string())
}

pub fn read_into(
    entry: &FileEntry,
    max_size: u64,
    buf: &mut Vec<u8>,
) -> Result<(), (SkipReason, Option<String>)> {
    buf.clear();
    if entry.size > max_size {
        return Err((SkipReason::TooLarge, None));
    }
    let f = std::fs::File::open(&entry.abs)
        .map_err(|e| (SkipReason::Unreadable, Some(e.to_string())))?;
    // Never read past the limit, even if the file grew since the walk.
    f.take(max_size + 1)
        .read_to_end(buf)
        .map_err(|e| (SkipReason::Unreadable, Some(e.to_string())))?;
    if let Some(reason) = skip_reason(buf, max_size) {
        return Err((reason, None));
    }
    Ok(())
}
