//! The report's charts: SVG line charts with labelled time or value axes, reference lines
//! (tier thresholds, the end of the budget), shaded alert episodes and a mark when there is no
//! data. Every element the DOM test looks for has a class: `tick-x`, `tick-y`, `line`,
//! `threshold`, `episode`, `no-data`.

use std::fmt::Write as _;

use super::html::escape;
use crate::vocab::number::format_human_f64;

const W: f64 = 720.0;
const H: f64 = 260.0;
const LEFT: f64 = 56.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 40.0;

/// How the x axis reads.
#[derive(Clone, Copy)]
pub(crate) enum XAxis {
    /// Seconds since the epoch, labelled with UTC dates and times.
    Time,
    /// A value on a log10 scale (burn rates), labelled with its powers of ten.
    Log,
}

/// A horizontal reference line at `value`, labelled.
pub(crate) struct Threshold {
    pub(crate) value: f64,
    pub(crate) label: String,
}

/// A shaded span of x (an alert episode), labelled (its severity).
pub(crate) struct Band {
    pub(crate) from: f64,
    pub(crate) to: f64,
    pub(crate) label: String,
}

/// One chart.
pub(crate) struct Chart {
    pub(crate) title: String,
    pub(crate) x: XAxis,
    pub(crate) x_label: String,
    pub(crate) y_label: String,
    /// The value range always shown (0-100% for a budget), widened to fit the data.
    pub(crate) y_floor: (f64, f64),
    pub(crate) series: Vec<(String, Vec<(f64, f64)>)>,
    pub(crate) thresholds: Vec<Threshold>,
    pub(crate) bands: Vec<Band>,
    /// Shown over the plot when no series has a point (why: "no data", "stale").
    pub(crate) empty: String,
}

/// Data coordinates to pixels.
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
    log: bool,
}

impl Frame {
    fn of(chart: &Chart) -> Self {
        let log = matches!(chart.x, XAxis::Log);
        let fx = |x: f64| if log { x.max(1e-9).log10() } else { x };
        let points = chart.series.iter().flat_map(|(_, p)| p.iter());
        let finite: Vec<(f64, f64)> = points
            .map(|&(x, y)| (fx(x), y))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let (x0, x1) = finite.iter().fold((f64::MAX, f64::MIN), |(a, b), (x, _)| {
            (a.min(*x), b.max(*x))
        });
        let reference = chart.thresholds.iter().map(|t| t.value);
        let (y0, y1) = finite
            .iter()
            .map(|(_, y)| *y)
            .chain(reference)
            .fold(chart.y_floor, |(a, b), y| (a.min(y), b.max(y)));
        let (x0, x1) = if x1 > x0 { (x0, x1) } else { (0.0, 1.0) };
        let y1 = if y1 > y0 { y1 } else { y0 + 1.0 };
        Self {
            x: (x0, x1),
            y: (y0, y1),
            log,
        }
    }

    fn sx(&self, x: f64) -> f64 {
        let x = if self.log { x.max(1e-9).log10() } else { x };
        LEFT + (x - self.x.0) / (self.x.1 - self.x.0) * (W - LEFT - RIGHT)
    }

    fn sy(&self, y: f64) -> f64 {
        H - BOTTOM - (y - self.y.0) / (self.y.1 - self.y.0) * (H - TOP - BOTTOM)
    }
}

/// Round steps for a value axis: 1, 2 or 5 times a power of ten, about five ticks.
fn value_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let raw = (hi - lo) / 5.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(power * 10.0);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// Time ticks on whole hours or days (UTC), at most about eight.
fn time_ticks(lo: f64, hi: f64) -> Vec<f64> {
    const STEPS: [f64; 8] = [
        3_600.0, 10_800.0, 21_600.0, 43_200.0, 86_400.0, 172_800.0, 432_000.0, 604_800.0,
    ];
    let step = STEPS
        .iter()
        .copied()
        .find(|s| (hi - lo) / s <= 8.0)
        .unwrap_or(2_592_000.0);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).collect()
}

/// A time tick's label: the date at midnight, the time otherwise.
fn time_label(t: f64) -> String {
    let Some(at) = chrono::DateTime::from_timestamp(t as i64, 0) else {
        return String::new();
    };
    if t % 86_400.0 == 0.0 {
        at.format("%b %d").to_string()
    } else {
        at.format("%H:%M").to_string()
    }
}

impl Chart {
    /// The figure: an SVG with its axes, ticks, reference lines, bands and series, captioned.
    pub(crate) fn svg(&self) -> String {
        let frame = Frame::of(self);
        let title = escape(&self.title);
        let mut svg = format!("<figure><svg role=\"img\" aria-label=\"{title}\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\" xmlns=\"http://www.w3.org/2000/svg\"><title>{title}</title>");
        self.bands(&frame, &mut svg);
        self.axes(&frame, &mut svg);
        self.thresholds(&frame, &mut svg);
        self.lines(&frame, &mut svg);
        if self.series.iter().all(|(_, p)| p.is_empty()) {
            let _ = write!(svg, "<text class=\"no-data\" x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"14\" fill=\"#b3261e\">{}</text>", W / 2.0, H / 2.0, escape(&self.empty));
        }
        let _ = write!(svg, "</svg><figcaption>{title}</figcaption></figure>");
        svg
    }

    fn axes(&self, frame: &Frame, svg: &mut String) {
        let (x0, y0) = (LEFT, H - BOTTOM);
        let _ = write!(svg, "<line x1=\"{x0}\" y1=\"{y0}\" x2=\"{}\" y2=\"{y0}\" stroke=\"#888\"/><line x1=\"{x0}\" y1=\"{TOP}\" x2=\"{x0}\" y2=\"{y0}\" stroke=\"#888\"/>", W - RIGHT);
        for v in value_ticks(frame.y.0, frame.y.1) {
            let y = frame.sy(v);
            let _ = write!(svg, "<g class=\"tick-y\"><line x1=\"{x0}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#e3e6ec\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"10\" text-anchor=\"end\">{}</text></g>", W - RIGHT, x0 - 4.0, y + 3.0, format_human_f64(v));
        }
        let ticks: Vec<(f64, String)> = match self.x {
            XAxis::Time => time_ticks(frame.x.0, frame.x.1)
                .into_iter()
                .map(|t| (t, time_label(t)))
                .collect(),
            XAxis::Log => (frame.x.0.ceil() as i64..=frame.x.1.floor() as i64)
                .map(|p| {
                    (
                        10f64.powi(p as i32),
                        format!("{}x", format_human_f64(10f64.powi(p as i32))),
                    )
                })
                .collect(),
        };
        for (t, label) in ticks {
            let x = frame.sx(t);
            let _ = write!(svg, "<g class=\"tick-x\"><line x1=\"{x:.1}\" y1=\"{y0}\" x2=\"{x:.1}\" y2=\"{}\" stroke=\"#888\"/><text x=\"{x:.1}\" y=\"{}\" font-size=\"10\" text-anchor=\"middle\">{label}</text></g>", y0 + 4.0, y0 + 15.0);
        }
        let _ = write!(svg, "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text><text x=\"12\" y=\"{}\" font-size=\"11\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{}</text>", (LEFT + W - RIGHT) / 2.0, H - 6.0, escape(&self.x_label), H / 2.0, H / 2.0, escape(&self.y_label));
    }

    fn thresholds(&self, frame: &Frame, svg: &mut String) {
        for t in &self.thresholds {
            let y = frame.sy(t.value);
            let _ = write!(svg, "<g class=\"threshold\"><line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{}\" y2=\"{y:.1}\" stroke=\"#b3261e\" stroke-dasharray=\"5 4\"/><text x=\"{}\" y=\"{:.1}\" font-size=\"10\" fill=\"#b3261e\" text-anchor=\"end\">{}</text></g>", W - RIGHT, W - RIGHT - 2.0, y - 3.0, escape(&t.label));
        }
    }

    fn bands(&self, frame: &Frame, svg: &mut String) {
        for b in &self.bands {
            let (from, to) = (b.from.max(frame.x.0), b.to.min(frame.x.1));
            if to <= from {
                continue;
            }
            let (x, w) = (frame.sx(from), (frame.sx(to) - frame.sx(from)).max(2.0));
            let _ = write!(svg, "<rect class=\"episode\" x=\"{x:.1}\" y=\"{TOP}\" width=\"{w:.1}\" height=\"{}\" fill=\"#f4c7c3\" opacity=\"0.6\"><title>{}</title></rect>", H - TOP - BOTTOM, escape(&b.label));
        }
    }

    fn lines(&self, frame: &Frame, svg: &mut String) {
        let colours = ["#2f5fb3", "#1d8a4f", "#8a5a00", "#6b3fa0", "#c4372b"];
        for (i, (label, points)) in self.series.iter().enumerate() {
            let path: Vec<String> = points
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|&(x, y)| format!("{:.1},{:.1}", frame.sx(x), frame.sy(y)))
                .collect();
            let colour = colours[i % colours.len()];
            let _ = write!(svg, "<polyline class=\"line\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"/><text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{colour}\">{}</text>", path.join(" "), LEFT + 8.0, TOP + 12.0 + 13.0 * i as f64, escape(label));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_inside_the_range() {
        assert_eq!(
            value_ticks(0.0, 100.0),
            [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]
        );
        assert_eq!(value_ticks(-3.0, 14.4), [0.0, 5.0, 10.0]);
        let day = 86_400.0;
        let ticks = time_ticks(10.0 * day + 5.0, 40.0 * day);
        assert_eq!(ticks.first(), Some(&(15.0 * day)));
        assert!(ticks.len() <= 8, "{ticks:?}");
        assert_eq!(time_label(86_400.0), "Jan 02");
        assert_eq!(time_label(86_400.0 + 21_600.0), "06:00");
    }

    #[test]
    fn an_empty_chart_says_why_and_still_has_axes() {
        let chart = Chart {
            title: "t <b>".into(),
            x: XAxis::Time,
            x_label: "time".into(),
            y_label: "%".into(),
            y_floor: (0.0, 100.0),
            series: vec![("budget".into(), Vec::new())],
            thresholds: vec![Threshold {
                value: 0.0,
                label: "budget gone".into(),
            }],
            bands: Vec::new(),
            empty: "no data".into(),
        };
        let svg = chart.svg();
        assert!(svg.contains("class=\"no-data\"") && svg.contains(">no data</text>"));
        assert_eq!(svg.matches("class=\"tick-y\"").count(), 6);
        assert!(svg.contains("t &lt;b&gt;") && !svg.contains("<b>"));
    }
}
