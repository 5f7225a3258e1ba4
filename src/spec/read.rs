//! Reading: every file's documents through the format registry, files in parallel, then the
//! formats whose documents refer to each other across files. The pipeline and the importers'
//! tests both read through here.

use rayon::prelude::*;

use crate::diag::{Diagnostics, Sources};
use crate::spec::import::{self, FormatId, Reader};
use crate::spec::settings::SettingsSpec;
use crate::spec::yaml::Document;
use crate::spec::ServiceSpec;

/// Everything read from a run's files, before validation.
#[derive(Debug, Default)]
pub(crate) struct Read {
    /// Diagnostics of reading (syntax, unknown formats, fields a reader refuses).
    pub(crate) diagnostics: Diagnostics,
    /// Service specs in file order; documents of formats read together after the others.
    pub(crate) specs: Vec<ServiceSpec>,
    /// Settings documents (`kind: Settings`, Sloth's `AlertWindows`), in file order.
    pub(crate) settings: Vec<SettingsSpec>,
}

/// What one file yields: its diagnostics, its specs and settings, and the documents of formats
/// that are read together once every file is in.
#[derive(Default)]
struct FileResult {
    read: Read,
    together: Vec<(FormatId, Document)>,
}

fn read_file(id: usize, text: &str) -> FileResult {
    let mut result = FileResult::default();
    let diags = &mut result.read.diagnostics;
    for document in crate::spec::yaml::load_documents(id, text, diags) {
        let Some(format) = import::classify(&document, diags) else {
            continue;
        };
        match import::FORMATS[format].reader {
            Reader::Single(read) => result.read.specs.extend(read(&document, diags)),
            Reader::Settings(read) => result.read.settings.extend(read(&document, diags)),
            Reader::Together(_) => result.together.push((format, document)),
        }
    }
    result
}

/// Reads every file of `sources`, each on whichever core is free, merged in file order so that
/// nothing depends on scheduling.
pub(crate) fn read_sources(sources: &Sources) -> Read {
    let results: Vec<FileResult> = sources
        .files()
        .par_iter()
        .enumerate()
        .map(|(id, file)| read_file(id, &file.text))
        .collect();
    let mut read = Read::default();
    let mut together: Vec<Vec<Document>> = import::FORMATS.iter().map(|_| Vec::new()).collect();
    for result in results {
        read.diagnostics.extend(result.read.diagnostics);
        read.specs.extend(result.read.specs);
        read.settings.extend(result.read.settings);
        for (format, document) in result.together {
            together[format].push(document);
        }
    }
    for (format, documents) in together.iter().enumerate() {
        if let (Reader::Together(read_all), false) =
            (import::FORMATS[format].reader, documents.is_empty())
        {
            read.specs
                .extend(read_all(documents, &mut read.diagnostics));
        }
    }
    read.specs = import::sloth::merge_services(read.specs);
    read
}

/// Reads one file's text named `spec.yaml` exactly as a run reads it: its service specs.
#[cfg(test)]
pub(crate) fn read_text(text: &str) -> (Vec<ServiceSpec>, Diagnostics) {
    let read = read_one(text);
    (read.specs, read.diagnostics)
}

/// Reads one file's text exactly as a run reads it: its settings documents.
#[cfg(test)]
pub(crate) fn read_settings_text(text: &str) -> (Vec<SettingsSpec>, Diagnostics) {
    let read = read_one(text);
    (read.settings, read.diagnostics)
}

#[cfg(test)]
fn read_one(text: &str) -> Read {
    let mut sources = Sources::default();
    sources.add("spec.yaml", text);
    read_sources(&sources)
}
