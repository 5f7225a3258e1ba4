//! What the last `compile` into an output directory wrote for each service, so that an
//! unchanged service is not rendered again: `out/.slocc-cache/fingerprints`, beside a
//! `.gitignore` of `*` (the cache holds this machine's file times, so it is never committed).
//!
//! Each entry is keyed by a fingerprint the pipeline computes from everything a service's files
//! are made of (the validated service, the run's options and templates, the slocc binary), and
//! lists the files it wrote with their size, modification time and (generated files) hash. An
//! entry is used only when every one of its files is still as it was when the cache was
//! written (size and time, as `make` and git's index judge a file) and was not changed in the
//! same clock tick as the cache (git's "racy" rule), and the output directory's manifest still
//! gives each generated file the hash the entry recorded (checked where the manifest is read,
//! `Stager::keep`). Anything else (no cache, a damaged
//! line, a file touched since) means the service is rendered as if there were no cache: the
//! cache can make a run slower or faster, never different. `compile --check` never reads it
//! (`out/` arrives in pull requests: only rendering proves the files current).

use std::collections::HashMap;
use std::path::Path;

use super::manifest::Manifest;
use super::plain_relative;

/// The cache directory inside the output directory.
pub(crate) const DIR: &str = ".slocc-cache";
const FILE: &str = "fingerprints";
const HEADER: &str = "slocc fingerprints 1";

/// One file of an entry: in the output directory (with its hash) or the runbooks directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Recorded {
    /// Path relative to its directory.
    pub(crate) path: String,
    /// The SHA-256 the manifest gives it; `None` for a runbook.
    pub(crate) hash: Option<String>,
    size: u64,
    mtime_ns: u128,
}

/// What one service's last compile wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The service's fingerprint.
    pub(crate) key: String,
    /// Rule groups in its rule files (a Mimir tenant's limit counts them).
    pub(crate) rule_groups: usize,
    /// Its files.
    pub(crate) files: Vec<Recorded>,
}

impl Entry {
    /// Generated files (output directory), by path.
    pub(crate) fn generated(&self) -> impl Iterator<Item = &Recorded> + Clone {
        self.files.iter().filter(|f| f.hash.is_some())
    }

    /// Runbooks, by path.
    pub(crate) fn runbooks(&self) -> impl Iterator<Item = &str> {
        self.files
            .iter()
            .filter(|f| f.hash.is_none())
            .map(|f| f.path.as_str())
    }
}

/// The entries of an output directory's cache, by key.
#[derive(Debug, Default)]
pub(crate) struct Fingerprints {
    entries: HashMap<String, Entry>,
    /// When the cache was written: a file changed at or after this cannot be told apart.
    written_ns: u128,
}

fn mtime_ns(meta: &std::fs::Metadata) -> Option<u128> {
    let time = meta.modified().ok()?;
    Some(time.duration_since(std::time::UNIX_EPOCH).ok()?.as_nanos())
}

/// A regular file's size and time, not following a final symbolic link.
fn stat(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.is_file().then_some((meta.len(), mtime_ns(&meta)?))
}

impl Fingerprints {
    /// The cache of `out`; empty when there is none or it cannot be read whole.
    pub(crate) fn read(out: &Path) -> Self {
        let dir = out.join(DIR);
        let is_dir = std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir());
        let file = dir.join(FILE);
        let Some((_, written_ns)) = stat(&file).filter(|_| is_dir) else {
            return Self::default();
        };
        let Ok(text) = std::fs::read_to_string(&file) else {
            return Self::default();
        };
        let entries = parse(&text).unwrap_or_default();
        Self {
            entries: entries.into_iter().map(|e| (e.key.clone(), e)).collect(),
            written_ns,
        }
    }

    /// The entry of `key` when every file of it is as recorded; `runbooks` is where the
    /// runbooks are (an entry with runbooks and no such directory is not current).
    pub(crate) fn current(&self, key: &str, out: &Path, runbooks: Option<&Path>) -> Option<&Entry> {
        let entry = self.entries.get(key)?;
        let unchanged = entry.files.iter().all(|f| {
            let dir = if f.hash.is_some() {
                Some(out)
            } else {
                runbooks
            };
            let now = dir.and_then(|d| stat(&d.join(&f.path)));
            f.mtime_ns < self.written_ns && now == Some((f.size, f.mtime_ns))
        });
        unchanged.then_some(entry)
    }

    /// Every entry, for a run that keeps the entries of services it did not compile.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = Entry> {
        self.entries.into_values()
    }
}

/// The entries of a cache's text; `None` if any line is not as [`write`] writes it.
fn parse(text: &str) -> Option<Vec<Entry>> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let mut entries: Vec<Entry> = Vec::new();
    for line in lines {
        let mut fields = line.splitn(4, ' ');
        match (fields.next()?, fields.next()?, fields.next()?) {
            ("service", key, groups) => entries.push(Entry {
                key: key.to_string(),
                rule_groups: groups.parse().ok()?,
                files: Vec::new(),
            }),
            (kind @ ("r" | "o"), size, mtime) => {
                let (hash, path) = match kind {
                    "o" => {
                        let (hash, path) = fields.next()?.split_once(' ')?;
                        (Some(hash.to_string()), path)
                    }
                    _ => (None, fields.next()?),
                };
                entries.last_mut()?.files.push(Recorded {
                    path: plain_relative(path)?.to_string(),
                    hash,
                    size: size.parse().ok()?,
                    mtime_ns: mtime.parse().ok()?,
                });
            }
            _ => return None,
        }
    }
    Some(entries)
}

/// Removes the cache of `out`: from the moment a run starts changing files until it has
/// written a new one, no entry may vouch for them.
pub(crate) fn remove(out: &Path) -> std::io::Result<()> {
    match std::fs::remove_file(out.join(DIR).join(FILE)) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What a run wrote for one service: its key, rule groups, generated files and runbooks.
pub(crate) type Wrote = (String, usize, Vec<String>, Vec<String>);

/// Writes the cache of `out` for the services of a committed run, reading each file's size
/// and time now and each generated file's hash from `hashes`, what the run's manifest lists (a
/// file that is gone or unlisted leaves its service out), plus `kept` entries of services the
/// run did not compile. Written to a temporary name and renamed, so a reader sees a whole
/// cache or none.
pub(crate) fn write(
    (out, runbooks): (&Path, Option<&Path>),
    hashes: &Manifest,
    wrote: &[Wrote],
    kept: impl Iterator<Item = Entry>,
) -> std::io::Result<()> {
    let mut entries: Vec<Entry> = wrote
        .iter()
        .filter_map(|w| entry(out, runbooks, hashes, w))
        .collect();
    let fresh: std::collections::HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
    entries.extend(kept.filter(|e| !fresh.contains(&e.key)));
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    let mut text = format!("{HEADER}\n");
    for e in &entries {
        text.push_str(&format!("service {} {}\n", e.key, e.rule_groups));
        for f in &e.files {
            match &f.hash {
                Some(hash) => {
                    text.push_str(&format!("o {} {} {hash} {}\n", f.size, f.mtime_ns, f.path))
                }
                None => text.push_str(&format!("r {} {} {}\n", f.size, f.mtime_ns, f.path)),
            }
        }
    }
    let dir = out.join(DIR);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(".gitignore"), "*\n")?;
    // Named as every temporary is, so the next run removes one a killed run left.
    let temp = dir.join(format!(".slocc-tmp-{}-{FILE}", std::process::id()));
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, dir.join(FILE))
}

fn entry(out: &Path, runbooks: Option<&Path>, manifest: &Manifest, wrote: &Wrote) -> Option<Entry> {
    let (key, rule_groups, generated, regions) = wrote;
    let mut files = Vec::new();
    for path in generated {
        let (size, mtime_ns) = stat(&out.join(path))?;
        let hash = Some(manifest.hash(path)?.clone());
        files.push(Recorded {
            path: path.clone(),
            hash,
            size,
            mtime_ns,
        });
    }
    for path in regions {
        let (size, mtime_ns) = stat(&runbooks?.join(path))?;
        files.push(Recorded {
            path: path.clone(),
            hash: None,
            size,
            mtime_ns,
        });
    }
    Some(Entry {
        key: key.clone(),
        rule_groups: *rule_groups,
        files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a compile into `root` left: `out` with two files and their manifest, `runbooks`
    /// with one runbook.
    fn compiled(root: &Path) -> (std::path::PathBuf, std::path::PathBuf, Manifest) {
        let (dir, runbooks) = (root.join("out"), root.join("runbooks"));
        let mut manifest = Manifest::default();
        for (path, text) in [("a.rules.yml", "a\n"), ("d/a.json", "{}\n")] {
            std::fs::create_dir_all(dir.join(path).parent().unwrap()).unwrap();
            std::fs::write(dir.join(path), text).unwrap();
            manifest.insert(path, text.as_bytes());
        }
        std::fs::write(dir.join(super::super::manifest::FILE), manifest.render()).unwrap();
        std::fs::create_dir_all(runbooks.join("a")).unwrap();
        std::fs::write(runbooks.join("a/x.md"), "notes\n").unwrap();
        (dir.clone(), runbooks, Manifest::read(&dir).unwrap())
    }

    fn wrote() -> Vec<Wrote> {
        let generated = vec!["a.rules.yml".to_string(), "d/a.json".to_string()];
        vec![("k1".into(), 3, generated, vec!["a/x.md".into()])]
    }

    /// Writes the cache once the clock has moved past the files' times (a file changed in
    /// the cache's own tick vouches for nothing).
    fn cached(out: &Path, runbooks: &Path, hashes: &Manifest) {
        std::thread::sleep(std::time::Duration::from_millis(50));
        write((out, Some(runbooks)), hashes, &wrote(), std::iter::empty()).unwrap();
    }

    #[test]
    fn an_entry_holds_while_its_files_and_manifest_do() {
        let dir = tempfile::tempdir().unwrap();
        let (out, runbooks, manifest) = compiled(dir.path());
        cached(&out, &runbooks, &manifest);
        let cache = Fingerprints::read(&out);
        let entry = cache.current("k1", &out, Some(&runbooks)).unwrap();
        assert_eq!(entry.rule_groups, 3);
        assert_eq!(entry.runbooks().collect::<Vec<_>>(), ["a/x.md"]);
        let hashes: Vec<_> = entry.generated().map(|f| f.hash.clone()).collect();
        let listed = ["a.rules.yml", "d/a.json"].map(|p| manifest.hash(p).cloned());
        assert_eq!(hashes, listed);
        assert!(cache.current("k2", &out, Some(&runbooks)).is_none());
        assert!(cache.current("k1", &out, None).is_none());
        assert_eq!(
            std::fs::read_to_string(out.join(DIR).join(".gitignore")).unwrap(),
            "*\n"
        );
        // A runbook edited since, even to the same size.
        std::fs::write(runbooks.join("a/x.md"), "NOTES\n").unwrap();
        let cache = Fingerprints::read(&out);
        assert!(cache.current("k1", &out, Some(&runbooks)).is_none());
    }

    #[test]
    fn files_changed_with_the_cache_or_a_damaged_cache_vouch_for_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (out, runbooks, manifest) = compiled(dir.path());
        let dirs = (out.as_path(), Some(runbooks.as_path()));
        write(dirs, &manifest, &wrote(), std::iter::empty()).unwrap();
        // The cache's own time, given to a file: it could have changed after the cache.
        let file = out.join(DIR).join(FILE);
        let when = std::fs::metadata(&file).unwrap().modified().unwrap();
        let f = std::fs::File::options()
            .write(true)
            .open(out.join("a.rules.yml"))
            .unwrap();
        f.set_modified(when).unwrap();
        let cache = Fingerprints::read(&out);
        assert!(cache.current("k1", &out, Some(&runbooks)).is_none());
        for damaged in [
            "",
            "slocc fingerprints 0\n",
            "slocc fingerprints 1\no 1 2 h ../x\n",
        ] {
            std::fs::write(&file, damaged).unwrap();
            assert!(Fingerprints::read(&out).entries.is_empty(), "{damaged:?}");
        }
        let text = format!("{HEADER}\nservice k 1\no 1 2 h /etc/passwd\n");
        assert!(parse(&text).is_none());
        remove(&out).unwrap();
        assert!(!file.exists());
        remove(&out).unwrap();
    }
}
