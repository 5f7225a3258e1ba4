//! The shared vocabulary every stage speaks, on the lowest floor: Prometheus durations, exact
//! numbers, PromQL helpers and how paths are named. Nothing here imports another module of
//! the crate but `diag`'s neighbours on this floor.

pub(crate) mod duration;
pub(crate) mod metricsql;
pub(crate) mod number;
pub(crate) mod path;
pub(crate) mod promql;
pub(crate) mod regexes;
pub(crate) mod timezone;
