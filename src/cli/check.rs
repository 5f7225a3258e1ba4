//! `slocc check`: validate specs, look at runbooks, report.

use super::Format;
use super::{plural, slo_count, CheckConfig, Io, Outcome, EXIT_INVALID, EXIT_OK};
use crate::pipeline;

pub(super) fn run(config: &CheckConfig, mut io: Io<'_>) -> Outcome {
    let mut checked = super::check_selected(&config.paths, &config.select, None)?;
    if let (false, Some(runbooks)) = (checked.failed(), &config.runbooks) {
        let overrides = config.templates.as_deref();
        let templates = crate::emit::templates::Templates::with_overrides(overrides)?;
        let plans = pipeline::plan_runbooks(&checked.services, &templates, runbooks)?;
        super::runbooks::diagnostics(&mut checked, &plans, runbooks, true);
    }
    io.report(&checked, config.format)?;
    if checked.failed() {
        return Ok(EXIT_INVALID);
    }
    let (_, warnings) = checked.diagnostics.counts();
    if config.deny_warnings && warnings > 0 {
        writeln!(
            io.stderr,
            "error: {warnings} warning{} and `--deny-warnings`",
            plural(warnings)
        )?;
        return Ok(EXIT_INVALID);
    }
    if config.format == Format::Human {
        let files = spec_file_count(&checked);
        writeln!(
            io.stderr,
            "checked {} service{} ({} SLO{}) in {} file{}: ok",
            checked.services.len(),
            plural(checked.services.len()),
            slo_count(&checked),
            plural(slo_count(&checked)),
            files,
            plural(files),
        )?;
    }
    Ok(EXIT_OK)
}

/// Spec files read (runbooks added for diagnostics are not counted).
fn spec_file_count(checked: &crate::model::check::Checked) -> usize {
    checked
        .sources
        .files()
        .iter()
        .filter(|f| !f.name.ends_with(".md"))
        .count()
}
