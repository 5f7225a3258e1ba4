//! Input formats: each document is recognised from its own fields and read into the native spec
//! stage, keeping the positions of the original file so every later diagnostic points into it.

pub(crate) mod openslo;
pub(crate) mod pyrra;
pub(crate) mod sloth;

use crate::diag::{Code, Diagnostic, Diagnostics};
use crate::spec::yaml::{Document, Fields};
use crate::spec::ServiceSpec;

/// The formats slocc reads, for messages.
pub(crate) const FORMATS: &str = "`apiVersion: slocc/v1`, Sloth `version: prometheus/v1`, Sloth `apiVersion: sloth.slok.dev/v1` (`PrometheusServiceLevel`), Pyrra `apiVersion: pyrra.dev/v1alpha1` (`ServiceLevelObjective`), OpenSLO `apiVersion: openslo/v1` and `openslo/v1alpha`";

/// Reads one document in whichever supported format it is.
pub(crate) fn read_document(doc: &Document, diags: &mut Diagnostics) -> Option<ServiceSpec> {
    let fields = Fields::new(&doc.root, doc.location, "the document");
    let mut probe = Diagnostics::default();
    let api_version = fields.string("apiVersion", &mut probe);
    let version = fields.string("version", &mut probe);
    let kind = fields.string("kind", &mut probe);
    match (
        api_version.as_ref().map(|v| v.value.as_str()),
        version.as_ref().map(|v| v.value.as_str()),
        kind.as_ref().map(|k| k.value.as_str()),
    ) {
        (Some(crate::spec::API_VERSION), _, _) => crate::spec::parse_service(doc, diags),
        (None, Some("prometheus/v1"), _) => Some(sloth::read_file(doc, diags)),
        (Some("sloth.slok.dev/v1"), _, Some("PrometheusServiceLevel")) => {
            sloth::read_crd(doc, diags)
        }
        (Some("pyrra.dev/v1alpha1"), _, Some("ServiceLevelObjective")) => pyrra::read(doc, diags),
        (Some(other), _, _) => {
            let location = api_version.as_ref().map(|v| v.location);
            diags.push(
                Diagnostic::error(
                    Code::UnknownApiVersion,
                    location,
                    format!(
                        "unknown document kind: `apiVersion: {other}`{}",
                        kind.as_ref()
                            .map_or(String::new(), |k| format!(", `kind: {}`", k.value))
                    ),
                )
                .with_hint(format!("slocc reads {FORMATS}")),
            );
            None
        }
        (None, Some(other), _) => {
            diags.push(
                Diagnostic::error(
                    Code::UnknownApiVersion,
                    version.as_ref().map(|v| v.location),
                    format!("unknown Sloth spec version `{other}`"),
                )
                .with_hint(format!("slocc reads {FORMATS}")),
            );
            None
        }
        (None, None, _) => {
            diags.push(
                Diagnostic::error(
                    Code::MissingField,
                    Some(doc.location),
                    "the document says neither `apiVersion` nor `version`, so its format is unknown",
                )
                .with_hint(format!(
                    "add `apiVersion: {}` as the first line (slocc reads {FORMATS})",
                    crate::spec::API_VERSION
                )),
            );
            None
        }
    }
}
