//! Compatibility output (`--compat`): the series names, labels and alert layout a peer tool
//! generates, so that dashboards and Alertmanager routes built on that tool keep working after
//! the switch. slocc's own recording rules stay (the compatibility series are derived from
//! them); the peer-shaped alerts replace slocc's, so nothing pages twice.

mod pyrra;
mod sloth;

pub(crate) use sloth::sloth_ids;

use crate::emit::prometheus::RuleGroup;
use crate::model::{Service, Slo};

/// Which peer's output to reproduce; the command line's `--compat` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Compat {
    /// Sloth: `slo:sli_error:ratio_rate<window>` and metadata series with `sloth_id`,
    /// `sloth_service`, `sloth_slo` and `sloth_window` labels, `sloth_slo_info`, and one page and
    /// one ticket alert per SLO (labelled `sloth_severity`) that OR their window pairs.
    Sloth,
    /// Pyrra: `<metric>:burnrate<window>` series labelled `slo`, Pyrra's generic series
    /// (`pyrra_objective`, `pyrra_availability`, ...), and one alert per window pair labelled
    /// `severity` (`critical`/`warning`), `long`, `short` and `exhaustion`, with Pyrra's window
    /// scaling and `for:`.
    Pyrra,
}

impl Compat {
    /// The value as written in settings and on the command line.
    pub(crate) fn parse(text: &str) -> Option<Self> {
        match text {
            "sloth" => Some(Self::Sloth),
            "pyrra" => Some(Self::Pyrra),
            _ => None,
        }
    }
}

/// The `severity` label a class's alerts carry: Pyrra calls slocc's default `page` and `ticket`
/// classes `critical` and `warning`; every other class keeps its name.
pub(crate) fn severity(compat: Option<Compat>, class: &crate::model::SeverityClass) -> String {
    match (compat, class.name.as_str(), class.page) {
        (Some(Compat::Pyrra), "page", true) => "critical".into(),
        (Some(Compat::Pyrra), "ticket", false) => "warning".into(),
        (_, name, _) => name.to_string(),
    }
}

/// What the peer-shaped groups of one SLO need from the rule emitter.
pub(crate) struct SloRules<'a> {
    pub(crate) service: &'a Service,
    pub(crate) slo: &'a Slo,
    /// slocc's own selector of the SLO's series, `{slo_service="...", slo_name="..."}`.
    pub(crate) selector: &'a str,
    /// The alerts' `runbook_url`.
    pub(crate) runbook_url: &'a str,
    /// Recording rules wanted.
    pub(crate) recordings: bool,
    /// Alerting rules wanted.
    pub(crate) alerts: bool,
}

/// The peer's groups for one SLO.
pub(crate) fn groups(compat: Compat, rules: &SloRules<'_>) -> Vec<RuleGroup> {
    match compat {
        Compat::Sloth => sloth::groups(rules),
        Compat::Pyrra => pyrra::groups(rules),
    }
}
