//! Incidents in a backtest: the SLO's alert episodes (every tier, every class) merged where
//! they overlap, each measured from when the burn began, as a production-readiness review
//! asks: time to detect (first alert), time to page (first paging alert) and time to recover
//! (the error ratio back under every tier's threshold), with a timeline; and the mean time to
//! recover (MTTR) per SLO and per class, against the SLO's `mttr` target when it has one.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{runs, when, Episode, TierRun, STEP};
use crate::model::Slo;
use crate::vocab::duration::humanize_secs;

/// One incident of an SLO.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Incident {
    /// When the burn began: the start of the run of steps whose 5-minute error ratio was over
    /// the lowest tier threshold that led to the first alert (seconds since the epoch).
    pub(crate) onset: i64,
    /// Seconds from the onset to the first alert, to the first paging alert (none: no page),
    /// and to the error ratio's return under every threshold.
    pub(crate) time_to_detect: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) time_to_page: Option<i64>,
    pub(crate) time_to_recover: i64,
    /// The classes that fired, most urgent first.
    pub(crate) classes: Vec<String>,
    /// What happened, in time order: (seconds since the epoch, what).
    pub(crate) timeline: Vec<(i64, String)>,
}

/// Mean times to recover.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub(crate) struct Mttr {
    /// Over every incident, in seconds (none without incidents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) seconds: Option<f64>,
    /// Over the incidents in which each class fired.
    pub(crate) by_class: BTreeMap<String, f64>,
    /// The SLO's target, in seconds, and whether the MTTR is over it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) target_seconds: Option<f64>,
    pub(crate) over_target: bool,
}

/// The incidents of `slo` from its tiers' episodes (`tiers`, in the SLO's tier order) and the
/// steps at which its 5-minute error ratio was over the lowest threshold (`burning`).
pub(crate) fn incidents(slo: &Slo, tiers: &[TierRun], burning: &[i64]) -> Vec<Incident> {
    let burns: Vec<(i64, i64)> = runs(burning)
        .into_iter()
        .map(|(a, b)| (a, b + STEP))
        .collect();
    let reach = slo
        .tiers
        .iter()
        .map(|t| (t.long.as_millis() / 1_000) as i64)
        .max()
        .unwrap_or(0);
    let mut episodes: Vec<(usize, &Episode)> = tiers
        .iter()
        .enumerate()
        .flat_map(|(i, t)| t.episodes.iter().map(move |e| (i, e)))
        .collect();
    episodes.sort_by_key(|(i, e)| (e.start, *i));
    let mut out: Vec<Incident> = Vec::new();
    let mut group: Vec<(usize, &Episode)> = Vec::new();
    // A burn run belongs to one incident: the first after the previous incident's alerts.
    let mut previous_end = i64::MIN;
    for (i, e) in episodes {
        let end = group.iter().map(|(_, g)| g.end).max();
        if let Some(end) = end.filter(|end| e.start > *end) {
            let from = (previous_end, reach);
            out.push(incident(slo, tiers, &group, &burns, from));
            group.clear();
            previous_end = end;
        }
        group.push((i, e));
    }
    if !group.is_empty() {
        out.push(incident(slo, tiers, &group, &burns, (previous_end, reach)));
    }
    out
}

/// One incident from its overlapping episodes; `(after, reach)`: its burn runs start after
/// the previous incident's alerts ended and end at most `reach` (the longest window) before
/// its first alert.
fn incident(
    slo: &Slo,
    tiers: &[TierRun],
    group: &[(usize, &Episode)],
    burns: &[(i64, i64)],
    (after, reach): (i64, i64),
) -> Incident {
    let first = group.iter().map(|(_, e)| e.start).min().unwrap_or_default();
    let last = group.iter().map(|(_, e)| e.end).max().unwrap_or_default();
    // The burn runs that set it off or happened while it fired.
    let own: Vec<&(i64, i64)> = burns
        .iter()
        .filter(|(a, b)| *a > after && *b >= first - reach && *a <= last)
        .collect();
    let onset = own
        .iter()
        .map(|(a, _)| *a)
        .min()
        .unwrap_or(first)
        .min(first);
    let recovered = own.iter().map(|(_, b)| *b).max().unwrap_or(last).max(onset);
    let paged = group
        .iter()
        .filter(|(i, _)| slo.tiers[*i].class.page)
        .map(|(_, e)| e.start)
        .min();
    let mut fired: Vec<usize> = group.iter().map(|(i, _)| *i).collect();
    fired.sort_by_key(|i| (!slo.tiers[*i].class.page, slo.tiers[*i].class.rank));
    let mut classes: Vec<String> = fired.iter().map(|i| tiers[*i].severity.clone()).collect();
    classes.dedup();
    Incident {
        onset,
        time_to_detect: first - onset,
        time_to_page: paged.map(|p| p - onset),
        time_to_recover: recovered - onset,
        classes,
        timeline: timeline(tiers, group, onset, recovered),
    }
}

/// The incident's events in time order: the burn, each tier firing and stopping, recovery.
fn timeline(
    tiers: &[TierRun],
    group: &[(usize, &Episode)],
    onset: i64,
    recovered: i64,
) -> Vec<(i64, String)> {
    let mut out = vec![(onset, "burn began".to_string())];
    for (i, e) in group {
        let tier = &tiers[*i];
        out.push((e.start, format!("{} {} fired", tier.severity, tier.windows)));
        out.push((
            e.end,
            format!("{} {} resolved", tier.severity, tier.windows),
        ));
    }
    out.push((
        recovered,
        "error ratio back under every threshold".to_string(),
    ));
    out.sort_by_key(|(t, _)| *t);
    out
}

/// The MTTR of `incidents`, overall and per class, against `target`.
pub(crate) fn mttr(incidents: &[Incident], target: Option<f64>) -> Mttr {
    let mean = |times: &[i64]| {
        (!times.is_empty()).then(|| times.iter().sum::<i64>() as f64 / times.len() as f64)
    };
    let all: Vec<i64> = incidents.iter().map(|i| i.time_to_recover).collect();
    let mut per_class: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for i in incidents {
        for class in &i.classes {
            per_class
                .entry(class.clone())
                .or_default()
                .push(i.time_to_recover);
        }
    }
    let seconds = mean(&all);
    Mttr {
        seconds,
        by_class: per_class
            .into_iter()
            .filter_map(|(class, times)| Some((class, mean(&times)?)))
            .collect(),
        target_seconds: target,
        over_target: matches!((seconds, target), (Some(s), Some(t)) if s > t),
    }
}

/// Each incident in a line, its timeline indented below it, then the MTTR.
pub(crate) fn render(out: &mut String, incidents: &[Incident], mttr: &Mttr) {
    use std::fmt::Write as _;
    for i in incidents {
        let _ = writeln!(out, "  {}", headline(i));
        for (t, what) in &i.timeline {
            let _ = writeln!(out, "    {} {what}", when(*t));
        }
    }
    if let Some(line) = mttr_line(incidents.len(), mttr) {
        let _ = writeln!(out, "  {line}");
    }
}

/// An incident in words: when it began, and how long to detect, page and recover.
pub(crate) fn headline(i: &Incident) -> String {
    let took = |secs: i64| humanize_secs(secs as f64);
    let page = i
        .time_to_page
        .map_or("no page".into(), |p| format!("paged after {}", took(p)));
    format!(
        "incident {}: detected after {}, {page}, recovered after {} ({})",
        when(i.onset),
        took(i.time_to_detect),
        took(i.time_to_recover),
        i.classes.join(", ")
    )
}

/// The MTTR over `n` incidents, per class and against the target (none without incidents).
pub(crate) fn mttr_line(n: usize, mttr: &Mttr) -> Option<String> {
    let seconds = mttr.seconds?;
    let by_class: Vec<String> = mttr
        .by_class
        .iter()
        .map(|(class, s)| format!("{class} {}", humanize_secs(*s)))
        .collect();
    let target = match mttr.target_seconds {
        Some(t) if mttr.over_target => format!(", over the {} target", humanize_secs(t)),
        Some(t) => format!(", within the {} target", humanize_secs(t)),
        None => String::new(),
    };
    Some(format!(
        "MTTR {} over {n} incident{} ({}){target}",
        humanize_secs(seconds),
        if n == 1 { "" } else { "s" },
        by_class.join("; ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn episode(start: i64, end: i64) -> Episode {
        Episode {
            start,
            end,
            budget_spent: None,
        }
    }

    fn run(severity: &str, windows: &str, episodes: Vec<Episode>) -> TierRun {
        TierRun {
            severity: severity.into(),
            windows: windows.into(),
            per_week: 0.0,
            episodes,
        }
    }

    #[test]
    fn overlapping_episodes_are_one_incident_measured_from_the_burn() {
        let spec = "apiVersion: slocc/v1\nservice: api\nrunbook_base_url: https://r.example.com\nslos:\n  - name: a\n    objective: 99.9\n    sli:\n      raw: {error_ratio: 'sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))'}\n";
        let mut sources = crate::diag::Sources::default();
        sources.add("a.yaml", spec);
        let checked = crate::model::check::check_sources(sources);
        let slo = checked.services[0].slos[0].clone();
        // A 10-minute outage at t=6000: the 5m ratio over the lowest threshold for 15 minutes.
        let tiers = vec![
            run("page", "1h/5m", vec![episode(6_060, 6_900)]),
            run("page", "6h/30m", vec![episode(6_180, 8_400)]),
            run(
                "ticket",
                "1d/2h",
                vec![episode(6_300, 13_800), episode(90_000, 91_000)],
            ),
            run("ticket", "3d/6h", vec![]),
        ];
        let burning: Vec<i64> = (6_000..6_900)
            .step_by(60)
            .chain((89_000..90_000).step_by(60))
            .collect();
        let found = incidents(&slo, &tiers, &burning);
        assert_eq!(found.len(), 2);
        let first = &found[0];
        assert_eq!(first.onset, 6_000);
        assert_eq!(
            (
                first.time_to_detect,
                first.time_to_page,
                first.time_to_recover
            ),
            (60, Some(60), 900)
        );
        assert_eq!(first.classes, ["page", "ticket"]);
        assert_eq!(first.timeline[0], (6_000, "burn began".to_string()));
        assert_eq!(first.timeline[1], (6_060, "page 1h/5m fired".to_string()));
        let second = &found[1];
        assert_eq!(
            (second.time_to_page, second.classes.as_slice()),
            (None, &["ticket".to_string()][..])
        );
        let mttr = mttr(&found, Some(900.0));
        assert_eq!(mttr.seconds, Some((900.0 + 1_020.0) / 2.0));
        assert_eq!(mttr.by_class["page"], 900.0);
        assert!(mttr.over_target);
    }
}
