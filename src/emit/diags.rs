//! The emit stage's diagnostics: the runbooks' states as `check` and `compile` report them.
//! One constructor per kind, each the only place its code is built (`tests/diagnostics.rs`).

use crate::diag::{Code, Diagnostic, Location};
use crate::emit::runbook::{BEGIN, END};

/// A runbook (`shown`) whose generated-region markers are damaged (`problem`): left untouched.
pub(crate) fn runbook_markers(at: Option<Location>, shown: &str, problem: &str) -> Diagnostic {
    Diagnostic::new(
        Code::RunbookMarkers,
        at,
        format!("runbook `{shown}` was not updated: {problem}"),
        format!("put back one `{BEGIN}` line and one `{END}` line around the generated part, or move the file away to scaffold a new one; nothing in it was changed"),
    )
}

/// An SLO whose runbook `shown` does not exist yet.
pub(crate) fn runbook_missing(shown: &str) -> Diagnostic {
    Diagnostic::new(
        Code::RunbookMissing,
        None,
        format!("runbook `{shown}` does not exist"),
        "run `slocc compile` to scaffold it",
    )
}

/// A runbook `shown` of `service` that none of its SLOs has; `renamed_to` is the runbook of
/// the SLO that names it in `previous_names` (its text was carried there).
pub(crate) fn runbook_orphaned(
    at: Option<Location>,
    shown: &str,
    service: &str,
    renamed_to: Option<&str>,
) -> Diagnostic {
    let (message, hint) = match renamed_to {
        Some(new) => (
            format!("runbook `{shown}` belongs to a previous name of an SLO of `{service}`; its text was carried into `{new}`"),
            "delete the old file once the new one reads right (`git rm`); nothing links it any more".to_string(),
        ),
        None => (
            format!("runbook `{shown}` belongs to no SLO of `{service}`: its SLO was renamed or removed, and no alert links it"),
            "if the SLO was renamed, add the old name to its `previous_names` so that its runbook carries over; if it was removed, delete the file".to_string(),
        ),
    };
    Diagnostic::new(Code::RunbookOrphaned, at, message, hint)
}

/// A runbook `shown` whose generated region no longer matches the spec.
pub(crate) fn runbook_stale(at: Option<Location>, shown: &str) -> Diagnostic {
    Diagnostic::new(
        Code::RunbookStale,
        at,
        format!("the generated part of runbook `{shown}` is out of date with the spec"),
        "run `slocc compile` to refresh it; text outside the markers is kept",
    )
}
