//! slocc compiles declarative SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules.

pub mod diag;
pub mod duration;
pub mod model;
pub mod number;
pub mod promql;
pub mod spec;
pub mod validate;
pub mod yaml;
