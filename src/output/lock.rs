//! One run at a time per directory, and no temporary file left behind by a run that was killed.
//!
//! A commit that a killed run left half done (`journal`) is completed before anything else.
//! The lock is the operating system's advisory lock on the directory itself (`flock` on Unix),
//! so it needs no lock file and is released when the process ends, however it ends. Once a run
//! holds the lock, every `.slocc-tmp-*` entry where slocc writes (the directory and the two
//! levels below it) belongs to a run that died, and is removed.

use std::path::{Path, PathBuf};

use super::{io, Error};

/// Held for the length of a run; dropping it releases the lock.
#[derive(Debug)]
pub(crate) struct Lock {
    _dir: std::fs::File,
}

/// Locks `dir`, or its nearest existing ancestor when it does not exist yet (the staged new
/// directory appears there), then removes temporaries left by killed runs.
pub(crate) fn lock(dir: &Path) -> Result<Lock, Error> {
    let held = nearest_existing(dir);
    let file = std::fs::File::open(&held).map_err(io(&held))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(Error::Busy(crate::vocab::path::display(&held)));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(&held)(e)),
    }
    if held == dir {
        // A commit a killed run left half done is finished first; its temporaries are the
        // files it still had to rename, so they must not be cleaned away before.
        super::journal::recover(dir)?;
    }
    remove_leftovers(&held, held != dir)?;
    Ok(Lock { _dir: file })
}

/// Locks every given directory once: two that would take the same lock (one directory, or
/// new directories under the same existing ancestor) share it, so a run never locks itself out.
pub(crate) fn lock_all(dirs: &[Option<&Path>]) -> Result<Vec<Lock>, Error> {
    let mut held: Vec<PathBuf> = Vec::new();
    let mut locks = Vec::new();
    for dir in dirs.iter().flatten() {
        let real = std::fs::canonicalize(nearest_existing(dir)).ok();
        if real.as_ref().is_some_and(|r| held.contains(r)) {
            continue;
        }
        locks.push(lock(dir)?);
        held.extend(real);
    }
    Ok(locks)
}

fn nearest_existing(dir: &Path) -> PathBuf {
    let mut at = Some(dir);
    while let Some(p) = at {
        if p.as_os_str().is_empty() {
            return PathBuf::from(".");
        }
        if p.exists() {
            return p.to_path_buf();
        }
        at = p.parent();
    }
    PathBuf::from(".")
}

/// How deep slocc writes below a directory (`dashboards/services/x.json`,
/// `<service>/<slo>.md`), and so how deep its temporaries can be.
const DEPTH: usize = 2;

/// Removes `.slocc-tmp-*` entries: in `dir` and the levels below it that slocc writes into, or
/// only directly in it when it is an ancestor that merely holds staged new directories. Never
/// deeper, so `-o .` in a large repository does not walk the repository.
fn remove_leftovers(dir: &Path, top_only: bool) -> Result<(), Error> {
    let mut pending = vec![(dir.to_path_buf(), 0)];
    while let Some((at, depth)) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&at) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let leftover = entry
                .file_name()
                .to_string_lossy()
                .starts_with(".slocc-tmp-");
            match (leftover, kind.is_dir()) {
                (true, true) => std::fs::remove_dir_all(&path).map_err(io(&path))?,
                (true, false) => std::fs::remove_file(&path).map_err(io(&path))?,
                (false, true) if !top_only && depth < DEPTH => pending.push((path, depth + 1)),
                _ => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_that_share_a_lock_are_locked_once() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("new/a"), dir.path().join("new/b"));
        assert_eq!(lock_all(&[Some(&a), Some(&b), None]).unwrap().len(), 1);
        std::fs::create_dir_all(&a).unwrap();
        assert_eq!(lock_all(&[Some(&a), Some(&b)]).unwrap().len(), 2);
    }

    #[test]
    fn a_second_run_is_refused_while_the_first_holds_the_lock() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock(dir.path()).unwrap();
        assert!(matches!(lock(dir.path()), Err(Error::Busy(_))));
        drop(first);
        assert!(lock(dir.path()).is_ok());
    }

    #[test]
    fn leftovers_of_killed_runs_are_removed_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir_all(out.join("dashboards/services")).unwrap();
        for file in [
            "out/.slocc-tmp-123-a.rules.yml",
            "out/dashboards/services/.slocc-tmp-9-x.json",
            "out/keep.yml",
            ".slocc-tmp-5-0-new/a.yml",
        ] {
            let path = dir.path().join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        drop(lock(&out).unwrap());
        assert!(out.join("keep.yml").exists());
        assert!(!out.join(".slocc-tmp-123-a.rules.yml").exists());
        assert!(!out.join("dashboards/services/.slocc-tmp-9-x.json").exists());
        // An ancestor's staged directories are cleaned only when the ancestor is what is locked.
        assert!(dir.path().join(".slocc-tmp-5-0-new").exists());
        drop(lock(&dir.path().join("new/out")).unwrap());
        assert!(!dir.path().join(".slocc-tmp-5-0-new").exists());
    }
}
