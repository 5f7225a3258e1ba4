//! `slocc backtest`: the policy on disk (and at `--base REV`) replayed on real history.

use std::fmt::Write as _;

use super::{BacktestConfig, Format, Io, Outcome, EXIT_OK};
use crate::live::backtest::{self, SloRun, Span};
use crate::model::Service;

pub(super) fn run(config: &BacktestConfig, mut io: Io<'_>) -> Outcome {
    let since = super::positive_duration(&config.since, "--since")?;
    let prom = super::connect(&config.connection)?;
    let checked = super::checked_specs(&config.paths, &config.select, &mut io)?;
    let base = match &config.base {
        Some(rev) => Some(base_services(rev, config)?),
        None => None,
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let span = Span {
        start: now - since.as_secs() as i64,
        end: now,
    };
    let mut sides = Vec::new();
    for (label, services) in [("base", base.as_ref()), ("specs", Some(&checked.services))] {
        let Some(services) = services else { continue };
        let runs = crate::live::pool::each_slo(
            &prom,
            services,
            config.connection.concurrency,
            |p, service, slo| backtest::replay(p, service, slo, span),
        )?;
        sides.push((label, runs));
    }
    let (queries, samples) = prom.cost();
    let text = if config.format == Format::Json {
        let value = serde_json::json!({"sides": sides.iter().map(|(l, r)| serde_json::json!({"side": l, "slos": r})).collect::<Vec<_>>(), "queries": queries, "samples": samples});
        serde_json::to_string_pretty(&value).map_err(std::io::Error::other)? + "\n"
    } else {
        render(config, &sides, queries, samples)
    };
    io.stdout.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}

/// The selected services of the specs at `rev`; specs that do not validate there are an error.
fn base_services(rev: &str, config: &BacktestConfig) -> Result<Vec<Service>, String> {
    let sources =
        crate::pipeline::sources_at_revision(rev, &config.paths).map_err(|e| e.to_string())?;
    let checked = crate::model::check::check_sources(sources);
    if checked.failed() {
        return Err(format!(
            "the specs at `{rev}` have errors: run `slocc check` on that revision"
        ));
    }
    if config.select.is_all() {
        return Ok(checked.services);
    }
    config
        .select
        .apply(&checked.services)
        .map_err(|e| e.to_string())
}

fn render(
    config: &BacktestConfig,
    sides: &[(&str, Vec<SloRun>)],
    queries: u64,
    samples: u64,
) -> String {
    let mut out = String::new();
    for (label, runs) in sides {
        if sides.len() > 1 {
            let title = if *label == "base" {
                format!("policy at {}", config.base.as_deref().unwrap_or(""))
            } else {
                "policy in the working tree".to_string()
            };
            let _ = writeln!(out, "== {title}");
        }
        for run in runs {
            backtest::render_slo(&mut out, run);
        }
    }
    let _ = writeln!(
        out,
        "replayed the last {} at a 1m step: {queries} queries, {samples} samples",
        config.since
    );
    out
}
