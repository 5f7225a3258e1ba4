//! `slocc check`: validate specs, look at runbooks, report.

use std::path::Path;

use super::{plural, slo_count, CheckConfig, Io, EXIT_INVALID, EXIT_OK};
use crate::diag::Format;
use crate::pipeline;

pub(super) fn run(config: &CheckConfig, mut io: Io<'_>) -> std::io::Result<i32> {
    let mut checked = match super::check_selected(&config.paths, &config.select, None, &mut io)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    if let (false, Some(runbooks)) = (checked.failed(), &config.runbooks) {
        let templates =
            match crate::emit::templates::Templates::with_overrides(config.templates.as_deref()) {
                Ok(t) => t,
                Err(e) => return io.usage_error(&e),
            };
        match pipeline::plan_runbooks(&checked.services, &templates, runbooks) {
            Ok(plans) => runbook_diagnostics(&mut checked, &plans, runbooks, true),
            Err(e) => return io.usage_error(&e),
        }
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

/// Turns runbook states into warnings. Broken markers always; missing and stale regions only
/// when nothing will fix them in this run (`check`, `compile --check`).
pub(super) fn runbook_diagnostics(
    checked: &mut crate::model::check::Checked,
    plans: &[pipeline::RunbookPlan],
    dir: &Path,
    report_missing_and_stale: bool,
) {
    use crate::diag::{Code, Diagnostic, Location};
    use crate::emit::runbook::Update;
    for plan in plans {
        let path = dir.join(&plan.path);
        let shown = crate::vocab::path::display(&path);
        let at_line = |checked: &mut crate::model::check::Checked, line: usize| {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let source = checked.sources.add(shown.clone(), text);
            Some(Location {
                source,
                line,
                column: 1,
            })
        };
        let diagnostic = match &plan.update {
            Update::UpToDate => continue,
            Update::Markers(problem) => Diagnostic::warning(
                Code::RunbookMarkers,
                at_line(checked, 1),
                format!("runbook `{shown}` was not updated: {problem}"),
            )
            .with_hint(format!(
                "put back one `{}` line and one `{}` line around the generated part, or move the file away to scaffold a new one; nothing in it was changed",
                crate::emit::runbook::BEGIN,
                crate::emit::runbook::END
            )),
            _ if !report_missing_and_stale => continue,
            Update::Create(_) => Diagnostic::warning(
                Code::RunbookMissing,
                None,
                format!("runbook `{shown}` does not exist"),
            )
            .with_hint("run `slocc compile` to scaffold it"),
            Update::Refresh(_) => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let line = text
                    .lines()
                    .position(|l| l.contains(crate::emit::runbook::BEGIN))
                    .map_or(1, |i| i + 1);
                Diagnostic::warning(
                    Code::RunbookStale,
                    at_line(checked, line),
                    format!("the generated part of runbook `{shown}` is out of date with the spec"),
                )
                .with_hint("run `slocc compile` to refresh it; text outside the markers is kept")
            }
        };
        checked.diagnostics.push(diagnostic);
    }
}
