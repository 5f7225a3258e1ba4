//! Integration tests: the real `slocc` binary, and its output run on promtool.

mod alertmanager;
mod audit;
mod calendar;
pub(crate) mod commands;
mod compat;
mod corpus;
mod dashboards;
mod habits;
mod harness;
mod imports;
mod live;
mod low_traffic;
mod migration;
mod reliability;
mod review;
mod runbooks;
mod scenarios;
mod targets;
mod timeslices;
mod workflow;
