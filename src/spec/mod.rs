//! Spec stage: what a `slocc/v1` document says, field by field with positions, before any checking of meaning.

pub(crate) mod convert;
pub(crate) mod convert_settings;
pub(crate) mod diags;
pub(crate) mod import;
mod percentiles;
pub(crate) mod read;
pub(crate) mod receivers;
pub(crate) mod schema;
pub(crate) mod settings;
pub(crate) mod yaml;

use crate::diag::{Diagnostics, Location};
use crate::spec::yaml::{location_of, Document, Fields, Spanned};

/// The one native format version.
pub(crate) const API_VERSION: &str = "slocc/v1";

pub(crate) type Text = Spanned<String>;
pub(crate) type Pairs = Vec<(Text, Text)>;

/// One service as written.
#[derive(Debug, Clone)]
pub(crate) struct ServiceSpec {
    /// Service name.
    pub(crate) service: Option<Text>,
    /// Owning team.
    pub(crate) owner: Option<Text>,
    /// Who to escalate to.
    pub(crate) escalation: Option<Text>,
    /// Base URL that runbook links are built on.
    pub(crate) runbook_base_url: Option<Text>,
    /// Labels added to every series and alert.
    pub(crate) labels: Pairs,
    /// Steps the runbooks of every SLO list.
    pub(crate) runbook: RunbookSpec,
    /// Alertmanager receivers of this service's alerts, by severity class.
    pub(crate) receivers: Pairs,
    /// A peer's series and alert layout for this service (`sloth`, `pyrra`), over the settings'.
    pub(crate) compat: Option<Text>,
    /// The SLOs.
    pub(crate) slos: Vec<SloSpec>,
    /// Whether other documents may add SLOs to the same service: Sloth reads every document on
    /// its own, so a Sloth service may be spread over several files or documents.
    pub(crate) adds_up: bool,
    /// Where the document starts.
    pub(crate) location: Location,
}

impl ServiceSpec {
    /// A service as an import gives it: a name and SLOs, none of the native-only fields.
    pub(crate) fn imported(service: Option<Text>, slos: Vec<SloSpec>, location: Location) -> Self {
        Self {
            service,
            owner: None,
            escalation: None,
            runbook_base_url: None,
            labels: Vec::new(),
            runbook: RunbookSpec::default(),
            receivers: Vec::new(),
            compat: None,
            slos,
            adds_up: false,
            location,
        }
    }
}

/// A service's runbook steps as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunbookSpec {
    /// Steps to find the cause.
    pub(crate) diagnosis: Vec<StepSpec>,
    /// Steps to stop the damage.
    pub(crate) mitigation: Vec<StepSpec>,
}

/// One runbook step: what to do, and the command that does it.
#[derive(Debug, Clone)]
pub(crate) struct StepSpec {
    /// What the step does.
    pub(crate) title: Option<Text>,
    /// A shell command.
    pub(crate) command: Option<Text>,
}

/// One SLO as written.
#[derive(Debug, Clone)]
pub(crate) struct SloSpec {
    /// SLO name.
    pub(crate) name: Option<Text>,
    /// What it promises, in words.
    pub(crate) description: Option<Text>,
    /// Objective in percent, as written (kept as text so it stays exact).
    pub(crate) objective: Option<Text>,
    /// Rolling window.
    pub(crate) window: Option<Text>,
    /// Labels on every series and alert of this SLO, over the service's.
    pub(crate) labels: Pairs,
    /// The indicator.
    pub(crate) sli: Option<SliSpec>,
    /// Alerting settings.
    pub(crate) alerting: AlertingSpec,
    /// Time-slice budgeting, when the SLO counts good slices rather than good events.
    pub(crate) budgeting: Option<BudgetingSpec>,
    /// A calendar-aligned window instead of a rolling one.
    pub(crate) calendar: Option<CalendarSpec>,
    /// Names the SLO had before (its runbook is carried over from the newest one that has one).
    pub(crate) previous_names: Vec<Text>,
    /// Steps this SLO's runbook lists after the service's.
    pub(crate) runbook: RunbookSpec,
    /// The mean time to recover the team aims for (`backtest` measures it).
    pub(crate) mttr: Option<Text>,
    /// Where the SLO's mapping starts.
    pub(crate) location: Location,
}

/// A calendar window as written: `day`, `week`, `month` or `quarter`, in a fixed UTC offset.
#[derive(Debug, Clone)]
pub(crate) struct CalendarSpec {
    /// `week`, `month` or `quarter`.
    pub(crate) period: Option<Text>,
    /// `UTC` or an offset such as `+02:00`.
    pub(crate) time_zone: Option<Text>,
    /// Weeks only: the day they start (`monday` unless given).
    pub(crate) week_start: Option<Text>,
    /// The time of day periods start, `HH:MM` (midnight unless given).
    pub(crate) start_time: Option<Text>,
    /// Where `calendar` is written.
    pub(crate) location: Location,
}

/// How the budget is counted, as written: `occurrences` (events), `timeslices` (share of good
/// slices, a slice good when its good ratio meets `slice_target`) or `ratio_timeslices` (the
/// average of the slices' good ratios).
#[derive(Debug, Clone)]
pub(crate) struct BudgetingSpec {
    /// `occurrences`, `timeslices` or `ratio_timeslices`.
    pub(crate) method: Option<Text>,
    /// Slice length.
    pub(crate) slice: Option<Text>,
    /// Good ratio a slice needs to be good (timeslices).
    pub(crate) slice_target: Option<Text>,
    /// Where `budgeting` is written.
    pub(crate) location: Location,
}

/// An SLI as written: exactly one kind.
#[derive(Debug, Clone)]
pub(crate) enum SliSpec {
    /// Bad (or good) events over all events.
    Ratio {
        /// Query for bad events per second.
        errors: Option<Text>,
        /// Query for good events per second (instead of `errors`).
        good: Option<Text>,
        /// Query for all events per second.
        total: Option<Text>,
        /// Label the dashboard breaks errors down by.
        breakdown_by: Option<Text>,
        /// Where `ratio:` is.
        location: Location,
    },
    /// Share of histogram observations slower than a threshold.
    Latency {
        /// Histogram base name (without `_bucket`).
        metric: Option<Text>,
        /// Label matchers, `{job="api"}`.
        selector: Option<Text>,
        /// Threshold duration, matching a bucket boundary.
        threshold: Option<Text>,
        /// Label the runbook breaks slow requests down by.
        breakdown_by: Option<Text>,
        /// `true`: a native histogram (no `_bucket` series, no `le`), read with
        /// `histogram_fraction` and `histogram_count`.
        native: Option<crate::spec::yaml::Spanned<bool>>,
    },
    /// A query that is already an error ratio.
    Raw {
        /// The error-ratio query.
        error_ratio: Option<Text>,
    },
    /// A value compared with a bound (a p95 latency under 300ms), judged per time slice.
    Threshold {
        /// The query.
        query: Option<Text>,
        /// `lt`, `lte`, `gt` or `gte`: how a good value compares with `value`.
        op: Option<Text>,
        /// The bound.
        value: Option<Text>,
    },
    /// Time since the last success (of a batch job, a sync, an export) against a bound.
    Freshness {
        /// A query returning the Unix time, in seconds, of the last success.
        last_success: Option<Text>,
        /// The oldest the last success may be and still count as fresh.
        max_age: Option<Text>,
    },
}

/// Alerting as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct AlertingSpec {
    /// Alert name shared by every tier.
    pub(crate) name: Option<Text>,
    /// Labels on every alert of this SLO.
    pub(crate) labels: Pairs,
    /// Annotations on every alert of this SLO.
    pub(crate) annotations: Pairs,
    /// Page tier settings.
    pub(crate) page: TierSpec,
    /// Ticket tier settings.
    pub(crate) ticket: TierSpec,
    /// Custom window policy replacing the default four tiers.
    pub(crate) windows: Option<Vec<WindowSpec>>,
    /// Where `windows` is written, for problems with the list as a whole.
    pub(crate) windows_at: Option<Location>,
    /// Low-traffic guard: the fewest bad events in a tier's long window for it to fire.
    pub(crate) min_events: Option<Text>,
    /// Expected events per unit of time (`10/h`), for `audit` and `explain`.
    pub(crate) expected_traffic: Option<Text>,
    /// The alert for an SLI that returns nothing.
    pub(crate) no_data: NoDataSpec,
}

/// The no-data alert's name unless a spec gives one: Pyrra's, so a migrated route keeps matching.
pub(crate) const NO_DATA_NAME: &str = "SLOMetricAbsent";

/// `alerting.no_data`: the alert that fires when the SLI returns no series at all.
#[derive(Debug, Clone, Default)]
pub(crate) struct NoDataSpec {
    /// The alert's settings: `disable`, `severity` (a class), `for`, labels and annotations.
    pub(crate) tier: TierSpec,
    /// The alert's name (Pyrra's `absentName`).
    pub(crate) name: Option<Text>,
}

/// Settings of one severity.
#[derive(Debug, Clone, Default)]
pub(crate) struct TierSpec {
    /// Turns the severity off.
    pub(crate) disable: Option<Spanned<bool>>,
    /// The severity class of its alerts, over the settings' choice.
    pub(crate) severity: Option<Text>,
    /// `for:` duration on its alerts.
    pub(crate) for_duration: Option<Text>,
    /// Extra labels.
    pub(crate) labels: Pairs,
    /// Extra annotations.
    pub(crate) annotations: Pairs,
}

/// One custom window pair.
#[derive(Debug, Clone)]
pub(crate) struct WindowSpec {
    /// Long window.
    pub(crate) long: Option<Text>,
    /// Short window.
    pub(crate) short: Option<Text>,
    /// Share of the budget spent in the long window when it fires, in percent.
    pub(crate) budget_percent: Option<Text>,
    /// `page` or `ticket`.
    pub(crate) severity: Option<Text>,
    /// Where the entry starts.
    pub(crate) location: Location,
}

pub(crate) const SERVICE_KEYS: &[&str] = &[
    "apiVersion",
    "service",
    "owner",
    "escalation",
    "runbook_base_url",
    "labels",
    "runbook",
    "receivers",
    "compat",
    "slos",
];
pub(crate) const RUNBOOK_KEYS: &[&str] = &["diagnosis", "mitigation"];
pub(crate) const SLO_KEYS: &[&str] = &[
    "name",
    "description",
    "objective",
    "window",
    "labels",
    "sli",
    "alerting",
    "budgeting",
    "calendar",
    "previous_names",
    "runbook",
    "mttr",
];
pub(crate) const SLI_KINDS: &[&str] = &["ratio", "latency", "raw", "threshold", "freshness"];
pub(crate) const RATIO_KEYS: &[&str] = &["errors", "good", "total", "breakdown_by"];
pub(crate) const LATENCY_KEYS: &[&str] = &[
    "metric",
    "selector",
    "threshold",
    "percentiles",
    "breakdown_by",
    "native",
];
pub(crate) const ALERTING_KEYS: &[&str] = &[
    "name",
    "labels",
    "annotations",
    "page",
    "ticket",
    "windows",
    "min_events",
    "expected_traffic",
    "no_data",
];
pub(crate) const TIER_KEYS: &[&str] = &["disable", "severity", "for", "labels", "annotations"];
pub(crate) const NO_DATA_KEYS: &[&str] = &[
    "disable",
    "name",
    "severity",
    "for",
    "labels",
    "annotations",
];
pub(crate) const WINDOW_KEYS: &[&str] = &["long", "short", "budget_percent", "severity"];

/// The native format.
pub(crate) const FORMAT: import::Format = import::Format {
    describe: "`apiVersion: slocc/v1`",
    detect: |h| h.api_version == Some(API_VERSION) && h.kind != Some("Settings"),
    reader: import::Reader::Single(parse_service),
};

/// Reads a `slocc/v1` document (the caller has recognised its `apiVersion`).
pub(crate) fn parse_service(doc: &Document, diags: &mut Diagnostics) -> Option<ServiceSpec> {
    let fields = Fields::new(&doc.root, doc.location, "the service spec");
    fields.deny_unknown(SERVICE_KEYS, diags);
    let mut slos = Vec::new();
    match fields.sequence("slos", diags) {
        Some((seq, _)) => {
            for node in seq.iter() {
                let location = location_of(node, fields.location());
                match node.as_mapping() {
                    Some(map) => slos.extend(parse_slo(map, location, diags)),
                    None => diags.push(diags::wrong_type(
                        location,
                        "each entry of `slos`",
                        "a mapping",
                    )),
                }
            }
        }
        None if fields.node("slos").is_none() => diags.push(diags::missing_field(
            doc.location,
            "the service spec",
            &["slos"],
        )),
        None => {}
    }
    Some(ServiceSpec {
        service: fields.required_string("service", diags),
        owner: fields.string("owner", diags),
        escalation: fields.string("escalation", diags),
        runbook_base_url: fields.string("runbook_base_url", diags),
        labels: fields.string_map("labels", diags),
        runbook: parse_runbook(&fields, diags),
        receivers: fields.string_map("receivers", diags),
        compat: fields.string("compat", diags),
        slos,
        adds_up: false,
        location: doc.location,
    })
}

/// `runbook: {diagnosis: [{title, command}], mitigation: [...]}`.
fn parse_runbook(fields: &Fields<'_>, diags: &mut Diagnostics) -> RunbookSpec {
    let Some((map, at)) = fields.mapping("runbook", diags) else {
        return RunbookSpec::default();
    };
    let runbook = Fields::new(map, at, "the runbook");
    runbook.deny_unknown(RUNBOOK_KEYS, diags);
    let steps = |key: &str, diags: &mut Diagnostics| -> Vec<StepSpec> {
        let Some((seq, at)) = runbook.sequence(key, diags) else {
            return Vec::new();
        };
        let context = format!("a `{key}` step");
        seq.iter()
            .filter_map(|node| {
                let loc = location_of(node, at);
                let Some(m) = node.as_mapping() else {
                    diags.push(diags::wrong_type(
                        loc,
                        &format!("each `{key}` step"),
                        "a mapping with `title` and `command`",
                    ));
                    return None;
                };
                let f = Fields::new(m, loc, &context);
                f.deny_unknown(&["title", "command"], diags);
                Some(StepSpec {
                    title: f.required_string("title", diags),
                    command: f.string("command", diags),
                })
            })
            .collect()
    };
    RunbookSpec {
        diagnosis: steps("diagnosis", diags),
        mitigation: steps("mitigation", diags),
    }
}

/// One SLO as written, or one per percentile with the percentile shorthand.
fn parse_slo(
    map: &crate::spec::yaml::Mapping,
    location: Location,
    diags: &mut Diagnostics,
) -> Vec<SloSpec> {
    let name_hint = map
        .get_scalar("name")
        .map(|s| format!("the SLO `{}`", s.as_str()))
        .unwrap_or_else(|| "an SLO".to_string());
    let fields = Fields::new(map, location, &name_hint);
    fields.deny_unknown(SLO_KEYS, diags);
    let sli = fields
        .required_mapping("sli", diags)
        .and_then(|(m, loc)| parse_sli(m, loc, &name_hint, diags));
    let alerting = fields
        .mapping("alerting", diags)
        .map(|(m, loc)| parse_alerting(m, loc, &name_hint, diags))
        .unwrap_or_default();
    let shorthand = percentiles::written(map).is_some();
    let slo = SloSpec {
        name: fields.required_string("name", diags),
        description: fields.string("description", diags),
        objective: if shorthand {
            fields.string("objective", diags)
        } else {
            fields.required_string("objective", diags)
        },
        window: fields.string("window", diags),
        labels: fields.string_map("labels", diags),
        sli,
        alerting,
        budgeting: parse_budgeting(&fields, diags),
        calendar: parse_calendar(&fields, diags),
        previous_names: fields.string_list("previous_names", diags),
        runbook: parse_runbook(&fields, diags),
        mttr: fields.string("mttr", diags),
        location,
    };
    let latency = map
        .get_node("sli")
        .and_then(|n| n.as_mapping())
        .and_then(|m| m.get_node("latency"))
        .and_then(|n| Some((n.as_mapping()?, location_of(n, location))));
    match latency {
        Some((latency, at)) if shorthand => {
            let context = format!("the `latency` SLI of {name_hint}");
            percentiles::expand(slo, &Fields::new(latency, at, &context), diags)
        }
        _ => vec![slo],
    }
}

fn parse_budgeting(fields: &Fields<'_>, diags: &mut Diagnostics) -> Option<BudgetingSpec> {
    let (m, at) = fields.mapping("budgeting", diags)?;
    let f = Fields::new(m, at, "the budgeting");
    f.deny_unknown(&["method", "slice", "slice_target"], diags);
    Some(BudgetingSpec {
        method: f.required_string("method", diags),
        slice: f.string("slice", diags),
        slice_target: f.string("slice_target", diags),
        location: at,
    })
}

fn parse_calendar(fields: &Fields<'_>, diags: &mut Diagnostics) -> Option<CalendarSpec> {
    let (m, at) = fields.mapping("calendar", diags)?;
    let f = Fields::new(m, at, "the calendar window");
    f.deny_unknown(&["period", "time_zone", "week_start", "start_time"], diags);
    Some(CalendarSpec {
        period: f.required_string("period", diags),
        time_zone: f.string("time_zone", diags),
        week_start: f.string("week_start", diags),
        start_time: f.string("start_time", diags),
        location: at,
    })
}

fn parse_sli(
    map: &crate::spec::yaml::Mapping,
    location: Location,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<SliSpec> {
    let sli_context = format!("the SLI of {context}");
    let fields = Fields::new(map, location, &sli_context);
    fields.deny_unknown(SLI_KINDS, diags);
    let present: Vec<&str> = SLI_KINDS
        .iter()
        .copied()
        .filter(|k| fields.node(k).is_some())
        .collect();
    if present.len() != 1 {
        diags.push(diags::sli_kind(location, &sli_context, &present, SLI_KINDS));
        return None;
    }
    let kind = present[0];
    let (inner, inner_loc) = fields.mapping(kind, diags)?;
    let kind_context = format!("the `{kind}` SLI of {context}");
    Some(parse_sli_kind(
        kind,
        &Fields::new(inner, inner_loc, &kind_context),
        diags,
    ))
}

/// The fields of one SLI kind.
fn parse_sli_kind(kind: &str, f: &Fields<'_>, diags: &mut Diagnostics) -> SliSpec {
    match kind {
        "ratio" => {
            f.deny_unknown(RATIO_KEYS, diags);
            SliSpec::Ratio {
                errors: f.string("errors", diags),
                good: f.string("good", diags),
                total: f.required_string("total", diags),
                breakdown_by: f.string("breakdown_by", diags),
                location: f.location(),
            }
        }
        "latency" => {
            f.deny_unknown(LATENCY_KEYS, diags);
            SliSpec::Latency {
                metric: f.required_string("metric", diags),
                selector: f.string("selector", diags),
                threshold: if f.node("percentiles").is_some() {
                    f.string("threshold", diags)
                } else {
                    f.required_string("threshold", diags)
                },
                breakdown_by: f.string("breakdown_by", diags),
                native: f.bool("native", diags),
            }
        }
        "threshold" => {
            f.deny_unknown(&["query", "op", "value"], diags);
            SliSpec::Threshold {
                query: f.required_string("query", diags),
                op: f.required_string("op", diags),
                value: f.required_string("value", diags),
            }
        }
        "freshness" => {
            f.deny_unknown(&["last_success", "max_age"], diags);
            SliSpec::Freshness {
                last_success: f.required_string("last_success", diags),
                max_age: f.required_string("max_age", diags),
            }
        }
        _ => {
            f.deny_unknown(&["error_ratio"], diags);
            SliSpec::Raw {
                error_ratio: f.required_string("error_ratio", diags),
            }
        }
    }
}

fn parse_alerting(
    map: &crate::spec::yaml::Mapping,
    location: Location,
    context: &str,
    diags: &mut Diagnostics,
) -> AlertingSpec {
    let alerting_context = format!("the alerting of {context}");
    let fields = Fields::new(map, location, &alerting_context);
    fields.deny_unknown(ALERTING_KEYS, diags);
    let tier = |key: &str, keys: &[&str], diags: &mut Diagnostics| {
        let (m, loc) = fields.mapping(key, diags)?;
        let what = if key == "no_data" { "alert" } else { "tier" };
        let tier_context = format!("the `{key}` {what} of {context}");
        let f = Fields::new(m, loc, &tier_context);
        f.deny_unknown(keys, diags);
        let tier = TierSpec {
            disable: f.bool("disable", diags),
            severity: f.string("severity", diags),
            for_duration: f.string("for", diags),
            labels: f.string_map("labels", diags),
            annotations: f.string_map("annotations", diags),
        };
        Some((tier, f.string("name", diags)))
    };
    let page = tier("page", TIER_KEYS, diags).unwrap_or_default().0;
    let ticket = tier("ticket", TIER_KEYS, diags).unwrap_or_default().0;
    let (tier, name) = tier("no_data", NO_DATA_KEYS, diags).unwrap_or_default();
    let no_data = NoDataSpec { tier, name };
    let windows = parse_windows(&fields, context, diags);
    AlertingSpec {
        name: fields.string("name", diags),
        labels: fields.string_map("labels", diags),
        annotations: fields.string_map("annotations", diags),
        page,
        ticket,
        windows_at: windows.as_ref().map(|_| fields.key_location("windows")),
        min_events: fields.string("min_events", diags),
        expected_traffic: fields.string("expected_traffic", diags),
        windows,
        no_data,
    }
}

/// A custom window policy: one mapping per window pair.
pub(crate) fn parse_windows(
    fields: &Fields<'_>,
    context: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<WindowSpec>> {
    fields.sequence("windows", diags).map(|(seq, seq_loc)| {
        seq.iter()
            .filter_map(|node| {
                let loc = location_of(node, seq_loc);
                let Some(m) = node.as_mapping() else {
                    diags.push(diags::wrong_type(
                        loc,
                        "each entry of `windows`",
                        "a mapping with `long`, `short`, `budget_percent` and `severity`",
                    ));
                    return None;
                };
                let window_context = format!("a window of {context}");
                let f = Fields::new(m, loc, &window_context);
                f.deny_unknown(WINDOW_KEYS, diags);
                Some(WindowSpec {
                    long: f.required_string("long", diags),
                    short: f.required_string("short", diags),
                    budget_percent: f.required_string("budget_percent", diags),
                    severity: f.required_string("severity", diags),
                    location: loc,
                })
            })
            .collect()
    })
}
