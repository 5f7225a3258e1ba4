//! Rendering diagnostics: for people through codespan-reporting (the quoted line, a caret at the
//! position, secondary labels, the hint), as JSON lines, or as GitHub Actions annotations.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use codespan_reporting::diagnostic::{self as cs, Label};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, Config};
use serde::Serialize;

use super::{Code, Diagnostic, Diagnostics, Location, Severity, Sources};

/// Output format for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Format {
    /// `severity[code]: message`, `--> file:line:col`, the source line, a caret and the hint.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
    /// GitHub Actions workflow commands (`::error file=…,line=…,col=…::message`).
    Github,
}

/// The most characters of a message or a quoted line that are printed: a 10 MB name must not
/// print 20 MB of diagnostics.
const MAX_SHOWN: usize = 400;

/// `text`, cut to [`MAX_SHOWN`] characters with a note of how much was left out.
fn shorten(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_SHOWN) {
        None => std::borrow::Cow::Borrowed(text),
        Some((cut, _)) => {
            let rest = text[cut..].chars().count();
            std::borrow::Cow::Owned(format!("{}... ({rest} more characters)", &text[..cut]))
        }
    }
}

/// Warnings of one code beyond this many are summarised in one line in the human format.
const WARNINGS_SHOWN: usize = 3;

/// Renders every diagnostic plus a summary line (human format) in the chosen format; `color`
/// paints the human format. A warning code that occurs more than [`WARNINGS_SHOWN`] times is one
/// line with the count and the first few (human format only: the machine formats keep every
/// diagnostic).
pub(crate) fn render(
    diagnostics: &Diagnostics,
    sources: &Sources,
    format: Format,
    color: bool,
) -> String {
    let items = diagnostics.sorted();
    let mut out = String::new();
    match format {
        Format::Human => render_all_human(&mut out, &items, sources, color),
        Format::Json => {
            for d in &items {
                let record = JsonDiagnostic {
                    file: d.location.map(|l| sources.name(l.source)),
                    line: d.location.map(|l| l.line),
                    column: d.location.map(|l| l.column),
                    code: d.code,
                    severity: d.severity,
                    message: &shorten(&d.message),
                    hint: &d.hint,
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

fn render_all_human(out: &mut String, items: &[&Diagnostic], sources: &Sources, color: bool) {
    let mut repeated: BTreeMap<Code, Vec<&Diagnostic>> = BTreeMap::new();
    for d in items.iter().filter(|d| d.severity == Severity::Warning) {
        repeated.entry(d.code).or_default().push(d);
    }
    repeated.retain(|_, all| all.len() > WARNINGS_SHOWN);
    let mut files = Snippets::new(sources);
    for d in items {
        if d.severity != Severity::Warning || !repeated.contains_key(&d.code) {
            files.render(out, d, color);
        } else if let Some(all) = repeated.get_mut(&d.code).filter(|a| !a.is_empty()) {
            // Shown once, where the first of them stands.
            render_repeated(out, all, sources, color);
            all.clear();
        }
    }
    let errors = items
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = items.len() - errors;
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

/// The files diagnostics quote, handed to codespan-reporting as they are needed.
struct Snippets<'a> {
    sources: &'a Sources,
    files: SimpleFiles<String, String>,
    /// Our source index to codespan's file id.
    ids: BTreeMap<usize, usize>,
}

impl<'a> Snippets<'a> {
    fn new(sources: &'a Sources) -> Self {
        Self {
            sources,
            files: SimpleFiles::new(),
            ids: BTreeMap::new(),
        }
    }

    /// codespan's file id and the byte offset of `location` in the file's quoted text.
    fn place(&mut self, location: Location) -> Option<(usize, usize)> {
        let file = self.sources.get(location.source)?;
        let id = match self.ids.get(&location.source) {
            Some(id) => *id,
            None => {
                let id = self.files.add(file.name.clone(), quotable(&file.text));
                self.ids.insert(location.source, id);
                id
            }
        };
        let text = self.files.get(id).ok()?.source();
        Some((id, offset(text, location)))
    }

    fn render(&mut self, out: &mut String, d: &Diagnostic, color: bool) {
        let mut diagnostic = match d.severity {
            Severity::Error => cs::Diagnostic::error(),
            Severity::Warning => cs::Diagnostic::warning(),
        }
        .with_code(d.code.as_str())
        .with_message(shorten(&d.message));
        let mut labels = Vec::new();
        if let Some((id, at)) = d.location.and_then(|l| self.place(l)) {
            labels.push(Label::primary(id, at..at));
        }
        for (location, message) in &d.labels {
            if let Some((id, at)) = self.place(*location) {
                labels.push(Label::secondary(id, at..at).with_message(message.clone()));
            }
        }
        diagnostic = diagnostic.with_labels(labels);
        diagnostic = diagnostic.with_notes(vec![format!("hint: {}", d.hint)]);
        let config = Config {
            chars: term::Chars::ascii(),
            ..Config::default()
        };
        out.push_str(&emit(&config, &self.files, &diagnostic, color));
    }
}

/// One diagnostic as text, in colour or not.
fn emit(
    config: &Config,
    files: &SimpleFiles<String, String>,
    diagnostic: &cs::Diagnostic<usize>,
    color: bool,
) -> String {
    // Rendering into memory from files we hold cannot fail; an empty string is the fallback.
    if !color {
        return term::emit_into_string(config, files, diagnostic).unwrap_or_default();
    }
    let styles = term::Styles::default();
    let mut ansi = term::termcolor::Ansi::new(Vec::new());
    let mut writer = term::StylesWriter::new(&mut ansi, &styles);
    if term::emit_to_write_style(&mut writer, config, files, diagnostic).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&ansi.into_inner()).into_owned()
}

/// The text as quoted in diagnostics: control characters, which would garble a terminal, shown
/// as U+FFFD (one column each), carriage returns dropped, and each line cut to [`MAX_SHOWN`]
/// characters (a position past the cut points at the line's end).
fn quotable(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(1 << 20));
    for line in text.split('\n') {
        let clean = line
            .chars()
            .filter(|c| *c != '\r')
            .take(MAX_SHOWN)
            .map(|c| {
                if c.is_control() && c != '\t' {
                    '\u{fffd}'
                } else {
                    c
                }
            });
        out.extend(clean);
        out.push('\n');
    }
    out.pop();
    out
}

/// Byte offset of a 1-based line and (character) column, clamped to the line's end.
fn offset(text: &str, location: Location) -> usize {
    let mut start = 0;
    for _ in 1..location.line {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line = text[start..].split('\n').next().unwrap_or("");
    let within = line
        .char_indices()
        .nth(location.column.saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    start + within
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    code: Code,
    severity: Severity,
    message: &'a str,
    hint: &'a str,
}

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
    let _ = writeln!(out, "  = hint: {}", all[0].hint);
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
    let mut message = shorten(&d.message).into_owned();
    message.push_str(" (hint: ");
    message.push_str(&d.hint);
    message.push(')');
    let _ = writeln!(
        out,
        "::{command} {}::{}",
        properties.join(","),
        github_escape_data(&message)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (Diagnostics, Sources) {
        let mut sources = Sources::default();
        let id = sources.add(
            "specs/api.yaml",
            "service: api\nslos:\n  - nme: x\n  - name: \u{7}y\n",
        );
        let at = |line, column| Location {
            source: id,
            line,
            column,
        };
        let mut diags = Diagnostics::default();
        diags.push(Diagnostic::new(
            Code::UnknownKey,
            Some(at(3, 5)),
            "unknown key `nme`",
            "did you mean `name`?",
        ));
        diags.push(
            Diagnostic::new(
                Code::DuplicateSlo,
                Some(at(4, 11)),
                "the SLO `y` twice",
                "h",
            )
            .with_label(at(1, 1), "first here"),
        );
        diags.push(Diagnostic::new(
            Code::TinyBudget,
            None,
            "budget, with: 100% and\nnewline",
            "h",
        ));
        (diags, sources)
    }

    #[test]
    fn human_rendering_quotes_the_line_with_a_caret_labels_and_hint() {
        let (diags, sources) = sample();
        let text = render(&diags, &sources, Format::Human, false);
        let first = "error[unknown-key]: unknown key `nme`\n  --> specs/api.yaml:3:5\n  |\n3 |   - nme: x\n  |     ^\n  |\n  = hint: did you mean `name`?\n\n";
        assert!(text.starts_with(first), "{text}");
        assert!(text.contains("4 |   - name: \u{fffd}y\n"), "{text}");
        assert!(
            text.contains("1 | service: api\n  | - first here"),
            "{text}"
        );
        assert!(text.ends_with("2 errors, 1 warning\n"), "{text}");
        let painted = render(&diags, &sources, Format::Human, true);
        assert!(painted.contains('\u{1b}') && !text.contains('\u{1b}'));
    }

    #[test]
    fn huge_values_print_a_bounded_diagnostic() {
        let name = "x".repeat(10_000_000);
        let mut sources = Sources::default();
        let id = sources.add("big.yaml", format!("service: {name}\n"));
        let mut diags = Diagnostics::default();
        diags.push(Diagnostic::new(
            Code::InvalidName,
            Some(Location {
                source: id,
                line: 1,
                column: 10,
            }),
            format!("invalid service name `{name}`"),
            "h",
        ));
        for format in [Format::Human, Format::Json, Format::Github] {
            let text = render(&diags, &sources, format, false);
            assert!(text.len() < 2_000, "{format:?}: {} bytes", text.len());
            assert!(text.contains("more characters)"), "{format:?}");
        }
    }

    #[test]
    fn offsets_count_characters_and_clamp_to_the_line() {
        let text = "ab\nçd: x\n";
        let at = |line, column| Location {
            source: 0,
            line,
            column,
        };
        assert_eq!(offset(text, at(2, 2)), 5);
        assert_eq!(offset(text, at(2, 99)), 9);
        assert_eq!(offset(text, at(9, 1)), text.len());
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
                "::warning title=slocc tiny-budget::budget, with: 100%25 and%0Anewline (hint: h)\n"
            ),
            "{text}"
        );
    }
}
