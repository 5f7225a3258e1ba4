//! Reports about specs rather than artifacts for an engine: `diff` and `explain`.

pub mod diff;
pub mod explain;
