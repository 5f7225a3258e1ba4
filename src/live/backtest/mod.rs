//! `slocc backtest`: the alert policy of the specs on disk (deployed or not) replayed against
//! the real history in Prometheus: each tier's condition (both windows over the threshold, and
//! the low-traffic guard) evaluated every minute, as the rules evaluate, `for:` applied; the
//! episodes it would have fired, and whether fast burns were paged. SLIs that count events are
//! replayed from one fetch of their events per step, summed here ([`history`]); raw error
//! ratios, which cannot be summed, by asking Prometheus for each condition.

mod history;
pub(crate) mod incidents;

use std::fmt::Write as _;

use history::History;

use serde::Serialize;

use crate::emit::prometheus::{sli_bad_rate, sli_error_ratio};
use crate::live::client::{Error, Prometheus, MAX_POINTS};
use crate::model::{Service, Slo, Tier};
use crate::vocab::duration::{humanize_secs, Duration};
use crate::vocab::number::{format_decimal, format_human_f64, to_f64};

/// The rules' evaluation interval, in seconds.
const STEP: i64 = 60;

/// The time range replayed: `[start, end]`, seconds since the epoch.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) start: i64,
    pub(crate) end: i64,
}

/// One firing of a tier.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Episode {
    /// When it started firing (seconds since the epoch) and when it stopped.
    pub(crate) start: i64,
    pub(crate) end: i64,
    /// Share of the SLO's budget spent from one evaluation before its condition first held
    /// until it stopped (at the error ratio over that span, as a share of the window's budget).
    pub(crate) budget_spent: Option<f64>,
}

/// What one tier would have done.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct TierRun {
    pub(crate) severity: String,
    pub(crate) windows: String,
    pub(crate) episodes: Vec<Episode>,
    /// Notifications (episodes) per week of history.
    pub(crate) per_week: f64,
}

/// The merged episodes of one severity class.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SeverityRun {
    pub(crate) severity: String,
    /// (start, end) of each merged episode.
    pub(crate) episodes: Vec<(i64, i64)>,
}

/// Each class's episodes, overlapping or touching ones merged.
fn by_severity(tiers: &[TierRun]) -> Vec<SeverityRun> {
    let mut out: Vec<SeverityRun> = Vec::new();
    for t in tiers {
        let spans = t.episodes.iter().map(|e| (e.start, e.end));
        match out.iter_mut().find(|s| s.severity == t.severity) {
            Some(s) => s.episodes.extend(spans),
            None => out.push(SeverityRun {
                severity: t.severity.clone(),
                episodes: spans.collect(),
            }),
        }
    }
    for s in &mut out {
        s.episodes.sort_unstable();
        let mut merged: Vec<(i64, i64)> = Vec::new();
        for (start, end) in s.episodes.drain(..) {
            match merged.last_mut() {
                Some(last) if start <= last.1 => last.1 = last.1.max(end),
                _ => merged.push((start, end)),
            }
        }
        s.episodes = merged;
    }
    out
}

/// A period of fast burn and whether (and how soon) a page fired for it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct FastBurn {
    pub(crate) start: i64,
    pub(crate) end: i64,
    /// Seconds from its start to the first page, if one fired.
    pub(crate) paged_after: Option<i64>,
}

/// One SLO's replay.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SloRun {
    pub(crate) service: String,
    pub(crate) slo: String,
    pub(crate) tiers: Vec<TierRun>,
    /// Per severity class, the tiers' episodes merged where they overlap: what on-call sees
    /// (Alertmanager groups an SLO's alerts of one class into one notification).
    pub(crate) severities: Vec<SeverityRun>,
    pub(crate) fast_burns: Vec<FastBurn>,
    /// Alert episodes of every tier merged into incidents, each measured from its onset.
    pub(crate) incidents: Vec<incidents::Incident>,
    /// Mean time to recover, overall and per class, against the SLO's target.
    pub(crate) mttr: incidents::Mttr,
}

/// The timestamps (every STEP) at which `query` returns anything, over `span`, in range
/// queries of at most MAX_POINTS points each.
fn true_steps(prom: &Prometheus, query: &str, span: Span) -> Result<Vec<i64>, Error> {
    let mut out = Vec::new();
    let mut from = span.start;
    while from <= span.end {
        let to = (from + (MAX_POINTS - 1) * STEP).min(span.end);
        for series in prom.query_range(query, from, to, STEP)? {
            out.extend(series.points.iter().map(|(t, _)| *t));
        }
        from = to + STEP;
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

/// Runs of consecutive steps, as (first, last).
fn runs(steps: &[i64]) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = Vec::new();
    for &t in steps {
        match out.last_mut() {
            Some(run) if t - run.1 <= STEP => run.1 = t,
            _ => out.push((t, t)),
        }
    }
    out
}

/// A tier's condition, as its rule states it, over the SLI queries.
fn condition(slo: &Slo, tier: &Tier) -> Option<String> {
    let threshold = format_decimal(tier.threshold);
    let long = sli_error_ratio(slo, tier.long)?;
    let short = sli_error_ratio(slo, tier.short)?;
    let mut q = format!("(max({long}) > {threshold}) and (max({short}) > {threshold})");
    if let (Some(n), Some(bad)) = (slo.min_events, sli_bad_rate(slo, tier.long)) {
        let secs = tier.long.as_millis() / 1_000;
        let _ = write!(q, " and on () (sum({bad}) * {secs} >= {n})");
    }
    Some(q)
}

/// Where a replay reads its conditions from: the SLO's events summed here, or, for a raw
/// error ratio (nothing to sum), Prometheus evaluating each condition.
enum Source<'a> {
    Sums(History),
    Queries(&'a Prometheus),
}

impl Source<'_> {
    /// The steps of `span` at which `tier`'s condition held.
    fn tier_steps(&self, slo: &Slo, tier: &Tier, span: Span) -> Result<Vec<i64>, Error> {
        let threshold = to_f64(tier.threshold);
        match self {
            Self::Sums(h) => Ok(steps(span, |t| {
                let over = |w| h.worst_ratio(t, w).is_some_and(|r| r > threshold);
                let guarded = slo
                    .min_events
                    .is_none_or(|n| h.bad_events(t, tier.long) >= n as f64);
                over(tier.long) && over(tier.short) && guarded
            })),
            Self::Queries(prom) => match condition(slo, tier) {
                Some(query) => true_steps(prom, &query, span),
                None => Ok(Vec::new()),
            },
        }
    }

    /// The steps of `span` at which the 5-minute error ratio was over `threshold`.
    fn fast_steps(&self, slo: &Slo, threshold: f64, span: Span) -> Result<Vec<i64>, Error> {
        let five = Duration::from_secs(300);
        match self {
            Self::Sums(h) => Ok(steps(span, |t| {
                h.worst_ratio(t, five).is_some_and(|r| r > threshold)
            })),
            Self::Queries(prom) => match sli_error_ratio(slo, five) {
                Some(ratio) => true_steps(prom, &format!("max({ratio}) > {threshold}"), span),
                None => Ok(Vec::new()),
            },
        }
    }

    /// The worst error ratio over the `length` ending at `end`.
    fn ratio(&self, slo: &Slo, end: i64, length: Duration) -> Result<Option<f64>, Error> {
        match self {
            Self::Sums(h) => Ok(h.worst_ratio(end, length)),
            Self::Queries(prom) => Ok(match sli_error_ratio(slo, length) {
                Some(q) => prom
                    .query_at(&format!("max({q})"), Some(end))?
                    .first()
                    .map(|s| s.value),
                None => None,
            }),
        }
    }
}

/// The steps of `span` (every STEP) at which `holds`.
fn steps(span: Span, holds: impl Fn(i64) -> bool) -> Vec<i64> {
    (0..=(span.end - span.start) / STEP)
        .map(|i| span.start + i * STEP)
        .filter(|t| holds(*t))
        .collect()
}

/// The episodes of a tier: runs of its condition, firing once they held for `for:`, each
/// with the share of the budget spent while it fired.
fn tier_run(source: &Source<'_>, slo: &Slo, tier: &Tier, span: Span) -> Result<TierRun, Error> {
    let hold = tier
        .for_duration
        .map_or(0, |d| (d.as_millis() / 1_000) as i64);
    let tile = match source {
        Source::Sums(history) => history.tile(),
        Source::Queries(_) => STEP,
    };
    let mut episodes = Vec::new();
    for (first, last) in runs(&source.tier_steps(slo, tier, span)?) {
        let start = first + hold;
        if start > last {
            continue;
        }
        let end = last + STEP;
        // From one evaluation before the condition first held (the burn that set it off)
        // until the alert stopped, in whole tiles, read at the last step it held.
        let secs = end - first + STEP;
        let length = Duration::from_secs(((secs + tile - 1) / tile * tile) as u64);
        let spent = source.ratio(slo, last, length)?.map(|ratio| {
            ratio * length.as_secs_f64() / (to_f64(slo.budget()) * slo.window.as_secs_f64())
        });
        episodes.push(Episode {
            start,
            end,
            budget_spent: spent.filter(|v| v.is_finite()),
        });
    }
    let weeks = ((span.end - span.start) as f64 / (7.0 * 86_400.0)).max(1.0 / 7.0);
    Ok(TierRun {
        severity: tier.class.name.clone(),
        windows: format!("{}/{}", tier.long, tier.short),
        per_week: episodes.len() as f64 / weeks,
        episodes,
    })
}

/// Periods when the 5-minute error ratio was above the fastest page's threshold, and when the
/// first page episode started for each.
fn fast_burns(
    source: &Source<'_>,
    slo: &Slo,
    tiers: &[TierRun],
    span: Span,
) -> Result<Vec<FastBurn>, Error> {
    let Some(fastest) = slo
        .tiers
        .iter()
        .filter(|t| t.class.page)
        .min_by_key(|t| t.long)
    else {
        return Ok(Vec::new());
    };
    let pages: Vec<&Episode> = slo
        .tiers
        .iter()
        .zip(tiers)
        .filter(|(t, _)| t.class.page)
        .flat_map(|(_, run)| &run.episodes)
        .collect();
    let reach = (fastest.long.as_millis() / 1_000) as i64;
    let held = source.fast_steps(slo, to_f64(fastest.threshold), span)?;
    Ok(runs(&held)
        .into_iter()
        .map(|(start, last)| FastBurn {
            start,
            end: last + STEP,
            paged_after: pages
                .iter()
                .filter(|e| e.end > start && e.start <= last + reach)
                .map(|e| (e.start - start).max(0))
                .min(),
        })
        .collect())
}

/// What a replay of `slo` reads: its events, fetched once, when its SLI counts them and its
/// windows are whole minutes; Prometheus's answers otherwise.
fn source<'a>(prom: &'a Prometheus, slo: &Slo, span: Span) -> Result<Source<'a>, Error> {
    let longest = slo.tiers.iter().map(|t| t.long).max();
    let reach = longest.map_or(0, |d| (d.as_millis() / 1_000) as i64);
    if slo.budgeting.slice().is_some() {
        return Ok(
            match History::fetch_slices(prom, slo, span, reach.max(300))? {
                Some(history) => Source::Sums(history),
                None => Source::Queries(prom),
            },
        );
    }
    let Some(tile) = history::tile_of(slo) else {
        return Ok(Source::Queries(prom));
    };
    Ok(
        match History::fetch(prom, slo, span, reach.max(300), tile)? {
            Some(history) => Source::Sums(history),
            None => Source::Queries(prom),
        },
    )
}

/// Replays one SLO.
pub(crate) fn replay(
    prom: &Prometheus,
    service: &Service,
    slo: &Slo,
    span: Span,
) -> Result<SloRun, Error> {
    let mut run = SloRun {
        service: service.name.clone(),
        slo: slo.name.clone(),
        tiers: Vec::new(),
        severities: Vec::new(),
        fast_burns: Vec::new(),
        incidents: Vec::new(),
        mttr: incidents::Mttr::default(),
    };
    // Steps on the minute, as a rule group's evaluations fall.
    let span = Span {
        start: span.start - span.start.rem_euclid(STEP),
        end: span.end - span.end.rem_euclid(STEP),
    };
    let source = source(prom, slo, span)?;
    for tier in &slo.tiers {
        run.tiers.push(tier_run(&source, slo, tier, span)?);
    }
    run.fast_burns = fast_burns(&source, slo, &run.tiers, span)?;
    run.severities = by_severity(&run.tiers);
    // A burn begins where the 5-minute error ratio passes the lowest threshold of any tier.
    let lowest = slo
        .tiers
        .iter()
        .map(|t| to_f64(t.threshold))
        .reduce(f64::min);
    if let Some(lowest) = lowest {
        let burning = source.fast_steps(slo, lowest, span)?;
        run.incidents = incidents::incidents(slo, &run.tiers, &burning);
    }
    let target = slo.mttr.map(|d| d.as_secs_f64());
    run.mttr = incidents::mttr(&run.incidents, target);
    Ok(run)
}

/// A UTC time for people: `2026-11-22 14:09`.
pub(crate) fn when(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .map_or_else(|| t.to_string(), |d| d.format("%Y-%m-%d %H:%M").to_string())
}

/// One SLO's replay in words.
pub(crate) fn render_slo(out: &mut String, run: &SloRun) {
    let _ = writeln!(out, "{}/{}", run.service, run.slo);
    for t in &run.tiers {
        let _ = write!(
            out,
            "  {} {}: {} episode{} ({}/week)",
            t.severity,
            t.windows,
            t.episodes.len(),
            if t.episodes.len() == 1 { "" } else { "s" },
            format_human_f64(t.per_week)
        );
        for e in &t.episodes {
            let spent = e.budget_spent.map_or(String::new(), |s| {
                format!(", {}% of the budget", format_human_f64(s * 100.0))
            });
            let _ = write!(
                out,
                "; {} for {}{spent}",
                when(e.start),
                humanize_secs((e.end - e.start) as f64)
            );
        }
        out.push('\n');
    }
    for s in &run.severities {
        let list: Vec<String> = s
            .episodes
            .iter()
            .map(|(a, b)| format!("{} for {}", when(*a), humanize_secs((b - a) as f64)))
            .collect();
        let n = s.episodes.len();
        let _ = writeln!(
            out,
            "  {} (all tiers): {n} episode{}{}{}",
            s.severity,
            if n == 1 { "" } else { "s" },
            if n == 0 { "" } else { "; " },
            list.join("; ")
        );
    }
    for b in &run.fast_burns {
        let outcome = b.paged_after.map_or("no page".to_string(), |s| {
            format!("paged after {}", humanize_secs(s as f64))
        });
        let _ = writeln!(
            out,
            "  fast burn {} for {}: {outcome}",
            when(b.start),
            humanize_secs((b.end - b.start) as f64)
        );
    }
    incidents::render(out, &run.incidents, &run.mttr);
}
