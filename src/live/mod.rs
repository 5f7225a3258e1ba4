//! Live SLOs: reading a running Prometheus (or Thanos Querier, or Mimir's Prometheus API) for
//! what the specs promise: budget left, burn rates, firing alerts.

pub(crate) mod backtest;
pub(crate) mod client;
pub(crate) mod diags;
pub(crate) mod pool;
pub(crate) mod status;
pub(crate) mod verify;
