//! `slocc convert`: the native `slocc/v1` equivalent of specs in any format slocc reads.

use std::path::PathBuf;

use super::Format;
use super::{Io, Outcome, EXIT_INVALID, EXIT_OK};

pub(super) fn run(paths: &[PathBuf], mut io: Io<'_>) -> Outcome {
    let checked = crate::pipeline::check(paths)?;
    io.report(&checked, Format::Human)?;
    if checked.failed() {
        return Ok(EXIT_INVALID);
    }
    let mut documents: Vec<String> = checked
        .specs
        .iter()
        .map(|spec| {
            format!(
                "# slocc/v1, converted from {}\n{}",
                checked.sources.name(spec.location.source),
                crate::spec::convert::to_native(spec)
            )
        })
        .collect();
    if let Some(native) = crate::spec::convert_settings::to_native(&checked.settings) {
        let mut names: Vec<&str> = checked
            .settings
            .iter()
            .map(|s| checked.sources.name(s.location.source))
            .collect();
        names.sort_unstable();
        names.dedup();
        documents.push(format!(
            "# slocc/v1 settings, converted from {}: replaces them\n{native}",
            names.join(", ")
        ));
    }
    io.stdout.write_all(documents.join("---\n").as_bytes())?;
    Ok(EXIT_OK)
}
