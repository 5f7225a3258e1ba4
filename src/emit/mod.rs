//! Emitters: turn the validated model into output files.

pub mod grafana;
pub mod prometheus;
pub mod targets;
