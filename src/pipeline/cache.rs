//! `compile` skips the services whose files the last compile wrote and nobody touched since
//! (`output::fingerprints`): a service's fingerprint is a SHA-256 of everything its files are
//! made of (the slocc binary, the run's options and template overrides, the validated service
//! with the labels the command line added), so the same fingerprint means the same files.
//!
//! A complete run is recorded whole under a key of everything it read ([`run_key`]: the
//! spec files' names and text, the command line's choices, the binary, and where today
//! stands for the time-zone warnings), with its diagnostics: the next compile with the same
//! key, every file as recorded, reads no spec at all ([`unchanged`]).

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Mutex;

use sha2::{Digest, Sha256};

use crate::diag::{Diagnostic, Diagnostics, Sources};
use crate::emit;
use crate::emit::runbook::{RunbookPlan, Update};
use crate::model::check::Checked;
use crate::model::Service;
use crate::output::fingerprints::{self, Entry, Fingerprints, Run, RunWrote, Wrote};
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
        Some(hex(&hash.finalize()))
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
    /// `complete` run (every service) keeps no other entry. `run` records the run whole when
    /// every service was noted (none has a runbook left alone). Errors are not the run's: a
    /// cache that is not written costs the next run time, never a wrong file.
    pub(super) fn write(
        self,
        dirs: (&Path, Option<&Path>),
        hashes: &Manifest,
        complete: bool,
        run: Option<(Record, Vec<String>, Vec<String>)>,
    ) {
        let wrote = self.wrote.into_inner().unwrap_or_else(|e| e.into_inner());
        let kept: Box<dyn Iterator<Item = Entry>> = if complete {
            Box::new(std::iter::empty())
        } else {
            Box::new(self.old.into_entries())
        };
        let run = run
            .filter(|(Record(run), _, _)| complete && wrote.len() == run.counts.0)
            .map(|(Record(run), generated, dirs)| RunWrote {
                run: Run {
                    entries: wrote.iter().map(|w| w.0.clone()).collect(),
                    ..run
                },
                generated,
                dirs,
            });
        let _ = fingerprints::write(dirs, hashes, &wrote, kept, run.as_ref());
    }
}

/// What a complete run records beside its services, as the command knows it: the key of its
/// inputs, its counts of services and SLOs, and its diagnostics (one JSON line each).
pub(crate) struct Record(Run);

impl Record {
    /// The record of `checked`'s run under `key`.
    pub(crate) fn new(key: String, checked: &Checked) -> Option<Self> {
        let slos = checked.services.iter().map(|s| s.slos.len()).sum();
        let diagnostics = checked
            .diagnostics
            .iter()
            .map(serde_json::to_string)
            .collect::<Result<_, _>>()
            .ok()?;
        Some(Self(Run {
            key,
            counts: (checked.services.len(), slos),
            diagnostics,
            ..Run::default()
        }))
    }
}

/// The inputs of a compile: the spec files read and the command line's choices the
/// [`emit::Context`] does not hold.
pub(crate) struct Inputs<'a> {
    /// The spec files, named as diagnostics show them.
    pub(crate) sources: &'a Sources,
    /// `--compat`.
    pub(crate) compat: Option<crate::model::Compat>,
    /// `--label`s.
    pub(crate) labels: &'a std::collections::BTreeMap<String, String>,
}

/// The key of everything a compile of `inputs` for `cx` reads; `None` when the binary cannot
/// be identified. Names and texts are hashed with their lengths, so no two file sets collide
/// by moving bytes from one to the next.
pub(crate) fn run_key(inputs: &Inputs<'_>, cx: &emit::Context) -> Option<String> {
    let mut hash = run_hash(cx)?;
    let today = crate::vocab::timezone::span_end_at(crate::vocab::timezone::today());
    write!(
        Hashing(&mut hash),
        " {:?} {:?} {today:?} {}",
        inputs.compat,
        inputs.labels,
        inputs.sources.files().len()
    )
    .ok()?;
    for file in inputs.sources.files() {
        for part in [&file.name, &file.text] {
            hash.update((part.len() as u64).to_le_bytes());
            hash.update(part.as_bytes());
        }
    }
    Some(hex(&hash.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    let mut hex = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(hex, "{byte:02x}");
    }
    hex
}

/// What a run recorded whole says of this one: its diagnostics (located in `sources`), its
/// counts of services and SLOs.
pub(crate) type Recalled = (Diagnostics, (usize, usize));

/// Keeps every file of the run recorded under `key` and commits, when every one is as
/// recorded and the manifest agrees: what a compile of the same inputs would do, without
/// reading a spec. `None` (nothing changed on disk) otherwise.
pub(super) fn unchanged(
    key: &str,
    sources: &Sources,
    cx: &emit::Context,
    out: &Path,
) -> Result<Option<(Recalled, crate::output::Written)>, super::Error> {
    let runbooks = cx.runbooks.as_deref();
    let _locks = crate::output::lock::lock_all(&[Some(out), runbooks])?;
    let old = Fingerprints::read(out);
    let Some((run, entries)) = old.current_run(key, out, runbooks) else {
        return Ok(None);
    };
    let Some(diagnostics) = recalled(&run.diagnostics, sources) else {
        return Ok(None);
    };
    let sink = Disk::new(out, runbooks, true)?;
    let run_files = run
        .files
        .iter()
        .filter_map(|f| Some((f.path.as_str(), f.hash.as_deref()?)));
    if !(entries.iter().all(|e| sink.keep(kept_files(e))) && sink.keep(run_files)) {
        return Ok(None);
    }
    // Every file stays as the cache lists it: the cache still holds.
    Ok(Some(((diagnostics, run.counts), sink.commit()?)))
}

/// The diagnostics of a record, when each is whole and located in `sources`.
fn recalled(lines: &[String], sources: &Sources) -> Option<Diagnostics> {
    let mut all = Diagnostics::default();
    for line in lines {
        let d: Diagnostic = serde_json::from_str(line).ok()?;
        let located = d
            .location
            .iter()
            .chain(d.labels.iter().map(|(l, _)| l))
            .all(|l| sources.get(l.source).is_some());
        if !located || d.severity != d.code.severity() {
            return None;
        }
        all.push(d);
    }
    Some(all)
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

    fn spec_text(objective: &str) -> String {
        format!(
            "apiVersion: slocc/v1\nservice: s\nslos:\n  - name: a\n    objective: {objective}\n    sli:\n      ratio:\n        errors: sum(rate(e[{{{{window}}}}]))\n        total: sum(rate(t[{{{{window}}}}]))\n"
        )
    }

    /// The spec of [`spec_text`] at 99.9%, checked: one service, warnings, no error.
    fn checked() -> Checked {
        let mut sources = Sources::default();
        sources.add("s.yaml", spec_text("99.9"));
        let checked = crate::model::check::check_sources(sources);
        assert!(checked.diagnostics.iter().count() > 0 && !checked.failed());
        checked
    }

    /// `out` and `runbooks` in `root`, and a run of the built-in templates into them.
    fn directories(root: &Path) -> (std::path::PathBuf, std::path::PathBuf, emit::Context) {
        let (out, runbooks) = (root.join("out"), root.join("runbooks"));
        let templates = crate::emit::templates::Templates::builtin().unwrap();
        let target = crate::emit::targets::TargetOptions::default();
        let cx = emit::Context::new(templates, target).with_runbooks(Some(&runbooks));
        (out, runbooks, cx)
    }

    fn service(objective: &str) -> Service {
        crate::model::check::valid_service("s.yaml", spec_text(objective))
    }

    #[test]
    fn an_unchanged_service_is_kept_and_a_changed_one_rendered() {
        let dir = tempfile::tempdir().unwrap();
        let (out, runbooks, cx) = directories(dir.path());
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

    #[test]
    fn a_run_recorded_whole_is_kept_for_its_own_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let (out, _, cx) = directories(dir.path());
        let checked = checked();
        let labels = std::collections::BTreeMap::new();
        let inputs = |sources| Inputs {
            sources,
            compat: None,
            labels: &labels,
        };
        let key = run_key(&inputs(&checked.sources), &cx).unwrap();
        let record = Record::new(key.clone(), &checked);
        crate::pipeline::compile_recorded(&checked, &cx, &out, record).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let ((diagnostics, counts), written) = unchanged(&key, &checked.sources, &cx, &out)
            .unwrap()
            .unwrap();
        assert_eq!(
            diagnostics.iter().collect::<Vec<_>>(),
            checked.diagnostics.iter().collect::<Vec<_>>()
        );
        assert_eq!((counts, written.changed.len()), ((1, 1), 0));
        assert!(written.unchanged.iter().any(|p| p == "s.rules.yml"));
        assert!(unchanged("another", &checked.sources, &cx, &out)
            .unwrap()
            .is_none());
        // Another byte of a spec, or a byte moved from a file's name to its text, is another key.
        let mut other = Sources::default();
        other.add("s.yam", format!("l{}", checked.sources.files()[0].text));
        assert_ne!(run_key(&inputs(&other), &cx).unwrap(), key);
    }

    #[test]
    fn recorded_diagnostics_are_believed_only_whole_and_in_the_run_s_files() {
        let checked = checked();
        let d = checked.diagnostics.iter().next().unwrap().clone();
        let line = |d: &Diagnostic| serde_json::to_string(d).unwrap();
        let kept = recalled(&[line(&d)], &checked.sources).unwrap();
        assert_eq!(kept.iter().collect::<Vec<_>>(), [&d]);
        let mut elsewhere = d.clone();
        elsewhere.location.as_mut().unwrap().source = 1;
        let mut severity = d.clone();
        severity.severity = crate::diag::Severity::Error;
        let code = line(&d).replace(d.code.as_str(), "no-such-code");
        for damaged in [line(&elsewhere), line(&severity), code, "{".into()] {
            assert!(
                recalled(std::slice::from_ref(&damaged), &checked.sources).is_none(),
                "{damaged}"
            );
        }
    }
}
