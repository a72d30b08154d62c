//! Staged changes (the pre-commit gate): what the index holds that HEAD does not, read from
//! the object database (`git add` has already written the blobs), never from the work tree.

use crate::error::Error;
use gix::hash::ObjectId;
use gix::index::entry::Mode;
use std::collections::HashSet;

/// A staged file whose content differs from HEAD.
#[derive(Debug, Clone)]
pub struct StagedFile {
    /// Path relative to the repository's work tree, `/`-separated.
    pub path: String,
    /// The staged blob.
    pub id: ObjectId,
    /// The blobs its lines are compared with: the same path in HEAD, or, for a new path,
    /// the blobs of paths this commit removes (a rename).
    pub old: Vec<ObjectId>,
}

/// What is staged: changed or added files, and how many paths the commit deletes.
#[derive(Debug, Default)]
pub struct Staged {
    pub files: Vec<StagedFile>,
    pub deleted: usize,
    /// Staged entries that are not regular files (symlinks, submodules): not scanned.
    pub other: usize,
    /// HEAD exists (false in a repository's first commit).
    pub has_head: bool,
}

fn blob_mode(m: Mode) -> bool {
    m == Mode::FILE || m == Mode::FILE_EXECUTABLE
}

/// Compare the index with HEAD's tree: both are sorted by path, so one merge-join pass finds
/// what changed, with no hashing of paths.
pub fn staged(repo: &gix::Repository) -> Result<Staged, Error> {
    let git_dir = repo.git_dir().display().to_string();
    let index = repo.index_or_empty().map_err(|e| Error::Io {
        path: git_dir.clone(),
        reason: format!("cannot read the index: {e}"),
    })?;
    let head_index = match repo.head_tree_id() {
        Ok(tree) => Some(repo.index_from_tree(&tree).map_err(|e| Error::Io {
            path: git_dir.clone(),
            reason: format!("cannot read HEAD's tree: {e}"),
        })?),
        // No HEAD yet: the first commit, everything staged is new.
        Err(_) => None,
    };
    let mut out = Staged {
        has_head: head_index.is_some(),
        ..Staged::default()
    };
    let head: Vec<(&[u8], ObjectId)> = head_index
        .as_ref()
        .map(|h| {
            h.entries()
                .iter()
                .filter(|e| blob_mode(e.mode))
                .map(|e| (e.path(h).as_ref(), e.id))
                .collect()
        })
        .unwrap_or_default();
    let staged: Vec<(&[u8], ObjectId)> = index
        .entries()
        .iter()
        .filter(|e| {
            if !blob_mode(e.mode) {
                out.other += 1;
                return false;
            }
            e.stage_raw() == 0 // an unresolved conflict: stage 0 is what will be committed
        })
        .map(|e| (e.path(&index).as_ref(), e.id))
        .collect();
    let (mut i, mut j) = (0, 0);
    let mut removed = Vec::new();
    let mut new_paths = Vec::new();
    while i < head.len() || j < staged.len() {
        match (head.get(i), staged.get(j)) {
            (Some(h), Some(s)) if h.0 == s.0 => {
                if h.1 != s.1 {
                    out.files.push(StagedFile {
                        path: String::from_utf8_lossy(s.0).into_owned(),
                        id: s.1,
                        old: vec![h.1],
                    });
                }
                i += 1;
                j += 1;
            }
            (Some(h), Some(s)) if h.0 < s.0 => {
                removed.push(h.1);
                i += 1;
            }
            (Some(h), None) => {
                removed.push(h.1);
                i += 1;
            }
            (_, Some(s)) => {
                new_paths.push(*s);
                j += 1;
            }
            (None, None) => break,
        }
    }
    out.deleted = removed.len();
    if !new_paths.is_empty() {
        let head_blobs: HashSet<ObjectId> = head.iter().map(|(_, id)| *id).collect();
        for (path, id) in new_paths {
            if head_blobs.contains(&id) {
                continue; // a pure rename or copy: no new content
            }
            out.files.push(StagedFile {
                path: String::from_utf8_lossy(path).into_owned(),
                id,
                old: removed.clone(),
            });
        }
    }
    out.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// 1-based numbers of the lines of `new` whose content appears in none of `old`: the lines
/// this change adds. A line moved within or between files is not added.
pub fn added_lines(new: &[u8], old: &[Vec<u8>]) -> HashSet<usize> {
    let known: HashSet<&[u8]> = old
        .iter()
        .flat_map(|o| o.split(|&b| b == b'\n').map(trim_cr))
        .collect();
    new.split(|&b| b == b'\n')
        .map(trim_cr)
        .enumerate()
        .filter(|(_, l)| !known.contains(l))
        .map(|(i, _)| i + 1)
        .collect()
}

fn trim_cr(l: &[u8]) -> &[u8] {
    l.strip_suffix(b"\r").unwrap_or(l)
}

#[cfg(test)]
mod tests {
    #[test]
    fn added_lines_ignore_moved_lines() {
        let old = vec![b"a\nsecret\nc\n".to_vec()];
        let added = super::added_lines(b"secret\na\nnew line\r\nc\n", &old);
        assert_eq!(added, [3].into_iter().collect());
    }
}
