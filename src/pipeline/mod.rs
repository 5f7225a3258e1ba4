//! The pipeline: find spec files, read them, validate every service, and build the outputs in memory.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::diag::{Location, Sources};
use crate::emit;
use crate::emit::runbook::{RunbookPlan, Update};
use crate::model::check::{check_sources_with, Checked, Overrides};
use crate::model::Service;
use crate::output::sink::{Compare, Compared, Disk, Memory, Recording, Sink};
use crate::output::Output;
use crate::vocab::path::display;

mod cache;
mod git;

pub(crate) use cache::{run_key, Inputs, Recalled, Record};

pub(crate) use git::sources_at_revision;

/// Errors that stop a run before any spec is judged (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// No spec files in the given paths.
    #[error("no spec files (`*.yaml`, `*.yml`) found in {0}; write one there (docs/spec.md starts with an example) or name the files or directories that hold your specs")]
    NoSpecs(String),
    /// A path given (or the default `specs`) does not exist.
    #[error("`{0}` does not exist; name the files or directories that hold your specs (`slocc check PATH...`), or put them in `specs/`")]
    Missing(String),
    /// Reading specs from git failed (unknown revision, not a repository).
    #[error("{0}")]
    Git(String),
    /// A template failed to parse, or an emitter failed.
    #[error(transparent)]
    Emit(#[from] crate::emit::Error),
    /// Writing outputs failed; earlier outputs are intact.
    #[error(transparent)]
    Output(#[from] crate::output::Error),
}

/// The default input when no paths are given.
pub(crate) const DEFAULT_SPECS: &str = "specs";

/// Lists spec files under `paths` (files as given, directories recursively), sorted, no repeats.
pub(crate) fn spec_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut files = Vec::new();
    for path in paths {
        let meta = std::fs::metadata(path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => Error::Missing(display(path)),
            _ => Error::Io {
                path: display(path),
                source,
            },
        })?;
        if meta.is_dir() {
            collect_dir(path, &mut files, &mut Vec::new())?;
        } else {
            files.push(path.clone());
        }
    }
    files.sort();
    files.dedup();
    if files.is_empty() {
        let names: Vec<String> = paths.iter().map(|p| format!("`{}`", display(p))).collect();
        return Err(Error::NoSpecs(names.join(", ")));
    }
    Ok(files)
}

/// Spec files below `dir`. A directory reached twice through symbolic links (`loop -> .`) is
/// read once.
fn collect_dir(dir: &Path, files: &mut Vec<PathBuf>, seen: &mut Vec<PathBuf>) -> Result<(), Error> {
    if let Ok(real) = std::fs::canonicalize(dir) {
        if seen.contains(&real) {
            return Ok(());
        }
        seen.push(real);
    }
    let entries = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: display(dir),
        source,
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| Error::Io {
            path: display(dir),
            source,
        })?;
        let path = entry.path();
        if path.is_dir() {
            collect_dir(&path, files, seen)?;
        } else if matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yaml" | "yml")
        ) {
            files.push(path);
        }
    }
    Ok(())
}

/// Reads and validates every spec under `paths`. Files are judged in parallel; results are
/// merged in file order, so diagnostics and outputs never depend on scheduling.
pub fn check(paths: &[PathBuf]) -> Result<Checked, Error> {
    check_with(paths, Overrides::default())
}

/// [`check`], with the command line's choices (`--compat`, `--target`) over the settings'.
pub(crate) fn check_with(paths: &[PathBuf], overrides: Overrides) -> Result<Checked, Error> {
    Ok(check_read(read_specs(paths)?, overrides))
}

/// The spec files under some paths, read: the UTF-8 ones as sources, and the others.
pub(crate) struct Read {
    /// The files that are text, in file order.
    pub(crate) sources: Sources,
    /// The files that are not, by name.
    pub(crate) not_utf8: Vec<(String, std::string::FromUtf8Error)>,
}

/// Reads every spec file under `paths` ([`spec_files`]).
pub(crate) fn read_specs(paths: &[PathBuf]) -> Result<Read, Error> {
    let mut read = Read {
        sources: Sources::default(),
        not_utf8: Vec::new(),
    };
    for file in &spec_files(paths)? {
        let bytes = std::fs::read(file).map_err(|source| Error::Io {
            path: display(file),
            source,
        })?;
        match String::from_utf8(bytes) {
            Ok(text) => {
                read.sources.add(display(file), text);
            }
            Err(e) => read.not_utf8.push((display(file), e)),
        }
    }
    Ok(read)
}

/// Validates spec files read by [`read_specs`].
pub(crate) fn check_read(read: Read, overrides: Overrides) -> Checked {
    let mut checked = check_sources_with(read.sources, overrides);
    for (name, error) in read.not_utf8 {
        report_not_utf8(&mut checked, name, error);
    }
    checked
}

/// A file that is not UTF-8 is an error at its first bad byte; the other files are still
/// checked. Its text is kept (lossily) only to quote the line.
fn report_not_utf8(checked: &mut Checked, name: String, error: std::string::FromUtf8Error) {
    let valid = error.utf8_error().valid_up_to();
    let bytes = error.into_bytes();
    let before = String::from_utf8_lossy(&bytes[..valid]);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let source = checked
        .sources
        .add(name, String::from_utf8_lossy(&bytes).into_owned());
    let at = Location {
        source,
        line,
        column,
    };
    checked
        .diagnostics
        .push(crate::spec::diags::not_utf8(at, bytes[valid]));
}

/// Puts one service's artifacts into `sink`, kind by kind ([`emit::EMITTERS`]); returns its
/// runbook plans, whose texts are in the sink by then, and the rule groups it wrote.
fn emit_service(service: &Service, cx: &emit::Context, sink: &dyn Sink) -> PerService {
    let mut out = emit::Emission::new(sink);
    for emitter in emit::EMITTERS {
        if let emit::Emitter::Service(put) = emitter {
            put(service, cx, &mut out)?;
        }
    }
    Ok((out.plans, out.rule_groups))
}

/// Emits every artifact of `services` into `sink`, each service on whichever core is free, so
/// that a disk sink never holds all outputs in memory; the run-wide kinds (the overview
/// dashboard, the Alertmanager configuration) when `complete` (every service of the specs, not
/// a selection). Returns the runbook plans in service order.
pub(crate) fn emit(
    services: &[Service],
    cx: &emit::Context,
    complete: bool,
    sink: &dyn Sink,
) -> Result<Vec<RunbookPlan>, Error> {
    let each = |service: &Service| emit_service(service, cx, sink);
    emit_with(services, cx, complete, sink, &each)
}

/// What putting one service's artifacts gives: its runbook plans and rule groups.
type PerService = Result<(Vec<RunbookPlan>, usize), emit::Error>;

/// [`emit`], each service's artifacts put by `each`.
fn emit_with(
    services: &[Service],
    cx: &emit::Context,
    complete: bool,
    sink: &dyn Sink,
    each: &(dyn Fn(&Service) -> PerService + Sync),
) -> Result<Vec<RunbookPlan>, Error> {
    let per_service: Vec<PerService> = services.par_iter().map(each).collect();
    let (mut plans, mut groups) = (Vec::new(), 0);
    for service in per_service {
        let (service_plans, service_groups) = service?;
        plans.extend(service_plans);
        groups += service_groups;
    }
    cx.target.fits_tenant(groups)?;
    if complete {
        emit_run(services, cx, sink)?;
    }
    Ok(plans)
}

/// The generated files (rules, dashboards) of `services`, built in memory (`diff`, one
/// service at a time): the same path as [`compile`], another sink.
pub(crate) fn build(
    services: &[Service],
    cx: &emit::Context,
    complete: bool,
) -> Result<Output, Error> {
    let sink = Memory::default();
    emit(services, cx, complete, &sink)?;
    Ok(sink.into_outputs().0)
}

/// The run-wide files of `services` alone (the overview dashboard, the Alertmanager
/// configuration), built in memory.
pub(crate) fn build_run(services: &[Service], cx: &emit::Context) -> Result<Output, Error> {
    let sink = Memory::default();
    emit_run(services, cx, &sink)?;
    Ok(sink.into_outputs().0)
}

/// Emits the run-wide kinds of `services` (none for no services) into `sink`.
fn emit_run(services: &[Service], cx: &emit::Context, sink: &dyn Sink) -> Result<(), emit::Error> {
    if services.is_empty() {
        return Ok(());
    }
    let mut out = emit::Emission::new(sink);
    for emitter in emit::EMITTERS {
        if let emit::Emitter::Run(put) = emitter {
            put(services, cx, &mut out)?;
        }
    }
    Ok(())
}

/// Compares with the output directory `out` as the artifacts are emitted (`compile --check`):
/// the same path as [`compile`], a sink that keeps only what differs. Returns what it found
/// and the runbook plans.
pub(crate) fn compare(
    services: &[Service],
    cx: &emit::Context,
    complete: bool,
    out: &Path,
) -> Result<(Compared, Vec<RunbookPlan>), Error> {
    let sink = Compare::new(out);
    let plans = emit(services, cx, complete, &sink)?;
    Ok((sink.finish(complete)?, plans))
}

fn runbooks_dir_usable(dir: &Path) -> Result<(), Error> {
    if dir.exists() && !dir.is_dir() {
        return Err(Error::Output(crate::output::Error::NotADirectory(display(
            dir,
        ))));
    }
    Ok(())
}

/// Works out every runbook's update by reading what is on disk; writes nothing.
pub(crate) fn plan_runbooks(
    services: &[Service],
    templates: &crate::emit::templates::Templates,
    dir: &Path,
) -> Result<Vec<RunbookPlan>, Error> {
    runbooks_dir_usable(dir)?;
    let per_service: Vec<_> = services
        .par_iter()
        .map(|service| emit::runbook::plan_service(service, templates, dir))
        .collect();
    let mut plans = Vec::new();
    for service_plans in per_service {
        plans.extend(service_plans?);
    }
    Ok(plans)
}

/// What [`compile`] did.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Generated outputs changed, unchanged and removed.
    pub(crate) written: crate::output::Written,
    /// Runbooks created.
    pub(crate) runbooks_created: usize,
    /// Runbooks whose generated region was refreshed.
    pub(crate) runbooks_refreshed: usize,
    /// Runbooks left alone because their markers are broken (the text of `update` says why).
    pub(crate) runbooks_broken: Vec<RunbookPlan>,
}

/// Compiles the checked services into `out` and their runbooks into `runbooks` (none when
/// `None`) through the disk sink: nothing appears in either directory unless every file of the
/// run was staged, and the runbooks are committed after the generated outputs. When `complete`
/// (every service of the specs), generated files no longer produced are removed; a selection
/// leaves other files alone. A service whose files the last compile wrote, unchanged since,
/// is not rendered again ([`cache`]).
pub fn compile(
    services: &[Service],
    cx: &emit::Context,
    out: &Path,
    complete: bool,
) -> Result<Compiled, Error> {
    compile_with(services, cx, out, complete, None)
}

/// [`compile`] of every service of `checked`, recorded whole under `record`'s key so that the
/// next compile with the same inputs reads no spec ([`compile_unchanged`]).
pub(crate) fn compile_recorded(
    checked: &crate::model::check::Checked,
    cx: &emit::Context,
    out: &Path,
    record: Option<Record>,
) -> Result<Compiled, Error> {
    compile_with(&checked.services, cx, out, true, record)
}

/// What the last complete compile into `out` recorded under `key` (the same inputs), when
/// every file it wrote is as it left it: its files are kept and committed without reading a
/// spec, and its diagnostics and counts returned. `None` otherwise, having changed nothing.
pub(crate) fn compile_unchanged(
    key: &str,
    sources: &Sources,
    cx: &emit::Context,
    out: &Path,
) -> Result<Option<(Recalled, Compiled)>, Error> {
    let Some((recalled, written)) = cache::unchanged(key, sources, cx, out)? else {
        return Ok(None);
    };
    let compiled = Compiled {
        written,
        ..Compiled::default()
    };
    Ok(Some((recalled, compiled)))
}

fn compile_with(
    services: &[Service],
    cx: &emit::Context,
    out: &Path,
    complete: bool,
    record: Option<Record>,
) -> Result<Compiled, Error> {
    let runbooks = cx.runbooks.as_deref();
    // One run at a time per directory; both locks are held until the cache is written.
    let _locks = crate::output::lock::lock_all(&[Some(out), runbooks])?;
    let sink = Disk::new(out, runbooks, complete)?;
    let cached = cache::Cached::new(cx, out);
    let each = |service: &Service| cached.emit(service, cx, &sink, out);
    let plans = emit_with(services, cx, false, &sink, &each)?;
    let mut run_files = Vec::new();
    if complete {
        let recording = Recording::new(&sink);
        emit_run(services, cx, &recording)?;
        run_files = recording.into_paths();
    }
    let mut compiled = Compiled::default();
    for plan in plans {
        match plan.update {
            Update::Create(_) => compiled.runbooks_created += 1,
            Update::Refresh(_) => compiled.runbooks_refreshed += 1,
            Update::UpToDate => {}
            Update::Markers(_) => compiled.runbooks_broken.push(plan),
        }
    }
    // No entry may vouch for files while they change; a removal that fails leaves entries
    // whose files' times no longer match.
    let _ = crate::output::fingerprints::remove(out);
    compiled.written = sink.commit()?;
    // A service's runbooks directory is where an orphaned runbook would appear.
    let dirs = match runbooks {
        Some(_) => services.iter().map(|s| s.name.clone()).collect(),
        None => Vec::new(),
    };
    let run = record.map(|r| (r, run_files, dirs));
    cached.write((out, runbooks), &compiled.written.hashes, complete, run);
    Ok(compiled)
}
