//! Integration tests: the real `slocc` binary, and its output run on promtool.

pub(crate) mod commands;
mod dashboards;
mod harness;
mod imports;
mod review;
mod runbooks;
mod scenarios;
mod targets;
