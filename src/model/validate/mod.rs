//! Validation: turns spec-stage values into the model, reporting every problem of meaning in one pass.

use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::model::diags;
use crate::model::{
    burn_factor, EventQuery, Service, Settings, SeverityClass, Sli, Slo, Tier, Urgency,
    DEFAULT_POLICY,
};
use crate::spec::diags as spec_diags;
use crate::spec::yaml::Spanned;
use crate::spec::{AlertingSpec, ServiceSpec, SliSpec, SloSpec, Text, TierSpec, WindowSpec};
use crate::vocab::duration::{humanize_secs, Duration};
use crate::vocab::number::{format_decimal, parse_exact, NotExact, EXACT_DIGITS};
use crate::vocab::promql::Grouping;
use crate::vocab::promql::{
    has_window_placeholder, is_valid_label_name, is_valid_metric_name, with_window,
};

mod alerting;
mod budgeting;
mod calendar;
mod guard;
mod no_data;
mod peer_policy;
mod settings;
mod sli;

pub(crate) use alerting::PolicyEntry;
use alerting::{build_tiers, check_budget, validate_alert_name, Budget};
use guard::{validate_min_events, validate_traffic};
pub(crate) use settings::validate_settings;
use sli::validate_sli;

/// Labels slocc puts on series and alerts itself; specs may not set them.
pub(crate) const RESERVED_LABELS: &[&str] = &[
    "slo_service",
    "slo_name",
    "slo_long_window",
    "slo_short_window",
];

/// The shortest and longest SLO windows accepted.
const MIN_WINDOW: Duration = Duration::from_secs(86_400);
const MAX_WINDOW: Duration = Duration::from_secs(90 * 86_400);
/// Longest name accepted for services and SLOs (file names stay portable).
const MAX_NAME_LEN: usize = 100;

/// Validates one service spec read from `source` (its display name), under the run's settings.
pub(crate) fn validate_service(
    spec: &ServiceSpec,
    source: &str,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Option<Service> {
    let before = diags.counts().0;
    let settings = &with_service_compat(spec, settings, diags);
    let settings = &with_team_receivers(settings, receivers(spec, settings, diags));
    let name = spec
        .service
        .as_ref()
        .and_then(|n| check_name(n, "service", diags));
    let labels = check_labels(&spec.labels, "service label", diags, false);
    if spec.slos.is_empty() && spec.location.line > 0 {
        diags.push(spec_diags::empty_list(
            spec.location,
            "slos",
            "the service spec",
        ));
    }
    check_unique_slo_names(spec, diags);
    let runbook_base_url = spec
        .runbook_base_url
        .as_ref()
        .and_then(|u| http_url(u, diags));
    let slos: Vec<Slo> = spec
        .slos
        .iter()
        .filter_map(|slo_spec| validate_slo(slo_spec, name.as_deref(), settings, diags))
        .collect();
    let name = name?;
    if diags.counts().0 > before {
        return None;
    }
    if spec.runbook_base_url.is_none() && settings.runbook_base_url.is_none() {
        relative_runbook_url(spec, &name, diags);
    }
    Some(Service {
        name,
        owner: spec.owner.as_ref().map(|s| s.value.clone()),
        escalation: spec.escalation.as_ref().map(|s| s.value.clone()),
        runbook_base_url,
        repository_url: settings.runbook_base_url.clone(),
        runbook: (
            steps(&spec.runbook.diagnosis),
            steps(&spec.runbook.mitigation),
        ),
        grafana_url: settings.grafana_url.clone(),
        compat: settings.compat,
        deliveries: settings.deliveries.clone(),
        labels,
        slos,
        source: crate::vocab::path::portable_name(source),
    })
}

/// A base URL from a spec or the settings: absolute `http` or `https` with a host and no
/// white space, as every link slocc writes (alerts' `runbook_url`, runbooks, dashboards) is
/// followed from a notification or a browser; `javascript:`, `data:` and the like never are.
/// The one check for every URL a user writes; the value comes back without a trailing `/`.
fn http_url(text: &Text, diags: &mut Diagnostics) -> Option<String> {
    let value = text.value.trim();
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let host_ok = rest.is_some_and(|r| {
        !r.is_empty()
            && !r.starts_with('/')
            && !r.chars().any(|c| c.is_whitespace() || c.is_control())
    });
    if host_ok {
        return Some(value.trim_end_matches('/').to_string());
    }
    diags.push(diags::invalid_url(text.location, value));
    None
}

/// Alerts whose `runbook_url` is a relative path cannot be followed from a notification.
fn relative_runbook_url(spec: &ServiceSpec, name: &str, diags: &mut Diagnostics) {
    let at = spec.service.as_ref().map_or(spec.location, |s| s.location);
    diags.push(diags::relative_runbook_url(at, name));
}

/// `receivers: {P1: payments-pager}`: each key a severity class of the settings.
fn receivers(
    spec: &ServiceSpec,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (class, receiver) in &spec.receivers {
        if alerting::find_class(class, &settings.classes, None, diags).is_none() {
            continue;
        }
        if receiver.value.trim().is_empty() {
            diags.push(diags::empty_name(
                Some(receiver.location),
                &format!("the receiver for `{}`", class.value),
            ));
            continue;
        }
        let whose = format!("the service's `receivers` entry for `{}`", class.value);
        let at = Some(receiver.location);
        settings::check_delivered(&settings.deliveries, &receiver.value, &whose, at, diags);
        out.insert(class.value.clone(), receiver.value.clone());
    }
    out
}

/// The settings with the service's own receivers on their classes, which every tier and
/// no-data alert of the service then carries.
fn with_team_receivers(
    settings: &Settings,
    receivers: BTreeMap<String, String>,
) -> std::borrow::Cow<'_, Settings> {
    if receivers.is_empty() {
        return std::borrow::Cow::Borrowed(settings);
    }
    let mut own = settings.clone();
    for class in &mut own.classes {
        class.team_receiver = receivers.get(&class.name).cloned();
    }
    std::borrow::Cow::Owned(own)
}

/// The settings a service is validated under: the run's, with the spec's own `compat`.
fn with_service_compat<'a>(
    spec: &ServiceSpec,
    settings: &'a Settings,
    diags: &mut Diagnostics,
) -> std::borrow::Cow<'a, Settings> {
    match service_compat(spec, settings, diags) {
        Some(compat) => std::borrow::Cow::Owned(Settings {
            compat: Some(compat),
            ..settings.clone()
        }),
        None => std::borrow::Cow::Borrowed(settings),
    }
}

/// A spec's own `compat` (unless the command line chose one for every service).
fn service_compat(
    spec: &ServiceSpec,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Option<crate::model::Compat> {
    let text = spec.compat.as_ref().filter(|_| !settings.compat_forced)?;
    let compat = crate::model::Compat::parse(&text.value);
    if compat.is_none() {
        diags.push(spec_diags::unknown_value(
            text.location,
            "`compat` value",
            &text.value,
            crate::model::Compat::NAMES,
        ));
    }
    compat
}

/// Runbook steps as written (the reader has required each title).
fn steps(specs: &[crate::spec::StepSpec]) -> Vec<crate::model::Step> {
    specs
        .iter()
        .filter_map(|s| {
            Some(crate::model::Step {
                title: s.title.as_ref()?.value.clone(),
                command: s.command.as_ref().map(|c| c.value.clone()),
            })
        })
        .collect()
}

/// SLO names are unique within a service: each repeat is reported with the first as a label.
fn check_unique_slo_names(spec: &ServiceSpec, diags: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, Location> = BTreeMap::new();
    for n in spec.slos.iter().filter_map(|s| s.name.as_ref()) {
        let Some(first) = seen.get(n.value.as_str()) else {
            seen.insert(&n.value, n.location);
            continue;
        };
        diags.push(diags::duplicate_slo(n.location, &n.value, *first));
    }
}

/// Names become file names and label values: keep them to a portable, unambiguous set.
fn check_name(name: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> Option<String> {
    let text = &name.value;
    let valid_chars = text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let starts_well = text
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric());
    if valid_chars && starts_well && !text.contains("..") && text.len() <= MAX_NAME_LEN {
        return Some(text.clone());
    }
    diags.push(diags::invalid_name(name.location, what, text, MAX_NAME_LEN));
    None
}

fn check_labels(
    pairs: &[(Spanned<String>, Spanned<String>)],
    what: &str,
    diags: &mut Diagnostics,
    allow_severity: bool,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in pairs {
        if !is_valid_label_name(&key.value) {
            diags.push(diags::invalid_label_name(key.location, what, &key.value));
            continue;
        }
        let reserved = RESERVED_LABELS.contains(&key.value.as_str())
            || (!allow_severity && key.value == "severity");
        if reserved {
            diags.push(diags::reserved_label(key.location, &key.value, what));
            continue;
        }
        out.insert(key.value.clone(), value.value.clone());
    }
    out
}

fn check_annotations(
    pairs: &[(Spanned<String>, Spanned<String>)],
    diags: &mut Diagnostics,
) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, value) in pairs {
        if is_valid_label_name(&key.value) {
            out.insert(key.value.clone(), value.value.clone());
        } else {
            diags.push(diags::invalid_label_name(
                key.location,
                "annotation",
                &key.value,
            ));
        }
    }
    out
}

fn parse_duration(text: &Spanned<String>, what: &str, diags: &mut Diagnostics) -> Option<Duration> {
    match Duration::parse(&text.value) {
        Ok(d) => Some(d),
        Err(e) => {
            diags.push(spec_diags::invalid_duration(text.location, what, e));
            None
        }
    }
}

/// A number written with more significant digits than slocc keeps exactly.
pub(super) fn too_precise(text: &Spanned<String>, what: &str) -> Diagnostic {
    diags::too_precise(text.location, what, &text.value, EXACT_DIGITS)
}

fn parse_objective(text: &Spanned<String>, diags: &mut Diagnostics) -> Option<Decimal> {
    let trimmed = text.value.trim();
    let cleaned = trimmed.strip_suffix('%').unwrap_or(trimmed).trim();
    let value = match parse_exact(cleaned) {
        Ok(value) => value,
        Err(NotExact::NotANumber) => {
            diags.push(diags::invalid_number(
                text.location,
                "objective",
                &text.value,
                "a number",
                "99.9",
            ));
            return None;
        }
        Err(NotExact::TooPrecise) => {
            diags.push(too_precise(text, "objective"));
            return None;
        }
        // Far above 100: reported as out of range below, like any other.
        Err(NotExact::TooLarge) => Decimal::MAX,
    };
    let meant = if value <= Decimal::ZERO || value >= Decimal::ONE_HUNDRED {
        None
    } else if value < Decimal::ONE {
        // In range, but a ratio such as 0.999 is almost always meant as 99.9%.
        Some(format_decimal(value * Decimal::ONE_HUNDRED))
    } else {
        return Some(value.normalize());
    };
    diags.push(diags::objective_out_of_range(
        text.location,
        &text.value,
        meant.as_deref(),
    ));
    None
}

fn validate_slo(
    spec: &SloSpec,
    service: Option<&str>,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Option<Slo> {
    let before = diags.counts().0;
    let name = spec.name.as_ref().and_then(|n| check_name(n, "SLO", diags));
    let objective_percent = spec
        .objective
        .as_ref()
        .and_then(|o| parse_objective(o, diags));
    let calendar = calendar::validate(spec, settings.today, diags);
    let window = slo_window(spec, &calendar, settings, diags);
    let (sli, grouping) = sli_of(spec, settings, diags);
    let breakdown_by = breakdown_label(spec).and_then(|l| validate_breakdown(l, diags));
    let min_events = validate_min_events(spec, diags);
    let budgeting = budgeting::validate(spec, diags);
    let expected_traffic = validate_traffic(spec, diags);
    let alert_name = validate_alert_name(&spec.alerting, service, name.as_deref(), diags);
    let alert_labels = check_labels(&spec.alerting.labels, "alert label", diags, false);
    let labels = check_labels(&spec.labels, "SLO label", diags, false);
    let alert_annotations = check_annotations(&spec.alerting.annotations, diags);
    let tiers = match (objective_percent, window) {
        (Some(objective), Some(window)) => slo_tiers(spec, objective, window, settings, diags),
        _ => None,
    };
    let tiers = tiers?;
    let no_data = no_data::validate(&spec.alerting.no_data, &tiers.tiers, settings, diags);
    let (previous_names, runbook, mttr) = on_call(spec, name.as_deref(), diags);
    if diags.counts().0 > before {
        return None;
    }
    Some(Slo {
        previous_names,
        runbook,
        mttr,
        name: name?,
        description: spec.description.as_ref().map(|d| d.value.clone()),
        objective_percent: objective_percent?,
        window: window?,
        labels,
        sli: sli?,
        alert_name: alert_name?,
        alert_labels,
        alert_annotations,
        tiers: tiers.tiers,
        grouping,
        breakdown_by,
        min_events,
        expected_traffic,
        dead_tiers: tiers.dead,
        policy_windows: tiers.windows,
        budgeting: budgeting?,
        calendar: calendar?.map(|(c, _)| c),
        no_data,
    })
}

/// The SLO's SLI, its queries read in the settings' language, and how they group.
fn sli_of(spec: &SloSpec, settings: &Settings, diags: &mut Diagnostics) -> (Option<Sli>, Grouping) {
    let sli = spec.sli.as_ref();
    match sli.and_then(|s| validate_sli(s, settings.query_language, diags)) {
        Some((sli, grouping)) => (Some(sli), grouping),
        None => (None, Grouping::Unknown),
    }
}

/// The SLO's window: its calendar's nominal length, the one it gives, or the default.
fn slo_window(
    spec: &SloSpec,
    calendar: &Option<Option<(crate::model::Calendar, Duration)>>,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Option<Duration> {
    match (calendar, &spec.window) {
        (Some(Some((_, nominal))), _) => Some(*nominal),
        (_, Some(text)) => validate_window(text, diags),
        (_, None) => Some(settings.default_window),
    }
}

/// What on-call keeps with an SLO: its previous names, its own runbook steps (diagnosis,
/// mitigation) and its MTTR target.
fn on_call(
    spec: &SloSpec,
    current: Option<&str>,
    diags: &mut Diagnostics,
) -> (Vec<String>, crate::model::Steps, Option<Duration>) {
    let mttr = spec.mttr.as_ref();
    (
        previous_names(spec, current, diags),
        (
            steps(&spec.runbook.diagnosis),
            steps(&spec.runbook.mitigation),
        ),
        mttr.and_then(|m| parse_duration(m, "`mttr`", diags)),
    )
}

/// `previous_names`, each a valid name other than the current one.
fn previous_names(spec: &SloSpec, current: Option<&str>, diags: &mut Diagnostics) -> Vec<String> {
    spec.previous_names
        .iter()
        .filter_map(|n| check_name(n, "previous SLO", diags))
        .filter(|n| Some(n.as_str()) != current)
        .collect()
}

/// The tiers of an SLO with a valid objective and window (and those that can never fire).
fn slo_tiers(
    spec: &SloSpec,
    objective: Decimal,
    window: Duration,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Option<alerting::Tiers> {
    let budget = Decimal::ONE - objective / Decimal::ONE_HUNDRED;
    check_budget(spec, budget, window, diags);
    let numbers = Budget {
        slo: spec.name.as_ref().map_or("", |n| n.value.as_str()),
        at: spec
            .objective
            .as_ref()
            .map_or(spec.location, |o| o.location),
        budget,
        window,
        objective,
    };
    build_tiers(&spec.alerting, &numbers, settings, diags)
}

/// An SLO window: a duration within 1d..90d (`None`, reported, otherwise).
fn validate_window(text: &Text, diags: &mut Diagnostics) -> Option<Duration> {
    let window = parse_duration(text, "window", diags)?;
    if (MIN_WINDOW..=MAX_WINDOW).contains(&window) {
        return Some(window);
    }
    diags.push(diags::window_out_of_range(text.location, &text.value));
    None
}

/// `breakdown_by` of a ratio or latency SLI, as written.
fn breakdown_label(spec: &SloSpec) -> Option<&Text> {
    match &spec.sli {
        Some(SliSpec::Ratio { breakdown_by, .. } | SliSpec::Latency { breakdown_by, .. }) => {
            breakdown_by.as_ref()
        }
        _ => None,
    }
}

/// The label a ratio SLI's errors are broken down by on the dashboard.
fn validate_breakdown(label: &Text, diags: &mut Diagnostics) -> Option<String> {
    if is_valid_label_name(&label.value) {
        return Some(label.value.clone());
    }
    diags.push(diags::invalid_label_name(
        label.location,
        "`breakdown_by` label",
        &label.value,
    ));
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{Code, Severity as DiagSeverity};
    use crate::spec::yaml::load_documents;

    fn run(text: &str) -> (Option<Service>, Diagnostics) {
        run_in(text, crate::model::QueryLanguage::PromQL)
    }

    fn run_in(text: &str, language: crate::model::QueryLanguage) -> (Option<Service>, Diagnostics) {
        let mut diags = Diagnostics::default();
        let docs = load_documents(0, text, &mut diags);
        let spec = crate::spec::parse_service(&docs[0], &mut diags).unwrap();
        // A base URL, so that no test here sees the relative-runbook-url warning.
        let settings = Settings {
            runbook_base_url: Some("https://git.example.com/slos".into()),
            query_language: language,
            ..Settings::default()
        };
        let service = validate_service(&spec, "t.yaml", &settings, &mut diags);
        (service, diags)
    }

    #[test]
    fn metricsql_queries_are_kept_with_a_warning_only_when_the_queries_are_metricsql() {
        use crate::model::QueryLanguage::{MetricsQL, PromQL};
        let spec = |errors: &str| {
            GOOD.replace(
                r#"sum(rate(http_requests_total{code=~"5.."}[{{window}}]))"#,
                errors,
            )
        };
        let metricsql = r#"WITH (api = {job="api"}) sum(rate(http_requests_total{api, code=~"5.."}[{{window}}])) default 0"#;
        let (service, diags) = run_in(&spec(metricsql), MetricsQL);
        assert_eq!(codes(&diags), ["metricsql-query"], "{diags:?}");
        let slo = &service.expect("compiles").slos[0];
        assert_eq!(slo.grouping, Grouping::Unknown);
        let (service, diags) = run_in(&spec(metricsql), PromQL);
        assert!(service.is_none());
        assert_eq!(codes(&diags), ["invalid-promql"]);
        // Wrong in either language: unclosed, or without the window placeholder.
        for bad in [
            r#"sum(rate(http_requests_total{job="api"}[{{window}}])"#,
            r#"WITH (a = {job="api"}) sum(rate(http_requests_total{a}))"#,
        ] {
            let (service, diags) = run_in(&spec(bad), MetricsQL);
            assert!(service.is_none(), "{bad}");
            assert!(!codes(&diags).contains(&"metricsql-query"), "{bad}");
        }
        // PromQL stays checked as PromQL.
        let (_, diags) = run_in(GOOD, MetricsQL);
        assert!(codes(&diags).is_empty(), "{diags:?}");
    }

    fn codes(diags: &Diagnostics) -> Vec<&'static str> {
        diags.sorted().iter().map(|d| d.code.as_str()).collect()
    }

    const GOOD: &str = r#"apiVersion: slocc/v1
service: checkout-api
labels: {team: payments}
slos:
  - name: availability
    objective: 99.9
    sli:
      ratio:
        errors: sum(rate(http_requests_total{code=~"5.."}[{{window}}]))
        total: sum(rate(http_requests_total[{{window}}]))
"#;

    #[test]
    fn valid_spec_gets_the_workbook_tiers() {
        let (service, diags) = run(GOOD);
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        let service = service.unwrap();
        let slo = &service.slos[0];
        assert_eq!(slo.alert_name, "CheckoutApiAvailabilityBudgetBurn");
        assert_eq!(slo.window, Settings::default().default_window);
        assert_eq!(format_decimal(slo.budget()), "0.001");
        let factors: Vec<String> = slo.tiers.iter().map(|t| format_decimal(t.factor)).collect();
        assert_eq!(factors, ["14.4", "6", "3", "1"]);
        let thresholds: Vec<String> = slo
            .tiers
            .iter()
            .map(|t| format_decimal(t.threshold))
            .collect();
        assert_eq!(thresholds, ["0.0144", "0.006", "0.003", "0.001"]);
        assert_eq!(slo.grouping, Grouping::By(vec![]));
    }

    #[test]
    fn reports_every_problem_in_one_pass() {
        let text = r#"apiVersion: slocc/v1
service: ../etc
labels: {"bad-label": x, slo_name: y}
slos:
  - name: a
    objectve: 99.9
    window: 365d
    sli:
      ratio:
        errors: sum(rate(x[{{window}}])
        total: sum(rate(y[5m]))
  - name: a
    objective: 120
    sli: {raw: {error_ratio: "x"}}
  - name: c
    sli: {raw: {error_ratio: "avg_over_time(x[{{window}}])"}}
"#;
        let (service, diags) = run(text);
        assert!(service.is_none());
        let got = codes(&diags);
        // `objectve` is reported once, as an unknown key meaning `objective`; `c` lacks it.
        assert_eq!(got.iter().filter(|c| **c == "missing-field").count(), 1);
        for want in [
            "invalid-name",
            "invalid-label-name",
            "reserved-label",
            "unknown-key",
            "missing-field",
            "window-out-of-range",
            "invalid-promql",
            "missing-window-placeholder",
            "duplicate-slo",
            "objective-out-of-range",
        ] {
            assert!(got.contains(&want), "missing {want} in {got:?}");
        }
    }

    #[test]
    fn warns_about_tiers_that_cannot_fire() {
        let text = GOOD.replace("objective: 99.9", "objective: 93");
        let (service, diags) = run(&text);
        let warnings: Vec<_> = diags
            .sorted()
            .into_iter()
            .filter(|d| d.severity == DiagSeverity::Warning)
            .collect();
        assert_eq!(warnings.len(), 1, "{diags:?}");
        assert_eq!(warnings[0].code, Code::TierNeverFires);
        assert!(warnings[0].message.contains("14.4"));
        // The dead 14.4x tier is left out; the other three remain.
        assert_eq!(service.unwrap().slos[0].tiers.len(), 3);
    }

    #[test]
    fn latency_selectors_are_label_matchers_only() {
        let latency = |selector: &str| {
            format!(
                "apiVersion: slocc/v1\nservice: api\nslos:\n  - name: latency\n    objective: 99\n    sli:\n      latency:\n        metric: h\n        selector: '{selector}'\n        threshold: 300ms\n"
            )
        };
        let (service, diags) = run(&latency(r#"{job="api"}"#));
        assert!(service.is_some(), "{diags:?}");
        for (selector, message) in [
            (r#"{job="api"} or up{x="y"}"#, "more than label matchers"),
            (r#"{le="0.3"}"#, "must not match on `le`"),
            (r#"{job=}"#, "not valid PromQL"),
        ] {
            let (service, diags) = run(&latency(selector));
            assert!(service.is_none(), "{selector}");
            let found = diags.sorted().iter().any(|d| {
                d.code == Code::InvalidLatencySelector
                    && d.message.contains(message)
                    && d.location.is_some()
            });
            assert!(found, "{selector}: {diags:?}");
        }
    }

    #[test]
    fn warns_about_budgets_gone_in_seconds() {
        let text = GOOD.replace("objective: 99.9", "objective: 99.999");
        let (_, diags) = run(&text);
        assert_eq!(codes(&diags), ["tiny-budget"]);
        assert!(diags.sorted()[0].message.contains("25.9s"));
    }

    #[test]
    fn objective_given_as_ratio_gets_a_hint() {
        let text = GOOD.replace("objective: 99.9", "objective: 0.999");
        let (_, diags) = run(&text);
        assert_eq!(
            diags.sorted()[0].hint,
            "objectives are percentages: write `99.9` rather than `0.999`"
        );
    }

    #[test]
    fn custom_policy_and_disabled_tiers() {
        let text = GOOD.to_string()
            + r#"    alerting:
      name: CheckoutDown
      ticket: {disable: true}
      page: {for: 2m, labels: {severity: critical}}
      windows:
        - {long: 2h, short: 10m, budget_percent: 5, severity: page}
        - {long: 1d, short: 2h, budget_percent: 10, severity: ticket}
"#;
        let (service, diags) = run(&text);
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        let slo = &service.unwrap().slos[0];
        assert_eq!(slo.alert_name, "CheckoutDown");
        assert_eq!(slo.tiers.len(), 1);
        assert_eq!(format_decimal(slo.tiers[0].factor), "18");
        assert_eq!(slo.tiers[0].for_duration, Some(Duration::from_secs(120)));
        assert_eq!(slo.tiers[0].class.name, "critical");
        assert!(!slo.tiers[0].labels.contains_key("severity"));
    }

    #[test]
    fn bad_custom_windows_are_reported() {
        let text = GOOD.to_string()
            + r#"    alerting:
      windows:
        - {long: 5m, short: 1h, budget_percent: 2, severity: page}
        - {long: 1h, short: 5m, budget_percent: 0, severity: urgent}
        - {long: 40d, short: 1d, budget_percent: 2, severity: page}
"#;
        let (_, diags) = run(&text);
        assert_eq!(
            codes(&diags),
            [
                "invalid-window-pair",
                "invalid-number",
                "invalid-severity",
                "invalid-window-pair"
            ]
        );
    }

    #[test]
    fn latency_sli_validates_selector_and_threshold() {
        let text = r#"apiVersion: slocc/v1
service: api
slos:
  - name: latency
    objective: 99
    sli:
      latency:
        metric: http_request_duration_seconds_bucket
        selector: '{job="api", le="1"}'
        threshold: fast
"#;
        let (_, diags) = run(text);
        assert_eq!(
            codes(&diags),
            ["invalid-latency-selector", "invalid-threshold"]
        );
    }

    #[test]
    fn freshness_counts_minutes_unless_told_and_never_events() {
        let freshness = |extra: &str, max_age: &str| {
            format!(
                "apiVersion: slocc/v1\nservice: etl\nslos:\n  - name: export\n    objective: 99\n{extra}    sli:\n      freshness:\n        last_success: max(export_last_success_timestamp_seconds)\n        max_age: {max_age}\n"
            )
        };
        let (service, diags) = run(&freshness("", "26h"));
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        let slo = &service.unwrap().slos[0];
        assert_eq!(
            slo.budgeting,
            crate::model::Budgeting::Timeslices {
                slice: Duration::from_secs(60),
                target: Decimal::ONE
            }
        );
        let (query, op, bound) = slo.sli.judged().unwrap();
        assert_eq!(
            (query.as_str(), op, format_decimal(bound).as_str()),
            (
                "time() - (max(export_last_success_timestamp_seconds))",
                "<=",
                "93600"
            )
        );
        let (_, diags) = run(&freshness(
            "    budgeting: {method: timeslices, slice: 5m}\n",
            "30m",
        ));
        assert_eq!(diags.counts(), (0, 0), "{diags:?}");
        // Every problem at once: events budgeting, and a bound that is not a duration.
        let (_, diags) = run(&freshness(
            "    budgeting: {method: occurrences}\n",
            "a day",
        ));
        assert_eq!(codes(&diags), ["slices-needed", "invalid-duration"]);
        let needed = diags
            .sorted()
            .into_iter()
            .find(|d| d.code == Code::SlicesNeeded);
        assert!(needed
            .unwrap()
            .message
            .starts_with("a freshness SLI is judged per time slice"));
    }

    #[test]
    fn grouping_mismatch_is_an_error() {
        let text = GOOD.replace("total: sum(rate(", "total: sum by (route) (rate(");
        let (_, diags) = run(&text);
        assert_eq!(codes(&diags), ["grouping-mismatch"]);
    }
}
