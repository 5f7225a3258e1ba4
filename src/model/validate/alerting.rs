//! Validating alerting: alert names, tier settings, the default and custom window policies,
//! burn factors and the warnings about tiers that cannot fire or budgets gone in seconds.

use super::*;

pub(super) fn check_budget(
    spec: &SloSpec,
    budget: Decimal,
    window: Duration,
    diags: &mut Diagnostics,
) {
    let outage_secs = crate::vocab::number::to_f64(budget) * window.as_secs_f64();
    if outage_secs < 60.0 {
        let location = spec
            .objective
            .as_ref()
            .map_or(spec.location, |o| o.location);
        let name = spec.name.as_ref().map_or("", |n| n.value.as_str());
        diags.push(diags::tiny_budget(
            location,
            name,
            &humanize_secs(outage_secs),
        ));
    }
}

pub(super) fn validate_alert_name(
    alerting: &AlertingSpec,
    service: Option<&str>,
    slo: Option<&str>,
    diags: &mut Diagnostics,
) -> Option<String> {
    match &alerting.name {
        // Prometheus takes any non-empty text as an alert name (it becomes the `alertname`
        // label's value); names outside the usual identifier form are warned about only.
        Some(name) if name.value.trim().is_empty() => {
            diags.push(diags::invalid_alert_name(name.location));
            None
        }
        Some(name) => {
            let usual = is_valid_metric_name(&name.value) && !name.value.contains(':');
            if !usual {
                diags.push(diags::unusual_alert_name(name.location, &name.value));
            }
            Some(name.value.clone())
        }
        None => Some(format!(
            "{}{}BudgetBurn",
            camel_case(service?),
            camel_case(slo?)
        )),
    }
}

/// `checkout-api` -> `CheckoutApi`.
fn camel_case(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut chars = w.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// One tier's settings from `alerting.page` or `alerting.ticket`, with its class resolved.
struct TierSettings {
    disabled: bool,
    for_duration: Option<Duration>,
    labels: BTreeMap<String, String>,
    annotations: BTreeMap<String, String>,
    /// The class the SLO gives this tier (its own `severity`, or the settings').
    class: SeverityClass,
    /// A `severity` label in the tier's labels: the class renamed.
    rename: Option<String>,
}

fn tier_settings(
    spec: &TierSpec,
    urgency: Urgency,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> TierSettings {
    let what = urgency.as_str();
    let for_duration = spec
        .for_duration
        .as_ref()
        .and_then(|f| parse_duration(f, &format!("`{what}.for`"), diags));
    let mut labels = check_labels(&spec.labels, &format!("{what} label"), diags, true);
    let class = spec
        .severity
        .as_ref()
        .and_then(|name| {
            find_class(
                name,
                &settings.classes,
                Some(urgency == Urgency::Page),
                diags,
            )
        })
        .map_or_else(|| settings.class_for(urgency), |i| &settings.classes[i]);
    TierSettings {
        disabled: spec.disable.as_ref().is_some_and(|d| d.value),
        for_duration,
        rename: labels.remove("severity"),
        labels,
        annotations: check_annotations(&spec.annotations, diags),
        class: class.clone(),
    }
}

/// The index of the class `name` names; an unknown name is an error at its line, whose hint
/// suggests a class that pages when a paging one is wanted (`pages`), and never crosses.
pub(super) fn find_class(
    name: &Text,
    classes: &[SeverityClass],
    pages: Option<bool>,
    diags: &mut Diagnostics,
) -> Option<usize> {
    if let Some(i) = classes.iter().position(|c| c.name == name.value) {
        return Some(i);
    }
    let known: Vec<(&str, bool)> = classes.iter().map(|c| (c.name.as_str(), c.page)).collect();
    diags.push(diags::invalid_severity(
        name.location,
        &name.value,
        &known,
        pages,
    ));
    None
}

/// One policy entry before factors are computed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PolicyEntry {
    pub(super) class: EntryClass,
    pub(super) budget_percent: Decimal,
    pub(super) long: Duration,
    pub(super) short: Duration,
    pub(super) location: Option<Location>,
    /// The burn factor when the policy gives it outright (Pyrra's 14/7/2/1), so that it is
    /// printed exactly rather than recomputed from a rounded share of the budget.
    pub(super) factor: Option<Decimal>,
    /// The policy's own `for:` (Pyrra's), unless the SLO sets one.
    pub(super) for_duration: Option<Duration>,
}

/// Whom a policy entry alerts: the SLO's page or ticket class, or a class named outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum EntryClass {
    Tier(Urgency),
    Class(usize),
}

/// The SLO's own windows, else the settings' policy for its window, else Pyrra's with
/// `--compat pyrra`, else the default policy.
fn policy(
    alerting: &AlertingSpec,
    window: Duration,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Option<Vec<PolicyEntry>> {
    Some(match &alerting.windows {
        None => settings
            .policies
            .get(&window)
            .cloned()
            .unwrap_or_else(|| match settings.compat {
                Some(crate::model::Compat::Pyrra) => super::peer_policy::pyrra(window),
                _ => default_policy(window),
            }),
        Some(entries) => custom_policy(
            entries,
            alerting.windows_at,
            window,
            &settings.classes,
            diags,
        )?,
    })
}

/// The numbers an SLO's tiers are computed from.
pub(super) struct Budget<'a> {
    /// The SLO's name, and where its objective is written (what a dead tier is reported at
    /// when its policy has no line of its own).
    pub(super) slo: &'a str,
    pub(super) at: Location,
    pub(super) budget: Decimal,
    pub(super) window: Duration,
    pub(super) objective: Decimal,
}

/// The SLO's tiers, and the tiers of its policy left out because they can never fire.
pub(super) fn build_tiers(
    alerting: &AlertingSpec,
    numbers: &Budget,
    settings: &Settings,
    diags: &mut Diagnostics,
) -> Option<Tiers> {
    let page = tier_settings(&alerting.page, Urgency::Page, settings, diags);
    let ticket = tier_settings(&alerting.ticket, Urgency::Ticket, settings, diags);
    let policy = policy(alerting, numbers.window, settings, diags)?;
    let mut windows: Vec<Duration> = policy.iter().flat_map(|e| [e.long, e.short]).collect();
    windows.sort();
    windows.dedup();
    let (mut tiers, mut dead) = (Vec::new(), Vec::new());
    for entry in policy {
        let (urgency, named) = match entry.class {
            EntryClass::Tier(urgency) => (urgency, None),
            EntryClass::Class(i) => {
                let class = &settings.classes[i];
                let urgency = if class.page {
                    Urgency::Page
                } else {
                    Urgency::Ticket
                };
                (urgency, Some(class))
            }
        };
        let own = if urgency == Urgency::Page {
            &page
        } else {
            &ticket
        };
        if own.disabled {
            continue;
        }
        let mut class = named.unwrap_or(&own.class).clone();
        if let Some(name) = &own.rename {
            class.name.clone_from(name);
        }
        let described = format!("{} {}/{}", class.name, entry.long, entry.short);
        match tier_of(&entry, class, urgency, own, numbers, diags) {
            Some(tier) => tiers.push(tier),
            None => dead.push(described),
        }
    }
    tiers.sort_by_key(|t| (t.severity, t.long, t.short));
    Some(Tiers {
        tiers,
        dead,
        windows,
    })
}

/// An SLO's tiers: those that alert, those of the policy that never can (described), and every
/// window of the policy.
pub(super) struct Tiers {
    pub(super) tiers: Vec<Tier>,
    pub(super) dead: Vec<String>,
    pub(super) windows: Vec<Duration>,
}

/// One entry's tier, or `None` (with a warning) when it can never fire; a custom tier slower
/// than the default policy's slowest (28/30 = 0.9333x, the workbook's at 28 days) warns: the
/// same rule for native and imported tiers, and the default policy never triggers it.
fn tier_of(
    entry: &PolicyEntry,
    class: SeverityClass,
    urgency: Urgency,
    own: &TierSettings,
    numbers: &Budget,
    diags: &mut Diagnostics,
) -> Option<Tier> {
    let factor = entry
        .factor
        .unwrap_or_else(|| burn_factor(entry.budget_percent, numbers.window, entry.long));
    let threshold = factor * numbers.budget;
    // Rounded as rules print it: a factor given as 1 (an OpenSLO threshold) arrives as
    // 0.99999... after the share-of-budget round trip.
    let slowest = (Decimal::from(28) / Decimal::from(30)).round_dp(12);
    if let Some(at) = entry.location.filter(|_| factor.round_dp(12) < slowest) {
        diags.push(diags::slow_tier(
            at,
            &tier_name(entry, numbers.slo, &class.name),
            &crate::vocab::number::format_human(factor),
        ));
    }
    if threshold >= Decimal::ONE {
        let location = entry.location.unwrap_or(numbers.at);
        diags.push(never_fires(
            &tier_name(entry, numbers.slo, &class.name),
            factor,
            threshold,
            numbers.objective,
            location,
        ));
        return None;
    }
    Some(Tier {
        severity: urgency,
        class,
        long: entry.long,
        short: entry.short,
        budget_percent: entry.budget_percent,
        factor,
        threshold,
        for_duration: own.for_duration.or(entry.for_duration),
        labels: own.labels.clone(),
        annotations: own.annotations.clone(),
    })
}

/// The window the workbook's tiers are used at unchanged; shorter SLO windows get them scaled.
const FULL_SCALE: Duration = Duration::from_secs(28 * 86_400);
/// Shortest windows of a scaled tier: a short window under 5m would read fewer samples than
/// a 1-minute evaluation needs, and a long one must stay longer than its short one.
const MIN_SHORT: u64 = 5 * 60;
const MIN_LONG: u64 = 10 * 60;

/// The window at which the workbook's slowest tier (10% of the budget in 3d) is 1x.
const ONE_TO_ONE: Duration = Duration::from_secs(30 * 86_400);

/// The workbook's four tiers, for an SLO window of `window`. From 28 days up they are used as
/// the workbook gives them (factors 13.44/5.6/2.8/0.933 at 28d, 14.4/6/3/1 at 30d: the same
/// 2/5/10/10% of the budget spent when each fires), but for the slowest past 30 days: as it
/// is, its factor would grow with the window (3x at 90d, where a 2.9x burn empties the budget
/// in 31 days and nothing alerts), so its windows grow instead and it stays at 1x (9d/18h at
/// 90d): every burn that empties the budget within the window is caught. Shorter windows would
/// give factors far under 1 (a 7d SLO would ticket at 0.23x, a burn that never empties its
/// budget), so their alert windows are scaled down with the SLO window instead, keeping the
/// 28-day factors: a 7d SLO pages at 13.44x over 15m/5m and 5.6x over 1h30m/8m, and tickets at
/// 2.8x over 6h/30m and 0.933x over 18h/1h30m. Windows are whole minutes, at least 10m long and
/// 5m short; where that minimum lengthens a window, the tier keeps its factor and fires at a
/// larger share of the budget.
fn default_policy(window: Duration) -> Vec<PolicyEntry> {
    let slowest = DEFAULT_POLICY[DEFAULT_POLICY.len() - 1].2;
    DEFAULT_POLICY
        .iter()
        .map(|(severity, pct, long, short)| {
            let (budget_percent, long, short) = if *long == slowest && window > ONE_TO_ONE {
                grown_to_one(*long, window)
            } else if window >= FULL_SCALE {
                (Decimal::from(*pct), *long, *short)
            } else {
                scaled_down(*pct, *long, window)
            };
            PolicyEntry {
                class: EntryClass::Tier(*severity),
                budget_percent: budget_percent.normalize(),
                long: Duration::from_secs(long),
                short: Duration::from_secs(short),
                location: None,
                factor: None,
                for_duration: None,
            }
        })
        .collect()
}

/// Seconds rounded to the nearest whole minute.
fn whole_minutes(secs: u64) -> u64 {
    (secs + 30) / 60 * 60
}

/// The slowest tier past 30 days: 10% of the budget over windows grown with the SLO window,
/// so its factor stays 1 (`(budget %, long, short)` in seconds).
fn grown_to_one(long: u64, window: Duration) -> (Decimal, u64, u64) {
    let new_long =
        whole_minutes(long * (window.as_millis() / 1_000) / (ONE_TO_ONE.as_millis() / 1_000));
    (Decimal::from(10), new_long, whole_minutes(new_long / 12))
}

/// A tier for an SLO window under 28 days: windows scaled by window/28d, the 28-day factor
/// kept (`(budget %, long, short)` in seconds).
fn scaled_down(pct: u32, long: u64, window: Duration) -> (Decimal, u64, u64) {
    let window_secs = window.as_millis() / 1_000;
    let full_secs = FULL_SCALE.as_millis() / 1_000;
    let new_long = whole_minutes(long * window_secs / full_secs).max(MIN_LONG);
    let new_short = whole_minutes(new_long / 12).max(MIN_SHORT);
    // factor = pct x 28d / long, kept: pct' = factor x new_long / window.
    let budget_percent = Decimal::from(pct) * Decimal::from(full_secs) * Decimal::from(new_long)
        / (Decimal::from(long) * Decimal::from(window_secs));
    (budget_percent, new_long, new_short)
}

/// The warning for a tier whose threshold is at or above a 100% error ratio.
fn never_fires(
    tier: &diags::TierName<'_>,
    factor: Decimal,
    threshold: Decimal,
    objective: Decimal,
    location: Location,
) -> Diagnostic {
    diags::tier_never_fires(
        location,
        tier,
        &format_decimal(factor),
        &format_decimal(threshold),
        &format_decimal(objective),
    )
}

/// A tier as messages name it.
fn tier_name<'a>(entry: &PolicyEntry, slo: &'a str, class: &'a str) -> diags::TierName<'a> {
    diags::TierName {
        slo,
        class,
        long: entry.long.to_string(),
        short: entry.short.to_string(),
    }
}

pub(super) fn custom_policy(
    entries: &[WindowSpec],
    at: Option<Location>,
    window: Duration,
    classes: &[SeverityClass],
    diags: &mut Diagnostics,
) -> Option<Vec<PolicyEntry>> {
    let before = diags.counts().0;
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    if entries.is_empty() {
        diags.push(spec_diags::empty_list(
            at,
            "windows",
            "the alert-window policy",
        ));
    }
    for entry in entries {
        let Some((long, short, class, budget_percent)) = window_entry(entry, classes, diags) else {
            continue;
        };
        let problem = if short >= long {
            Some(format!(
                "short window {short} is not shorter than long window {long}"
            ))
        } else if long > window {
            Some(format!(
                "long window {long} is longer than the SLO window {window}"
            ))
        } else if short < Duration::from_secs(60) {
            Some(format!(
                "short window {short} is under 1m, shorter than a useful rate()"
            ))
        } else if !seen.insert((long, short)) {
            Some(format!("the window pair {long}/{short} is listed twice"))
        } else {
            None
        };
        if let Some(message) = problem {
            diags.push(diags::invalid_window_pair(entry.location, &message));
            continue;
        }
        out.push(PolicyEntry {
            class,
            budget_percent,
            long,
            short,
            location: Some(entry.location),
            factor: None,
            for_duration: None,
        });
    }
    (diags.counts().0 == before).then_some(out)
}

/// One custom window entry's fields, each checked at its line: long and short windows,
/// severity, and the share of the budget in percent.
fn window_entry(
    entry: &WindowSpec,
    classes: &[SeverityClass],
    diags: &mut Diagnostics,
) -> Option<(Duration, Duration, EntryClass, Decimal)> {
    let long = entry
        .long
        .as_ref()
        .and_then(|t| parse_duration(t, "`long`", diags));
    let short = entry
        .short
        .as_ref()
        .and_then(|t| parse_duration(t, "`short`", diags));
    let class = entry
        .severity
        .as_ref()
        .and_then(|s| match s.value.as_str() {
            "page" => Some(EntryClass::Tier(Urgency::Page)),
            "ticket" => Some(EntryClass::Tier(Urgency::Ticket)),
            _ => find_class(s, classes, None, diags).map(EntryClass::Class),
        });
    let budget_percent =
        entry
            .budget_percent
            .as_ref()
            .and_then(|b| match Decimal::from_str(b.value.trim()) {
                Ok(v) if v > Decimal::ZERO && v <= Decimal::ONE_HUNDRED => Some(v.normalize()),
                _ => {
                    diags.push(diags::invalid_number(
                        b.location,
                        "`budget_percent`",
                        &b.value,
                        "a percentage in (0, 100]",
                        "2",
                    ));
                    None
                }
            });
    Some((long?, short?, class?, budget_percent?))
}
