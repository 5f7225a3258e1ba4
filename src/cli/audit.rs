//! `slocc audit`: the on-call readiness review.

use super::{AuditConfig, Io, EXIT_INVALID, EXIT_OK};
use crate::pipeline;
use crate::report::audit;

pub(super) fn run(config: &AuditConfig, mut io: Io<'_>) -> std::io::Result<i32> {
    let checked = match super::checked_specs(&config.paths, &config.select, &mut io)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let templates =
        match crate::emit::templates::Templates::with_overrides(config.templates.as_deref()) {
            Ok(t) => t,
            Err(e) => return io.usage_error(&e),
        };
    let plans = match &config.runbooks {
        Some(dir) => match pipeline::plan_runbooks(&checked.services, &templates, dir) {
            Ok(plans) => Some((dir.as_path(), plans)),
            Err(e) => return io.usage_error(&e),
        },
        None => None,
    };
    let runbooks = plans.as_ref().map(|(dir, p)| (*dir, p.as_slice()));
    let findings = match audit::audit(&checked.services, runbooks, &templates) {
        Ok(f) => f,
        Err(e) => return io.usage_error(&e),
    };
    let text = match config.format.as_str() {
        "markdown" => audit::render_markdown(&findings),
        "json" => audit::render_json(&findings),
        _ => audit::render_human(&findings, checked.services.len()),
    };
    io.stdout.write_all(text.as_bytes())?;
    Ok(if config.strict && !findings.is_empty() {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}
