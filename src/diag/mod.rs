//! Diagnostics: stable codes, file:line:col locations, and the human, JSON and GitHub renderings.

mod render;

pub(crate) use render::{render, Format};

use std::fmt;

use serde::Serialize;

/// How bad a diagnostic is. Errors fail the run; warnings are reported and the run goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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
    ($($variant:ident => $text:literal, $doc:literal, $hint:literal;)*) => {
        /// Stable diagnostic codes; each is documented in `docs/diagnostics.md`.
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

            /// What to do about any diagnostic of this kind, when its call site has nothing
            /// more precise to say: no diagnostic goes out without a hint.
            pub(crate) fn default_hint(self) -> &'static str {
                match self {
                    $(Code::$variant => $hint,)*
                }
            }
        }
    };
}

codes! {
    YamlSyntax => "yaml-syntax", "The file is not well-formed YAML.", "check the indentation and quoting around this line";
    EmptySpec => "empty-spec", "The file holds no document.", "write a spec starting with `apiVersion: slocc/v1`, or delete the file";
    TooLarge => "too-large", "A spec file larger or more deeply nested than slocc reads.", "split the specs into one file per service";
    UnknownApiVersion => "unknown-api-version", "`apiVersion` names a format slocc does not read.", "slocc reads `slocc/v1`, Sloth, Pyrra and OpenSLO documents (docs/imports.md)";
    UnknownKey => "unknown-key", "A key that the format does not define (often a typo).", "remove the key, or check its spelling against docs/spec.md";
    WrongType => "wrong-type", "A value of the wrong YAML type (a list where a mapping belongs, text where a number belongs).", "check the value's YAML type against docs/spec.md";
    MissingField => "missing-field", "A required field is absent.", "add the field; docs/spec.md lists every required one";
    InvalidName => "invalid-name", "A service or SLO name that cannot be used in file names and label values.", "use letters, digits, `-`, `_` and `.`, starting with a letter or digit";
    InvalidLabelName => "invalid-label-name", "A label or annotation name that Prometheus rejects.", "label names are letters, digits and `_`, not starting with a digit or `__`";
    ReservedLabel => "reserved-label", "A label that slocc sets itself.", "slocc sets this label itself; choose another name";
    InvalidAlertName => "invalid-alert-name", "An empty alert name.", "give the alert a name of letters and digits, e.g. `ApiAvailabilityBudgetBurn`";
    InvalidDuration => "invalid-duration", "A duration not in Prometheus syntax (`5m`, `1h30m`).", "write a Prometheus duration, largest unit first: `5m`, `1h30m`, `28d`";
    ObjectiveOutOfRange => "objective-out-of-range", "An objective that is not strictly between 0 and 100 percent.", "an objective is a percentage strictly between 0 and 100, e.g. `99.9`";
    TooPrecise => "too-precise", "A number with more significant digits than slocc keeps exactly (28), beyond trailing zeros.", "round it to the digits you mean, e.g. `99.95`";
    WindowOutOfRange => "window-out-of-range", "An SLO window shorter than 1d or longer than 90d.", "SLO windows run from `1d` to `90d`; `30d` and `28d` are the usual choices";
    InvalidPromql => "invalid-promql", "A query that PromQL cannot parse, or that does not return an instant vector.", "check the query with `promtool query instant` or in the Prometheus UI";
    MissingWindowPlaceholder => "missing-window-placeholder", "A ratio or raw query without the `{{window}}` placeholder.", "write the range of each rate() as `[{{window}}]`";
    SliKind => "sli-kind", "An SLI that does not name exactly one kind (ratio, latency or raw).", "use exactly one of `ratio`, `latency` or `raw`";
    GroupingMismatch => "grouping-mismatch", "The two queries of a ratio SLI aggregate by different labels.", "aggregate both queries by the same labels";
    InvalidThreshold => "invalid-threshold", "A latency threshold that is not a plain positive duration.", "write the threshold as a duration equal to a histogram bucket boundary, e.g. `300ms`";
    InvalidPercentile => "invalid-percentile", "A percentile shorthand that cannot be expanded: a key that is not `p` and a number in (0, 100), none listed, or `objective`/`threshold` given as well.", "write `percentiles: {p99: 500ms, p95: 300ms}` and no `objective` or `threshold`";
    InvalidWindowPolicy => "invalid-window-policy", "A custom alert window that cannot work (short not shorter than long, duplicate tier, budget share out of range).", "pair a long window with a short one of 1/12 its length, each once, e.g. 1h with 5m";
    InvalidSeverity => "invalid-severity", "A severity class that is unknown, named twice, or missing for a tier.", "the severity classes are listed under `severities` in the settings document (docs/settings.md)";
    DuplicateSettings => "duplicate-settings", "A second settings document, or two alert-window policies for one SLO window.", "keep one `kind: Settings` document, and one policy per SLO window";
    InvalidUrl => "invalid-url", "A base URL that is not an absolute `http://` or `https://` URL.", "write the whole URL, e.g. `https://grafana.example.com`";
    UnsupportedFeature => "unsupported-feature", "A feature of an imported format (Sloth plugin, OpenSLO calendar window) that slocc cannot honour.", "docs/imports.md says what slocc compiles of each format";
    DuplicateService => "duplicate-service", "Two spec files declare the same service.", "each service is compiled to its own file: give it one spec, or rename one";
    DuplicateSlo => "duplicate-slo", "Two SLOs of one service share a name.", "SLO names must be unique within a service";
    DuplicateObject => "duplicate-object", "Two OpenSLO objects of one kind share a name.", "OpenSLO objects of one kind need distinct `metadata.name`s";
    TierNeverFires => "tier-never-fires", "Warning: a tier whose threshold is at or above a 100% error ratio, so it can never fire.", "raise the objective, or give a custom `alerting.windows` policy whose factors fit this budget";
    UnusualAlertName => "unusual-alert-name", "Warning: an alert name that Prometheus accepts but that is not a plain identifier (hyphens, spaces).", "names like `CheckoutAvailabilityBudgetBurn` are easier to route and silence";
    SlowTier => "slow-tier", "Warning: a custom tier whose burn factor is under 1x, so it alerts on burns that would not empty the budget.", "raise `budget_percent` or shorten `long` so the factor (budget % x window / long) is at least 1";
    QuotedName => "quoted-name", "Warning: an SLI names a metric or label in UTF-8 (quoted, `{\"http.server.requests\"}`), which Prometheus 3 reads and Prometheus 2 cannot load.", "on Prometheus 2, use the name with underscores its exporters expose";
    TinyBudget => "tiny-budget", "Warning: an objective whose whole budget is gone in under a minute of full outage.", "consider a looser objective or a minimum-traffic guard (docs/rules.md)";
    RelativeRunbookUrl => "relative-runbook-url", "Warning: a service's alerts link their runbooks by a relative path (no `runbook_base_url` in the spec or the settings).", "set `runbook_base_url` in the spec, or once for all specs in a settings document (docs/settings.md)";
    RunbookMissing => "runbook-missing", "Warning: an SLO has no runbook yet.", "run `slocc compile` to scaffold it";
    RunbookStale => "runbook-stale", "Warning: a runbook's generated region is out of date with the spec.", "run `slocc compile` to refresh it; text outside the markers is kept";
    RunbookMarkers => "runbook-markers", "Warning: a runbook's generated-region markers were removed or damaged; it is left untouched.", "put the markers back, or move the file away to scaffold a new one";
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

/// A place in a source file; line and column are 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Location {
    /// Index of the file in the [`Sources`] it was read into.
    pub(crate) source: usize,
    /// 1-based line.
    pub(crate) line: usize,
    /// 1-based column.
    pub(crate) column: usize,
}

/// One problem found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Diagnostic {
    /// Error or warning.
    pub(crate) severity: Severity,
    /// Stable code.
    pub(crate) code: Code,
    /// Lowercase message, names in backticks.
    pub(crate) message: String,
    /// What to do about it.
    pub(crate) hint: Option<String>,
    /// Where it is, when it is in a file.
    pub(crate) location: Option<Location>,
    /// Other places that explain it ("first declared here"), each with a short message.
    pub(crate) labels: Vec<(Location, String)>,
}

impl Diagnostic {
    /// An error at `location`.
    pub(crate) fn error(
        code: Code,
        location: Option<Location>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            hint: Some(code.default_hint().to_string()),
            location,
            labels: Vec::new(),
        }
    }

    /// A warning at `location`.
    pub(crate) fn warning(
        code: Code,
        location: Option<Location>,
        message: impl Into<String>,
    ) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, location, message)
        }
    }

    /// Adds a hint.
    pub(crate) fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
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
            assert!(text.chars().all(|c| c.is_ascii_lowercase() || c == '-'));
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

#[cfg(test)]
mod docs_tests {
    use super::Code;

    #[test]
    fn every_code_is_documented() {
        let docs = include_str!("../../docs/diagnostics.md");
        for code in Code::ALL {
            assert!(
                docs.contains(&format!("### `{}`", code.as_str())),
                "docs/diagnostics.md has no section for `{code}`"
            );
        }
    }
}
