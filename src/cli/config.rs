//! What to run, as plain values independent of clap.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::emit::prometheus::RuleParts;
use crate::emit::targets::TargetOptions;
use crate::model::select::Selection;

/// A command and its settings.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Config {
    /// `slocc check`.
    Check(CheckConfig),
    /// `slocc compile`.
    Compile(Box<CompileConfig>),
    /// `slocc init templates DIR`.
    Init {
        /// Where to write the templates.
        dir: PathBuf,
    },
    /// `slocc schema`.
    Schema,
    /// `slocc convert`.
    Convert {
        /// Inputs.
        paths: Vec<PathBuf>,
    },
    /// `slocc diff`.
    Diff(DiffConfig),
    /// `slocc explain`.
    Explain(ExplainConfig),
    /// `slocc audit`.
    Audit(AuditConfig),
    /// `slocc status`.
    Status(StatusConfig),
    /// `slocc backtest`.
    Backtest(BacktestConfig),
    /// `slocc report`.
    Report(ReportConfig),
    /// `slocc test`.
    Test(TestConfig),
    /// `slocc completions SHELL`.
    Completions(clap_complete::Shell),
    /// `slocc man`.
    Man(Option<String>),
    /// Arguments clap accepts but that make no sense together: reported, exit 2.
    Usage(String),
}

/// Whether each stream gets ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Colors {
    /// Standard output (diff).
    pub(crate) stdout: bool,
    /// Standard error (diagnostics).
    pub(crate) stderr: bool,
}

impl Colors {
    /// The same choice for both streams.
    pub(crate) fn both(on: bool) -> Self {
        Self {
            stdout: on,
            stderr: on,
        }
    }
}

/// How a command prints its result: one enum for every command; each command's `--format`
/// accepts the values it can write (`src/cli/args.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    /// Readable; diagnostics with the source line and a caret.
    Human,
    /// A pull-request comment or a Markdown report.
    Markdown,
    /// JSON for machines.
    Json,
    /// GitHub Actions annotations.
    Github,
}

impl Format {
    /// How diagnostics are rendered in this format: for machines in JSON and GitHub's, for
    /// people otherwise (a Markdown result is read by people too).
    pub(crate) fn diagnostics(self) -> crate::diag::Format {
        match self {
            Self::Human | Self::Markdown => crate::diag::Format::Human,
            Self::Json => crate::diag::Format::Json,
            Self::Github => crate::diag::Format::Github,
        }
    }
}

/// `slocc check`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CheckConfig {
    /// Inputs.
    pub(crate) paths: Vec<PathBuf>,
    /// How diagnostics are printed.
    pub(crate) format: Format,
    /// Runbooks directory; `None`: runbooks are not looked at.
    pub(crate) runbooks: Option<PathBuf>,
    /// Template overrides.
    pub(crate) templates: Option<PathBuf>,
    /// Warnings fail the run.
    pub(crate) deny_warnings: bool,
    /// A Prometheus to verify the SLI queries against (`--prometheus`).
    pub(crate) live: Option<Connection>,
    /// Services and SLOs whose runbooks are looked at.
    pub(crate) select: Selection,
}

/// `slocc compile`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CompileConfig {
    /// Inputs.
    pub(crate) paths: Vec<PathBuf>,
    /// Output directory.
    pub(crate) out: PathBuf,
    /// Compare instead of writing.
    pub(crate) check: bool,
    /// How diagnostics are printed.
    pub(crate) format: Format,
    /// Runbooks directory; `None`: no runbooks.
    pub(crate) runbooks: Option<PathBuf>,
    /// Template overrides.
    pub(crate) templates: Option<PathBuf>,
    /// The engine and its settings.
    pub(crate) target: TargetOptions,
    /// Labels added to every series and alert.
    pub(crate) labels: BTreeMap<String, String>,
    /// Which rules to write.
    pub(crate) parts: RuleParts,
    /// A peer's series and alert layout, over the settings' choice.
    pub(crate) compat: Option<crate::model::Compat>,
    /// Services and SLOs to compile.
    pub(crate) select: Selection,
    /// Whether the promtool alert tests are written.
    pub(crate) alert_tests: bool,
    /// Whether the recording rules are also written in backfill layers.
    pub(crate) backfill: bool,
    /// The command that writes the outputs, for `--check` to suggest (the one given, without
    /// `--check`).
    pub(crate) rerun: String,
}

/// The two sides of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DiffSides {
    /// Two paths.
    Paths(PathBuf, PathBuf),
    /// A git revision against the working tree, for these paths.
    Base(String, Vec<PathBuf>),
}

/// `slocc diff`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DiffConfig {
    /// What to compare.
    pub(crate) sides: DiffSides,
    /// How the result is printed.
    pub(crate) format: Format,
    /// Markdown size limit.
    pub(crate) max_bytes: usize,
    /// Services and SLOs compared.
    pub(crate) select: Selection,
}

/// How the live commands reach Prometheus.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Connection {
    /// The Prometheus API; `None`: the environment's (`report`: no live figures).
    pub(crate) prometheus: Option<String>,
    /// A PEM file of certificates to trust instead of the built-in roots.
    pub(crate) ca_file: Option<PathBuf>,
    /// Per-answer timeout, as written.
    pub(crate) timeout: String,
    /// SLOs queried at once.
    pub(crate) concurrency: usize,
}

/// `slocc test`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TestConfig {
    /// Inputs.
    pub(crate) paths: Vec<PathBuf>,
    /// The promtool to run; `None`: `promtool` on PATH.
    pub(crate) promtool: Option<PathBuf>,
    /// An output directory to test as it is, instead of compiling the specs.
    pub(crate) out: Option<PathBuf>,
    /// Services and SLOs tested.
    pub(crate) select: Selection,
}

/// `slocc report`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ReportConfig {
    /// The Prometheus API to ask and how.
    pub(crate) connection: Connection,
    /// Inputs.
    pub(crate) paths: Vec<PathBuf>,
    /// The HTML file.
    pub(crate) output: PathBuf,
    /// History to backtest, as written.
    pub(crate) backtest: Option<String>,
    /// Template overrides (the page: `report/page.html.hbs`).
    pub(crate) templates: Option<PathBuf>,
    /// Services and SLOs shown.
    pub(crate) select: Selection,
}

/// `slocc backtest`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct BacktestConfig {
    /// The Prometheus API to ask and how.
    pub(crate) connection: Connection,
    /// Inputs.
    pub(crate) paths: Vec<PathBuf>,
    /// History to replay, as written.
    pub(crate) since: String,
    /// A git revision whose policy is replayed too.
    pub(crate) base: Option<String>,
    /// How the result is printed.
    pub(crate) format: Format,
    /// Services and SLOs replayed.
    pub(crate) select: Selection,
}

/// `slocc status`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StatusConfig {
    /// The Prometheus API to ask and how.
    pub(crate) connection: Connection,
    /// Inputs.
    pub(crate) paths: Vec<PathBuf>,
    /// How the result is printed.
    pub(crate) format: Format,
    /// Exhausted budgets fail the run.
    pub(crate) gate: bool,
    /// The smallest share of the budget that passes the gate.
    pub(crate) min_budget: f64,
    /// With the gate: unknown states (no data, stale, partial) pass.
    pub(crate) allow_unknown: bool,
    /// Services and SLOs asked about.
    pub(crate) select: Selection,
}

/// `slocc audit`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AuditConfig {
    /// Inputs.
    pub(crate) paths: Vec<PathBuf>,
    /// How the result is printed.
    pub(crate) format: Format,
    /// Gaps fail the run.
    pub(crate) strict: bool,
    /// The longest a full outage may take to page, as given (`--max-page-delay`).
    pub(crate) max_page_delay: String,
    /// Runbooks directory; `None`: runbooks are not looked at.
    pub(crate) runbooks: Option<PathBuf>,
    /// Template overrides (to recognise an unfilled scaffold).
    pub(crate) templates: Option<PathBuf>,
    /// Services and SLOs reviewed.
    pub(crate) select: Selection,
}

/// `slocc explain`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ExplainConfig {
    /// Inputs.
    pub(crate) paths: Vec<PathBuf>,
    /// Services and SLOs explained.
    pub(crate) select: Selection,
    /// Error ratio of a simulated incident.
    pub(crate) error_ratio: Option<f64>,
    /// Its length, as written.
    pub(crate) duration: Option<String>,
    /// Events per second.
    pub(crate) traffic: Option<f64>,
    /// How the result is printed.
    pub(crate) format: Format,
}
