//! Reports about specs rather than artifacts for an engine: `diff` and `explain`.

pub(crate) mod diff;
pub(crate) mod explain;
