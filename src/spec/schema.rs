//! JSON Schema of the `slocc/v1` format, for editor completion and validation.

use serde_json::{json, Value};

const DURATION_PATTERN: &str = "^([0-9]+(y|w|d|h|ms|m|s))+$";
const NAME_PATTERN: &str = "^[A-Za-z0-9][A-Za-z0-9_.-]*$";
const LABEL_PATTERN: &str = "^[a-zA-Z_][a-zA-Z0-9_]*$";

/// `previous_names`: earlier names of an SLO.
fn previous_names() -> Value {
    json!({
        "description": "Names the SLO had before, newest first: its runbook carries over from the first that has one.",
        "type": "array",
        "items": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 100}
    })
}

fn duration(description: &str) -> Value {
    json!({"type": "string", "pattern": DURATION_PATTERN, "description": description})
}

fn string_map(description: &str) -> Value {
    json!({
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": LABEL_PATTERN},
        "additionalProperties": {"type": "string"}
    })
}

fn query(description: &str) -> Value {
    json!({"type": "string", "minLength": 1, "description": description})
}

fn tier(severity: &str) -> Value {
    json!({
        "type": "object",
        "description": format!("Settings of the {severity} tiers."),
        "additionalProperties": false,
        "properties": {
            "disable": {"type": "boolean", "description": format!("Emit no {severity} alerts.")},
            "severity": {"type": "string", "minLength": 1, "description": format!("Severity class of the {severity} alerts, over the settings' `tiers`.")},
            "for": duration("`for:` on the alerts."),
            "labels": string_map("Extra labels; `severity` here renames the severity."),
            "annotations": string_map("Extra annotations.")
        }
    })
}

fn no_data() -> Value {
    json!({
        "type": "object",
        "description": "The alert when the SLI returns no series at all (on by default for an SLO that alerts).",
        "additionalProperties": false,
        "properties": {
            "disable": {"type": "boolean", "description": "No no-data alert."},
            "name": {"type": "string", "minLength": 1, "description": "Alert name; default SLOMetricAbsent."},
            "severity": {"type": "string", "minLength": 1, "description": "Severity class; default the class of the SLO's most urgent tier."},
            "for": duration("How long the SLI must return nothing; default 10m."),
            "labels": string_map("Extra labels; `severity` here renames the severity."),
            "annotations": string_map("Extra annotations.")
        }
    })
}

// long: one JSON literal of the four SLI kinds, which reads as the schema it writes.
fn sli() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "minProperties": 1,
        "maxProperties": 1,
        "properties": {
            "ratio": {
                "type": "object",
                "additionalProperties": false,
                "required": ["total"],
                "oneOf": [{"required": ["errors"]}, {"required": ["good"]}],
                "properties": {
                    "errors": query("Bad events per second, with [{{window}}]."),
                    "good": query("Good events per second, with [{{window}}]."),
                    "total": query("All events per second, with [{{window}}]."),
                "breakdown_by": {"type": "string", "pattern": LABEL_PATTERN, "description": "Label the dashboard breaks errors down by, e.g. route."}
                }
            },
            "latency": {
                "type": "object",
                "additionalProperties": false,
                "required": ["metric"],
                "oneOf": [{"required": ["threshold"]}, {"required": ["percentiles"]}],
                "properties": {
                    "metric": {"type": "string", "description": "Histogram base name; `_bucket` is appended."},
                    "selector": {"type": "string", "description": "Label matchers, e.g. {job=\"api\"}."},
                    "threshold": duration("A histogram bucket boundary, e.g. 300ms."),
                    "breakdown_by": {"type": "string", "pattern": LABEL_PATTERN, "description": "Label the runbook breaks slow requests and p99 down by, e.g. route."},
                    "native": {"type": "boolean", "description": "A native histogram: `metric` is read whole with histogram_fraction and histogram_count (no `_bucket`, no `le`); the threshold need not be a bucket boundary."},
                    "percentiles": {
                        "type": "object",
                        "description": "Shorthand: one SLO per percentile, e.g. {p99: 500ms, p95: 300ms} is `<name>-p99` (objective 99, threshold 500ms) and `<name>-p95`; no `objective` or `threshold` then.",
                        "minProperties": 1,
                        "propertyNames": {"pattern": "^p[0-9]+(\\.[0-9]+)?$"},
                        "additionalProperties": {"type": "string"}
                    }
                }
            },
            "raw": {
                "type": "object",
                "additionalProperties": false,
                "required": ["error_ratio"],
                "properties": {
                    "error_ratio": query("An error-ratio query with [{{window}}].")
                }
            },
            "threshold": {
                "type": "object",
                "additionalProperties": false,
                "required": ["query", "op", "value"],
                "description": "A value judged against a bound per time slice (needs `budgeting` by time slices).",
                "properties": {
                    "query": query("A query returning the value, e.g. a p95 latency; [{{window}}] becomes the slice."),
                    "op": {"enum": ["lt", "lte", "gt", "gte"], "description": "How a good value compares with `value`."},
                    "value": {"type": ["number", "string"], "description": "The bound."}
                }
            },
            "freshness": {
                "type": "object",
                "additionalProperties": false,
                "required": ["last_success", "max_age"],
                "description": "Time since the last success against a bound, judged per time slice (1m slices unless `budgeting` says otherwise).",
                "properties": {
                    "last_success": query("A query returning the Unix time in seconds of the last success, e.g. max(job_last_success_timestamp_seconds{job=\"billing\"})."),
                    "max_age": duration("The oldest the last success may be and still count as fresh, e.g. 26h.")
                }
            }
        }
    })
}

fn calendar() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["period"],
        "description": "A calendar window instead of a rolling `window`: the budget resets when the period turns over.",
        "properties": {
            "period": {"enum": ["day", "week", "month", "quarter"]},
            "time_zone": {"type": "string", "description": "`UTC` (default) or a fixed offset such as `+02:00`."},
            "week_start": {"type": "string", "description": "Weeks: the day they start, `monday` (default) .. `sunday`."},
            "start_time": {"type": "string", "description": "The time of day periods start, `HH:MM` (default `00:00`)."}
        }
    })
}

fn budgeting() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["method"],
        "description": "How the budget is counted: events (occurrences, the default) or time slices.",
        "properties": {
            "method": {"enum": ["occurrences", "timeslices", "ratio_timeslices"]},
            "slice": duration("Slice length, 1m..1h."),
            "slice_target": {"type": ["number", "string"], "exclusiveMinimum": 0, "maximum": 1, "description": "timeslices: the good ratio a slice needs to be good, e.g. 0.95."}
        }
    })
}

fn runbook() -> Value {
    let steps = |what: &str| {
        json!({
            "type": "array",
            "description": what,
            "items": {
                "type": "object",
                "additionalProperties": false,
                "required": ["title"],
                "properties": {
                    "title": {"type": "string", "minLength": 1, "description": "What the step does."},
                    "command": {"type": "string", "description": "The shell command that does it."}
                }
            }
        })
    };
    json!({
        "type": "object",
        "additionalProperties": false,
        "description": "Steps every runbook of the service lists, as numbered procedures.",
        "properties": {
            "diagnosis": steps("Steps to find the cause, after the generated queries."),
            "mitigation": steps("Steps to stop the damage.")
        }
    })
}

fn alerting() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "name": {"type": "string", "minLength": 1, "description": "Alert name; default <Service><Slo>BudgetBurn."},
            "min_events": {"type": ["integer", "string"], "minimum": 1, "description": "Low-traffic guard: a tier fires only when at least this many bad events happened in its long window."},
            "expected_traffic": {"type": "string", "pattern": "^[0-9.]+/[0-9]*[a-z]+$", "description": "Expected events per unit of time, e.g. 10/h: `audit` reports when one failure would page, and `explain` uses it."},
            "labels": string_map("Labels on every alert of this SLO."),
            "annotations": string_map("Annotations on every alert of this SLO."),
            "page": tier("page"),
            "ticket": tier("ticket"),
            "no_data": no_data(),
            "windows": {
                "type": "array",
                "minItems": 1,
                "description": "Custom window policy replacing the default four tiers.",
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["long", "short", "budget_percent", "severity"],
                    "properties": {
                        "long": duration("Long window."),
                        "short": duration("Short window."),
                        "budget_percent": {"type": ["number", "string"], "exclusiveMinimum": 0, "maximum": 100},
                        "severity": {"type": "string", "minLength": 1, "description": "`page`, `ticket`, or a severity class of the settings."}
                    }
                }
            }
        }
    })
}

/// The schema, as a JSON value.
pub(crate) fn json_schema() -> Value {
    json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://slocc.dev/schemas/slocc-v1.json",
        "title": "slocc/v1 service spec",
        "description": "One service and its SLOs, compiled by slocc into Prometheus rules. See docs/spec.md.",
        "type": "object",
        "additionalProperties": false,
        "required": ["apiVersion", "service", "slos"],
        "properties": {
            "apiVersion": {"const": crate::spec::API_VERSION},
            "service": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 100, "description": "Service name; names the output file."},
            "owner": {"type": "string", "description": "Owning team."},
            "escalation": {"type": "string", "description": "Who to escalate to."},
            "runbook_base_url": {"type": "string", "description": "Runbook links are <base>/<service>/<slo>.md."},
            "labels": string_map("Labels added to every generated series and alert."),
            "runbook": runbook(),
            "compat": {"enum": ["sloth", "pyrra"], "description": "Also emit that tool's series, labels and alert layout for this service (docs/imports.md)."},
            "receivers": string_map("Alertmanager receivers of this service's alerts by severity class, e.g. {P1: payments-pager}, over the classes' own."),
            "slos": {
                "type": "array",
                "minItems": 1,
                "items": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["name", "sli"],
                    "properties": {
                        "name": {"type": "string", "pattern": NAME_PATTERN, "maxLength": 100},
                        "description": {"type": "string"},
                        "objective": {
                            "description": "Objective in percent, e.g. 99.9; required unless the SLI uses `percentiles`.",
                            "type": ["number", "string"],
                            "exclusiveMinimum": 0,
                            "exclusiveMaximum": 100
                        },
                        "window": duration("Rolling window, 1d..90d; default 30d."),
                        "labels": string_map("Labels on every series and alert of this SLO, over the service's labels."),
                        "sli": sli(),
                        "alerting": alerting(),
                        "budgeting": budgeting(),
                        "calendar": calendar(),
                        "previous_names": previous_names(),
                        "runbook": runbook(),
                        "mttr": duration("Mean time to recover the team aims for; `backtest` measures incidents against it.")
                    }
                }
            }
        }
    })
}

/// The schema as the checked-in file holds it: pretty JSON with a final newline.
pub(crate) fn render() -> String {
    serde_json::to_string_pretty(&json_schema()).expect("a JSON value always serializes") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    fn keys(value: &Value) -> Vec<String> {
        let mut keys: Vec<String> = value["properties"]
            .as_object()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        keys.sort();
        keys
    }

    fn sorted(list: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = list.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn schema_knows_exactly_the_keys_the_reader_knows() {
        let schema = json_schema();
        assert_eq!(keys(&schema), sorted(spec::SERVICE_KEYS));
        assert_eq!(
            keys(&schema["properties"]["runbook"]),
            sorted(spec::RUNBOOK_KEYS)
        );
        let slo = &schema["properties"]["slos"]["items"];
        assert_eq!(keys(slo), sorted(spec::SLO_KEYS));
        assert_eq!(keys(&slo["properties"]["sli"]), sorted(spec::SLI_KINDS));
        assert_eq!(
            keys(&slo["properties"]["sli"]["properties"]["ratio"]),
            sorted(spec::RATIO_KEYS)
        );
        assert_eq!(
            keys(&slo["properties"]["sli"]["properties"]["latency"]),
            sorted(spec::LATENCY_KEYS)
        );
        let alerting = &slo["properties"]["alerting"];
        assert_eq!(keys(alerting), sorted(spec::ALERTING_KEYS));
        assert_eq!(
            keys(&alerting["properties"]["page"]),
            sorted(spec::TIER_KEYS)
        );
        assert_eq!(
            keys(&alerting["properties"]["no_data"]),
            sorted(spec::NO_DATA_KEYS)
        );
        assert_eq!(
            keys(&alerting["properties"]["windows"]["items"]),
            sorted(spec::WINDOW_KEYS)
        );
    }

    #[test]
    fn checked_in_schema_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/specs/slocc.schema.json");
        let on_disk = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            on_disk == render(),
            "specs/slocc.schema.json is stale: run `cargo run -- schema > specs/slocc.schema.json`"
        );
    }
}
