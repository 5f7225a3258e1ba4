//! Diagnostics: stable codes, file:line:col locations, and the human, JSON and GitHub renderings.

mod render;

pub(crate) use render::{render, Format};

use std::fmt;

use serde::{Deserialize, Serialize};

/// How bad a diagnostic is. Errors fail the run; warnings are reported and the run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    /// The spec cannot be compiled.
    Error,
    /// The spec compiles but something in it is likely a mistake.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Error => "error",
            Self::Warning => "warning",
        })
    }
}

macro_rules! codes {
    ($($variant:ident => $text:literal, $severity:ident, $doc:literal;)*) => {
        /// Stable diagnostic codes, one per situation; each is documented in
        /// `docs/diagnostics.md` under its severity and built by exactly one constructor in a
        /// stage's `diags.rs` (both checked by `tests/diagnostics.rs`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) enum Code {
            $(#[doc = $doc] $variant,)*
        }

        impl Code {
            /// Every code, in documentation order.
            #[cfg(test)]
            pub(crate) const ALL: &'static [Code] = &[$(Code::$variant,)*];

            /// The kebab-case code printed in diagnostics.
            pub(crate) fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }

            /// The code printed as `text`, if any.
            fn from_text(text: &str) -> Option<Code> {
                match text {
                    $($text => Some(Code::$variant),)*
                    _ => None,
                }
            }

            /// Whether a diagnostic of this kind fails the run: one code, one severity.
            pub(crate) fn severity(self) -> Severity {
                match self {
                    $(Code::$variant => Severity::$severity,)*
                }
            }
        }
    };
}

codes! {
    YamlSyntax => "yaml-syntax", Error, "The file is not well-formed YAML.";
    NotUtf8 => "not-utf8", Error, "The file is not UTF-8 text.";
    ControlCharacter => "control-character", Error, "The file holds a control character YAML forbids (often a binary file).";
    DuplicateKey => "duplicate-key", Error, "A mapping sets one key twice.";
    YamlUnsupported => "yaml-unsupported", Error, "A YAML anchor, alias or tag, which specs do not use.";
    EmptySpec => "empty-spec", Error, "The file holds no document.";
    TooLarge => "too-large", Error, "A spec file larger than slocc reads.";
    TooDeep => "too-deep", Error, "YAML nested deeper than slocc reads.";
    UnknownApiVersion => "unknown-api-version", Error, "`apiVersion` names a format slocc does not read.";
    NoApiVersion => "no-api-version", Error, "A document with neither `apiVersion` nor `version`.";
    UnknownKind => "unknown-kind", Error, "An OpenSLO `kind` its version does not define.";
    UnknownKey => "unknown-key", Error, "A key that the format does not define (often a typo).";
    UnknownValue => "unknown-value", Error, "A value outside the fixed set a field accepts.";
    WrongType => "wrong-type", Error, "A value of the wrong YAML type (a list where a mapping belongs, text where a list belongs).";
    MissingField => "missing-field", Error, "A required field is absent.";
    EmptyList => "empty-list", Error, "A list that needs at least one entry is empty.";
    ConflictingFields => "conflicting-fields", Error, "Two fields that exclude each other are both given.";
    InvalidName => "invalid-name", Error, "A service or SLO name that cannot be used in file names and label values.";
    InvalidLabelName => "invalid-label-name", Error, "A label or annotation name that Prometheus rejects.";
    ReservedLabel => "reserved-label", Error, "A label that slocc sets itself.";
    InvalidAlertName => "invalid-alert-name", Error, "An empty alert name.";
    InvalidDuration => "invalid-duration", Error, "A duration not in Prometheus syntax (`5m`, `1h30m`).";
    InvalidNumber => "invalid-number", Error, "Text where a number of a given kind belongs.";
    ObjectiveOutOfRange => "objective-out-of-range", Error, "An objective that is not strictly between 0 and 100 percent.";
    TooPrecise => "too-precise", Error, "A number with more significant digits than slocc keeps exactly (28), beyond trailing zeros.";
    WindowOutOfRange => "window-out-of-range", Error, "An SLO window shorter than 1d or longer than 90d.";
    InvalidPromql => "invalid-promql", Error, "A query that PromQL cannot parse, or that does not return an instant vector.";
    MetricsqlQuery => "metricsql-query", Warning, "A query PromQL cannot parse, kept as written because the queries are MetricsQL (`--target vmalert`, `query_language: metricsql`).";
    InvalidMetricName => "invalid-metric-name", Error, "A histogram metric name that is neither a classic nor a UTF-8 name.";
    InvalidLatencySelector => "invalid-latency-selector", Error, "A latency SLI's selector that is not plain label matchers on a histogram bucket.";
    NotACounter => "not-a-counter", Error, "An OpenSLO counter query slocc cannot take the rate of.";
    MissingWindowPlaceholder => "missing-window-placeholder", Error, "A ratio or raw query without the `{{window}}` placeholder as a range.";
    SliKind => "sli-kind", Error, "An SLI that does not name exactly one kind.";
    RatioDirection => "ratio-direction", Error, "A ratio SLI that gives both or neither of `errors` and `good`.";
    EventsNeeded => "events-needed", Error, "A feature that counts events, on an SLI or budget that has none.";
    SlicesNeeded => "slices-needed", Error, "A threshold SLI on an SLO budgeted by events.";
    GroupingMismatch => "grouping-mismatch", Error, "The two queries of a ratio SLI aggregate by different labels.";
    InvalidThreshold => "invalid-threshold", Error, "A latency threshold that is not a plain positive duration.";
    InvalidPercentile => "invalid-percentile", Error, "A percentile shorthand key that is not `p` and a number in (0, 100).";
    InvalidSlice => "invalid-slice", Error, "A time slice outside 1m..1h.";
    UnsupportedTimeZone => "unsupported-time-zone", Error, "A calendar time zone that is neither a UTC offset nor a zone of the tz database.";
    TimeZoneSpanEnded => "time-zone-span-ended", Error, "A daylight-saving time zone whose offset changes slocc writes into the rules end before today.";
    TimeZoneSpanEnding => "time-zone-span-ending", Warning, "A daylight-saving time zone whose offset changes slocc writes into the rules end within two years.";
    InvalidStartTime => "invalid-start-time", Error, "A calendar start not written as a time: OpenSLO's `startTime` (`YYYY-MM-DD HH:MM:SS`), or `start_time` (`HH:MM`).";
    InvalidWindowPair => "invalid-window-pair", Error, "A custom alert window pair that cannot work.";
    InvalidBurnRate => "invalid-burn-rate", Error, "An OpenSLO burn-rate threshold that is not a usable factor.";
    InvalidSeverity => "invalid-severity", Error, "A severity class name that the settings do not define.";
    DuplicateSeverity => "duplicate-severity", Error, "A severity class named twice.";
    EmptyName => "empty-name", Error, "An empty severity class name or receiver.";
    NoSeverityClass => "no-severity-class", Error, "No severity class for a tier.";
    DuplicateSettings => "duplicate-settings", Error, "A second settings document.";
    DuplicatePolicy => "duplicate-policy", Error, "Two alert-window policies for one SLO window.";
    InlineSecret => "inline-secret", Error, "A receiver's secret written in the settings instead of a file.";
    UndeliveredReceiver => "undelivered-receiver", Error, "A receiver alerts go to that has no integration, while the settings declare others.";
    InvalidUrl => "invalid-url", Error, "A base URL that is not an absolute `http://` or `https://` URL.";
    UnsupportedFeature => "unsupported-feature", Error, "A feature of an imported format that slocc cannot honour.";
    UnresolvedReference => "unresolved-reference", Error, "An OpenSLO reference to an object no file defines.";
    DuplicateService => "duplicate-service", Error, "Two spec files declare the same service.";
    DuplicateSlo => "duplicate-slo", Error, "Two SLOs of one service share a name.";
    DuplicateObject => "duplicate-object", Error, "Two OpenSLO objects of one kind share a name.";
    SliNoData => "sli-no-data", Error, "With `check --prometheus`: an SLI query that returns no series from the server.";
    ThresholdNotABucket => "threshold-not-a-bucket", Error, "With `check --prometheus`: a latency threshold that is no bucket boundary of the histogram.";
    TierNeverFires => "tier-never-fires", Warning, "A tier whose threshold is at or above a 100% error ratio, so it can never fire.";
    UnusualAlertName => "unusual-alert-name", Warning, "An alert name that Prometheus accepts but that is not a plain identifier.";
    SlowTier => "slow-tier", Warning, "A custom tier whose burn factor is under 0.9333x.";
    QuotedName => "quoted-name", Warning, "A UTF-8 metric or label name, which Prometheus 3 reads and Prometheus 2 cannot load.";
    TinyBudget => "tiny-budget", Warning, "An objective whose whole budget is gone in under a minute of full outage.";
    IgnoredThreshold => "ignored-threshold", Warning, "`op` or `value` on an OpenSLO ratio objective, which compare a threshold metric and change nothing there.";
    IgnoredKey => "ignored-key", Warning, "A key the peer tool ignores in its own format, ignored the same way.";
    UnusedReceiver => "unused-receiver", Warning, "A receiver declared in the settings that no class or service sends alerts to.";
    RelativeRunbookUrl => "relative-runbook-url", Warning, "Alerts that link their runbooks by a relative path.";
    RunbookMissing => "runbook-missing", Warning, "An SLO has no runbook yet.";
    RunbookStale => "runbook-stale", Warning, "A runbook's generated region is out of date with the spec.";
    RunbookOrphaned => "runbook-orphaned", Warning, "A runbook that no SLO of its service has any more (a renamed or removed SLO's).";
    RunbookMarkers => "runbook-markers", Warning, "A runbook's generated-region markers were removed or damaged; it is left untouched.";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Code {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Code::from_text(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown code `{text}`")))
    }
}

/// A place in a source file; line and column are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Location {
    /// Index of the file in the [`Sources`] it was read into.
    pub(crate) source: usize,
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) column: usize,
}

/// One problem found in the input (serialized only where a run is recorded whole, the
/// compile cache).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Diagnostic {
    /// Error or warning.
    pub(crate) severity: Severity,
    /// Stable code.
    pub(crate) code: Code,
    /// Lowercase message, names in backticks.
    pub(crate) message: String,
    /// What to do about it: every diagnostic says.
    pub(crate) hint: String,
    /// Where it is, when it is in a file.
    pub(crate) location: Option<Location>,
    /// Other places that explain it ("first declared here"), each with a short message.
    pub(crate) labels: Vec<(Location, String)>,
    /// The value's text before the offending token, when the location is the value's start:
    /// [`Diagnostics::focus`] moves the location to the token where the file writes the value
    /// as it reads (a plain or quoted scalar on one line).
    pub(crate) focus: Option<String>,
}

impl Diagnostic {
    /// A diagnostic of kind `code` at `location`, with its severity from the code. Only the
    /// constructors in the stages' `diags.rs` files call this (`tests/diagnostics.rs`).
    pub(crate) fn new(
        code: Code,
        location: Option<Location>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            severity: code.severity(),
            code,
            message: message.into(),
            hint: hint.into(),
            location,
            labels: Vec::new(),
            focus: None,
        }
    }

    /// Points, once the run's sources are known, at the token after `prefix` of the value this
    /// diagnostic is located at ([`Diagnostics::focus`]).
    pub(crate) fn at_token_after(mut self, prefix: &str) -> Self {
        self.focus = Some(prefix.to_string());
        self
    }

    /// Points at another place that explains this one.
    pub(crate) fn with_label(mut self, location: Location, message: impl Into<String>) -> Self {
        self.labels.push((location, message.into()));
        self
    }
}

/// The files read in one run, so diagnostics can name them and quote their lines.
#[derive(Debug, Default, Clone)]
pub(crate) struct Sources {
    files: Vec<SourceFile>,
}

/// One file's display name and text.
#[derive(Debug, Clone)]
pub(crate) struct SourceFile {
    /// The path as the user gave it (relative stays relative), with `/` separators.
    pub(crate) name: String,
    /// The file's text.
    pub(crate) text: String,
}

impl Sources {
    /// Registers a file and returns its index.
    pub(crate) fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> usize {
        self.files.push(SourceFile {
            name: name.into(),
            text: text.into(),
        });
        self.files.len() - 1
    }

    /// The file at `index`.
    pub(crate) fn get(&self, index: usize) -> Option<&SourceFile> {
        self.files.get(index)
    }

    /// All files in the order they were added.
    pub(crate) fn files(&self) -> &[SourceFile] {
        &self.files
    }

    pub(crate) fn name(&self, index: usize) -> &str {
        self.get(index).map_or("<unknown>", |f| f.name.as_str())
    }
}

/// Every diagnostic of a run, collected in one pass.
#[derive(Debug, Default, Clone)]
pub(crate) struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Moves each diagnostic that names a token of its value to that token, where `sources`
    /// write the value verbatim from its location on (after an opening quote, if any); others
    /// stay at the value's start.
    pub(crate) fn focus(&mut self, sources: &Sources) {
        for d in &mut self.items {
            let (Some(prefix), Some(at)) = (d.focus.take(), d.location.as_mut()) else {
                continue;
            };
            let Some(line) = sources
                .get(at.source)
                .and_then(|f| f.text.lines().nth(at.line.saturating_sub(1)))
            else {
                continue;
            };
            let rest: String = line.chars().skip(at.column.saturating_sub(1)).collect();
            let quote = usize::from(rest.starts_with(['"', '\'']));
            if rest[quote..].starts_with(prefix.as_str()) {
                at.column += quote + prefix.chars().count();
            }
        }
    }

    /// Every diagnostic, in the order found.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Adds one.
    pub(crate) fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Adds all of `other`.
    pub(crate) fn extend(&mut self, other: Diagnostics) {
        self.items.extend(other.items);
    }

    /// Whether any is an error.
    pub(crate) fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    /// Counts (errors, warnings).
    pub(crate) fn counts(&self) -> (usize, usize) {
        let errors = self
            .items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count();
        (errors, self.items.len() - errors)
    }

    /// The diagnostics ordered by file, line, column, then code, so output is deterministic.
    pub(crate) fn sorted(&self) -> Vec<&Diagnostic> {
        let mut items: Vec<&Diagnostic> = self.items.iter().collect();
        // Located diagnostics first, in file order; run-wide ones (no file) last.
        items.sort_by(|a, b| {
            (
                a.location.is_none(),
                a.location,
                a.severity,
                a.code,
                &a.message,
            )
                .cmp(&(
                    b.location.is_none(),
                    b.location,
                    b.severity,
                    b.code,
                    &b.message,
                ))
        });
        items
    }
}

/// Picks the closest candidate for a "did you mean" hint, if any is close enough.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(word, c), *c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "duplicate code {text}");
            assert!(text
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("objectve", &["objective", "window"]),
            Some("objective")
        );
        assert_eq!(did_you_mean("zzz", &["objective", "window"]), None);
    }
}
