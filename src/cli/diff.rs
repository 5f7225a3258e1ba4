//! `slocc diff`: compile two versions of the specs and report what changes for paging.

use std::path::PathBuf;

use super::{DiffConfig, DiffSides, Io, EXIT_INVALID, EXIT_OK};
use crate::diag::Format;
use crate::model::Service;
use crate::pipeline;

/// The smallest `--max-bytes`: room for the summary and the closing lines.
const MIN_MARKDOWN_BYTES: usize = 2_000;

pub(super) fn run(config: &DiffConfig, mut io: Io<'_>) -> std::io::Result<i32> {
    if config.max_bytes < MIN_MARKDOWN_BYTES {
        return io.usage_error(&format!(
            "`--max-bytes` must be at least {MIN_MARKDOWN_BYTES}"
        ));
    }
    let (old, new) = match &config.sides {
        DiffSides::Paths(a, b) => (
            pipeline::check(std::slice::from_ref(a)),
            pipeline::check(std::slice::from_ref(b)),
        ),
        DiffSides::Base(rev, paths) => (
            crate::report::diff::sources_at_revision(rev, paths)
                .map(crate::model::check::check_sources),
            pipeline::check(paths),
        ),
    };
    let old = match side("the old side", old, &mut io)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let new = match side("the new side", new, &mut io)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let (old_services, new_services) = match selected(config, &old.services, &new.services) {
        Ok(both) => both,
        Err(e) => return io.usage_error(&e),
    };
    let (old_services, new_services) = rooted(&config.sides, old_services, new_services);
    compare(config, &old_services, &new_services, io)
}

/// Checks one side of a diff; invalid specs there are an error of the comparison (exit 2).
fn side(
    label: &str,
    checked: Result<crate::model::check::Checked, pipeline::Error>,
    io: &mut Io<'_>,
) -> std::io::Result<Result<crate::model::check::Checked, i32>> {
    let checked = match checked {
        Ok(c) => c,
        Err(e) => return io.usage_error(&format!("{label}: {e}")).map(Err),
    };
    if checked.failed() {
        io.report(&checked, Format::Human)?;
        return io
            .usage_error(&format!("{label} has invalid specs; fix them to compare"))
            .map(Err);
    }
    Ok(Ok(checked))
}

/// Both sides narrowed to the selection; a name must exist on at least one side (an SLO being
/// added or removed exists on only one).
fn selected(
    config: &DiffConfig,
    old: &[Service],
    new: &[Service],
) -> Result<(Vec<Service>, Vec<Service>), String> {
    if config.select.is_all() {
        return Ok((old.to_vec(), new.to_vec()));
    }
    let mut both = old.to_vec();
    both.extend(new.iter().cloned());
    config.select.apply(&both)?;
    let pick = |services: &[Service]| config.select.apply(services).unwrap_or_default();
    Ok((pick(old), pick(new)))
}

/// Two directories name their files differently; generated headers should not differ for it.
fn rooted(
    sides: &DiffSides,
    mut old: Vec<Service>,
    mut new: Vec<Service>,
) -> (Vec<Service>, Vec<Service>) {
    let DiffSides::Paths(a, b) = sides else {
        return (old, new);
    };
    let strip = |services: &mut Vec<Service>, root: &PathBuf| {
        let prefix = format!("{}/", crate::vocab::path::display(root));
        for s in services {
            if let Some(rest) = s.source.strip_prefix(&prefix) {
                s.source = rest.to_string();
            }
        }
    };
    strip(&mut old, a);
    strip(&mut new, b);
    // Two single files: compare as if the old one were at the new one's path.
    if a.is_file() && b.is_file() {
        for s in &mut old {
            s.source = crate::vocab::path::display(b);
        }
    }
    (old, new)
}

fn compare(
    config: &DiffConfig,
    old: &[Service],
    new: &[Service],
    io: Io<'_>,
) -> std::io::Result<i32> {
    let templates = match crate::emit::templates::Templates::builtin() {
        Ok(t) => t,
        Err(e) => return super::usage_error(io.stderr, &e),
    };
    let target = crate::emit::targets::TargetOptions::new(crate::emit::targets::Target::Prometheus);
    let cx = crate::emit::prometheus::Context {
        templates: &templates,
        runbooks_dir: pipeline::DEFAULT_RUNBOOKS,
        target: &target,
        parts: Default::default(),
    };
    let complete = config.select.is_all();
    let built = pipeline::build(old, cx, None, complete)
        .and_then(|o| pipeline::build(new, cx, None, complete).map(|n| (o, n)));
    let (old_files, new_files) = match built {
        Ok((o, n)) => (o.generated, n.generated),
        Err(e) => return super::usage_error(io.stderr, &e),
    };
    let report = crate::report::diff::compare(old, new, &old_files, &new_files);
    let text = match config.format.as_str() {
        "markdown" => crate::report::diff::render_markdown(&report, config.max_bytes),
        "json" => serde_json::to_string_pretty(&report).map_err(std::io::Error::other)? + "\n",
        _ => crate::report::diff::render_human(&report, io.colors.stdout),
    };
    io.stdout.write_all(text.as_bytes())?;
    Ok(if report.has_changes() {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}
