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
//!
//! A complete run is also recorded whole ([`Run`]), under a key the pipeline computes from
//! every input the run read (the spec files' names and text, the options, the binary): its
//! services' entries, its run-wide files, the runbook directories (a file added there is an
//! orphan to warn about, and adding one changes the directory's time) and its diagnostics. The
//! next run with the same key, every file and directory as recorded, reads no spec.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use super::manifest::Manifest;
use super::plain_relative;

/// The cache directory inside the output directory.
pub(crate) const DIR: &str = ".slocc-cache";
const FILE: &str = "fingerprints";
const HEADER: &str = "slocc fingerprints 2";

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

/// A complete run: what its key vouches for when the next run's inputs are the same.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Run {
    /// The key of everything the run read.
    pub(crate) key: String,
    /// Services and SLOs it compiled.
    pub(crate) counts: (usize, usize),
    /// The keys of its services' entries.
    pub(crate) entries: Vec<String>,
    /// Its run-wide generated files (with their hashes) and, with no hash, the runbook
    /// directories of its services.
    pub(crate) files: Vec<Recorded>,
    /// Its diagnostics, one line of text each, as the pipeline wrote them.
    pub(crate) diagnostics: Vec<String>,
}

/// A complete run as the pipeline knows it, before its files are read back.
pub(crate) struct RunWrote {
    /// The run, with no files.
    pub(crate) run: Run,
    /// Its run-wide generated files, by path.
    pub(crate) generated: Vec<String>,
    /// Its services' runbook directories, by path.
    pub(crate) dirs: Vec<String>,
}

/// The entries of an output directory's cache, by key, and its run.
#[derive(Debug, Default)]
pub(crate) struct Fingerprints {
    entries: HashMap<String, Entry>,
    run: Option<Run>,
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

/// A directory's size and time, not following a final symbolic link.
fn stat_dir(path: &Path) -> Option<(u64, u128)> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.is_dir().then_some((meta.len(), mtime_ns(&meta)?))
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
        let (entries, run) = parse(&text).unwrap_or_default();
        Self {
            entries: entries.into_iter().map(|e| (e.key.clone(), e)).collect(),
            run,
            written_ns,
        }
    }

    /// Whether `file`, read by `stat` in `dir`, is as recorded and older than the cache.
    fn unchanged(
        &self,
        file: &Recorded,
        dir: Option<&Path>,
        stat: fn(&Path) -> Option<(u64, u128)>,
    ) -> bool {
        let now = dir.and_then(|d| stat(&d.join(&file.path)));
        file.mtime_ns < self.written_ns && now == Some((file.size, file.mtime_ns))
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
            self.unchanged(f, dir, stat)
        });
        unchanged.then_some(entry)
    }

    /// The run recorded under `key` and its services' entries, when every one of them and
    /// every run-wide file and runbook directory is as recorded.
    pub(crate) fn current_run(
        &self,
        key: &str,
        out: &Path,
        runbooks: Option<&Path>,
    ) -> Option<(&Run, Vec<&Entry>)> {
        let run = self.run.as_ref().filter(|r| r.key == key)?;
        let unchanged = run.files.iter().all(|f| match f.hash {
            Some(_) => self.unchanged(f, Some(out), stat),
            None => self.unchanged(f, runbooks, stat_dir),
        });
        let entries = run
            .entries
            .iter()
            .map(|k| self.current(k, out, runbooks))
            .collect::<Option<Vec<_>>>()?;
        unchanged.then_some((run, entries))
    }

    /// Every entry, for a run that keeps the entries of services it did not compile.
    pub(crate) fn into_entries(self) -> impl Iterator<Item = Entry> {
        self.entries.into_values()
    }
}

/// The entries and the run of a cache's text; `None` if any line is not as [`write`] writes
/// it. The run, if any, comes after every entry.
fn parse(text: &str) -> Option<(Vec<Entry>, Option<Run>)> {
    let mut lines = text.lines();
    if lines.next()? != HEADER {
        return None;
    }
    let (mut entries, mut run): (Vec<Entry>, Option<Run>) = (Vec::new(), None);
    for line in lines {
        let (kind, rest) = line.split_once(' ')?;
        match (kind, run.as_mut()) {
            ("service", None) => {
                let (key, groups) = rest.split_once(' ')?;
                entries.push(Entry {
                    key: token(key)?,
                    rule_groups: groups.parse().ok()?,
                    files: Vec::new(),
                });
            }
            ("run", None) => run = Some(run_line(rest)?),
            ("o" | "r", None) => entries.last_mut()?.files.push(file_line(kind, rest)?),
            ("o" | "d", Some(run)) => run.files.push(file_line(kind, rest)?),
            ("s", Some(run)) => run.entries.push(token(rest)?),
            ("e", Some(run)) => run.diagnostics.push(rest.to_string()),
            _ => return None,
        }
    }
    Some((entries, run))
}

/// A key: one word.
fn token(text: &str) -> Option<String> {
    (!text.is_empty() && !text.contains(' ')).then(|| text.to_string())
}

/// `KEY SERVICES SLOS`.
fn run_line(rest: &str) -> Option<Run> {
    let mut fields = rest.split(' ');
    let key = token(fields.next()?)?;
    let counts = (fields.next()?.parse().ok()?, fields.next()?.parse().ok()?);
    fields.next().is_none().then(|| Run {
        key,
        counts,
        ..Run::default()
    })
}

/// `SIZE MTIME HASH PATH` (`o`, a generated file) or `SIZE MTIME PATH` (`r` a runbook, `d` a
/// runbook directory).
fn file_line(kind: &str, rest: &str) -> Option<Recorded> {
    let mut fields = rest.splitn(3, ' ');
    let (size, mtime, rest) = (fields.next()?, fields.next()?, fields.next()?);
    let (hash, path) = match kind {
        "o" => {
            let (hash, path) = rest.split_once(' ')?;
            (Some(token(hash)?), path)
        }
        _ => (None, rest),
    };
    Some(Recorded {
        path: plain_relative(path)?.to_string(),
        hash,
        size: size.parse().ok()?,
        mtime_ns: mtime.parse().ok()?,
    })
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
    run: Option<&RunWrote>,
) -> std::io::Result<()> {
    let mut entries: Vec<Entry> = wrote
        .iter()
        .filter_map(|w| entry(out, runbooks, hashes, w))
        .collect();
    let fresh: std::collections::HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
    let run = run.and_then(|r| run_record((out, runbooks), hashes, r, &fresh));
    entries.extend(kept.filter(|e| !fresh.contains(&e.key)));
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    let text = render(&entries, run.as_ref());
    let dir = out.join(DIR);
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(".gitignore"), "*\n")?;
    // Named as every temporary is, so the next run removes one a killed run left.
    let temp = dir.join(format!(".slocc-tmp-{}-{FILE}", std::process::id()));
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, dir.join(FILE))
}

/// The cache's text: the entries, then the run.
fn render(entries: &[Entry], run: Option<&Run>) -> String {
    let mut text = format!("{HEADER}\n");
    for e in entries {
        let _ = writeln!(text, "service {} {}", e.key, e.rule_groups);
        render_files(&mut text, &e.files, 'r');
    }
    if let Some(run) = run {
        let _ = writeln!(text, "run {} {} {}", run.key, run.counts.0, run.counts.1);
        render_files(&mut text, &run.files, 'd');
        for key in &run.entries {
            let _ = writeln!(text, "s {key}");
        }
        for line in &run.diagnostics {
            let _ = writeln!(text, "e {line}");
        }
    }
    text
}

/// One line per file: `o` for a generated file, `unhashed` for the others.
fn render_files(text: &mut String, files: &[Recorded], unhashed: char) {
    for f in files {
        let _ = match &f.hash {
            Some(hash) => writeln!(text, "o {} {} {hash} {}", f.size, f.mtime_ns, f.path),
            None => writeln!(text, "{unhashed} {} {} {}", f.size, f.mtime_ns, f.path),
        };
    }
}

/// The run's record, when every service it compiled has an entry (`written`) and every file
/// and directory can be read.
fn run_record(
    (out, runbooks): (&Path, Option<&Path>),
    hashes: &Manifest,
    run: &RunWrote,
    written: &std::collections::HashSet<String>,
) -> Option<Run> {
    let complete = run.run.entries.iter().all(|k| written.contains(k));
    if !complete || run.run.diagnostics.iter().any(|d| d.contains('\n')) {
        return None;
    }
    let mut files = Vec::new();
    for path in &run.generated {
        files.push(generated(out, hashes, path)?);
    }
    for path in &run.dirs {
        let (size, mtime_ns) = stat_dir(&runbooks?.join(path))?;
        files.push(Recorded {
            path: path.clone(),
            hash: None,
            size,
            mtime_ns,
        });
    }
    Some(Run {
        files,
        ..run.run.clone()
    })
}

/// A generated file of `out` as it is now, with the hash `manifest` gives it.
fn generated(out: &Path, manifest: &Manifest, path: &str) -> Option<Recorded> {
    let (size, mtime_ns) = stat(&out.join(path))?;
    Some(Recorded {
        path: path.to_string(),
        hash: Some(manifest.hash(path)?.clone()),
        size,
        mtime_ns,
    })
}

fn entry(out: &Path, runbooks: Option<&Path>, manifest: &Manifest, wrote: &Wrote) -> Option<Entry> {
    let (key, rule_groups, generated_paths, regions) = wrote;
    let mut files = Vec::new();
    for path in generated_paths {
        files.push(generated(out, manifest, path)?);
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
        write(
            (out, Some(runbooks)),
            hashes,
            &wrote(),
            std::iter::empty(),
            None,
        )
        .unwrap();
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
        write(dirs, &manifest, &wrote(), std::iter::empty(), None).unwrap();
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
            "slocc fingerprints 1\n",
            "slocc fingerprints 2\no 1 2 h ../x\n",
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

    fn run(entries: &[&str]) -> RunWrote {
        let run = Run {
            key: "run1".into(),
            counts: (1, 2),
            entries: entries.iter().map(|k| k.to_string()).collect(),
            files: Vec::new(),
            diagnostics: vec!["{\"x\": 1}".into()],
        };
        RunWrote {
            run,
            generated: vec!["d/a.json".into()],
            dirs: vec!["a".into()],
        }
    }

    #[test]
    fn a_run_holds_while_its_entries_files_and_runbook_directories_do() {
        let dir = tempfile::tempdir().unwrap();
        let (out, runbooks, manifest) = compiled(dir.path());
        let dirs = (out.as_path(), Some(runbooks.as_path()));
        let record = |entries: &[&str]| {
            let run = run(entries);
            write(dirs, &manifest, &wrote(), std::iter::empty(), Some(&run)).unwrap();
        };
        std::thread::sleep(std::time::Duration::from_millis(50));
        record(&["k1"]);
        let cache = Fingerprints::read(&out);
        let (found, entries) = cache.current_run("run1", &out, Some(&runbooks)).unwrap();
        assert_eq!(
            (found.counts, &found.diagnostics[..]),
            ((1, 2), &["{\"x\": 1}".to_string()][..])
        );
        assert_eq!(
            entries.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            ["k1"]
        );
        assert_eq!(found.files.len(), 2);
        assert!(cache.current_run("run2", &out, Some(&runbooks)).is_none());
        assert!(cache.current_run("run1", &out, None).is_none());
        // A file added to a service's runbooks (an orphan to warn about) changes its directory.
        std::fs::write(runbooks.join("a/old.md"), "notes\n").unwrap();
        assert!(Fingerprints::read(&out)
            .current_run("run1", &out, Some(&runbooks))
            .is_none());
        // A run's service without an entry (its runbook left alone) is no run to record.
        std::thread::sleep(std::time::Duration::from_millis(50));
        record(&["k1", "k2"]);
        assert!(Fingerprints::read(&out).run.is_none());
        // A run-wide file changed since.
        record(&["k1"]);
        std::thread::sleep(std::time::Duration::from_millis(50));
        std::fs::write(out.join("d/a.json"), "{} \n").unwrap();
        assert!(Fingerprints::read(&out)
            .current_run("run1", &out, Some(&runbooks))
            .is_none());
    }

    #[test]
    fn a_run_is_read_only_as_written_after_every_entry() {
        let entry = "service k 1\no 1 2 h a.yml\n";
        let run = "run r 1 2\no 1 2 h b.json\nd 4096 3 a\ns k\ne {\"a\": \"b c\"}\n";
        let (entries, found) = parse(&format!("{HEADER}\n{entry}{run}")).unwrap();
        assert_eq!((entries.len(), found.unwrap().files.len()), (1, 2));
        for damaged in [
            format!("{run}{entry}"),
            format!("{entry}{run}{run}"),
            format!("{entry}run r 1\n"),
            format!("{entry}run r 1 2 3\n"),
            format!("{entry}s k\n"),
            format!("{entry}run r 1 2\nr 1 2 x.md\n"),
            format!("{entry}run r 1 2\ns a b\n"),
            format!("{entry}run r 1 2\nd 1 2 ../x\n"),
        ] {
            assert!(
                parse(&format!("{HEADER}\n{damaged}")).is_none(),
                "{damaged:?}"
            );
        }
    }
}
