//! Emitters: turn the validated model into artifacts (rule files for each engine, dashboards,
//! runbooks) through the text templates.

pub mod grafana;
pub mod prometheus;
pub mod runbook;
pub mod targets;
pub mod templates;
