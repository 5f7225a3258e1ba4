//! Crash consistency for a commit into an existing directory. Before the first rename, the
//! commit writes `.slocc-journal`: every rename (temporary file to target) and every removal
//! it is about to do. After the last one, it deletes the journal. A run killed in between
//! leaves the journal behind, and the next run, holding the directory's lock, replays it to
//! the end before anything else: the directory holds the new set of files, never a mix.
//! (A new output directory needs none of this: it appears by one rename.)
//!
//! The journal appears whole or not at all: it is written under a temporary name, synced and
//! renamed into place, and it carries a header and an end line with the SHA-256 of everything
//! before it. A journal without them (torn by another tool, or written by hand: the directory
//! is often committed, so it can arrive in a pull request) is refused, never replayed in part.
//! Every entry is checked before any is carried out: targets are plain paths inside the
//! directory, reached through no symbolic link; a rename's source is a temporary slocc writes,
//! beside its target.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{contained, io, read_record, Error, Refused};

/// The journal's file name inside the directory.
pub(super) const FILE: &str = ".slocc-journal";

/// The first line of every journal this slocc writes.
const HEADER: &str = "slocc-journal 1";

/// One step of a commit, with paths relative to the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Rename { temp: String, target: String },
    Remove(String),
}

/// A step whose paths were checked, as paths inside the directory.
enum Checked {
    Rename { temp: PathBuf, target: PathBuf },
    Remove(PathBuf),
}

fn relative(dir: &Path, path: &Path) -> String {
    path.strip_prefix(dir)
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned()
}

fn hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The journal's text for `steps`: header, one line per step, end line with the checksum.
fn render(steps: &[Step]) -> String {
    let mut text = format!("{HEADER}\n");
    for step in steps {
        match step {
            Step::Rename { temp, target } => text.push_str(&format!("rename\t{temp}\t{target}\n")),
            Step::Remove(path) => text.push_str(&format!("remove\t{path}\n")),
        }
    }
    let sum = hex(text.as_bytes());
    text.push_str(&format!("end\t{sum}\n"));
    text
}

/// The steps of a whole journal with their lines, or `None` when `text` is not one (no header,
/// no end line, a checksum that does not match, or a line of no known form).
fn parse(text: &str) -> Option<Vec<(usize, Step)>> {
    let body_end = text.strip_suffix('\n')?.rfind('\n')? + 1;
    let (body, end) = text.split_at(body_end);
    let sum = end.strip_prefix("end\t")?.strip_suffix('\n')?;
    if sum != hex(body.as_bytes()) {
        return None;
    }
    let mut lines = body.lines().enumerate();
    if lines.next()?.1 != HEADER {
        return None;
    }
    let mut steps = Vec::new();
    for (i, line) in lines {
        let step = match line.split('\t').collect::<Vec<_>>().as_slice() {
            ["rename", temp, target] => Step::Rename {
                temp: (*temp).to_string(),
                target: (*target).to_string(),
            },
            ["remove", path] => Step::Remove((*path).to_string()),
            _ => return None,
        };
        steps.push((i + 1, step));
    }
    Some(steps)
}

/// Syncs a directory, so that the renames in it are durable before the journal that records
/// them goes away.
fn sync_dir(dir: &Path) -> Result<(), Error> {
    std::fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(dir))
}

/// Records the commit about to happen, durably and atomically, before any of it does.
pub(super) fn begin(
    dir: &Path,
    renames: &[(PathBuf, PathBuf)],
    removals: &[String],
) -> Result<(), Error> {
    let steps: Vec<Step> = renames
        .iter()
        .map(|(temp, target)| Step::Rename {
            temp: relative(dir, temp),
            target: relative(dir, target),
        })
        .chain(removals.iter().cloned().map(Step::Remove))
        .collect();
    let temp = dir.join(format!(".slocc-tmp-{}-journal", std::process::id()));
    let mut file = std::fs::File::create(&temp).map_err(io(&temp))?;
    file.write_all(render(&steps).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io(&temp))?;
    let path = dir.join(FILE);
    std::fs::rename(&temp, &path).map_err(io(&path))?;
    sync_dir(dir)
}

/// The commit is complete.
pub(super) fn end(dir: &Path) -> Result<(), Error> {
    sync_dir(dir)?;
    let path = dir.join(FILE);
    std::fs::remove_file(&path).map_err(io(&path))
}

/// A step's paths, checked: where it renames from and to, or what it removes. The manifest is
/// the one bookkeeping file a step may name, as the target of a rename.
fn check(dir: &Path, journal: &Path, line: usize, step: &Step) -> Result<Checked, Error> {
    let (temp, target) = match step {
        Step::Remove(target) => {
            let at = contained(dir, target).map_err(|why| why.error(journal, line, target))?;
            return Ok(Checked::Remove(at));
        }
        Step::Rename { temp, target } => (temp, target),
    };
    let at = if target == super::manifest::FILE {
        dir.join(target)
    } else {
        contained(dir, target).map_err(|why| why.error(journal, line, target))?
    };
    let (parent, name) = match temp.rsplit_once('/') {
        Some((parent, name)) => (Some(parent), name),
        None => (None, temp.as_str()),
    };
    let beside = parent == target.rsplit_once('/').map(|(p, _)| p);
    let from = at.with_file_name(name);
    let regular = std::fs::symlink_metadata(&from).map_or(true, |m| m.file_type().is_file());
    if !beside || !name.starts_with(".slocc-tmp-") || !regular {
        return Err(Refused::NotPlain.error(journal, line, temp));
    }
    Ok(Checked::Rename {
        temp: from,
        target: at,
    })
}

/// Finishes a commit that a killed run left half done: every rename whose temporary file is
/// still there, every removal not yet done. Does nothing when there is no journal; refuses a
/// journal that is not whole, or names a path it must not touch, before touching anything.
pub(crate) fn recover(dir: &Path) -> Result<(), Error> {
    let path = dir.join(FILE);
    let Some(text) = read_record(&path)? else {
        return Ok(());
    };
    let foreign = || Error::ForeignJournal(crate::vocab::path::display(&path));
    let steps = parse(&text)
        .ok_or_else(foreign)?
        .iter()
        .map(|(line, step)| check(dir, &path, *line, step))
        .collect::<Result<Vec<_>, _>>()?;
    for step in steps {
        match step {
            Checked::Rename { temp, target } => {
                if temp.exists() {
                    std::fs::rename(&temp, &target).map_err(io(&target))?;
                }
            }
            Checked::Remove(file) => {
                if file.exists() {
                    std::fs::remove_file(&file).map_err(io(&file))?;
                }
            }
        }
    }
    end(dir)
}
