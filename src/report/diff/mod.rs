//! `slocc diff`: what a spec change does to paging, in numbers, then the generated files' diff.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::model::{Service, Slo, Tier};
use crate::output::{unified_diff, Output};
use crate::vocab::duration::humanize_secs;
use crate::vocab::number::{format_decimal, format_human, format_human_f64, to_f64};

mod render;

pub(crate) use render::{render_human, render_markdown, MARKDOWN_MAX_BYTES};

/// The whole change report.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub(crate) struct Report {
    /// Per-SLO changes, by service then SLO.
    pub(crate) slos: Vec<SloChange>,
    /// Unified diffs of generated files that differ.
    pub(crate) files: Vec<FileDiff>,
}

impl Report {
    /// Whether anything changed.
    pub(crate) fn has_changes(&self) -> bool {
        !self.slos.is_empty() || !self.files.is_empty()
    }
}

/// One generated file's diff.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct FileDiff {
    /// File name in the output directory.
    pub(crate) path: String,
    /// Unified diff.
    pub(crate) diff: String,
}

/// What happened to one SLO.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct SloChange {
    /// Service name.
    pub(crate) service: String,
    /// SLO name (the new one when renamed).
    pub(crate) slo: String,
    /// `added`, `removed`, `renamed` or `changed`.
    pub(crate) kind: ChangeKind,
    /// The old name, when renamed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) renamed_from: Option<String>,
    /// The individual changes, in words and numbers.
    pub(crate) details: Vec<Detail>,
}

/// Kind of SLO change.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ChangeKind {
    /// New SLO.
    Added,
    /// SLO gone.
    Removed,
    /// Same SLI, new name.
    Renamed,
    /// Same name, something differs.
    Changed,
}

/// One change, with old and new values where they apply.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Detail {
    /// What changed: `objective`, `window`, `sli`, `alert-name`, `tier-added`, `tier-removed`,
    /// `tier`, `routing`, `label`, `annotation`, `summary`.
    pub(crate) what: String,
    /// The change in one line.
    pub(crate) text: String,
    /// Old value, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) old: Option<String>,
    /// New value, when it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) new: Option<String>,
}

fn detail(what: &str, text: String, old: Option<String>, new: Option<String>) -> Detail {
    Detail {
        what: what.to_string(),
        text,
        old,
        new,
    }
}

fn slo_summary(slo: &Slo) -> String {
    let pages = slo
        .tiers
        .iter()
        .filter(|t| t.severity.as_str() == "page")
        .count();
    format!(
        "{}% over {}, allowed full outage {}, {} page and {} ticket tier{}, alert `{}`",
        format_decimal(slo.objective_percent),
        slo.window,
        humanize_secs(slo.full_outage_budget_secs()),
        pages,
        slo.tiers.len() - pages,
        if slo.tiers.len() == 1 { "" } else { "s" },
        slo.alert_name
    )
}

fn tier_key(t: &Tier) -> String {
    format!("{} {}/{}", t.severity.as_str(), t.long, t.short)
}

fn tier_numbers(t: &Tier, slo: &Slo) -> String {
    format!(
        "factor {}x, threshold {}, full outage fires in {}, {} of budget spent when it fires",
        format_human(t.factor),
        format_human(t.threshold),
        humanize_secs(t.time_to_fire_secs(1.0).unwrap_or(f64::INFINITY)),
        percent(t.budget_spent_at_fire(slo.window))
    )
}

/// `a -> b`, or just `a` when nothing changed.
fn arrow(old: String, new: String) -> String {
    if old == new {
        old
    } else {
        format!("{old} -> {new}")
    }
}

fn percent(share: f64) -> String {
    format!("{}%", format_human_f64(share * 100.0))
}

/// Final labels of each tier's alert, keyed by tier (its `severity`, the class, is compared with
/// the rest of its routing).
fn alert_labels(service: &Service, slo: &Slo) -> BTreeMap<String, BTreeMap<String, String>> {
    slo.tiers
        .iter()
        .map(|t| {
            let mut labels = service.labels.clone();
            labels.extend(slo.labels.clone());
            labels.extend(slo.alert_labels.clone());
            labels.extend(t.labels.clone());
            (tier_key(t), labels)
        })
        .collect()
}

fn compare_maps(
    what: &str,
    old: &BTreeMap<String, String>,
    new: &BTreeMap<String, String>,
    scope: &str,
    out: &mut Vec<Detail>,
) {
    let keys: std::collections::BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    for key in keys {
        let (a, b) = (old.get(key), new.get(key));
        if a == b {
            continue;
        }
        let show = |v: Option<&String>| v.map_or("(unset)".to_string(), |v| format!("`{v}`"));
        out.push(detail(
            what,
            format!("{what} `{key}`{scope}: {} -> {}", show(a), show(b)),
            a.cloned(),
            b.cloned(),
        ));
    }
}

/// Objective and window changes, each with the change of allowed full outage it causes: the
/// objective's at the old window, then the window's at the new objective, so that a budget
/// change is printed once and the two steps add up to the whole change.
fn budget_changes(old: &Slo, new: &Slo) -> Vec<Detail> {
    let mut out = Vec::new();
    let mut budget = old.full_outage_budget_secs();
    if old.objective_percent != new.objective_percent {
        let after = to_f64(new.budget()) * old.window.as_secs_f64();
        out.push(detail(
            "objective",
            format!(
                "objective {}% -> {}% (allowed full outage {} -> {})",
                format_decimal(old.objective_percent),
                format_decimal(new.objective_percent),
                humanize_secs(budget),
                humanize_secs(after)
            ),
            Some(format_decimal(old.objective_percent)),
            Some(format_decimal(new.objective_percent)),
        ));
        budget = after;
    }
    if old.window != new.window {
        out.push(detail(
            "window",
            format!(
                "window {} -> {} (allowed full outage {} -> {})",
                old.window,
                new.window,
                humanize_secs(budget),
                humanize_secs(new.full_outage_budget_secs())
            ),
            Some(old.window.to_string()),
            Some(new.window.to_string()),
        ));
    }
    out
}

/// Tiers removed, changed (numbers or `for:`) and added, by severity and windows.
fn tier_changes(old: &Slo, new: &Slo) -> Vec<Detail> {
    let mut out = Vec::new();
    let old_tiers: BTreeMap<String, &Tier> = old.tiers.iter().map(|t| (tier_key(t), t)).collect();
    let new_tiers: BTreeMap<String, &Tier> = new.tiers.iter().map(|t| (tier_key(t), t)).collect();
    for (key, t) in &old_tiers {
        match new_tiers.get(key) {
            None => out.push(detail(
                "tier-removed",
                format!("{key} alert removed (was {})", tier_numbers(t, old)),
                None,
                None,
            )),
            Some(n)
                if t.factor != n.factor
                    || t.threshold != n.threshold
                    || old.window != new.window =>
            {
                out.push(tier_numbers_change(key, (t, old), (n, new)));
            }
            Some(n) if t.for_duration != n.for_duration => {
                let show = |d: Option<crate::vocab::duration::Duration>| {
                    d.map_or("none".into(), |d| d.to_string())
                };
                out.push(detail(
                    "tier",
                    format!(
                        "{key}: for {} -> {}",
                        show(t.for_duration),
                        show(n.for_duration)
                    ),
                    Some(show(t.for_duration)),
                    Some(show(n.for_duration)),
                ));
            }
            Some(_) => {}
        }
    }
    for (key, t) in &new_tiers {
        if !old_tiers.contains_key(key) {
            out.push(detail(
                "tier-added",
                format!("{key} alert added: {}", tier_numbers(t, new)),
                None,
                None,
            ));
        }
    }
    out
}

/// Where a tier's alert goes: its class, whether that wakes someone, the receiver (the service's
/// own for the class, or the class's), the promised response and the repeat interval.
fn routing(t: &Tier) -> [(&'static str, String); 5] {
    let class = &t.class;
    let receiver = class.delivered_to();
    [
        ("class", format!("`{}`", class.name)),
        (
            "",
            if class.page { "pages" } else { "does not page" }.into(),
        ),
        ("receiver", format!("`{receiver}`")),
        ("response", format!("`{}`", class.response)),
        ("repeat", class.repeat_interval.to_string()),
    ]
}

/// Tiers whose alerts go elsewhere: another class, receiver, response or repeat interval, with
/// who was notified before and after (a review sees who gets paged, not only the numbers).
fn routing_changes(old: &Slo, new: &Slo) -> Vec<Detail> {
    let mut out = Vec::new();
    for t in &old.tiers {
        let key = tier_key(t);
        let Some(n) = new.tiers.iter().find(|n| tier_key(n) == key) else {
            continue;
        };
        let (before, after) = (routing(t), routing(n));
        let changed: Vec<String> = before
            .iter()
            .zip(&after)
            .filter(|(a, b)| a.1 != b.1)
            .map(|((what, a), (_, b))| {
                format!("{what}{}{a} -> {b}", if what.is_empty() { "" } else { " " })
            })
            .collect();
        if changed.is_empty() {
            continue;
        }
        out.push(detail(
            "routing",
            format!("{key}: {}", changed.join(", ")),
            Some(before[2].1.trim_matches('`').to_string()),
            Some(after[2].1.trim_matches('`').to_string()),
        ));
    }
    out
}

/// One tier whose numbers change: factor, threshold, time to fire, budget spent, old -> new.
fn tier_numbers_change(key: &str, (t, old): (&Tier, &Slo), (n, new): (&Tier, &Slo)) -> Detail {
    let ttf = |t: &Tier| humanize_secs(t.time_to_fire_secs(1.0).unwrap_or(f64::INFINITY));
    detail(
        "tier",
        format!(
            "{key}: factor {}, threshold {}, full outage fires in {}, budget spent when it fires {}",
            arrow(
                format!("{}x", format_human(t.factor)),
                format!("{}x", format_human(n.factor))
            ),
            arrow(format_human(t.threshold), format_human(n.threshold)),
            arrow(ttf(t), ttf(n)),
            arrow(
                percent(t.budget_spent_at_fire(old.window)),
                percent(n.budget_spent_at_fire(new.window))
            )
        ),
        Some(format_decimal(t.threshold)),
        Some(format_decimal(n.threshold)),
    )
}

fn compare_slo(old_service: &Service, old: &Slo, new_service: &Service, new: &Slo) -> Vec<Detail> {
    let mut out = Vec::new();
    out.extend(budget_changes(old, new));
    if old.sli != new.sli {
        out.push(detail("sli", "SLI queries changed".to_string(), None, None));
    }
    if old.alert_name != new.alert_name {
        out.push(detail(
            "alert-name",
            format!("alert name `{}` -> `{}`", old.alert_name, new.alert_name),
            Some(old.alert_name.clone()),
            Some(new.alert_name.clone()),
        ));
    }
    out.extend(tier_changes(old, new));
    out.extend(routing_changes(old, new));
    let (old_labels, new_labels) = (
        alert_labels(old_service, old),
        alert_labels(new_service, new),
    );
    for (key, labels) in &new_labels {
        if let Some(before) = old_labels.get(key) {
            compare_maps(
                "label",
                before,
                labels,
                &format!(" on the {key} alert"),
                &mut out,
            );
        }
    }
    compare_maps(
        "annotation",
        &old.alert_annotations,
        &new.alert_annotations,
        "",
        &mut out,
    );
    out
}

/// Compares two compiled sides.
pub(crate) fn compare(
    old: &[Service],
    new: &[Service],
    cx: &crate::emit::Context,
    complete: bool,
) -> Result<Report, crate::pipeline::Error> {
    Ok(Report {
        slos: slo_changes(old, new),
        files: streamed_file_diffs(old, new, cx, complete)?,
    })
}

/// The generated files' diffs, service by service: each service's files on both sides are
/// built, compared and dropped on whichever core is free, so memory holds a few services'
/// outputs and the diffs, never a fleet's outputs; then the run-wide files (`complete`). A
/// service validated the same on both sides has the same files (outputs are a function of
/// the service and the run), so it is not built at all: a one-line change to a fleet builds
/// one service.
fn streamed_file_diffs<'a>(
    old: &'a [Service],
    new: &'a [Service],
    cx: &crate::emit::Context,
    complete: bool,
) -> Result<Vec<FileDiff>, crate::pipeline::Error> {
    use rayon::prelude::*;
    let by_name = |services: &'a [Service]| -> BTreeMap<&'a str, &'a Service> {
        services.iter().map(|s| (s.name.as_str(), s)).collect()
    };
    let (a, b) = (by_name(old), by_name(new));
    let names: std::collections::BTreeSet<&str> = a.keys().chain(b.keys()).copied().collect();
    let side = |services: &BTreeMap<&str, &Service>, name: &str| {
        let one = services
            .get(name)
            .map_or(&[][..], |s| std::slice::from_ref(*s));
        crate::pipeline::build(one, cx, false)
    };
    let per_service: Vec<Result<Vec<FileDiff>, crate::pipeline::Error>> = names
        .par_iter()
        .filter(|name| a.get(*name) != b.get(*name))
        .map(|name| Ok(file_diffs(&side(&a, name)?, &side(&b, name)?)))
        .collect();
    let mut files = Vec::new();
    for diffs in per_service {
        files.extend(diffs?);
    }
    if complete {
        let (a, b) = (
            crate::pipeline::build_run(old, cx)?,
            crate::pipeline::build_run(new, cx)?,
        );
        files.extend(file_diffs(&a, &b));
    }
    files.sort_by(|x, y| x.path.cmp(&y.path));
    Ok(files)
}

/// What happens to each SLO, service by service.
pub(crate) fn slo_changes<'s>(old: &'s [Service], new: &'s [Service]) -> Vec<SloChange> {
    // By name, so a fleet is matched in n log n, not by a scan per service.
    let by_name = |services: &[Service]| -> BTreeMap<String, usize> {
        services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.clone(), i))
            .collect()
    };
    let (in_old, in_new) = (by_name(old), by_name(new));
    let mut names: Vec<&String> = in_old.keys().chain(in_new.keys()).collect();
    names.sort();
    names.dedup();
    let empty = |name: &str| Service {
        name: name.to_string(),
        owner: None,
        escalation: None,
        runbook_base_url: None,
        repository_url: None,
        grafana_url: None,
        labels: BTreeMap::new(),
        runbook: (Vec::new(), Vec::new()),
        compat: None,
        deliveries: Default::default(),
        slos: Vec::new(),
        source: String::new(),
    };
    let mut slos = Vec::new();
    for name in names {
        let side = |services: &'s [Service], index: &BTreeMap<String, usize>| {
            index.get(name).map_or_else(
                || std::borrow::Cow::Owned(empty(name)),
                |&i| std::borrow::Cow::Borrowed(&services[i]),
            )
        };
        let (a, b) = (side(old, &in_old), side(new, &in_new));
        slos.extend(compare_service(&a, &b));
    }
    slos.sort_by(|x, y| (&x.service, &x.slo).cmp(&(&y.service, &y.slo)));
    slos
}

/// What happens to each SLO of one service: changed, renamed (the same SLI under a new name),
/// added or removed.
fn compare_service(a: &Service, b: &Service) -> Vec<SloChange> {
    let (removed, added, renames) = match_slos(a, b);
    let change = |slo: &str, kind, renamed_from: Option<String>, details| SloChange {
        service: b.name.clone(),
        slo: slo.to_string(),
        kind,
        renamed_from,
        details,
    };
    let mut out = Vec::new();
    for slo in &b.slos {
        if let Some(before) = a.slos.iter().find(|o| o.name == slo.name) {
            let details = compare_slo(a, before, b, slo);
            if !details.is_empty() {
                out.push(change(&slo.name, ChangeKind::Changed, None, details));
            }
        }
    }
    for (from, to) in renames {
        let mut details = vec![detail(
            "summary",
            format!(
                "renamed from `{}`: its series and alerts get new labels",
                from.name
            ),
            Some(from.name.clone()),
            Some(to.name.clone()),
        )];
        details.push(rename_runbook(&b.name, from, to));
        details.extend(compare_slo(a, from, b, to));
        out.push(change(
            &to.name,
            ChangeKind::Renamed,
            Some(from.name.clone()),
            details,
        ));
    }
    for slo in added {
        let details = vec![detail("summary", slo_summary(slo), None, None)];
        out.push(change(&slo.name, ChangeKind::Added, None, details));
    }
    for slo in removed {
        let details = vec![
            detail("summary", format!("was {}", slo_summary(slo)), None, None),
            detail(
                "runbook",
                format!("its runbook `{}/{}.md` is left with no SLO (orphaned): delete it, or name `{}` in its successor's `previous_names`", b.name, slo.name, slo.name),
                None,
                None,
            ),
        ];
        out.push(change(&slo.name, ChangeKind::Removed, None, details));
    }
    out
}

/// What a rename does to the SLO's runbook: carried over when the new SLO names the old one in
/// `previous_names`, otherwise left behind while the alert links a new scaffold.
fn rename_runbook(service: &str, from: &Slo, to: &Slo) -> Detail {
    let old = format!("`{service}/{}.md`", from.name);
    let text = if to.previous_names.contains(&from.name) {
        format!("its runbook carries over from {old} (`previous_names`)")
    } else {
        format!("its runbook {old} is left behind (orphaned) and the alert links a new scaffold: add `previous_names: [{}]`", from.name)
    };
    detail("runbook", text, None, None)
}

/// Removed SLOs, added SLOs, and renamed ones (old, new).
type Matched<'s> = (Vec<&'s Slo>, Vec<&'s Slo>, Vec<(&'s Slo, &'s Slo)>);

/// SLOs of `a` only (removed), of `b` only (added), and pairs with the same SLI under a new
/// name (renamed), which are neither.
fn match_slos<'s>(a: &'s Service, b: &'s Service) -> Matched<'s> {
    let mut removed: Vec<&Slo> = a
        .slos
        .iter()
        .filter(|s| !b.slos.iter().any(|n| n.name == s.name))
        .collect();
    let mut added: Vec<&Slo> = b
        .slos
        .iter()
        .filter(|s| !a.slos.iter().any(|o| o.name == s.name))
        .collect();
    let mut renames = Vec::new();
    // The same SLI under a new name, or an SLO that names the old one in `previous_names`.
    let successor = |r: &Slo, n: &Slo| n.previous_names.contains(&r.name) || n.sli == r.sli;
    removed.retain(|r| match added.iter().position(|n| successor(r, n)) {
        Some(i) => {
            renames.push((*r, added.remove(i)));
            false
        }
        None => true,
    });
    (removed, added, renames)
}

/// Unified diffs of the generated files that differ, by path.
fn file_diffs(old_files: &Output, new_files: &Output) -> Vec<FileDiff> {
    let mut paths: Vec<&String> = old_files
        .files()
        .keys()
        .chain(new_files.files().keys())
        .collect();
    paths.sort();
    paths.dedup();
    paths
        .into_iter()
        .filter_map(|path| {
            let a = old_files.files().get(path).map_or("", String::as_str);
            let b = new_files.files().get(path).map_or("", String::as_str);
            let diff = unified_diff(a, b, &format!("a/{path}"), &format!("b/{path}"));
            (!diff.is_empty()).then(|| FileDiff {
                path: path.clone(),
                diff,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
