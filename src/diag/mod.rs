//! Diagnostics: stable codes, file:line:col locations, and the human, JSON and GitHub renderings.

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};

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
    ($($variant:ident => $text:literal, $doc:literal;)*) => {
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
        }
    };
}

codes! {
    YamlSyntax => "yaml-syntax", "The file is not well-formed YAML.";
    EmptySpec => "empty-spec", "The file holds no document.";
    UnknownApiVersion => "unknown-api-version", "`apiVersion` names a format slocc does not read.";
    UnknownKey => "unknown-key", "A key that the format does not define (often a typo).";
    WrongType => "wrong-type", "A value of the wrong YAML type (a list where a mapping belongs, text where a number belongs).";
    MissingField => "missing-field", "A required field is absent.";
    InvalidName => "invalid-name", "A service or SLO name that cannot be used in file names and label values.";
    InvalidLabelName => "invalid-label-name", "A label or annotation name that Prometheus rejects.";
    ReservedLabel => "reserved-label", "A label that slocc sets itself.";
    InvalidAlertName => "invalid-alert-name", "An alert name that is not a valid Prometheus identifier.";
    InvalidDuration => "invalid-duration", "A duration not in Prometheus syntax (`5m`, `1h30m`).";
    ObjectiveOutOfRange => "objective-out-of-range", "An objective that is not strictly between 0 and 100 percent.";
    WindowOutOfRange => "window-out-of-range", "An SLO window shorter than 1d or longer than 90d.";
    InvalidPromql => "invalid-promql", "A query that PromQL cannot parse, or that does not return an instant vector.";
    MissingWindowPlaceholder => "missing-window-placeholder", "A ratio or raw query without the `{{window}}` placeholder.";
    SliKind => "sli-kind", "An SLI that does not name exactly one kind (ratio, latency or raw).";
    GroupingMismatch => "grouping-mismatch", "The two queries of a ratio SLI aggregate by different labels.";
    InvalidThreshold => "invalid-threshold", "A latency threshold that is not a plain positive duration.";
    InvalidWindowPolicy => "invalid-window-policy", "A custom alert window that cannot work (short not shorter than long, duplicate tier, budget share out of range).";
    UnsupportedFeature => "unsupported-feature", "A feature of an imported format (Sloth plugin, OpenSLO calendar window) that slocc cannot honour.";
    DuplicateService => "duplicate-service", "Two spec files declare the same service.";
    DuplicateSlo => "duplicate-slo", "Two SLOs of one service share a name.";
    TierNeverFires => "tier-never-fires", "Warning: a tier whose threshold is at or above a 100% error ratio, so it can never fire.";
    TinyBudget => "tiny-budget", "Warning: an objective whose whole budget is gone in under a minute of full outage.";
    RunbookMissing => "runbook-missing", "Warning: an SLO has no runbook yet.";
    RunbookStale => "runbook-stale", "Warning: a runbook's generated region is out of date with the spec.";
    RunbookMarkers => "runbook-markers", "Warning: a runbook's generated-region markers were removed or damaged; it is left untouched.";
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
            hint: None,
            location,
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

    fn line(&self, location: Location) -> Option<&str> {
        self.get(location.source)?
            .text
            .lines()
            .nth(location.line.checked_sub(1)?)
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

/// Output format for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Format {
    /// `file:line:col: error[code]: message`, the source line, a caret and the hint.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::message`).
    Github,
}

/// Warnings of one code beyond this many are summarised in one line in the human format.
const WARNINGS_SHOWN: usize = 3;

/// Renders every diagnostic plus a summary line (human format) in the chosen format; `color`
/// paints the human format's severities. A warning code that occurs more than
/// [`WARNINGS_SHOWN`] times is one line with the count and the first few (human format only:
/// the machine formats keep every diagnostic).
pub(crate) fn render(
    diagnostics: &Diagnostics,
    sources: &Sources,
    format: Format,
    color: bool,
) -> String {
    let items = diagnostics.sorted();
    let mut out = String::new();
    match format {
        Format::Human => {
            let mut repeated: BTreeMap<Code, Vec<&Diagnostic>> = BTreeMap::new();
            for d in items.iter().filter(|d| d.severity == Severity::Warning) {
                repeated.entry(d.code).or_default().push(d);
            }
            repeated.retain(|_, all| all.len() > WARNINGS_SHOWN);
            for d in &items {
                if d.severity != Severity::Warning || !repeated.contains_key(&d.code) {
                    render_human(&mut out, d, sources, color);
                } else if let Some(all) = repeated.get_mut(&d.code).filter(|a| !a.is_empty()) {
                    // Shown once, where the first of them stands; the rest are in `all`.
                    render_repeated(&mut out, all, sources, color);
                    all.clear();
                }
            }
            let (errors, warnings) = diagnostics.counts();
            if errors + warnings > 0 {
                let _ = writeln!(
                    out,
                    "{} error{}, {} warning{}",
                    errors,
                    if errors == 1 { "" } else { "s" },
                    warnings,
                    if warnings == 1 { "" } else { "s" }
                );
            }
        }
        Format::Json => {
            for d in &items {
                let record = JsonDiagnostic {
                    file: d.location.map(|l| sources.name(l.source)),
                    line: d.location.map(|l| l.line),
                    column: d.location.map(|l| l.column),
                    code: d.code,
                    severity: d.severity,
                    message: &d.message,
                    hint: d.hint.as_deref(),
                };
                // Serializing plain strings and numbers cannot fail.
                out.push_str(&serde_json::to_string(&record).unwrap_or_default());
                out.push('\n');
            }
        }
        Format::Github => {
            for d in &items {
                render_github(&mut out, d, sources);
            }
        }
    }
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    code: Code,
    severity: Severity,
    message: &'a str,
    hint: Option<&'a str>,
}

/// `error` in bold red, `warning` in bold yellow, when colour is on.
fn severity_word(severity: Severity, color: bool) -> String {
    match (color, severity) {
        (false, _) => severity.to_string(),
        (true, Severity::Error) => format!("\u{1b}[1;31m{severity}\u{1b}[0m"),
        (true, Severity::Warning) => format!("\u{1b}[1;33m{severity}\u{1b}[0m"),
    }
}

/// One line for many warnings of one code: the count, where the first few are, and the hint.
fn render_repeated(out: &mut String, all: &[&Diagnostic], sources: &Sources, color: bool) {
    let first: Vec<String> = all
        .iter()
        .take(WARNINGS_SHOWN)
        .map(|d| match d.location {
            Some(loc) => format!("{}:{}: {}", sources.name(loc.source), loc.line, d.message),
            None => d.message.clone(),
        })
        .collect();
    let _ = writeln!(
        out,
        "{}[{}]: {} warnings like this, the first {}: {}; ...",
        severity_word(Severity::Warning, color),
        all[0].code,
        all.len(),
        first.len(),
        first.join("; ")
    );
    if let Some(hint) = &all[0].hint {
        let _ = writeln!(out, "  = hint: {hint}");
    }
    out.push('\n');
}

fn render_human(out: &mut String, d: &Diagnostic, sources: &Sources, color: bool) {
    if let Some(loc) = d.location {
        let _ = write!(
            out,
            "{}:{}:{}: ",
            sources.name(loc.source),
            loc.line,
            loc.column
        );
    }
    let _ = writeln!(
        out,
        "{}[{}]: {}",
        severity_word(d.severity, color),
        d.code,
        d.message
    );
    if let Some(loc) = d.location {
        if let Some(line) = sources.line(loc) {
            let number = loc.line.to_string();
            let pad = " ".repeat(number.len());
            let caret_pad: String = line
                .chars()
                .take(loc.column.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            // Control characters would garble a terminal; show them as U+FFFD, one column each.
            let line: String = line
                .chars()
                .map(|c| {
                    if c.is_control() && c != '\t' {
                        '\u{fffd}'
                    } else {
                        c
                    }
                })
                .collect();
            let _ = writeln!(out, "{pad} |");
            let _ = writeln!(out, "{number} | {line}");
            let _ = writeln!(out, "{pad} | {caret_pad}^");
        }
    }
    if let Some(hint) = &d.hint {
        let _ = writeln!(out, "  = hint: {hint}");
    }
    out.push('\n');
}

/// Escapes a workflow-command message: `%`, CR and LF must be percent-encoded.
fn github_escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value, which also may not hold `:` or `,`.
fn github_escape_property(text: &str) -> String {
    github_escape_data(text)
        .replace(':', "%3A")
        .replace(',', "%2C")
}

fn render_github(out: &mut String, d: &Diagnostic, sources: &Sources) {
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut properties = vec![format!(
        "title={}",
        github_escape_property(&format!("slocc {}", d.code))
    )];
    if let Some(loc) = d.location {
        properties.insert(
            0,
            format!(
                "file={},line={},col={}",
                github_escape_property(sources.name(loc.source)),
                loc.line,
                loc.column
            ),
        );
    }
    let mut message = d.message.clone();
    if let Some(hint) = &d.hint {
        message.push_str(" (hint: ");
        message.push_str(hint);
        message.push(')');
    }
    let _ = writeln!(
        out,
        "::{command} {}::{}",
        properties.join(","),
        github_escape_data(&message)
    );
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

    fn sample() -> (Diagnostics, Sources) {
        let mut sources = Sources::default();
        let id = sources.add("specs/api.yaml", "service: api\nslos:\n  - nme: x\n");
        let mut diags = Diagnostics::default();
        diags.push(
            Diagnostic::error(
                Code::UnknownKey,
                Some(Location {
                    source: id,
                    line: 3,
                    column: 5,
                }),
                "unknown key `nme`",
            )
            .with_hint("did you mean `name`?"),
        );
        diags.push(Diagnostic::warning(
            Code::TinyBudget,
            None,
            "budget, with: 100% and\nnewline",
        ));
        (diags, sources)
    }

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
    fn human_rendering_quotes_line_with_caret() {
        let (diags, sources) = sample();
        let text = render(&diags, &sources, Format::Human, false);
        assert!(text.starts_with("specs/api.yaml:3:5: error[unknown-key]: unknown key `nme`\n"));
        assert!(text.contains("3 |   - nme: x\n  |     ^\n"), "{text}");
        assert!(text.contains("= hint: did you mean `name`?"));
        assert!(text.ends_with("1 error, 1 warning\n"));
    }

    #[test]
    fn json_rendering_has_every_field() {
        let (diags, sources) = sample();
        let text = render(&diags, &sources, Format::Json, false);
        let first: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(first["file"], "specs/api.yaml");
        assert_eq!(first["line"], 3);
        assert_eq!(first["column"], 5);
        assert_eq!(first["code"], "unknown-key");
        assert_eq!(first["severity"], "error");
        assert_eq!(first["hint"], "did you mean `name`?");
    }

    #[test]
    fn github_rendering_escapes_commands() {
        let (diags, sources) = sample();
        let text = render(&diags, &sources, Format::Github, false);
        assert!(text.contains("::error file=specs/api.yaml,line=3,col=5,title=slocc unknown-key::unknown key `nme` (hint: did you mean `name`?)\n"), "{text}");
        assert!(
            text.contains(
                "::warning title=slocc tiny-budget::budget, with: 100%25 and%0Anewline\n"
            ),
            "{text}"
        );
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
