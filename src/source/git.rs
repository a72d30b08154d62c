//! Git history source: every blob reachable from every ref (or every object in the database),
//! each distinct blob once, with the commit and path that first introduced it.
//!
//! The walk reads commits and trees only: commits are ordered parents-first (oldest first
//! among siblings), then each commit's tree is walked while skipping every subtree already
//! seen. The first time a blob id turns up is therefore in the earliest commit that has it,
//! at the path it had there. Blob contents are read later, in parallel, by the scan.

use crate::error::Error;
use gix::hash::ObjectId;
use gix::objs::tree::EntryKind;
use gix::objs::{CommitRef, Find, TreeRefIter};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::path::Path;

#[derive(Debug, Clone, Default)]
pub struct HistoryOptions {
    /// Also scan objects no ref reaches (dangling commits after a force-push, dropped stashes,
    /// blobs added and never committed).
    pub all_objects: bool,
    /// Only this revision's history (a branch, tag or commit).
    pub branch: Option<String>,
    /// Only what commits in `BASE..HEAD` introduce: `(base, head)` (the pull-request check).
    pub range: Option<(String, String)>,
    /// Only the tip commits' trees, not their ancestors (`sweep --head-only` with
    /// `branch = HEAD`). Findings are attributed to the tip commit.
    pub tip_only: bool,
}

/// A commit, as much as the walk needs.
#[derive(Debug, Clone)]
pub struct CommitMeta {
    pub id: ObjectId,
    pub time: i64,
}

/// Where a blob was first seen.
#[derive(Debug, Clone)]
pub struct BlobSite {
    pub id: ObjectId,
    /// Index into [`HistoryIndex::commits`]; `None` for a blob no commit holds.
    pub commit: Option<u32>,
    pub path: String,
    /// How many other paths hold the same blob (in any commit).
    pub also_in: u32,
}

/// The result of enumerating a repository's history.
#[derive(Debug, Default)]
pub struct HistoryIndex {
    /// Parents before children.
    pub commits: Vec<CommitMeta>,
    /// Distinct blobs, in the order they were first met.
    pub blobs: Vec<BlobSite>,
    pub refs: usize,
    pub shallow: bool,
    pub submodules: usize,
    /// For a range: the base-side commits the walk stopped at.
    pub boundary: Vec<ObjectId>,
    /// Problems met on the way (missing or corrupt objects, odd refs): the walk went on.
    pub warnings: Vec<(String, String)>,
}

/// Open a repository (bare or not, a worktree or a path inside one) without reading user or
/// system git configuration, so nothing outside the repository changes what is scanned.
pub fn open(path: &Path) -> Result<gix::Repository, Error> {
    gix::ThreadSafeRepository::discover_opts(
        path,
        Default::default(),
        gix::sec::trust::Mapping {
            full: gix::open::Options::isolated(),
            reduced: gix::open::Options::isolated(),
        },
    )
    .map(|r| r.to_thread_local())
    .map_err(|e| Error::Io {
        path: path.display().to_string(),
        reason: format!("not a git repository ({e})"),
    })
}

/// Give `repo` a delta-base cache of `bytes`: history walks resolve the same delta chains
/// over and over, and without a cache each lookup decodes its chain from the base.
pub fn with_caches(repo: &mut gix::Repository, bytes: usize) {
    repo.objects.set_pack_cache(move || {
        Box::new(gix::odb::pack::cache::lru::MemoryCappedHashmap::new(bytes))
    });
}

/// Walk the history and list every distinct blob with its first commit and path.
pub fn enumerate(repo: &gix::Repository, opts: &HistoryOptions) -> Result<HistoryIndex, Error> {
    enumerate_with(repo, opts, &mut |_, _| {})
}

/// [`enumerate`], calling `on_blob(index, site)` as soon as each new blob is found, so its
/// scan can start while the walk goes on.
pub fn enumerate_with(
    repo: &gix::Repository,
    opts: &HistoryOptions,
    on_blob: &mut dyn FnMut(usize, &BlobSite),
) -> Result<HistoryIndex, Error> {
    let mut repo = repo.clone();
    with_caches(&mut repo, 64 << 20);
    let repo = &repo;
    let mut idx = HistoryIndex {
        shallow: repo.is_shallow().unwrap_or(false),
        ..HistoryIndex::default()
    };
    let (tips, stray_blobs) = tips(repo, opts, &mut idx)?;
    // A range stops at everything BASE reaches, and what BASE's side already had is known.
    let stop = match &opts.range {
        Some((base, _)) => reachable(repo, resolve(repo, base)?),
        None => HashSet::new(),
    };
    let (trees, boundary) = walk_commits(repo, tips, &mut idx, &stop, opts.tip_only);
    let seed: Vec<ObjectId> = boundary
        .iter()
        .filter_map(|c| commit_tree(repo, *c))
        .collect();
    idx.boundary = boundary;
    walk_trees(repo, &seed, trees, &mut idx, on_blob);
    if opts.all_objects {
        let known: HashSet<ObjectId> = idx.blobs.iter().map(|b| b.id).collect();
        for id in stray_blobs {
            if !known.contains(&id) {
                idx.blobs.push(BlobSite {
                    id,
                    commit: None,
                    path: format!("(unreachable blob {})", id.to_hex_with_len(12)),
                    also_in: 0,
                });
                on_blob(idx.blobs.len() - 1, idx.blobs.last().expect("just pushed"));
            }
        }
    }
    Ok(idx)
}

/// Commit ids to start from, and (with `all_objects`) every blob in the database.
fn tips(
    repo: &gix::Repository,
    opts: &HistoryOptions,
    idx: &mut HistoryIndex,
) -> Result<(Vec<ObjectId>, Vec<ObjectId>), Error> {
    let git_dir = repo.git_dir().display().to_string();
    let mut tips = Vec::new();
    if let Some(rev) = opts
        .branch
        .as_ref()
        .or(opts.range.as_ref().map(|(_, head)| head))
    {
        tips.push(resolve(repo, rev)?);
        idx.refs = 1;
        return Ok((tips, Vec::new()));
    }
    let platform = repo.references().map_err(|e| Error::Io {
        path: git_dir.clone(),
        reason: format!("cannot read refs: {e}"),
    })?;
    let all = platform.all().map_err(|e| Error::Io {
        path: git_dir.clone(),
        reason: format!("cannot read refs: {e}"),
    })?;
    for r in all {
        let mut r = match r {
            Ok(r) => r,
            Err(e) => {
                idx.warnings
                    .push((git_dir.clone(), format!("unreadable ref: {e}")));
                continue;
            }
        };
        let name = r.name().as_bstr().to_string();
        match r.peel_to_id() {
            Ok(id) => {
                idx.refs += 1;
                tips.push(id.detach());
            }
            Err(e) => idx
                .warnings
                .push((name, format!("ref cannot be resolved: {e}"))),
        }
    }
    if let Ok(head) = repo.head_id() {
        tips.push(head.detach());
    }
    let mut stray_blobs = Vec::new();
    if opts.all_objects {
        let iter = repo.objects.iter().map_err(|e| Error::Io {
            path: git_dir.clone(),
            reason: format!("cannot list objects: {e}"),
        })?;
        let mut seen = HashSet::new();
        for id in iter {
            let Ok(id) = id else { continue };
            if !seen.insert(id) {
                continue;
            }
            match repo.find_header(id).map(|h| h.kind()) {
                Ok(gix::object::Kind::Commit) => tips.push(id),
                Ok(gix::object::Kind::Blob) => stray_blobs.push(id),
                Ok(_) => {}
                Err(e) => idx
                    .warnings
                    .push((id.to_string(), format!("object cannot be read: {e}"))),
            }
        }
    }
    Ok((tips, stray_blobs))
}

/// A revision (branch, tag, commit, `HEAD~2`…) as a commit id; an error names it.
pub fn resolve(repo: &gix::Repository, rev: &str) -> Result<ObjectId, Error> {
    repo.rev_parse_single(rev)
        .map(|id| id.detach())
        .map_err(|e| Error::Usage(format!("unknown revision `{rev}`: {e}")))
}

/// Every commit reachable from `from`.
fn reachable(repo: &gix::Repository, from: ObjectId) -> HashSet<ObjectId> {
    let mut seen = HashSet::new();
    let mut stack = vec![from];
    let mut buf = Vec::new();
    while let Some(id) = stack.pop() {
        if !seen.insert(id) {
            continue;
        }
        if let Ok(Some(d)) = repo.objects.try_find(&id, &mut buf) {
            if let Ok(c) = CommitRef::from_bytes(d.data, repo.object_hash()) {
                stack.extend(c.parents());
            }
        }
    }
    seen
}

fn commit_tree(repo: &gix::Repository, id: ObjectId) -> Option<ObjectId> {
    let mut buf = Vec::new();
    let d = repo.objects.try_find(&id, &mut buf).ok()??;
    CommitRef::from_bytes(d.data, repo.object_hash())
        .ok()
        .map(|c| c.tree())
}

/// Collect every commit reachable from `tips` (not crossing into `stop`) and order them
/// parents first; returns each commit's root tree in the same order, and the `stop` commits
/// met as parents (the range's boundary).
fn walk_commits(
    repo: &gix::Repository,
    tips: Vec<ObjectId>,
    idx: &mut HistoryIndex,
    stop: &HashSet<ObjectId>,
    tip_only: bool,
) -> (Vec<ObjectId>, Vec<ObjectId>) {
    let mut boundary = HashSet::new();
    let mut buf = Vec::new();
    let mut index: HashMap<ObjectId, u32> = HashMap::new();
    let mut metas: Vec<(CommitMeta, ObjectId, Vec<ObjectId>)> = Vec::new();
    let mut stack = tips;
    let mut missing_parents = 0usize;
    while let Some(id) = stack.pop() {
        if index.contains_key(&id) {
            continue;
        }
        if stop.contains(&id) {
            boundary.insert(id);
            continue;
        }
        let data = match repo.objects.try_find(&id, &mut buf) {
            Ok(Some(d)) => d,
            Ok(None) => {
                missing_parents += 1;
                if !idx.shallow {
                    idx.warnings.push((
                        id.to_string(),
                        "commit is missing from the object database".into(),
                    ));
                }
                continue;
            }
            Err(e) => {
                idx.warnings
                    .push((id.to_string(), format!("commit cannot be read: {e}")));
                continue;
            }
        };
        if data.kind != gix::object::Kind::Commit {
            // A ref to a tag of a tree or blob: rare; the blob walk does not cover it.
            idx.warnings.push((
                id.to_string(),
                format!("ref points to a {} (not a commit); not scanned", data.kind),
            ));
            continue;
        }
        let commit = match CommitRef::from_bytes(data.data, repo.object_hash()) {
            Ok(c) => c,
            Err(e) => {
                idx.warnings
                    .push((id.to_string(), format!("corrupt commit: {e}")));
                continue;
            }
        };
        let parents: Vec<ObjectId> = commit.parents().collect();
        let time = commit.time().map(|t| t.seconds).unwrap_or(0);
        let tree = commit.tree();
        index.insert(id, metas.len() as u32);
        if !tip_only {
            stack.extend(parents.iter().copied());
        }
        metas.push((CommitMeta { id, time }, tree, parents));
    }
    if idx.shallow && missing_parents > 0 {
        idx.warnings.push((
            repo.git_dir().display().to_string(),
            "shallow clone: history before the shallow boundary is not in the repository and was not scanned".into(),
        ));
    }
    // Kahn's algorithm: a commit becomes ready when all its (present) parents are placed;
    // among ready commits the oldest goes first.
    let n = metas.len();
    let mut pending = vec![0u32; n];
    let mut children: Vec<Vec<u32>> = vec![Vec::new(); n];
    for (i, (_, _, parents)) in metas.iter().enumerate() {
        for p in parents {
            if let Some(&pi) = index.get(p) {
                pending[i] += 1;
                children[pi as usize].push(i as u32);
            }
        }
    }
    let mut ready: BinaryHeap<std::cmp::Reverse<(i64, u32)>> = (0..n)
        .filter(|&i| pending[i] == 0)
        .map(|i| std::cmp::Reverse((metas[i].0.time, i as u32)))
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(std::cmp::Reverse((_, i))) = ready.pop() {
        order.push(i);
        for &c in &children[i as usize] {
            pending[c as usize] -= 1;
            if pending[c as usize] == 0 {
                ready.push(std::cmp::Reverse((metas[c as usize].0.time, c)));
            }
        }
    }
    idx.commits = order.iter().map(|&i| metas[i as usize].0.clone()).collect();
    let mut boundary: Vec<ObjectId> = boundary.into_iter().collect();
    boundary.sort();
    (
        order.iter().map(|&i| metas[i as usize].1).collect(),
        boundary,
    )
}

/// Walk each commit's tree, skipping subtrees already seen at the same path, recording each
/// blob's first site.
/// `seed` trees are walked first, silently: what they hold is known already (a range's
/// base side) and is neither reported nor scanned.
fn walk_trees(
    repo: &gix::Repository,
    seed: &[ObjectId],
    trees: Vec<ObjectId>,
    idx: &mut HistoryIndex,
    on_blob: &mut dyn FnMut(usize, &BlobSite),
) {
    // A tree is walked once per path it appears at: an unchanged directory costs nothing in
    // later commits, and a directory copied or moved elsewhere still counts its new paths.
    // Paths are identified by a running hash, so entries already seen cost no allocation.
    let mut seen_trees: FxHashSet<(ObjectId, u64)> = FxHashSet::default();
    let mut blob_at: FxHashMap<ObjectId, u32> = FxHashMap::default();
    // (blob, path) pairs already counted, so a path is counted once per blob.
    let mut blob_paths: FxHashSet<(u32, u64)> = FxHashSet::default();
    let mut submodule_paths: FxHashSet<u64> = FxHashSet::default();
    let mut buf = Vec::new();
    let roots = seed
        .iter()
        .map(|t| (None, *t))
        .chain(trees.into_iter().enumerate().map(|(ci, t)| (Some(ci), t)));
    for (ci, tree) in roots {
        if !seen_trees.insert((tree, ROOT_HASH)) {
            continue;
        }
        let mut stack = vec![(tree, String::new(), ROOT_HASH)];
        while let Some((tid, prefix, prefix_hash)) = stack.pop() {
            let data = match repo.objects.try_find(&tid, &mut buf) {
                Ok(Some(d)) if d.kind == gix::object::Kind::Tree => d,
                Ok(Some(d)) => {
                    idx.warnings.push((
                        tid.to_string(),
                        format!("expected a tree, found a {}", d.kind),
                    ));
                    continue;
                }
                Ok(None) => {
                    idx.warnings.push((
                        tid.to_string(),
                        format!(
                            "tree `{}` is missing from the object database",
                            display_dir(&prefix)
                        ),
                    ));
                    continue;
                }
                Err(e) => {
                    idx.warnings.push((
                        tid.to_string(),
                        format!("tree `{}` cannot be read: {e}", display_dir(&prefix)),
                    ));
                    continue;
                }
            };
            for entry in TreeRefIter::from_bytes(data.data, repo.object_hash()) {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        idx.warnings
                            .push((tid.to_string(), format!("corrupt tree: {e}")));
                        break;
                    }
                };
                let hash = child_hash(prefix_hash, entry.filename);
                let path = || {
                    let name = String::from_utf8_lossy(entry.filename);
                    if prefix.is_empty() {
                        name.into_owned()
                    } else {
                        format!("{prefix}/{name}")
                    }
                };
                match entry.mode.kind() {
                    EntryKind::Tree => {
                        let oid = entry.oid.to_owned();
                        if seen_trees.insert((oid, hash)) {
                            stack.push((oid, path(), hash));
                        }
                    }
                    EntryKind::Blob | EntryKind::BlobExecutable => match blob_at.get(entry.oid) {
                        Some(&KNOWN) => {}
                        None if ci.is_none() => {
                            blob_at.insert(entry.oid.to_owned(), KNOWN);
                        }
                        Some(&b) => {
                            if blob_paths.insert((b, hash)) {
                                idx.blobs[b as usize].also_in += 1;
                            }
                        }
                        None => {
                            let b = idx.blobs.len() as u32;
                            let oid = entry.oid.to_owned();
                            blob_at.insert(oid, b);
                            blob_paths.insert((b, hash));
                            idx.blobs.push(BlobSite {
                                id: oid,
                                commit: ci.map(|c| c as u32),
                                path: path(),
                                also_in: 0,
                            });
                            on_blob(b as usize, &idx.blobs[b as usize]);
                        }
                    },
                    EntryKind::Commit => {
                        submodule_paths.insert(hash);
                    }
                    EntryKind::Link => {}
                }
            }
        }
    }
    idx.submodules = submodule_paths.len();
}

const ROOT_HASH: u64 = 0xcbf2_9ce4_8422_2325;
/// `blob_at` marker for blobs the range's base already has.
const KNOWN: u32 = u32::MAX;

/// FNV-1a of `parent/name`, continued from the parent's hash.
fn child_hash(parent: u64, name: &[u8]) -> u64 {
    let mut h = parent ^ u64::from(b'/');
    h = h.wrapping_mul(0x0100_0000_01b3);
    for &b in name {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn display_dir(prefix: &str) -> &str {
    if prefix.is_empty() {
        "/"
    } else {
        prefix
    }
}

/// The content of the file at `path` in `commit`, if it exists there.
pub fn file_at(repo: &gix::Repository, commit: ObjectId, path: &str) -> Option<Vec<u8>> {
    let tree = repo.find_commit(commit).ok()?.tree().ok()?;
    let entry = tree.lookup_entry_by_path(path).ok()??;
    let mut buf = Vec::new();
    let d = repo.objects.try_find(entry.oid(), &mut buf).ok()??;
    Some(d.data.to_vec())
}

/// Does the file at `path` in `commit` already contain `secret`? (A range's findings that
/// the base side already had are not new.)
pub fn commit_file_contains(
    repo: &gix::Repository,
    commit: ObjectId,
    path: &str,
    secret: &[u8],
) -> bool {
    let Ok(c) = repo.find_commit(commit) else {
        return false;
    };
    let Ok(tree) = c.tree() else {
        return false;
    };
    let Ok(Some(entry)) = tree.lookup_entry_by_path(path) else {
        return false;
    };
    let mut buf = Vec::new();
    match repo.objects.try_find(entry.oid(), &mut buf) {
        Ok(Some(d)) => memchr::memmem::find(d.data, secret).is_some(),
        _ => false,
    }
}

/// What a report says about a commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommitInfo {
    pub id: String,
    pub author: String,
    pub email: String,
    /// Author date, ISO 8601 with the author's UTC offset.
    pub date: String,
    pub summary: String,
}

/// Decode the commit's author, date and summary (done only for commits with findings).
pub fn commit_info(repo: &gix::Repository, id: ObjectId) -> CommitInfo {
    let mut buf = Vec::new();
    let fallback = || CommitInfo {
        id: id.to_string(),
        author: String::new(),
        email: String::new(),
        date: String::new(),
        summary: String::new(),
    };
    let Ok(Some(data)) = repo.objects.try_find(&id, &mut buf) else {
        return fallback();
    };
    let Ok(c) = CommitRef::from_bytes(data.data, repo.object_hash()) else {
        return fallback();
    };
    let (author, email, date) = match c.author() {
        Ok(sig) => (
            sig.name.to_string(),
            sig.email.to_string(),
            sig.time().map(iso_date).unwrap_or_default(),
        ),
        Err(_) => Default::default(),
    };
    CommitInfo {
        id: id.to_string(),
        author,
        email,
        date,
        summary: c.message().summary().to_string(),
    }
}

/// `2024-05-01T12:34:56+02:00` from git's seconds and offset.
fn iso_date(t: gix::date::Time) -> String {
    let local = t.seconds + t.offset as i64;
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let secs = local.rem_euclid(86_400);
    let sign = if t.offset < 0 { '-' } else { '+' };
    let off = t.offset.unsigned_abs();
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}{sign}{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60,
        off / 3600,
        off % 3600 / 60
    )
}

/// Civil date (year, month, day) from days since 1970-01-01 (Howard Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A file of a tree: its path and content.
pub type PathBytes = (String, Vec<u8>);

/// Files of a tree, and (object, problem) warnings met reading it.
pub type TreeFiles = (Vec<PathBytes>, Vec<(String, String)>);

/// Every file of HEAD's tree (path, content), for checking configuration in a repository
/// without a working tree (a bare clone in a sweep's cache). Files over `max` bytes and
/// submodules are left out; unreadable objects are skipped with a warning.
pub fn head_files(repo: &gix::Repository, max: u64) -> Result<TreeFiles, Error> {
    let head = repo.head_commit().map_err(|e| Error::Io {
        path: repo.path().display().to_string(),
        reason: format!("the repository has no HEAD commit ({e})"),
    })?;
    let root = head
        .tree_id()
        .map_err(|e| Error::Io {
            path: repo.path().display().to_string(),
            reason: format!("HEAD has no tree ({e})"),
        })?
        .detach();
    let (mut files, mut warnings) = (Vec::new(), Vec::new());
    let mut buf = Vec::new();
    let mut stack = vec![(root, String::new())];
    while let Some((tid, prefix)) = stack.pop() {
        let entries: Vec<(EntryKind, ObjectId, String)> =
            match repo.objects.try_find(&tid, &mut buf) {
                Ok(Some(d)) if d.kind == gix::object::Kind::Tree => {
                    TreeRefIter::from_bytes(d.data, repo.object_hash())
                        .filter_map(Result::ok)
                        .map(|e| {
                            let name = String::from_utf8_lossy(e.filename);
                            let path = if prefix.is_empty() {
                                name.into_owned()
                            } else {
                                format!("{prefix}/{name}")
                            };
                            (e.mode.kind(), e.oid.to_owned(), path)
                        })
                        .collect()
                }
                _ => {
                    warnings.push((tid.to_string(), format!("tree `{prefix}` cannot be read")));
                    continue;
                }
            };
        for (kind, oid, path) in entries {
            match kind {
                EntryKind::Tree => stack.push((oid, path)),
                EntryKind::Blob | EntryKind::BlobExecutable => {
                    match repo.objects.try_find(&oid, &mut buf) {
                        Ok(Some(d)) if (d.data.len() as u64) <= max => {
                            files.push((path, d.data.to_vec()))
                        }
                        Ok(Some(_)) => {}
                        _ => warnings.push((path, format!("blob {oid} cannot be read"))),
                    }
                }
                _ => {}
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((files, warnings))
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates() {
        let t = |seconds, offset| super::iso_date(gix::date::Time { seconds, offset });
        assert_eq!(t(0, 0), "1970-01-01T00:00:00+00:00");
        assert_eq!(t(1_700_000_000, 3600), "2023-11-14T23:13:20+01:00");
        assert_eq!(t(951_782_400, -18_000), "2000-02-28T19:00:00-05:00");
    }
}
