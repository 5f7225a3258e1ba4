//! slocc compiles declarative SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules.

pub mod cli;
pub mod convert;
pub mod diag;
pub mod diff;
pub mod duration;
pub mod emit;
pub mod explain;
pub mod import;
pub mod model;
pub mod number;
pub mod output;
pub mod pipeline;
pub mod promql;
pub mod runbook;
pub mod schema;
pub mod select;
pub mod spec;
pub mod templates;
pub mod validate;
pub mod yaml;
pub mod yaml_out;
