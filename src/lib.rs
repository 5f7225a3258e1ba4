//! slocc compiles declarative SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules.
//!
//! The pipeline is the layout (`docs/architecture.md`): `spec` reads documents with their
//! positions, `model` validates them into services, `emit` turns services into artifacts,
//! `output` writes artifacts to one sink; `pipeline` runs the stages, `report` compares and
//! explains, `cli` is the command line, and `diag` carries diagnostics through all of them.
//! The binary, the benchmark and the fuzz targets (`fuzzing`) are the only users of what is
//! `pub` here.

pub mod cli;
mod diag;
pub mod emit;
mod live;
pub mod model;
pub mod output;
pub mod pipeline;
mod report;
mod spec;
mod vocab;

#[doc(hidden)]
pub mod fuzzing;
