//! Integration tests: the real `slocc` binary, and its output run on promtool.

mod commands;
mod harness;
mod review;
mod scenarios;
