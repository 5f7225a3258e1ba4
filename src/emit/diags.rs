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

/// A runbook `shown` whose generated region no longer matches the spec.
pub(crate) fn runbook_stale(at: Option<Location>, shown: &str) -> Diagnostic {
    Diagnostic::new(
        Code::RunbookStale,
        at,
        format!("the generated part of runbook `{shown}` is out of date with the spec"),
        "run `slocc compile` to refresh it; text outside the markers is kept",
    )
}
