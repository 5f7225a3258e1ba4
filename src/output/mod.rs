//! Generated files held in memory, then written all-or-nothing and only inside the output directory.

pub(crate) mod fingerprints;
pub(crate) mod journal;
pub(crate) mod lock;
pub(crate) mod manifest;
pub(crate) mod sink;
#[doc(hidden)]
pub mod yaml;

use manifest::{Claim, Manifest};

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Why outputs could not be written. Earlier outputs are left as they were.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A relative output path would leave the output directory.
    #[error("refusing to write `{0}`: it is not a plain path inside the output directory")]
    UnsafePath(String),
    /// The output directory exists but is not a directory.
    #[error("output directory `{0}` exists and is not a directory")]
    NotADirectory(String),
    /// A file system operation failed.
    #[error("cannot write `{path}`: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Another run holds the directory.
    #[error(
        "`{0}` is in use by another slocc run; wait for it to finish (the lock goes away with it)"
    )]
    Busy(String),
    /// A path inside the directory goes through a symbolic link, which could lead anywhere.
    #[error("refusing to write through `{0}`: it is a symbolic link, and slocc writes only inside its output directories; replace it with a directory")]
    Symlink(String),
    /// A file slocc did not write is where an output must go.
    #[error("refusing to overwrite `{0}`: slocc did not write it (it is not in the output directory's `.slocc-manifest`); move it away or choose another output directory")]
    NotGenerated(String),
    /// A line of the manifest or the journal names a path slocc would never have written there.
    #[error("`{file}` line {line}: `{path}` is not a plain relative path inside the directory, so slocc changed nothing. The file is slocc's own record and names only such paths: restore it from version control (`git checkout -- {file}`) or delete the line")]
    Untrusted {
        /// The manifest or journal.
        file: String,
        /// The 1-based line.
        line: usize,
        /// The path as written there.
        path: String,
    },
    /// A journal that slocc did not write, or that is not whole.
    #[error("`{0}` is not a whole journal of this slocc (it lacks the header or the end line, or its checksum does not match), so nothing was replayed or changed. If no slocc run was killed while writing here, delete it (`rm {0}`) and run again; if one was, compile again with the same slocc that was killed")]
    ForeignJournal(String),
    /// A file slocc wrote was edited since, and this run would change it.
    #[error("refusing to overwrite `{path}`: it was edited after slocc wrote it; put the change in {source_of_it}, delete the file, and run again")]
    Edited {
        /// The file as shown.
        path: String,
        /// What it is generated from, as its header says ("the spec (or a template)").
        source_of_it: String,
    },
}

/// Where a generated file's changes belong, as its first line says ("Do not edit: change the
/// settings and run ..."); files without such a line (dashboards) come from the spec.
fn generated_from(content: &str) -> String {
    let header = content.lines().next().unwrap_or_default();
    header
        .split_once("Do not edit: change ")
        .and_then(|(_, rest)| rest.split_once(" and run "))
        .map_or("the spec (or a template)".into(), |(source, _)| {
            source.to_string()
        })
}

/// Generated files by path relative to the output directory, in sorted order.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Output {
    files: BTreeMap<String, String>,
}

/// One file whose content on disk differs from what this run generates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stale {
    /// Path relative to the output directory.
    pub(crate) path: String,
    /// What is on disk (`None`: missing).
    pub(crate) on_disk: Option<String>,
    /// What would be written (`None`: a generated file this run no longer produces).
    pub(crate) generated: Option<String>,
}

/// A unified diff of two texts, or an empty string when they are equal.
pub(crate) fn unified_diff(old: &str, new: &str, old_name: &str, new_name: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_name, new_name)
        .to_string()
}

/// What writing did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Written {
    /// Files whose content changed or that are new.
    pub(crate) changed: Vec<String>,
    /// Files already up to date.
    pub(crate) unchanged: Vec<String>,
    /// Generated files of services that no longer exist, now removed.
    pub(crate) removed: Vec<String>,
    /// Generated files no longer produced but edited by hand since, so kept.
    pub(crate) edited: Vec<String>,
    /// Every file this run put or kept, with its hash as the manifest now lists it.
    pub(crate) hashes: Manifest,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: crate::vocab::path::display(path),
        source,
    }
}

/// Checks that `relative` is a plain relative path slocc could have written: not empty, no root,
/// no `.` or `..`, no empty part, no control character or backslash, and no part named like
/// slocc's own bookkeeping (`.slocc-*`: the manifest, the journal, temporaries).
fn safe_relative(relative: &str) -> Result<PathBuf, Error> {
    plain_relative(relative)
        .map(PathBuf::from)
        .ok_or_else(|| Error::UnsafePath(relative.to_string()))
}

/// `relative` if it is a plain path as [`safe_relative`] defines it.
fn plain_relative(relative: &str) -> Option<&str> {
    let plain = !relative.is_empty()
        && !relative.starts_with('/')
        && !relative.chars().any(|c| c.is_control() || c == '\\')
        && relative
            .split('/')
            .all(|part| !matches!(part, "" | "." | "..") && !part.starts_with(".slocc-"));
    plain.then_some(relative)
}

/// The text of one of slocc's own records in an output directory (the manifest, the journal),
/// or `None` when there is none. A record that is a symbolic link is refused: what it would
/// point at is outside slocc's reach.
fn read_record(path: &Path) -> Result<Option<String>, Error> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => {
            return Err(Error::Symlink(crate::vocab::path::display(path)));
        }
        // No record, or no directory to hold one (a file where it should be is reported
        // when the directory is staged).
        Err(e)
            if matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
            ) =>
        {
            return Ok(None)
        }
        _ => {}
    }
    std::fs::read_to_string(path).map(Some).map_err(io(path))
}

/// Why a path read from slocc's own records is not used.
enum Refused {
    /// Not a plain relative path: the record was not written by slocc.
    NotPlain,
    /// A part of it is a symbolic link (the record may be fine; the directory is not).
    Link(PathBuf),
}

impl Refused {
    /// The error for `path`, found at `line` of the record `file`.
    fn error(self, file: &Path, line: usize, path: &str) -> Error {
        match self {
            Self::Link(at) => Error::Symlink(crate::vocab::path::display(&at)),
            Self::NotPlain => Error::Untrusted {
                file: crate::vocab::path::display(file),
                line,
                path: path.escape_debug().to_string(),
            },
        }
    }
}

/// Where `relative` (read from a file inside `dir`, so untrusted) is, once it is known to be a
/// plain path whose every existing part below `dir` is a real file or directory, not a
/// symbolic link: what is found there is then inside `dir`, whatever the link would say.
fn contained(dir: &Path, relative: &str) -> Result<PathBuf, Refused> {
    let relative = plain_relative(relative).ok_or(Refused::NotPlain)?;
    let mut at = dir.to_path_buf();
    for part in relative.split('/') {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(Refused::Link(at)),
            Ok(_) => {}
            Err(_) => break,
        }
    }
    Ok(at)
}

impl Output {
    /// Adds a file.
    pub(crate) fn insert(&mut self, relative: impl Into<String>, content: impl Into<String>) {
        self.files.insert(relative.into(), content.into());
    }

    /// The files.
    pub(crate) fn files(&self) -> &BTreeMap<String, String> {
        &self.files
    }
}

/// `relative` in `dir` when it differs from `content` (or is missing); it must be a plain path
/// inside `dir`, reached through no symbolic link.
pub(crate) fn stale_file(
    dir: &Path,
    relative: &str,
    content: &str,
) -> Result<Option<Stale>, Error> {
    safe_relative(relative)?;
    let path = contained(dir, relative)
        .map_err(|_| Error::Symlink(crate::vocab::path::display(&dir.join(relative))))?;
    let on_disk = std::fs::read_to_string(&path).ok();
    Ok((on_disk.as_deref() != Some(content)).then(|| Stale {
        path: relative.to_string(),
        on_disk,
        generated: Some(content.to_string()),
    }))
}

/// Files `dir`'s manifest lists that a whole run no longer `produced` and that are still there.
pub(crate) fn leftovers(dir: &Path, produced: impl Fn(&str) -> bool) -> Result<Vec<Stale>, Error> {
    let mut out = Vec::new();
    for relative in Manifest::read(dir)?.paths().filter(|p| !produced(p)) {
        let on_disk = std::fs::read_to_string(dir.join(relative)).ok();
        if on_disk.is_some() {
            out.push(Stale {
                path: relative.to_string(),
                on_disk,
                generated: None,
            });
        }
    }
    Ok(out)
}

/// Writes files into a directory as they are produced, from any number of threads, so that a
/// large compile never holds its outputs in memory, and makes them appear all at once:
///
/// - into a directory that does not exist yet, files go to a hidden sibling directory that
///   [`Stager::commit`] renames into place whole;
/// - into an existing directory, a file whose content is already on disk is left alone, and
///   each other file is written to a temporary name beside its target; `commit` renames them
///   all into place.
///
/// Dropped without `commit` (an error anywhere in the run), it removes every file it wrote, and
/// the directory holds what it held (subdirectories made for new files may remain, empty).
pub(crate) struct Stager {
    dir: PathBuf,
    /// The hidden directory a new output directory is built in.
    new_dir: Option<PathBuf>,
    /// For generated outputs, what slocc wrote there before: only those files, unedited, may
    /// be replaced or removed. `None` for files merged with what is on disk (runbooks).
    manifest: Option<Manifest>,
    /// Generated files this run did not put are removed at commit.
    remove_stale: bool,
    state: std::sync::Mutex<StagerState>,
    committed: bool,
}

#[derive(Default)]
struct StagerState {
    /// Temporary file and target, for files staged in an existing directory.
    renames: Vec<(PathBuf, PathBuf)>,
    written: Written,
    /// The manifest of this run: every file put, with its hash.
    produced: Manifest,
    /// Directories known to exist, so each is made (or checked) once, not once per file.
    dirs: std::collections::HashSet<PathBuf>,
}

impl Stager {
    /// A stager for generated outputs: an existing file is replaced only if slocc generated it.
    pub(crate) fn generated(dir: &Path) -> Result<Self, Error> {
        Self::new(dir, true, true)
    }

    /// Like [`Stager::generated`], but generated files this run does not produce are kept: for
    /// a run narrowed to some services, whose other outputs stay as they are.
    pub(crate) fn generated_keeping(dir: &Path) -> Result<Self, Error> {
        Self::new(dir, true, false)
    }

    /// A stager for files the caller has merged with what is on disk (runbooks): any file may
    /// be replaced, and no other file is removed.
    pub(crate) fn replacing(dir: &Path) -> Result<Self, Error> {
        Self::new(dir, false, false)
    }

    fn new(dir: &Path, generated_only: bool, remove_stale: bool) -> Result<Self, Error> {
        if dir.exists() && !dir.is_dir() {
            return Err(Error::NotADirectory(crate::vocab::path::display(dir)));
        }
        let new_dir = if dir.exists() {
            None
        } else {
            // Staged beside the nearest existing ancestor, so that nothing outside the staging
            // directory appears before `commit` (not even the missing parents).
            static STAGED: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
            let name = dir
                .file_name()
                .map_or_else(|| "out".into(), |n| n.to_string_lossy());
            let mut base = dir.parent();
            while let Some(p) = base.filter(|p| !p.as_os_str().is_empty() && !p.exists()) {
                base = p.parent();
            }
            let base = base.filter(|p| !p.as_os_str().is_empty());
            let staging = base.unwrap_or(Path::new(".")).join(format!(
                ".slocc-tmp-{}-{}-{name}",
                std::process::id(),
                STAGED.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            std::fs::create_dir(&staging).map_err(io(&staging))?;
            Some(staging)
        };
        let manifest = match (generated_only, &new_dir) {
            (false, _) => None,
            (true, Some(_)) => Some(Manifest::default()),
            (true, None) => Some(Manifest::read(dir)?),
        };
        Ok(Self {
            dir: dir.to_path_buf(),
            new_dir,
            manifest,
            remove_stale,
            state: std::sync::Mutex::default(),
            committed: false,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, StagerState> {
        // A panic elsewhere cannot leave the lists half-updated: each push is one operation.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn create_parent(&self, target: &Path) -> Result<(), Error> {
        let Some(parent) = target.parent() else {
            return Ok(());
        };
        if self.state().dirs.contains(parent) {
            return Ok(());
        }
        create_parent(target)?;
        self.state().dirs.insert(parent.to_path_buf());
        Ok(())
    }

    /// Refuses a path below the directory that goes through a symbolic link (each directory
    /// is checked once per run, the file itself every time).
    fn no_symlinks(&self, path: &Path) -> Result<(), Error> {
        let mut at = self.dir.clone();
        let parts: Vec<_> = path.components().collect();
        for (i, part) in parts.iter().enumerate() {
            at.push(part);
            let last = i + 1 == parts.len();
            if !last && self.state().dirs.contains(&at) {
                continue;
            }
            match std::fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(Error::Symlink(crate::vocab::path::display(&at)));
                }
                Ok(_) => {}
                Err(_) => return Ok(()),
            }
        }
        Ok(())
    }

    /// Stages one file, `relative` to the directory.
    pub(crate) fn put(&self, relative: &str, content: &str) -> Result<(), Error> {
        let path = safe_relative(relative)?;
        if self.new_dir.is_none() {
            self.no_symlinks(&path)?;
        }
        if let Some(staging) = &self.new_dir {
            let target = staging.join(&path);
            self.create_parent(&target)?;
            std::fs::write(&target, content).map_err(io(&target))?;
            let mut state = self.state();
            state.written.changed.push(relative.to_string());
            state.produced.insert(relative, content.as_bytes());
            return Ok(());
        }
        let target = self.dir.join(&path);
        match std::fs::read(&target) {
            Ok(existing) if existing == content.as_bytes() => {
                let mut state = self.state();
                state.written.unchanged.push(relative.to_string());
                state.produced.insert(relative, content.as_bytes());
                return Ok(());
            }
            Ok(existing) => self.may_replace(relative, &existing, content, &target)?,
            Err(_) => {}
        }
        self.create_parent(&target)?;
        let name = target.file_name().unwrap_or_default().to_string_lossy();
        let temp = target.with_file_name(format!(".slocc-tmp-{}-{name}", std::process::id()));
        if let Err(source) = std::fs::write(&temp, content) {
            let _ = std::fs::remove_file(&temp);
            return Err(io(&temp)(source));
        }
        let mut state = self.state();
        state.renames.push((temp, target));
        state.written.changed.push(relative.to_string());
        state.produced.insert(relative, content.as_bytes());
        Ok(())
    }

    /// Keeps `files` (path and hash) as they are, as if each were put with the content it
    /// has, when the directory's manifest lists every one of them with that hash (what an
    /// unchanged service wrote last time, [`fingerprints`]); else keeps none and says so.
    pub(crate) fn keep<'a>(&self, files: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> bool {
        let Some(old) = self.manifest.as_ref().filter(|_| self.new_dir.is_none()) else {
            return false;
        };
        if !files
            .clone()
            .all(|(path, hash)| old.hash(path).is_some_and(|h| h == hash))
        {
            return false;
        }
        let mut state = self.state();
        for (path, hash) in files {
            state.written.unchanged.push(path.to_string());
            state.produced.insert_hash(path, hash);
        }
        true
    }

    /// Whether an existing file that differs from `content` may be replaced: always for
    /// merged files; for generated outputs only when the manifest lists it unedited. A
    /// directory without a manifest (written before slocc kept one) adopts a file whose first
    /// line is exactly the header this run writes there.
    fn may_replace(
        &self,
        relative: &str,
        existing: &[u8],
        content: &str,
        target: &Path,
    ) -> Result<(), Error> {
        let Some(manifest) = &self.manifest else {
            return Ok(());
        };
        let first_line = |text: &[u8]| text.split(|b| *b == b'\n').next().map(<[u8]>::to_vec);
        match manifest.claim(relative, existing) {
            Claim::Owned => Ok(()),
            Claim::Edited => Err(Error::Edited {
                path: crate::vocab::path::display(target),
                source_of_it: generated_from(content),
            }),
            Claim::Unlisted
                if !manifest.present()
                    && first_line(existing) == first_line(content.as_bytes()) =>
            {
                Ok(())
            }
            Claim::Unlisted => Err(Error::NotGenerated(crate::vocab::path::display(target))),
        }
    }

    /// Moves every staged file into place with the new manifest and, for generated outputs,
    /// removes the files of the old manifest this run did not produce (unless edited since).
    /// A commit that changes nothing (every file as it was, the manifest's text too) touches
    /// nothing: no journal, no manifest rewritten, so watchers of the directory see no event.
    /// Returns what changed, in sorted order.
    pub(crate) fn commit(mut self) -> Result<Written, Error> {
        let manifest = self.next_manifest();
        if let Some(staging) = &self.new_dir {
            if let Some(text) = &manifest {
                let path = staging.join(manifest::FILE);
                std::fs::write(&path, text).map_err(io(&path))?;
            }
            self.move_new_dir(staging)?;
        } else {
            let old = self.manifest.as_ref();
            if let Some(text) = manifest.filter(|text| !old.is_some_and(|m| m.read_from(text))) {
                let target = self.dir.join(manifest::FILE);
                let temp = self
                    .dir
                    .join(format!(".slocc-tmp-{}-manifest", std::process::id()));
                std::fs::write(&temp, text).map_err(io(&temp))?;
                self.state().renames.push((temp, target));
            }
            let (removals, edited) = self.unproduced();
            let renames = std::mem::take(&mut self.state().renames);
            self.carry_out(&renames, &removals)?;
            let mut state = self.state();
            state.written.removed = removals;
            state.written.edited = edited;
        }
        self.committed = true;
        let mut state = std::mem::take(&mut *self.state());
        state.written.changed.sort();
        state.written.unchanged.sort();
        state.written.hashes = state.produced;
        Ok(state.written)
    }

    /// The renames and removals of a commit into an existing directory, journaled first (none
    /// when there is nothing to do).
    fn carry_out(
        &mut self,
        renames: &[(PathBuf, PathBuf)],
        removals: &[String],
    ) -> Result<(), Error> {
        if renames.is_empty() && removals.is_empty() {
            return Ok(());
        }
        journal::begin(&self.dir, renames, removals)?;
        // From here on the journal completes the commit if the process dies.
        self.committed = true;
        for (temp, target) in renames {
            std::fs::rename(temp, target).map_err(io(target))?;
        }
        for path in removals {
            let target = self.dir.join(path);
            std::fs::remove_file(&target).map_err(io(&target))?;
        }
        journal::end(&self.dir)
    }

    /// The manifest to write: every file this run put, plus, when other files are kept (a
    /// selection), the old entries of files it did not put.
    fn next_manifest(&self) -> Option<String> {
        let old = self.manifest.as_ref()?;
        let mut next = self.state().produced.clone();
        if !self.remove_stale {
            for path in old.paths() {
                if next.contains(path) {
                    continue;
                }
                if let Ok(content) = std::fs::read(self.dir.join(path)) {
                    if old.claim(path, &content) == Claim::Owned {
                        next.insert(path, &content);
                    }
                }
            }
        }
        Some(next.render())
    }

    /// A new output directory staged whole: renamed into place, or, when another output of
    /// this run was nested in its path and created it, moved in file by file.
    fn move_new_dir(&self, staging: &Path) -> Result<(), Error> {
        if !self.dir.exists() {
            create_parent(&self.dir)?;
            return std::fs::rename(staging, &self.dir).map_err(io(&self.dir));
        }
        let mut moved: Vec<String> = self.state().written.changed.clone();
        if self.manifest.is_some() {
            moved.push(manifest::FILE.to_string());
        }
        for relative in &moved {
            let target = self.dir.join(relative);
            create_parent(&target)?;
            std::fs::rename(staging.join(relative), &target).map_err(io(&target))?;
        }
        std::fs::remove_dir_all(staging).map_err(io(staging))
    }

    /// The old manifest's files this run did not produce, when they are to go: those still as
    /// slocc wrote them (to remove) and those edited since (kept and reported).
    fn unproduced(&self) -> (Vec<String>, Vec<String>) {
        let (mut remove, mut edited) = (Vec::new(), Vec::new());
        let Some(old) = self.manifest.as_ref().filter(|_| self.remove_stale) else {
            return (remove, edited);
        };
        let state = self.state();
        for path in old.paths().filter(|p| !state.produced.contains(p)) {
            let Ok(content) = std::fs::read(self.dir.join(path)) else {
                continue;
            };
            match old.claim(path, &content) {
                Claim::Owned => remove.push(path.to_string()),
                _ => edited.push(path.to_string()),
            }
        }
        (remove, edited)
    }
}

impl Drop for Stager {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        if let Some(staging) = &self.new_dir {
            let _ = std::fs::remove_dir_all(staging);
        }
        for (temp, _) in &self.state().renames {
            let _ = std::fs::remove_file(temp);
        }
    }
}

fn create_parent(target: &Path) -> Result<(), Error> {
    match target.parent() {
        Some(parent) => std::fs::create_dir_all(parent).map_err(io(parent)),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;
