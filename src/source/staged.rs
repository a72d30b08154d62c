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

/// HEAD's blobs, read only where the index may differ: a directory whose cache-tree entry
/// (the index's `TREE` extension, kept valid by git for directories nothing was staged in)
/// names the same tree as HEAD is unchanged, and neither it nor the index entries under it
/// are looked at. A commit touching one file of a 100k-file repository reads the trees on
/// that file's path, not all of them.
struct HeadWalk<'r> {
    repo: &'r gix::Repository,
    /// (path, blob) of HEAD in the directories that may have changed.
    blobs: Vec<(Vec<u8>, ObjectId)>,
    /// Directories (`a/b/`) known unchanged.
    pruned: Vec<Vec<u8>>,
}

impl HeadWalk<'_> {
    fn walk(
        &mut self,
        prefix: &[u8],
        tree: ObjectId,
        cache: Option<&gix::index::extension::Tree>,
    ) -> Result<(), String> {
        if cache.is_some_and(|c| c.num_entries.is_some() && c.id == tree) {
            self.pruned.push(prefix.to_vec());
            return Ok(());
        }
        let t = self
            .repo
            .find_tree(tree)
            .map_err(|e| format!("cannot read HEAD's tree {tree}: {e}"))?;
        let decoded = t
            .decode()
            .map_err(|e| format!("cannot decode HEAD's tree {tree}: {e}"))?;
        let children: std::collections::HashMap<&[u8], &gix::index::extension::Tree> = cache
            .map(|c| c.children.iter().map(|k| (k.name.as_slice(), k)).collect())
            .unwrap_or_default();
        let mut dirs = Vec::new();
        for e in &decoded.entries {
            let mut path = prefix.to_vec();
            path.extend_from_slice(e.filename);
            if e.mode.is_tree() {
                path.push(b'/');
                let child = children.get(e.filename.as_ref() as &[u8]).copied();
                dirs.push((path, e.oid.to_owned(), child));
            } else if e.mode.is_blob() {
                self.blobs.push((path, e.oid.to_owned()));
            }
        }
        for (path, id, child) in dirs {
            self.walk(&path, id, child)?;
        }
        Ok(())
    }
}

/// Compare the index with HEAD's tree: both sorted by path, one merge-join pass over the
/// parts that may differ (see [`HeadWalk`]).
pub fn staged(repo: &gix::Repository) -> Result<Staged, Error> {
    let git_dir = repo.git_dir().display().to_string();
    // The index git has just written: its trailing SHA-1 is not recomputed (git's own
    // `index.skipHash`), half the cost of reading a 100k-entry index; a damaged one still
    // fails to parse.
    let index = gix::index::File::at_or_default(
        repo.index_path(),
        repo.object_hash(),
        true,
        Default::default(),
    )
    .map_err(|e| Error::Io {
        path: git_dir.clone(),
        reason: format!("cannot read the index: {e}"),
    })?;
    let mut walk = HeadWalk {
        repo,
        blobs: Vec::new(),
        pruned: Vec::new(),
    };
    let has_head = match repo.head_tree_id() {
        Ok(tree) => {
            walk.walk(b"", tree.detach(), index.tree())
                .map_err(|reason| Error::Io {
                    path: git_dir.clone(),
                    reason,
                })?;
            true
        }
        // No HEAD yet: the first commit, everything staged is new.
        Err(_) => false,
    };
    let mut out = Staged {
        has_head,
        ..Staged::default()
    };
    let mut head = walk.blobs;
    head.sort();
    let mut pruned = walk.pruned;
    pruned.sort();
    // Pruned directories never nest, so the one that could hold `p` is the greatest one
    // sorting at or before it (the root pruned, `""`, holds everything: nothing staged).
    let under_pruned = |p: &[u8]| {
        let i = pruned.partition_point(|d| d.as_slice() <= p);
        i > 0 && p.starts_with(&pruned[i - 1])
    };
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
        .filter(|(p, _)| pruned.is_empty() || !under_pruned(p))
        .collect();
    let (mut i, mut j) = (0, 0);
    let mut removed = Vec::new();
    let mut new_paths = Vec::new();
    while i < head.len() || j < staged.len() {
        match (head.get(i), staged.get(j)) {
            (Some(h), Some(s)) if h.0.as_slice() == s.0 => {
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
            (Some(h), Some(s)) if h.0.as_slice() < s.0 => {
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
        // A new path holding a blob HEAD already has in a directory read here (a rename
        // or a copy next to a changed file) adds no content.
        let head_blobs: HashSet<ObjectId> = head.iter().map(|(_, id)| *id).collect();
        for (path, id) in new_paths {
            if head_blobs.contains(&id) {
                continue;
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
