//! Emitters: turn the validated model into artifacts (rule files for each engine, dashboards,
//! runbooks) through the text templates.

pub(crate) mod grafana;
pub mod prometheus;
pub(crate) mod runbook;
pub mod targets;
pub mod templates;
