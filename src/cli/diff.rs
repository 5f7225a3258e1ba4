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
    let (old, new) = match &config.sides {
        DiffSides::Paths(a, b) => (
            pipeline::check(std::slice::from_ref(a)),
            pipeline::check(std::slice::from_ref(b)),
        ),
        DiffSides::Base(rev, paths) => (
            crate::pipeline::sources_at_revision(rev, paths)
                .map(crate::model::check::check_sources),
            pipeline::check(paths),
        ),
    };
    let old = side("the old side", old, &mut io)?;
    let new = side("the new side", new, &mut io)?;
    let (old_services, new_services) = selected(config, &old.services, &new.services)?;
    let (old_services, new_services) = rooted(&config.sides, old_services, new_services);
    compare(config, &old_services, &new_services, io)
}

/// Checks one side of a diff; invalid specs there are an error of the comparison (exit 2).
fn side(
    label: &str,
    checked: Result<crate::model::check::Checked, pipeline::Error>,
    io: &mut Io<'_>,
) -> Result<crate::model::check::Checked, Error> {
    let checked = checked.map_err(|e| Error::Usage(format!("{label}: {e}")))?;
    if checked.failed() {
        io.report(&checked, Format::Human)?;
        let message = format!("{label} has invalid specs; fix them to compare");
        return Err(Error::Usage(message));
    }
    Ok(checked)
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

fn compare(config: &DiffConfig, old: &[Service], new: &[Service], io: Io<'_>) -> Outcome {
    let templates = crate::emit::templates::Templates::builtin()?;
    let target = crate::emit::targets::TargetOptions::new(crate::emit::targets::Target::Prometheus);
    let cx = crate::emit::Context::new(templates, target);
    let complete = config.select.is_all();
    let old_files = pipeline::build(old, &cx, complete)?.generated;
    let new_files = pipeline::build(new, &cx, complete)?.generated;
    let report = crate::report::diff::compare(old, new, &old_files, &new_files);
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
