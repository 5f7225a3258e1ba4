//! Command line: clap definitions, converted to a plain [`Config`], run against caller-supplied writers.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::diag::{self, Format};
use crate::pipeline::{self, DEFAULT_SPECS};

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: the specs are invalid (errors were reported).
pub const EXIT_INVALID: i32 = 1;
/// Exit code: usage or I/O error (bad flags, unreadable paths, no specs, outputs not writable).
pub const EXIT_USAGE: i32 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "slocc",
    version,
    about = "Compile SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules",
    long_about = "Compile SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules.\n\nExit codes: 0 success, 1 invalid specs, 2 usage or I/O error."
)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Validate specs and report every problem with file:line:col, a code and a hint; also
    /// report runbooks that are missing, out of date, or whose markers were removed.
    Check {
        /// Spec files or directories (default: `specs/`).
        paths: Vec<PathBuf>,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
        /// Runbooks directory.
        #[arg(long, default_value = "runbooks")]
        runbooks: PathBuf,
        /// Directory of template overrides (see `slocc init templates`).
        #[arg(long)]
        templates: Option<PathBuf>,
    },
    /// Validate specs and write one Prometheus rule file per service.
    Compile {
        /// Spec files or directories (default: `specs/`).
        paths: Vec<PathBuf>,
        /// Output directory; only files slocc generated there are replaced or removed.
        #[arg(short, long, default_value = "out")]
        out: PathBuf,
        /// Write nothing; exit 1 with a diff when the output directory is stale or incomplete.
        #[arg(long)]
        check: bool,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = FormatArg::Human)]
        format: FormatArg,
        /// Runbooks directory: new runbooks are scaffolded, generated regions refreshed, and
        /// every line outside them kept.
        #[arg(long, default_value = "runbooks")]
        runbooks: PathBuf,
        /// Directory of template overrides (see `slocc init templates`).
        #[arg(long)]
        templates: Option<PathBuf>,
        /// Engine the rule files are for.
        #[arg(long, value_enum, default_value_t = TargetArg::Prometheus)]
        target: TargetArg,
        /// prometheus-operator: namespace of the `PrometheusRule` objects.
        #[arg(long)]
        namespace: Option<String>,
        /// prometheus-operator: prefix of `PrometheusRule` names (the service name follows).
        #[arg(long, default_value = "slocc-")]
        name_prefix: String,
        /// prometheus-operator: a label on every `PrometheusRule` (repeatable), so the operator's
        /// `ruleSelector` picks them up, e.g. `--rule-label release=prometheus`.
        #[arg(long = "rule-label", value_name = "NAME=VALUE", value_parser = parse_label)]
        rule_labels: Vec<(String, String)>,
        /// mimir: ruler namespace for every service (default: each service's own name).
        #[arg(long)]
        mimir_namespace: Option<String>,
    },
    /// Write starter files: `slocc init templates DIR` writes the built-in templates for editing.
    Init {
        /// What to write.
        #[arg(value_enum)]
        what: InitWhat,
        /// Where.
        dir: PathBuf,
    },
    /// Compare two versions of the specs: what changes for paging, then the generated files' diff.
    ///
    /// `slocc diff OLD NEW` compares two spec files or directories; `slocc diff --base REV
    /// [PATHS]` compares the specs at a git revision with the working tree. Exit codes: 0 no
    /// change, 1 changes found, 2 error.
    Diff {
        /// OLD and NEW; with `--base`, the spec paths to compare (default: `specs/`).
        paths: Vec<PathBuf>,
        /// Compare the specs at this git revision with the working tree.
        #[arg(long, value_name = "REV")]
        base: Option<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
        format: DiffFormat,
        /// Colour in human output.
        #[arg(long, value_enum, default_value_t = ColorArg::Auto)]
        color: ColorArg,
    },
    /// Print the JSON Schema of the `slocc/v1` spec format (for editors).
    Schema,
    /// Print the native `slocc/v1` equivalent of specs in any format slocc reads (Sloth,
    /// OpenSLO, Pyrra, native), to migrate. The specs must be valid.
    Convert {
        /// Spec files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Explain SLOs in numbers: budget, burn tiers, and what a simulated incident would fire.
    Explain {
        /// Spec files or directories (default: `specs/`).
        paths: Vec<PathBuf>,
        /// Only this SLO: `name` or `service/name`.
        #[arg(long)]
        slo: Option<String>,
        /// Simulate an incident with this error ratio (0 < R <= 1), e.g. 0.05 for 5% errors.
        #[arg(long, value_name = "R")]
        error_ratio: Option<f64>,
        /// How long the simulated incident lasts (Prometheus duration); default: without end.
        #[arg(long, value_name = "DURATION", requires = "error_ratio")]
        duration: Option<String>,
        /// Traffic in events per second, to express the budget as a number of bad events.
        #[arg(long, value_name = "EVENTS_PER_SECOND")]
        traffic: Option<f64>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
        format: ReportFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum TargetArg {
    /// Prometheus rule files (`rule_files:`; `promtool check rules`).
    Prometheus,
    /// A `PrometheusRule` manifest per service (`kubectl apply -f`).
    PrometheusOperator,
    /// Mimir/Cortex ruler files, a namespace per service (`mimirtool rules load`).
    Mimir,
    /// Thanos ruler files, groups with `partial_response_strategy: abort` (`--rule-file`).
    Thanos,
    /// vmalert rule files, groups of `type: prometheus` (`-rule=`).
    Vmalert,
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    if !crate::promql::is_valid_label_name(name) {
        return Err(format!("`{name}` is not a valid label name"));
    }
    Ok((name.to_string(), value.to_string()))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum InitWhat {
    /// The built-in templates (alert annotations, runbooks).
    Templates,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum DiffFormat {
    /// Readable, coloured on a terminal.
    Human,
    /// A pull-request comment.
    Markdown,
    /// One JSON object.
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ColorArg {
    /// Colour when writing to a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ReportFormat {
    /// Readable tables.
    Human,
    /// A JSON array of SLO reports.
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FormatArg {
    /// Readable, with the source line and a caret.
    Human,
    /// One JSON object per diagnostic, one per line.
    Json,
    /// GitHub Actions annotations.
    Github,
}

impl From<FormatArg> for Format {
    fn from(value: FormatArg) -> Self {
        match value {
            FormatArg::Human => Format::Human,
            FormatArg::Json => Format::Json,
            FormatArg::Github => Format::Github,
        }
    }
}

/// The two sides of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffSides {
    /// Two paths.
    Paths(PathBuf, PathBuf),
    /// A git revision against the working tree, for these paths.
    Base(String, Vec<PathBuf>),
    /// Not two paths and no `--base`: a usage error to report.
    Invalid(String),
}

/// What to run, independent of clap.
#[derive(Debug, Clone, PartialEq)]
pub enum Config {
    /// `slocc check`.
    Check {
        /// Inputs.
        paths: Vec<PathBuf>,
        /// Diagnostics format.
        format: Format,
        /// Runbooks directory.
        runbooks: PathBuf,
        /// Template overrides.
        templates: Option<PathBuf>,
    },
    /// `slocc init templates DIR`.
    Init {
        /// Where to write the templates.
        dir: PathBuf,
    },
    /// `slocc compile`.
    Compile {
        /// Inputs.
        paths: Vec<PathBuf>,
        /// Output directory.
        out: PathBuf,
        /// Compare instead of writing.
        check: bool,
        /// Diagnostics format.
        format: Format,
        /// Runbooks directory.
        runbooks: PathBuf,
        /// Template overrides.
        templates: Option<PathBuf>,
        /// The engine and its settings.
        target: crate::emit::targets::TargetOptions,
    },
    /// `slocc schema`.
    Schema,
    /// `slocc convert`.
    Convert {
        /// Inputs.
        paths: Vec<PathBuf>,
    },
    /// `slocc diff`.
    Diff {
        /// What to compare.
        sides: DiffSides,
        /// `human`, `markdown` or `json`.
        format: String,
        /// ANSI colours in human output.
        color: bool,
    },
    /// `slocc explain`.
    Explain {
        /// Inputs.
        paths: Vec<PathBuf>,
        /// Only this SLO (`name` or `service/name`).
        slo: Option<String>,
        /// Error ratio of a simulated incident.
        error_ratio: Option<f64>,
        /// Its length, as written.
        duration: Option<String>,
        /// Events per second.
        traffic: Option<f64>,
        /// JSON instead of tables.
        json: bool,
    },
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_SPECS)]
    } else {
        paths
    }
}

impl From<Args> for Config {
    fn from(args: Args) -> Self {
        match args.command {
            Command::Check {
                paths,
                format,
                runbooks,
                templates,
            } => Config::Check {
                paths: default_paths(paths),
                format: format.into(),
                runbooks,
                templates,
            },
            Command::Init {
                what: InitWhat::Templates,
                dir,
            } => Config::Init { dir },
            Command::Compile {
                paths,
                out,
                check,
                format,
                runbooks,
                templates,
                target,
                namespace,
                name_prefix,
                rule_labels,
                mimir_namespace,
            } => {
                use crate::emit::targets::{Target, TargetOptions};
                Config::Compile {
                    paths: default_paths(paths),
                    out,
                    check,
                    format: format.into(),
                    runbooks,
                    templates,
                    target: TargetOptions {
                        target: match target {
                            TargetArg::Prometheus => Target::Prometheus,
                            TargetArg::PrometheusOperator => Target::PrometheusOperator,
                            TargetArg::Mimir => Target::Mimir,
                            TargetArg::Thanos => Target::Thanos,
                            TargetArg::Vmalert => Target::Vmalert,
                        },
                        namespace,
                        name_prefix,
                        labels: rule_labels.into_iter().collect(),
                        mimir_namespace,
                    },
                }
            }
            Command::Schema => Config::Schema,
            Command::Convert { paths } => Config::Convert { paths },
            Command::Diff {
                paths,
                base,
                format,
                color,
            } => {
                use std::io::IsTerminal;
                let sides = match (base, paths.len()) {
                    (Some(rev), _) => DiffSides::Base(rev, default_paths(paths)),
                    (None, 2) => DiffSides::Paths(paths[0].clone(), paths[1].clone()),
                    (None, n) => DiffSides::Invalid(format!(
                        "`slocc diff` takes OLD and NEW paths (got {n}), or `--base REV [PATHS]`"
                    )),
                };
                Config::Diff {
                    sides,
                    format: format!("{format:?}").to_lowercase(),
                    color: match color {
                        ColorArg::Always => true,
                        ColorArg::Never => false,
                        ColorArg::Auto => std::io::stdout().is_terminal(),
                    },
                }
            }
            Command::Explain {
                paths,
                slo,
                error_ratio,
                duration,
                traffic,
                format,
            } => Config::Explain {
                paths: default_paths(paths),
                slo,
                error_ratio,
                duration,
                traffic,
                json: format == ReportFormat::Json,
            },
        }
    }
}

/// Parses arguments and runs; returns the exit code. Help and usage errors go to the writers.
pub fn main<I, T>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> std::io::Result<i32>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Args::try_parse_from(args) {
        Ok(args) => run(&Config::from(args), stdout, stderr),
        Err(error) => {
            let text = error.render().to_string();
            if error.use_stderr() {
                stderr.write_all(text.as_bytes())?;
                Ok(EXIT_USAGE)
            } else {
                stdout.write_all(text.as_bytes())?;
                Ok(EXIT_OK)
            }
        }
    }
}

/// Runs a parsed command.
pub fn run(
    config: &Config,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    match config {
        Config::Explain { .. } => run_explain(config, stdout, stderr),
        Config::Convert { paths } => {
            let checked = match pipeline::check(paths) {
                Ok(c) => c,
                Err(e) => return usage_error(stderr, &e),
            };
            report(&checked, Format::Human, stdout, stderr)?;
            if checked.failed() {
                return Ok(EXIT_INVALID);
            }
            let mut documents = Vec::new();
            let mut diags = crate::diag::Diagnostics::default();
            let mut openslo = Vec::new();
            for (id, file) in checked.sources.files().iter().enumerate() {
                for doc in crate::yaml::load_documents(id, &file.text, &mut diags) {
                    if crate::import::openslo::is_openslo(&doc) {
                        openslo.push(doc);
                    } else if let Some(spec) = crate::import::read_document(&doc, &mut diags) {
                        documents.push((file.name.clone(), spec));
                    }
                }
            }
            for spec in crate::import::openslo::resolve(&openslo, &mut diags) {
                let name = checked
                    .sources
                    .get(spec.location.source)
                    .map_or(String::new(), |f| f.name.clone());
                documents.push((name, spec));
            }
            let documents: Vec<String> = documents
                .iter()
                .map(|(name, spec)| {
                    format!(
                        "# slocc/v1, converted from {name}\n{}",
                        crate::convert::to_native(spec)
                    )
                })
                .collect();
            stdout.write_all(documents.join("---\n").as_bytes())?;
            Ok(EXIT_OK)
        }
        Config::Schema => {
            stdout.write_all(crate::schema::render().as_bytes())?;
            Ok(EXIT_OK)
        }
        Config::Diff {
            sides,
            format,
            color,
        } => run_diff(sides, format, *color, stdout, stderr),
        Config::Init { dir } => match crate::templates::Templates::init(dir) {
            Ok((written, kept)) => {
                for path in &written {
                    writeln!(stderr, "wrote {path}")?;
                }
                for path in &kept {
                    writeln!(stderr, "kept {path} (already exists)")?;
                }
                writeln!(
                    stderr,
                    "edit them and pass `--templates {}` to `slocc compile` and `slocc check`",
                    pipeline::display(dir)
                )?;
                Ok(EXIT_OK)
            }
            Err(e) => usage_error(
                stderr,
                &format!(
                    "cannot write templates to `{}`: {e}",
                    pipeline::display(dir)
                ),
            ),
        },
        Config::Check {
            paths,
            format,
            runbooks,
            templates,
        } => {
            let mut checked = match pipeline::check(paths) {
                Ok(c) => c,
                Err(e) => return usage_error(stderr, &e),
            };
            if !checked.failed() {
                let templates =
                    match crate::templates::Templates::with_overrides(templates.as_deref()) {
                        Ok(t) => t,
                        Err(e) => return usage_error(stderr, &e),
                    };
                match pipeline::plan_runbooks(&checked.services, &templates, runbooks) {
                    Ok(plans) => runbook_diagnostics(&mut checked, &plans, runbooks, true),
                    Err(e) => return usage_error(stderr, &e),
                }
            }
            report(&checked, *format, stdout, stderr)?;
            if checked.failed() {
                return Ok(EXIT_INVALID);
            }
            if *format == Format::Human {
                writeln!(
                    stderr,
                    "checked {} service{} ({} SLO{}) in {} file{}: ok",
                    checked.services.len(),
                    plural(checked.services.len()),
                    slo_count(&checked),
                    plural(slo_count(&checked)),
                    spec_file_count(&checked),
                    plural(spec_file_count(&checked)),
                )?;
            }
            Ok(EXIT_OK)
        }
        Config::Compile {
            paths,
            out,
            check,
            format,
            runbooks,
            templates,
            target,
        } => {
            let mut checked = match pipeline::check(paths) {
                Ok(c) => c,
                Err(e) => return usage_error(stderr, &e),
            };
            if checked.failed() {
                report(&checked, *format, stdout, stderr)?;
                writeln!(
                    stderr,
                    "nothing written: fix the errors above and run again"
                )?;
                return Ok(EXIT_INVALID);
            }
            let templates = match crate::templates::Templates::with_overrides(templates.as_deref())
            {
                Ok(t) => t,
                Err(e) => return usage_error(stderr, &e),
            };
            let runbooks_shown = pipeline::display(runbooks);
            let cx = crate::emit::prometheus::Context {
                templates: &templates,
                runbooks_dir: &runbooks_shown,
                target,
            };
            if *check {
                let built = pipeline::build_outputs(&checked.services, cx)
                    .map_err(pipeline::Error::from)
                    .and_then(|output| {
                        pipeline::plan_runbooks(&checked.services, &templates, runbooks)
                            .map(|plans| (output, plans))
                    });
                let (output, plans) = match built {
                    Ok(v) => v,
                    Err(e) => {
                        report(&checked, *format, stdout, stderr)?;
                        return usage_error(stderr, &e);
                    }
                };
                runbook_diagnostics(&mut checked, &plans, runbooks, true);
                report(&checked, *format, stdout, stderr)?;
                return check_outputs(&output, out, stdout, stderr);
            }
            let compiled = match pipeline::compile(&checked.services, cx, out, runbooks) {
                Ok(c) => c,
                Err(e) => {
                    report(&checked, *format, stdout, stderr)?;
                    return usage_error(stderr, &e);
                }
            };
            runbook_diagnostics(&mut checked, &compiled.runbooks_broken, runbooks, false);
            report(&checked, *format, stdout, stderr)?;
            if *format == Format::Human {
                let written = &compiled.written;
                writeln!(
                    stderr,
                    "compiled {} service{} ({} SLO{}) into {}: {} written, {} unchanged, {} removed; runbooks in {}: {} created, {} refreshed",
                    checked.services.len(),
                    plural(checked.services.len()),
                    slo_count(&checked),
                    plural(slo_count(&checked)),
                    pipeline::display(out),
                    written.changed.len(),
                    written.unchanged.len(),
                    written.removed.len(),
                    runbooks_shown,
                    compiled.runbooks_created,
                    compiled.runbooks_refreshed,
                )?;
            }
            Ok(EXIT_OK)
        }
    }
}

/// Spec files read (runbooks added for diagnostics are not counted).
fn spec_file_count(checked: &pipeline::Checked) -> usize {
    checked
        .sources
        .files()
        .iter()
        .filter(|f| !f.name.ends_with(".md"))
        .count()
}

/// Turns runbook states into warnings. Broken markers always; missing and stale regions only
/// when nothing will fix them in this run (`check`, `compile --check`).
fn runbook_diagnostics(
    checked: &mut pipeline::Checked,
    plans: &[pipeline::RunbookPlan],
    dir: &std::path::Path,
    report_missing_and_stale: bool,
) {
    use crate::diag::{Code, Diagnostic, Location};
    use crate::runbook::Update;
    for plan in plans {
        let path = dir.join(&plan.path);
        let shown = pipeline::display(&path);
        let at_line = |checked: &mut pipeline::Checked, line: usize| {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let source = checked.sources.add(shown.clone(), text);
            Some(Location {
                source,
                line,
                column: 1,
            })
        };
        let diagnostic = match &plan.update {
            Update::UpToDate => continue,
            Update::Markers(problem) => Diagnostic::warning(
                Code::RunbookMarkers,
                at_line(checked, 1),
                format!("runbook `{shown}` was not updated: {problem}"),
            )
            .with_hint(format!(
                "put back one `{}` line and one `{}` line around the generated part, or move the file away to scaffold a new one; nothing in it was changed",
                crate::runbook::BEGIN,
                crate::runbook::END
            )),
            _ if !report_missing_and_stale => continue,
            Update::Create(_) => Diagnostic::warning(
                Code::RunbookMissing,
                None,
                format!("runbook `{shown}` does not exist"),
            )
            .with_hint("run `slocc compile` to scaffold it"),
            Update::Refresh(_) => {
                let text = std::fs::read_to_string(&path).unwrap_or_default();
                let line = text
                    .lines()
                    .position(|l| l.contains(crate::runbook::BEGIN))
                    .map_or(1, |i| i + 1);
                Diagnostic::warning(
                    Code::RunbookStale,
                    at_line(checked, line),
                    format!("the generated part of runbook `{shown}` is out of date with the spec"),
                )
                .with_hint("run `slocc compile` to refresh it; text outside the markers is kept")
            }
        };
        checked.diagnostics.push(diagnostic);
    }
}

/// Checks one side of a diff; invalid specs there are an error of the comparison (exit 2).
fn diff_side(
    label: &str,
    checked: Result<pipeline::Checked, pipeline::Error>,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<Result<pipeline::Checked, i32>> {
    let checked = match checked {
        Ok(c) => c,
        Err(e) => return usage_error(stderr, &format!("{label}: {e}")).map(Err),
    };
    if checked.failed() {
        report(&checked, Format::Human, stdout, stderr)?;
        return usage_error(
            stderr,
            &format!("{label} has invalid specs; fix them to compare"),
        )
        .map(Err);
    }
    Ok(Ok(checked))
}

fn run_diff(
    sides: &DiffSides,
    format: &str,
    color: bool,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    let (old, new) = match sides {
        DiffSides::Invalid(message) => return usage_error(stderr, message),
        DiffSides::Paths(a, b) => (
            pipeline::check(std::slice::from_ref(a)),
            pipeline::check(std::slice::from_ref(b)),
        ),
        DiffSides::Base(rev, paths) => (
            crate::diff::sources_at_revision(rev, paths).map(pipeline::check_sources),
            pipeline::check(paths),
        ),
    };
    let old = match diff_side("the old side", old, stdout, stderr)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let new = match diff_side("the new side", new, stdout, stderr)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    // Two directories name their files differently; generated headers should not differ for it.
    let rooted = |services: &[crate::model::Service], root: Option<&PathBuf>| {
        let mut services = services.to_vec();
        if let Some(root) = root {
            let prefix = format!("{}/", pipeline::display(root));
            for s in &mut services {
                if let Some(rest) = s.source.strip_prefix(&prefix) {
                    s.source = rest.to_string();
                }
            }
        }
        services
    };
    let (old_root, new_root) = match sides {
        DiffSides::Paths(a, b) => (Some(a), Some(b)),
        _ => (None, None),
    };
    let (mut old_services, new_services) = (
        rooted(&old.services, old_root),
        rooted(&new.services, new_root),
    );
    if let (Some(a), Some(b)) = (old_root, new_root) {
        // Two single files: compare as if the old one were at the new one's path.
        if a.is_file() && b.is_file() {
            for s in &mut old_services {
                s.source = pipeline::display(b);
            }
        }
    }
    let templates = match crate::templates::Templates::builtin() {
        Ok(t) => t,
        Err(e) => return usage_error(stderr, &e),
    };
    let target = crate::emit::targets::TargetOptions::new(crate::emit::targets::Target::Prometheus);
    let cx = crate::emit::prometheus::Context {
        templates: &templates,
        runbooks_dir: "runbooks",
        target: &target,
    };
    let built = pipeline::build_outputs(&old_services, cx)
        .and_then(|old| pipeline::build_outputs(&new_services, cx).map(|new| (old, new)));
    let (old_files, new_files) = match built {
        Ok(v) => v,
        Err(e) => return usage_error(stderr, &e),
    };
    let report = crate::diff::compare(&old_services, &new_services, &old_files, &new_files);
    let text = match format {
        "markdown" => crate::diff::render_markdown(&report),
        "json" => serde_json::to_string_pretty(&report).map_err(std::io::Error::other)? + "\n",
        _ => crate::diff::render_human(&report, color),
    };
    stdout.write_all(text.as_bytes())?;
    Ok(if report.has_changes() {
        EXIT_INVALID
    } else {
        EXIT_OK
    })
}

/// `slocc explain`: reports for every SLO (or one), with an optional simulated incident.
fn run_explain(
    config: &Config,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    let Config::Explain {
        paths,
        slo,
        error_ratio,
        duration,
        traffic,
        json,
    } = config
    else {
        unreachable!("run_explain is only called for explain")
    };
    let incident = match error_ratio {
        None => None,
        Some(r) if *r > 0.0 && *r <= 1.0 => {
            let duration = match duration.as_deref().map(crate::duration::Duration::parse) {
                None => None,
                Some(Ok(d)) if !d.is_zero() => Some(d),
                Some(Ok(_)) => return usage_error(stderr, &"--duration must be longer than 0s"),
                Some(Err(e)) => return usage_error(stderr, &format!("--duration: {e}")),
            };
            Some(crate::explain::IncidentSpec {
                error_ratio: *r,
                duration,
            })
        }
        Some(r) => {
            return usage_error(
                stderr,
                &format!(
                    "--error-ratio {r} is not in (0, 1]: give a ratio such as 0.05 for 5% errors"
                ),
            );
        }
    };
    if traffic.is_some_and(|t| !(t.is_finite() && t > 0.0)) {
        return usage_error(
            stderr,
            &"--traffic must be a positive number of events per second",
        );
    }
    let checked = match pipeline::check(paths) {
        Ok(c) => c,
        Err(e) => return usage_error(stderr, &e),
    };
    report(&checked, Format::Human, stdout, stderr)?;
    if checked.failed() {
        return Ok(EXIT_INVALID);
    }
    let reports: Vec<_> = checked
        .services
        .iter()
        .flat_map(|service| service.slos.iter().map(move |s| (service, s)))
        .filter(|(service, s)| {
            slo.as_deref().is_none_or(|wanted| {
                wanted == s.name || wanted == format!("{}/{}", service.name, s.name)
            })
        })
        .map(|(service, s)| crate::explain::explain(service, s, *traffic, incident))
        .collect();
    if reports.is_empty() {
        return usage_error(
            stderr,
            &format!(
                "no SLO named `{}` in the specs",
                slo.as_deref().unwrap_or("")
            ),
        );
    }
    let text = if *json {
        serde_json::to_string_pretty(&reports).map_err(std::io::Error::other)? + "\n"
    } else {
        crate::explain::render_human(&reports)
    };
    stdout.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}

/// `compile --check`: the diff of every stale file on stdout, a summary on stderr.
fn check_outputs(
    output: &crate::output::Output,
    out: &std::path::Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<i32> {
    let stale = match output.stale(out) {
        Ok(s) => s,
        Err(e) => return usage_error(stderr, &e),
    };
    let dir = pipeline::display(out);
    for file in &stale {
        let old_name = format!("a/{dir}/{}", file.path);
        let new_name = format!("b/{dir}/{}", file.path);
        let diff = crate::output::unified_diff(
            file.on_disk.as_deref().unwrap_or(""),
            file.generated.as_deref().unwrap_or(""),
            &old_name,
            &new_name,
        );
        stdout.write_all(diff.as_bytes())?;
    }
    if stale.is_empty() {
        writeln!(
            stderr,
            "{dir} is up to date ({} files)",
            output.files().len()
        )?;
        return Ok(EXIT_OK);
    }
    let names: Vec<&str> = stale.iter().map(|s| s.path.as_str()).collect();
    writeln!(
        stderr,
        "{dir} is stale: {} file{} differ{} from the specs ({}); run `slocc compile` and commit the result",
        stale.len(),
        plural(stale.len()),
        if stale.len() == 1 { "s" } else { "" },
        names.join(", ")
    )?;
    Ok(EXIT_INVALID)
}

fn slo_count(checked: &pipeline::Checked) -> usize {
    checked.services.iter().map(|s| s.slos.len()).sum()
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Diagnostics go to stderr for people, to stdout for machines (JSON and GitHub formats).
fn report(
    checked: &pipeline::Checked,
    format: Format,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> std::io::Result<()> {
    let text = diag::render(&checked.diagnostics, &checked.sources, format);
    match format {
        Format::Human => stderr.write_all(text.as_bytes()),
        Format::Json | Format::Github => stdout.write_all(text.as_bytes()),
    }
}

fn usage_error(stderr: &mut dyn Write, error: &dyn std::fmt::Display) -> std::io::Result<i32> {
    writeln!(stderr, "error: {error}")?;
    Ok(EXIT_USAGE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_consistent() {
        Args::command().debug_assert();
    }

    #[test]
    fn no_paths_means_the_bundled_specs() {
        let args = Args::try_parse_from(["slocc", "compile"]).unwrap();
        assert_eq!(
            Config::from(args),
            Config::Compile {
                paths: vec![PathBuf::from("specs")],
                out: PathBuf::from("out"),
                check: false,
                format: Format::Human,
                runbooks: PathBuf::from("runbooks"),
                templates: None,
                target: crate::emit::targets::TargetOptions::new(
                    crate::emit::targets::Target::Prometheus
                ),
            }
        );
    }

    #[test]
    fn usage_errors_exit_2() {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = main(["slocc", "frobnicate"], &mut out, &mut err).unwrap();
        assert_eq!(code, EXIT_USAGE);
        assert!(String::from_utf8(err).unwrap().contains("frobnicate"));
    }
}
