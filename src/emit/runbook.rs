//! Runbooks: one Markdown file per SLO, scaffolded once, whose marked generated region is
//! refreshed on every compile while every line outside it stays as its author wrote it.

use std::path::Path;

use serde::Serialize;

use crate::emit::links::Links;
use crate::emit::prometheus::series;
use crate::emit::templates::{Error, Templates};
use crate::model::{Service, Slo};
use crate::vocab::duration::humanize_secs;
use crate::vocab::number::{format_decimal, format_human, format_human_f64};
use crate::vocab::promql::{matchers, with_window};

/// Opens the generated region.
pub(crate) const BEGIN: &str =
    "<!-- slocc:generated:begin (do not edit between these markers: `slocc compile` rewrites them) -->";
/// What both markers start with after `<!-- `.
const MARKER_STEM: &str = "slocc:generated";

/// Closes the generated region.
pub(crate) const END: &str = "<!-- slocc:generated:end -->";

/// What to do with one runbook file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Update {
    /// No file yet: write this scaffold.
    Create(String),
    /// The generated region changed: write this, everything outside the region kept.
    Refresh(String),
    /// Nothing to do.
    UpToDate,
    /// The markers are missing, repeated or out of order: the file is left untouched.
    Markers(String),
}

/// Decides how to bring `existing` up to date with `region` (the generated text, markers
/// excluded). `scaffold` builds a new file around the marked region.
pub(crate) fn update(
    existing: Option<&str>,
    region: &str,
    scaffold: impl FnOnce(&str) -> String,
) -> Update {
    let marked = format!("{BEGIN}\n{region}{END}");
    let Some(text) = existing else {
        return Update::Create(scaffold(&marked));
    };
    let (start, end) = match (once(text, BEGIN), once(text, END)) {
        (Ok(start), Ok(end)) if start < end => (start, end + END.len()),
        (Ok(_), Ok(_)) => {
            return Update::Markers("its end marker comes before its begin marker".into())
        }
        (Err(0), Err(0)) => {
            return Update::Markers("its generated-region markers were removed".into())
        }
        (b, e) => {
            let (b, e) = (b.map_or_else(|n| n, |_| 1), e.map_or_else(|n| n, |_| 1));
            return Update::Markers(format!(
                "it has {b} begin and {e} end markers; it needs exactly one of each"
            ));
        }
    };
    // Compared in place: ten thousand runbooks are checked on every compile.
    if text[start..end] == marked {
        Update::UpToDate
    } else {
        Update::Refresh(format!("{}{marked}{}", &text[..start], &text[end..]))
    }
}

/// Where `marker` is in `text` when it is there once; how many times it is there otherwise.
fn once(text: &str, marker: &str) -> Result<usize, usize> {
    let mut at = text.match_indices(marker).map(|(i, _)| i);
    match (at.next(), at.next()) {
        (Some(i), None) => Ok(i),
        (None, _) => Err(0),
        (Some(_), Some(_)) => Err(2 + at.count()),
    }
}

/// What people own in a runbook: the text before the begin marker and after the end marker
/// (`None` when the markers are not one begin before one end).
pub(crate) fn human_part(text: &str) -> Option<(&str, &str)> {
    let start = text.find(BEGIN)?;
    let end = text.find(END)?;
    (start < end).then(|| (&text[..start], &text[end + END.len()..]))
}

/// Where an SLO's runbook lives, relative to the runbooks directory.
pub(crate) fn relative_path(service: &Service, slo: &Slo) -> String {
    format!("{}/{}.md", service.name, slo.name)
}

/// Escapes text for Markdown prose (and table cells): inline syntax is backslash-escaped, line
/// breaks become spaces, control characters a replacement mark, and the text is trimmed so that
/// what starts it cannot open a block (an indented code block, a list, a heading, a rule)
/// where it lands at the start of a line or a list item.
pub(crate) fn markdown(text: &str) -> String {
    let text = text.trim_matches(|c: char| c.is_whitespace());
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '{' | '}' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            // Raw control characters (BEL, ESC) would ring or recolour an on-call terminal.
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    escape_block_start(out)
}

/// Escapes what would open a block at the start of `text`: a list marker (`-`, `+`, `1.`,
/// `1)`), a setext underline or rule (`=`, `-`).
fn escape_block_start(text: String) -> String {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    match text.as_bytes().get(digits) {
        Some(b'-' | b'+' | b'=') if digits == 0 => format!("\\{text}"),
        Some(b'.' | b')') if digits > 0 => {
            format!("{}\\{}", &text[..digits], &text[digits..])
        }
        _ => text,
    }
}

/// `text` as an inline code span: a backtick fence longer than any run inside, a space of
/// padding where the text starts or ends with a backtick, line breaks as spaces and control
/// characters as a replacement mark, so that nothing in it leaves the span.
pub(crate) fn code_span(text: &str) -> String {
    let flat: String = text
        .chars()
        .map(|c| match c {
            '\n' | '\r' | '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect();
    let fence = "`".repeat(longest_backtick_run(&flat) + 1);
    let pad = if flat.starts_with('`') || flat.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{flat}{pad}{fence}")
}

/// A command as a code block holds it: line endings made `\n` (a lone CR ends a line in
/// CommonMark, and would leave the block's indentation behind), control characters other than
/// tabs replaced, so the block shows what runs.
fn code_text(code: String) -> String {
    // Most steps are clean already: ten thousand runbooks number a dozen each.
    if !code
        .bytes()
        .any(|b| (b < b' ' && b != b'\n' && b != b'\t') || b >= 0x7f)
    {
        return code;
    }
    code.replace("\r\n", "\n")
        .chars()
        .map(|c| match c {
            '\r' => '\n',
            '\n' | '\t' => c,
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect()
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut longest, mut run) = (0, 0);
    for b in text.bytes() {
        run = if b == b'`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    longest
}

/// A fence longer than any backtick run in `code`, so the block cannot be closed early.
fn fence(code: &str) -> String {
    "`".repeat(longest_backtick_run(code).max(2) + 1)
}

/// One numbered step of a procedure: its title (Markdown) and, indented under it so that the
/// list continues in CommonMark, a fenced code block (empty when the step has none).
#[derive(Serialize)]
struct Item {
    number: usize,
    title: String,
    block: String,
}

/// Numbers `steps` (title, optional `(language, code)`), each block indented to sit inside its
/// list item.
fn numbered(steps: Vec<(String, Option<(&str, String)>)>) -> Vec<Item> {
    steps
        .into_iter()
        .enumerate()
        .map(|(i, (title, code))| {
            let number = i + 1;
            let pad = " ".repeat(number.to_string().len() + 2);
            let block = code.map_or_else(String::new, |(lang, code)| {
                let code = code_text(code);
                let fence = fence(&code);
                let mut block = String::with_capacity(2 * code.len() + 32);
                for part in [&pad, &fence, lang, "\n"] {
                    block.push_str(part);
                }
                for line in code.lines() {
                    if !line.is_empty() {
                        block.push_str(&pad);
                    }
                    block.push_str(line);
                    block.push('\n');
                }
                block.push_str(&pad);
                block.push_str(&fence);
                block
            });
            Item {
                number,
                title,
                block,
            }
        })
        .collect()
}

#[derive(Serialize)]
struct TierRow {
    severity: String,
    long_window: String,
    short_window: String,
    factor: String,
    threshold: String,
    budget_spent_percent: String,
    full_outage_fires_in: String,
    exhausted_in: String,
    response: String,
}

/// A severity class as the runbook names it (Markdown-escaped).
#[derive(Serialize)]
struct ClassRow {
    name: String,
    pages: bool,
    response: String,
}

/// The no-data alert.
#[derive(Serialize)]
struct NoDataRow {
    name: String,
    class: String,
    pages: bool,
    response: String,
    for_duration: String,
}

#[derive(Serialize)]
struct PanelLink {
    title: String,
    url: String,
}

/// What the runbook templates can use (`targets/runbook/*.hbs`). Text meant for prose is
/// already Markdown-escaped; code blocks carry their own fence.
#[derive(Serialize)]
struct Context {
    service: String,
    slo: String,
    alert_name: String,
    description: Option<String>,
    objective_percent: String,
    /// "a rolling 30d" or "each calendar month".
    window: String,
    /// What goes wrong when the alert fires, in words particular to the SLI's kind, ending
    /// where "if it goes on, breaks the promise" follows.
    symptom: String,
    error_budget: String,
    /// What the budget is a share of: "events", or "1m slices".
    budget_unit: String,
    full_outage_budget: String,
    owner: Option<String>,
    escalation: Option<String>,
    classes: Vec<ClassRow>,
    /// The no-data alert, where slocc's own alert layout has one (a list of at most one, so
    /// that templates reach its fields with `#each`).
    no_data: Vec<NoDataRow>,
    tiers: Vec<TierRow>,
    diagnose: Vec<Item>,
    mitigate: Vec<Item>,
    dashboard_url: String,
    panels: Vec<PanelLink>,
}

fn context(service: &Service, slo: &Slo, links: &Links) -> Context {
    Context {
        service: service.name.clone(),
        slo: slo.name.clone(),
        alert_name: code_span(&slo.alert_name),
        description: slo.description.as_deref().map(markdown),
        objective_percent: format_decimal(slo.objective_percent),
        window: window_words(slo),
        symptom: symptom(slo),
        error_budget: format_decimal(slo.budget()),
        budget_unit: slo
            .budgeting
            .slice()
            .map_or("events".into(), |s| format!("{s} slices")),
        full_outage_budget: humanize_secs(slo.full_outage_budget_secs()),
        owner: service.owner.as_deref().map(markdown),
        escalation: service.escalation.as_deref().map(markdown),
        classes: slo
            .classes()
            .iter()
            .map(|c| ClassRow {
                name: markdown(&c.name),
                pages: c.page,
                response: markdown(&c.response),
            })
            .collect(),
        no_data: slo
            .no_data
            .as_ref()
            .filter(|_| service.compat.is_none())
            .map(|n| NoDataRow {
                name: code_span(&n.name),
                class: markdown(&n.class.name),
                pages: n.class.page,
                response: markdown(&n.class.response),
                for_duration: n.for_duration.to_string(),
            })
            .into_iter()
            .collect(),
        tiers: slo.tiers.iter().map(|t| tier_row(t, slo)).collect(),
        diagnose: numbered(diagnosis(service, slo)),
        mitigate: numbered(commands(&[&service.runbook.1[..], &slo.runbook.1].concat())),
        dashboard_url: link_target(&links.dashboard),
        panels: links.panels.get(&slo.name).map_or_else(Vec::new, |panels| {
            panels
                .iter()
                .map(|p| PanelLink {
                    title: markdown(&p.title),
                    url: link_target(&p.url),
                })
                .collect()
        }),
    }
}

/// The SLO's window in words: "a rolling 30d" or "each calendar month".
fn window_words(slo: &Slo) -> String {
    use crate::model::CalendarPeriod;
    match slo.calendar.as_ref().map(|c| c.period) {
        None => format!("a rolling {}", slo.window),
        Some(CalendarPeriod::Day) => "each calendar day".into(),
        Some(CalendarPeriod::Week) => "each calendar week".into(),
        Some(CalendarPeriod::Month) => "each calendar month".into(),
        Some(CalendarPeriod::Quarter) => "each calendar quarter".into(),
    }
}

/// What is going wrong while the alert fires, for the SLI's kind (Markdown).
fn symptom(slo: &Slo) -> String {
    use crate::model::Sli;
    let slices = if slo.budgeting.slice().is_some() {
        "in so many time slices"
    } else {
        "at a rate"
    };
    match &slo.sli {
        Sli::Ratio { .. } => {
            format!("Bad events (errors, or events that are not good) are happening {slices} that")
        }
        Sli::Latency { threshold, .. } => {
            format!("Requests slower than {threshold} are arriving {slices} that")
        }
        Sli::Raw { .. } => format!("The error ratio has been high enough {slices} that"),
        Sli::Threshold { good_op, value, .. } => format!(
            "The measured value has missed its bound (good when {}) {slices} that",
            code_span(&format!("{good_op} {}", format_decimal(*value)))
        ),
        Sli::Freshness { max_age, .. } => {
            format!("The last success has been older than {max_age} {slices} that")
        }
    }
}

/// One row of the runbook's tier table, numbers rounded for people.
fn tier_row(t: &crate::model::Tier, slo: &Slo) -> TierRow {
    TierRow {
        severity: markdown(&t.class.name),
        long_window: t.long.to_string(),
        short_window: t.short.to_string(),
        factor: format_human(t.factor),
        threshold: format_human(t.threshold),
        budget_spent_percent: format_human_f64(t.budget_spent_at_fire(slo.window) * 100.0),
        full_outage_fires_in: humanize_secs(t.time_to_fire_secs(1.0).unwrap_or(f64::INFINITY)),
        exhausted_in: humanize_secs(t.exhaustion_secs(slo.window)),
        response: markdown(&t.class.response),
    }
}

/// A query step.
type Step = (String, Option<(&'static str, String)>);

fn promql(title: impl Into<String>, query: String) -> Step {
    (title.into(), Some(("promql", query)))
}

/// The spec's steps: titles escaped, commands fenced as shell.
fn commands(steps: &[crate::model::Step]) -> Vec<Step> {
    steps
        .iter()
        .map(|s| (markdown(&s.title), s.command.clone().map(|c| ("shell", c))))
        .collect()
}

/// The diagnosis procedure: queries over the SLO's recorded series (and, for latency SLIs,
/// its histogram), then the spec's own diagnosis steps.
fn diagnosis(service: &Service, slo: &Slo) -> Vec<Step> {
    let ids = [
        ("slo_service", service.name.as_str()),
        ("slo_name", &slo.name),
    ];
    let sel = format!("{{{}}}", matchers(&ids));
    let on = "on (slo_service, slo_name) group_left ()";
    let ratio = if slo.budgeting.slice().is_some() {
        "Share of bad slices"
    } else {
        "Error ratio"
    };
    let mut steps = vec![promql(
        format!("{ratio} over every alert window, one row per window (compare with the thresholds above)"),
        format!("{{__name__=~\"slo:sli_error:ratio_rate.+\", {}}}", matchers(&ids)),
    )];
    if let Some(window) = slo.tiers.iter().map(|t| t.long).min() {
        steps.push(promql(
            format!("Burn rate over the last {window} (1 spends the budget exactly over the SLO window)"),
            format!(
                "{}{sel} / {on} {}{sel}",
                series::error_ratio(window),
                series::ERROR_BUDGET
            ),
        ));
    }
    steps.extend(sli_steps(slo, &sel));
    steps.extend(baseline_steps(slo, &sel));
    steps.extend([
        promql(
            format!(
                "What healthy looks like: the {} over the SLO window",
                ratio.to_lowercase()
            ),
            format!("{}{sel}", series::ERROR_RATIO_PERIOD),
        ),
        promql(
            "Error budget left over the SLO window",
            format!("{}{sel}", series::BUDGET_REMAINING),
        ),
    ]);
    if slo.budgeting.slice().is_none() && counts_events(slo) {
        steps.push(promql(
            "Bad events the whole budget allows at the current traffic",
            format!(
                "{total}{sel}\n* {on} {budget}{sel}\n* {on} {window}{sel}",
                total = series::TOTAL_RATE5M,
                budget = series::ERROR_BUDGET,
                window = series::WINDOW_SECONDS,
            ),
        ));
    }
    steps.extend(commands(&service.runbook.0));
    steps.extend(commands(&slo.runbook.0));
    steps
}

/// Whether the SLO's rules record its traffic (`slo:sli_total:rate5m`): SLIs that count events.
fn counts_events(slo: &Slo) -> bool {
    crate::emit::prometheus::sli_total_rate(slo, crate::vocab::duration::Duration::from_secs(300))
        .is_some()
}

/// What normal looks like: traffic against yesterday and last week's, for SLIs that count
/// events; otherwise the 5-minute ratio's average over the last week.
fn baseline_steps(slo: &Slo, sel: &str) -> Vec<Step> {
    if !counts_events(slo) {
        let what = if slo.budgeting.slice().is_some() {
            "share of bad slices"
        } else {
            "error ratio"
        };
        return vec![promql(
            format!("What healthy looks like: the 5m {what} averaged over the last week"),
            format!(
                "avg_over_time({}{sel}[1w])",
                series::error_ratio(crate::vocab::duration::Duration::from_secs(300))
            ),
        )];
    }
    let total = series::TOTAL_RATE5M;
    vec![
        promql(
            "Traffic now against the same time yesterday",
            format!("{total}{sel}\n/\n{total}{sel} offset 1d"),
        ),
        promql(
            "What healthy looks like: average traffic over the last week, in events per second",
            format!("avg_over_time({total}{sel}[1w])"),
        ),
    ]
}

/// The slow share and p99 of a native-histogram latency SLI.
fn native_latency_steps(
    slo: &Slo,
    metric: &str,
    matchers: &str,
    threshold: crate::vocab::duration::Duration,
) -> Vec<Step> {
    let (by, per) = match &slo.breakdown_by {
        Some(label) => (format!("sum by ({label}) "), format!(", by `{label}`")),
        None => ("sum".to_string(), String::new()),
    };
    let sum = format!(
        "{by}(rate({}[5m]))",
        crate::vocab::promql::selector(metric, matchers)
    );
    let seconds = crate::vocab::number::format_f64(threshold.as_secs_f64(), 3);
    vec![
        promql(
            format!("Share of requests slower than {threshold} over the last 5m{per}"),
            format!("1 - histogram_fraction(0, {seconds}, {sum})"),
        ),
        promql(
            format!("p99 latency over the last 5m, in seconds{per}"),
            format!("histogram_quantile(0.99, {sum})"),
        ),
    ]
}

/// Steps particular to the SLI: the top error contributors of a ratio SLI with a breakdown
/// label; the slow share and p99 of a latency SLI; the raw query; the value a threshold or
/// freshness SLI judges; and, for time slices, the verdict on the slice just ended.
fn sli_steps(slo: &Slo, sel: &str) -> Vec<Step> {
    use crate::model::Sli;
    let mut steps = match &slo.sli {
        Sli::Latency {
            metric,
            matchers,
            threshold,
            native: true,
        } => native_latency_steps(slo, metric, matchers, *threshold),
        Sli::Latency {
            metric,
            matchers,
            threshold,
            native: false,
        } => classic_latency_steps(slo, metric, matchers, *threshold),
        Sli::Raw { error_ratio } => vec![promql(
            "The SLI's own error ratio over the last 5m, each series it returns",
            with_window(error_ratio, FIVE_MINUTES),
        )],
        Sli::Threshold { .. } | Sli::Freshness { .. } => judged_steps(slo),
        Sli::Ratio { .. } => slo
            .breakdown_by
            .as_ref()
            .and_then(|label| {
                let expr = crate::emit::grafana::breakdown_query(slo, label)?;
                Some(promql(
                    format!("Top error contributors by `{label}`"),
                    format!("topk(10, {expr})"),
                ))
            })
            .into_iter()
            .collect(),
    };
    if let Some(slice) = slo.budgeting.slice() {
        let verdict = match slo.budgeting {
            crate::model::Budgeting::Timeslices { .. } => "1 bad, 0 good",
            _ => "its error ratio",
        };
        steps.push(promql(
            format!("The verdict on the {slice} slice just ended ({verdict}); graph it to see when slices went bad"),
            format!("{}{sel}", crate::emit::prometheus::SLICE_ERROR),
        ));
    }
    steps
}

const FIVE_MINUTES: crate::vocab::duration::Duration =
    crate::vocab::duration::Duration::from_secs(300);

/// The value a threshold or freshness SLI judges: now, and its worst over the last day.
fn judged_steps(slo: &Slo) -> Vec<Step> {
    let Some((query, good_op, bound)) = slo.sli.judged() else {
        return Vec::new();
    };
    let slice = slo.budgeting.slice().unwrap_or(FIVE_MINUTES);
    let query = with_window(&query, slice);
    let worst = if good_op.starts_with('<') {
        "max"
    } else {
        "min"
    };
    let (now, over_day) = match &slo.sli {
        crate::model::Sli::Freshness { max_age, .. } => (
            format!("Age of the last success now, in seconds (fresh while at most {max_age})"),
            "The oldest it has been over the last day, in seconds".to_string(),
        ),
        _ => (
            format!(
                "The measured value now (good when {})",
                code_span(&format!("{good_op} {}", format_decimal(bound)))
            ),
            "Its worst over the last day".to_string(),
        ),
    };
    vec![
        promql(now, query.clone()),
        promql(over_day, format!("{worst}_over_time(({query})[1d:1m])")),
    ]
}

/// The slow share and p99 of a classic-histogram latency SLI.
fn classic_latency_steps(
    slo: &Slo,
    metric: &str,
    matchers: &str,
    threshold: crate::vocab::duration::Duration,
) -> Vec<Step> {
    let sep = if matchers.is_empty() { "" } else { ", " };
    let (by, per) = match &slo.breakdown_by {
        Some(label) => (format!("sum by ({label}) "), format!(", by `{label}`")),
        None => ("sum".to_string(), String::new()),
    };
    let name = format!("{metric}_bucket");
    let bucket = |le: &str| {
        let series = crate::vocab::promql::selector(&name, &format!("{matchers}{sep}{le}"));
        format!("{by}(rate({series}[5m]))")
    };
    let le = slo
        .breakdown_by
        .as_ref()
        .map_or("le".to_string(), |l| format!("le, {l}"));
    vec![
        promql(
            format!("Share of requests slower than {threshold} over the last 5m{per}"),
            format!(
                "1 - {} / {}",
                bucket(&crate::emit::prometheus::le_matcher(threshold)),
                bucket("le=\"+Inf\"")
            ),
        ),
        promql(
            format!("p99 latency over the last 5m, in seconds{per}"),
            format!(
                "histogram_quantile(0.99, sum by ({le}) (rate({}[5m])))",
                crate::vocab::promql::selector(&name, matchers)
            ),
        ),
    ]
}

/// A URL as a Markdown link's target: the characters that would end or break `(...)` are
/// percent-encoded.
fn link_target(url: &str) -> String {
    let mut out = String::with_capacity(url.len());
    for c in url.chars() {
        match c {
            '(' => out.push_str("%28"),
            ')' => out.push_str("%29"),
            '<' => out.push_str("%3C"),
            '>' => out.push_str("%3E"),
            ' ' => out.push_str("%20"),
            c => out.push(c),
        }
    }
    out
}

/// One SLO's runbook content, converted once for both templates.
pub(crate) struct Runbook(crate::emit::templates::Data);

impl Runbook {
    /// Prepares the runbook of `slo`.
    pub(crate) fn new(service: &Service, slo: &Slo, links: &Links) -> Self {
        Self(crate::emit::templates::Data::new(&context(
            service, slo, links,
        )))
    }

    /// The generated region (without markers).
    pub(crate) fn region(&self, templates: &Templates) -> Result<String, Error> {
        let text = templates.render(crate::emit::templates::RUNBOOK_GENERATED, &self.0)?;
        // A marker inside user text (a query that quotes one) would end the region early and
        // leave the runbook unrefreshable: a space keeps it from reading as a marker.
        let mut text = if text.contains(MARKER_STEM) {
            text.replace(MARKER_STEM, "slocc: generated")
        } else {
            text
        };
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(text)
    }

    /// A new runbook around the marked region.
    pub(crate) fn scaffold(
        mut self,
        templates: &Templates,
        marked_region: &str,
    ) -> Result<String, Error> {
        #[derive(Serialize)]
        struct Scaffold<'a> {
            generated: &'a str,
        }
        self.0.set(&Scaffold {
            generated: marked_region,
        });
        let mut text = templates.render(crate::emit::templates::RUNBOOK_SCAFFOLD, &self.0)?;
        if !text.ends_with('\n') {
            text.push('\n');
        }
        Ok(text)
    }
}

/// One runbook and what to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunbookPlan {
    /// Path relative to the runbooks directory.
    pub(crate) path: String,
    /// Create, refresh, nothing, or leave alone because of broken markers.
    pub(crate) update: Update,
    /// The runbook of a previous name the new one is carried over from (relative path).
    pub(crate) carried_from: Option<String>,
}

/// Works out one runbook's update by reading what is on disk; writes nothing.
fn plan(
    service: &Service,
    slo: &Slo,
    links: &Links,
    templates: &Templates,
    dir: &Path,
) -> Result<RunbookPlan, crate::emit::Error> {
    let path = relative_path(service, slo);
    let mut carried_from = None;
    let mut existing = read_if_there(dir, &path)?;
    // A renamed SLO (`previous_names`) takes over the runbook people filled in under its
    // old name; the old file stays (reported as orphaned) for them to delete.
    for old in &slo.previous_names {
        if existing.is_some() {
            break;
        }
        let old_path = format!("{}/{old}.md", service.name);
        existing = read_if_there(dir, &old_path)?;
        carried_from = existing.as_ref().map(|_| old_path);
    }
    let runbook = Runbook::new(service, slo, links);
    let region = runbook.region(templates)?;
    let mut scaffold_error = None;
    let update = update(existing.as_deref(), &region, |marked| {
        runbook.scaffold(templates, marked).unwrap_or_else(|e| {
            scaffold_error = Some(e);
            String::new()
        })
    });
    let update = match (&carried_from, update) {
        (Some(_), Update::Refresh(text) | Update::Create(text)) => Update::Create(text),
        // Carried as it is: unchanged, or with broken markers that the new path then reports.
        (Some(_), Update::UpToDate | Update::Markers(_)) => {
            Update::Create(existing.unwrap_or_default())
        }
        (None, update) => update,
    };
    match scaffold_error {
        Some(e) => Err(e.into()),
        None => Ok(RunbookPlan {
            path,
            update,
            carried_from,
        }),
    }
}

/// The text of `relative` in `dir`, `None` when there is no such file.
fn read_if_there(dir: &Path, relative: &str) -> Result<Option<String>, crate::emit::Error> {
    match std::fs::read_to_string(dir.join(relative)) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => {
            let path = crate::vocab::path::display(&dir.join(relative));
            Err(crate::emit::Error::Io { path, source })
        }
    }
}

/// A runbook in a service's directory that no SLO of the service has (a renamed or removed
/// SLO's), with the SLO whose `previous_names` name it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Orphan {
    /// Path relative to the runbooks directory.
    pub(crate) path: String,
    /// The runbook of the SLO it was renamed to (relative path).
    pub(crate) renamed_to: Option<String>,
}

/// The orphaned runbooks of `service` in `dir`, given every SLO the service's spec has (name
/// and previous names: all of them, whatever a run selects), in name order; none when its
/// directory is missing or unreadable (nothing there to lose).
pub(crate) fn orphans(service: &str, slos: &[(String, Vec<String>)], dir: &Path) -> Vec<Orphan> {
    let Ok(entries) = std::fs::read_dir(dir.join(service)) else {
        return Vec::new();
    };
    let mut out: Vec<Orphan> = entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| Some(name.strip_suffix(".md")?.to_string()))
        .filter(|stem| !slos.iter().any(|(name, _)| name == stem))
        .map(|stem| Orphan {
            path: format!("{service}/{stem}.md"),
            renamed_to: slos
                .iter()
                .find(|(_, previous)| previous.contains(&stem))
                .map(|(name, _)| format!("{service}/{name}.md")),
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// The plans of one service's runbooks in `dir`, SLO by SLO; writes nothing.
pub(crate) fn plan_service(
    service: &Service,
    templates: &Templates,
    dir: &Path,
) -> Result<Vec<RunbookPlan>, crate::emit::Error> {
    plan_with(service, &crate::emit::links::of(service), templates, dir)
}

fn plan_with(
    service: &Service,
    links: &Links,
    templates: &Templates,
    dir: &Path,
) -> Result<Vec<RunbookPlan>, crate::emit::Error> {
    let plans = service.slos.iter();
    plans
        .map(|slo| plan(service, slo, links, templates, dir))
        .collect()
}

/// Runbooks, as an artifact kind: with a runbooks directory, each SLO's runbook as it should be
/// on disk (human text kept), and the plan of each.
pub(crate) fn emit(
    service: &Service,
    cx: &crate::emit::Context,
    out: &mut crate::emit::Emission<'_>,
) -> Result<(), crate::emit::Error> {
    let Some(dir) = cx.runbooks.as_deref() else {
        return Ok(());
    };
    let links = out
        .links
        .take()
        .unwrap_or_else(|| crate::emit::links::of(service));
    for mut plan in plan_with(service, &links, &cx.templates, dir)? {
        if let Update::Create(text) | Update::Refresh(text) = &mut plan.update {
            out.region(plan.path.clone(), std::mem::take(text))?;
        }
        out.plans.push(plan);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_file(region: &str) -> String {
        format!("# Title\n\nhand notes above\n\n{region}\n\n## Mitigation\n- my step\n")
    }

    #[test]
    fn creates_then_refreshes_only_the_region() {
        let Update::Create(first) = update(None, "v1\n", new_file) else {
            panic!("expected a new file")
        };
        assert!(first.contains(&format!("{BEGIN}\nv1\n{END}")));
        assert_eq!(update(Some(&first), "v1\n", new_file), Update::UpToDate);

        let edited = first.replace("hand notes above", "hand notes above, edited")
            + "\n## Incident 2026-11-01\nwhat we learned\n";
        let Update::Refresh(second) = update(Some(&edited), "v2\n", new_file) else {
            panic!("expected a refresh")
        };
        assert!(second.contains("hand notes above, edited"));
        assert!(second.contains("## Incident 2026-11-01\nwhat we learned\n"));
        assert!(second.contains(&format!("{BEGIN}\nv2\n{END}")));
        assert!(!second.contains("v1"));
    }

    #[test]
    fn broken_markers_leave_the_file_alone() {
        let cases = [
            ("no markers at all\n".to_string(), "removed"),
            (format!("{END}\n{BEGIN}\n"), "before"),
            (format!("{BEGIN}\n{BEGIN}\n{END}\n"), "2 begin"),
            (format!("{BEGIN}\nno end\n"), "0 end"),
        ];
        for (text, why) in cases {
            match update(Some(&text), "v\n", new_file) {
                Update::Markers(problem) => assert!(problem.contains(why), "{problem}"),
                other => panic!("{text:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn markdown_escaping_and_fences() {
        assert_eq!(
            markdown("a *b* [c](d) | e #1 <x>"),
            r"a \*b\* \[c\](d) \| e \#1 \<x\>"
        );
        assert_eq!(markdown("two\nlines"), "two lines");
        assert_eq!(
            markdown("bell\u{7} esc\u{1b}[31m"),
            "bell\u{fffd} esc\u{fffd}\\[31m"
        );
        assert_eq!(fence("plain"), "```");
        assert_eq!(fence("has ```` four"), "`````");
    }
}
