//! Severity classes from a settings document, and the Alertmanager configuration they produce,
//! proven with amtool and with a real Alertmanager on a loopback port.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::harness::{built_tool, free_port, tool, Project};

/// The current amtool (v0.35.0, built by `scripts/tools`).
fn amtool() -> std::path::PathBuf {
    built_tool("amtool")
}

/// One alert a rule can produce: its labels, with the SLO labels its series carry.
fn alerts_of(rules: &str) -> Vec<BTreeMap<String, String>> {
    let doc: serde_yaml::Value = serde_yaml::from_str(rules).unwrap();
    let selector = regex::Regex::new(r#"slo_service="([^"]+)", slo_name="([^"]+)""#).unwrap();
    let mut out = Vec::new();
    for group in doc["groups"].as_sequence().unwrap() {
        for rule in group["rules"].as_sequence().unwrap() {
            if rule.get("alert").is_none() {
                continue;
            }
            let expr = rule["expr"].as_str().unwrap();
            let ids = selector
                .captures(expr)
                .expect("alert reads an SLO's series");
            let mut labels: BTreeMap<String, String> =
                serde_yaml::from_value(rule["labels"].clone()).unwrap();
            labels.insert("alertname".into(), rule["alert"].as_str().unwrap().into());
            labels.insert("slo_service".into(), ids[1].into());
            labels.insert("slo_name".into(), ids[2].into());
            out.push(labels);
        }
    }
    out
}

/// The receiver `amtool config routes test` sends `labels` to.
fn route_of(config: &Path, labels: &BTreeMap<String, String>) -> String {
    let mut args = vec![
        "config".to_string(),
        "routes".into(),
        "test".into(),
        format!("--config.file={}", config.display()),
    ];
    args.extend(labels.iter().map(|(k, v)| format!("{k}={v}")));
    let output = Command::new(amtool()).args(&args).output().unwrap();
    assert!(output.status.success(), "{:?}", output);
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn compiled_with_settings() -> Project {
    let project = Project::new();
    // examples/oncall/settings.yaml is the settings example of the on-call readiness issue.
    project
        .with_repo_yaml("specs", "specs")
        .with_repo_yaml("examples/oncall", "specs");
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    project
}

#[test]
fn settings_classes_reach_every_alert_and_route_to_their_receivers() {
    let project = compiled_with_settings();
    let config = project.path().join("out/alertmanager/alertmanager.yml");
    check_config(&config);
    let mut seen = 0;
    for file in [
        "checkout-api",
        "nightly-billing",
        "order-consumer",
        "reference-api",
    ] {
        let rules = project.read(&format!("out/{file}.rules.yml"));
        for alert in alerts_of(&rules) {
            let want = match alert["severity"].as_str() {
                "P1" => "oncall-pager",
                "P3" => "team-tickets",
                other => panic!("severity {other} in {alert:?}"),
            };
            assert_eq!(route_of(&config, &alert), want, "{alert:?}");
            seen += 1;
        }
    }
    assert!(seen >= 20, "{seen} alerts");
    let rules = project.read("out/checkout-api.rules.yml");
    assert!(rules.contains("response: within 1 hour"), "{rules}");
    assert!(rules.contains("response: next business day"), "{rules}");
    assert!(rules.contains(
        "runbook_url: https://git.example.com/ops/slos/blob/main/runbooks/checkout-api/availability.md"
    ), "{rules}");
    project.slocc(&["compile"]).expect_code(0);
    let runbook = project.read("runbooks/checkout-api/availability.md");
    for expected in [
        "- **P1** (pages): the budget is burning fast; respond within 1 hour.",
        "- **P3**: a slower burn; respond next business day.",
        "| P1 | 1h/5m | 14.4x |",
        "Dashboard: [checkout-api](https://grafana.example.com/d/slocc-checkout-api)",
    ] {
        assert!(runbook.contains(expected), "{expected}\n{runbook}");
    }
    let explain = project.slocc(&[
        "explain",
        "--service",
        "checkout-api",
        "--slo",
        "availability",
    ]);
    assert!(
        explain.stdout.contains("P1 pages: respond within 1 hour"),
        "{}",
        explain.stdout
    );
}

#[test]
fn the_route_part_alone_merges_into_an_existing_configuration() {
    let project = compiled_with_settings();
    let part: serde_yaml::Value =
        serde_yaml::from_str(&project.read("out/alertmanager/routes.yml")).unwrap();
    let existing = format!(
        "route:\n  receiver: default\n  routes:\n  - {}\ninhibit_rules: {}\nreceivers:\n- name: default\n- name: oncall-pager\n- name: team-tickets\n",
        serde_json::to_string(&part["route"]).unwrap(),
        serde_json::to_string(&part["inhibit_rules"]).unwrap()
    );
    project.file("merged.yml", &existing);
    let merged = project.path().join("merged.yml");
    check_config(&merged);
    let page = BTreeMap::from([
        ("severity".to_string(), "P1".to_string()),
        ("slo_service".into(), "checkout-api".into()),
        ("slo_name".into(), "availability".into()),
    ]);
    assert_eq!(route_of(&merged, &page), "oncall-pager");
    let other = BTreeMap::from([("severity".to_string(), "P1".to_string())]);
    assert_eq!(
        route_of(&merged, &other),
        "default",
        "alerts not from slocc"
    );
}

/// A webhook receiver: every notification's receiver name and alerts' labels, in order.
pub(crate) fn webhook() -> (u16, mpsc::Receiver<serde_json::Value>) {
    let (port, requests) = crate::harness::serve(|_| (200, "text/plain", String::new()));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for seen in requests {
            if let Ok(value) = serde_json::from_str(&seen.body) {
                let _ = tx.send(value);
            }
        }
    });
    (port, rx)
}

/// The generated configuration with each receiver posting to the webhook, and a short wait.
fn config_for_test(generated: &str, port: u16) -> String {
    let mut config: serde_yaml::Value = serde_yaml::from_str(generated).unwrap();
    for receiver in config["receivers"].as_sequence_mut().unwrap() {
        let name = receiver["name"].as_str().unwrap().to_string();
        receiver["webhook_configs"] = serde_yaml::from_str(&format!(
            "[{{url: 'http://127.0.0.1:{port}/{name}', send_resolved: false}}]"
        ))
        .unwrap();
    }
    // Only the waits change: a test cannot sit through Alertmanager's 30-second group wait.
    config["route"]["routes"][0]["group_wait"] = "1s".into();
    serde_yaml::to_string(&config).unwrap()
}

pub(crate) struct Alertmanager {
    child: Child,
    pub(crate) port: u16,
}

impl Drop for Alertmanager {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn start_alertmanager(dir: &Path, config: &Path) -> Alertmanager {
    let port = free_port();
    // The newest Alertmanager that builds by module name (v0.31.1, `scripts/tools`).
    let child = Command::new(built_tool("alertmanager"))
        .args([
            format!("--config.file={}", config.display()),
            format!("--storage.path={}", dir.join("am-data").display()),
            format!("--web.listen-address=127.0.0.1:{port}"),
            "--cluster.listen-address=".into(),
            "--log.level=warn".into(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start Alertmanager");
    let am = Alertmanager { child, port };
    let deadline = Instant::now() + Duration::from_secs(20);
    while http(am.port, "GET", "/-/ready", "").0 != 200 {
        assert!(
            Instant::now() < deadline,
            "Alertmanager did not become ready"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    am
}

/// A minimal HTTP/1.1 request on loopback: status and body.
pub(crate) fn http(port: u16, method: &str, path: &str, body: &str) -> (u16, String) {
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
    (status, body)
}

fn alert(severity: &str, slo: &str, long: &str) -> serde_json::Value {
    serde_json::json!({"labels": {
        "alertname": "CheckoutApiBudgetBurn", "severity": severity,
        "slo_service": "checkout-api", "slo_name": slo, "slo_long_window": long
    }})
}

#[test]
fn a_real_alertmanager_notifies_once_per_incident_and_routes_by_class() {
    let project = compiled_with_settings();
    let (hook, notifications) = webhook();
    let generated = project.read("out/alertmanager/alertmanager.yml");
    project.file("am.yml", &config_for_test(&generated, hook));
    let am = start_alertmanager(project.path(), &project.path().join("am.yml"));
    // One incident on availability: both page tiers and a ticket tier fire; latency only tickets.
    let alerts = serde_json::json!([
        alert("P1", "availability", "1h"),
        alert("P1", "availability", "6h"),
        alert("P3", "availability", "1d"),
        alert("P3", "latency", "1d"),
    ]);
    let (status, body) = http(am.port, "POST", "/api/v2/alerts", &alerts.to_string());
    assert_eq!(status, 200, "{body}");
    let mut got: Vec<(String, String, String)> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while got.len() < 2 && Instant::now() < deadline {
        if let Ok(n) = notifications.recv_timeout(Duration::from_millis(500)) {
            for a in n["alerts"].as_array().unwrap() {
                got.push((
                    n["receiver"].as_str().unwrap().into(),
                    a["labels"]["slo_name"].as_str().unwrap().into(),
                    a["labels"]["slo_long_window"].as_str().unwrap().into(),
                ));
            }
        }
    }
    // Anything more would have arrived with the first notifications of each group.
    if let Ok(n) = notifications.recv_timeout(Duration::from_secs(3)) {
        panic!("unexpected notification {n}");
    }
    got.sort();
    let row = |r: &str, s: &str, l: &str| (r.to_string(), s.to_string(), l.to_string());
    assert_eq!(
        got,
        [
            row("oncall-pager", "availability", "1h"),
            row("team-tickets", "latency", "1d")
        ]
    );
    let (_, listed) = http(am.port, "GET", "/api/v2/alerts", "");
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let inhibited: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["status"]["inhibitedBy"].as_array().unwrap().is_empty())
        .map(|a| {
            format!(
                "{}/{}",
                a["labels"]["severity"], a["labels"]["slo_long_window"]
            )
        })
        .collect();
    assert_eq!(inhibited.len(), 2, "{inhibited:?}");
}

/// The bundled specs with the on-call settings, checkout sending P1 to its own
/// `payments-pager`, and `page_labels` added to its availability SLO's page labels.
fn with_payments_pager(page_labels: &str) -> Project {
    let project = Project::new();
    project
        .with_repo_yaml("specs", "specs")
        .with_repo_yaml("examples/oncall", "specs");
    let checkout = project
        .read("specs/checkout-api.yaml")
        .replace(
            "escalation: \"#payments-oncall\"\n",
            "escalation: \"#payments-oncall\"\nreceivers: {P1: payments-pager}\n",
        )
        .replace(
            "          routing_key: payments-pager\n",
            &format!("          routing_key: payments-pager\n{page_labels}"),
        );
    project.file("specs/checkout-api.yaml", &checkout);
    project
}

#[test]
fn a_service_may_route_a_class_to_its_own_receiver() {
    let project = with_payments_pager("");
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    let config = project.path().join("out/alertmanager/alertmanager.yml");
    check_config(&config);
    let alert = |service: &str, severity: &str| {
        BTreeMap::from([
            ("severity".to_string(), severity.to_string()),
            ("slo_service".into(), service.into()),
            ("slo_name".into(), "availability".into()),
        ])
    };
    assert_eq!(
        route_of(&config, &alert("checkout-api", "P1")),
        "payments-pager"
    );
    assert_eq!(
        route_of(&config, &alert("checkout-api", "P3")),
        "team-tickets"
    );
    assert_eq!(
        route_of(&config, &alert("order-consumer", "P1")),
        "oncall-pager"
    );
}

/// `amtool check-config` accepts the configuration at `path`, on Debian's Alertmanager 0.25
/// and on the current release: users run both.
pub(crate) fn check_config(path: &Path) {
    for amtool in [tool("amtool", "prometheus-alertmanager"), amtool()] {
        let check = Command::new(&amtool)
            .args(["check-config", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(check.status.success(), "{}: {check:?}", amtool.display());
    }
}

/// Settings that declare every receiver's integrations, secrets by file.
const DELIVERING: &str = "receivers:\n  oncall-pager:\n    pagerduty_configs:\n      - routing_key_file: /etc/alertmanager/secrets/pagerduty\n        send_resolved: true\n  team-tickets:\n    webhook_configs: [{url: 'https://tickets.example.com/hook', max_alerts: 20}]\n    email_configs:\n      - to: team@example.com\n        from: alerts@example.com\n        smarthost: smtp.example.com:587\n        auth_username: alerts\n        auth_password_file: /etc/alertmanager/secrets/smtp\n  payments-pager:\n    slack_configs: [{api_url_file: /etc/alertmanager/secrets/slack, channel: '#payments'}]\n";

#[test]
fn receivers_declared_in_the_settings_deliver_and_both_alertmanagers_accept_them() {
    let project = with_payments_pager("");
    let settings = project.read("specs/settings.yaml");
    project.file("specs/settings.yaml", &format!("{settings}{DELIVERING}"));
    let run = project.slocc(&["compile", "--no-runbooks"]);
    run.expect_code(0);
    let config = project.path().join("out/alertmanager/alertmanager.yml");
    check_config(&config);
    let text = project.read("out/alertmanager/alertmanager.yml");
    assert!(!text.contains("notifies no one"), "{text}");
    let parsed: serde_yaml::Value = serde_yaml::from_str(&text).unwrap();
    let receiver = |name: &str| {
        parsed["receivers"]
            .as_sequence()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        receiver("oncall-pager")["pagerduty_configs"][0]["routing_key_file"],
        "/etc/alertmanager/secrets/pagerduty"
    );
    assert_eq!(
        receiver("team-tickets")["webhook_configs"][0]["max_alerts"],
        20
    );
    assert_eq!(
        receiver("payments-pager")["slack_configs"][0]["channel"],
        "#payments"
    );
    // The route part carries them too, to append to a configuration of one's own.
    let part: serde_yaml::Value =
        serde_yaml::from_str(&project.read("out/alertmanager/routes.yml")).unwrap();
    assert_eq!(part["receivers"].as_sequence().unwrap().len(), 3);
    // No audit gap for delivery once the settings deliver.
    let audit = project.slocc(&["audit", "--format", "json"]);
    assert!(!audit.stdout.contains("no-delivery"), "{}", audit.stdout);
}

#[test]
fn an_inline_secret_an_undelivered_and_an_unused_receiver_are_each_named_at_their_line() {
    let project = Project::new();
    project.file("specs/settings.yaml", "apiVersion: slocc/v1\nkind: Settings\nrunbook_base_url: https://r.example.com\nseverities:\n  - {name: P1, page: true, receiver: pager}\n  - {name: P3, receiver: tickets}\nreceivers:\n  pager:\n    pagerduty_configs: [{routing_key: 0123abcd}]\n  ticket:\n    webhook_configs: [{url: 'https://t.example.com'}]\n");
    project.file("specs/api.yaml", "apiVersion: slocc/v1\nservice: api\nslos:\n  - name: availability\n    objective: 99.9\n    sli:\n      raw:\n        error_ratio: sum(rate(errors_total[{{window}}])) / sum(rate(requests_total[{{window}}]))\n");
    let run = project.slocc(&["check"]);
    run.expect_code(1);
    assert_eq!(run.headlines(), "specs/settings.yaml:6:26: error[undelivered-receiver]: the severity class `P3` sends alerts to the receiver `tickets`, which has no integration under the settings' `receivers`: they would reach no one\nspecs/settings.yaml:9:26: error[inline-secret]: `routing_key` of the receiver `pager` is a secret written inline\nspecs/settings.yaml:10:3: warning[unused-receiver]: the receiver `ticket` is declared but no severity class or service sends alerts to it\n");
    assert!(
        run.stderr
            .contains("= hint: alerts go to `tickets`: did you mean it?"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("--> specs/settings.yaml:9:26\n"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "= hint: write `routing_key_file:` with the path of a file Alertmanager reads"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn a_renamed_severity_label_keeps_the_services_own_receiver() {
    // The page tier's `severity` label renamed, as a label of the SLO's page alerts.
    let project = with_payments_pager("          severity: critical\n");
    project.slocc(&["compile", "--no-runbooks"]).expect_code(0);
    let config = project.path().join("out/alertmanager/alertmanager.yml");
    check_config(&config);
    let rules = project.read("out/checkout-api.rules.yml");
    let renamed: Vec<_> = alerts_of(&rules)
        .into_iter()
        .filter(|a| a["severity"] == "critical")
        .collect();
    assert!(!renamed.is_empty(), "{rules}");
    for labels in &renamed {
        assert_eq!(route_of(&config, labels), "payments-pager", "{labels:?}");
    }
    // Another service's page keeps the shared pager.
    let other = alerts_of(&project.read("out/order-consumer.rules.yml"));
    let page = other.iter().find(|a| a["severity"] == "P1").unwrap();
    assert_eq!(route_of(&config, page), "oncall-pager");
}
