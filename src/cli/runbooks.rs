//! Runbook states as diagnostics, for the commands that plan runbooks (`check`, `compile`).

use std::path::Path;

/// Turns runbook states into warnings. Broken markers always; missing and stale regions only
/// when nothing will fix them in this run (`check`, `compile --check`).
pub(super) fn diagnostics(
    checked: &mut crate::model::check::Checked,
    plans: &[crate::emit::runbook::RunbookPlan],
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
