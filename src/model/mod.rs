//! Validated model: exact objectives, budgets, windows and burn-rate tiers; the only input emitters see.

pub(crate) mod check;
pub(crate) mod diags;
pub(crate) mod select;
pub(crate) mod validate;

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::vocab::duration::Duration;
use crate::vocab::number::to_f64;
use crate::vocab::promql::Grouping;

/// Which peer's output to reproduce; the command line's `--compat` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compat {
    /// Sloth: `slo:sli_error:ratio_rate<window>` and metadata series with `sloth_id`,
    /// `sloth_service`, `sloth_slo` and `sloth_window` labels, `sloth_slo_info`, and one page and
    /// one ticket alert per SLO (labelled `sloth_severity`) that OR their window pairs.
    Sloth,
    /// Pyrra: `<metric>:burnrate<window>` series labelled `slo`, Pyrra's generic series
    /// (`pyrra_objective`, `pyrra_availability`, ...), and one alert per window pair labelled
    /// `severity` (`critical`/`warning`), `long`, `short` and `exhaustion`, with Pyrra's window
    /// scaling and `for:`.
    Pyrra,
}

impl Compat {
    /// Every value `compat` accepts, as written.
    pub(crate) const NAMES: &'static [&'static str] = &["sloth", "pyrra"];

    /// The value as written in settings and on the command line.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "sloth" => Some(Self::Sloth),
            "pyrra" => Some(Self::Pyrra),
            _ => None,
        }
    }
}

/// The language the specs' queries are written in (`query_language` in the settings; `compile
/// --target` decides for the engine it compiles for).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum QueryLanguage {
    /// PromQL: what PromQL cannot parse is an error.
    #[default]
    PromQL,
    /// MetricsQL (VictoriaMetrics, vmalert): what PromQL cannot parse is kept as written, with a
    /// warning that slocc could not check it.
    MetricsQL,
}

impl QueryLanguage {
    /// Every value `query_language` accepts, as written.
    pub(crate) const NAMES: &'static [&'static str] = &["promql", "metricsql"];

    /// The value as written in the settings.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "promql" => Some(Self::PromQL),
            "metricsql" => Some(Self::MetricsQL),
            _ => None,
        }
    }
}

/// A validated service.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// Name: safe for file names and label values.
    pub(crate) name: String,
    /// Owning team.
    pub(crate) owner: Option<String>,
    /// Escalation contact.
    pub(crate) escalation: Option<String>,
    /// Where the runbooks are served: links are `<base>/<service>/<slo>.md`.
    pub(crate) runbook_base_url: Option<String>,
    /// Where the repository's files are served (the settings' `runbook_base_url`): links are
    /// `<base>/<runbooks dir>/<service>/<slo>.md`.
    pub(crate) repository_url: Option<String>,
    /// Grafana's base URL, for absolute dashboard links (from the settings).
    pub(crate) grafana_url: Option<String>,
    /// Labels on every series and alert.
    pub(crate) labels: BTreeMap<String, String>,
    /// A peer's series and alert layout to emit (the settings' `compat`).
    pub(crate) compat: Option<crate::model::Compat>,
    /// The run's receivers' integrations (the settings', shared by every service).
    pub(crate) deliveries: std::sync::Arc<Deliveries>,
    /// Steps every runbook of the service lists: (diagnosis, mitigation).
    pub(crate) runbook: (Vec<Step>, Vec<Step>),
    /// SLOs in spec order.
    pub(crate) slos: Vec<Slo>,
    /// The spec file, as given on the command line.
    pub(crate) source: String,
}

/// One runbook step: what it does and, usually, the command that does it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    /// What the step does.
    pub(crate) title: String,
    /// A shell command.
    pub(crate) command: Option<String>,
}

/// Runbook steps: (diagnosis, mitigation).
pub(crate) type Steps = (Vec<Step>, Vec<Step>);

/// A validated SLO.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Slo {
    /// Name, unique within the service.
    pub(crate) name: String,
    /// Names it had before, newest first as written (`previous_names`): a renamed SLO's
    /// runbook is carried over from the first of them that has one.
    pub(crate) previous_names: Vec<String>,
    /// Steps its runbook lists after the service's.
    pub(crate) runbook: Steps,
    /// The mean time to recover the team aims for, which `backtest` measures against.
    pub(crate) mttr: Option<Duration>,
    /// What it promises.
    pub(crate) description: Option<String>,
    /// Objective in percent, exactly as written (99.9).
    pub(crate) objective_percent: Decimal,
    /// Rolling window.
    pub(crate) window: Duration,
    /// Labels on every series and alert of this SLO (over the service's labels).
    pub(crate) labels: BTreeMap<String, String>,
    /// The indicator.
    pub(crate) sli: Sli,
    /// Alert name shared by every tier.
    pub(crate) alert_name: String,
    /// Labels on every alert of the SLO (spec labels, not slocc's).
    pub(crate) alert_labels: BTreeMap<String, String>,
    /// Annotations on every alert of the SLO.
    pub(crate) alert_annotations: BTreeMap<String, String>,
    /// Enabled tiers that can fire, page first, then by long window.
    pub(crate) tiers: Vec<Tier>,
    /// Labels the SLI keeps after aggregation, when known.
    pub(crate) grouping: Grouping,
    /// Label the dashboard breaks errors down by (ratio SLIs).
    pub(crate) breakdown_by: Option<String>,
    /// Low-traffic guard: a tier fires only with at least this many bad events in its long
    /// window (the workbook's remedy for services where one failure is a huge burn).
    pub(crate) min_events: Option<u64>,
    /// Expected events per second, as the spec states it (for `audit` and `explain`).
    pub(crate) expected_traffic: Option<f64>,
    /// Tiers of the policy left out because they can never fire, described ("page 1h/5m").
    pub(crate) dead_tiers: Vec<String>,
    /// Every window of the SLO's alert policy, sorted, disabled and dead tiers' included: the
    /// windows Sloth records for every SLO, which `--compat sloth` records too.
    pub(crate) policy_windows: Vec<Duration>,
    /// How the budget is counted.
    pub(crate) budgeting: Budgeting,
    /// The calendar period the budget resets at, for a calendar window.
    pub(crate) calendar: Option<Calendar>,
    /// The alert for an SLI that returns nothing (on unless the spec turns it off).
    pub(crate) no_data: Option<NoData>,
}

/// The alert that fires when an SLO's SLI has returned no series at all for a while: a metric
/// renamed, a scrape target gone, a relabelling that dropped it. Its burn-rate alerts are blind
/// meanwhile, and unknown is not healthy.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NoData {
    /// The alert name (`SLOMetricAbsent`, Pyrra's, unless the spec names another).
    pub(crate) name: String,
    /// Whom it alerts: the class of the SLO's most urgent tier unless the spec says.
    pub(crate) class: SeverityClass,
    /// How long the SLI must return nothing first.
    pub(crate) for_duration: Duration,
    /// Labels beyond the SLO's alert labels.
    pub(crate) labels: BTreeMap<String, String>,
    /// Annotations beyond the SLO's.
    pub(crate) annotations: BTreeMap<String, String>,
}

/// A calendar window: the budget resets when the period turns over, in a time zone's offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Calendar {
    /// Day, week, month or quarter.
    pub(crate) period: CalendarPeriod,
    /// Seconds added to UTC for periods to start at midnight: the time zone's offset east of
    /// UTC less the time of day periods start (`+02:00` starting at noon: 7200 - 43200).
    pub(crate) offset_secs: i32,
    /// A daylight-saving zone's offset changes ([`crate::vocab::timezone::Zone`]): the UTC
    /// second each takes effect and the change in seconds; `offset_secs` is the offset before
    /// the first. Empty for a fixed offset.
    pub(crate) changes: Vec<(i64, i32)>,
    /// Weeks: days after Monday they start (0 Monday .. 6 Sunday). Quarters: months after
    /// January, April, July and October they start (0..2).
    pub(crate) shift: u32,
}

/// The length of a calendar window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CalendarPeriod {
    /// A day.
    Day,
    /// Seven days.
    Week,
    /// A calendar month.
    Month,
    /// Three calendar months.
    Quarter,
}

/// How an SLO counts its budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Budgeting {
    /// Bad events over all events (the workbook's, and the default).
    #[default]
    Occurrences,
    /// Bad slices over all slices: a slice is bad when its good ratio is under `target`.
    Timeslices {
        /// Slice length.
        slice: Duration,
        /// Good ratio a slice needs.
        target: Decimal,
    },
    /// The average of the slices' error ratios.
    RatioTimeslices {
        /// Slice length.
        slice: Duration,
    },
}

impl Budgeting {
    /// The slice length, for time-slice budgeting.
    pub(crate) fn slice(&self) -> Option<Duration> {
        match self {
            Self::Occurrences => None,
            Self::Timeslices { slice, .. } | Self::RatioTimeslices { slice } => Some(*slice),
        }
    }
}

impl Slo {
    /// Objective as a ratio (0.999).
    pub(crate) fn objective(&self) -> Decimal {
        self.objective_percent / Decimal::ONE_HUNDRED
    }

    /// Error budget as a ratio (0.001).
    pub(crate) fn budget(&self) -> Decimal {
        Decimal::ONE - self.objective()
    }

    /// Seconds of full outage the budget allows over the window (43m12s at 99.9% over 30d).
    pub(crate) fn full_outage_budget_secs(&self) -> f64 {
        to_f64(self.budget()) * self.window.as_secs_f64()
    }

    /// The severity classes of its tiers, each once, in tier order.
    pub(crate) fn classes(&self) -> Vec<&SeverityClass> {
        let mut classes: Vec<&SeverityClass> = Vec::new();
        for tier in &self.tiers {
            if !classes.iter().any(|c| c.name == tier.class.name) {
                classes.push(&tier.class);
            }
        }
        classes
    }

    /// Every window the alert tiers read, shortest first, without repeats.
    pub(crate) fn alert_windows(&self) -> Vec<Duration> {
        let mut windows: Vec<Duration> =
            self.tiers.iter().flat_map(|t| [t.long, t.short]).collect();
        windows.sort();
        windows.dedup();
        windows
    }
}

/// A validated SLI.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Sli {
    /// Event ratio.
    Ratio {
        /// Bad or good events per second, with the window placeholder.
        events: EventQuery,
        /// All events per second, with the window placeholder.
        total: String,
    },
    /// Share of requests slower than `threshold`.
    Latency {
        /// Histogram base name, without `_bucket`.
        metric: String,
        /// Matchers inside the braces, without `le` (may be empty).
        matchers: String,
        /// Threshold; a bucket boundary of a classic histogram.
        threshold: Duration,
        /// A native histogram (`histogram_fraction` under the threshold), not `_bucket` series.
        native: bool,
    },
    /// An error-ratio query with the window placeholder.
    Raw {
        /// The query.
        error_ratio: String,
    },
    /// A value judged against a bound per time slice (time-slice budgeting only).
    Threshold {
        /// The query (`{{window}}`, if written, becomes the slice).
        query: String,
        /// The comparison that makes a value good: `<`, `<=`, `>` or `>=`.
        good_op: &'static str,
        /// The bound.
        value: Decimal,
    },
    /// Time since the last success against a bound, judged per time slice.
    Freshness {
        /// The Unix time, in seconds, of the last success.
        last_success: String,
        /// The oldest the last success may be and still count as fresh.
        max_age: Duration,
    },
}

impl Sli {
    /// What a slice judges for an SLI that compares a value with a bound: the query (with the
    /// window placeholder, if written), the comparison a good value meets, and the bound. A
    /// freshness SLI is the age of its last success, good while at most `max_age`.
    pub(crate) fn judged(&self) -> Option<(String, &'static str, Decimal)> {
        match self {
            Self::Threshold {
                query,
                good_op,
                value,
            } => Some((query.clone(), good_op, *value)),
            Self::Freshness {
                last_success,
                max_age,
            } => Some((
                format!("time() - ({last_success})"),
                "<=",
                Decimal::from(max_age.as_millis()) / Decimal::from(1_000),
            )),
            _ => None,
        }
    }
}

/// The numerator of a ratio SLI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum EventQuery {
    /// Bad events per second.
    Errors(String),
    /// Good events per second.
    Good(String),
}

/// How urgently a tier wants a person: page (now, day or night) or ticket (working hours).
/// Not a diagnostic severity ([`crate::diag::Severity`]); the alert label that carries it is
/// still called `severity`, as Prometheus and Alertmanager users expect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Urgency {
    /// Wake someone up.
    Page,
    /// Look at it in working hours.
    Ticket,
}

impl Urgency {
    /// `page` or `ticket`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Page => "page",
            Self::Ticket => "ticket",
        }
    }
}

/// A severity class: what an alert's `severity` label says, how fast someone must respond,
/// whether it wakes them, and where Alertmanager sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SeverityClass {
    /// The `severity` label's value (`page`, `P1`, `sev2`).
    pub(crate) name: String,
    /// Expected response, in words ("within 1 hour").
    pub(crate) response: String,
    /// Whether it wakes someone (a page) or waits for working hours (a ticket).
    pub(crate) page: bool,
    /// Alertmanager receiver.
    pub(crate) receiver: String,
    /// The service's own receiver for the class (`receivers:` in its spec), over `receiver`.
    /// Carried by the class so that it follows a tier whose `severity` label is renamed.
    pub(crate) team_receiver: Option<String>,
    /// How often Alertmanager repeats a notification while the alert fires.
    pub(crate) repeat_interval: Duration,
    /// How long Alertmanager gathers changes to a notified incident before it sends an update.
    pub(crate) group_interval: Duration,
    /// The class's place in the settings' `severities`: a lower rank is more urgent.
    pub(crate) rank: usize,
}

impl SeverityClass {
    /// The class a tier has when no settings say otherwise: `page` or `ticket`.
    pub(crate) fn default_for(urgency: Urgency) -> Self {
        let page = urgency == Urgency::Page;
        Self {
            name: urgency.as_str().to_string(),
            response: default_response(page).to_string(),
            page,
            receiver: urgency.as_str().to_string(),
            team_receiver: None,
            repeat_interval: default_repeat(page),
            group_interval: default_repeat(page),
            rank: usize::from(!page),
        }
    }

    /// The receiver the class's alerts reach: the service's own, else the class's.
    pub(crate) fn delivered_to(&self) -> &str {
        self.team_receiver.as_deref().unwrap_or(&self.receiver)
    }
}

/// What a class promises when its settings do not say.
pub(crate) fn default_response(page: bool) -> &'static str {
    if page {
        "now, day or night"
    } else {
        "within working hours"
    }
}

/// How often a firing alert is notified again when the class does not say: hourly for pages,
/// daily for tickets.
pub(crate) fn default_repeat(page: bool) -> Duration {
    Duration::from_secs(if page { 3_600 } else { 86_400 })
}

/// Settings shared by every spec of a run, validated (defaults when no settings document).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Settings {
    /// Every class, in the order written.
    pub(crate) classes: Vec<SeverityClass>,
    /// Index of the class the page tiers get.
    pub(crate) page: usize,
    /// Index of the class the ticket tiers get.
    pub(crate) ticket: usize,
    /// Grafana's base URL, without a trailing `/`.
    pub(crate) grafana_url: Option<String>,
    /// Where the repository's files are served, without a trailing `/` (runbook links of
    /// services that set no base of their own go to `<base>/<runbooks dir>/...`).
    pub(crate) runbook_base_url: Option<String>,
    /// Window of SLOs that do not say theirs.
    pub(crate) default_window: Duration,
    /// A peer's series and alert layout for every service (`compat: sloth`).
    pub(crate) compat: Option<crate::model::Compat>,
    /// Whether `compat` comes from the command line, which a spec's own `compat` does not
    /// override.
    pub(crate) compat_forced: bool,
    /// The language of the specs' queries.
    pub(crate) query_language: QueryLanguage,
    /// Today (Unix seconds), to warn when a time zone's written offset changes near their end;
    /// zero: never.
    pub(crate) today: i64,
    /// Alert-window policies by SLO window, for SLOs that list no windows of their own.
    pub(crate) policies: BTreeMap<Duration, Vec<validate::PolicyEntry>>,
    /// Receivers' integrations declared in the settings, by receiver name.
    pub(crate) deliveries: std::sync::Arc<Deliveries>,
}

/// Receivers' integrations by receiver name (empty: the settings declare none, and the routes
/// are merged into a configuration of the user's own).
pub(crate) type Deliveries = BTreeMap<String, Delivery>;

/// One receiver's integrations, as the settings declare them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Delivery {
    /// `webhook_configs: [...]` and the like, as Alertmanager reads them.
    pub(crate) integrations: serde_json::Map<String, serde_json::Value>,
    /// Where the receiver is declared.
    pub(crate) location: crate::diag::Location,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            classes: vec![
                SeverityClass::default_for(Urgency::Page),
                SeverityClass::default_for(Urgency::Ticket),
            ],
            page: 0,
            ticket: 1,
            grafana_url: None,
            runbook_base_url: None,
            default_window: Duration::from_secs(30 * 86_400),
            compat: None,
            compat_forced: false,
            query_language: QueryLanguage::PromQL,
            today: 0,
            policies: BTreeMap::new(),
            deliveries: Default::default(),
        }
    }
}

impl Settings {
    /// The class a tier of `urgency` gets unless its SLO says otherwise.
    pub(crate) fn class_for(&self, urgency: Urgency) -> &SeverityClass {
        &self.classes[match urgency {
            Urgency::Page => self.page,
            Urgency::Ticket => self.ticket,
        }]
    }
}

/// One multi-window burn-rate tier.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Tier {
    /// Page or ticket: which of the SLO's tier settings apply.
    pub(crate) severity: Urgency,
    /// Its severity class (the `severity` label, response time, receiver).
    pub(crate) class: SeverityClass,
    /// Long window: gives significance.
    pub(crate) long: Duration,
    /// Short window: makes the alert stop soon after recovery.
    pub(crate) short: Duration,
    /// Share of the budget spent within `long` when the tier fires, in percent.
    pub(crate) budget_percent: Decimal,
    /// Burn factor k = budget share x SLO window / long window.
    pub(crate) factor: Decimal,
    /// Error-ratio threshold k x budget, both windows must exceed it.
    pub(crate) threshold: Decimal,
    /// `for:` on the alert.
    pub(crate) for_duration: Option<Duration>,
    /// Labels of this tier's alert, beyond slocc's own and the SLO's.
    pub(crate) labels: BTreeMap<String, String>,
    /// Annotations of this tier's alert, beyond the SLO's.
    pub(crate) annotations: BTreeMap<String, String>,
}

impl Tier {
    /// Seconds from the start of a steady error ratio `error_ratio` until the long window
    /// crosses the threshold: `(threshold / error_ratio) x long`; `None` when it never does.
    /// The short window, being shorter, crosses first.
    pub(crate) fn time_to_fire_secs(&self, error_ratio: f64) -> Option<f64> {
        self.time_to_cross_secs(0.0, error_ratio)
    }

    /// Seconds until the long window crosses the threshold when a steady error ratio `from`,
    /// held for a whole long window, steps up to `to`: the window's ratio rises by
    /// `(to - from) / long` a second and must rise `threshold - from`, so
    /// `(threshold - from) / (to - from) x long` (the workbook's formula when `from` is 0).
    pub(crate) fn time_to_cross_secs(&self, from: f64, to: f64) -> Option<f64> {
        let threshold = to_f64(self.threshold);
        (to > threshold && from < threshold)
            .then(|| (threshold - from) / (to - from) * self.long.as_secs_f64())
    }

    /// Share of the SLO's budget spent when the tier fires at a full outage: k x long / window.
    pub(crate) fn budget_spent_at_fire(&self, slo_window: Duration) -> f64 {
        to_f64(self.factor) * self.long.as_secs_f64() / slo_window.as_secs_f64()
    }

    /// Seconds until the whole budget is gone at exactly this tier's burn rate: window / k.
    pub(crate) fn exhaustion_secs(&self, slo_window: Duration) -> f64 {
        slo_window.as_secs_f64() / to_f64(self.factor)
    }
}

/// The SRE workbook's default policy: (severity, budget %, long window, short window).
pub(crate) const DEFAULT_POLICY: [(Urgency, u32, u64, u64); 4] = [
    (Urgency::Page, 2, 3_600, 300),
    (Urgency::Page, 5, 6 * 3_600, 30 * 60),
    (Urgency::Ticket, 10, 86_400, 2 * 3_600),
    (Urgency::Ticket, 10, 3 * 86_400, 6 * 3_600),
];

/// Burn factor k = (budget_percent / 100) x window / long.
pub(crate) fn burn_factor(budget_percent: Decimal, window: Duration, long: Duration) -> Decimal {
    budget_percent / Decimal::ONE_HUNDRED * Decimal::from(window.as_millis())
        / Decimal::from(long.as_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vocab::number::format_decimal;

    fn days(n: u64) -> Duration {
        Duration::from_secs(n * 86_400)
    }

    #[test]
    fn workbook_factors_for_30d_and_28d() {
        let factors = |window| -> Vec<String> {
            DEFAULT_POLICY
                .iter()
                .map(|(_, pct, long, _)| {
                    format_decimal(burn_factor(
                        Decimal::from(*pct),
                        window,
                        Duration::from_secs(*long),
                    ))
                })
                .collect()
        };
        assert_eq!(factors(days(30)), ["14.4", "6", "3", "1"]);
        assert_eq!(
            factors(days(28)),
            ["13.44", "5.6", "2.8", "0.933333333333333"]
        );
    }

    #[test]
    fn tier_timing_matches_the_workbook() {
        let factor = burn_factor(Decimal::from(2), days(30), Duration::from_secs(3_600));
        let tier = Tier {
            severity: Urgency::Page,
            class: SeverityClass::default_for(Urgency::Page),
            long: Duration::from_secs(3_600),
            short: Duration::from_secs(300),
            budget_percent: Decimal::from(2),
            factor,
            threshold: factor * Decimal::new(1, 3),
            for_duration: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
        };
        // Full outage at 99.9%: fires after 0.0144 x 1h = 51.84 s, having spent 2% of the budget.
        assert!((tier.time_to_fire_secs(1.0).unwrap() - 51.84).abs() < 1e-9);
        assert!((tier.budget_spent_at_fire(days(30)) - 0.02).abs() < 1e-12);
        assert!((tier.exhaustion_secs(days(30)) - 180_000.0).abs() < 1e-6);
        assert_eq!(tier.time_to_fire_secs(0.01), None);
    }
}
