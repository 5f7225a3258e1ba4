//! Grafana dashboards, built from typed structures: one per service and one overview of all SLOs.
//!
//! Every query reads only series the generated rules record (plus `ALERTS`, which the generated
//! alert rules produce, and the spec's own SLI metrics for the error breakdown), and the
//! objective, budget and window come from the metadata series: nothing hard-codes 30 days.

use serde::Serialize;

use crate::emit::prometheus::series;
use crate::model::{EventQuery, Service, Sli, Slo};
use crate::vocab::number::to_f64;
use crate::vocab::promql::{escape_string, matchers};

mod panels;

use panels::{overview_table, slo_panels};

/// Dashboard schema version written (Grafana 12).
pub(crate) const SCHEMA_VERSION: u32 = 41;
/// Grid width in Grafana's units.
const GRID_WIDTH: u32 = 24;
/// Uid of the overview dashboard.
pub(crate) const OVERVIEW_UID: &str = "slocc-overview";

/// A dashboard.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Dashboard {
    /// Says it is generated (also how slocc recognises its own files).
    pub(crate) description: String,
    /// Stable id.
    pub(crate) uid: String,
    /// Title.
    pub(crate) title: String,
    /// Tags.
    pub(crate) tags: Vec<String>,
    /// Whether users may edit (they may, but changes are overwritten).
    pub(crate) editable: bool,
    /// Schema version.
    pub(crate) schema_version: u32,
    /// Default time range.
    pub(crate) time: TimeRange,
    /// Refresh interval.
    pub(crate) refresh: String,
    /// Template variables.
    pub(crate) templating: Templating,
    /// Annotations.
    pub(crate) annotations: Annotations,
    /// Links in the dashboard's header (each SLO's runbook).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) links: Vec<DashboardLink>,
    /// Panels.
    pub(crate) panels: Vec<Panel>,
}

/// A link in a dashboard's header.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DashboardLink {
    /// What it says.
    pub(crate) title: String,
    /// Always `link` (a URL, not a tag search).
    #[serde(rename = "type")]
    pub(crate) kind: &'static str,
    /// Grafana's icon name.
    pub(crate) icon: &'static str,
    /// Hover text.
    pub(crate) tooltip: String,
    /// Where it goes.
    pub(crate) url: String,
    /// Tags (none: a plain link).
    pub(crate) tags: Vec<String>,
    /// Whether it opens a menu.
    pub(crate) as_dropdown: bool,
    /// Whether it opens a new tab.
    pub(crate) target_blank: bool,
    /// Whether the dashboard's variables travel with it.
    pub(crate) include_vars: bool,
    /// Whether the time range travels with it.
    pub(crate) keep_time: bool,
}

/// A time range.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct TimeRange {
    /// Start.
    pub(crate) from: String,
    /// End.
    pub(crate) to: String,
}

/// Template variables.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Templating {
    /// Variables.
    pub(crate) list: Vec<Variable>,
}

/// A template variable.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Variable {
    /// Kind.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Name.
    pub(crate) name: String,
    /// Label.
    pub(crate) label: String,
    /// For a datasource variable, the plugin id.
    pub(crate) query: String,
}

/// Annotations.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Annotations {
    /// Queries.
    pub(crate) list: Vec<AnnotationQuery>,
}

/// An annotation query.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AnnotationQuery {
    /// Name.
    pub(crate) name: String,
    /// Data source.
    pub(crate) datasource: DataSource,
    /// On by default.
    pub(crate) enable: bool,
    /// Colour.
    pub(crate) icon_color: String,
    /// Query.
    pub(crate) expr: String,
    /// Title.
    pub(crate) title_format: String,
}

/// A data source reference.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct DataSource {
    /// Plugin id.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Uid (the template variable).
    pub(crate) uid: String,
}

fn datasource() -> DataSource {
    DataSource {
        kind: "prometheus".into(),
        uid: "${datasource}".into(),
    }
}

/// A panel or a row.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(untagged)]
pub(crate) enum Panel {
    /// A row header.
    Row(RowPanel),
    /// A visualisation.
    Viz(Box<VizPanel>),
}

/// A row header.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RowPanel {
    /// Always `row`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Id.
    pub(crate) id: u32,
    /// Title.
    pub(crate) title: String,
    /// Expanded.
    pub(crate) collapsed: bool,
    /// Position.
    pub(crate) grid_pos: GridPos,
    /// Children (empty when expanded).
    pub(crate) panels: Vec<serde_json::Value>,
}

/// A visualisation panel.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VizPanel {
    /// Plugin: `stat`, `timeseries`, `table`.
    #[serde(rename = "type")]
    pub(crate) kind: String,
    /// Id, unique in the dashboard.
    pub(crate) id: u32,
    /// Title.
    pub(crate) title: String,
    /// What it shows.
    pub(crate) description: String,
    /// Data source.
    pub(crate) datasource: DataSource,
    /// Position.
    pub(crate) grid_pos: GridPos,
    /// Queries.
    pub(crate) targets: Vec<Target>,
    /// Field settings.
    pub(crate) field_config: FieldConfigSource,
    /// Plugin options.
    pub(crate) options: serde_json::Value,
    /// Transformations (tables).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) transformations: Vec<Transformation>,
}

/// A position on the grid.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub(crate) struct GridPos {
    /// Height.
    pub(crate) h: u32,
    /// Width.
    pub(crate) w: u32,
    /// Column.
    pub(crate) x: u32,
    /// Row.
    pub(crate) y: u32,
}

/// A Prometheus query.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Target {
    /// Query letter.
    pub(crate) ref_id: String,
    /// PromQL.
    pub(crate) expr: String,
    /// Legend.
    pub(crate) legend_format: String,
    /// Instant query (stat and table panels).
    pub(crate) instant: bool,
    /// Range query.
    pub(crate) range: bool,
    /// `time_series` or `table`.
    pub(crate) format: String,
}

/// Field settings.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct FieldConfigSource {
    /// Defaults.
    pub(crate) defaults: FieldDefaults,
    /// Overrides (none).
    pub(crate) overrides: Vec<serde_json::Value>,
}

/// Default field settings.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FieldDefaults {
    /// Unit.
    pub(crate) unit: String,
    /// Decimals.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) decimals: Option<u32>,
    /// Minimum of the axis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) min: Option<f64>,
    /// Maximum of the axis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) max: Option<f64>,
    /// Thresholds.
    pub(crate) thresholds: Thresholds,
    /// Shown when there is no value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) no_value: Option<String>,
    /// Plugin-specific settings (threshold lines).
    pub(crate) custom: serde_json::Value,
}

/// Thresholds.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Thresholds {
    /// Always `absolute`.
    pub(crate) mode: String,
    /// Steps, the first with a null value (the base colour).
    pub(crate) steps: Vec<Step>,
}

/// One threshold step.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Step {
    /// Where it starts (null: the base).
    pub(crate) value: Option<f64>,
    /// Colour.
    pub(crate) color: String,
}

/// A table transformation.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub(crate) struct Transformation {
    /// Transformation id.
    pub(crate) id: String,
    /// Its options.
    pub(crate) options: serde_json::Value,
}

fn steps(base: &str, rest: &[(f64, &str)]) -> Thresholds {
    let mut steps = vec![Step {
        value: None,
        color: base.to_string(),
    }];
    steps.extend(rest.iter().map(|(v, c)| Step {
        value: Some(*v),
        color: (*c).to_string(),
    }));
    Thresholds {
        mode: "absolute".into(),
        steps,
    }
}

/// Builds panels with ids and positions.
struct Layout {
    panels: Vec<Panel>,
    next_id: u32,
    y: u32,
}

impl Layout {
    fn new() -> Self {
        Self {
            panels: Vec::new(),
            next_id: 1,
            y: 0,
        }
    }

    fn id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id - 1
    }

    fn row(&mut self, title: String) {
        let id = self.id();
        self.panels.push(Panel::Row(RowPanel {
            kind: "row".into(),
            id,
            title,
            collapsed: false,
            grid_pos: GridPos {
                h: 1,
                w: GRID_WIDTH,
                x: 0,
                y: self.y,
            },
            panels: Vec::new(),
        }));
        self.y += 1;
    }

    /// Lays `panels` side by side in a band of height `h`, splitting the width evenly.
    fn band(&mut self, h: u32, panels: Vec<PanelSpec>) {
        let count = panels.len() as u32;
        let width = GRID_WIDTH / count.max(1);
        for (i, spec) in panels.into_iter().enumerate() {
            let id = self.id();
            let last = i as u32 + 1 == count;
            let x = i as u32 * width;
            self.panels.push(Panel::Viz(Box::new(VizPanel {
                kind: spec.kind.into(),
                id,
                title: spec.title,
                description: spec.description,
                datasource: datasource(),
                grid_pos: GridPos {
                    h,
                    w: if last { GRID_WIDTH - x } else { width },
                    x,
                    y: self.y,
                },
                targets: spec.targets,
                field_config: FieldConfigSource {
                    defaults: spec.defaults,
                    overrides: Vec::new(),
                },
                options: spec.options,
                transformations: spec.transformations,
            })));
        }
        self.y += h;
    }
}

/// What a panel shows, before layout.
struct PanelSpec {
    kind: &'static str,
    title: String,
    description: String,
    targets: Vec<Target>,
    defaults: FieldDefaults,
    options: serde_json::Value,
    transformations: Vec<Transformation>,
}

fn target(ref_id: &str, expr: String, legend: &str, instant: bool) -> Target {
    Target {
        ref_id: ref_id.into(),
        expr,
        legend_format: legend.into(),
        instant,
        range: !instant,
        format: "time_series".into(),
    }
}

fn defaults(unit: &str, thresholds: Thresholds) -> FieldDefaults {
    FieldDefaults {
        unit: unit.into(),
        decimals: None,
        min: None,
        max: None,
        thresholds,
        no_value: None,
        custom: serde_json::json!({}),
    }
}

fn stat(title: &str, description: &str, expr: String, defaults: FieldDefaults) -> PanelSpec {
    PanelSpec {
        kind: "stat",
        title: title.into(),
        description: description.into(),
        targets: vec![target("A", expr, "", true)],
        defaults,
        options: serde_json::json!({
            "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": false},
            "colorMode": "value",
            "graphMode": "none",
            "textMode": "value"
        }),
        transformations: Vec::new(),
    }
}

fn timeseries(
    title: &str,
    description: &str,
    targets: Vec<Target>,
    defaults: FieldDefaults,
) -> PanelSpec {
    PanelSpec {
        kind: "timeseries",
        title: title.into(),
        description: description.into(),
        targets,
        defaults,
        options: serde_json::json!({
            "legend": {"displayMode": "list", "placement": "bottom", "showLegend": true},
            "tooltip": {"mode": "multi", "sort": "desc"}
        }),
        transformations: Vec::new(),
    }
}

/// Stable dashboard uid (Grafana allows 40 characters): `slocc-<service>`, or a hashed form
/// for long names.
pub(crate) fn dashboard_uid(service: &str) -> String {
    let uid = format!("slocc-{service}");
    if uid.len() <= 40 {
        return uid;
    }
    // FNV-1a: stable across runs and platforms, unlike std's hasher.
    let hash = service.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    format!("slocc-{}-{hash:016x}", &service[..16])
}

fn base_dashboard(uid: String, title: String, source: &str, panels: Vec<Panel>) -> Dashboard {
    Dashboard {
        description: format!(
            "Generated by slocc from {source}. Do not edit: change the spec and run `slocc compile`."
        ),
        uid,
        title,
        tags: vec!["slo".into(), "slocc".into()],
        editable: true,
        schema_version: SCHEMA_VERSION,
        time: TimeRange {
            from: "now-7d".into(),
            to: "now".into(),
        },
        refresh: "1m".into(),
        templating: Templating {
            list: vec![Variable {
                kind: "datasource".into(),
                name: "datasource".into(),
                label: "Data source".into(),
                query: "prometheus".into(),
            }],
        },
        annotations: Annotations { list: Vec::new() },
        links: Vec::new(),
        panels,
    }
}

/// The errors-by-label query for a ratio SLI with a breakdown label, over 5m.
pub(crate) fn breakdown_query(slo: &Slo, label: &str) -> Option<String> {
    let Sli::Ratio { events, total } = &slo.sli else {
        return None;
    };
    let inner = |template: &str| -> Option<String> {
        let query = crate::vocab::promql::with_window(
            template,
            crate::vocab::duration::Duration::from_secs(300),
        );
        let expr = promql_parser::parser::parse(&query).ok()?;
        Some(match expr {
            promql_parser::parser::Expr::Aggregate(agg) => agg.expr.to_string(),
            other => other.to_string(),
        })
    };
    Some(match events {
        EventQuery::Errors(q) => format!("sum by ({label}) ({})", inner(q)?),
        EventQuery::Good(q) => format!(
            "sum by ({label}) ({}) - sum by ({label}) ({})",
            inner(total)?,
            inner(q)?
        ),
    })
}

/// The panels of one service's dashboard, laid out.
fn service_panels(service: &Service) -> Vec<Panel> {
    let mut layout = Layout::new();
    for slo in &service.slos {
        slo_panels(&mut layout, service, slo);
    }
    layout.panels
}

/// The dashboard of one service.
pub(crate) fn service_dashboard(service: &Service) -> Dashboard {
    base_dashboard(
        dashboard_uid(&service.name),
        format!("SLOs / {}", service.name),
        &service.source,
        service_panels(service),
    )
}

/// The links into a service's dashboard: its URL and, per SLO, each panel of the SLO's row.
/// The service dashboard's URL: absolute with the settings' `grafana_url`, else `/d/<uid>`.
pub(crate) fn dashboard_url(service: &Service) -> String {
    format!(
        "{}/d/{}",
        service.grafana_url.as_deref().unwrap_or(""),
        dashboard_uid(&service.name)
    )
}

pub(crate) fn links(service: &Service) -> crate::emit::links::Links {
    links_into(service, &service_panels(service))
}

/// [`links`] from the service's panels, already laid out.
fn links_into(service: &Service, laid_out: &[Panel]) -> crate::emit::links::Links {
    let dashboard = dashboard_url(service);
    let mut panels: std::collections::BTreeMap<String, Vec<_>> = Default::default();
    let mut current: Option<&str> = None;
    for panel in laid_out {
        match panel {
            Panel::Row(row) => {
                current = service
                    .slos
                    .iter()
                    .find(|s| {
                        let rest = row.title.strip_prefix(s.name.as_str());
                        rest.is_some_and(|rest| rest.starts_with(':'))
                    })
                    .map(|s| s.name.as_str());
            }
            Panel::Viz(viz) => {
                if let Some(slo) = current {
                    let url = format!("{dashboard}?viewPanel={}", viz.id);
                    let title = viz.title.clone();
                    let link = crate::emit::links::PanelLink { title, url };
                    panels.entry(slo.to_string()).or_default().push(link);
                }
            }
        }
    }
    crate::emit::links::Links { dashboard, panels }
}

/// The service dashboard, as an artifact kind. Its links go to the kinds after it (runbooks)
/// through the emission, so the dashboard is laid out once per service.
pub(crate) fn emit_service(
    service: &Service,
    cx: &crate::emit::Context,
    out: &mut crate::emit::Emission<'_>,
) -> Result<(), crate::emit::Error> {
    let mut dashboard = service_dashboard(service);
    out.links = Some(links_into(service, &dashboard.panels));
    dashboard.links = runbook_links(service, cx);
    let path = format!("dashboards/services/{}.json", service.name);
    out.generated(path, render(&dashboard))
}

/// One header link per SLO to its runbook, where its alerts link it too.
fn runbook_links(service: &Service, cx: &crate::emit::Context) -> Vec<DashboardLink> {
    service
        .slos
        .iter()
        .map(|slo| DashboardLink {
            title: format!("Runbook: {}", slo.name),
            kind: "link",
            icon: "doc",
            tooltip: format!("What to do when {} alerts", slo.name),
            url: crate::emit::prometheus::runbook_url(service, slo, &cx.runbooks_shown),
            tags: Vec::new(),
            as_dropdown: false,
            target_blank: true,
            include_vars: false,
            keep_time: false,
        })
        .collect()
}

/// The overview dashboard every service shares, as an artifact kind.
pub(crate) fn emit_overview(
    services: &[Service],
    _: &crate::emit::Context,
    out: &mut crate::emit::Emission<'_>,
) -> Result<(), crate::emit::Error> {
    let path = "dashboards/overview.json".to_string();
    out.generated(path, render(&overview_dashboard(services)))
}

/// The overview of every SLO: objective, SLI, budget left, fastest burn and firing alerts,
/// worst budget first.
pub(crate) fn overview_dashboard(services: &[Service]) -> Dashboard {
    let panel = overview_table(services);
    let mut layout = Layout::new();
    let rows = services.iter().map(|s| s.slos.len() as u32).sum::<u32>();
    layout.band((rows + 3).clamp(8, 40), vec![panel]);
    let sources: Vec<&str> = services.iter().map(|s| s.source.as_str()).collect();
    let mut dashboard = base_dashboard(
        OVERVIEW_UID.into(),
        "SLOs / overview".into(),
        &sources.join(", "),
        layout.panels,
    );
    dashboard.description = format!(
        "Generated by slocc from {} spec file{}. Do not edit: change the specs and run `slocc compile`.",
        sources.len(),
        if sources.len() == 1 { "" } else { "s" }
    );
    dashboard
}

/// Serializes a dashboard (serde_json's pretty layout, as Grafana exports it).
pub(crate) fn render(dashboard: &Dashboard) -> String {
    let mut out = serde_json::to_string_pretty(dashboard).expect("dashboards are plain data");
    out.push('\n');
    out
}

/// Escapes regex metacharacters so a name matches only itself.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_are_stable_and_short() {
        assert_eq!(dashboard_uid("checkout-api"), "slocc-checkout-api");
        let long = dashboard_uid(&"x".repeat(80));
        assert!(long.len() <= 40, "{long}");
        assert_eq!(long, dashboard_uid(&"x".repeat(80)));
        assert_ne!(long, dashboard_uid(&"x".repeat(79)));
    }

    #[test]
    fn regex_escaping_matches_names_literally() {
        assert_eq!(regex_escape("a.b-c"), "a\\.b-c");
    }
}
