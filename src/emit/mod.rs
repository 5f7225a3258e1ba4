//! Emitters: turn the validated model into artifacts (rule files for each engine, dashboards,
//! runbooks) through the text templates.

pub(crate) mod alertmanager;
pub mod compat;
pub(crate) mod grafana;
pub mod prometheus;
pub(crate) mod runbook;
pub mod targets;
pub mod templates;

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
