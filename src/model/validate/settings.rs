//! Validating the settings shared by every spec: severity classes, which class each tier gets,
//! base URLs, the default window and alert-window policies (including Sloth catalogs).

use super::alerting::{custom_policy, find_class};
use super::*;
use crate::model::{default_repeat, default_response, Settings, SeverityClass};
use crate::spec::settings::{PolicySpec, SettingsSpec, SeveritySpec};

/// Validates every settings document and catalog of a run into one [`Settings`]; whatever is
/// wrong is reported and left at its default, so services are still checked.
pub(crate) fn validate_settings(specs: &[SettingsSpec], diags: &mut Diagnostics) -> Settings {
    let mut settings = Settings::default();
    let documents: Vec<&SettingsSpec> = specs.iter().filter(|s| s.is_document).collect();
    for extra in documents.iter().skip(1) {
        diags.push(diags::duplicate_settings(
            extra.location,
            documents[0].location,
        ));
    }
    if let Some(doc) = documents.first() {
        apply_document(doc, &mut settings, diags);
    }
    let mut seen: BTreeMap<Duration, Location> = BTreeMap::new();
    for policy in specs.iter().flat_map(|s| &s.policies) {
        validate_policy(policy, &mut settings, &mut seen, diags);
    }
    settings
}

fn apply_document(doc: &SettingsSpec, settings: &mut Settings, diags: &mut Diagnostics) {
    if let Some((list, at)) = &doc.severities {
        if let Some(classes) = validate_classes(list, *at, diags) {
            settings.classes = classes;
        }
    }
    let (page, ticket) = tier_classes(doc, &settings.classes, diags);
    settings.page = page;
    settings.ticket = ticket;
    settings.deliveries = std::sync::Arc::new(deliveries(doc, diags));
    let written = classes_written(doc);
    for (i, class) in settings.classes.iter().enumerate() {
        let spec = written.get(i);
        let at = spec
            .and_then(|s| s.receiver.as_ref().or(s.name.as_ref()))
            .map_or(doc.location, |t| t.location);
        let whose = format!("the severity class `{}`", class.name);
        check_delivered(
            &settings.deliveries,
            &class.receiver,
            &whose,
            Some(at),
            diags,
        );
    }
    settings.grafana_url = doc.grafana_url.as_ref().and_then(|u| http_url(u, diags));
    settings.runbook_base_url = doc
        .runbook_base_url
        .as_ref()
        .and_then(|u| http_url(u, diags));
    apply_choices(doc, settings, diags);
    if let Some(text) = &doc.default_window {
        if let Some(window) = validate_window(text, diags) {
            settings.default_window = window;
        }
    }
}

/// The peer layout and the query language the document chooses.
fn apply_choices(doc: &SettingsSpec, settings: &mut Settings, diags: &mut Diagnostics) {
    if let Some(text) = &doc.compat {
        settings.compat = crate::model::Compat::parse(&text.value);
        if settings.compat.is_none() {
            diags.push(spec_diags::unknown_value(
                text.location,
                "`compat` value",
                &text.value,
                crate::model::Compat::NAMES,
            ));
        }
    }
    if let Some(text) = &doc.query_language {
        match crate::model::QueryLanguage::parse(&text.value) {
            Some(language) => settings.query_language = language,
            None => diags.push(spec_diags::unknown_value(
                text.location,
                "`query_language` value",
                &text.value,
                crate::model::QueryLanguage::NAMES,
            )),
        }
    }
}

/// The classes as the document writes them (none when it writes none).
fn classes_written(doc: &SettingsSpec) -> &[SeveritySpec] {
    doc.severities
        .as_ref()
        .map_or(&[], |(list, _)| list.as_slice())
}

/// The receivers' integrations, by name.
fn deliveries(doc: &SettingsSpec, diags: &mut Diagnostics) -> crate::model::Deliveries {
    let mut out = crate::model::Deliveries::new();
    for receiver in &doc.receivers {
        if receiver.name.value.trim().is_empty() {
            diags.push(diags::empty_name(
                Some(receiver.name.location),
                "a receiver name",
            ));
            continue;
        }
        let delivery = crate::model::Delivery {
            integrations: receiver.integrations.clone(),
            location: receiver.name.location,
        };
        out.insert(receiver.name.value.clone(), delivery);
    }
    out
}

/// Reports `receiver` (where `whose` alerts go) when the settings declare receivers but not it.
pub(super) fn check_delivered(
    deliveries: &crate::model::Deliveries,
    receiver: &str,
    whose: &str,
    at: Option<Location>,
    diags: &mut Diagnostics,
) {
    if let Some(at) = at.filter(|_| !deliveries.is_empty() && !deliveries.contains_key(receiver)) {
        diags.push(diags::undelivered_receiver(at, whose, receiver));
    }
}

/// The classes as written; `None` (after reporting) when any is wrong or there are none.
fn validate_classes(
    list: &[SeveritySpec],
    at: Location,
    diags: &mut Diagnostics,
) -> Option<Vec<SeverityClass>> {
    let before = diags.counts().0;
    if list.is_empty() {
        diags.push(spec_diags::empty_list(at, "severities", "the settings"));
    }
    let mut first: BTreeMap<&str, Location> = BTreeMap::new();
    let mut classes = Vec::new();
    for (rank, spec) in list.iter().enumerate() {
        let Some(name) = &spec.name else { continue };
        if name.value.trim().is_empty() {
            diags.push(diags::empty_name(
                Some(name.location),
                "a severity class name",
            ));
            continue;
        }
        if let Some(original) = first.insert(&name.value, name.location) {
            diags.push(diags::duplicate_severity(
                name.location,
                &name.value,
                original,
            ));
        }
        classes.extend(class_of(spec, &name.value, rank, diags));
    }
    // A list whose every entry was unusable (reported where it was read) keeps the defaults:
    // no run goes on with no class at all.
    (diags.counts().0 == before && !classes.is_empty()).then_some(classes)
}

fn class_of(
    spec: &SeveritySpec,
    name: &str,
    rank: usize,
    diags: &mut Diagnostics,
) -> Option<SeverityClass> {
    let page = spec.page.as_ref().is_some_and(|p| p.value);
    let repeat_interval = match &spec.repeat_interval {
        Some(text) => parse_duration(text, "`repeat_interval`", diags)?,
        None => default_repeat(page),
    };
    // Updates to a notified incident wait as long as a reminder would: a tier handing over
    // to a slower one, or a class freed when a more urgent one resolves, is one update.
    let group_interval = match &spec.group_interval {
        Some(text) => parse_duration(text, "`group_interval`", diags)?,
        None => repeat_interval,
    };
    let receiver = spec.receiver.as_ref().map_or(name, |r| r.value.as_str());
    if receiver.trim().is_empty() {
        diags.push(diags::empty_name(
            spec.receiver.as_ref().map(|r| r.location),
            &format!("the receiver of the severity class `{name}`"),
        ));
        return None;
    }
    Some(SeverityClass {
        name: name.to_string(),
        response: spec
            .response
            .as_ref()
            .map_or(default_response(page), |r| r.value.as_str())
            .to_string(),
        page,
        receiver: receiver.to_string(),
        team_receiver: None,
        repeat_interval,
        group_interval,
        rank,
    })
}

/// Which class the page and the ticket tiers get: `tiers` when it says, otherwise the first
/// paging and the first non-paging class.
fn tier_classes(
    doc: &SettingsSpec,
    classes: &[SeverityClass],
    diags: &mut Diagnostics,
) -> (usize, usize) {
    let mut chosen = [None, None];
    for (key, value) in &doc.tiers {
        let slot = match key.value.as_str() {
            "page" => 0,
            "ticket" => 1,
            other => {
                diags.push(spec_diags::unknown_key(
                    key.location,
                    other,
                    "`tiers`",
                    &["page", "ticket"],
                ));
                continue;
            }
        };
        chosen[slot] = Some(
            find_class(value, classes, Some(slot == 0), diags)
                .unwrap_or(slot.min(classes.len() - 1)),
        );
    }
    let at = doc.severities.as_ref().map_or(doc.location, |(_, at)| *at);
    let [page, ticket] = [(0, true), (1, false)].map(|(slot, pages)| {
        chosen[slot].unwrap_or_else(|| fallback_class(classes, pages, at, diags))
    });
    (page, ticket)
}

/// The first class that pages (or does not); reported when there is none.
fn fallback_class(
    classes: &[SeverityClass],
    pages: bool,
    at: Location,
    diags: &mut Diagnostics,
) -> usize {
    if let Some(i) = classes.iter().position(|c| c.page == pages) {
        return i;
    }
    let tier = if pages { "page" } else { "ticket" };
    diags.push(diags::no_severity_class(at, tier, pages, &classes[0].name));
    0
}

fn validate_policy(
    policy: &PolicySpec,
    settings: &mut Settings,
    seen: &mut BTreeMap<Duration, Location>,
    diags: &mut Diagnostics,
) {
    let Some(window) = policy
        .window
        .as_ref()
        .and_then(|text| validate_window(text, diags))
    else {
        return;
    };
    if let Some(first) = seen.insert(window, policy.location) {
        diags.push(diags::duplicate_policy(
            policy.location,
            &window.to_string(),
            first,
        ));
        return;
    }
    let at = Some(policy.location);
    if let Some(entries) = custom_policy(&policy.windows, at, window, &settings.classes, diags) {
        settings.policies.insert(window, entries);
    }
}

#[cfg(test)]
mod tests {
    use crate::diag::Sources;
    use crate::model::check::{check_sources, Checked};
    use crate::spec::import::codes_and_lines;
    use crate::vocab::number::format_decimal;

    fn check(files: &[(&str, &str)]) -> Checked {
        let mut sources = Sources::default();
        for (name, text) in files {
            sources.add(*name, *text);
        }
        check_sources(sources)
    }

    const SPEC: &str = "apiVersion: slocc/v1\nservice: api\nrunbook_base_url: https://r.example.com\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      raw: {error_ratio: 'sum(rate(e[{{window}}])) / sum(rate(t[{{window}}]))'}\n";

    /// `(class, long window, factor)` of every tier of the first SLO.
    fn tiers(checked: &Checked) -> Vec<(String, String, String)> {
        checked.services[0].slos[0]
            .tiers
            .iter()
            .map(|t| {
                (
                    t.class.name.clone(),
                    t.long.to_string(),
                    format_decimal(t.factor),
                )
            })
            .collect()
    }

    fn row(class: &str, long: &str, factor: &str) -> (String, String, String) {
        (class.into(), long.into(), factor.into())
    }

    #[test]
    fn classes_map_tiers_and_an_slo_may_choose_its_own() {
        let settings = "apiVersion: slocc/v1\nkind: Settings\nseverities:\n  - {name: P0, page: true, response: all hands}\n  - {name: P1, page: true}\n  - {name: P3}\ntiers: {page: P1}\n";
        let spec = SPEC.to_string() + "    alerting:\n      ticket: {severity: P0}\n";
        let checked = check(&[("a.yaml", &spec), ("settings.yaml", settings)]);
        assert!(!checked.failed(), "{:?}", checked.diagnostics);
        let classes: Vec<String> = tiers(&checked).into_iter().map(|t| t.0).collect();
        // The ticket tiers chose a paging class; they keep their windows and page settings.
        assert_eq!(classes, ["P1", "P1", "P0", "P0"]);
        let class = &checked.services[0].slos[0].tiers[2].class;
        assert_eq!((class.response.as_str(), class.page), ("all hands", true));
        assert_eq!(
            checked.services[0].slos[0].tiers[0].class.response,
            "now, day or night"
        );
    }

    #[test]
    fn a_key_of_the_other_document_kind_says_where_it_belongs() {
        let settings = "apiVersion: slocc/v1\nkind: Settings\nrunbook: {diagnosis: []}\n";
        let spec = SPEC.replace("slos:", "tiers: {page: P1}\nslos:");
        let checked = check(&[("a.yaml", &spec), ("s.yaml", settings)]);
        let hints: Vec<&str> = checked
            .diagnostics
            .sorted()
            .iter()
            .map(|d| d.hint.as_str())
            .collect();
        assert_eq!(hints, ["`tiers` belongs in the settings document (`kind: Settings`, docs/settings.md), not in a service spec", "`runbook` belongs in a service spec (`apiVersion: slocc/v1` with `service:`), not in the settings"]);
    }

    #[test]
    fn receivers_follow_the_service_and_classes_rank_in_the_order_written() {
        let settings = "apiVersion: slocc/v1\nkind: Settings\nseverities:\n  - {name: P3}\n  - {name: P0, page: true, receiver: site, group_interval: 2h}\n  - {name: P1, page: true}\ntiers: {page: P1}\nreceivers:\n  site: {webhook_configs: [{url: 'http://a'}]}\n  P1: {webhook_configs: [{url: 'http://b'}]}\n  P3: {webhook_configs: [{url: 'http://c'}]}\n  own: {webhook_configs: [{url: 'http://d'}]}\n";
        let spec = SPEC.replace("slos:", "receivers: {P1: own}\nslos:");
        let checked = check(&[("a.yaml", &spec), ("s.yaml", settings)]);
        assert!(!checked.failed(), "{:?}", checked.diagnostics);
        let class = &checked.services[0].slos[0].tiers[0].class;
        assert_eq!(
            (class.name.as_str(), class.delivered_to(), class.rank),
            ("P1", "own", 2)
        );
        assert_eq!(class.group_interval.to_string(), "1h");
        assert_eq!(checked.services[0].deliveries.len(), 4);
    }

    #[test]
    fn every_settings_problem_is_reported_at_its_line() {
        let settings = "apiVersion: slocc/v1\nkind: Settings\nseverities:\n  - {name: P1, page: true}\n  - {name: P1}\n  - {name: P2, repeat_interval: often}\ntiers: {page: P9, urgent: P1}\ngrafana_url: grafana.local\ndefault_window: 400d\n";
        let spec = SPEC.to_string() + "    alerting:\n      page: {severity: P7}\n";
        let second = "apiVersion: slocc/v1\nkind: Settings\n";
        let checked = check(&[("a.yaml", &spec), ("s.yaml", settings), ("z.yaml", second)]);
        assert_eq!(
            codes_and_lines(&checked.diagnostics),
            [
                ("invalid-severity".to_string(), 10),
                ("duplicate-severity".to_string(), 5),
                ("invalid-duration".to_string(), 6),
                ("invalid-severity".to_string(), 7),
                ("unknown-key".to_string(), 7),
                ("invalid-url".to_string(), 8),
                ("window-out-of-range".to_string(), 9),
                ("duplicate-settings".to_string(), 1),
            ]
        );
    }

    #[test]
    fn a_class_for_each_tier_is_needed() {
        let settings =
            "apiVersion: slocc/v1\nkind: Settings\nseverities:\n  - {name: P1, page: true}\n";
        let checked = check(&[("a.yaml", SPEC), ("s.yaml", settings)]);
        let d = checked.diagnostics.sorted()[0];
        assert_eq!(
            (d.code.as_str(), d.location.unwrap().line),
            ("no-severity-class", 3)
        );
        assert!(d.message.contains("`ticket`"), "{}", d.message);
    }

    #[test]
    fn a_sloth_catalog_and_the_default_window_give_sloths_seven_day_alerts() {
        let sloth = "version: prometheus/v1\nservice: api\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      raw: {error_ratio_query: 'sum(rate(e[{{.window}}])) / sum(rate(t[{{.window}}]))'}\n    alerting: {name: ApiAvailability}\n";
        let catalog = "apiVersion: sloth.slok.dev/v1\nkind: AlertWindows\nspec:\n  sloPeriod: 7d\n  page:\n    quick: {errorBudgetPercent: 8, shortWindow: 5m, longWindow: 1h}\n    slow: {errorBudgetPercent: 12.5, shortWindow: 30m, longWindow: 6h}\n  ticket:\n    quick: {errorBudgetPercent: 20, shortWindow: 2h, longWindow: 1d}\n    slow: {errorBudgetPercent: 42, shortWindow: 6h, longWindow: 3d}\n";
        let settings = "apiVersion: slocc/v1\nkind: Settings\ndefault_window: 7d\nrunbook_base_url: https://git.example.com/slos\n";
        let checked = check(&[("a.yaml", sloth), ("w.yaml", catalog), ("s.yaml", settings)]);
        assert!(!checked.failed(), "{:?}", checked.diagnostics);
        assert_eq!(checked.services[0].slos[0].window.to_string(), "7d");
        // Sloth's 7-day catalog: 13.44x, 3.5x, 1.4x and 0.98x (no warning: the default policy's
        // slowest tier is 0.9333x).
        assert_eq!(
            tiers(&checked),
            [
                row("page", "1h", "13.44"),
                row("page", "6h", "3.5"),
                row("ticket", "1d", "1.4"),
                row("ticket", "3d", "0.98"),
            ]
        );
        assert_eq!(codes_and_lines(&checked.diagnostics), []);
    }

    #[test]
    fn two_policies_for_one_window_are_refused() {
        let settings = "apiVersion: slocc/v1\nkind: Settings\npolicies:\n  - window: 30d\n    windows:\n      - {long: 1h, short: 5m, budget_percent: 2, severity: page}\n  - window: 30d\n    windows:\n      - {long: 6h, short: 30m, budget_percent: 5, severity: page}\n";
        let checked = check(&[("a.yaml", SPEC), ("s.yaml", settings)]);
        assert_eq!(
            codes_and_lines(&checked.diagnostics),
            [("duplicate-policy".to_string(), 7)]
        );
        assert_eq!(tiers(&checked), [row("page", "1h", "14.4")]);
    }
}
