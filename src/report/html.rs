//! `slocc report`: one self-contained HTML page (inline CSS and SVG, no scripts, nothing
//! fetched when it opens): the SLO table, each SLO's tiers and a chart, and, from a running
//! Prometheus, the budget left and a burn-down chart, and the backtest when asked.

use std::fmt::Write as _;

use crate::live::backtest::{when, SloRun};
use crate::live::status::SloStatus;
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

const STYLE: &str = "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:70rem;color:#1d2330;padding:0 1rem}h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.5rem;border-bottom:1px solid #d6dae3}table{border-collapse:collapse;margin:.6rem 0;width:100%}th,td{border:1px solid #d6dae3;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f1f3f7}.ok{color:#17693a}.bad{color:#b3261e}svg{background:#fbfbfd;border:1px solid #e3e6ec;margin:.5rem 0}figcaption{color:#555;font-size:.9em}@media print{body{margin:0;max-width:none}h2{break-before:page}svg{break-inside:avoid}}";

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

fn tier_table(slo: &Slo) -> String {
    let mut out = String::from("<table><tr><th>Severity</th><th>Windows</th><th>Burn factor</th><th>Threshold</th><th>Full outage fires in</th><th>Response</th></tr>");
    for t in &slo.tiers {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}/{}</td><td>{}x</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.class.name),
            t.long,
            t.short,
            format_human(t.factor),
            format_human(t.threshold),
            humanize_secs(t.time_to_fire_secs(1.0).unwrap_or(f64::INFINITY)),
            escape(&t.class.response)
        );
    }
    out.push_str("</table>");
    out
}

fn summary_row(s: &Section<'_>) -> String {
    let slo = s.slo;
    let status = s.status.as_ref().and_then(|st| st.budget_remaining).map_or(
        "<td>-</td>".to_string(),
        |left| {
            let class = if left > 0.0 { "ok" } else { "bad" };
            format!(
                "<td class=\"{class}\">{}% left</td>",
                format_human_f64(left * 100.0)
            )
        },
    );
    format!(
        "<tr><td><a href=\"#{id}\">{}/{}</a></td><td>{}%</td><td>{}</td><td>{}</td>{status}</tr>",
        escape(&s.service.name),
        escape(&slo.name),
        format_decimal(slo.objective_percent),
        slo.window,
        humanize_secs(slo.full_outage_budget_secs()),
        id = escape(&format!("{}-{}", s.service.name, slo.name)),
    )
}

fn section(out: &mut String, s: &Section<'_>) {
    let slo = s.slo;
    let id = escape(&format!("{}-{}", s.service.name, slo.name));
    let _ = write!(
        out,
        "<h2 id=\"{id}\">{} / {}</h2>",
        escape(&s.service.name),
        escape(&slo.name)
    );
    if let Some(d) = &slo.description {
        let _ = write!(out, "<p>{}</p>", escape(d));
    }
    let _ = write!(
        out,
        "<p>{}% over {}: a budget of {} of full outage.</p>",
        format_decimal(slo.objective_percent),
        slo.window,
        humanize_secs(slo.full_outage_budget_secs())
    );
    if let Some(st) = &s.status {
        now_paragraph(out, st);
    }
    out.push_str(&tier_table(slo));
    charts(out, s);
    if let Some(run) = &s.backtest {
        backtest_table(out, run);
    }
}

/// The SLO now, from Prometheus.
fn now_paragraph(out: &mut String, st: &SloStatus) {
    let _ = write!(
        out,
        "<p>Now: SLI {}, budget left {}, exhausted in {} at the current burn; firing: {}.</p>",
        st.sli
            .map_or("-".into(), |v| format!("{}%", format_human_f64(v * 100.0))),
        st.budget_remaining
            .map_or("-".into(), |v| format!("{}%", format_human_f64(v * 100.0))),
        st.exhausted_in_seconds.map_or("-".into(), humanize_secs),
        if st.firing.is_empty() {
            "nothing".to_string()
        } else {
            escape(&st.firing.join(", "))
        }
    );
}

/// Live charts (budget left, burn rate) where Prometheus had history; else the chart the specs
/// alone give.
fn charts(out: &mut String, s: &Section<'_>) {
    let slo = s.slo;
    if s.burn_down.is_empty() {
        out.push_str(&time_to_fire_chart(slo));
    } else {
        let start = s.burn_down[0].0;
        let points = s
            .burn_down
            .iter()
            .map(|(t, v)| ((t - start) / 86_400.0, v * 100.0))
            .collect();
        out.push_str(&chart(
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
        out.push_str(&chart(
            &format!("{}: burn rate over the last week", slo.name),
            "days",
            "burn rate (x)",
            &[("burn rate".to_string(), points)],
            false,
        ));
    }
}

fn backtest_table(out: &mut String, run: &SloRun) {
    out.push_str("<table><tr><th>Tier</th><th>Episodes</th><th>Per week</th><th>When (UTC), how long</th></tr>");
    for t in &run.tiers {
        let when_list: Vec<String> = t
            .episodes
            .iter()
            .map(|e| {
                format!(
                    "{} for {}",
                    when(e.start),
                    humanize_secs((e.end - e.start) as f64)
                )
            })
            .collect();
        let _ = write!(
            out,
            "<tr><td>{} {}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&t.severity),
            t.windows,
            t.episodes.len(),
            format_human_f64(t.per_week),
            escape(&when_list.join("; "))
        );
    }
    out.push_str("</table>");
}

/// The whole page.
pub(crate) fn render(sections: &[Section<'_>]) -> String {
    let mut out = format!("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\"><link rel=\"icon\" href=\"data:,\"><title>SLO report</title><style>{STYLE}</style></head><body><h1>SLO report</h1>");
    out.push_str("<table><tr><th>SLO</th><th>Objective</th><th>Window</th><th>Budget (full outage)</th><th>Status</th></tr>");
    for s in sections {
        out.push_str(&summary_row(s));
    }
    out.push_str("</table>");
    for s in sections {
        section(&mut out, s);
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_break_out() {
        assert_eq!(
            escape("<script>\"a\" & 'b'</script>"),
            "&lt;script&gt;&quot;a&quot; &amp; &#39;b&#39;&lt;/script&gt;"
        );
    }
}
