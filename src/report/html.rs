//! `slocc report`: one self-contained HTML page (inline CSS, SVG and one inline script for the
//! filters; a Content-Security-Policy lets the page fetch nothing): the SLO table riskiest
//! first, each SLO's tiers and charts folded under it, and, from a running Prometheus, the
//! budget left, burn-down and burn-rate charts with thresholds and alert episodes, and the
//! backtest when asked.

use std::fmt::Write as _;

use serde::Serialize;

use crate::emit::templates::{Data, Error, Templates, REPORT_PAGE};
use crate::live::backtest::{when, SloRun};
use crate::live::status::{duration, percent, SloStatus};
use crate::model::{Service, Slo};
use crate::report::chart::{Band, Chart, Threshold, XAxis};
use crate::vocab::duration::humanize_secs;
use crate::vocab::number::{format_decimal, format_human, format_human_f64, to_f64};

/// Text made safe for HTML content and attribute values.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// What one SLO's section shows.
pub(crate) struct Section<'a> {
    pub(crate) service: &'a Service,
    pub(crate) slo: &'a Slo,
    /// Live status, with `--prometheus`.
    pub(crate) status: Option<SloStatus>,
    /// Budget left over time (seconds since the epoch, share), with `--prometheus`.
    pub(crate) burn_down: Vec<(f64, f64)>,
    /// Burn rate over the fastest tier's long window over the last week, with `--prometheus`.
    pub(crate) burn_rates: Vec<(f64, f64)>,
    /// The backtest, when asked.
    pub(crate) backtest: Option<SloRun>,
}

/// From the specs alone: each tier's time to fire against the burn rate (log scale).
fn time_to_fire_chart(slo: &Slo) -> Chart {
    let budget = to_f64(slo.budget());
    let series: Vec<(String, Vec<(f64, f64)>)> = slo
        .tiers
        .iter()
        .map(|t| {
            let points = (0..=40)
                .map(|i| 10f64.powf(3.0 * f64::from(i) / 40.0))
                .filter_map(|burn| {
                    t.time_to_fire_secs((burn * budget).min(1.0))
                        .map(|s| (burn, s / 3_600.0))
                })
                .collect();
            (format!("{} {}/{}", t.class.name, t.long, t.short), points)
        })
        .collect();
    Chart {
        title: format!("{}: hours until each tier fires, by burn rate", slo.name),
        x: XAxis::Log,
        x_label: "burn rate (log scale, 1x to 1000x)".into(),
        y_label: "hours".into(),
        y_floor: (0.0, 1.0),
        series,
        thresholds: Vec::new(),
        bands: Vec::new(),
        empty: "no tier can fire".into(),
    }
}

/// What the page template (`targets/report/page.html.hbs`) sees: every text HTML-escaped.
#[derive(Serialize)]
struct Page {
    /// Whether Prometheus was asked (the summary's live columns).
    live: bool,
    /// How many SLOs, and the services to filter by.
    count: usize,
    services: Vec<String>,
    /// The filter script, and its hash for the page's Content-Security-Policy.
    script: &'static str,
    script_hash: String,
    /// The summary table's rows, riskiest first: those that need a look (or, without
    /// Prometheus, every SLO)...
    summary: Vec<Summary>,
    /// ...and, folded under one line, the SLOs Prometheus says are fine.
    quiet: Vec<Summary>,
    quiet_count: usize,
    /// The sections of the SLOs in `summary`, in spec order, open when they need a look...
    slos: Vec<SloView>,
    /// ...and those of the fine ones, folded together.
    quiet_slos: Vec<SloView>,
}

/// One row of the summary table.
#[derive(Serialize)]
struct Summary {
    id: String,
    /// What the filter matches: service, name and labels (`key=value`), lowercase.
    search: String,
    service: String,
    name: String,
    objective_percent: String,
    window: String,
    full_outage_budget: String,
    /// Budget left now, with `--prometheus`.
    left: Option<Left>,
    /// Why nothing is known now (`no data`, `stale`, `partial`, `error`), with `--prometheus`.
    unknown: Option<String>,
    sli: String,
    /// The burn over the fastest tier's long window.
    burn: String,
    firing: String,
    exhausted_in: String,
}

#[derive(Serialize)]
struct SloView {
    id: String,
    search: String,
    /// Open when the SLO needs a look (unknown, spent, burning or firing); folded otherwise.
    open: bool,
    /// Why nothing can be judged now (`no data`, `stale`, ...) and what Prometheus said.
    mark: Option<Mark>,
    service: String,
    name: String,
    description: Option<String>,
    objective_percent: String,
    window: String,
    full_outage_budget: String,
    /// The SLO now, with `--prometheus`.
    now: Option<Now>,
    tiers: Vec<TierRow>,
    /// SVG figures.
    charts: Vec<String>,
    /// The backtest's rows, when asked.
    backtest: Option<Vec<BacktestRow>>,
    /// The backtest's incidents in words, then its MTTR (escaped).
    incidents: Vec<String>,
}

#[derive(Serialize)]
struct Mark {
    state: &'static str,
    /// The state as a CSS class (`no-data`).
    class: String,
    problem: String,
}

#[derive(Serialize)]
struct Left {
    /// `ok`, `warn` (under a quarter left, burning over 1x, or firing) or `bad` (spent).
    class: &'static str,
    percent: String,
}

#[derive(Serialize)]
struct Now {
    sli: String,
    budget_left: String,
    exhausted_in: String,
    firing: String,
}

#[derive(Serialize)]
struct TierRow {
    severity: String,
    long: String,
    short: String,
    factor: String,
    threshold: String,
    fires_in: String,
    response: String,
}

#[derive(Serialize)]
struct BacktestRow {
    tier: String,
    episodes: usize,
    per_week: String,
    when: String,
}

/// What the filter box matches for an SLO: `service/name key=value ...`, lowercase.
fn search(s: &Section<'_>) -> String {
    let mut text = format!("{}/{}", s.service.name, s.slo.name);
    for (k, v) in &s.slo.labels {
        let _ = write!(text, " {k}={v}");
    }
    escape(&text.to_lowercase())
}

fn slo_view(s: &Section<'_>) -> SloView {
    let slo = s.slo;
    SloView {
        id: escape(&format!("{}-{}", s.service.name, slo.name)),
        search: search(s),
        open: risk(s).0 < 4,
        mark: s
            .status
            .as_ref()
            .filter(|st| !st.state.known())
            .map(|st| Mark {
                state: st.state.name(),
                class: st.state.name().replace(' ', "-"),
                problem: escape(st.problem.as_deref().unwrap_or_default()),
            }),
        service: escape(&s.service.name),
        name: escape(&slo.name),
        description: slo.description.as_deref().map(escape),
        objective_percent: format_decimal(slo.objective_percent),
        window: slo.window.to_string(),
        full_outage_budget: humanize_secs(slo.full_outage_budget_secs()),
        now: s.status.as_ref().map(now),
        tiers: slo.tiers.iter().map(tier_row).collect(),
        charts: charts(s),
        backtest: s.backtest.as_ref().map(backtest_rows),
        incidents: s.backtest.as_ref().map_or_else(Vec::new, incident_lines),
    }
}

/// Each incident of the backtest in a line, then the MTTR, escaped for HTML.
fn incident_lines(run: &SloRun) -> Vec<String> {
    use crate::live::backtest::incidents::{headline, mttr_line};
    let lines = run.incidents.iter().map(headline);
    let mttr = mttr_line(run.incidents.len(), &run.mttr);
    lines.chain(mttr).map(|l| escape(&l)).collect()
}

fn summary(s: &Section<'_>) -> Summary {
    let (slo, status) = (s.slo, s.status.as_ref());
    let known = status.filter(|st| st.state.known());
    Summary {
        id: escape(&format!("{}-{}", s.service.name, slo.name)),
        search: search(s),
        service: escape(&s.service.name),
        name: escape(&slo.name),
        objective_percent: format_decimal(slo.objective_percent),
        window: slo.window.to_string(),
        full_outage_budget: humanize_secs(slo.full_outage_budget_secs()),
        left: known.and_then(|st| {
            let left = st.budget_remaining?;
            let percent = format_human_f64(left * 100.0);
            Some(Left {
                class: risk_class(st, left),
                percent,
            })
        }),
        unknown: status
            .filter(|st| !st.state.known())
            .map(|st| st.state.name().into()),
        sli: percent(status.and_then(|st| st.sli)),
        burn: status
            .and_then(|st| fastest_burn(slo, st))
            .map_or("-".into(), |b| format!("{}x", format_human_f64(b))),
        firing: status.map_or(String::new(), |st| escape(&st.firing.join(", "))),
        exhausted_in: duration(status.and_then(|st| st.exhausted_in_seconds)),
    }
}

/// How the budget left reads: spent, worth a look (a quarter or less left, burning over 1x,
/// or an alert firing), or fine.
fn risk_class(st: &SloStatus, left: f64) -> &'static str {
    let burning = st.state == crate::live::status::State::Burning;
    if left <= 0.0 {
        "bad"
    } else if left < 0.25 || burning || !st.firing.is_empty() {
        "warn"
    } else {
        "ok"
    }
}

/// The burn rate over the fastest tier's long window, the one `status` projects from.
fn fastest_burn(slo: &Slo, st: &SloStatus) -> Option<f64> {
    let long = slo.tiers.iter().map(|t| t.long).min()?.to_string();
    st.burn_rates
        .iter()
        .find(|b| b.window == long)
        .map(|b| b.burn_rate)
}

/// Riskiest first: what cannot be judged, spent budgets, fast burns, firing alerts, then the
/// least budget left; spec order otherwise.
fn risk(s: &Section<'_>) -> (u8, f64) {
    use crate::live::status::State;
    let Some(st) = &s.status else {
        return (5, f64::INFINITY);
    };
    let rank = match st.state {
        _ if !st.state.known() => 0,
        State::Exhausted => 1,
        State::Burning => 2,
        _ if !st.firing.is_empty() => 3,
        _ => 4,
    };
    (rank, st.budget_remaining.unwrap_or(f64::INFINITY))
}

/// Whether Prometheus says the SLO is fine: known, not spent, not burning, nothing firing. A
/// fleet's report folds these, so what needs a look fits on a screen or two.
fn fine(s: &Section<'_>) -> bool {
    risk(s).0 == 4
}

fn tier_row(t: &crate::model::Tier) -> TierRow {
    TierRow {
        severity: escape(&t.class.name),
        long: t.long.to_string(),
        short: t.short.to_string(),
        factor: format_human(t.factor),
        threshold: format_human(t.threshold),
        fires_in: humanize_secs(t.time_to_fire_secs(1.0).unwrap_or(f64::INFINITY)),
        response: escape(&t.class.response),
    }
}

/// The SLO now, from Prometheus.
fn now(st: &SloStatus) -> Now {
    Now {
        sli: percent(st.sli),
        budget_left: percent(st.budget_remaining),
        exhausted_in: duration(st.exhausted_in_seconds),
        firing: if st.firing.is_empty() {
            "nothing".to_string()
        } else {
            escape(&st.firing.join(", "))
        },
    }
}

/// Live charts (budget left, burn rate) where Prometheus had history; else the chart the specs
/// alone give.
fn charts(s: &Section<'_>) -> Vec<String> {
    let slo = s.slo;
    let empty = s.status.as_ref().map_or("no data".to_string(), |st| {
        st.state.name().replace('_', " ")
    });
    let mut out = Vec::new();
    if s.burn_down.is_empty() {
        out.push(time_to_fire_chart(slo).svg());
    } else {
        out.push(budget_chart(s, &empty).svg());
    }
    if !s.burn_rates.is_empty() {
        out.push(burn_chart(s, &empty).svg());
    }
    out
}

/// The backtest's episodes as bands, each labelled with its tier; `page_only` keeps the pages.
fn episodes(s: &Section<'_>, page_only: bool) -> Vec<Band> {
    let Some(run) = &s.backtest else {
        return Vec::new();
    };
    s.slo
        .tiers
        .iter()
        .zip(&run.tiers)
        .filter(|(tier, _)| tier.class.page || !page_only)
        .flat_map(|(_, t)| {
            t.episodes.iter().map(|e| Band {
                from: e.start as f64,
                to: e.end as f64,
                label: format!(
                    "{} {} fired {} for {}",
                    t.severity,
                    t.windows,
                    when(e.start),
                    humanize_secs((e.end - e.start) as f64)
                ),
            })
        })
        .collect()
}

/// Budget left over the window, 0-100% always in view (an overspent budget goes below), with
/// the line where it runs out and the pages the backtest found.
fn budget_chart(s: &Section<'_>, empty: &str) -> Chart {
    let points = s.burn_down.iter().map(|(t, v)| (*t, v * 100.0)).collect();
    Chart {
        title: format!("{}: error budget left (%) over the window", s.slo.name),
        x: XAxis::Time,
        x_label: "time (UTC)".into(),
        y_label: "% of budget left".into(),
        y_floor: (0.0, 100.0),
        series: vec![("budget left".to_string(), points)],
        thresholds: vec![Threshold {
            value: 0.0,
            label: "budget gone".into(),
        }],
        bands: episodes(s, true),
        empty: empty.to_string(),
    }
}

/// Burn rate over the fastest tier's long window for the last week, with that tier's factor
/// (where it fires, its short window agreeing) and every tier's backtest episodes.
fn burn_chart(s: &Section<'_>, empty: &str) -> Chart {
    let fastest = s.slo.tiers.iter().min_by_key(|t| t.long);
    let window = fastest.map_or(String::new(), |t| t.long.to_string());
    let thresholds = fastest.map(|t| Threshold {
        value: to_f64(t.factor),
        label: format!(
            "{} {}/{} fires above {}x",
            t.class.name,
            t.long,
            t.short,
            format_human(t.factor)
        ),
    });
    Chart {
        title: format!("{}: burn rate over {window}, last week", s.slo.name),
        x: XAxis::Time,
        x_label: "time (UTC)".into(),
        y_label: "burn rate (x)".into(),
        y_floor: (0.0, 1.0),
        series: vec![("burn rate".to_string(), s.burn_rates.clone())],
        thresholds: thresholds.into_iter().collect(),
        bands: episodes(s, false),
        empty: empty.to_string(),
    }
}

fn backtest_rows(run: &SloRun) -> Vec<BacktestRow> {
    let row = |t: &crate::live::backtest::TierRun| {
        let when_list: Vec<String> = t
            .episodes
            .iter()
            .map(|e| {
                let lasted = humanize_secs((e.end - e.start) as f64);
                format!("{} for {lasted}", when(e.start))
            })
            .collect();
        BacktestRow {
            tier: format!("{} {}", escape(&t.severity), t.windows),
            episodes: t.episodes.len(),
            per_week: format_human_f64(t.per_week),
            when: escape(&when_list.join("; ")),
        }
    };
    run.tiers.iter().map(row).collect()
}

/// The page's one script: the filter box and the service picker hide what does not match,
/// in the browser, with no request; `#filter=...&service=...` in the URL sets them.
const FILTER_SCRIPT: &str = include_str!("filter.js");

/// `sha256-<base64>` of a script, as a Content-Security-Policy names it.
fn script_hash(script: &str) -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(script.as_bytes());
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

/// The whole page, through the page template (built in, or the user's override).
pub(crate) fn render(sections: &[Section<'_>], templates: &Templates) -> Result<String, Error> {
    let mut order: Vec<&Section<'_>> = sections.iter().collect();
    order.sort_by(|a, b| {
        let (a, b) = (risk(a), risk(b));
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
    });
    let mut services: Vec<String> = sections.iter().map(|s| escape(&s.service.name)).collect();
    services.dedup();
    let page = Page {
        live: sections.iter().any(|s| s.status.is_some()),
        count: sections.len(),
        quiet_count: sections.iter().filter(|s| fine(s)).count(),
        services,
        script: FILTER_SCRIPT,
        script_hash: script_hash(FILTER_SCRIPT),
        summary: order
            .iter()
            .filter(|s| !fine(s))
            .map(|s| summary(s))
            .collect(),
        quiet: order
            .iter()
            .filter(|s| fine(s))
            .map(|s| summary(s))
            .collect(),
        slos: sections.iter().filter(|s| !fine(s)).map(slo_view).collect(),
        quiet_slos: sections.iter().filter(|s| fine(s)).map(slo_view).collect(),
    };
    templates.render(REPORT_PAGE, &Data::new(&page))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> Vec<Service> {
        let text = "apiVersion: slocc/v1\nservice: a-b\nrunbook_base_url: https://r.example.com\nslos:\n  - name: x\n    description: 'say \"hi\" & <go>'\n    objective: 99.9\n    sli:\n      raw:\n        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))\n  - name: y\n    objective: 99\n    window: 7d\n    sli:\n      raw:\n        error_ratio: sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))\n";
        let mut sources = crate::diag::Sources::default();
        sources.add("a.yaml", text);
        crate::model::check::check_sources(sources).services
    }

    fn status(left: f64) -> SloStatus {
        SloStatus {
            service: "a".into(),
            slo: "x".into(),
            objective_percent: "99.9".into(),
            window: "30d".into(),
            state: crate::live::status::State::Ok,
            problem: None,
            source: crate::live::status::Source::Recorded,
            recorded_for_seconds: None,
            sli: Some(0.9991),
            budget_remaining: Some(left),
            full_outage_left_seconds: None,
            burn_rates: Vec::new(),
            exhausted_in_seconds: Some(3600.0),
            firing: vec!["page<".into()],
        }
    }

    fn backtest() -> SloRun {
        let episode = crate::live::backtest::Episode {
            start: 1_700_000_000,
            end: 1_700_003_600,
            budget_spent: None,
        };
        SloRun {
            service: "a".into(),
            slo: "x".into(),
            tiers: vec![crate::live::backtest::TierRun {
                severity: "page&".into(),
                windows: "1h/5m".into(),
                episodes: vec![episode],
                per_week: 0.5,
            }],
            severities: Vec::new(),
            fast_burns: Vec::new(),
            incidents: Vec::new(),
            mttr: Default::default(),
        }
    }

    /// A section of `slo` with no live data.
    fn bare<'a>(service: &'a Service, slo: &'a Slo) -> Section<'a> {
        let (burn_down, burn_rates) = (Vec::new(), Vec::new());
        let (status, backtest) = (None, None);
        Section {
            service,
            slo,
            status,
            burn_down,
            burn_rates,
            backtest,
        }
    }

    #[test]
    fn the_page_escapes_user_text_in_every_state() {
        let services = services();
        let service = &services[0];
        let sections = [
            Section {
                status: Some(status(0.5)),
                burn_down: vec![(0.0, 1.0), (86400.0, 0.5)],
                burn_rates: vec![(0.0, 2.0), (3600.0, 3.0)],
                backtest: Some(backtest()),
                ..bare(service, &service.slos[0])
            },
            Section {
                status: Some(status(-0.1)),
                ..bare(service, &service.slos[1])
            },
            bare(service, &service.slos[1]),
        ];
        let page = render(&sections, &Templates::builtin().unwrap()).unwrap();
        assert!(
            page.contains("<p>say &quot;hi&quot; &amp; &lt;go&gt;</p>"),
            "{page}"
        );
        assert!(page.contains("firing: page&lt;.</p>"), "{page}");
        // Riskiest first in the summary: the spent budget, then the one with an alert firing
        // (a warning although half is left), then the one nothing is known of.
        let rows: Vec<&str> = page
            .split("<td><a href=\"#")
            .skip(1)
            .map(|r| &r[..5])
            .collect();
        assert_eq!(rows, ["a-b-y", "a-b-x", "a-b-y"], "{page}");
        assert!(page.contains("<td class=\"warn\">50% left</td><td>99.91%</td><td>-</td><td>page&lt;</td><td>1h</td>"), "{page}");
        assert!(page.contains("<td class=\"bad\">-10% left</td>"), "{page}");
        assert!(
            page.contains("<tr><td>page&amp; 1h/5m</td><td>1</td><td>0.5</td>"),
            "{page}"
        );
        assert_eq!(page.matches("<svg ").count(), 4, "{page}");
        // Axes with ticks, the fastest tier's threshold, the budget's end; the risky SLOs
        // unfolded, the one nothing is known of folded; the filter script allowed by its hash.
        assert!(page.matches("class=\"tick-x\"").count() >= 4, "{page}");
        assert!(page.contains("page 1h/5m fires above 14.4x") && page.contains(">budget gone<"));
        assert!(
            page.contains("<details id=\"a-b-x\" data-search=\"a-b/x\" data-service=\"a-b\" open>")
        );
        assert!(page.contains(
            "<details id=\"a-b-y\" data-search=\"a-b/y\" data-service=\"a-b\"><summary>"
        ));
        assert!(page.contains(&format!("script-src '{}'", script_hash(FILTER_SCRIPT))));
        assert!(page.contains(&format!("<script>{FILTER_SCRIPT}</script>")));
        assert!(!page.contains("<go>") && page.ends_with("</body></html>\n"));
    }

    #[test]
    fn user_text_cannot_break_out() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
