//! One SLO's history as events per step, fetched once and summed here.
//!
//! Asking Prometheus for each tier's condition every minute makes it evaluate 1d and 3d
//! `rate()`s tens of thousands of times. Instead slocc asks for two series per SLO (bad and
//! all events per second over a short *tile*), one point per evaluation step, and sums tiles
//! for every window: the events of a window ending at `t` are those of the tiles ending at
//! `t`, `t - tile`, `t - 2 tile`, ..., which cover it exactly once. The tile is the greatest
//! common divisor of the SLO's windows (and of 5m, for fast burns), so it is a range the rules
//! themselves read and the scrape interval already serves. (Prometheus's own `rate()` over a
//! whole window extrapolates at its two edges; tiles do at theirs, so the two agree to the edge
//! of a window: `tests/cli/live.rs` holds them to the minute, give or take two.)

use std::collections::BTreeMap;

use super::{Span, STEP};
use crate::emit::prometheus::{sli_bad_rate, sli_total_rate};
use crate::live::client::{Error, Prometheus, MAX_POINTS};
use crate::model::Slo;
use crate::vocab::duration::Duration;

/// The fast-burn window: every SLO's history tiles it.
const FAST_BURN_SECS: i64 = 300;

/// One SLO's events, step by step, per group of its SLI (its `by` labels).
pub(super) struct History {
    /// The time of the first step (seconds since the epoch).
    first: i64,
    /// Steps per tile.
    per_tile: usize,
    /// Per group: running sums, by residue class, of bad and all events per tile.
    groups: Vec<Sums>,
}

/// Running sums of one group: `bad[i]` is the bad events of the tile ending at step `i` plus
/// `bad[i - per_tile]`, so any run of whole tiles is one subtraction.
struct Sums {
    bad: Vec<f64>,
    total: Vec<f64>,
}

/// The tile for `slo`: the greatest common divisor of its windows and the fast-burn window, in
/// seconds; `None` when that is not a whole number of steps (a window such as `90s`).
pub(super) fn tile_of(slo: &Slo) -> Option<i64> {
    let secs = |d: Duration| (d.as_millis() / 1_000) as i64;
    let tile = slo
        .tiers
        .iter()
        .flat_map(|t| [secs(t.long), secs(t.short)])
        .fold(FAST_BURN_SECS, gcd);
    (tile % STEP == 0).then_some(tile)
}

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

impl History {
    /// Fetches `slo`'s events for `span` and the `reach` seconds before it (its longest
    /// window), tiled by `tile`; `None` for an SLI that does not count events.
    pub(super) fn fetch(
        prom: &Prometheus,
        slo: &Slo,
        span: Span,
        reach: i64,
        tile: i64,
    ) -> Result<Option<Self>, Error> {
        let window = tile_range(prom, tile, span.start)?;
        let (Some(bad), Some(total)) = (sli_bad_rate(slo, window), sli_total_rate(slo, window))
        else {
            return Ok(None);
        };
        let first = span.start - reach + tile;
        let len = ((span.end - first) / STEP + 1).max(0) as usize;
        let per_tile = (tile / STEP) as usize;
        let bad = events_per_step(prom, &bad, first, len, tile)?;
        let mut total = events_per_step(prom, &total, first, len, tile)?;
        let mut groups: Vec<Sums> = bad
            .into_iter()
            .filter_map(|(labels, bad)| {
                let total = total.remove(&labels)?;
                Some(Sums {
                    bad: running(bad, per_tile),
                    total: running(total, per_tile),
                })
            })
            .collect();
        // Groups with traffic and never a bad event.
        groups.extend(total.into_values().map(|total| Sums {
            bad: vec![0.0; len],
            total: running(total, per_tile),
        }));
        Ok(Some(Self {
            first,
            per_tile,
            groups,
        }))
    }

    /// Fetches a time-slice SLO's slice verdicts for `span` and the `reach` seconds before it,
    /// one per step as its slice rule records them: each verdict a "bad" share of one step (so
    /// a window's ratio is the share of bad slices in it, as its window rules average them);
    /// `None` for an SLO that counts events.
    pub(super) fn fetch_slices(
        prom: &Prometheus,
        slo: &Slo,
        span: Span,
        reach: i64,
    ) -> Result<Option<Self>, Error> {
        let Some(verdicts) = crate::emit::prometheus::slice_verdicts(slo) else {
            return Ok(None);
        };
        let first = span.start - reach + STEP;
        let len = ((span.end - first) / STEP + 1).max(0) as usize;
        let groups = per_step(prom, &verdicts, first, len)?
            .into_values()
            .map(|per_tile| {
                // A step with no verdict (no value to judge) is not a slice at all.
                let total = per_tile.iter().map(|v| f64::from(v.is_finite())).collect();
                let bad = per_tile
                    .iter()
                    .map(|v| if v.is_finite() { *v } else { 0.0 });
                Sums {
                    bad: running(bad.collect(), 1),
                    total: running(total, 1),
                }
            })
            .collect();
        Ok(Some(Self {
            first,
            per_tile: 1,
            groups,
        }))
    }

    /// Seconds per tile: every window it sums is a whole number of them.
    pub(super) fn tile(&self) -> i64 {
        self.per_tile as i64 * STEP
    }

    /// The step index of time `t`, when it is a step of this history.
    fn index(&self, t: i64) -> Option<usize> {
        let offset = t - self.first;
        (offset >= 0 && offset % STEP == 0)
            .then_some((offset / STEP) as usize)
            .filter(|i| self.groups.first().is_none_or(|g| *i < g.total.len()))
    }

    /// A group's (bad, all) events over the `window` ending at `t`; `None` when the window is
    /// not whole tiles or reaches before the history.
    fn window(&self, sums: &Sums, t: i64, window: Duration) -> Option<(f64, f64)> {
        let secs = (window.as_millis() / 1_000) as i64;
        if secs % self.tile() != 0 {
            return None;
        }
        let i = self.index(t)?;
        let span = (secs / self.tile()) as usize * self.per_tile;
        let before = |v: &[f64]| if i >= span { v[i - span] } else { 0.0 };
        (i + self.per_tile >= span).then(|| {
            (
                sums.bad[i] - before(&sums.bad),
                sums.total[i] - before(&sums.total),
            )
        })
    }

    /// The worst group's error ratio over the `window` ending at `t` (as the rules' `max`
    /// reads it); `None` when no group had traffic.
    pub(super) fn worst_ratio(&self, t: i64, window: Duration) -> Option<f64> {
        self.groups
            .iter()
            .filter_map(|g| self.window(g, t, window))
            .filter(|(_, total)| *total > 0.0)
            .map(|(bad, total)| bad / total)
            .reduce(f64::max)
    }

    /// All groups' bad events over the `window` ending at `t`.
    pub(super) fn bad_events(&self, t: i64, window: Duration) -> f64 {
        self.groups
            .iter()
            .filter_map(|g| self.window(g, t, window))
            .map(|(bad, _)| bad)
            .sum()
    }
}

/// The range whose `rate` counts one tile's events once. Prometheus 3 reads a range
/// left-open: over exactly one tile it would drop the increase between the sample on the
/// tile's edge and the one before, whenever samples fall on the minute (backfilled and
/// rule-recorded series do); one second more keeps it, still one tile's worth. MetricsQL
/// (VictoriaMetrics) reads the sample before a range too: one second more would add the minute
/// before the tile, counting it in two tiles, so it gets the tile exactly. The engine is asked
/// which it is: the increase of the clock, sampled every step, over a range one second longer
/// than the tile and ending on a step (`at`, in the past: VictoriaMetrics hides its last 30
/// seconds), is that range (Prometheus) or a whole step more (the sample before it read too).
fn tile_range(prom: &Prometheus, tile: i64, at: i64) -> Result<Duration, Error> {
    let probe = format!("increase(vector(time())[{}s:{STEP}s])", tile + 1);
    let reads_before = prom
        .query_at(&probe, Some(at))?
        .first()
        .is_some_and(|s| s.value > (tile + STEP / 2) as f64);
    let extra = if reads_before { 0 } else { 1 };
    Ok(Duration::from_secs((tile + extra) as u64))
}

/// Events per tile at each of `len` steps from `first`, per group (labels), from `rate`, a
/// per-second rate over one tile; a step with no sample counts no event.
fn events_per_step(
    prom: &Prometheus,
    rate: &str,
    first: i64,
    len: usize,
    tile: i64,
) -> Result<BTreeMap<BTreeMap<String, String>, Vec<f64>>, Error> {
    let mut out = per_step(prom, rate, first, len)?;
    for values in out.values_mut() {
        for v in values.iter_mut() {
            *v = if v.is_finite() { *v * tile as f64 } else { 0.0 };
        }
    }
    Ok(out)
}

/// `query`'s value at each of `len` steps from `first`, per group (labels); NaN where it had
/// none.
fn per_step(
    prom: &Prometheus,
    query: &str,
    first: i64,
    len: usize,
) -> Result<BTreeMap<BTreeMap<String, String>, Vec<f64>>, Error> {
    let mut out: BTreeMap<_, Vec<f64>> = BTreeMap::new();
    let last = first + (len as i64 - 1) * STEP;
    let mut from = first;
    while from <= last {
        let to = (from + (MAX_POINTS - 1) * STEP).min(last);
        for series in prom.query_range(query, from, to, STEP)? {
            let values = out
                .entry(series.labels)
                .or_insert_with(|| vec![f64::NAN; len]);
            for (t, v) in series.points {
                let i = ((t - first) / STEP) as usize;
                if i < len {
                    values[i] = v;
                }
            }
        }
        from = to + STEP;
    }
    Ok(out)
}

/// Running sums by residue class: `v[i] + out[i - step]`.
fn running(mut values: Vec<f64>, step: usize) -> Vec<f64> {
    for i in step..values.len() {
        values[i] += values[i - step];
    }
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    fn history(bad: Vec<f64>, total: Vec<f64>, per_tile: usize) -> History {
        History {
            first: 0,
            per_tile,
            groups: vec![Sums {
                bad: running(bad, per_tile),
                total: running(total, per_tile),
            }],
        }
    }

    #[test]
    fn windows_sum_whole_tiles_ending_at_the_step() {
        // Tiles of 2 steps (2m); events per tile at each step.
        let h = history(vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0], vec![10.0; 6], 2);
        let minutes = |m: u64| Duration::from_secs(m * 60);
        // The 4m window ending at step 5 (t = 300s): tiles ending at steps 5 and 3.
        assert_eq!(h.window(&h.groups[0], 300, minutes(4)), Some((8.0, 20.0)));
        assert_eq!(h.worst_ratio(300, minutes(4)), Some(0.4));
        assert_eq!(h.bad_events(300, minutes(2)), 5.0);
        // Not whole tiles, not a step, before the history.
        assert_eq!(h.window(&h.groups[0], 300, minutes(3)), None);
        assert_eq!(h.window(&h.groups[0], 330, minutes(2)), None);
        assert_eq!(h.window(&h.groups[0], 60, minutes(6)), None);
    }

    #[test]
    fn no_traffic_is_no_ratio_not_zero() {
        let h = history(vec![0.0; 4], vec![0.0; 4], 1);
        assert_eq!(h.worst_ratio(180, Duration::from_secs(120)), None);
    }

    #[test]
    fn the_tile_divides_every_window_and_five_minutes() {
        assert_eq!(gcd(3_600, 300), 300);
        assert_eq!(gcd(300, 60), 60);
        assert_eq!(gcd(259_200, 21_600), 21_600);
    }
}
