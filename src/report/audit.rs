//! `slocc audit`: the readiness review an on-call team does before a service goes live, per
//! service and SLO: what is missing (an SLO, a paging tier, a runbook, an owner, an escalation
//! path, absolute links, a mitigation) and what would make alerts useless (dead tiers, low
//! traffic, a page that comes too late in a full outage).

use std::fmt::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::emit::runbook::{Orphan, RunbookPlan};
use crate::emit::runbook::{Runbook, Update};
use crate::emit::templates::Templates;
use crate::emit::Error;
use crate::model::{Service, Sli, Slo};
use crate::vocab::duration::{humanize_secs, Duration};
use crate::vocab::number::format_human_f64;
use crate::vocab::path::display;

/// One gap.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub(crate) struct Finding {
    /// The service.
    pub(crate) service: String,
    /// The SLO, for gaps of one SLO.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) slo: Option<String>,
    /// Stable kebab-case code.
    pub(crate) code: &'static str,
    /// What is missing, in words.
    pub(crate) message: String,
}

fn finding(service: &Service, slo: Option<&Slo>, code: &'static str, message: String) -> Finding {
    Finding {
        service: service.name.clone(),
        slo: slo.map(|s| s.name.clone()),
        code,
        message,
    }
}

/// Whether the SLI reads request metrics: a service that serves requests wants a latency SLO.
fn serves_requests(slo: &Slo) -> bool {
    let text = match &slo.sli {
        Sli::Ratio { total, .. } => total.as_str(),
        Sli::Latency { .. } => return true,
        Sli::Raw { error_ratio } => error_ratio.as_str(),
        Sli::Threshold { query, .. } => query.as_str(),
        Sli::Freshness { .. } => return false,
    };
    ["http_", "grpc_", "request"]
        .iter()
        .any(|w| text.contains(w))
}

/// Whether the SLI judges latency: a latency SLI, a ratio of histogram buckets (good events
/// `le` a bound, as Pyrra's latency imports and hand-written ratios read), or a threshold on a
/// quantile.
fn measures_latency(slo: &Slo) -> bool {
    match &slo.sli {
        Sli::Latency { .. } => true,
        Sli::Ratio { events, total } => {
            let (crate::model::EventQuery::Errors(q) | crate::model::EventQuery::Good(q)) = events;
            [q, total]
                .iter()
                .any(|q| q.contains("_bucket") && q.contains("le="))
        }
        Sli::Threshold { query, .. } => query.contains("histogram_quantile"),
        Sli::Raw { .. } | Sli::Freshness { .. } => false,
    }
}

fn service_gaps(service: &Service) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut gap = |code, message: &str| out.push(finding(service, None, code, message.into()));
    let latency = |s: &Slo| measures_latency(s);
    if service.slos.iter().all(latency) {
        gap(
            "no-availability-slo",
            "no availability SLO: every SLO measures latency, none counts failed events",
        );
    }
    if !service.slos.iter().any(latency) && service.slos.iter().any(serves_requests) {
        gap(
            "no-latency-slo",
            "serves requests but has no latency SLO: slow responses never alert",
        );
    }
    if service.owner.is_none() {
        gap(
            "no-owner",
            "no `owner`: nobody is named as responsible in alerts and runbooks",
        );
    }
    if service.escalation.is_none() {
        gap(
            "no-escalation",
            "no `escalation`: the runbook does not say whom the on-call engineer calls next",
        );
    }
    if service.runbook_base_url.is_none() && service.repository_url.is_none() {
        gap("relative-runbook-link", "`runbook_url` is a relative path, which does not open from a pager or chat notification: set `runbook_base_url` (spec or settings)");
    }
    if service.grafana_url.is_none() {
        gap("relative-dashboard-link", "dashboard links in runbooks are relative (`/d/...`): set `grafana_url` in the settings");
    }
    if let Some(gap) = no_delivery(service) {
        out.push(finding(service, None, "no-delivery", gap));
    }
    out
}

/// The receivers of a service's alerts when the settings declare no integrations: the
/// generated Alertmanager configuration then delivers nowhere unless merged into another.
fn no_delivery(service: &Service) -> Option<String> {
    if !service.deliveries.is_empty() {
        return None;
    }
    let mut receivers: Vec<&str> = service
        .slos
        .iter()
        .flat_map(|s| s.tiers.iter().map(|t| t.class.delivered_to()))
        .collect();
    receivers.sort_unstable();
    receivers.dedup();
    (!receivers.is_empty()).then(|| {
        let mut names: Vec<String> = receivers.iter().map(|r| format!("`{r}`")).collect();
        let last = names.pop().unwrap_or_default();
        let names = match names.is_empty() {
            true => last,
            false => format!("{} and {last}", names.join(", ")),
        };
        format!("no receiver has an integration in the settings: its alerts go to {names} in a generated `alertmanager.yml` that notifies no one as written; declare them under `receivers` (docs/settings.md), or merge `routes.yml` into a configuration where they deliver")
    })
}

fn slo_gaps(service: &Service, slo: &Slo, max_page_delay: Duration) -> Vec<Finding> {
    let mut out = Vec::new();
    if !slo.tiers.iter().any(|t| t.class.page) {
        out.push(finding(
            service,
            Some(slo),
            "no-paging-tier",
            "no tier pages: a fast burn waits for working hours".into(),
        ));
    }
    for dead in &slo.dead_tiers {
        out.push(finding(
            service,
            Some(slo),
            "dead-tier",
            format!(
                "the {dead} tier can never fire at objective {}% and was left out",
                slo.objective_percent
            ),
        ));
    }
    if let Some(gap) = low_traffic(slo) {
        out.push(finding(service, Some(slo), "low-traffic", gap));
    }
    if let Some(gap) = slow_page(slo, max_page_delay) {
        out.push(finding(service, Some(slo), "slow-page", gap));
    }
    out
}

/// Whether a full outage pages later than `bound`: the first paging tier to fire at an error
/// ratio of 1 (its long window crossing, the workbook's formula, plus its `for:`).
fn slow_page(slo: &Slo, bound: Duration) -> Option<String> {
    let (secs, tier) = slo
        .tiers
        .iter()
        .filter(|t| t.class.page)
        .filter_map(|t| {
            let hold = t.for_duration.map_or(0.0, Duration::as_secs_f64);
            Some((t.time_to_fire_secs(1.0)? + hold, t))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    (secs > bound.as_secs_f64()).then(|| {
        format!(
            "a full outage pages after {} (the {} {}/{} tier at objective {}%), over the {bound} bound (`--max-page-delay`): add a faster paging tier or reconsider the objective",
            humanize_secs(secs),
            tier.class.name,
            tier.long,
            tier.short,
            slo.objective_percent,
        )
    })
}

/// Whether one bad event pages: at the expected traffic, one failure in the fastest paging
/// tier's long window is an error ratio above its threshold, and no guard asks for more.
fn low_traffic(slo: &Slo) -> Option<String> {
    let rate = slo.expected_traffic?;
    if slo.min_events.is_some_and(|n| n > 1) {
        return None;
    }
    let tier = slo
        .tiers
        .iter()
        .filter(|t| t.class.page)
        .min_by_key(|t| t.long)?;
    let events = rate * tier.long.as_secs_f64();
    let one_failure = 1.0 / events.max(1.0);
    let threshold = crate::vocab::number::to_f64(tier.threshold);
    (one_failure > threshold).then(|| {
        format!(
            "at the expected traffic ({} events in {}), one failure is an error ratio of {}, above the {} {}/{} threshold {}: a single failed request pages; set `alerting.min_events`",
            format_human_f64(events),
            tier.long,
            format_human_f64(one_failure),
            tier.class.name,
            tier.long,
            tier.short,
            format_human_f64(threshold),
        )
    })
}

/// The runbook gap of one SLO, from its plan: missing, stale, damaged, or still the scaffold.
fn runbook_gap(
    service: &Service,
    slo: &Slo,
    plan: &RunbookPlan,
    dir: &Path,
    templates: &Templates,
) -> Result<Option<Finding>, Error> {
    let shown = display(&dir.join(&plan.path));
    let gap = |code, message: String| Ok(Some(finding(service, Some(slo), code, message)));
    match &plan.update {
        Update::Create(_) => match &plan.carried_from {
            Some(old) => gap(
                "runbook-missing",
                format!("no runbook at {shown} yet: `slocc compile` carries over {}, the runbook of its previous name", display(&dir.join(old))),
            ),
            None => gap(
                "runbook-missing",
                format!("no runbook at {shown}: run `slocc compile`"),
            ),
        },
        Update::Refresh(_) => gap(
            "runbook-stale",
            format!("{shown} is out of date with the spec: run `slocc compile`"),
        ),
        Update::Markers(problem) => gap("runbook-markers", format!("{shown}: {problem}")),
        Update::UpToDate => {
            let text =
                std::fs::read_to_string(dir.join(&plan.path)).map_err(|source| Error::Io {
                    path: shown.clone(),
                    source,
                })?;
            let scaffold = scaffold(service, slo, templates)?;
            let human = crate::emit::runbook::human_part;
            if human(&text) == human(&scaffold) {
                return gap("runbook-unfilled", format!("{shown} is still the scaffold: nobody has written its mitigation, escalation or notes"));
            }
            // A template override without the section leaves nothing to compare.
            let written = mitigation(&scaffold).is_none_or(|s| mitigation(&text) != Some(s));
            if service.runbook.1.is_empty() && slo.runbook.1.is_empty() && !written {
                return gap("no-mitigation", format!("{shown} says nothing of how to mitigate: the spec has no `runbook.mitigation` steps (for the service or the SLO) and its Mitigation section is still the scaffold's (or gone)"));
            }
            Ok(None)
        }
    }
}

/// The `## Mitigation` section of a runbook's human part (after the generated region), to the
/// next heading.
fn mitigation(text: &str) -> Option<&str> {
    let (_, after) = crate::emit::runbook::human_part(text)?;
    let start = after.find("\n## Mitigation\n")? + 1;
    let rest = &after[start..];
    let end = rest[1..].find("\n## ").map_or(rest.len(), |i| i + 2);
    Some(rest[..end].trim_end())
}

/// The runbook `slocc compile` would scaffold for `slo` today.
fn scaffold(service: &Service, slo: &Slo, templates: &Templates) -> Result<String, Error> {
    let links = crate::emit::links::of(service);
    let runbook = Runbook::new(service, slo, &links);
    let region = runbook.region(templates)?;
    let marked = format!(
        "{}\n{region}{}",
        crate::emit::runbook::BEGIN,
        crate::emit::runbook::END
    );
    Ok(runbook.scaffold(templates, &marked)?)
}

/// The runbooks directory, each selected SLO's runbook plan in order, and the orphaned runbooks
/// of the selected services.
pub(crate) type Runbooks<'a> = (&'a Path, &'a [RunbookPlan], &'a [(String, Orphan)]);

/// Every gap of `services`; with a runbooks directory, the runbook gaps of each SLO too
/// (`plans` from `pipeline::plan_runbooks`, in service and SLO order) and its orphans.
pub(crate) fn audit(
    services: &[Service],
    runbooks: Option<Runbooks<'_>>,
    templates: &Templates,
    max_page_delay: Duration,
) -> Result<Vec<Finding>, Error> {
    let mut plans = runbooks.map(|(dir, plans, _)| (dir, plans.iter()));
    let mut out = Vec::new();
    for service in services {
        out.extend(service_gaps(service));
        for slo in &service.slos {
            out.extend(slo_gaps(service, slo, max_page_delay));
            if let Some((dir, plan)) = plans.as_mut().and_then(|(d, p)| Some((*d, p.next()?))) {
                out.extend(runbook_gap(service, slo, plan, dir, templates)?);
            }
        }
        if let Some((dir, _, orphans)) = runbooks {
            let own = orphans.iter().filter(|(s, _)| *s == service.name);
            out.extend(own.map(|(_, o)| orphan_gap(service, o, dir)));
        }
    }
    Ok(out)
}

/// A runbook of the service that no SLO has any more: filled-in knowledge nothing links.
fn orphan_gap(service: &Service, orphan: &Orphan, dir: &Path) -> Finding {
    let shown = display(&dir.join(&orphan.path));
    let message = match &orphan.renamed_to {
        Some(new) => format!("{shown} is the runbook of a previous name, carried into {}: delete it", display(&dir.join(new))),
        None => format!("{shown} belongs to no SLO (renamed or removed), so no alert links it: name the old SLO in its successor's `previous_names`, or delete it"),
    };
    finding(service, None, "orphaned-runbook", message)
}

/// People's form: gaps grouped by service, then a count.
pub(crate) fn render_human(findings: &[Finding], services: usize) -> String {
    let mut out = String::new();
    let mut current = None;
    for f in findings {
        if current != Some(&f.service) {
            let _ = writeln!(out, "{}", f.service);
            current = Some(&f.service);
        }
        let slo = f.slo.as_ref().map_or(String::new(), |s| format!("{s}: "));
        let _ = writeln!(out, "  {slo}{}: {}", f.code, f.message);
    }
    let _ = writeln!(
        out,
        "{} gap{} in {services} service{}",
        findings.len(),
        if findings.len() == 1 { "" } else { "s" },
        if services == 1 { "" } else { "s" },
    );
    out
}

/// A Markdown table, for a pull-request comment or a wiki page.
pub(crate) fn render_markdown(findings: &[Finding]) -> String {
    let mut out = String::from("| Service | SLO | Gap | What is missing |\n|---|---|---|---|\n");
    let cell = crate::emit::runbook::markdown;
    for f in findings {
        let _ = writeln!(
            out,
            "| {} | {} | `{}` | {} |",
            cell(&f.service),
            f.slo.as_deref().map_or(String::new(), cell),
            f.code,
            cell(&f.message)
        );
    }
    out
}

/// One JSON object per line.
pub(crate) fn render_json(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|f| serde_json::to_string(f).expect("findings are plain data") + "\n")
        .collect()
}
