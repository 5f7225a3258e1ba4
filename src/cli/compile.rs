//! `slocc compile`: write rule files, dashboards and runbooks, or (`--check`) compare them.

use std::io::Write;
use std::path::Path;

use super::{plural, slo_count, CompileConfig, Io, EXIT_INVALID, EXIT_OK};
use crate::diag::Format;
use crate::pipeline;

pub(super) fn run(config: &CompileConfig, mut io: Io<'_>) -> std::io::Result<i32> {
    let mut checked =
        match super::check_selected(&config.paths, &config.select, config.compat, &mut io)? {
            Ok(c) => c,
            Err(code) => return Ok(code),
        };
    if checked.failed() {
        io.report(&checked, config.format)?;
        writeln!(
            io.stderr,
            "nothing written: fix the errors above and run again"
        )?;
        return Ok(EXIT_INVALID);
    }
    if let Err(e) = crate::model::select::add_labels(&mut checked.services, &config.labels) {
        return io.usage_error(&e);
    }
    let templates =
        match crate::emit::templates::Templates::with_overrides(config.templates.as_deref()) {
            Ok(t) => t,
            Err(e) => return io.usage_error(&e),
        };
    let runbooks_shown = crate::vocab::path::display(
        config
            .runbooks
            .as_deref()
            .unwrap_or(Path::new(pipeline::DEFAULT_RUNBOOKS)),
    );
    let cx = crate::emit::prometheus::Context {
        templates: &templates,
        runbooks_dir: &runbooks_shown,
        target: &config.target,
        parts: config.parts,
    };
    if config.check {
        return check_mode(config, checked, cx, io);
    }
    let complete = config.select.is_all();
    let runbooks = config.runbooks.as_deref();
    let compiled = match pipeline::compile(&checked.services, cx, &config.out, runbooks, complete) {
        Ok(c) => c,
        Err(e) => {
            io.report(&checked, config.format)?;
            return io.usage_error(&e);
        }
    };
    if let Some(dir) = runbooks {
        super::check::runbook_diagnostics(&mut checked, &compiled.runbooks_broken, dir, false);
    }
    io.report(&checked, config.format)?;
    if config.format == Format::Human {
        summary(config, &checked, &compiled, &runbooks_shown, io.stderr)?;
    }
    Ok(EXIT_OK)
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

/// `compile --check`: builds everything in memory through the same path as `compile` and
/// compares it with the output directory and the runbooks; the diff of every stale file on
/// stdout.
fn check_mode(
    config: &CompileConfig,
    mut checked: crate::model::check::Checked,
    cx: crate::emit::prometheus::Context<'_>,
    mut io: Io<'_>,
) -> std::io::Result<i32> {
    let complete = config.select.is_all();
    let runbooks = config.runbooks.as_deref();
    let built = match pipeline::build(&checked.services, cx, runbooks, complete) {
        Ok(built) => built,
        Err(e) => {
            io.report(&checked, config.format)?;
            return io.usage_error(&e);
        }
    };
    if let Some(dir) = runbooks {
        // Missing and stale runbooks are counted as stale files below, not warned about.
        super::check::runbook_diagnostics(&mut checked, &built.plans, dir, false);
    }
    io.report(&checked, config.format)?;
    let mut stale: Vec<StaleFile> = match built.generated.stale(&config.out, complete) {
        Ok(s) => s
            .into_iter()
            .map(|s| (config.out.join(&s.path), s.on_disk, s.generated))
            .collect(),
        Err(e) => return io.usage_error(&e),
    };
    if let Some(dir) = runbooks {
        // Every runbook `compile` would write differs from what is on disk (or is missing).
        for (relative, content) in built.runbooks.files() {
            let path = dir.join(relative);
            let on_disk = std::fs::read_to_string(&path).ok();
            stale.push((path, on_disk, Some(content.clone())));
        }
    }
    report_stale(&config.out, built.generated.files().len(), &stale, io)
}

type StaleFile = (std::path::PathBuf, Option<String>, Option<String>);

fn report_stale(
    out: &Path,
    generated: usize,
    stale: &[StaleFile],
    io: Io<'_>,
) -> std::io::Result<i32> {
    let dir = crate::vocab::path::display(out);
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
        "outputs are stale: {} file{} differ{} from the specs ({}); run `slocc compile` and commit the result",
        stale.len(),
        plural(stale.len()),
        if stale.len() == 1 { "s" } else { "" },
        names.join(", ")
    )?;
    Ok(EXIT_INVALID)
}
