//! Integration tests: the real `slocc` binary, and its output run on promtool.

mod alert_tests;
pub(crate) mod alertmanager;
mod audit;
mod calendar;
pub(crate) mod commands;
mod compat;
mod corpus;
pub(crate) mod dashboards;
mod engines;
mod fuzzing;
mod generated;
mod habits;
mod harness;
mod imports;
pub(crate) mod live;
mod long_windows;
mod low_traffic;
mod migration;
mod oslo;
mod reliability;
mod report;
mod review;
mod runbooks;
mod scenarios;
pub(crate) mod targets;
mod timeslices;
mod workflow;
