//! The model stage's diagnostics: one constructor per kind, each the only place its code is
//! built (`tests/diagnostics.rs`). Situations the reading stage also meets (a missing field,
//! an unknown value, a bad duration) use `spec::diags`.

use crate::diag::{did_you_mean, Code, Diagnostic, Location};

/// A number `value` of `field` that is not `expected` ("a number", "a positive whole
/// number"); `example` shows one that is.
pub(crate) fn invalid_number(
    at: Location,
    field: &str,
    value: &str,
    expected: &str,
    example: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidNumber,
        Some(at),
        format!("{field} `{}` is not {expected}", value.trim()),
        format!("write {expected}, e.g. `{example}`"),
    )
}

/// A number (`field` = `value`) with more significant digits than slocc keeps exactly.
pub(crate) fn too_precise(at: Location, field: &str, value: &str, digits: usize) -> Diagnostic {
    Diagnostic::new(
        Code::TooPrecise,
        Some(at),
        format!(
            "{field} `{}` has more digits than slocc keeps exactly ({digits} significant, {digits} after the point) and would have to be rounded",
            value.trim()
        ),
        "round it to the digits you mean (`99.9`, `99.95`): Prometheus itself keeps about 15",
    )
}

/// An objective outside (0, 100); `meant` is the percentage a ratio such as `0.999` was
/// probably meant as.
pub(crate) fn objective_out_of_range(at: Location, value: &str, meant: Option<&str>) -> Diagnostic {
    let (message, hint) = match meant {
        None => (
            format!("objective `{value}` is not between 0 and 100 percent"),
            "an objective is a percentage strictly between 0 and 100, e.g. `99.9`".to_string(),
        ),
        Some(percent) => (
            format!("objective `{value}` means {value}%, which no SLO intends"),
            format!("objectives are percentages: write `{percent}` rather than `{value}`"),
        ),
    };
    Diagnostic::new(Code::ObjectiveOutOfRange, Some(at), message, hint)
}

/// An SLO window outside 1d..90d.
pub(crate) fn window_out_of_range(at: Location, value: &str) -> Diagnostic {
    Diagnostic::new(
        Code::WindowOutOfRange,
        Some(at),
        format!("window `{value}` is outside 1d..90d"),
        "SLO windows run from `1d` to `90d`; `30d` and `28d` are the usual choices",
    )
}

/// A service (`what` = "service") or SLO name that cannot name output files.
pub(crate) fn invalid_name(at: Location, what: &str, name: &str, max_len: usize) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidName,
        Some(at),
        format!("invalid {what} name `{}`", name.escape_debug()),
        format!("a {what} name starts with a letter or digit and holds only letters, digits, `-`, `_` and `.` (no `..`, at most {max_len} characters), because it names output files"),
    )
}

/// A label (`what`: "service label", "annotation", "`breakdown_by` label") Prometheus rejects.
pub(crate) fn invalid_label_name(at: Location, what: &str, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidLabelName,
        Some(at),
        format!("invalid {what} name `{}`", name.escape_debug()),
        "label and annotation names match `[a-zA-Z_][a-zA-Z0-9_]*` and do not start with `__`",
    )
}

/// A label slocc sets itself, given as a `what` ("service label", "SLO label").
pub(crate) fn reserved_label(at: Location, name: &str, what: &str) -> Diagnostic {
    let hint = if name == "severity" {
        "set `severity` in `alerting.page.labels` or `alerting.ticket.labels` to rename a tier's severity"
    } else {
        "slocc sets this label itself; rename yours"
    };
    Diagnostic::new(
        Code::ReservedLabel,
        Some(at),
        format!("`{name}` is set by slocc and cannot be a {what}"),
        hint,
    )
}

/// An empty alert name.
pub(crate) fn invalid_alert_name(at: Location) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidAlertName,
        Some(at),
        "the alert name is empty",
        "give the alert a name of letters and digits, e.g. `ApiAvailabilityBudgetBurn`",
    )
}

/// An alert name Prometheus accepts that is not a plain identifier.
pub(crate) fn unusual_alert_name(at: Location, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnusualAlertName,
        Some(at),
        format!("alert name `{}` is not a plain identifier", name.escape_debug()),
        "Prometheus accepts it; routes and silences are easier to write for names like `CheckoutAvailabilityBudgetBurn`",
    )
}

/// A base URL (`grafana_url`, `runbook_base_url`) that is not absolute http(s).
pub(crate) fn invalid_url(at: Location, value: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidUrl,
        Some(at),
        format!("`{}` is not an absolute http(s) URL", value.escape_debug()),
        "write the whole URL, e.g. `https://grafana.example.com`",
    )
}

/// The service `name`'s alerts link runbooks by a relative path.
pub(crate) fn relative_runbook_url(at: Location, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::RelativeRunbookUrl,
        Some(at),
        format!("the alerts of `{name}` link their runbooks by a relative path, which does not open from a notification"),
        "set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)",
    )
}

/// A second SLO named `name` in one service; `first` is the first.
pub(crate) fn duplicate_slo(at: Location, name: &str, first: Location) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateSlo,
        Some(at),
        format!(
            "the SLO name `{name}` is used twice in this service (first on line {}{})",
            first.line,
            if first.source == at.source {
                ""
            } else {
                " of another file"
            }
        ),
        "SLO names must be unique within a service",
    )
    .with_label(first, "first used here")
}

/// A second spec for the service `name`, first declared in `file` at `first`.
pub(crate) fn duplicate_service(
    at: Location,
    name: &str,
    file: &str,
    first: Location,
) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateService,
        Some(at),
        format!(
            "the service `{name}` is already declared in {file}:{}",
            first.line
        ),
        "each service is compiled to its own file: give it one spec, or rename one",
    )
    .with_label(first, "first declared here")
}

/// A second settings document; `used` is the one that counts.
pub(crate) fn duplicate_settings(at: Location, used: Location) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateSettings,
        Some(at),
        "a second settings document; the first one is used",
        "keep one `kind: Settings` document for all specs",
    )
    .with_label(used, "the settings used")
}

/// A second alert-window policy for SLOs of `window`.
pub(crate) fn duplicate_policy(at: Location, window: &str, first: Location) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicatePolicy,
        Some(at),
        format!("a second alert-window policy for SLOs of {window}"),
        "keep one policy (or Sloth AlertWindows catalog) per SLO window",
    )
    .with_label(first, "the first policy for this window")
}

/// A severity class name the settings do not define; `known` are the ones they do and whether
/// each pages. A suggestion never crosses between paging and non-paging classes: where the
/// context wants one kind (`pages`) only that kind is suggested, and where it does not say, a
/// name close to both kinds gets the list, not a guess.
pub(crate) fn invalid_severity(
    at: Location,
    name: &str,
    known: &[(&str, bool)],
    pages: Option<bool>,
) -> Diagnostic {
    let of = |kind: bool| -> Vec<&str> {
        known
            .iter()
            .filter(|(_, p)| *p == kind)
            .map(|(n, _)| *n)
            .collect()
    };
    let best = match pages {
        Some(kind) => did_you_mean(name, &of(kind)),
        None => match (
            did_you_mean(name, &of(true)),
            did_you_mean(name, &of(false)),
        ) {
            (Some(best), None) | (None, Some(best)) => Some(best),
            _ => None,
        },
    };
    let listed: Vec<String> = known
        .iter()
        .map(|(n, p)| {
            if *p {
                format!("`{n}` (pages)")
            } else {
                format!("`{n}`")
            }
        })
        .collect();
    let hint = match best {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("the severity classes are {}", listed.join(", ")),
    };
    Diagnostic::new(
        Code::InvalidSeverity,
        Some(at),
        format!("unknown severity class `{}`", name.escape_debug()),
        hint,
    )
}

/// A severity class named twice; `first` is the first.
pub(crate) fn duplicate_severity(at: Location, name: &str, first: Location) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateSeverity,
        Some(at),
        format!("the severity class `{name}` is named twice"),
        "each class needs its own name",
    )
    .with_label(first, "first named here")
}

/// Alerts of `whose` ("the severity class `P3`") go to `receiver`, which has no integration
/// while the settings declare receivers (so the generated configuration is meant to deliver).
pub(crate) fn undelivered_receiver(at: Location, whose: &str, receiver: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UndeliveredReceiver,
        Some(at),
        format!("{whose} sends alerts to the receiver `{receiver}`, which has no integration under the settings' `receivers`: they would reach no one"),
        format!("declare it, for example `receivers: {{{receiver}: {{webhook_configs: [{{url: ...}}]}}}}`, or leave `receivers` out of the settings and merge `alertmanager/routes.yml` into a configuration of your own"),
    )
}

/// A receiver declared in the settings that no class or service sends alerts to; `used` are
/// the receivers alerts do go to.
pub(crate) fn unused_receiver(at: Location, receiver: &str, used: &[&str]) -> Diagnostic {
    let hint = match crate::diag::did_you_mean(receiver, used) {
        Some(meant) => format!("alerts go to `{meant}`: did you mean it?"),
        None => "name it as a class's `receiver` or in a spec's `receivers`, or remove it".into(),
    };
    Diagnostic::new(
        Code::UnusedReceiver,
        Some(at),
        format!("the receiver `{receiver}` is declared but no severity class or service sends alerts to it"),
        hint,
    )
}

/// An empty `what` ("a severity class name", "the receiver of the severity class `P1`").
pub(crate) fn empty_name(at: Option<Location>, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::EmptyName,
        at,
        format!("{what} is empty"),
        "write a name: severity classes and receivers are routed by it",
    )
}

/// No class for the `tier` tiers (none has `page: pages`); `example` is a class to map.
pub(crate) fn no_severity_class(
    at: Location,
    tier: &str,
    pages: bool,
    example: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::NoSeverityClass,
        Some(at),
        format!("no severity class for the `{tier}` tiers: none has `page: {pages}`"),
        format!("map the tier to a class, e.g. `tiers: {{{tier}: {example}}}`"),
    )
}

/// The whole budget of SLO `slo` goes in `outage` of full outage: under a minute.
pub(crate) fn tiny_budget(at: Location, slo: &str, outage: &str) -> Diagnostic {
    Diagnostic::new(
        Code::TinyBudget,
        Some(at),
        format!("the whole error budget of SLO `{slo}` is gone after {outage} of full outage"),
        "alerts cannot page before the budget is spent; consider a looser objective, a longer window, or aggregating SLOs",
    )
}

/// A tier as it appears in messages: its SLO, class and windows.
pub(crate) struct TierName<'a> {
    pub(crate) slo: &'a str,
    pub(crate) class: &'a str,
    pub(crate) long: String,
    pub(crate) short: String,
}

/// A custom tier firing at a burn `factor` under 1x.
pub(crate) fn slow_tier(at: Location, tier: &TierName<'_>, factor: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SlowTier,
        Some(at),
        format!(
            "the {} tier {}/{} of SLO `{}` fires at a burn of {factor}x: a burn that slow spends less than 93% of the budget within the SLO window",
            tier.class, tier.long, tier.short, tier.slo
        ),
        "raise `budget_percent` or shorten `long`: at a factor (budget % x window / long) of 1 a tier catches exactly the burns that empty the budget; slocc warns under 0.9333, the slowest of the workbook's tiers at 28 days and of the default policy",
    )
}

/// A tier whose `threshold` (burn `factor` at `objective`%) is at or above a 100% error ratio.
pub(crate) fn tier_never_fires(
    at: Location,
    tier: &TierName<'_>,
    factor: &str,
    threshold: &str,
    objective: &str,
) -> Diagnostic {
    Diagnostic::new(
        Code::TierNeverFires,
        Some(at),
        format!(
            "the {} tier {}/{} of SLO `{}` (burn factor {factor}) needs an error ratio of {threshold} at objective {objective}%, above 100%, so it can never fire; it is left out",
            tier.class, tier.long, tier.short, tier.slo
        ),
        "raise the objective, or give a custom `alerting.windows` policy whose factors fit this budget",
    )
}

/// A custom window pair that cannot work; `problem` says how.
pub(crate) fn invalid_window_pair(at: Location, problem: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidWindowPair,
        Some(at),
        problem,
        "the workbook pairs a long window with a short one of 1/12 its length, e.g. 1h with 5m",
    )
}

/// A ratio or raw query (`what`) with no usable `{{window}}`: none at all, or only inside a
/// label value.
pub(crate) fn missing_window_placeholder(at: Location, what: &str, in_label: bool) -> Diagnostic {
    let message = if in_label {
        format!("the {what} query has `{{{{window}}}}` only inside a label value, not as a range")
    } else {
        format!("the {what} query has no `{{{{window}}}}` placeholder")
    };
    Diagnostic::new(
        Code::MissingWindowPlaceholder,
        Some(at),
        message,
        "write the range of each rate() as `[{{window}}]`, e.g. `rate(http_requests_total[{{window}}])`, so each alert window gets its own rate",
    )
}

/// A query (`what`) PromQL cannot parse; `error` is the parser's message.
pub(crate) fn invalid_promql(at: Location, what: &str, error: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidPromql,
        Some(at),
        format!("the {what} query is not valid PromQL: {error}"),
        "test the query in the Prometheus UI with `5m` in place of `{{window}}`; MetricsQL is read for `--target vmalert` or with `query_language: metricsql` in the settings",
    )
}

/// A query PromQL cannot parse, kept as written for an engine that reads MetricsQL.
pub(crate) fn metricsql_query(at: Location, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MetricsqlQuery,
        Some(at),
        format!("the {what} query is not PromQL: kept as written for MetricsQL, which slocc does not check"),
        "`vmalert -dryRun -rule=<file>` checks the compiled rules; Prometheus, Thanos and Mimir cannot load them",
    )
}

/// A histogram name that is neither a classic nor a UTF-8 metric name.
pub(crate) fn invalid_metric_name(at: Location, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidMetricName,
        Some(at),
        format!("`{}` is not a valid metric name", name.escape_debug()),
        "give the histogram's base name, e.g. `http_request_duration_seconds`",
    )
}

/// A UTF-8 metric or label name in `what`: Prometheus 3 reads it, Prometheus 2 cannot.
pub(crate) fn quoted_name(at: Location, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::QuotedName,
        Some(at),
        format!("{what} uses a UTF-8 metric or label name, which only Prometheus 3 reads"),
        "Prometheus 3 loads these rules; on Prometheus 2 use the name with underscores that its exporters expose (e.g. `http_server_request_duration_seconds`)",
    )
}

/// A ratio SLI with both or neither of `errors` and `good`.
pub(crate) fn ratio_direction(at: Location) -> Diagnostic {
    Diagnostic::new(
        Code::RatioDirection,
        Some(at),
        "a ratio SLI needs exactly one of `errors` and `good`",
        "give `errors` (bad events) or `good` (good events), plus `total`",
    )
}

/// The two queries of a ratio aggregate by `a` and `b`.
pub(crate) fn grouping_mismatch(at: Location, a: &[String], b: &[String]) -> Diagnostic {
    Diagnostic::new(
        Code::GroupingMismatch,
        Some(at),
        format!(
            "the two queries aggregate by different labels: ({}) and ({})",
            a.join(", "),
            b.join(", ")
        ),
        "aggregate both queries by the same labels, or the ratio matches no series",
    )
}

/// `feature` ("`calendar`", "`min_events`") needs an SLI that counts events, budgeted by
/// occurrences; `here` says what this SLO has instead.
pub(crate) fn events_needed(at: Location, feature: &str, here: &str) -> Diagnostic {
    Diagnostic::new(
        Code::EventsNeeded,
        Some(at),
        format!("{feature} needs an SLI that counts events, budgeted by occurrences, but {here}"),
        format!("use a `ratio` or `latency` SLI budgeted by occurrences, or drop {feature}"),
    )
}

/// A threshold SLI on an SLO budgeted by events.
pub(crate) fn slices_needed(at: Location, kind: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SlicesNeeded,
        Some(at),
        format!("a {kind} SLI is judged per time slice, but this SLO counts events"),
        "add `budgeting: {method: timeslices, slice: 1m}`: a slice is good when the value meets the bound",
    )
}

/// A time slice outside 1m..1h.
pub(crate) fn invalid_slice(at: Location, value: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidSlice,
        Some(at),
        format!("slice `{value}` is outside 1m..1h"),
        "a slice is the time one good-or-bad verdict covers, e.g. `1m` or `5m`",
    )
}

/// A calendar time zone that is not a fixed offset from UTC.
pub(crate) fn unsupported_time_zone(at: Location, zone: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnsupportedTimeZone,
        Some(at),
        format!(
            "time zone `{}` is neither a UTC offset nor a zone of the tz database",
            zone.escape_debug()
        ),
        "give `UTC`, an offset such as `+02:00`, or a tz database name such as `Europe/Berlin`",
    )
}

/// A daylight-saving zone whose offset changes written into the rules end within two years.
pub(crate) fn time_zone_span_ending(at: Location, zone: &str, last_year: i32) -> Diagnostic {
    Diagnostic::new(
        Code::TimeZoneSpanEnding,
        Some(at),
        format!("`{zone}`'s daylight-saving changes are written into the rules through {last_year} only"),
        "compile with a newer slocc before then: after it the period boundaries keep the zone's last offset (docs/spec.md)",
    )
}

/// A daylight-saving zone whose offset changes written into the rules have ended.
pub(crate) fn time_zone_span_ended(at: Location, zone: &str, last_year: i32) -> Diagnostic {
    Diagnostic::new(
        Code::TimeZoneSpanEnded,
        Some(at),
        format!("`{zone}`'s daylight-saving changes are written into the rules through {last_year} only, which has passed"),
        "compile with a newer slocc: the period boundaries would fall an offset change early or late (docs/spec.md)",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> Location {
        Location {
            source: 0,
            line: 1,
            column: 1,
        }
    }

    #[test]
    fn a_severity_suggestion_never_crosses_between_paging_and_not() {
        let known = [("SEV1", true), ("SEV3", false)];
        // A page tier asking for SEV2 hears of SEV1, a ticket tier of SEV3.
        assert_eq!(
            invalid_severity(at(), "SEV2", &known, Some(true)).hint,
            "did you mean `SEV1`?"
        );
        assert_eq!(
            invalid_severity(at(), "SEV2", &known, Some(false)).hint,
            "did you mean `SEV3`?"
        );
        // Without a context, a name close to both gets the list with what pages.
        assert_eq!(
            invalid_severity(at(), "SEV2", &known, None).hint,
            "the severity classes are `SEV1` (pages), `SEV3`"
        );
        assert_eq!(
            invalid_severity(at(), "SEV", &[("SEV1", true), ("chat", false)], None).hint,
            "did you mean `SEV1`?"
        );
    }
}
