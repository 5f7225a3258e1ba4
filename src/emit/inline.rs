//! Alerts that read their SLI without hops, for engines whose recorded series arrive late.
//!
//! vmalert writes what its recording rules compute through remote write, and VictoriaMetrics
//! answers a query only with samples older than `-search.latencyOffset` (30 s by default): a
//! rule reading a series recorded in the same evaluation reads the previous evaluation's value,
//! so each hop of slocc's chain (5m rates, then the ratio, then the alert) costs a minute.
//! With the defining queries written into the alerts, every window computed from the SLI alone
//! (5m to 6h: the paging tiers) reads in the same evaluation what Prometheus's alerts read;
//! windows built from recorded sums (1d, 3d) keep their hops.

use std::collections::BTreeMap;

use crate::emit::prometheus::{Rule, RuleFile};

/// A recorded series as slocc's alerts select it, what computes it, and the labels its rule
/// adds.
struct Definition {
    selector: String,
    expr: String,
    labels: BTreeMap<String, String>,
}

/// Writes into every alert of `file` the queries of the recorded series it reads, where those
/// read no recorded series themselves (once inlined); the labels those rules add become the
/// alert's labels, as they reached it through the series before (an alert's own label wins, as
/// it does over a series' label).
pub(crate) fn inline_recorded(file: &mut RuleFile) {
    let definitions = definitions(file);
    for rule in file.groups.iter_mut().flat_map(|g| g.rules.iter_mut()) {
        if let Rule::Alert { expr, labels, .. } = rule {
            let mut used = Vec::new();
            *expr = substitute(expr, &definitions, &mut used);
            for definition in used {
                for (key, value) in &definition.labels {
                    // Alert labels are templates, series labels are not: user text stays text.
                    let literal = || crate::emit::prometheus::template_literal(value);
                    labels.entry(key.clone()).or_insert_with(literal);
                }
            }
        }
    }
}

/// Writes into every recording rule the queries of the rules before it in its group that it
/// reads as instant selectors. A group's rules are evaluated one after another at one instant,
/// so this is what the rule reads live; promtool's rule importer, given the rules in dependency
/// layers, evaluates each layer's group at its own offset (a hash of its file's path), and a 5m
/// ratio of rates recorded a few seconds apart read 14% high from jittered scrapes. Only a
/// rule whose labels the reader adds too is written in: whatever labels it brought, the
/// reader sets again.
pub(crate) fn inline_within_groups(file: &mut RuleFile) {
    for group in &mut file.groups {
        let mut earlier: Vec<Definition> = Vec::new();
        for rule in &mut group.rules {
            if let Rule::Record {
                record,
                expr,
                labels,
            } = rule
            {
                let covered: Vec<Definition> = earlier
                    .iter()
                    .filter(|d| d.labels.iter().all(|(k, v)| labels.get(k) == Some(v)))
                    .map(|d| Definition {
                        selector: d.selector.clone(),
                        expr: d.expr.clone(),
                        labels: BTreeMap::new(),
                    })
                    .collect();
                *expr = substitute(expr, &covered, &mut Vec::new());
                let selector = selector(record, labels);
                earlier.retain(|d| d.selector != selector);
                earlier.push(Definition {
                    selector,
                    expr: expr.clone(),
                    labels: labels.clone(),
                });
            }
        }
    }
}

/// Every recording rule of `file` whose query, with the earlier definitions inlined, reads no
/// recorded series, in rule order; a selector defined twice is left out (it is not clear which
/// query it means).
fn definitions(file: &RuleFile) -> Vec<Definition> {
    let records: Vec<(&String, &String, &BTreeMap<String, String>)> = file
        .groups
        .iter()
        .flat_map(|g| g.rules.iter())
        .filter_map(|r| match r {
            Rule::Record {
                record,
                expr,
                labels,
            } => Some((record, expr, labels)),
            Rule::Alert { .. } => None,
        })
        .collect();
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (record, _, labels) in &records {
        *seen.entry(selector(record, labels)).or_default() += 1;
    }
    let mut out: Vec<Definition> = Vec::new();
    for (record, expr, labels) in records {
        let selector = selector(record, labels);
        if seen[&selector] > 1 {
            continue;
        }
        let expr = substitute(expr, &out, &mut Vec::new());
        if !reads_any(&expr, file) {
            out.push(Definition {
                selector,
                expr,
                labels: labels.clone(),
            });
        }
    }
    out
}

/// How slocc's alerts select a series its rules record with `labels`.
fn selector(record: &str, labels: &BTreeMap<String, String>) -> String {
    let get = |k: &str| labels.get(k).map_or("", String::as_str);
    format!(
        "{record}{{{}}}",
        crate::vocab::promql::matchers(&[
            ("slo_service", get("slo_service")),
            ("slo_name", get("slo_name"))
        ])
    )
}

/// Whether `expr` selects a series some recording rule of `file` writes.
fn reads_any(expr: &str, file: &RuleFile) -> bool {
    file.groups
        .iter()
        .flat_map(|g| g.rules.iter())
        .any(|r| matches!(r, Rule::Record { record, .. } if selects(expr, record)))
}

/// Whether `expr` holds `name{` not preceded by a character of a metric name.
fn selects(expr: &str, name: &str) -> bool {
    let pattern = format!("{name}{{");
    expr.match_indices(&pattern).any(|(at, _)| {
        !expr[..at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    })
}

/// `expr` with every instant selector of `definitions` replaced by its query in parentheses; a
/// range over a recorded series (`sum_over_time(...[1d])`) or one read at another time
/// (`offset`, `@`) stays: a query is neither. The definitions used are pushed on `used`.
fn substitute<'a>(
    expr: &str,
    definitions: &'a [Definition],
    used: &mut Vec<&'a Definition>,
) -> String {
    let mut out = expr.to_string();
    for definition in definitions {
        let mut next = String::with_capacity(out.len());
        let mut rest = out.as_str();
        let mut replaced = false;
        while let Some(at) = rest.find(&definition.selector) {
            let end = at + definition.selector.len();
            next.push_str(&rest[..at]);
            let after = rest[end..].trim_start();
            if after.starts_with(['[', '@']) || after.starts_with("offset") {
                next.push_str(&definition.selector);
            } else {
                next.push_str(&format!("({})", definition.expr));
                replaced = true;
            }
            rest = &rest[end..];
        }
        next.push_str(rest);
        out = next;
        if replaced {
            used.push(definition);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::emit::prometheus::{Rule, RuleFile, RuleGroup};
    use std::collections::BTreeMap;

    fn record(name: &str, expr: &str) -> Rule {
        let labels = BTreeMap::from([
            ("slo_service".to_string(), "s".to_string()),
            ("slo_name".to_string(), "a".to_string()),
            ("team".to_string(), "t".to_string()),
            ("note".to_string(), "a {{ b".to_string()),
        ]);
        Rule::Record {
            record: name.into(),
            expr: expr.into(),
            labels,
        }
    }

    fn alert(expr: &str) -> Rule {
        Rule::Alert {
            alert: "A".into(),
            expr: expr.into(),
            for_duration: None,
            labels: BTreeMap::from([("team".to_string(), "mine".to_string())]),
            annotations: BTreeMap::new(),
        }
    }

    #[test]
    fn alerts_read_the_queries_and_ranges_over_recorded_series_stay() {
        let sel = |n: &str| format!("{n}{{slo_service=\"s\", slo_name=\"a\"}}");
        let mut file = RuleFile {
            groups: vec![RuleGroup {
                name: "g".into(),
                interval: "1m".into(),
                rules: vec![
                    record("x:rate5m", "sum(rate(e[5m]))"),
                    record("x:ratio5m", &format!("{} / 2", sel("x:rate5m"))),
                    record(
                        "x:sum1d",
                        &format!("sum_over_time({}[1d])", sel("x:rate5m")),
                    ),
                    alert(&format!(
                        "{} > 1 and {} > 1",
                        sel("x:ratio5m"),
                        sel("x:sum1d")
                    )),
                ],
            }],
        };
        super::inline_recorded(&mut file);
        let Rule::Alert { expr, labels, .. } = &file.groups[0].rules[3] else {
            unreachable!()
        };
        assert_eq!(
            expr,
            &format!("((sum(rate(e[5m]))) / 2) > 1 and {} > 1", sel("x:sum1d"))
        );
        // The series' labels come with the query; the alert's own label wins.
        assert_eq!(labels["slo_name"], "a");
        assert_eq!(labels["team"], "mine");
        // Alert labels are templates: user text is kept literal.
        assert_eq!(labels["note"], "a {{ \"{{\" }} b");
    }

    #[test]
    fn recording_rules_read_the_earlier_rules_of_their_group_as_queries() {
        let sel = |n: &str| format!("{n}{{slo_service=\"s\", slo_name=\"a\"}}");
        let mut extra = record("x:other", "sum(rate(o[5m]))");
        if let Rule::Record { labels, .. } = &mut extra {
            labels.insert("only_here".into(), "1".into());
        }
        let minute = RuleGroup {
            name: "m".into(),
            interval: "1m".into(),
            rules: vec![
                record("x:rate5m", "sum(rate(e[5m]))"),
                extra,
                record(
                    "x:ratio5m",
                    &format!("{} / {}", sel("x:rate5m"), sel("x:later")),
                ),
                record("x:shifted", &format!("{} offset 5m", sel("x:rate5m"))),
                record(
                    "x:both",
                    &format!("{} + {}", sel("x:ratio5m"), sel("x:other")),
                ),
                record("x:later", "vector(1)"),
            ],
        };
        let hourly = RuleGroup {
            name: "h".into(),
            interval: "1h".into(),
            rules: vec![record("x:h", &format!("{} * 60", sel("x:rate5m")))],
        };
        let mut file = RuleFile {
            groups: vec![minute, hourly],
        };
        super::inline_within_groups(&mut file);
        let exprs: Vec<&str> = file
            .groups
            .iter()
            .flat_map(|g| &g.rules)
            .map(|r| match r {
                Rule::Record { expr, .. } => expr.as_str(),
                Rule::Alert { .. } => unreachable!(),
            })
            .collect();
        // A later rule is read as recorded (live reads its previous value), and so is one
        // read at another time, one whose label the reader does not set, or another group's.
        let ratio = format!("(sum(rate(e[5m]))) / {}", sel("x:later"));
        assert_eq!(exprs[2], ratio);
        assert_eq!(exprs[3], format!("{} offset 5m", sel("x:rate5m")));
        assert_eq!(exprs[4], format!("({ratio}) + {}", sel("x:other")));
        assert_eq!(exprs[6], format!("{} * 60", sel("x:rate5m")));
    }
}
