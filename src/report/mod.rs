//! Reports about specs rather than artifacts for an engine: `audit`, `diff` and `explain`.

pub(crate) mod audit;
pub(crate) mod chart;
pub(crate) mod diff;
pub(crate) mod explain;
pub(crate) mod html;
