//! The settings' `receivers`: each Alertmanager receiver's integrations (webhook, PagerDuty,
//! Slack, email, ...) as Alertmanager's own configuration writes them, carried into the
//! generated `alertmanager.yml`. Secrets are named by file (`*_file`), never written inline.

use crate::diag::{Diagnostics, Location};
use crate::spec::yaml::{location_of, scalar_location, Fields, Mapping, Node};
use crate::spec::Text;

/// One receiver's integrations as written.
#[derive(Debug, Clone)]
pub(crate) struct ReceiverSpec {
    /// The receiver's name.
    pub(crate) name: Text,
    /// Its integrations (`webhook_configs: [...]`, ...), in the order written.
    pub(crate) integrations: serde_json::Map<String, serde_json::Value>,
}

/// Alertmanager's integration lists (its `receiver` configuration, 0.25 to 0.31).
pub(crate) const INTEGRATIONS: &[&str] = &[
    "discord_configs",
    "email_configs",
    "jira_configs",
    "msteams_configs",
    "msteamsv2_configs",
    "opsgenie_configs",
    "pagerduty_configs",
    "pushover_configs",
    "rocketchat_configs",
    "slack_configs",
    "sns_configs",
    "telegram_configs",
    "victorops_configs",
    "webex_configs",
    "webhook_configs",
    "wechat_configs",
];

/// Fields Alertmanager reads as secrets that it can also read from a file named `<key>_file`.
/// A webhook's `url` is not among them: Alertmanager 0.25 (Debian 12's) has no `url_file`.
const SECRETS: &[&str] = &[
    "api_key",
    "api_secret",
    "api_url",
    "auth_password",
    "auth_secret",
    "bearer_token",
    "bot_token",
    "client_secret",
    "credentials",
    "password",
    "routing_key",
    "service_key",
    "token",
    "token_id",
    "user_key",
    "webhook_url",
];

/// `receivers: {oncall-pager: {pagerduty_configs: [...]}, ...}`.
pub(crate) fn read(fields: &Fields<'_>, diags: &mut Diagnostics) -> Vec<ReceiverSpec> {
    let Some((map, at)) = fields.mapping("receivers", diags) else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(key, node)| {
            let name = Text::new(key.as_str().to_string(), scalar_location(key, at));
            let context = format!("the receiver `{}`", name.value);
            let Node::Mapping(integrations) = node else {
                diags.push(crate::spec::diags::wrong_type(
                    location_of(node, name.location),
                    &format!("`receivers.{}` in the settings", name.value),
                    "a mapping of integrations (`webhook_configs: [...]`)",
                ));
                return None;
            };
            let f = Fields::new(integrations, name.location, &context);
            f.deny_unknown(INTEGRATIONS, diags);
            for (kind, list) in integrations.iter() {
                read_list(kind.as_str(), list, &name, diags);
            }
            Some(ReceiverSpec {
                integrations: plain_mapping(integrations),
                name,
            })
        })
        .collect()
}

/// One integration list: a list of mappings, none holding a secret inline.
fn read_list(kind: &str, list: &Node, receiver: &Text, diags: &mut Diagnostics) {
    let at = location_of(list, receiver.location);
    let entries = list.as_sequence().filter(|s| !s.is_empty());
    let Some(entries) = entries.filter(|s| s.iter().all(|n| n.as_mapping().is_some())) else {
        diags.push(crate::spec::diags::wrong_type(
            at,
            &format!("`{kind}` of the receiver `{}`", receiver.value),
            "a non-empty list of mappings",
        ));
        return;
    };
    for entry in entries.iter() {
        inline_secrets(entry, &receiver.value, at, diags);
    }
}

/// Reports every secret field written inline, at any depth (`http_config.basic_auth.password`).
fn inline_secrets(node: &Node, receiver: &str, at: Location, diags: &mut Diagnostics) {
    match node {
        Node::Mapping(map) => {
            for (key, value) in map.iter() {
                let loc = scalar_location(key, at);
                if SECRETS.contains(&key.as_str()) && value.as_scalar().is_some() {
                    diags.push(crate::spec::diags::inline_secret(
                        loc,
                        key.as_str(),
                        receiver,
                    ));
                } else {
                    inline_secrets(value, receiver, loc, diags);
                }
            }
        }
        Node::Sequence(items) => {
            for item in items.iter() {
                inline_secrets(item, receiver, at, diags);
            }
        }
        Node::Scalar(_) => {}
    }
}

fn plain_mapping(map: &Mapping) -> serde_json::Map<String, serde_json::Value> {
    map.iter()
        .map(|(k, v)| (k.as_str().to_string(), plain(v)))
        .collect()
}

/// A node as a plain value, an unquoted scalar typed as YAML 1.2's core schema reads it.
fn plain(node: &Node) -> serde_json::Value {
    use serde_json::Value;
    match node {
        Node::Scalar(s) if s.may_coerce() => {
            if matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL") {
                Value::Null
            } else if let Some(b) = s.as_bool() {
                Value::Bool(b)
            } else if let Some(i) = s.as_i64() {
                Value::from(i)
            } else {
                s.as_f64()
                    .and_then(serde_json::Number::from_f64)
                    .map_or_else(|| Value::String(s.as_str().to_string()), Value::Number)
            }
        }
        Node::Scalar(s) => Value::String(s.as_str().to_string()),
        Node::Sequence(items) => Value::Array(items.iter().map(plain).collect()),
        Node::Mapping(map) => Value::Object(plain_mapping(map)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (Vec<ReceiverSpec>, Vec<String>) {
        let mut diags = Diagnostics::default();
        let docs = crate::spec::yaml::load_documents(0, text, &mut diags);
        let fields = Fields::new(&docs[0].root, docs[0].location, "the settings");
        let read = read(&fields, &mut diags);
        let codes = diags
            .sorted()
            .into_iter()
            .map(|d| format!("{}@{}", d.code, d.location.map_or(0, |l| l.line)))
            .collect();
        (read, codes)
    }

    #[test]
    fn integrations_are_carried_whole_with_their_types() {
        let (read, codes) = read_text("receivers:\n  pager:\n    webhook_configs:\n      - url: http://hook.example/p\n        send_resolved: true\n        max_alerts: 0\n        http_config: {basic_auth: {username: u, password_file: /s/p}}\n");
        assert_eq!(codes, Vec::<String>::new());
        let text = crate::output::yaml::to_string(&read[0].integrations).unwrap();
        assert_eq!(text, "webhook_configs:\n- http_config:\n    basic_auth:\n      password_file: /s/p\n      username: u\n  max_alerts: 0\n  send_resolved: true\n  url: http://hook.example/p\n");
    }

    #[test]
    fn inline_secrets_unknown_integrations_and_bad_shapes_are_each_reported() {
        let (_, codes) = read_text("receivers:\n  pager:\n    pagerduty_configs:\n      - routing_key: abc\n        http_config:\n          authorization: {credentials: xyz}\n    webhook_config:\n      - url: http://x\n  chat: slack\n  tickets:\n    email_configs: []\n");
        assert_eq!(
            codes,
            [
                "inline-secret@4",
                "inline-secret@6",
                "unknown-key@7",
                "wrong-type@9",
                "wrong-type@11",
            ]
        );
    }
}
