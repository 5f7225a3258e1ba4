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
    use crate::diag::Location;
    use crate::emit::diags;
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
            Update::Markers(problem) => {
                diags::runbook_markers(at_line(checked, 1), &shown, problem)
            }
            _ if !report_missing_and_stale => continue,
            Update::Create(_) => diags::runbook_missing(&shown),
            Update::Refresh(_) => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let line = text
                    .lines()
                    .position(|l| l.contains(crate::emit::runbook::BEGIN))
                    .map_or(1, |i| i + 1);
                diags::runbook_stale(at_line(checked, line), &shown)
            }
        };
        checked.diagnostics.push(diagnostic);
    }
    orphans(checked, dir);
}

/// Every runbook of a checked service (selected or not) that none of its spec's SLOs has any
/// more, with the service.
pub(super) fn all_orphans(
    checked: &crate::model::check::Checked,
    dir: &Path,
) -> Vec<(String, crate::emit::runbook::Orphan)> {
    let text = |t: &crate::spec::Text| t.value.clone();
    // Specs by service name, looked up once per service (a fleet has thousands).
    let mut specs: std::collections::BTreeMap<&str, &crate::spec::ServiceSpec> = Default::default();
    for spec in &checked.specs {
        if let Some(name) = &spec.service {
            specs.entry(name.value.as_str()).or_insert(spec);
        }
    }
    checked
        .services
        .iter()
        .flat_map(|service| {
            let spec = specs.get(service.name.as_str());
            let slos: Vec<(String, Vec<String>)> = spec
                .map(|s| &s.slos[..])
                .unwrap_or_default()
                .iter()
                .filter_map(|slo| {
                    let previous = slo.previous_names.iter().map(text).collect();
                    Some((text(slo.name.as_ref()?), previous))
                })
                .collect();
            let orphans = crate::emit::runbook::orphans(&service.name, &slos, dir);
            orphans.into_iter().map(|o| (service.name.clone(), o))
        })
        .collect()
}

/// Reports every orphaned runbook, at the file.
fn orphans(checked: &mut crate::model::check::Checked, dir: &Path) {
    for (service, orphan) in all_orphans(checked, dir) {
        let shown = crate::vocab::path::display(&dir.join(&orphan.path));
        let renamed_to = orphan
            .renamed_to
            .map(|new| crate::vocab::path::display(&dir.join(new)));
        let text = std::fs::read_to_string(dir.join(&orphan.path)).unwrap_or_default();
        let source = checked.sources.add(shown.clone(), text);
        let at = crate::diag::Location {
            source,
            line: 1,
            column: 1,
        };
        let diagnostic =
            crate::emit::diags::runbook_orphaned(Some(at), &shown, &service, renamed_to.as_deref());
        checked.diagnostics.push(diagnostic);
    }
}
