//! `slocc diff`: compile two versions of the specs and report what changes for paging.

use std::path::PathBuf;

use super::{DiffConfig, DiffSides, Error, Format, Io, Outcome, EXIT_INVALID, EXIT_OK};
use crate::model::Service;
use crate::pipeline;

/// The smallest `--max-bytes`: room for the summary and the closing lines.
const MIN_MARKDOWN_BYTES: usize = 2_000;

pub(super) fn run(config: &DiffConfig, mut io: Io<'_>) -> Outcome {
    if config.max_bytes < MIN_MARKDOWN_BYTES {
        let message = format!("`--max-bytes` must be at least {MIN_MARKDOWN_BYTES}");
        return Err(Error::Usage(message));
    }
    // Each side is checked and reduced to its services before the other is read, so a fleet's
    // sources and specs are in memory once, not twice.
    let old = side("the old side", old_side(&config.sides), &mut io)?;
    let new_checked = match &config.sides {
        DiffSides::Paths(_, b) => pipeline::check(std::slice::from_ref(b)),
        DiffSides::Base(_, paths) => pipeline::check(paths),
    };
    let new = side("the new side", new_checked, &mut io)?;
    let (old_services, new_services) = selected(config, old, new)?;
    let (old_services, new_services) = rooted(&config.sides, old_services, new_services);
    compare(config, &old_services, &new_services, io)
}

/// The old side's specs, checked: the first path, or the specs at the base revision.
fn old_side(sides: &DiffSides) -> Result<crate::model::check::Checked, pipeline::Error> {
    match sides {
        DiffSides::Paths(a, _) => pipeline::check(std::slice::from_ref(a)),
        DiffSides::Base(rev, paths) => {
            crate::pipeline::sources_at_revision(rev, paths).map(crate::model::check::check_sources)
        }
    }
}

/// Checks one side of a diff; invalid specs there are an error of the comparison (exit 2).
/// Only the services are kept: the sources and specs of a fleet are not held for the diff.
fn side(
    label: &str,
    checked: Result<crate::model::check::Checked, pipeline::Error>,
    io: &mut Io<'_>,
) -> Result<Vec<Service>, Error> {
    let checked = checked.map_err(|e| Error::Usage(format!("{label}: {e}")))?;
    if checked.failed() {
        io.report(&checked, Format::Human)?;
        let message = format!("{label} has invalid specs; fix them to compare");
        return Err(Error::Usage(message));
    }
    Ok(checked.services)
}

/// Both sides narrowed to the selection; a name must exist on at least one side (an SLO being
/// added or removed exists on only one).
fn selected(
    config: &DiffConfig,
    old: Vec<Service>,
    new: Vec<Service>,
) -> Result<(Vec<Service>, Vec<Service>), String> {
    if config.select.is_all() {
        return Ok((old, new));
    }
    let mut both = old.clone();
    both.extend(new.iter().cloned());
    config.select.apply(&both)?;
    let pick = |services: &[Service]| config.select.apply(services).unwrap_or_default();
    Ok((pick(&old), pick(&new)))
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

fn compare(config: &DiffConfig, old: &[Service], new: &[Service], io: Io<'_>) -> Outcome {
    let templates = crate::emit::templates::Templates::builtin()?;
    let target = crate::emit::targets::TargetOptions::new(crate::emit::targets::Target::Prometheus);
    let cx = crate::emit::Context::new(templates, target);
    let complete = config.select.is_all();
    let report = crate::report::diff::compare(old, new, &cx, complete)?;
    let text = match config.format {
        Format::Markdown => crate::report::diff::render_markdown(&report, config.max_bytes),
        Format::Json => {
            serde_json::to_string_pretty(&report).map_err(std::io::Error::other)? + "\n"
        }
        Format::Human | Format::Github => {
            crate::report::diff::render_human(&report, io.colors.stdout)
        }
    };
    io.stdout.write_all(text.as_bytes())?;
    Ok(if report.has_changes() {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}
