//! One incident, one page: a 10-minute full outage in four days of backfilled history. A real
//! Prometheus finds when each tier of the default policy fires (every tier's condition
//! evaluated every minute); the alerts are then replayed, as Prometheus's notifier sends them,
//! to a real Alertmanager running slocc's generated configuration (its receivers' webhooks
//! declared in the settings, nothing added by hand). Replayed at one minute per 20 ms, with
//! every Alertmanager interval scaled the same way: the counts are what a real incident gets.

use std::time::{Duration, Instant};

use crate::alertmanager::{start_alertmanager, webhook};
use crate::harness::{now_minute, Engine, Project};
use crate::live::{episodes_of, prometheus_over, steps_where};

/// Real milliseconds per minute of incident time.
const SCALE_MS: u64 = 20;
/// Requests per minute, and minutes of history before the outage's end.
const PER_MINUTE: u64 = 600;
const HISTORY: u64 = 4 * 1_440;
/// The outage: minutes from the start of history, and its length.
const OUTAGE: u64 = HISTORY - 8 * 60;
const OUTAGE_MINUTES: u64 = 10;

/// Settings with a class per paging tier (two pagers) and one for tickets, each receiver a
/// webhook path of the test's server.
fn settings(hook: u16) -> String {
    let url =
        |path: &str| format!("{{url: 'http://127.0.0.1:{hook}/{path}', send_resolved: true}}");
    format!(
        "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\nseverities:\n  - {{name: P0, page: true, receiver: site-down}}\n  - {{name: P1, page: true, receiver: pager}}\n  - {{name: P3, receiver: tickets}}\npolicies:\n  - window: 30d\n    windows:\n      - {{long: 1h, short: 5m, budget_percent: 2, severity: P0}}\n      - {{long: 6h, short: 30m, budget_percent: 5, severity: P1}}\n      - {{long: 1d, short: 2h, budget_percent: 10, severity: P3}}\n      - {{long: 3d, short: 6h, budget_percent: 10, severity: P3}}\nreceivers:\n  site-down: {{webhook_configs: [{}]}}\n  pager: {{webhook_configs: [{}]}}\n  tickets: {{webhook_configs: [{}]}}\n",
        url("site-down"),
        url("pager"),
        url("tickets")
    )
}

const SPEC: &str = "apiVersion: slocc/v1\nservice: shop\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      ratio:\n        errors: sum(rate(http_requests_total{job=\"shop\", code=\"500\"}[{{window}}]))\n        total: sum(rate(http_requests_total{job=\"shop\"}[{{window}}]))\n";

/// Four days of the shop's counters every minute, all requests failing during the outage.
fn history(now: u64) -> String {
    let start = now - HISTORY * 60;
    let mut out = String::from("# TYPE http_requests counter\n");
    for code in ["200", "500"] {
        let mut count = 0;
        for m in 0..=HISTORY {
            let bad = (OUTAGE..OUTAGE + OUTAGE_MINUTES).contains(&m);
            count += match (code, bad) {
                ("500", true) | ("200", false) => PER_MINUTE,
                _ => 0,
            };
            let at = start + m * 60;
            out.push_str(&format!(
                "http_requests_total{{job=\"shop\",code=\"{code}\"}} {count} {at}\n"
            ));
        }
    }
    out.push_str("# EOF\n");
    out
}

/// A tier: its alert's labels, and the minutes (from the outage's start) it fires.
struct Firing {
    labels: serde_json::Value,
    from: i64,
    to: i64,
}

/// When Prometheus finds each tier's condition true, as minutes from the outage's start, with
/// the alert labels the generated rule gives that tier.
fn firings(project: &Project, url: &str, outage_at: i64) -> Vec<Firing> {
    let rules: serde_yaml::Value =
        serde_yaml::from_str(&project.read("out/shop.rules.yml")).unwrap();
    let ratio = |w: &str| {
        format!("(sum(rate(http_requests_total{{job=\"shop\", code=\"500\"}}[{w}])) / sum(rate(http_requests_total{{job=\"shop\"}}[{w}])))")
    };
    let mut out = Vec::new();
    for group in rules["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            let Some(long) = rule["labels"]["slo_long_window"].as_str() else {
                continue;
            };
            let short = rule["labels"]["slo_short_window"].as_str().unwrap();
            let factor = match long {
                "1h" => 14.4,
                "6h" => 6.0,
                "1d" => 3.0,
                _ => 1.0,
            };
            let threshold = factor * 0.001;
            let query = format!(
                "({} > {threshold}) and ({} > {threshold})",
                ratio(long),
                ratio(short)
            );
            let steps = steps_where(url, &query, outage_at - 600, outage_at + 8 * 3_600 - 60);
            let episodes = episodes_of(&steps);
            assert_eq!(episodes.len(), 1, "{long}: {episodes:?}");
            let mut labels: serde_json::Value = serde_json::to_value(&rule["labels"]).unwrap();
            labels["alertname"] = rule["alert"].as_str().unwrap().into();
            labels["slo_service"] = "shop".into();
            labels["slo_name"] = "availability".into();
            let (from, to) = episodes[0];
            out.push(Firing {
                labels,
                from: (from - outage_at) / 60,
                to: (to - outage_at) / 60,
            });
        }
    }
    out
}

/// `text` (an Alertmanager duration) scaled to the replay's clock, in milliseconds.
fn scaled(text: &str) -> String {
    let (n, unit) = text.split_at(text.len() - 1);
    let seconds: u64 = n.parse::<u64>().unwrap()
        * match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3_600,
            "d" => 86_400,
            other => panic!("unit {other}"),
        };
    format!("{}ms", (seconds * SCALE_MS / 60).max(1))
}

/// The generated configuration with every wait and interval on the replay's clock.
fn scaled_config(generated: &str) -> String {
    fn walk(route: &mut serde_yaml::Value) {
        for key in ["group_wait", "group_interval", "repeat_interval"] {
            if let Some(text) = route.get(key).and_then(|v| v.as_str()).map(str::to_string) {
                route[key] = scaled(&text).into();
            }
        }
        if let Some(children) = route.get_mut("routes").and_then(|r| r.as_sequence_mut()) {
            children.iter_mut().for_each(walk);
        }
    }
    let mut config: serde_yaml::Value = serde_yaml::from_str(generated).unwrap();
    walk(&mut config["route"]);
    serde_yaml::to_string(&config).unwrap()
}

/// Posts the alerts firing at each minute as Prometheus's notifier would (firing ones with an
/// end a few minutes ahead, resolved ones ended now), one minute every SCALE_MS, from ten
/// minutes before the outage to `until`.
fn replay(port: u16, firings: &[Firing], until: i64) {
    let (started, base) = (Instant::now(), chrono::Utc::now());
    let real = |minute: i64| base + chrono::Duration::milliseconds((minute + 10) * SCALE_MS as i64);
    for minute in -10..=until {
        let mut alerts = Vec::new();
        for f in firings
            .iter()
            .filter(|f| f.from <= minute && minute <= f.to)
        {
            let ends = if minute < f.to {
                real(minute + 4)
            } else {
                real(minute)
            };
            alerts.push(serde_json::json!({
                "labels": f.labels, "startsAt": real(f.from).to_rfc3339(),
                "endsAt": ends.to_rfc3339(),
            }));
        }
        if !alerts.is_empty() {
            let body = serde_json::Value::Array(alerts).to_string();
            let (status, answer) = crate::alertmanager::http(port, "POST", "/api/v2/alerts", &body);
            assert_eq!(status, 200, "{answer}");
        }
        let next = started + Duration::from_millis(((minute + 11) as u64) * SCALE_MS);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
    }
}

/// (receiver, status, alerts' long windows) of each notification, in order.
type Notification = (String, String, Vec<String>);

#[test]
fn one_incident_pages_once_and_resolves_once_on_a_real_alertmanager() {
    let project = Project::new();
    let (hook, notifications) = webhook();
    project.file("specs/settings.yaml", &settings(hook));
    project.file("specs/shop.yaml", SPEC);
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    let now = now_minute();
    let (_prometheus, url) = prometheus_over(&project, &history(now), Engine::V3);
    let outage_at = (now - (HISTORY - OUTAGE) * 60) as i64;
    let firings = firings(&project, &url, outage_at);
    // The workbook's times at a 100% error ratio, computed here: a tier fires once its long
    // window holds factor x budget x window of bad minutes, and stops once the outage has left
    // its short window (each give or take the minute Prometheus's step and the window edge
    // take).
    let expected = [(1, 15), (3, 40), (5, 130), (5, 370)];
    for (f, (from, to)) in firings.iter().zip(expected) {
        let tier = &f.labels["slo_long_window"];
        assert!(
            (f.from - from).abs() <= 1 && (f.to - to).abs() <= 2,
            "{tier}: {}..{}",
            f.from,
            f.to
        );
    }
    let generated = project.read("out/alertmanager/alertmanager.yml");
    assert!(
        generated.contains(&format!("url: http://127.0.0.1:{hook}/pager\n")),
        "{generated}"
    );
    project.file("am.yml", &scaled_config(&generated));
    let am = start_alertmanager(project.path(), &project.path().join("am.yml"));
    // Past the last tier's end and a day more, so the tickets' class would have updated once.
    replay(am.port, &firings, 370 + 1_440 + 10);
    std::thread::sleep(Duration::from_millis(500));
    let got: Vec<Notification> = notifications
        .try_iter()
        .map(|n| {
            let windows = n["alerts"].as_array().unwrap().iter();
            (
                n["receiver"].as_str().unwrap().to_string(),
                n["status"].as_str().unwrap().to_string(),
                windows
                    .map(|a| a["labels"]["slo_long_window"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let row = |r: &str, s: &str, w: &[&str]| {
        (
            r.to_string(),
            s.to_string(),
            w.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
        )
    };
    // The 1h tier pages (P0) once; the 6h page (P1, another pager) and both ticket tiers are
    // held back while it fires and have ended before their class would next notify; the
    // resolution comes with the class's next update, an hour after the page.
    assert_eq!(
        got,
        [
            row("site-down", "firing", &["1h"]),
            row("site-down", "resolved", &["1h"])
        ]
    );
}
