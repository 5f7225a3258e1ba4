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
    let mut documents = Vec::new();
    let mut diags = crate::diag::Diagnostics::default();
    let mut openslo = Vec::new();
    for (id, file) in checked.sources.files().iter().enumerate() {
        for doc in crate::spec::yaml::load_documents(id, &file.text, &mut diags) {
            if crate::spec::import::openslo::is_openslo(&doc) {
                openslo.push(doc);
            } else if let Some(spec) = crate::spec::import::read_document(&doc, &mut diags) {
                documents.push((file.name.clone(), spec));
            }
        }
    }
    for spec in crate::spec::import::openslo::resolve(&openslo, &mut diags) {
        let name = checked
            .sources
            .get(spec.location.source)
            .map_or(String::new(), |f| f.name.clone());
        documents.push((name, spec));
    }
    let documents: Vec<String> = documents
        .iter()
        .map(|(name, spec)| {
            format!(
                "# slocc/v1, converted from {name}\n{}",
                crate::spec::convert::to_native(spec)
            )
        })
        .collect();
    io.stdout.write_all(documents.join("---\n").as_bytes())?;
    Ok(EXIT_OK)
}
