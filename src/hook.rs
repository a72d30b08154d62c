//! `keyguard hook install|uninstall`: a git pre-commit hook for teams without the pre-commit
//! framework. It never clobbers a hook it did not write: it refuses, or with `chain` keeps
//! the existing hook and runs it first. Uninstall removes only what it wrote.

use crate::error::Error;
use std::path::{Path, PathBuf};

/// The line that marks a hook as keyguard's.
const MARKER: &str = "# installed by `keyguard hook install`";
/// Where a chained, pre-existing hook is kept.
const CHAINED: &str = "pre-commit.keyguard-chained";

/// What install or uninstall did, for the binary to tell the user.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Installed(PathBuf),
    /// Installed, and the hook that was there runs first.
    Chained {
        hook: PathBuf,
        previous: PathBuf,
    },
    Removed(PathBuf),
    /// Removed, and the chained hook is back in place.
    Restored(PathBuf),
    NothingToRemove(PathBuf),
}

/// The hooks directory: `core.hooksPath` (relative to the work tree) or `$GIT_DIR/hooks`.
pub fn hooks_dir(repo_path: &Path) -> Result<PathBuf, Error> {
    let repo = gix::discover(repo_path).map_err(|e| Error::Io {
        path: repo_path.display().to_string(),
        reason: format!("not a git repository ({e})"),
    })?;
    let configured = repo
        .config_snapshot()
        .trusted_path("core.hooksPath")
        .ok()
        .flatten();
    Ok(match configured {
        Some(p) if p.is_absolute() => p,
        Some(p) => repo.workdir().unwrap_or(repo.git_dir()).join(p),
        None => repo.git_dir().join("hooks"),
    })
}

fn script(keyguard: &Path, chained: bool) -> String {
    let previous = if chained {
        format!(
            "# The hook that was here before keyguard runs first.\n\"$(dirname \"$0\")/{CHAINED}\" \"$@\" || exit $?\n"
        )
    } else {
        String::new()
    };
    format!(
        "#!/bin/sh\n{MARKER}; remove it with `keyguard hook uninstall`.\n\
         # Blocks commits that add secrets (only added lines count). To accept a false positive,\n\
         # put `keyguard:allow` in a comment on the line.\n\
         {previous}KEYGUARD={kg}\n\
         [ -x \"$KEYGUARD\" ] || KEYGUARD=keyguard\n\
         exec \"$KEYGUARD\" scan --staged\n",
        kg = shell_quote(&keyguard.display().to_string())
    )
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn is_ours(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|t| t.contains(MARKER))
}

/// Install the pre-commit hook in the repository at `repo_path`.
pub fn install(repo_path: &Path, keyguard: &Path, chain: bool) -> Result<Outcome, Error> {
    let dir = hooks_dir(repo_path)?;
    std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, &e))?;
    let hook = dir.join("pre-commit");
    let previous = dir.join(CHAINED);
    let mut chained = false;
    if hook.exists() && !is_ours(&hook) {
        if !chain {
            return Err(Error::Usage(format!(
                "{} already exists and was not written by keyguard; not replacing it. Run `keyguard hook install --chain` to keep it and run keyguard after it, or add keyguard to it yourself",
                hook.display()
            )));
        }
        if previous.exists() {
            return Err(Error::Usage(format!(
                "{} already exists; not overwriting it",
                previous.display()
            )));
        }
        std::fs::rename(&hook, &previous).map_err(|e| Error::io(&hook, &e))?;
        chained = true;
    } else if previous.exists() {
        chained = true; // re-installing over our own chained hook
    }
    crate::report::write_atomic(&hook, script(keyguard, chained).as_bytes())?;
    make_executable(&hook)?;
    Ok(if chained {
        Outcome::Chained { hook, previous }
    } else {
        Outcome::Installed(hook)
    })
}

/// Remove keyguard's hook (only if keyguard wrote it), restoring a chained one.
pub fn uninstall(repo_path: &Path) -> Result<Outcome, Error> {
    let dir = hooks_dir(repo_path)?;
    let hook = dir.join("pre-commit");
    let previous = dir.join(CHAINED);
    if !hook.exists() {
        return Ok(Outcome::NothingToRemove(hook));
    }
    if !is_ours(&hook) {
        return Err(Error::Usage(format!(
            "{} was not written by keyguard; leaving it alone",
            hook.display()
        )));
    }
    std::fs::remove_file(&hook).map_err(|e| Error::io(&hook, &e))?;
    if previous.exists() {
        std::fs::rename(&previous, &hook).map_err(|e| Error::io(&previous, &e))?;
        return Ok(Outcome::Restored(hook));
    }
    Ok(Outcome::Removed(hook))
}

#[cfg(unix)]
fn make_executable(p: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755))
        .map_err(|e| Error::io(p, &e))
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<(), Error> {
    Ok(())
}
