//! `slocc explain`: an SLO's budget and tier table in numbers, and a simulated incident's alerts.

use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{Service, Slo, Tier};
use crate::vocab::duration::{humanize_secs, Duration};
use crate::vocab::number::{
    format_decimal, format_f64, format_human_f64, format_human_text, to_f64,
};

/// A steady incident to simulate: `error_ratio` from time 0 for `duration` (or forever).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct IncidentSpec {
    /// Error ratio during the incident, 0..=1.
    pub(crate) error_ratio: f64,
    /// How long it lasts; `None` for as long as it takes.
    pub(crate) duration: Option<Duration>,
}

/// Everything `explain` says about one SLO.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SloReport {
    /// Service name.
    pub(crate) service: String,
    /// SLO name.
    pub(crate) slo: String,
    /// Objective in percent, exact.
    pub(crate) objective_percent: String,
    /// Window, canonical.
    pub(crate) window: String,
    /// Error budget as a ratio, exact.
    pub(crate) error_budget: String,
    /// Seconds of full outage the budget allows.
    pub(crate) full_outage_budget_seconds: f64,
    /// Bad events the budget allows over the window at the given traffic.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) bad_events_allowed: Option<f64>,
    /// Traffic in events per second that `bad_events_allowed` assumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) traffic_per_second: Option<f64>,
    /// A freshness SLI's `max_age`, in seconds: a stalled job spends no budget until its last
    /// success is that old, so each tier fires that much later than `full outage` says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) stale_after_seconds: Option<f64>,
    /// The tiers.
    pub(crate) tiers: Vec<TierReport>,
    /// The simulated incident, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) incident: Option<IncidentReport>,
}

/// One tier in numbers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct TierReport {
    /// Its severity class (`page`, `ticket`, or a class of the settings).
    pub(crate) severity: String,
    /// Whether it pages.
    pub(crate) pages: bool,
    /// The response the class expects.
    pub(crate) response: String,
    /// Long window.
    pub(crate) long_window: String,
    /// Short window.
    pub(crate) short_window: String,
    /// Burn factor, exact.
    pub(crate) burn_factor: String,
    /// Error-ratio threshold, exact.
    pub(crate) threshold: String,
    /// Seconds from the start of a full outage until it fires.
    pub(crate) full_outage_time_to_fire_seconds: f64,
    /// Share of the budget spent when it fires (at its threshold burn).
    pub(crate) budget_spent_at_fire: f64,
    /// Seconds until the budget is gone at exactly this tier's burn rate.
    pub(crate) exhaustion_seconds: f64,
}

/// What the simulated incident does.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct IncidentReport {
    /// Error ratio during the incident.
    pub(crate) error_ratio: f64,
    /// Burn rate: error ratio over budget.
    pub(crate) burn_rate: f64,
    /// Incident length in seconds; absent when it never ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) duration_seconds: Option<f64>,
    /// Share of the budget the whole incident spends (absent when it never ends).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) budget_spent: Option<f64>,
    /// Per tier, in the order of `tiers`.
    pub(crate) tiers: Vec<TierOutcome>,
}

/// When one tier fires and stops during the incident.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct TierOutcome {
    /// `page` or `ticket`.
    pub(crate) severity: String,
    /// Long window.
    pub(crate) long_window: String,
    /// Seconds after the incident starts of the first rule evaluation that fires; absent if none.
    pub(crate) fires_at_seconds: Option<f64>,
    /// Seconds after the incident starts of the first evaluation that no longer fires.
    pub(crate) stops_at_seconds: Option<f64>,
    /// Share of the budget spent when it starts firing.
    pub(crate) budget_spent_at_fire: Option<f64>,
}

/// The error ratio a window reads at time `t` when errors ran at `ratio` during `[0, end]`.
fn window_ratio(ratio: f64, end: f64, window: f64, t: f64) -> f64 {
    let overlap = (t.min(end) - (t - window).max(0.0)).max(0.0);
    ratio * overlap / window
}

/// Replays the incident the way the generated rules see it: evaluated every rule interval;
/// windows under a day read the raw rate (the share of the window inside the incident), longer
/// ones average the recorded 5m ratio samples, as `sum_over_time` of the recorded rates does.
/// Returns when the tier starts and stops firing, in seconds from the incident's start.
fn simulate(
    tier: &Tier,
    incident: IncidentSpec,
    recorded: &dyn Fn(Duration) -> bool,
) -> (Option<f64>, Option<f64>) {
    use crate::emit::prometheus::{BASE_WINDOW, SLI_INTERVAL};
    let step = SLI_INTERVAL.as_secs_f64();
    let base = BASE_WINDOW.as_secs_f64();
    let threshold = to_f64(tier.threshold);
    let end = incident
        .duration
        .map_or(f64::INFINITY, Duration::as_secs_f64);
    let longest = tier.long.as_secs_f64() + base;
    let horizon = if end.is_finite() {
        end + longest
    } else {
        longest
    };
    let steps = (horizon / step).ceil() as usize + 1;
    let base_samples: Vec<f64> = (0..steps)
        .map(|k| window_ratio(incident.error_ratio, end, base, k as f64 * step))
        .collect();
    let ratio = |window: Duration, k: usize| -> f64 {
        if !recorded(window) {
            window_ratio(
                incident.error_ratio,
                end,
                window.as_secs_f64(),
                k as f64 * step,
            )
        } else {
            // Samples before the incident are clean (0) and count towards the average.
            let count = (window.as_secs_f64() / step) as usize;
            let first = (k + 1).saturating_sub(count);
            base_samples[first..=k].iter().sum::<f64>() / count as f64
        }
    };
    let mut fired = None;
    for k in 0..steps {
        let firing = ratio(tier.long, k) > threshold && ratio(tier.short, k) > threshold;
        let t = k as f64 * step;
        match (fired, firing) {
            (None, true) => fired = Some(t),
            (Some(start), false) => return (Some(start), Some(t)),
            _ => {}
        }
    }
    (fired, None)
}

/// Explains one SLO, optionally at a traffic level and with a simulated incident.
pub(crate) fn explain(
    service: &Service,
    slo: &Slo,
    traffic_per_second: Option<f64>,
    incident: Option<IncidentSpec>,
) -> SloReport {
    let budget = to_f64(slo.budget());
    let window_secs = slo.window.as_secs_f64();
    let tiers: Vec<TierReport> = slo
        .tiers
        .iter()
        .map(|t| TierReport {
            severity: t.class.name.clone(),
            pages: t.class.page,
            response: t.class.response.clone(),
            long_window: t.long.to_string(),
            short_window: t.short.to_string(),
            burn_factor: format_decimal(t.factor),
            threshold: format_decimal(t.threshold),
            full_outage_time_to_fire_seconds: t.time_to_fire_secs(1.0).unwrap_or(f64::INFINITY),
            budget_spent_at_fire: t.budget_spent_at_fire(slo.window),
            exhaustion_seconds: t.exhaustion_secs(slo.window),
        })
        .collect();
    let recorded = |w: Duration| crate::emit::prometheus::recorded_window(service, w);
    let incident = incident.map(|spec| simulate_incident(slo, spec, &recorded));
    SloReport {
        service: service.name.clone(),
        slo: slo.name.clone(),
        objective_percent: format_decimal(slo.objective_percent),
        window: slo.window.to_string(),
        error_budget: format_decimal(slo.budget()),
        full_outage_budget_seconds: slo.full_outage_budget_secs(),
        bad_events_allowed: traffic_per_second.map(|rps| budget * rps * window_secs),
        traffic_per_second,
        stale_after_seconds: match &slo.sli {
            crate::model::Sli::Freshness { max_age, .. } => Some(max_age.as_secs_f64()),
            _ => None,
        },
        tiers,
        incident,
    }
}

/// What the SLO's tiers do during an incident: when each fires and stops, and the budget spent.
fn simulate_incident(
    slo: &Slo,
    spec: IncidentSpec,
    recorded: &dyn Fn(Duration) -> bool,
) -> IncidentReport {
    let budget = to_f64(slo.budget());
    let budget_secs = budget * slo.window.as_secs_f64();
    let spent = |t: f64| spec.error_ratio * t / budget_secs;
    let duration = spec.duration.map(Duration::as_secs_f64);
    let tiers = slo
        .tiers
        .iter()
        .map(|tier| {
            let (fires, stops) = simulate(tier, spec, recorded);
            TierOutcome {
                severity: tier.class.name.clone(),
                long_window: tier.long.to_string(),
                fires_at_seconds: fires,
                stops_at_seconds: stops,
                budget_spent_at_fire: fires.map(|t| spent(duration.map_or(t, |d| t.min(d)))),
            }
        })
        .collect();
    IncidentReport {
        error_ratio: spec.error_ratio,
        burn_rate: spec.error_ratio / budget,
        duration_seconds: duration,
        budget_spent: duration.map(spent),
        tiers,
    }
}

fn percent(share: f64) -> String {
    format!("{}%", format_human_f64(share * 100.0))
}

/// Renders reports for people.
pub(crate) fn render_human(reports: &[SloReport]) -> String {
    let mut out = String::new();
    for r in reports {
        let _ = writeln!(
            out,
            "{}/{}: {}% over {} (error budget {} = {} of full outage{})",
            r.service,
            r.slo,
            r.objective_percent,
            r.window,
            r.error_budget,
            humanize_secs(r.full_outage_budget_seconds),
            match (r.bad_events_allowed, r.traffic_per_second) {
                (Some(bad), Some(rps)) => format!(
                    ", or {} bad events at {} events/s",
                    format_f64(bad, 0),
                    format_f64(rps, 3)
                ),
                _ => String::new(),
            }
        );
        render_tiers(&mut out, &r.tiers);
        if let Some(stale) = r.stale_after_seconds {
            let _ = writeln!(
                out,
                "  a stalled job spends no budget until its last success is {} old: each tier fires that much later than `full outage` says",
                humanize_secs(stale)
            );
        }
        if let Some(i) = &r.incident {
            render_incident(&mut out, i);
        }
        out.push('\n');
    }
    out
}

fn render_tiers(out: &mut String, tiers: &[TierReport]) {
    let _ = writeln!(
        out,
        "  {:<8} {:<10} {:>8} {:>10} {:>14} {:>12} {:>12}",
        "severity", "windows", "factor", "threshold", "full outage", "budget spent", "exhausted in"
    );
    for t in tiers {
        let _ = writeln!(
            out,
            "  {:<8} {:<10} {:>8} {:>10} {:>14} {:>12} {:>12}",
            t.severity,
            format!("{}/{}", t.long_window, t.short_window),
            format!("{}x", format_human_text(&t.burn_factor)),
            format_human_text(&t.threshold),
            format!(
                "fires in {}",
                humanize_secs(t.full_outage_time_to_fire_seconds)
            ),
            percent(t.budget_spent_at_fire),
            humanize_secs(t.exhaustion_seconds)
        );
    }
    let mut said: Vec<&str> = Vec::new();
    for t in tiers {
        if said.contains(&t.severity.as_str()) {
            continue;
        }
        said.push(&t.severity);
        let kind = if t.pages { "pages" } else { "does not page" };
        let _ = writeln!(out, "  {} {kind}: respond {}", t.severity, t.response);
    }
}

fn render_incident(out: &mut String, i: &IncidentReport) {
    let _ = writeln!(
        out,
        "  incident: error ratio {} (burn {}x){}",
        format_human_f64(i.error_ratio),
        format_human_f64(i.burn_rate),
        match (i.duration_seconds, i.budget_spent) {
            (Some(d), Some(spent)) => format!(
                " for {}, spending {} of the budget",
                humanize_secs(d),
                percent(spent)
            ),
            _ => " without end".to_string(),
        }
    );
    for t in &i.tiers {
        let line = match (t.fires_at_seconds, t.stops_at_seconds) {
            (None, _) => "never fires".to_string(),
            (Some(start), stop) => format!(
                "fires after {} (budget spent {}){}",
                humanize_secs(start),
                percent(t.budget_spent_at_fire.unwrap_or(0.0)),
                stop.map_or(String::new(), |s| format!(
                    ", stops after {}",
                    humanize_secs(s)
                ))
            ),
        };
        let _ = writeln!(out, "    {:<8} {:<4} {line}", t.severity, t.long_window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Urgency;
    use rust_decimal::Decimal;
    use std::collections::BTreeMap;

    fn tier(long: u64, short: u64, pct: i64, window_days: u64, budget: Decimal) -> Tier {
        let window = Duration::from_secs(window_days * 86_400);
        let factor =
            crate::model::burn_factor(Decimal::from(pct), window, Duration::from_secs(long));
        Tier {
            severity: Urgency::Page,
            class: crate::model::SeverityClass::default_for(Urgency::Page),
            long: Duration::from_secs(long),
            short: Duration::from_secs(short),
            budget_percent: Decimal::from(pct),
            factor,
            threshold: factor * budget,
            for_duration: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        }
    }

    #[test]
    fn full_outage_fires_after_threshold_times_long_window() {
        let t = tier(3_600, 300, 2, 30, Decimal::new(1, 3));
        let (fires, stops) = simulate(
            &t,
            IncidentSpec {
                error_ratio: 1.0,
                duration: None,
            },
            &|w| w >= Duration::from_secs(86_400),
        );
        // 0.0144 x 3600 s = 51.84 s: the first evaluation after it.
        assert_eq!(fires, Some(60.0));
        assert_eq!(stops, None);
    }

    #[test]
    fn short_window_bounds_the_reset() {
        let t = tier(3_600, 300, 2, 30, Decimal::new(1, 3));
        let (fires, stops) = simulate(
            &t,
            IncidentSpec {
                error_ratio: 1.0,
                duration: Some(Duration::from_secs(600)),
            },
            &|w| w >= Duration::from_secs(86_400),
        );
        assert_eq!(fires, Some(60.0));
        // The 5m window drops under 1.44% once fewer than 4.32 s of outage remain in it: at
        // 895.68 s, so the evaluation at 900 s is the first that no longer fires.
        assert_eq!(stops, Some(900.0));
    }

    #[test]
    fn a_burn_below_the_factor_never_fires() {
        let t = tier(3_600, 300, 2, 30, Decimal::new(1, 3));
        let (fires, _) = simulate(
            &t,
            IncidentSpec {
                error_ratio: 0.01,
                duration: None,
            },
            &|w| w >= Duration::from_secs(86_400),
        );
        assert_eq!(fires, None);
    }
}
