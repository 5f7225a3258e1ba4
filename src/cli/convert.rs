//! `slocc convert`: the native `slocc/v1` equivalent of specs in any format slocc reads.

use std::path::PathBuf;

use super::{Io, EXIT_INVALID, EXIT_OK};
use crate::diag::Format;

pub(super) fn run(paths: &[PathBuf], mut io: Io<'_>) -> std::io::Result<i32> {
    let checked = match crate::pipeline::check(paths) {
        Ok(c) => c,
        Err(e) => return io.usage_error(&e),
    };
    io.report(&checked, Format::Human)?;
    if checked.failed() {
        return Ok(EXIT_INVALID);
    }
    let documents: Vec<String> = checked
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
    io.stdout.write_all(documents.join("---\n").as_bytes())?;
    Ok(EXIT_OK)
}
