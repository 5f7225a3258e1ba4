//! Input formats: each document is recognised from its own fields and read into the native spec
//! stage, keeping the positions of the original file so every later diagnostic points into it.
//!
//! A new format is one file in this folder with a [`Format`] constant, plus its line in
//! [`FORMATS`]; detection, messages and the pipeline all go through the registry.

pub(crate) mod openslo;
pub(crate) mod pyrra;
pub(crate) mod sloth;
pub(crate) mod sloth_windows;

use crate::diag::Diagnostics;
use crate::spec::diags;
use crate::spec::settings::SettingsSpec;
use crate::spec::yaml::{Document, Fields};
use crate::spec::ServiceSpec;

/// The fields a document names its format by.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Header<'a> {
    /// `apiVersion`.
    pub(crate) api_version: Option<&'a str>,
    /// `version` (Sloth's plain spec files).
    pub(crate) version: Option<&'a str>,
    /// `kind`.
    pub(crate) kind: Option<&'a str>,
}

/// How a format's documents become specs.
#[derive(Clone, Copy)]
pub(crate) enum Reader {
    /// Each document on its own, as soon as it is read.
    Single(fn(&Document, &mut Diagnostics) -> Option<ServiceSpec>),
    /// Documents that refer to each other across files, read together once every file is in.
    Together(fn(&[Document], &mut Diagnostics) -> Vec<ServiceSpec>),
    /// Settings shared by every spec (severity classes, alert-window policies), read before
    /// any service is validated.
    Settings(fn(&Document, &mut Diagnostics) -> Option<SettingsSpec>),
}

/// One input format.
pub(crate) struct Format {
    /// How messages name it, with the fields that identify it.
    pub(crate) describe: &'static str,
    /// Whether a document is of this format.
    pub(crate) detect: fn(&Header<'_>) -> bool,
    /// How its documents are read.
    pub(crate) reader: Reader,
}

/// Every format slocc reads, in the order messages list them.
pub(crate) const FORMATS: &[Format] = &[
    crate::spec::FORMAT,
    crate::spec::settings::FORMAT,
    sloth::FILE_FORMAT,
    sloth::CRD_FORMAT,
    sloth_windows::FORMAT,
    pyrra::FORMAT,
    openslo::FORMAT,
];

/// Index into [`FORMATS`].
pub(crate) type FormatId = usize;

/// The formats slocc reads, for messages.
fn formats_list() -> String {
    let names: Vec<&str> = FORMATS.iter().map(|f| f.describe).collect();
    names.join(", ")
}

/// Which format a document is in; a document of none is reported (and `None`).
pub(crate) fn classify(doc: &Document, diags: &mut Diagnostics) -> Option<FormatId> {
    let fields = Fields::new(&doc.root, doc.location, "the document");
    let mut probe = Diagnostics::default();
    let api_version = fields.string("apiVersion", &mut probe);
    let version = fields.string("version", &mut probe);
    let kind = fields.string("kind", &mut probe);
    let header = Header {
        api_version: api_version.as_ref().map(|v| v.value.as_str()),
        version: version.as_ref().map(|v| v.value.as_str()),
        kind: kind.as_ref().map(|k| k.value.as_str()),
    };
    if let Some(id) = FORMATS.iter().position(|f| (f.detect)(&header)) {
        return Some(id);
    }
    let diagnostic = match (&api_version, &version) {
        (Some(a), _) => diags::unknown_api_version(
            a.location,
            &format!(
                "`apiVersion: {}`{}",
                a.value,
                kind.as_ref()
                    .map_or(String::new(), |k| format!(", `kind: {}`", k.value))
            ),
            &formats_list(),
        ),
        (None, Some(v)) => diags::unknown_api_version(
            v.location,
            &format!("Sloth spec `version: {}`", v.value),
            &formats_list(),
        ),
        (None, None) => {
            diags::no_api_version(doc.location, crate::spec::API_VERSION, &formats_list())
        }
    };
    diags.push(diagnostic);
    None
}

/// The codes and lines of `diags`, for assertions.
#[cfg(test)]
pub(crate) fn codes_and_lines(diags: &Diagnostics) -> Vec<(String, usize)> {
    diags
        .sorted()
        .iter()
        .map(|d| (d.code.to_string(), d.location.map_or(0, |l| l.line)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_document_is_recognised_by_exactly_one_format() {
        let headers = [
            (Some("slocc/v1"), None, None),
            (None, Some("prometheus/v1"), None),
            (
                Some("sloth.slok.dev/v1"),
                None,
                Some("PrometheusServiceLevel"),
            ),
            (
                Some("pyrra.dev/v1alpha1"),
                None,
                Some("ServiceLevelObjective"),
            ),
            (Some("openslo/v1"), None, Some("SLO")),
            (Some("openslo/v1alpha"), None, Some("Service")),
            (Some("slocc/v1"), None, Some("Settings")),
            (Some("sloth.slok.dev/v1"), None, Some("AlertWindows")),
        ];
        for (api_version, version, kind) in headers {
            let header = Header {
                api_version,
                version,
                kind,
            };
            let matching = FORMATS.iter().filter(|f| (f.detect)(&header)).count();
            assert_eq!(matching, 1, "{header:?}");
        }
    }
}
