//! Emitters: turn the validated model into artifacts (rule files for each engine, dashboards,
//! runbooks, the Alertmanager configuration) through the text templates.
//!
//! The seam is [`EMITTERS`]: each artifact kind is one module and one line there, either per
//! service or from every service of a complete run. The pipeline loops over the registry; every
//! command that builds outputs (compile, `compile --check`, diff) gets a new kind.

use std::path::{Path, PathBuf};

use crate::model::Service;
use crate::output::sink::{Artifact, Owner, Sink};

pub(crate) mod alert_tests;
pub(crate) mod alertmanager;
pub(crate) mod backfill;
pub(crate) mod compat;
pub(crate) mod diags;
pub(crate) mod grafana;
pub(crate) mod inline;
pub(crate) mod links;
pub mod prometheus;
pub(crate) mod runbook;
pub mod targets;
pub mod templates;

/// Every artifact kind, in the order a service's files are put into the sink.
pub(crate) const EMITTERS: [Emitter; 7] = [
    Emitter::Service(prometheus::emit),
    Emitter::Service(alert_tests::emit),
    Emitter::Service(backfill::emit),
    Emitter::Service(grafana::emit_service),
    Emitter::Service(runbook::emit),
    Emitter::Run(grafana::emit_overview),
    Emitter::Run(alertmanager::emit),
];

/// One artifact kind: how it puts its files into an [`Emission`].
#[derive(Clone, Copy)]
pub(crate) enum Emitter {
    /// Files of one service (its rule file, dashboard, runbooks); services run in parallel.
    Service(fn(&Service, &Context, &mut Emission<'_>) -> Result<(), Error>),
    /// Files from every service of a complete run, not a selection (the overview dashboard,
    /// the Alertmanager configuration).
    Run(fn(&[Service], &Context, &mut Emission<'_>) -> Result<(), Error>),
}

/// The default runbooks directory, also what relative `runbook_url`s point into without one.
pub(crate) const DEFAULT_RUNBOOKS: &str = "runbooks";

/// What every emitter of a run shares, built once per run.
pub struct Context {
    /// Templates for alert texts and runbooks (built in, or overridden by `--templates`).
    pub(crate) templates: templates::Templates,
    /// The engine the rule files are for.
    pub(crate) target: targets::TargetOptions,
    /// Which rules to write.
    pub(crate) parts: prometheus::RuleParts,
    /// The runbooks directory runbooks are planned against; `None`: no runbooks are written.
    pub(crate) runbooks: Option<PathBuf>,
    /// The runbooks directory as relative `runbook_url`s show it.
    pub(crate) runbooks_shown: String,
    /// Whether the promtool alert tests are written beside the rule files.
    pub(crate) alert_tests: bool,
    /// Whether the recording rules are also written in backfill layers (`compile --backfill`).
    pub(crate) backfill: bool,
}

impl Context {
    /// A run for `target` with `templates`: every rule, no runbooks written, relative
    /// `runbook_url`s into `runbooks/`.
    pub fn new(templates: templates::Templates, target: targets::TargetOptions) -> Self {
        Self {
            templates,
            target,
            parts: prometheus::RuleParts::default(),
            runbooks: None,
            runbooks_shown: DEFAULT_RUNBOOKS.into(),
            alert_tests: true,
            backfill: false,
        }
    }

    /// Whether the recording rules are also written in backfill layers (`compile --backfill`).
    pub fn with_backfill(mut self, on: bool) -> Self {
        self.backfill = on;
        self
    }

    /// Whether the alert tests are written (`compile --no-alert-tests` turns them off).
    pub fn with_alert_tests(mut self, on: bool) -> Self {
        self.alert_tests = on;
        self
    }

    /// Runbooks written into `dir` (and relative `runbook_url`s pointing there).
    pub fn with_runbooks(mut self, dir: Option<&Path>) -> Self {
        self.runbooks_shown =
            crate::vocab::path::display(dir.unwrap_or(Path::new(DEFAULT_RUNBOOKS)));
        self.runbooks = dir.map(Path::to_path_buf);
        self
    }

    /// Only the rules `parts` asks for (`--disable-alerts`, `--disable-recordings`).
    pub fn with_parts(mut self, parts: prometheus::RuleParts) -> Self {
        self.parts = parts;
        self
    }
}

/// Why an emitter stopped.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A template failed to render.
    #[error(transparent)]
    Template(#[from] templates::Error),
    /// The sink refused an artifact.
    #[error(transparent)]
    Output(#[from] crate::output::Error),
    /// A rule group over the Mimir tenant's rules-per-group limit, which slocc does not split.
    #[error("rule group `{group}` has {rules} rules, over the {limit} a Mimir group may hold (`ruler_max_rules_per_rule_group`): its rules read each other's results in order, so slocc does not split it; raise the tenant's limit and pass `--mimir-max-rules-per-group {rules}`, or give the SLO fewer alert tiers")]
    TooManyRules {
        /// The group's name before packing.
        group: String,
        /// Its rules.
        rules: usize,
        /// The limit.
        limit: usize,
    },
    /// More rule groups than the Mimir tenant may hold.
    #[error("the rule files hold {groups} rule groups, over the {limit} a Mimir tenant may hold (`ruler_max_rule_groups_per_tenant`); raise the tenant's limit and pass `--mimir-max-groups {groups}`, or split the services across tenants (compile them in separate runs)")]
    TooManyGroups {
        /// Groups in the output.
        groups: usize,
        /// The limit.
        limit: usize,
    },
    /// A file an emitter reads (an existing runbook) could not be read.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The path as shown.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Where emitters put their files: the run's sink, and what happened to each runbook.
pub(crate) struct Emission<'s> {
    sink: &'s dyn Sink,
    /// The runbook plans of the files put so far, in order.
    pub(crate) plans: Vec<runbook::RunbookPlan>,
    /// The service's links, when a kind before this one worked them out (the dashboard, which
    /// lays its panels out anyway); else [`links::of`] works them out.
    pub(crate) links: Option<links::Links>,
    /// Rule groups in the rule files put so far (a Mimir tenant's limit counts them).
    pub(crate) rule_groups: usize,
}

impl<'s> Emission<'s> {
    /// An emission into `sink`.
    pub(crate) fn new(sink: &'s dyn Sink) -> Self {
        Self {
            sink,
            plans: Vec::new(),
            links: None,
            rule_groups: 0,
        }
    }

    /// A file slocc owns whole.
    pub(crate) fn generated(&self, path: String, content: String) -> Result<(), Error> {
        self.put(path, content, Owner::Generated)
    }

    /// A file people own but for slocc's marked region, already merged with what is on disk.
    pub(crate) fn region(&self, path: String, content: String) -> Result<(), Error> {
        self.put(path, content, Owner::Region)
    }

    fn put(&self, path: String, content: String, owner: Owner) -> Result<(), Error> {
        Ok(self.sink.put(Artifact {
            path,
            content,
            owner,
        })?)
    }
}

/// The severity classes an SLO's alerts carry and the response each expects, in words:
/// "P1 (pages): within 1 hour; P3: next business day." (empty without tiers).
pub(crate) fn classes_in_words(slo: &crate::model::Slo) -> String {
    let parts: Vec<String> = slo
        .classes()
        .iter()
        .map(|c| {
            let pages = if c.page { " (pages)" } else { "" };
            format!("{}{pages}: {}", c.name, c.response)
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!("Severity {}.", parts.join("; "))
    }
}
