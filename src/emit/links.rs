//! What an on-call engineer can click for a service: its dashboard and each SLO's panels. Runbooks
//! and the audit read links from here, never from a dashboard format; the dashboard kind that
//! shows a service provides them.

use std::collections::BTreeMap;

use crate::model::Service;

/// A service's links, as plain URLs and titles (each output escapes them its own way).
pub(crate) struct Links {
    /// The service dashboard: absolute with the settings' `grafana_url`, else `/d/<uid>`.
    pub(crate) dashboard: String,
    /// Each SLO's panels on it, by SLO name, in dashboard order.
    pub(crate) panels: BTreeMap<String, Vec<PanelLink>>,
}

/// One panel: its title and the URL that opens it alone.
pub(crate) struct PanelLink {
    pub(crate) title: String,
    pub(crate) url: String,
}

/// The links of `service`.
pub(crate) fn of(service: &Service) -> Links {
    crate::emit::grafana::links(service)
}

/// The service dashboard's URL alone, without laying its panels out (alert annotations).
pub(crate) fn dashboard(service: &Service) -> String {
    crate::emit::grafana::dashboard_url(service)
}
