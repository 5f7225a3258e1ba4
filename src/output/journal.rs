//! Crash consistency for a commit into an existing directory. Before the first rename, the
//! commit writes `.slocc-journal`: every rename (temporary file to target) and every removal
//! it is about to do. After the last one, it deletes the journal. A run killed in between
//! leaves the journal behind, and the next run, holding the directory's lock, replays it to
//! the end before anything else: the directory holds the new set of files, never a mix.
//! (A new output directory needs none of this: it appears by one rename.)

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::{io, Error};

/// The journal's file name inside the directory.
pub(super) const FILE: &str = ".slocc-journal";

fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

/// Records the commit about to happen, durably, before any of it does.
pub(super) fn begin(
    dir: &Path,
    renames: &[(PathBuf, PathBuf)],
    removals: &[String],
) -> Result<(), Error> {
    let mut text = String::new();
    for (temp, target) in renames {
        text.push_str(&format!(
            "rename\t{}\t{}\n",
            relative(dir, temp),
            relative(dir, target)
        ));
    }
    for path in removals {
        text.push_str(&format!("remove\t{path}\n"));
    }
    let path = dir.join(FILE);
    let mut file = std::fs::File::create(&path).map_err(io(&path))?;
    file.write_all(text.as_bytes()).map_err(io(&path))?;
    file.sync_all().map_err(io(&path))
}

/// The commit is complete.
pub(super) fn end(dir: &Path) -> Result<(), Error> {
    let path = dir.join(FILE);
    std::fs::remove_file(&path).map_err(io(&path))
}

/// Finishes a commit that a killed run left half done: every rename whose temporary file is
/// still there, every removal not yet done. Does nothing when there is no journal.
pub(crate) fn recover(dir: &Path) -> Result<(), Error> {
    let path = dir.join(FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    for line in text.lines() {
        let fields: Vec<&str> = line.split('\t').collect();
        match fields.as_slice() {
            ["rename", temp, target] => {
                let (temp, target) = (dir.join(temp), dir.join(target));
                if temp.exists() {
                    std::fs::rename(&temp, &target).map_err(io(&target))?;
                }
            }
            ["remove", file] => {
                let file = dir.join(file);
                if file.exists() {
                    std::fs::remove_file(&file).map_err(io(&file))?;
                }
            }
            _ => {}
        }
    }
    std::fs::remove_file(&path).map_err(io(&path))
}
