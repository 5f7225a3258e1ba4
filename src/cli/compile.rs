//! `slocc compile`: write rule files, dashboards and runbooks, or (`--check`) compare them.

use std::io::Write;

use super::Format;
use super::{plural, slo_count, CompileConfig, Error, Io, Outcome, EXIT_INVALID, EXIT_OK};
use crate::pipeline;

pub(super) fn run(config: &CompileConfig, mut io: Io<'_>) -> Outcome {
    let overrides = crate::model::check::Overrides {
        compat: config.compat,
        query_language: Some(config.target.target.query_language()),
    };
    let read = pipeline::read_specs(&config.paths)?;
    // Built before the specs are judged (the run's key needs it), reported after, as ever.
    let cx = context(config);
    let key = cx.as_ref().ok().and_then(|cx| run_key(config, &read, cx));
    if let (Some(key), Ok(cx)) = (&key, &cx) {
        let unchanged = pipeline::compile_unchanged(key, &read.sources, cx, &config.out)?;
        if let Some((recalled, compiled)) = unchanged {
            return recalled_run(config, read.sources, recalled, &compiled, cx, io);
        }
    }
    let mut checked = super::selected(pipeline::check_read(read, overrides), &config.select)?;
    if checked.failed() {
        io.report(&checked, config.format)?;
        writeln!(
            io.stderr,
            "nothing written: fix the errors above and run again"
        )?;
        return Ok(EXIT_INVALID);
    }
    crate::model::select::add_labels(&mut checked.services, &config.labels)?;
    let cx = cx?;
    if config.check {
        return check_mode(config, checked, &cx, io);
    }
    let compiled = write(config, &checked, &cx, key);
    let compiled = reported_first(compiled, &checked, config, &mut io)?;
    if let Some(dir) = config.runbooks.as_deref() {
        super::runbooks::diagnostics(&mut checked, &compiled.runbooks_broken, dir, false);
    }
    io.report(&checked, config.format)?;
    if config.format == Format::Human {
        let counts = (checked.services.len(), slo_count(&checked));
        summary(config, counts, &compiled, &cx.runbooks_shown, io.stderr)?;
    }
    Ok(EXIT_OK)
}

/// The run's templates and options.
fn context(config: &CompileConfig) -> Result<crate::emit::Context, Error> {
    let templates = crate::emit::templates::Templates::with_overrides(config.templates.as_deref())?;
    Ok(crate::emit::Context::new(templates, config.target.clone())
        .with_parts(config.parts)
        .with_runbooks(config.runbooks.as_deref())
        .with_alert_tests(config.alert_tests)
        .with_backfill(config.backfill))
}

/// The key of a compile that may be recorded whole (every service, written, every file
/// text): the next compile with this key reads no spec.
fn run_key(
    config: &CompileConfig,
    read: &pipeline::Read,
    cx: &crate::emit::Context,
) -> Option<String> {
    if config.check || !config.select.is_all() || !read.not_utf8.is_empty() {
        return None;
    }
    let inputs = pipeline::Inputs {
        sources: &read.sources,
        compat: config.compat,
        labels: &config.labels,
    };
    pipeline::run_key(&inputs, cx)
}

/// Writes the outputs; a complete run is recorded under `key`, unless an orphaned runbook
/// (whose warning depends on more than the inputs) is there to warn about.
fn write(
    config: &CompileConfig,
    checked: &crate::model::check::Checked,
    cx: &crate::emit::Context,
    key: Option<String>,
) -> Result<pipeline::Compiled, pipeline::Error> {
    if !config.select.is_all() {
        return pipeline::compile(&checked.services, cx, &config.out, false);
    }
    let orphans = |dir| !super::runbooks::all_orphans(checked, dir).is_empty();
    let record = key
        .filter(|_| !config.runbooks.as_deref().is_some_and(orphans))
        .and_then(|key| pipeline::Record::new(key, checked));
    pipeline::compile_recorded(checked, cx, &config.out, record)
}

/// A compile whose inputs and files are as the last one left them: its diagnostics and
/// summary, nothing rendered.
fn recalled_run(
    config: &CompileConfig,
    sources: crate::diag::Sources,
    (diagnostics, counts): pipeline::Recalled,
    compiled: &pipeline::Compiled,
    cx: &crate::emit::Context,
    mut io: Io<'_>,
) -> Outcome {
    let checked = crate::model::check::Checked {
        sources,
        diagnostics,
        specs: Vec::new(),
        settings: Vec::new(),
        services: Vec::new(),
    };
    io.report(&checked, config.format)?;
    if config.format == Format::Human {
        summary(config, counts, compiled, &cx.runbooks_shown, io.stderr)?;
    }
    Ok(EXIT_OK)
}

/// `result`, with the run's warnings printed before its error, so that a failed write does not
/// hide them.
fn reported_first<T>(
    result: Result<T, pipeline::Error>,
    checked: &crate::model::check::Checked,
    config: &CompileConfig,
    io: &mut Io<'_>,
) -> Result<T, Error> {
    if result.is_err() {
        io.report(checked, config.format)?;
    }
    Ok(result?)
}

fn summary(
    config: &CompileConfig,
    (services, slos): (usize, usize),
    compiled: &pipeline::Compiled,
    runbooks_shown: &str,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let written = &compiled.written;
    write!(
        stderr,
        "compiled {} service{} ({} SLO{}) into {}: {} written, {} unchanged, {} removed",
        services,
        plural(services),
        slos,
        plural(slos),
        crate::vocab::path::display(&config.out),
        written.changed.len(),
        written.unchanged.len(),
        written.removed.len(),
    )?;
    if config.runbooks.is_some() {
        write!(
            stderr,
            "; runbooks in {runbooks_shown}: {} created, {} refreshed",
            compiled.runbooks_created, compiled.runbooks_refreshed,
        )?;
    }
    writeln!(stderr)?;
    if !written.edited.is_empty() {
        writeln!(
            stderr,
            "kept {} generated file{} that no spec produces any more but someone edited ({}); delete {} when the edits are no longer needed",
            written.edited.len(),
            plural(written.edited.len()),
            written.edited.join(", "),
            if written.edited.len() == 1 { "it" } else { "them" }
        )?;
    }
    Ok(())
}

/// `compile --check`: emits everything through the same path as `compile` into a sink that
/// compares each file with the output directory as it arrives (keeping only what differs),
/// and the runbooks; the diff of every stale file on stdout.
fn check_mode(
    config: &CompileConfig,
    mut checked: crate::model::check::Checked,
    cx: &crate::emit::Context,
    mut io: Io<'_>,
) -> Outcome {
    let complete = config.select.is_all();
    let runbooks = config.runbooks.as_deref();
    let compared = pipeline::compare(&checked.services, cx, complete, &config.out);
    let (compared, plans) = reported_first(compared, &checked, config, &mut io)?;
    if let Some(dir) = runbooks {
        // Missing and stale runbooks are counted as stale files below, not warned about.
        super::runbooks::diagnostics(&mut checked, &plans, dir, false);
    }
    io.report(&checked, config.format)?;
    if !config.out.join(crate::output::manifest::FILE).exists() {
        // Not an output slocc wrote (a wrong `-o`, or never compiled): one line, not a diff
        // of every file it would write.
        writeln!(
            io.stderr,
            "{} holds no slocc output (no `{}`): if your outputs are elsewhere, name that directory with `-o DIR`; to write them here, run `{}` and commit the result",
            crate::vocab::path::display(&config.out),
            crate::vocab::path::display(&config.out.join(crate::output::manifest::FILE)),
            config.rerun
        )?;
        return Ok(EXIT_INVALID);
    }
    let generated = compared.produced.len();
    let mut stale: Vec<StaleFile> = compared
        .stale
        .into_iter()
        .map(|s| (config.out.join(&s.path), s.on_disk, s.generated))
        .collect();
    if let Some(dir) = runbooks {
        // Every runbook `compile` would write differs from what is on disk (or is missing).
        for (relative, content) in compared.runbooks {
            let path = dir.join(relative);
            let on_disk = std::fs::read_to_string(&path).ok();
            stale.push((path, on_disk, Some(content)));
        }
    }
    report_stale(config, generated, &stale, io)
}

type StaleFile = (std::path::PathBuf, Option<String>, Option<String>);

fn report_stale(
    config: &CompileConfig,
    generated: usize,
    stale: &[StaleFile],
    io: Io<'_>,
) -> Outcome {
    let dir = crate::vocab::path::display(&config.out);
    for (path, on_disk, generated) in stale {
        let shown = crate::vocab::path::display(path);
        let diff = crate::output::unified_diff(
            on_disk.as_deref().unwrap_or(""),
            generated.as_deref().unwrap_or(""),
            &format!("a/{shown}"),
            &format!("b/{shown}"),
        );
        io.stdout.write_all(diff.as_bytes())?;
    }
    if stale.is_empty() {
        writeln!(io.stderr, "{dir} is up to date ({generated} files)")?;
        return Ok(EXIT_OK);
    }
    let names: Vec<String> = stale
        .iter()
        .map(|(p, _, _)| crate::vocab::path::display(p))
        .collect();
    writeln!(
        io.stderr,
        "outputs are stale: {} file{} differ{} from the specs ({}); run `{}` and commit the result",
        stale.len(),
        plural(stale.len()),
        if stale.len() == 1 { "s" } else { "" },
        names.join(", "),
        config.rerun
    )?;
    Ok(EXIT_INVALID)
}
