//! Recording rules in dependency layers, for backfilling history (`compile --backfill`):
//! `backfill/layer-<k>/<group>.rules.yml`, one group a file.
//! `promtool tsdb create-blocks-from rules` evaluates each rule against what Prometheus already
//! holds, so a rule that reads another rule's series gives nothing (or a wrong answer) until
//! that series' blocks are loaded. Layer 1 reads only the SLI's own metrics; layer k reads series
//! of the layers below it; a series recorded earlier in the reader's own group is read through
//! its query instead (`inline::inline_within_groups`: live, the group evaluates both at one
//! instant). A rule that reads its own previous result (a calendar window's
//! running count) cannot be backfilled by evaluating it over a range, so it and every rule above
//! it are left out, and the first layer's header says so.

use std::collections::{BTreeMap, BTreeSet};

use crate::emit::prometheus::{Rule, RuleFile, RuleGroup};
use crate::model::Service;

/// The backfill layers of a service, as an artifact kind.
pub(crate) fn emit(
    service: &Service,
    cx: &crate::emit::Context,
    out: &mut crate::emit::Emission<'_>,
) -> Result<(), crate::emit::Error> {
    if !cx.backfill {
        return Ok(());
    }
    let mut file = crate::emit::prometheus::rule_file(service, cx)?;
    crate::emit::targets::in_engines_terms(&mut file, cx.target.target);
    crate::emit::inline::inline_within_groups(&mut file);
    let depths = depths(&file);
    let (skipped, layers) = split(&file, &depths);
    for (k, groups) in layers.into_iter().enumerate() {
        // One group a file, so that a group promtool skips (a `--start` off a block boundary,
        // docs/targets.md) is one file to run again, not a run to unpick.
        for group in groups {
            let mut text = format!(
                "{}# Backfill layer {} of {}: load the blocks of every layer below before evaluating it, and start on a two-hour boundary (docs/targets.md).\n",
                crate::emit::prometheus::header(service),
                k + 1,
                service.name,
            );
            if k == 0 && !skipped.is_empty() {
                text.push_str("# Not backfilled (each evaluation reads its own previous result, or a series that does):\n");
                for name in &skipped {
                    text.push_str(&format!("#   {name}\n"));
                }
            }
            let path = format!("backfill/layer-{}/{}.rules.yml", k + 1, group.name);
            let groups = vec![group];
            text.push_str(&crate::emit::targets::to_yaml(&RuleFile { groups }));
            out.generated(path, text)?;
        }
    }
    Ok(())
}

/// A recorded series of one SLO: its `slo_name` label and its name. slocc's rules read only
/// their own SLO's recorded series, so a calendar SLO's running counts hold back none of the
/// rolling SLOs beside it.
type Key = (String, String);

fn key(record: &str, labels: &BTreeMap<String, String>) -> Key {
    let slo = labels.get("slo_name").cloned().unwrap_or_default();
    (slo, record.to_string())
}

/// Each recorded series' layer: 1 for one that reads no recorded series, else one more than
/// the highest layer it reads; `None` for one that reads itself or one that does.
fn depths(file: &RuleFile) -> BTreeMap<Key, Option<usize>> {
    let mut reads: BTreeMap<Key, BTreeSet<String>> = BTreeMap::new();
    for rule in file.groups.iter().flat_map(|g| &g.rules) {
        if let Rule::Record {
            record,
            expr,
            labels,
        } = rule
        {
            let names = crate::vocab::promql::metric_names(expr);
            reads.entry(key(record, labels)).or_default().extend(names);
        }
    }
    let mut depths = BTreeMap::new();
    for name in reads.keys() {
        depth(name, &reads, &mut depths);
    }
    depths
}

fn depth(
    name: &Key,
    reads: &BTreeMap<Key, BTreeSet<String>>,
    depths: &mut BTreeMap<Key, Option<usize>>,
) -> Option<usize> {
    if let Some(known) = depths.get(name) {
        return *known;
    }
    let inputs = &reads[name];
    let found = if inputs.contains(&name.1) {
        None
    } else {
        let mut deepest = Some(0);
        for input in inputs {
            let input = (name.0.clone(), input.clone());
            if reads.contains_key(&input) {
                deepest = deepest
                    .zip(depth(&input, reads, depths))
                    .map(|(a, b)| a.max(b));
            }
        }
        deepest.map(|d| d + 1)
    };
    depths.insert(name.clone(), found);
    found
}

/// The recording rules by layer, each group keeping its name and interval; and the names left
/// out.
fn split(
    file: &RuleFile,
    depths: &BTreeMap<Key, Option<usize>>,
) -> (Vec<String>, Vec<Vec<RuleGroup>>) {
    let skipped = depths
        .iter()
        .filter(|(_, d)| d.is_none())
        .map(|((slo, name), _)| format!("{name} of {slo}"))
        .collect();
    let top = depths.values().flatten().copied().max().unwrap_or(0);
    let layers = (1..=top)
        .map(|layer| {
            file.groups
                .iter()
                .filter_map(|g| {
                    let rules: Vec<Rule> = g
                        .rules
                        .iter()
                        .filter(|r| {
                            matches!(r, Rule::Record { record, labels, .. } if depths[&key(record, labels)] == Some(layer))
                        })
                        .cloned()
                        .collect();
                    (!rules.is_empty()).then(|| RuleGroup {
                        name: g.name.clone(),
                        interval: g.interval.clone(),
                        rules,
                    })
                })
                .collect()
        })
        .collect();
    (skipped, layers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(name: &str, slo: &str, expr: &str) -> Rule {
        Rule::Record {
            record: name.into(),
            expr: expr.into(),
            labels: BTreeMap::from([("slo_name".to_string(), slo.to_string())]),
        }
    }

    #[test]
    fn layers_follow_what_each_slos_rules_read_and_self_readers_are_left_out() {
        let file = RuleFile {
            groups: vec![RuleGroup {
                name: "g".into(),
                interval: "1m".into(),
                rules: vec![
                    record("total", "a", "sum(rate(http_requests_total[5m]))"),
                    record("ratio", "a", "sum_over_time(total[1h]) / 2"),
                    record("budget", "a", "1 - ratio"),
                    // Another SLO's series of the same names, one of them reading itself.
                    record("total", "b", "total offset 5m + sum(rate(x[5m]))"),
                    record("ratio", "b", "total / 2"),
                    record("objective", "b", "vector(0.999)"),
                ],
            }],
        };
        let depths = depths(&file);
        let of = |slo: &str, name: &str| depths[&(slo.to_string(), name.to_string())];
        assert_eq!(
            [of("a", "total"), of("a", "ratio"), of("a", "budget")],
            [Some(1), Some(2), Some(3)]
        );
        assert_eq!([of("b", "total"), of("b", "ratio")], [None, None]);
        assert_eq!(of("b", "objective"), Some(1));
        let (skipped, layers) = split(&file, &depths);
        assert_eq!(skipped, ["ratio of b", "total of b"]);
        let sizes: Vec<usize> = layers.iter().map(|l| l[0].rules.len()).collect();
        assert_eq!(sizes, [2, 1, 1]);
    }
}
