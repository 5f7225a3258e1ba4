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
    let mut checked = super::check_selected(&config.paths, &config.select, overrides)?;
    if checked.failed() {
        io.report(&checked, config.format)?;
        writeln!(
            io.stderr,
            "nothing written: fix the errors above and run again"
        )?;
        return Ok(EXIT_INVALID);
    }
    crate::model::select::add_labels(&mut checked.services, &config.labels)?;
    let templates = crate::emit::templates::Templates::with_overrides(config.templates.as_deref())?;
    let cx = crate::emit::Context::new(templates, config.target.clone())
        .with_parts(config.parts)
        .with_runbooks(config.runbooks.as_deref())
        .with_alert_tests(config.alert_tests)
        .with_backfill(config.backfill);
    if config.check {
        return check_mode(config, checked, &cx, io);
    }
    let complete = config.select.is_all();
    let runbooks = config.runbooks.as_deref();
    let compiled = pipeline::compile(&checked.services, &cx, &config.out, complete);
    let compiled = reported_first(compiled, &checked, config, &mut io)?;
    if let Some(dir) = runbooks {
        super::runbooks::diagnostics(&mut checked, &compiled.runbooks_broken, dir, false);
    }
    io.report(&checked, config.format)?;
    if config.format == Format::Human {
        summary(config, &checked, &compiled, &cx.runbooks_shown, io.stderr)?;
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
    checked: &crate::model::check::Checked,
    compiled: &pipeline::Compiled,
    runbooks_shown: &str,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let written = &compiled.written;
    write!(
        stderr,
        "compiled {} service{} ({} SLO{}) into {}: {} written, {} unchanged, {} removed",
        checked.services.len(),
        plural(checked.services.len()),
        slo_count(checked),
        plural(slo_count(checked)),
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
