//! Settings documents as written: `kind: Settings` (severity classes, the tier-to-class map,
//! links, the default window, alert-window policies per SLO window), read with the specs and
//! shared by all of them. Sloth's `AlertWindows` catalogs arrive here too, as policies.

use crate::diag::{Diagnostics, Location};
use crate::spec::yaml::{location_of, Document, Fields, Spanned};
use crate::spec::{parse_windows, Pairs, Text, WindowSpec};

/// One settings document (or one part of the settings, from a Sloth `AlertWindows` catalog).
#[derive(Debug, Clone)]
pub(crate) struct SettingsSpec {
    /// Severity classes, in order, and where `severities` is written.
    pub(crate) severities: Option<(Vec<SeveritySpec>, Location)>,
    /// `page` and `ticket` mapped to class names.
    pub(crate) tiers: Pairs,
    /// Grafana's base URL, for absolute dashboard links.
    pub(crate) grafana_url: Option<Text>,
    /// Base URL of runbook links for services that set none.
    pub(crate) runbook_base_url: Option<Text>,
    /// The window of SLOs that do not say theirs (Sloth's default SLO period).
    pub(crate) default_window: Option<Text>,
    /// A peer's series and alert layout (`sloth`).
    pub(crate) compat: Option<Text>,
    /// The language of the specs' queries (`promql`, `metricsql`).
    pub(crate) query_language: Option<Text>,
    /// Alert-window policies for SLOs of a given window.
    pub(crate) policies: Vec<PolicySpec>,
    /// Receivers' integrations, for the generated Alertmanager configuration.
    pub(crate) receivers: Vec<crate::spec::receivers::ReceiverSpec>,
    /// Whether this is a whole `Settings` document (only one may be given).
    pub(crate) is_document: bool,
    /// Where the document starts.
    pub(crate) location: Location,
}

/// One severity class.
#[derive(Debug, Clone)]
pub(crate) struct SeveritySpec {
    /// Class name, the alerts' `severity` label.
    pub(crate) name: Option<Text>,
    /// Expected response, in words.
    pub(crate) response: Option<Text>,
    /// Whether it wakes someone.
    pub(crate) page: Option<Spanned<bool>>,
    /// Alertmanager receiver.
    pub(crate) receiver: Option<Text>,
    /// How often Alertmanager repeats a notification while it fires.
    pub(crate) repeat_interval: Option<Text>,
    /// How long Alertmanager gathers changes before it updates a notification.
    pub(crate) group_interval: Option<Text>,
}

/// The alert windows used for every SLO of one window that does not list its own.
#[derive(Debug, Clone)]
pub(crate) struct PolicySpec {
    /// The SLO window it applies to.
    pub(crate) window: Option<Text>,
    /// The window pairs.
    pub(crate) windows: Vec<WindowSpec>,
    /// Where the policy starts.
    pub(crate) location: Location,
}

const SETTINGS_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "severities",
    "tiers",
    "grafana_url",
    "runbook_base_url",
    "default_window",
    "compat",
    "query_language",
    "policies",
    "receivers",
];
const SEVERITY_KEYS: &[&str] = &[
    "name",
    "response",
    "page",
    "receiver",
    "repeat_interval",
    "group_interval",
];

/// The settings document.
pub(crate) const FORMAT: crate::spec::import::Format = crate::spec::import::Format {
    describe: "`apiVersion: slocc/v1` with `kind: Settings`",
    detect: |h| h.api_version == Some(crate::spec::API_VERSION) && h.kind == Some("Settings"),
    reader: crate::spec::import::Reader::Settings(read),
};

fn read(doc: &Document, diags: &mut Diagnostics) -> Option<SettingsSpec> {
    let fields = Fields::new(&doc.root, doc.location, "the settings");
    fields.deny_unknown(SETTINGS_KEYS, diags);
    let severities = fields.sequence("severities", diags).map(|(seq, at)| {
        let list = seq
            .iter()
            .filter_map(|node| {
                let loc = location_of(node, at);
                let map = expect_mapping(node, loc, "severities", diags)?;
                let f = Fields::new(map, loc, "a severity class");
                f.deny_unknown(SEVERITY_KEYS, diags);
                Some(SeveritySpec {
                    name: f.required_string("name", diags),
                    response: f.string("response", diags),
                    page: f.bool("page", diags),
                    receiver: f.string("receiver", diags),
                    repeat_interval: f.string("repeat_interval", diags),
                    group_interval: f.string("group_interval", diags),
                })
            })
            .collect();
        (list, fields.key_location("severities"))
    });
    Some(SettingsSpec {
        severities,
        tiers: fields.string_map("tiers", diags),
        grafana_url: fields.string("grafana_url", diags),
        runbook_base_url: fields.string("runbook_base_url", diags),
        default_window: fields.string("default_window", diags),
        compat: fields.string("compat", diags),
        query_language: fields.string("query_language", diags),
        policies: read_policies(&fields, diags),
        receivers: crate::spec::receivers::read(&fields, diags),
        is_document: true,
        location: doc.location,
    })
}

/// `policies: [{window: 7d, windows: [...]}]`.
fn read_policies(fields: &Fields<'_>, diags: &mut Diagnostics) -> Vec<PolicySpec> {
    let Some((seq, at)) = fields.sequence("policies", diags) else {
        return Vec::new();
    };
    seq.iter()
        .filter_map(|node| {
            let loc = location_of(node, at);
            let map = expect_mapping(node, loc, "policies", diags)?;
            let f = Fields::new(map, loc, "an alert-window policy");
            f.deny_unknown(&["window", "windows"], diags);
            let windows = parse_windows(&f, "the policy", diags);
            if windows.is_none() {
                f.require("windows", diags);
            }
            Some(PolicySpec {
                window: f.required_string("window", diags),
                windows: windows.unwrap_or_default(),
                location: loc,
            })
        })
        .collect()
}

fn expect_mapping<'a>(
    node: &'a crate::spec::yaml::Node,
    loc: Location,
    list: &str,
    diags: &mut Diagnostics,
) -> Option<&'a crate::spec::yaml::Mapping> {
    let map = node.as_mapping();
    if map.is_none() {
        diags.push(crate::spec::diags::wrong_type(
            loc,
            &format!("each entry of `{list}`"),
            "a mapping",
        ));
    }
    map
}
