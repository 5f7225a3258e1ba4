//! `slocc check`: validate specs, look at runbooks, report.

use super::Format;
use super::{plural, slo_count, CheckConfig, Io, Outcome, EXIT_INVALID, EXIT_OK};
use crate::pipeline;

pub(super) fn run(config: &CheckConfig, mut io: Io<'_>) -> Outcome {
    let mut checked = super::check_selected(&config.paths, &config.select, Default::default())?;
    if let (false, Some(runbooks)) = (checked.failed(), &config.runbooks) {
        let overrides = config.templates.as_deref();
        let templates = crate::emit::templates::Templates::with_overrides(overrides)?;
        let plans = pipeline::plan_runbooks(&checked.services, &templates, runbooks)?;
        super::runbooks::diagnostics(&mut checked, &plans, runbooks, true);
    }
    if let (false, Some(connection)) = (checked.failed(), &config.live) {
        let prometheus = super::connect(connection)?;
        let findings = crate::live::verify::verify(&checked.services, &prometheus)?;
        live_diagnostics(&mut checked, findings);
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

/// What the server contradicts, as diagnostics at the SLO each concerns.
fn live_diagnostics(
    checked: &mut crate::model::check::Checked,
    findings: Vec<crate::live::verify::Finding>,
) {
    use crate::live::verify::Problem;
    for finding in findings {
        let at = slo_location(checked, &finding.service, &finding.slo);
        let slo = format!("{}/{}", finding.service, finding.slo);
        let diagnostic = match &finding.problem {
            Problem::NoData { role, query } => {
                crate::live::diags::sli_no_data(at, &slo, role, query)
            }
            Problem::NotABucket {
                threshold,
                series,
                boundaries,
            } => {
                crate::live::diags::threshold_not_a_bucket(at, &slo, *threshold, series, boundaries)
            }
        };
        checked.diagnostics.push(diagnostic);
    }
}

/// Where the SLO `slo` of `service` is written.
fn slo_location(
    checked: &crate::model::check::Checked,
    service: &str,
    slo: &str,
) -> Option<crate::diag::Location> {
    let spec = checked
        .specs
        .iter()
        .find(|s| s.service.as_ref().is_some_and(|n| n.value == service))?;
    let written = spec
        .slos
        .iter()
        .find(|s| s.name.as_ref().is_some_and(|n| n.value == slo))?;
    Some(
        written
            .name
            .as_ref()
            .map_or(written.location, |n| n.location),
    )
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
