//! The reading stage's diagnostics: one constructor per kind, each the only place its code is
//! built, with its message and hint (`tests/diagnostics.rs` holds every stage to this).
//! Higher stages that meet the same situation (a missing field, a wrong type, an unknown value)
//! call these too, so one situation reads the same wherever it is found.

use std::fmt::Display;

use crate::diag::{did_you_mean, Code, Diagnostic, Location};
use crate::spec::yaml::quote_list;

/// A parser's complaint about the YAML itself.
pub(crate) fn yaml_syntax(at: Option<Location>, problem: impl Display) -> Diagnostic {
    Diagnostic::new(
        Code::YamlSyntax,
        at,
        format!("invalid YAML: {problem}"),
        "check indentation, quoting and the `key: value` form around this point",
    )
}

/// A file whose bytes are not UTF-8, at its first bad `byte`.
pub(crate) fn not_utf8(at: Location, byte: u8) -> Diagnostic {
    Diagnostic::new(
        Code::NotUtf8,
        Some(at),
        format!("the file is not UTF-8 text (byte 0x{byte:02X})"),
        "specs are UTF-8 YAML; convert the file, or move it out of the specs directory",
    )
}

/// A character YAML does not allow in a document.
pub(crate) fn control_character(at: Location, c: char) -> Diagnostic {
    Diagnostic::new(
        Code::ControlCharacter,
        Some(at),
        format!(
            "the file contains the control character U+{:04X}, which YAML does not allow",
            c as u32
        ),
        "is this a binary file? specs are UTF-8 text",
    )
}

/// A key set twice in one mapping; `first` is where it was first set.
pub(crate) fn duplicate_key(at: Location, key: &str, first: Location) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateKey,
        Some(at),
        format!("duplicate key `{key}` (first set on line {})", first.line),
        "keep one of the two",
    )
    .with_label(first, "first set here")
}

/// A YAML feature specs do not use: anchors and aliases, or tags.
pub(crate) fn yaml_unsupported(at: Option<Location>, feature: &str) -> Diagnostic {
    Diagnostic::new(
        Code::YamlUnsupported,
        at,
        format!("YAML {feature} are not supported in specs"),
        "write every value out in full, without anchors, aliases or tags",
    )
}

/// A file with no document in it.
pub(crate) fn empty_spec(at: Location) -> Diagnostic {
    Diagnostic::new(
        Code::EmptySpec,
        Some(at),
        "the file holds no YAML document",
        "write a spec starting with `apiVersion: slocc/v1`, or delete the file",
    )
}

/// A file of `bytes` bytes, over `limit`.
pub(crate) fn too_large(at: Location, bytes: usize, limit: usize) -> Diagnostic {
    Diagnostic::new(
        Code::TooLarge,
        Some(at),
        format!("the file is {bytes} bytes, over slocc's limit of {limit}"),
        "split the specs into one file per service",
    )
}

/// YAML nested deeper than `limit` levels at `at`.
pub(crate) fn too_deep(at: Location, limit: usize) -> Diagnostic {
    Diagnostic::new(
        Code::TooDeep,
        Some(at),
        format!("the YAML is nested more than {limit} levels deep here"),
        "specs need a few levels; this looks like generated or damaged input",
    )
}

/// A header (`apiVersion`, `kind`, or Sloth's `version`) no reader claims; `formats` lists
/// the ones slocc reads.
pub(crate) fn unknown_api_version(at: Location, header: &str, formats: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownApiVersion,
        Some(at),
        format!("unknown document kind: {header}"),
        format!("slocc reads {formats}"),
    )
}

/// A document that names no format at all.
pub(crate) fn no_api_version(at: Location, native: &str, formats: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NoApiVersion,
        Some(at),
        "the document says neither `apiVersion` nor `version`, so its format is unknown",
        format!("add `apiVersion: {native}` as the first line (slocc reads {formats})"),
    )
}

/// An OpenSLO `kind` that `version` does not define; `kinds` are the ones it does.
pub(crate) fn unknown_kind(at: Location, version: &str, kind: &str, kinds: &[&str]) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownKind,
        Some(at),
        format!("OpenSLO {version} has no `{kind}` kind"),
        format!("OpenSLO {version} kinds: {}", quote_list(kinds)),
    )
}

/// A key that `tool` ignores (as slocc then does), spelt `key` where it reads `canonical`.
pub(crate) fn ignored_key(at: Location, key: &str, canonical: &str, tool: &str) -> Diagnostic {
    Diagnostic::new(
        Code::IgnoredKey,
        Some(at),
        format!("`{key}` is ignored, as {tool} ignores it: what it sets does not apply"),
        format!("{tool} reads `{canonical}` here; rename it for its settings to apply"),
    )
}

/// A key `known` does not hold, in `context`; the hint names the closest known key.
pub(crate) fn unknown_key(at: Location, key: &str, context: &str, known: &[&str]) -> Diagnostic {
    let hint = match (context, key) {
        ("the settings", "service" | "slos" | "owner" | "escalation" | "runbook" | "labels") => {
            format!("`{key}` belongs in a service spec (`apiVersion: slocc/v1` with `service:`), not in the settings")
        }
        (
            "the service spec",
            "severities" | "tiers" | "grafana_url" | "default_window" | "policies",
        ) => format!(
            "`{key}` belongs in the settings document (`kind: Settings`, docs/settings.md), not in a service spec"
        ),
        _ => closest(key, known, "known keys here"),
    };
    Diagnostic::new(
        Code::UnknownKey,
        Some(at),
        format!("unknown key `{key}` in {context}"),
        hint,
    )
}

/// A secret (`key`) of the receiver `receiver` written inline rather than read from a file.
pub(crate) fn inline_secret(at: Location, key: &str, receiver: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InlineSecret,
        Some(at),
        format!("`{key}` of the receiver `{receiver}` is a secret written inline"),
        format!("write `{key}_file:` with the path of a file Alertmanager reads; the generated configuration is committed and reviewed, so it names secrets and never holds them"),
    )
}

/// A value of `field` outside the fixed set `known`.
pub(crate) fn unknown_value(at: Location, field: &str, value: &str, known: &[&str]) -> Diagnostic {
    Diagnostic::new(
        Code::UnknownValue,
        Some(at),
        format!("unknown {field} `{}`", value.escape_debug()),
        closest(value, known, "the values are"),
    )
}

/// "did you mean" the closest candidate, or the whole list after `intro`.
fn closest(word: &str, known: &[&str], intro: &str) -> String {
    match did_you_mean(word, known) {
        Some(best) => format!("did you mean `{best}`?"),
        None => format!("{intro}: {}", quote_list(known)),
    }
}

/// `subject` (`` `key` in the SLO `x` ``, "each entry of `slos`") is not `expected` ("a
/// mapping", "a list", "text"...).
pub(crate) fn wrong_type(at: Location, subject: &str, expected: &str) -> Diagnostic {
    let hint = if expected.starts_with("a mapping") {
        "indent its fields under it, `name: value` per line"
    } else if expected.starts_with("a list") {
        "write one `- item` per line under it"
    } else {
        "write one plain value (not a list or a mapping)"
    };
    Diagnostic::new(
        Code::WrongType,
        Some(at),
        format!("{subject} must be {expected}"),
        hint,
    )
}

/// `context` lacks the required fields `keys` (one or more).
pub(crate) fn missing_field(at: Location, context: &str, keys: &[&str]) -> Diagnostic {
    let (noun, listed) = match keys {
        [one] => ("field", format!("`{one}`")),
        _ => ("fields", quote_list(keys)),
    };
    Diagnostic::new(
        Code::MissingField,
        Some(at),
        format!("{context} is missing the required {noun} {listed}"),
        format!("add {listed}; docs/spec.md and docs/imports.md list every required field"),
    )
}

/// The list `list` of `context` has no entry.
pub(crate) fn empty_list(at: impl Into<Option<Location>>, list: &str, context: &str) -> Diagnostic {
    Diagnostic::new(
        Code::EmptyList,
        at.into(),
        format!("`{list}` in {context} is empty"),
        format!("list at least one entry under `{list}`; where the key is optional, leaving it out gives the default"),
    )
}

/// `drop` and `keep` are both given, and `keep` decides.
pub(crate) fn conflicting_fields(at: Location, drop: &str, keep: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ConflictingFields,
        Some(at),
        format!("`{drop}` and `{keep}` both given"),
        format!("`{keep}` decides this on its own: remove `{drop}`"),
    )
}

/// A percentile shorthand key that is not `p` and a number in (0, 100).
pub(crate) fn invalid_percentile(at: Location, key: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidPercentile,
        Some(at),
        format!("`{}` is not a percentile", key.escape_debug()),
        "percentiles are written `p` and a number between 0 and 100: `p50`, `p99`, `p99.9`",
    )
}

/// An SLI (`context`) that names none or several (`found`) of the kinds its format defines.
pub(crate) fn sli_kind(at: Location, context: &str, found: &[&str], kinds: &[&str]) -> Diagnostic {
    let message = match found {
        [] => format!("{context} names no kind"),
        _ => format!(
            "{context} names {}; it must name exactly one",
            quote_list(found)
        ),
    };
    Diagnostic::new(
        Code::SliKind,
        Some(at),
        message,
        format!("use exactly one of {}", quote_list(kinds)),
    )
}

/// A latency bound (`field`: `value`) that is not a positive duration.
pub(crate) fn invalid_threshold(at: Location, field: &str, value: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidThreshold,
        Some(at),
        format!("{field} `{}` is not a positive duration", value.trim()),
        "write the bound as a duration equal to a histogram bucket boundary, e.g. `300ms`",
    )
}

/// What is wrong with a latency SLI's selector of histogram buckets.
pub(crate) enum SelectorProblem<'a> {
    /// The selector does not parse; the parser's message.
    Parse(&'a str),
    /// It matches on `le`, which slocc sets from the threshold.
    MatchesLe,
    /// It is more than label matchers (a function, an operator).
    NotMatchers,
    /// A Pyrra success metric that is not one bucket of a classic histogram.
    NotBucket(&'a str),
}

/// A latency SLI's selector that slocc cannot turn into bucket series.
pub(crate) fn invalid_latency_selector(at: Location, problem: SelectorProblem<'_>) -> Diagnostic {
    let (message, hint) = match problem {
        SelectorProblem::Parse(error) => (
            format!("the latency selector is not valid PromQL: {error}"),
            "write label matchers as in a selector: `{job=\"api\", route!=\"/health\"}`",
        ),
        SelectorProblem::MatchesLe => (
            "the latency selector must not match on `le`".to_string(),
            "slocc picks the bucket from `threshold`; remove the `le` matcher",
        ),
        SelectorProblem::NotMatchers => (
            "the latency selector is more than label matchers".to_string(),
            "write only label matchers in braces, e.g. `{job=\"api\"}`; for anything else use a `ratio` SLI",
        ),
        SelectorProblem::NotBucket(selector) => (
            format!("the latency success metric `{}` is not a histogram bucket selector", selector.trim()),
            "select one bucket of a classic histogram, e.g. `http_request_duration_seconds_bucket{job=\"api\", le=\"0.3\"}`",
        ),
    };
    Diagnostic::new(Code::InvalidLatencySelector, Some(at), message, hint)
}

/// An OpenSLO counter `query` (of `context`) that is not a selector slocc can take the rate of.
pub(crate) fn not_a_counter(at: Location, context: &str, query: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NotACounter,
        Some(at),
        format!("{context}: slocc cannot take the rate of `{}`", query.trim()),
        "give a counter selector (optionally inside one aggregation), or write the rate yourself with `[{{window}}]` and `counter: false`",
    )
}

/// An OpenSLO calendar `startTime` that is not `YYYY-MM-DD HH:MM:SS`.
pub(crate) fn invalid_start_time(at: Location, context: &str, key: &str, form: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidStartTime,
        Some(at),
        format!("{context} has a `{key}` that is not `{form}`"),
        "write when a period starts, e.g. `2024-01-01 00:00:00` (OpenSLO's `startTime`) or `12:00` (`start_time`, the time of day)",
    )
}

/// An OpenSLO burn-rate `threshold` that is not a positive factor below the budget's limit.
pub(crate) fn invalid_burn_rate(at: Location, threshold: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidBurnRate,
        Some(at),
        format!("burn-rate `threshold: {threshold}` is not a usable burn-rate factor"),
        "the threshold is a positive burn-rate factor such as `14.4` (the budget spent 14.4 times too fast)",
    )
}

/// A duration (`field`) that does not parse, or cannot be used where it is; `problem` says why.
pub(crate) fn invalid_duration(at: Location, field: &str, problem: impl Display) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidDuration,
        Some(at),
        format!("{field}: {problem}"),
        "write a positive Prometheus duration, largest unit first: `5m`, `1h30m`, `28d`",
    )
}

/// An OpenSLO reference (`from` names the referrer) to a `kind` object `name` no file defines;
/// `known` are the defined objects of that kind.
pub(crate) fn unresolved_reference(
    at: Location,
    from: &str,
    kind: &str,
    name: &str,
    known: &[&str],
) -> Diagnostic {
    let hint = match did_you_mean(name, known) {
        Some(best) => format!("did you mean `{best}`?"),
        None if known.is_empty() => {
            format!("add an `apiVersion: openslo/v1`, `kind: {kind}` document named `{name}`")
        }
        None => format!("defined {kind}s: {}", quote_list(known)),
    };
    Diagnostic::new(
        Code::UnresolvedReference,
        Some(at),
        format!("{from} references the {kind} `{name}`, which no file defines"),
        hint,
    )
}

/// A second OpenSLO `kind` object named `name`; `first` is where the first one is named.
pub(crate) fn duplicate_object(
    at: Location,
    kind: &str,
    name: &str,
    first: Location,
) -> Diagnostic {
    Diagnostic::new(
        Code::DuplicateObject,
        Some(at),
        format!(
            "the {kind} `{name}` is defined twice (first at line {})",
            first.line
        ),
        "OpenSLO objects of one kind need distinct `metadata.name`s",
    )
    .with_label(first, "first defined here")
}

/// A feature of an imported format that slocc cannot honour, each with what to do instead.
/// `context` names the SLO or SLI that uses it.
pub(crate) enum Unsupported<'a> {
    /// Sloth SLO plugins under `key`.
    SlothSloPlugins { key: &'a str },
    /// A Sloth SLI plugin.
    SlothSliPlugin { context: &'a str },
    /// A Pyrra pair of tiers with two severities.
    PyrraSeverityPair {
        fast: &'a str,
        slow: &'a str,
        fast_value: &'a str,
        slow_value: &'a str,
    },
    /// OpenSLO v1alpha time-slice budgeting.
    AlphaTimeslices { context: &'a str },
    /// An OpenSLO v1alpha calendar window.
    AlphaCalendar { context: &'a str },
    /// An OpenSLO v1alpha window counted in months or quarters.
    AlphaWindowUnit { context: &'a str, unit: &'a str },
    /// A calendar window length slocc has no calendar for.
    CalendarLength { context: &'a str, length: &'a str },
    /// A calendar period that does not start at midnight on its first day.
    CalendarStart {
        context: &'a str,
        period: &'a str,
        start: &'a str,
    },
    /// An alert condition other than a burn rate.
    ConditionKind { kind: &'a str },
    /// A burn-rate condition whose operator is not `gte`.
    ConditionOp { op: &'a str },
    /// A metric source that is not Prometheus.
    MetricSource { context: &'a str, source: &'a str },
    /// `op`/`value` on an indicator that is not a threshold metric.
    /// Several time windows on one SLO.
    SeveralWindows { context: &'a str },
    /// A rolling window of no fixed length (`1M`, `1Q`).
    RollingCalendar { context: &'a str, length: &'a str },
    /// Several objectives on one SLO.
    /// Time-slice fields on an SLO budgeted by occurrences.
    SliceFields { context: &'a str, key: &'a str },
    /// An objective with its own indicator (a composite SLO).
    Composite { context: &'a str, key: &'a str },
}

impl Unsupported<'_> {
    fn message(&self) -> String {
        match self {
            Self::SlothSloPlugins { key } => format!("`{key}` runs Sloth SLO plugins, which slocc cannot run"),
            Self::SlothSliPlugin { context } => format!("{context} uses a Sloth SLI plugin, which slocc cannot run"),
            Self::PyrraSeverityPair { fast, slow, fast_value, slow_value } => format!("`{slow}: {slow_value}` differs from `{fast}: {fast_value}`; slocc gives both tiers of a pair one severity"),
            Self::AlphaTimeslices { context } => format!("{context} budgets by time slices, which slocc reads from openslo/v1 only"),
            Self::AlphaCalendar { context } => format!("{context} uses a calendar window; slocc computes rolling windows"),
            Self::AlphaWindowUnit { context, unit } => format!("{context} counts its window in `{unit}`s"),
            Self::CalendarLength { context, length } => format!("{context} has a calendar window of `{length}`"),
            Self::CalendarStart { context, period, start } => format!("{context} starts its {period}s at `{start}`"),
            Self::ConditionKind { kind } => format!("alert condition kind `{kind}`"),
            Self::ConditionOp { op } => format!("burn-rate condition with `op: {op}`"),
            Self::MetricSource { context, source } => format!("{context} reads from `{source}`; slocc compiles Prometheus queries"),
            Self::SeveralWindows { context } => format!("{context} lists several time windows"),
            Self::RollingCalendar { context, length } => format!("{context} has a rolling `{length}` window, which has no fixed length"),
            Self::SliceFields { context, key } => format!("{context} sets `{key}`, a threshold or time-slice objective"),
            Self::Composite { context, key } => format!("{context} gives an objective its own `{key}` (a composite SLO)"),
        }
    }

    fn hint(&self) -> String {
        match self {
            Self::SlothSloPlugins { .. } => "remove the plugins; for what they did (a minimum-traffic guard, extra labels), see docs/imports.md".into(),
            Self::SlothSliPlugin { .. } => "write the plugin's queries as `events` (error and total queries) or `raw`".into(),
            Self::PyrraSeverityPair { fast, slow, .. } => format!("give `{fast}` and `{slow}` the same severity, or write the SLO in slocc/v1 with custom `alerting.windows`"),
            Self::AlphaTimeslices { .. } => "write the SLO as `apiVersion: openslo/v1` with `timeSliceTarget` and `timeSliceWindow`".into(),
            Self::AlphaCalendar { .. } => "use `isRolling: true`".into(),
            Self::AlphaWindowUnit { .. } => "use `Day` or `Week` (months and quarters vary in length)".into(),
            Self::CalendarLength { .. } => "slocc's calendar windows are `1d`, `1w`, `1M` and `1Q`".into(),
            Self::CalendarStart { .. } => "slocc's calendar periods start on their first day, at any time of day: weeks on any weekday, months on the 1st, quarters on 1 January, April, July and October".into(),
            Self::ConditionKind { .. } => "slocc compiles `kind: burnrate` conditions".into(),
            Self::ConditionOp { .. } => "a burn-rate alert fires when the burn rate is at least the threshold: use `gte`".into(),
            Self::MetricSource { .. } => "use a Prometheus-compatible metric source".into(),
            Self::SeveralWindows { .. } => "keep one window per SLO".into(),
            Self::RollingCalendar { .. } => "use a rolling duration such as `30d`, or `isRolling: false` with a calendar for a calendar month or quarter".into(),
            Self::SliceFields { .. } => "slocc compiles ratio objectives: give `target` only".into(),
            Self::Composite { .. } => "write one SLO per indicator, each with its own objectives".into(),
        }
    }
}

/// `op` or `value` on an OpenSLO objective whose indicator is not a threshold metric: they
/// compare a threshold metric's values, so they change nothing (Nobl9, where OpenSLO comes
/// from, uses `value` to name a ratio objective).
pub(crate) fn ignored_threshold(at: Location, context: &str, keys: &str) -> Diagnostic {
    Diagnostic::new(
        Code::IgnoredThreshold,
        Some(at),
        format!(
            "{keys} on the objective of {context} {}: {} a threshold metric, and this indicator is a ratio",
            if keys.contains(" and ") { "are ignored" } else { "is ignored" },
            if keys.contains(" and ") { "they compare" } else { "it compares" },
        ),
        "the objective's `target` is the least share of good events, whatever `op` says; drop the keys to silence this",
    )
}

/// A feature of an imported format that slocc cannot honour: rejected, never dropped.
pub(crate) fn unsupported(at: Location, feature: Unsupported<'_>) -> Diagnostic {
    Diagnostic::new(
        Code::UnsupportedFeature,
        Some(at),
        feature.message(),
        feature.hint(),
    )
}
