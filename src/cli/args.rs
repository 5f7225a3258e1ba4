//! The clap definition of every command and flag, converted to a plain [`Config`].

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use super::config::{
    AuditConfig, BacktestConfig, CheckConfig, Colors, CompileConfig, Config, DiffConfig, DiffSides,
    ExplainConfig, ReportConfig, StatusConfig, TestConfig,
};
use super::config::{Connection, Format};
use crate::emit::prometheus::RuleParts;
use crate::emit::targets::{Target, TargetOptions};
use crate::live::pool::DEFAULT_CONCURRENCY;
use crate::model::select::Selection;
use crate::pipeline::DEFAULT_SPECS;

#[derive(Debug, Parser)]
#[command(
    name = "slocc",
    version,
    about = "Compile SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules",
    long_about = "Compile SLO specs into Prometheus recording and multi-window multi-burn-rate alerting rules.\n\nExit codes: 0 success, 1 invalid specs (or, for `compile --check` and `diff`, changes found), 2 usage or I/O error."
)]
pub(super) struct Args {
    #[command(subcommand)]
    command: Command,
    /// Colour on a terminal: `auto` honours the NO_COLOR environment variable.
    #[arg(long, value_enum, global = true, default_value_t = ColorArg::Auto)]
    color: ColorArg,
}

/// `--service` and `--slo`, shared by the commands that read specs.
#[derive(Debug, clap::Args)]
struct SelectArgs {
    /// Only this service (repeatable).
    #[arg(long = "service", value_name = "NAME")]
    services: Vec<String>,
    /// Only this SLO: `name` (in any service) or `service/name` (repeatable).
    #[arg(long = "slo", value_name = "NAME")]
    slos: Vec<String>,
}

impl From<SelectArgs> for Selection {
    fn from(args: SelectArgs) -> Self {
        Selection {
            services: args.services,
            slos: args.slos,
        }
    }
}

/// Where runbooks go, or none at all.
#[derive(Debug, clap::Args)]
struct RunbookArgs {
    /// Runbooks directory.
    #[arg(long, default_value = "runbooks")]
    runbooks: PathBuf,
    /// Leave runbooks alone: none scaffolded, refreshed or reported (rules-only repositories).
    #[arg(long, conflicts_with = "runbooks")]
    no_runbooks: bool,
    /// Directory of template overrides (see `slocc init templates`).
    #[arg(long)]
    templates: Option<PathBuf>,
}

/// `slocc explain`'s arguments.
#[derive(Debug, clap::Args)]
struct ExplainArgs {
    /// Spec files or directories (default: `specs/`).
    paths: Vec<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
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
}

/// `slocc status`'s arguments.
#[derive(Debug, clap::Args)]
struct StatusArgs {
    /// Spec files or directories (default: `specs/`).
    paths: Vec<PathBuf>,
    /// The Prometheus API to ask (a path prefix is kept, for Thanos or Mimir); default: the
    /// SLOCC_PROMETHEUS_URL environment variable. Credentials come from SLOCC_PROMETHEUS_TOKEN
    /// (bearer) or SLOCC_PROMETHEUS_USER and SLOCC_PROMETHEUS_PASSWORD (basic), never from flags.
    #[arg(long, value_name = "URL")]
    prometheus: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    format: DiffFormat,
    /// Exit 1 when any selected SLO's budget is exhausted (or under `--min-budget`), for a
    /// deploy pipeline's error-budget policy.
    #[arg(long)]
    gate: bool,
    /// With `--gate`: the smallest share of the budget that must be left, e.g. `0.1`.
    #[arg(long, value_name = "SHARE", default_value_t = 0.0)]
    min_budget: f64,
    /// With `--gate`: let SLOs through whose state is unknown (no data, stale, partial answer),
    /// which otherwise fail the gate.
    #[arg(long, requires = "gate")]
    allow_unknown: bool,
    /// Trust the certificates of this PEM file (a private CA) instead of the built-in roots;
    /// default: the SSL_CERT_FILE environment variable.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// How long to wait for each answer.
    #[arg(long, default_value = "30s")]
    timeout: String,
    /// How many SLOs to query at once (1-64).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    #[command(flatten)]
    select: SelectArgs,
}

/// `slocc backtest`'s arguments.
#[derive(Debug, clap::Args)]
struct BacktestArgs {
    /// Spec files or directories (default: `specs/`).
    paths: Vec<PathBuf>,
    /// The Prometheus API to ask (default: SLOCC_PROMETHEUS_URL; credentials as for `status`).
    #[arg(long, value_name = "URL")]
    prometheus: Option<String>,
    /// How much history to replay, back from now.
    #[arg(long, default_value = "30d")]
    since: String,
    /// Also replay the policy of the specs at this git revision, to compare.
    #[arg(long, value_name = "REV")]
    base: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,
    /// Trust the certificates of this PEM file (a private CA) instead of the built-in roots;
    /// default: the SSL_CERT_FILE environment variable.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// How long to wait for each answer.
    #[arg(long, default_value = "60s")]
    timeout: String,
    /// How many SLOs to query at once (1-64).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    #[command(flatten)]
    select: SelectArgs,
}

/// `slocc test`'s arguments.
#[derive(Debug, clap::Args)]
struct TestArgs {
    /// Spec files or directories (default: `specs/`).
    paths: Vec<PathBuf>,
    /// The promtool to run (default: `promtool` on PATH).
    #[arg(long, value_name = "PATH")]
    promtool: Option<PathBuf>,
    /// Test this output directory as it is (hand edits included) instead of compiling the specs
    /// into a temporary one.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
}

/// `slocc report`'s arguments.
#[derive(Debug, clap::Args)]
struct ReportArgs {
    /// Spec files or directories (default: `specs/`).
    paths: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(short, long, value_name = "FILE")]
    output: PathBuf,
    /// Add live status and burn-down charts from this Prometheus (default: none; credentials as
    /// for `status`).
    #[arg(long, value_name = "URL")]
    prometheus: Option<String>,
    /// With `--prometheus`: add a backtest of this much history.
    #[arg(long, value_name = "DURATION", requires = "prometheus")]
    backtest: Option<String>,
    /// Trust the certificates of this PEM file (a private CA) instead of the built-in roots;
    /// default: the SSL_CERT_FILE environment variable.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// How long to wait for each answer.
    #[arg(long, default_value = "60s")]
    timeout: String,
    /// How many SLOs to query at once (1-64).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64))]
    concurrency: u16,
    /// Directory of template overrides; the page is `report/page.html.hbs` (see `slocc init
    /// templates`).
    #[arg(long)]
    templates: Option<PathBuf>,
    #[command(flatten)]
    select: SelectArgs,
}

/// `slocc audit`'s arguments.
#[derive(Debug, clap::Args)]
struct AuditArgs {
    /// Spec files or directories (default: `specs/`).
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    format: DiffFormat,
    /// Exit 1 when any gap is found (for CI).
    #[arg(long)]
    strict: bool,
    /// Flag an SLO whose first page in a full outage comes later than this.
    #[arg(long, value_name = "DURATION", default_value = "15m")]
    max_page_delay: String,
    #[command(flatten)]
    runbooks: RunbookArgs,
    #[command(flatten)]
    select: SelectArgs,
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
        #[command(flatten)]
        runbooks: RunbookArgs,
        /// Fail (exit 1) on warnings too.
        #[arg(long)]
        deny_warnings: bool,
        /// Also ask this Prometheus API whether each SLI query returns data and each latency
        /// threshold is a bucket boundary (credentials as for `status`).
        #[arg(long, value_name = "URL")]
        prometheus: Option<String>,
        /// With `--prometheus`: trust the certificates of this PEM file (a private CA).
        #[arg(long, value_name = "FILE", requires = "prometheus")]
        ca_file: Option<PathBuf>,
        /// With `--prometheus`: how long to wait for each answer.
        #[arg(long, default_value = "30s")]
        timeout: String,
        #[command(flatten)]
        select: SelectArgs,
    },
    /// Validate specs and write one Prometheus rule file per service, Grafana dashboards and
    /// runbooks.
    Compile(Box<CompileArgs>),
    /// Review on-call readiness per service and SLO: missing SLOs, paging tiers, runbooks
    /// (missing, stale, still the scaffold), owners and escalation, relative links, dead tiers,
    /// low-traffic risk. Exit 0, or 1 with `--strict` when any gap is found.
    Audit(AuditArgs),
    /// Each SLO's budget now, from a running Prometheus: SLI over the window, budget left (and
    /// in time of full outage), burn rate over each alert window, firing alerts, time to
    /// exhaustion. `--gate` exits 1 when a budget is exhausted, for deploy pipelines.
    Status(StatusArgs),
    /// Replay the alert policy of the specs on disk against the history in Prometheus: how
    /// often each tier would have fired, when, for how long, the budget spent, and whether
    /// every fast burn was paged. `--base REV` replays the policy at a git revision too.
    Backtest(BacktestArgs),
    /// Write one self-contained HTML page (a filter script, nothing fetched when opened): the
    /// SLO table riskiest first, each SLO's tiers and charts; with `--prometheus`, live budgets,
    /// burn-down and burn-rate charts; with `--backtest`, the replay.
    Report(ReportArgs),
    /// Compile into a temporary directory and run promtool on the alert tests slocc writes:
    /// per SLO and tier, fires when the maths says, quiet just under the threshold and firing
    /// just over it, resolves.
    /// Exit 1 when a test fails.
    Test(TestArgs),
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
        /// Markdown: the most bytes to print (GitHub comments stop at 65,536 characters); file
        /// diffs that do not fit are listed by name.
        #[arg(long, value_name = "BYTES", default_value_t = crate::report::diff::MARKDOWN_MAX_BYTES)]
        max_bytes: usize,
        #[command(flatten)]
        select: SelectArgs,
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
    Explain(ExplainArgs),
    /// Print a shell completion script, e.g. `slocc completions bash > /etc/bash_completion.d/slocc`.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `slocc man > /usr/local/share/man/man1/slocc.1`, or
    /// a command's, e.g. `slocc man compile > .../man1/slocc-compile.1`.
    Man {
        /// The command whose page to print (default: slocc's own).
        command: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
struct CompileArgs {
    /// Spec files or directories (default: `specs/`).
    paths: Vec<PathBuf>,
    /// Output directory; only files slocc generated there are replaced or removed.
    #[arg(short, long, default_value = "out")]
    out: PathBuf,
    /// Write nothing; exit 1 with a diff when the output directory or a runbook's generated
    /// region is stale or missing.
    #[arg(long)]
    check: bool,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = FormatArg::Human)]
    format: FormatArg,
    #[command(flatten)]
    runbooks: RunbookArgs,
    /// A label on every recorded series and alert, for any target (repeatable), e.g.
    /// `--label env=prod`.
    #[arg(long = "label", value_name = "NAME=VALUE", value_parser = parse_series_label)]
    labels: Vec<(String, String)>,
    /// Write no alerting rules (recording rules only).
    #[arg(long)]
    disable_alerts: bool,
    /// Write no recording rules; needs `--disable-alerts`, since the alerts read them.
    #[arg(long)]
    disable_recordings: bool,
    /// Write no promtool alert tests (`tests/<service>.test.yml`, for `--target prometheus`).
    #[arg(long)]
    no_alert_tests: bool,
    /// Also write the recording rules in dependency layers, `backfill/layer-<k>/<group>.rules.yml`,
    /// for `promtool tsdb create-blocks-from rules` one layer at a time (docs/targets.md).
    #[arg(long)]
    backfill: bool,
    #[command(flatten)]
    select: SelectArgs,
    /// Engine the rule files are for.
    #[arg(long, value_enum, default_value_t = Target::Prometheus)]
    target: Target,
    /// Also emit a peer tool's series, labels and alert layout (its alerts replace slocc's), so
    /// dashboards and routes built on that tool keep working; overrides the settings' `compat`.
    #[arg(long, value_enum)]
    compat: Option<crate::model::Compat>,
    /// prometheus-operator: namespace of the `PrometheusRule` objects.
    #[arg(long)]
    namespace: Option<String>,
    /// prometheus-operator: prefix of `PrometheusRule` names (default `slocc-`; the service
    /// name follows).
    #[arg(long)]
    name_prefix: Option<String>,
    /// prometheus-operator: a label on every `PrometheusRule` object (repeatable), so the
    /// operator's `ruleSelector` picks them up, e.g. `--rule-label release=prometheus`.
    #[arg(long = "rule-label", value_name = "NAME=VALUE", value_parser = parse_label)]
    rule_labels: Vec<(String, String)>,
    /// mimir: ruler namespace for every service (default: each service's own name).
    #[arg(long)]
    mimir_namespace: Option<String>,
    /// mimir: rules a group may hold, the tenant's `ruler_max_rules_per_rule_group` (default
    /// 20, Mimir's; 0: no limit). Groups are packed up to it.
    #[arg(long, value_name = "N")]
    mimir_max_rules_per_group: Option<usize>,
    /// mimir: rule groups the tenant may hold, its `ruler_max_rule_groups_per_tenant` (default
    /// 70, Mimir's; 0: no limit). More is an error.
    #[arg(long, value_name = "N")]
    mimir_max_groups: Option<usize>,
}

fn parse_label(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    if !crate::vocab::promql::is_valid_label_name(name) {
        return Err(format!("`{name}` is not a valid label name"));
    }
    Ok((name.to_string(), value.to_string()))
}

fn parse_series_label(text: &str) -> Result<(String, String), String> {
    let (name, value) = parse_label(text)?;
    crate::model::select::check_label_name(&name)?;
    Ok((name, value))
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
    /// Colour when writing to a terminal and NO_COLOR is unset or empty.
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

impl From<DiffFormat> for Format {
    fn from(value: DiffFormat) -> Self {
        match value {
            DiffFormat::Human => Format::Human,
            DiffFormat::Markdown => Format::Markdown,
            DiffFormat::Json => Format::Json,
        }
    }
}

impl From<ReportFormat> for Format {
    fn from(value: ReportFormat) -> Self {
        match value {
            ReportFormat::Human => Format::Human,
            ReportFormat::Json => Format::Json,
        }
    }
}

fn default_paths(paths: Vec<PathBuf>) -> Vec<PathBuf> {
    if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_SPECS)]
    } else {
        paths
    }
}

fn runbooks_dir(args: &RunbookArgs) -> Option<PathBuf> {
    (!args.no_runbooks).then(|| args.runbooks.clone())
}

impl Colors {
    fn from_arg(color: ColorArg) -> Self {
        use std::io::IsTerminal;
        match color {
            ColorArg::Always => Colors::both(true),
            ColorArg::Never => Colors::both(false),
            ColorArg::Auto => {
                // https://no-color.org: present and not empty disables colour.
                let allowed = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
                Colors {
                    stdout: allowed && std::io::stdout().is_terminal(),
                    stderr: allowed && std::io::stderr().is_terminal(),
                }
            }
        }
    }
}

/// Flags that only one target reads, named with the target they need.
fn target_only_flags(args: &CompileArgs) -> Vec<(&'static str, Target)> {
    let mut set = Vec::new();
    let operator = Target::PrometheusOperator;
    if args.namespace.is_some() {
        set.push(("--namespace", operator));
    }
    if args.name_prefix.is_some() {
        set.push(("--name-prefix", operator));
    }
    if !args.rule_labels.is_empty() {
        set.push(("--rule-label", operator));
    }
    for (flag, given) in [
        ("--mimir-namespace", args.mimir_namespace.is_some()),
        (
            "--mimir-max-rules-per-group",
            args.mimir_max_rules_per_group.is_some(),
        ),
        ("--mimir-max-groups", args.mimir_max_groups.is_some()),
    ] {
        if given {
            set.push((flag, Target::Mimir));
        }
    }
    set.retain(|(_, target)| *target != args.target);
    set
}

fn compile_config(args: CompileArgs) -> Config {
    if let Some((flag, target)) = target_only_flags(&args).first() {
        let name = target.to_possible_value().map(|v| v.get_name().to_string());
        let hint = if *flag == "--rule-label" {
            "; for a label on every series and alert, use `--label`"
        } else {
            ""
        };
        return Config::Usage(format!(
            "`{flag}` has no effect without `--target {}`{hint}",
            name.unwrap_or_default()
        ));
    }
    if args.disable_recordings && !args.disable_alerts {
        return Config::Usage(
            "`--disable-recordings` without `--disable-alerts`: the alerts read the recorded \
             series; disable both, or keep the recordings"
                .into(),
        );
    }
    let mut target = TargetOptions::new(args.target);
    target.namespace = args.namespace;
    if let Some(prefix) = args.name_prefix {
        target.name_prefix = prefix;
    }
    target.labels = args.rule_labels.into_iter().collect();
    target.mimir_namespace = args.mimir_namespace;
    let limit = |given: Option<usize>, default: Option<usize>| match given {
        Some(0) => None,
        Some(n) => Some(n),
        None => default,
    };
    let defaults = crate::emit::targets::MimirLimits::default();
    target.mimir_limits = crate::emit::targets::MimirLimits {
        rules_per_group: limit(args.mimir_max_rules_per_group, defaults.rules_per_group),
        groups_per_tenant: limit(args.mimir_max_groups, defaults.groups_per_tenant),
    };
    Config::Compile(Box::new(CompileConfig {
        paths: default_paths(args.paths),
        out: args.out,
        check: args.check,
        format: args.format.into(),
        runbooks: runbooks_dir(&args.runbooks),
        templates: args.runbooks.templates,
        target,
        labels: args.labels.into_iter().collect::<BTreeMap<_, _>>(),
        parts: RuleParts {
            recordings: !args.disable_recordings,
            alerts: !args.disable_alerts,
        },
        compat: args.compat,
        select: args.select.into(),
        alert_tests: !args.no_alert_tests,
        backfill: args.backfill,
        // Filled in from the command line by `cli::main`.
        rerun: "slocc compile".into(),
    }))
}

fn test_config(args: TestArgs) -> Config {
    Config::Test(TestConfig {
        paths: default_paths(args.paths),
        promtool: args.promtool,
        out: args.out,
        select: args.select.into(),
    })
}

fn explain_config(args: ExplainArgs) -> Config {
    Config::Explain(ExplainConfig {
        paths: default_paths(args.paths),
        select: args.select.into(),
        error_ratio: args.error_ratio,
        duration: args.duration,
        traffic: args.traffic,
        format: args.format.into(),
    })
}

fn report_config(args: ReportArgs) -> Config {
    Config::Report(ReportConfig {
        connection: Connection {
            prometheus: args.prometheus,
            ca_file: args.ca_file,
            timeout: args.timeout,
            concurrency: usize::from(args.concurrency),
        },
        paths: default_paths(args.paths),
        output: args.output,
        backtest: args.backtest,
        templates: args.templates,
        select: args.select.into(),
    })
}

fn backtest_config(args: BacktestArgs) -> Config {
    Config::Backtest(BacktestConfig {
        connection: Connection {
            prometheus: args.prometheus,
            ca_file: args.ca_file,
            timeout: args.timeout,
            concurrency: usize::from(args.concurrency),
        },
        paths: default_paths(args.paths),
        since: args.since,
        base: args.base,
        format: args.format.into(),
        select: args.select.into(),
    })
}

fn status_config(args: StatusArgs) -> Config {
    Config::Status(StatusConfig {
        connection: Connection {
            prometheus: args.prometheus,
            ca_file: args.ca_file,
            timeout: args.timeout,
            concurrency: usize::from(args.concurrency),
        },
        paths: default_paths(args.paths),
        format: args.format.into(),
        gate: args.gate,
        min_budget: args.min_budget,
        allow_unknown: args.allow_unknown,
        select: args.select.into(),
    })
}

fn audit_config(args: AuditArgs) -> Config {
    Config::Audit(AuditConfig {
        paths: default_paths(args.paths),
        format: args.format.into(),
        strict: args.strict,
        max_page_delay: args.max_page_delay,
        runbooks: runbooks_dir(&args.runbooks),
        templates: args.runbooks.templates,
        select: args.select.into(),
    })
}

fn diff_sides(paths: Vec<PathBuf>, base: Option<String>) -> Result<DiffSides, String> {
    match (base, paths.len()) {
        (Some(rev), _) => Ok(DiffSides::Base(rev, default_paths(paths))),
        (None, 2) => Ok(DiffSides::Paths(paths[0].clone(), paths[1].clone())),
        (None, n) => Err(format!(
            "`slocc diff` takes OLD and NEW paths (got {n}), or `--base REV [PATHS]`"
        )),
    }
}

impl Args {
    /// The command to run and the colours to use.
    pub(super) fn into_config(self) -> (Config, Colors) {
        let colors = Colors::from_arg(self.color);
        (command_config(self.command), colors)
    }
}

fn command_config(command: Command) -> Config {
    match command {
        Command::Check {
            paths,
            format,
            runbooks,
            deny_warnings,
            prometheus,
            ca_file,
            timeout,
            select,
        } => Config::Check(CheckConfig {
            paths: default_paths(paths),
            format: format.into(),
            runbooks: runbooks_dir(&runbooks),
            templates: runbooks.templates,
            deny_warnings,
            live: prometheus.map(|url| Connection {
                prometheus: Some(url),
                ca_file,
                timeout,
                concurrency: 1,
            }),
            select: select.into(),
        }),
        Command::Audit(args) => audit_config(args),
        Command::Status(args) => status_config(args),
        Command::Backtest(args) => backtest_config(args),
        Command::Report(args) => report_config(args),
        Command::Test(args) => test_config(args),
        Command::Init {
            what: InitWhat::Templates,
            dir,
        } => Config::Init { dir },
        Command::Compile(args) => compile_config(*args),
        Command::Schema => Config::Schema,
        Command::Convert { paths } => Config::Convert { paths },
        Command::Diff {
            paths,
            base,
            format,
            max_bytes,
            select,
        } => match diff_sides(paths, base) {
            Ok(sides) => Config::Diff(DiffConfig {
                sides,
                format: format.into(),
                max_bytes,
                select: select.into(),
            }),
            Err(message) => Config::Usage(message),
        },
        Command::Explain(args) => explain_config(args),
        Command::Completions { shell } => Config::Completions(shell),
        Command::Man { command } => Config::Man(command),
    }
}

/// The clap command, for completions and the manual page.
pub(super) fn command() -> clap::Command {
    use clap::CommandFactory;
    Args::command()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["slocc"];
        all.extend(args);
        Args::try_parse_from(all).unwrap().into_config().0
    }

    #[test]
    fn clap_definition_is_consistent() {
        command().debug_assert();
    }

    #[test]
    fn no_paths_means_the_bundled_specs() {
        assert_eq!(
            config(&["compile"]),
            Config::Compile(Box::new(CompileConfig {
                paths: vec![PathBuf::from("specs")],
                out: PathBuf::from("out"),
                check: false,
                format: Format::Human,
                runbooks: Some(PathBuf::from("runbooks")),
                templates: None,
                target: TargetOptions::new(Target::Prometheus),
                labels: BTreeMap::new(),
                parts: RuleParts::default(),
                compat: None,
                select: Selection::default(),
                alert_tests: true,
                backfill: false,
                rerun: "slocc compile".into(),
            }))
        );
    }

    #[test]
    fn flags_for_another_target_are_usage_errors() {
        for (args, flag) in [
            (&["compile", "--rule-label", "a=b"][..], "--rule-label"),
            (
                &["compile", "--namespace", "x", "--target", "mimir"],
                "--namespace",
            ),
            (&["compile", "--mimir-namespace", "x"], "--mimir-namespace"),
            (
                &["compile", "--name-prefix", "x", "--target", "thanos"],
                "--name-prefix",
            ),
        ] {
            match config(args) {
                Config::Usage(message) => assert!(message.contains(flag), "{message}"),
                other => panic!("{args:?}: {other:?}"),
            }
        }
        assert!(matches!(
            config(&[
                "compile",
                "--target",
                "prometheus-operator",
                "--rule-label",
                "a=b"
            ]),
            Config::Compile(_)
        ));
    }

    #[test]
    fn recordings_cannot_be_disabled_under_alerts_that_read_them() {
        assert!(matches!(
            config(&["compile", "--disable-recordings"]),
            Config::Usage(_)
        ));
        let Config::Compile(c) = config(&["compile", "--disable-recordings", "--disable-alerts"])
        else {
            panic!("not a compile")
        };
        assert_eq!(
            c.parts,
            RuleParts {
                recordings: false,
                alerts: false
            }
        );
    }
}
