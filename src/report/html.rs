//! `slocc report`: one self-contained HTML page (inline CSS and SVG, no scripts, nothing
//! fetched when it opens): the SLO table, each SLO's tiers and a chart, and, from a running
//! Prometheus, the budget left and a burn-down chart, and the backtest when asked.

use std::fmt::Write as _;

use serde::Serialize;

use crate::emit::templates::{Data, Error, Templates, REPORT_PAGE};
use crate::live::backtest::{when, SloRun};
use crate::live::status::{duration, percent, SloStatus};
use crate::model::{Service, Slo};
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

/// A line chart: each series a polyline over shared axes; `log_x` plots x on a log10 scale.
fn chart(
    title: &str,
    x_label: &str,
    y_label: &str,
    series: &[(String, Vec<(f64, f64)>)],
    log_x: bool,
) -> String {
    const W: f64 = 640.0;
    const H: f64 = 240.0;
    const PAD: f64 = 48.0;
    let fx = |x: f64| if log_x { x.max(1e-9).log10() } else { x };
    let points: Vec<(f64, f64)> = series
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(x, y)| (fx(x), y)))
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    let (x0, x1) = points.iter().fold((f64::MAX, f64::MIN), |(a, b), (x, _)| {
        (a.min(*x), b.max(*x))
    });
    let (y0, y1) = points
        .iter()
        .fold((0.0_f64, f64::MIN), |(a, b), (_, y)| (a.min(*y), b.max(*y)));
    let (x1, y1) = (
        if x1 > x0 { x1 } else { x0 + 1.0 },
        if y1 > y0 { y1 } else { y0 + 1.0 },
    );
    let sx = |x: f64| PAD + (fx(x) - x0) / (x1 - x0) * (W - 2.0 * PAD);
    let sy = |y: f64| H - PAD + (y0 - y) / (y1 - y0) * (H - 2.0 * PAD);
    let colours = ["#2f5fb3", "#c4372b", "#1d8a4f", "#8a5a00", "#6b3fa0"];
    let mut svg = format!("<figure><svg role=\"img\" aria-label=\"{t}\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{t}</title>", t = escape(title));
    let _ = write!(svg, "<line x1=\"{PAD}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#888\"/><line x1=\"{PAD}\" y1=\"{PAD}\" x2=\"{PAD}\" y2=\"{}\" stroke=\"#888\"/>", H - PAD, W - PAD, H - PAD, H - PAD);
    let _ = write!(svg, "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text><text x=\"12\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text>", W / 2.0, H - 10.0, escape(x_label), H / 2.0, H / 2.0, escape(y_label));
    let _ = write!(svg, "<text x=\"{}\" y=\"{PAD}\" font-size=\"10\" text-anchor=\"end\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"10\" text-anchor=\"end\">{}</text>", PAD - 4.0, format_human_f64(y1), PAD - 4.0, H - PAD, format_human_f64(y0));
    for (i, (label, pts)) in series.iter().enumerate() {
        let path: Vec<String> = pts
            .iter()
            .filter(|(x, y)| fx(*x).is_finite() && y.is_finite())
            .map(|&(x, y)| format!("{:.1},{:.1}", sx(x), sy(y)))
            .collect();
        let colour = colours[i % colours.len()];
        let _ = write!(svg, "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{}</text>", path.join(" "), W - PAD - 150.0, PAD + 14.0 * i as f64, escape(label));
    }
    svg.push_str("</svg>");
    let _ = write!(svg, "<figcaption>{}</figcaption></figure>", escape(title));
    svg
}

/// From the specs alone: each tier's time to fire against the burn rate (log scale).
fn time_to_fire_chart(slo: &Slo) -> String {
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
    chart(
        &format!("{}: hours until each tier fires, by burn rate", slo.name),
        "burn rate (log scale, 1x to 1000x)",
        "hours",
        &series,
        true,
    )
}

/// What the page template (`targets/report/page.html.hbs`) sees: every text HTML-escaped.
#[derive(Serialize)]
struct Page {
    /// Whether Prometheus was asked (the summary's live columns).
    live: bool,
    /// The summary table's rows, riskiest first.
    summary: Vec<Summary>,
    /// Each SLO's section, in spec order.
    slos: Vec<SloView>,
}

/// One row of the summary table.
#[derive(Serialize)]
struct Summary {
    id: String,
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

fn slo_view(s: &Section<'_>) -> SloView {
    let slo = s.slo;
    SloView {
        id: escape(&format!("{}-{}", s.service.name, slo.name)),
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
    }
}

fn summary(s: &Section<'_>) -> Summary {
    let (slo, status) = (s.slo, s.status.as_ref());
    let known = status.filter(|st| st.state.known());
    Summary {
        id: escape(&format!("{}-{}", s.service.name, slo.name)),
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
    let mut out = Vec::new();
    if s.burn_down.is_empty() {
        out.push(time_to_fire_chart(slo));
    } else {
        let start = s.burn_down[0].0;
        let points = s
            .burn_down
            .iter()
            .map(|(t, v)| ((t - start) / 86_400.0, v * 100.0))
            .collect();
        out.push(chart(
            &format!("{}: error budget left (%) over the window", slo.name),
            "days",
            "% of budget left",
            &[("budget left".to_string(), points)],
            false,
        ));
    }
    if let Some(&(start, _)) = s.burn_rates.first() {
        let points = s
            .burn_rates
            .iter()
            .map(|(t, v)| ((t - start) / 86_400.0, *v))
            .collect();
        out.push(chart(
            &format!("{}: burn rate over the last week", slo.name),
            "days",
            "burn rate (x)",
            &[("burn rate".to_string(), points)],
            false,
        ));
    }
    out
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

/// The whole page, through the page template (built in, or the user's override).
pub(crate) fn render(sections: &[Section<'_>], templates: &Templates) -> Result<String, Error> {
    let mut order: Vec<&Section<'_>> = sections.iter().collect();
    order.sort_by(|a, b| {
        let (a, b) = (risk(a), risk(b));
        a.0.cmp(&b.0).then(a.1.total_cmp(&b.1))
    });
    let page = Page {
        live: sections.iter().any(|s| s.status.is_some()),
        summary: order.into_iter().map(summary).collect(),
        slos: sections.iter().map(slo_view).collect(),
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
            skipped: None,
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
            .split("<tr><td><a href=\"#")
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
