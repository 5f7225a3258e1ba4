//! `compile` skips the services whose files the last compile wrote and nobody touched since
//! (`output::fingerprints`): a service's fingerprint is a SHA-256 of everything its files are
//! made of (the slocc binary, the run's options and template overrides, the validated service
//! with the labels the command line added), so the same fingerprint means the same files.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::emit;
use crate::emit::runbook::{RunbookPlan, Update};
use crate::model::Service;
use crate::output::fingerprints::{self, Entry, Fingerprints, Wrote};
use crate::output::manifest::Manifest;
use crate::output::sink::{Disk, Recording};

/// Feeds formatted text into a hash, so a service's `Debug` is hashed without being held.
struct Hashing<'h>(&'h mut Sha256);

impl std::fmt::Write for Hashing<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// A run's cache: the last compile's entries and what this run writes.
pub(super) struct Cached {
    /// The run's part of every fingerprint; `None` when the binary cannot be identified (no
    /// service is then skipped).
    run: Option<Sha256>,
    old: Fingerprints,
    wrote: Mutex<Vec<Wrote>>,
}

impl Cached {
    /// The cache of `out` for a run of `cx`.
    pub(super) fn new(cx: &emit::Context, out: &Path) -> Self {
        Self {
            run: run_hash(cx),
            old: Fingerprints::read(out),
            wrote: Mutex::default(),
        }
    }

    fn key(&self, service: &Service) -> Option<String> {
        let mut hash = self.run.clone()?;
        write!(Hashing(&mut hash), "{service:?}").ok()?;
        let digest = hash.finalize();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            write!(hex, "{byte:02x}").ok()?;
        }
        Some(hex)
    }

    /// Keeps `service`'s files when its entry is current and the manifest agrees, else emits
    /// it through `sink`, noting what it wrote. A service with a runbook left alone (broken
    /// markers) is noted nowhere: its warning must come every run.
    pub(super) fn emit(
        &self,
        service: &Service,
        cx: &emit::Context,
        sink: &Disk,
        out: &Path,
    ) -> super::PerService {
        let key = self.key(service);
        let runbooks = cx.runbooks.as_deref();
        let entry = key
            .as_ref()
            .and_then(|k| self.old.current(k, out, runbooks));
        if let Some(entry) = entry.filter(|e| sink.keep(kept_files(e))) {
            let plans: Vec<RunbookPlan> = entry
                .runbooks()
                .map(|path| RunbookPlan {
                    path: path.to_string(),
                    update: Update::UpToDate,
                    carried_from: None,
                })
                .collect();
            let generated = entry.generated().map(|f| f.path.clone()).collect();
            let runbooks = plans.iter().map(|p| p.path.clone()).collect();
            self.note((entry.key.clone(), entry.rule_groups, generated, runbooks));
            return Ok((plans, entry.rule_groups));
        }
        let recording = Recording::new(sink);
        let (plans, groups) = super::emit_service(service, cx, &recording)?;
        let generated = recording.into_paths();
        let markers = plans.iter().any(|p| matches!(p.update, Update::Markers(_)));
        if let (Some(key), false) = (key, markers) {
            let runbooks = plans.iter().map(|p| p.path.clone()).collect();
            self.note((key, groups, generated, runbooks));
        }
        Ok((plans, groups))
    }

    /// Notes what one service has in the directories once the run is committed.
    fn note(&self, wrote: Wrote) {
        let mut all = self.wrote.lock().unwrap_or_else(|e| e.into_inner());
        all.push(wrote);
    }

    /// Writes the new cache once the run is committed, with the hashes its manifest lists; a
    /// `complete` run (every service) keeps no other entry. Errors are not the run's: a cache
    /// that is not written costs the next run time, never a wrong file.
    pub(super) fn write(self, dirs: (&Path, Option<&Path>), hashes: &Manifest, complete: bool) {
        let wrote = self.wrote.into_inner().unwrap_or_else(|e| e.into_inner());
        let kept: Box<dyn Iterator<Item = Entry>> = if complete {
            Box::new(std::iter::empty())
        } else {
            Box::new(self.old.into_entries())
        };
        let _ = fingerprints::write(dirs, hashes, &wrote, kept);
    }
}

/// A current entry's generated files, as the manifest must list them.
fn kept_files(entry: &Entry) -> impl Iterator<Item = (&str, &str)> + Clone {
    entry
        .generated()
        .filter_map(|f| Some((f.path.as_str(), f.hash.as_deref()?)))
}

/// The run's part of the fingerprints: this binary (its size and time), and every option of
/// `cx` that shapes a file.
fn run_hash(cx: &emit::Context) -> Option<Sha256> {
    let exe = std::fs::metadata(std::env::current_exe().ok()?).ok()?;
    let mut hash = Sha256::new();
    write!(
        Hashing(&mut hash),
        "{} {} {:?} {:?} {:?} {:?} {:?} {} {} {:?}",
        env!("CARGO_PKG_VERSION"),
        exe.len(),
        exe.modified().ok()?,
        cx.target,
        cx.parts,
        cx.runbooks,
        cx.runbooks_shown,
        cx.alert_tests,
        cx.backfill,
        cx.templates.overridden(),
    )
    .ok()?;
    Some(hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(objective: &str) -> Service {
        let text = format!(
            "apiVersion: slocc/v1\nservice: s\nslos:\n  - name: a\n    objective: {objective}\n    sli:\n      ratio:\n        errors: sum(rate(e[{{{{window}}}}]))\n        total: sum(rate(t[{{{{window}}}}]))\n"
        );
        crate::model::check::valid_service("s.yaml", text)
    }

    #[test]
    fn an_unchanged_service_is_kept_and_a_changed_one_rendered() {
        let dir = tempfile::tempdir().unwrap();
        let (out, runbooks) = (dir.path().join("out"), dir.path().join("runbooks"));
        let templates = crate::emit::templates::Templates::builtin().unwrap();
        let target = crate::emit::targets::TargetOptions::default();
        let cx = emit::Context::new(templates, target).with_runbooks(Some(&runbooks));
        let before = [service("99.9")];
        // The first run's files share the cache's clock tick; the second run writes nothing
        // and vouches for all of them.
        for _ in 0..2 {
            crate::pipeline::compile(&before, &cx, &out, true).unwrap();
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let cached = Cached::new(&cx, &out);
        let sink = Disk::new(&out, Some(&runbooks), true).unwrap();
        let key = cached.key(&before[0]).unwrap();
        let entry = cached.old.current(&key, &out, Some(&runbooks)).unwrap();
        assert_eq!(entry.runbooks().collect::<Vec<_>>(), ["s/a.md"]);
        assert!(entry.generated().any(|f| f.path == "s.rules.yml"));
        assert!(sink.keep(kept_files(entry)));
        let (plans, groups) = cached.emit(&before[0], &cx, &sink, &out).unwrap();
        assert_eq!((plans[0].update.clone(), groups), (Update::UpToDate, 3));
        // Another objective, or another run option, is another fingerprint.
        assert_ne!(cached.key(&service("99.5")).unwrap(), key);
        let cx = cx.with_backfill(true);
        assert_ne!(Cached::new(&cx, &out).key(&before[0]).unwrap(), key);
    }
}
