//! What to run, as plain values independent of clap.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::diag::Format;
use crate::emit::prometheus::RuleParts;
use crate::emit::targets::TargetOptions;
use crate::model::select::Selection;

/// A command and its settings.
#[derive(Debug, Clone, PartialEq)]
pub enum Config {
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
    /// `slocc completions SHELL`.
    Completions(clap_complete::Shell),
    /// `slocc man`.
    Man,
    /// Arguments clap accepts but that make no sense together: reported, exit 2.
    Usage(String),
}

/// Whether each stream gets ANSI colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Colors {
    /// Standard output (diff).
    pub stdout: bool,
    /// Standard error (diagnostics).
    pub stderr: bool,
}

impl Colors {
    /// The same choice for both streams.
    pub fn both(on: bool) -> Self {
        Self {
            stdout: on,
            stderr: on,
        }
    }
}

/// `slocc check`.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckConfig {
    /// Inputs.
    pub paths: Vec<PathBuf>,
    /// Diagnostics format.
    pub format: Format,
    /// Runbooks directory; `None`: runbooks are not looked at.
    pub runbooks: Option<PathBuf>,
    /// Template overrides.
    pub templates: Option<PathBuf>,
    /// Warnings fail the run.
    pub deny_warnings: bool,
    /// Services and SLOs whose runbooks are looked at.
    pub select: Selection,
}

/// `slocc compile`.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileConfig {
    /// Inputs.
    pub paths: Vec<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// Compare instead of writing.
    pub check: bool,
    /// Diagnostics format.
    pub format: Format,
    /// Runbooks directory; `None`: no runbooks.
    pub runbooks: Option<PathBuf>,
    /// Template overrides.
    pub templates: Option<PathBuf>,
    /// The engine and its settings.
    pub target: TargetOptions,
    /// Labels added to every series and alert.
    pub labels: BTreeMap<String, String>,
    /// Which rules to write.
    pub parts: RuleParts,
    /// Services and SLOs to compile.
    pub select: Selection,
}

/// The two sides of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffSides {
    /// Two paths.
    Paths(PathBuf, PathBuf),
    /// A git revision against the working tree, for these paths.
    Base(String, Vec<PathBuf>),
}

/// `slocc diff`.
#[derive(Debug, Clone, PartialEq)]
pub struct DiffConfig {
    /// What to compare.
    pub sides: DiffSides,
    /// `human`, `markdown` or `json`.
    pub format: String,
    /// Markdown size limit.
    pub max_bytes: usize,
    /// Services and SLOs compared.
    pub select: Selection,
}

/// `slocc explain`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExplainConfig {
    /// Inputs.
    pub paths: Vec<PathBuf>,
    /// Services and SLOs explained.
    pub select: Selection,
    /// Error ratio of a simulated incident.
    pub error_ratio: Option<f64>,
    /// Its length, as written.
    pub duration: Option<String>,
    /// Events per second.
    pub traffic: Option<f64>,
    /// JSON instead of tables.
    pub json: bool,
}
