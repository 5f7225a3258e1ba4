//! `slocc audit`: the on-call readiness review.

use super::{AuditConfig, Format, Io, Outcome, EXIT_INVALID, EXIT_OK};
use crate::pipeline;
use crate::report::audit;

pub(super) fn run(config: &AuditConfig, mut io: Io<'_>) -> Outcome {
    let checked = super::checked_specs(&config.paths, &config.select, &mut io)?;
    let templates = crate::emit::templates::Templates::with_overrides(config.templates.as_deref())?;
    let plans = match &config.runbooks {
        Some(dir) => Some((
            dir.as_path(),
            pipeline::plan_runbooks(&checked.services, &templates, dir)?,
            super::runbooks::all_orphans(&checked, dir),
        )),
        None => None,
    };
    let runbooks = plans
        .as_ref()
        .map(|(dir, p, o)| (*dir, p.as_slice(), o.as_slice()));
    let bound = super::positive_duration(&config.max_page_delay, "--max-page-delay")?;
    let bound = crate::vocab::duration::Duration::from_millis(bound.as_millis() as u64);
    let findings = audit::audit(&checked.services, runbooks, &templates, bound)?;
    let text = match config.format {
        Format::Markdown => audit::render_markdown(&findings),
        Format::Json => audit::render_json(&findings),
        Format::Human | Format::Github => audit::render_human(&findings, checked.services.len()),
    };
    io.stdout.write_all(text.as_bytes())?;
    Ok(if config.strict && !findings.is_empty() {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}
