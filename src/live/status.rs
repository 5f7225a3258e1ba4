//! `slocc status`: each SLO's budget now, from the series slocc's rules record, or from the
//! SLI queries of the spec while those series do not exist yet (a fresh deployment).

use std::fmt::Write as _;

use serde::Serialize;

use crate::emit::prometheus::{series, sli_error_ratio};
use crate::live::client::{printable, Error, Prometheus, Sample};
use crate::model::{Service, Slo};
use crate::vocab::duration::{humanize_secs, Duration};
use crate::vocab::number::{format_human_f64, to_f64};
use crate::vocab::promql::matchers;

/// Where the figures came from.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Source {
    /// slocc's recorded series.
    Recorded,
    /// The SLI queries of the spec (no recorded series yet).
    SliQueries,
    /// Neither answered: no data yet.
    NoData,
}

/// What is known of an SLO now. Only `ok`, `burning` and `exhausted` are known; a deploy gate
/// fails the others unless told to let them through.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub(crate) enum State {
    /// Budget left, spent no faster than it lasts.
    Ok,
    /// Budget left, but the fastest tier's long window burns it faster than it lasts (over 1x).
    Burning,
    /// The budget is spent.
    Exhausted,
    /// Neither the recorded series nor the SLI queries return anything.
    NoData,
    /// Only old samples: slocc's recorded series stopped (the rules or the metric went away).
    Stale,
    /// The answer is partial: Thanos or Mimir warned that part of the data did not answer.
    Partial,
    /// Prometheus refused a query of this SLO.
    Error,
}

impl State {
    /// Whether the figures can be trusted to judge the SLO.
    pub(crate) fn known(self) -> bool {
        matches!(self, Self::Ok | Self::Burning | Self::Exhausted)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Burning => "burning",
            Self::Exhausted => "exhausted",
            Self::NoData => "no data",
            Self::Stale => "stale",
            Self::Partial => "partial",
            Self::Error => "error",
        }
    }
}

/// Burn rate over one alert window.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Burn {
    /// The window.
    pub(crate) window: String,
    /// Error ratio over it divided by the budget (1 spends the budget exactly over the SLO window).
    pub(crate) burn_rate: f64,
}

/// One SLO's status.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SloStatus {
    pub(crate) service: String,
    pub(crate) slo: String,
    pub(crate) objective_percent: String,
    pub(crate) window: String,
    /// What is known of it.
    pub(crate) state: State,
    /// Why it is not known (no data, stale, partial, error), in words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) problem: Option<String>,
    pub(crate) source: Source,
    /// How far back slocc's recorded series reach, in seconds, when they reach back less than
    /// the SLO window (rules deployed recently): such series are not trusted over the SLI
    /// queries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) recorded_for_seconds: Option<f64>,
    /// Share of good events over the window.
    pub(crate) sli: Option<f64>,
    /// Share of the budget left (negative when overspent).
    pub(crate) budget_remaining: Option<f64>,
    /// Seconds of full outage the budget still allows.
    pub(crate) full_outage_left_seconds: Option<f64>,
    /// Burn rate over each alert window, shortest first.
    pub(crate) burn_rates: Vec<Burn>,
    /// Seconds until the budget is gone at the burn rate over the fastest tier's long window.
    pub(crate) exhausted_in_seconds: Option<f64>,
    /// Severities of the SLO's alerts firing now.
    pub(crate) firing: Vec<String>,
}

/// The first value of an answer (the worst group's, for grouped SLIs: the caller aggregates).
fn first(samples: &[Sample]) -> Option<f64> {
    samples.first().map(|s| s.value).filter(|v| v.is_finite())
}

/// Where the ratios came from, how far back slocc's recorded series reach when that is less
/// than the window, the error ratio over the SLO window, and over each alert window.
struct Ratios {
    source: Source,
    recorded_for: Option<f64>,
    period: Option<f64>,
    burns: Burns,
}

/// The error ratio over each alert window.
type Burns = Vec<(Duration, Option<f64>)>;

/// Error ratio over the window and over each alert window: from slocc's recorded series when
/// they cover the window, else from the SLI queries (recorded series younger than the window,
/// as right after the rules are deployed, sum only the time they have run), else from whatever
/// recorded series there are. Each source is one query for every window (a fleet's status is
/// two queries per SLO plus its alerts, not one per window).
fn ratios(prom: &Prometheus, service: &Service, slo: &Slo) -> Result<Ratios, Error> {
    let windows = slo.alert_windows();
    let recorded = recorded_ratios(prom, service, slo, &windows)?;
    let recorded_for = match recorded {
        Some(_) => young(prom, service, slo)?,
        None => None,
    };
    if let (Some((period, burns)), None) = (&recorded, recorded_for) {
        let (period, burns) = (*period, burns.clone());
        return Ok(Ratios {
            source: Source::Recorded,
            recorded_for,
            period,
            burns,
        });
    }
    let mut burns = sli_ratios(prom, slo, &windows)?;
    let period = burns.pop().and_then(|(_, r)| r);
    if period.is_none() {
        if let Some((period, burns)) = recorded {
            return Ok(Ratios {
                source: Source::Recorded,
                recorded_for,
                period,
                burns,
            });
        }
    }
    let source = if period.is_some() {
        Source::SliQueries
    } else {
        Source::NoData
    };
    Ok(Ratios {
        source,
        recorded_for,
        period,
        burns,
    })
}

/// The worst group's error ratio over each of `windows` and, last, over the SLO window, from
/// the SLI queries in one query: each window's ratio labelled with it, joined with `or`.
fn sli_ratios(prom: &Prometheus, slo: &Slo, windows: &[Duration]) -> Result<Burns, Error> {
    const LABEL: &str = "slocc_window";
    let mut all = windows.to_vec();
    all.retain(|w| *w != slo.window);
    all.push(slo.window);
    let parts: Vec<String> = all
        .iter()
        .filter_map(|w| {
            let q = sli_error_ratio(slo, *w)?;
            Some(format!(
                "label_replace(max({q}), \"{LABEL}\", \"{w}\", \"\", \"\")"
            ))
        })
        .collect();
    let answer = if parts.is_empty() {
        Vec::new()
    } else {
        prom.query(&parts.join(" or "))?
    };
    let of = |w: &Duration| {
        let w = w.to_string();
        let found = answer.iter().find(|s| s.labels.get(LABEL) == Some(&w));
        found.map(|s| s.value).filter(|v| v.is_finite())
    };
    let mut out: Burns = windows.iter().map(|w| (*w, of(w))).collect();
    out.push((slo.window, of(&slo.window)));
    Ok(out)
}

/// The period and alert-window ratios from slocc's recorded series (one query for all), when
/// the period has one.
fn recorded_ratios(
    prom: &Prometheus,
    service: &Service,
    slo: &Slo,
    windows: &[Duration],
) -> Result<Option<(Option<f64>, Burns)>, Error> {
    let names: Vec<String> = std::iter::once(series::ERROR_RATIO_PERIOD.to_string())
        .chain(windows.iter().map(|w| series::error_ratio(*w)))
        .collect();
    let ids = matchers(&[("slo_service", &service.name), ("slo_name", &slo.name)]);
    let query = format!(
        "max by (__name__) ({{__name__=~\"{}\", {ids}}})",
        names.join("|")
    );
    let answer = prom.query(&query)?;
    let value = |name: &str| {
        let found = answer
            .iter()
            .find(|s| s.labels.get("__name__").map(String::as_str) == Some(name));
        found.map(|s| s.value).filter(|v| v.is_finite())
    };
    let Some(period) = value(series::ERROR_RATIO_PERIOD) else {
        return Ok(None);
    };
    let burns = windows
        .iter()
        .map(|w| (*w, value(&series::error_ratio(*w))))
        .collect();
    Ok(Some((Some(period), burns)))
}

/// How far back the recorded period series reaches, in seconds, when that is over an hour
/// short of the SLO window (the period lags by up to an hour by design).
fn young(prom: &Prometheus, service: &Service, slo: &Slo) -> Result<Option<f64>, Error> {
    let period = format!("{}{}", series::ERROR_RATIO_PERIOD, selector(service, slo));
    let window = slo.window.as_secs_f64();
    let reach = sample_age(prom, Which::First, &period, window)?;
    Ok(reach.filter(|secs| *secs < window - 3_600.0))
}

/// Which sample of a series [`sample_age`] dates.
#[derive(Clone, Copy)]
enum Which {
    First,
    Last,
}

/// Seconds since the first or last sample of `selector` within the last `span` seconds (to
/// the 5-minute step it is looked for at), or `None` when it has none there.
fn sample_age(
    prom: &Prometheus,
    which: Which,
    selector: &str,
    span: f64,
) -> Result<Option<f64>, Error> {
    let (outer, inner) = match which {
        Which::First => ("min", "min_over_time"),
        Which::Last => ("max", "max_over_time"),
    };
    let query = format!("time() - {outer}({inner}(timestamp({selector})[{span}s:5m]))");
    Ok(first(&prom.query(&query)?))
}

/// The severities of the SLO's alerts firing now.
fn firing(prom: &Prometheus, service: &Service, slo: &Slo) -> Result<Vec<String>, Error> {
    let alerts = format!(
        "ALERTS{{{}, alertstate=\"firing\"}}",
        matchers(&[
            ("alertname", &slo.alert_name),
            ("slo_service", &service.name),
            ("slo_name", &slo.name)
        ])
    );
    let mut firing: Vec<String> = prom
        .query(&alerts)?
        .into_iter()
        .filter_map(|s| s.labels.get("severity").cloned())
        .collect();
    firing.sort();
    firing.dedup();
    Ok(firing)
}

/// The figures of one SLO, and its state from them.
fn measure(prom: &Prometheus, service: &Service, slo: &Slo) -> Result<SloStatus, Error> {
    let budget = to_f64(slo.budget());
    let window_secs = slo.window.as_secs_f64();
    let Ratios {
        source,
        recorded_for,
        period,
        burns,
    } = ratios(prom, service, slo)?;
    let remaining = period.map(|r| 1.0 - r / budget);
    let burn_rates: Vec<Burn> = burns
        .iter()
        .filter_map(|(w, r)| {
            r.map(|r| Burn {
                window: w.to_string(),
                burn_rate: r / budget,
            })
        })
        .collect();
    // The burn over the fastest tier's long window: the shortest windows are too noisy to
    // project from.
    let fastest = slo
        .tiers
        .iter()
        .map(|t| t.long.to_string())
        .min_by_key(|w| Duration::parse(w).ok());
    let current = burn_rates
        .iter()
        .find(|b| Some(&b.window) == fastest.as_ref())
        .or(burn_rates.first());
    let exhausted_in_seconds = match (remaining, current) {
        (Some(left), Some(b)) if b.burn_rate > 0.0 => {
            Some(left.max(0.0) * window_secs / b.burn_rate)
        }
        _ => None,
    };
    let firing = firing(prom, service, slo)?;
    let (state, problem) = match (source, remaining) {
        (Source::NoData, _) | (_, None) => unseen(prom, service, slo)?,
        (_, Some(left)) if left <= 0.0 => (State::Exhausted, None),
        _ if current.is_some_and(|b| b.burn_rate > 1.0) => (State::Burning, None),
        _ => (State::Ok, None),
    };
    Ok(SloStatus {
        state,
        problem,
        source,
        recorded_for_seconds: recorded_for,
        ..blank(service, slo)
    }
    .with_figures(
        period,
        remaining,
        budget * window_secs,
        burn_rates,
        exhausted_in_seconds,
        firing,
    ))
}

/// The state of an SLO nothing answers for now: stale when slocc's recorded series have older
/// samples within the window (the age in words), else no data.
fn unseen(
    prom: &Prometheus,
    service: &Service,
    slo: &Slo,
) -> Result<(State, Option<String>), Error> {
    let period = format!("{}{}", series::ERROR_RATIO_PERIOD, selector(service, slo));
    let age = sample_age(prom, Which::Last, &period, slo.window.as_secs_f64())?;
    Ok(match age {
        Some(secs) => (
            State::Stale,
            Some(format!(
                "slocc's recorded series last answered {} ago",
                humanize_secs(secs)
            )),
        ),
        None => (
            State::NoData,
            Some("neither the recorded series nor the SLI queries return anything".into()),
        ),
    })
}

/// The status of one SLO. A query Prometheus refuses is the SLO's `error` state and an answer
/// with warnings makes it `partial`, so every other SLO is still shown; a server that cannot be
/// reached, or is not Prometheus, stops the run.
pub(crate) fn slo_status(
    prom: &Prometheus,
    service: &Service,
    slo: &Slo,
) -> Result<SloStatus, Error> {
    prom.take_warnings();
    let mut status = match measure(prom, service, slo) {
        Ok(status) => status,
        Err(refused @ Error::Query { .. }) => SloStatus {
            state: State::Error,
            problem: Some(refused.to_string()),
            ..blank(service, slo)
        },
        Err(other) => return Err(other),
    };
    let warnings = prom.take_warnings();
    if !warnings.is_empty() && status.state != State::Error {
        status.state = State::Partial;
        status.problem = Some(format!("the answer is partial: {}", warnings.join("; ")));
    }
    Ok(status)
}

/// An SLO's status before anything is known of it.
fn blank(service: &Service, slo: &Slo) -> SloStatus {
    SloStatus {
        service: service.name.clone(),
        slo: slo.name.clone(),
        objective_percent: crate::vocab::number::format_decimal(slo.objective_percent),
        window: slo.window.to_string(),
        state: State::NoData,
        problem: None,
        source: Source::NoData,
        recorded_for_seconds: None,
        sli: None,
        budget_remaining: None,
        full_outage_left_seconds: None,
        burn_rates: Vec::new(),
        exhausted_in_seconds: None,
        firing: Vec::new(),
    }
}

impl SloStatus {
    fn with_figures(
        self,
        period: Option<f64>,
        remaining: Option<f64>,
        full_outage_secs: f64,
        burn_rates: Vec<Burn>,
        exhausted_in_seconds: Option<f64>,
        firing: Vec<String>,
    ) -> Self {
        Self {
            sli: period.map(|r| 1.0 - r),
            budget_remaining: remaining,
            full_outage_left_seconds: remaining.map(|left| left.max(0.0) * full_outage_secs),
            burn_rates,
            exhausted_in_seconds,
            firing,
            ..self
        }
    }
}

/// A share as people read it (`75%`), or `-` when unknown.
pub(crate) fn percent(value: Option<f64>) -> String {
    value.map_or("-".into(), |v| format!("{}%", format_human_f64(v * 100.0)))
}

/// Seconds as people read them (`3h 36m`), or `-` when unknown.
pub(crate) fn duration(value: Option<f64>) -> String {
    value.map_or("-".into(), humanize_secs)
}

/// What follows an SLO's figures: where they came from, or why there are none.
fn source_note(s: &SloStatus) -> String {
    let problem = s.problem.as_deref().unwrap_or_default();
    let reach = |secs: f64| {
        let reach = humanize_secs(secs);
        format!(
            "slocc's recorded series reach back only {reach} of the {} window",
            s.window
        )
    };
    match (s.state, s.source, s.recorded_for_seconds) {
        (State::NoData, _, _) => format!(" (no data yet: {problem})"),
        (State::Stale, _, _) => format!(" (stale: {problem})"),
        (_, Source::SliQueries, None) => " (from the SLI queries: no recorded series yet)".into(),
        (_, Source::SliQueries, Some(secs)) => format!(" (from the SLI queries: {})", reach(secs)),
        (_, Source::Recorded, Some(secs)) => format!(
            " ({}, and the SLI queries return nothing: the figures cover that time only)",
            reach(secs)
        ),
        _ => String::new(),
    }
}

/// A table for people.
pub(crate) fn render_human(statuses: &[SloStatus]) -> String {
    let mut out = String::new();
    for s in statuses {
        if s.state == State::Error {
            let problem = s.problem.as_deref().unwrap_or_default();
            let _ = writeln!(out, "{}/{}: error: {problem}", s.service, s.slo);
            continue;
        }
        let burns: Vec<String> = s
            .burn_rates
            .iter()
            .map(|b| format!("{} {}x", b.window, format_human_f64(b.burn_rate)))
            .collect();
        let _ = writeln!(
            out,
            "{}/{}: {}% over {}: SLI {}, budget left {} ({} of full outage), exhausted in {} at the current burn{}",
            s.service,
            s.slo,
            s.objective_percent,
            s.window,
            percent(s.sli),
            percent(s.budget_remaining),
            duration(s.full_outage_left_seconds),
            duration(s.exhausted_in_seconds),
            source_note(s),
        );
        if s.state == State::Partial {
            let problem = s.problem.as_deref().unwrap_or_default();
            let _ = writeln!(out, "  partial: {problem}");
        }
        if !burns.is_empty() {
            let _ = writeln!(out, "  burn rates: {}", burns.join(", "));
        }
        if !s.firing.is_empty() {
            let _ = writeln!(out, "  firing: {}", printable(&s.firing.join(", ")));
        }
    }
    out
}

/// A Markdown table.
pub(crate) fn render_markdown(statuses: &[SloStatus]) -> String {
    let mut out = String::from("| SLO | Objective | SLI | Budget left | Full outage left | Exhausted in | Firing | State |\n|---|---|---|---|---|---|---|---|\n");
    let cell = crate::emit::runbook::markdown;
    for s in statuses {
        let state = match &s.problem {
            Some(problem) => format!("{}: {}", s.state.name(), cell(problem)),
            None => s.state.name().to_string(),
        };
        let _ = writeln!(
            out,
            "| {}/{} | {}% over {} | {} | {} | {} | {} | {} | {state} |",
            cell(&s.service),
            cell(&s.slo),
            s.objective_percent,
            s.window,
            percent(s.sli),
            percent(s.budget_remaining),
            duration(s.full_outage_left_seconds),
            duration(s.exhausted_in_seconds),
            cell(&s.firing.join(", "))
        );
    }
    out
}

/// The SLOs nothing can be judged for, as `service/slo (state)`.
pub(crate) fn unknown(statuses: &[SloStatus]) -> Vec<String> {
    let unknown = statuses.iter().filter(|s| !s.state.known());
    unknown
        .map(|s| format!("{}/{} ({})", s.service, s.slo, s.state.name()))
        .collect()
}

/// A chart's query: from slocc's recorded series (`aggregate` wraps their `selector`) or, when
/// given, from the SLI queries.
struct Chart<'a> {
    selector: String,
    aggregate: &'a dyn Fn(&str) -> String,
    fallback: Option<String>,
    /// How far back the recorded series must reach for every point to be right: the chart's
    /// span and the window each point sums.
    needs: i64,
}

/// One series over `[now - span, now]` every `step`: from the recorded series when they reach
/// back far enough for every point (each point of a series recorded for less than its window
/// sums only the time the rules ran), else from the SLI queries, else what was recorded; as
/// (seconds since the epoch, value).
fn range(
    prom: &Prometheus,
    chart: &Chart<'_>,
    (now, span, step): (i64, i64, i64),
) -> Result<Vec<(f64, f64)>, Error> {
    let recorded = (chart.aggregate)(&chart.selector);
    let reach = sample_age(prom, Which::First, &chart.selector, chart.needs as f64)?;
    let old_enough = reach.is_some_and(|secs| secs >= (chart.needs - 3_600) as f64);
    let mut found = Vec::new();
    if !old_enough {
        if let Some(q) = &chart.fallback {
            found = prom.query_range(q, now - span, now, step)?;
        }
    }
    if found.is_empty() {
        found = prom.query_range(&recorded, now - span, now, step)?;
    }
    Ok(found.into_iter().next().map_or_else(Vec::new, |s| {
        s.points
            .into_iter()
            .map(|(t, v)| (t as f64, v))
            .filter(|(_, v)| v.is_finite())
            .collect()
    }))
}

fn selector(service: &Service, slo: &Slo) -> String {
    format!(
        "{{{}}}",
        matchers(&[("slo_service", &service.name), ("slo_name", &slo.name)])
    )
}

/// Budget left over the last SLO window, 120 points: from the recorded series when they exist,
/// else from the SLI queries.
pub(crate) fn burn_down(
    prom: &Prometheus,
    service: &Service,
    slo: &Slo,
    now: i64,
) -> Result<Vec<(f64, f64)>, Error> {
    let window = (slo.window.as_millis() / 1_000) as i64;
    let budget = crate::vocab::number::format_decimal(slo.budget());
    let chart = Chart {
        selector: format!("{}{}", series::BUDGET_REMAINING, selector(service, slo)),
        aggregate: &|s| format!("min({s})"),
        // A time-slice SLO's ratio over its window judges every minute of it: at each of the
        // chart's 120 points, too much to ask; its chart waits for the recorded series.
        fallback: sli_error_ratio(slo, slo.window)
            .filter(|_| slo.budgeting.slice().is_none())
            .map(|q| format!("1 - max({q}) / {budget}")),
        needs: 2 * window,
    };
    range(prom, &chart, (now, window, (window / 120).max(60)))
}

/// The burn rate over the fastest tier's long window, for the last week, 168 points: from the
/// recorded series when they exist, else from the SLI queries.
pub(crate) fn burn_history(
    prom: &Prometheus,
    service: &Service,
    slo: &Slo,
    now: i64,
) -> Result<Vec<(f64, f64)>, Error> {
    let Some(long) = slo.tiers.iter().map(|t| t.long).min() else {
        return Ok(Vec::new());
    };
    let budget = crate::vocab::number::format_decimal(slo.budget());
    let per_budget = |s: &str| format!("max({s}) / {budget}");
    let chart = Chart {
        selector: format!("{}{}", series::error_ratio(long), selector(service, slo)),
        aggregate: &per_budget,
        fallback: sli_error_ratio(slo, long).map(|q| format!("max({q}) / {budget}")),
        needs: 7 * 86_400 + (long.as_millis() / 1_000) as i64,
    };
    range(prom, &chart, (now, 7 * 86_400, 3_600))
}
