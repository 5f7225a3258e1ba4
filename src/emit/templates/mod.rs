//! Text templates (Handlebars) embedded from `targets/`: strict, no HTML escaping, typed contexts.

use std::collections::HashMap;

use handlebars::Handlebars;
use serde::Serialize;

mod direct;

/// The generated region of a runbook.
pub(crate) const RUNBOOK_GENERATED: &str = "runbook/generated.md.hbs";
/// A new runbook around its generated region.
pub(crate) const RUNBOOK_SCAFFOLD: &str = "runbook/scaffold.md.hbs";
/// The HTML report's page (`slocc report`).
pub(crate) const REPORT_PAGE: &str = "report/page.html.hbs";

/// Built-in templates: (name, source). The names are their paths under `targets/`.
pub(crate) const BUILTIN: &[(&str, &str)] = &[
    (
        "prometheus/alert-summary.hbs",
        include_str!("../../../targets/prometheus/alert-summary.hbs"),
    ),
    (
        "prometheus/alert-description.hbs",
        include_str!("../../../targets/prometheus/alert-description.hbs"),
    ),
    (
        RUNBOOK_GENERATED,
        include_str!("../../../targets/runbook/generated.md.hbs"),
    ),
    (
        RUNBOOK_SCAFFOLD,
        include_str!("../../../targets/runbook/scaffold.md.hbs"),
    ),
    (
        REPORT_PAGE,
        include_str!("../../../targets/report/page.html.hbs"),
    ),
];

/// Why a template failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An override could not be read.
    #[error("cannot read template `{name}`: {message}")]
    Io {
        /// Template file.
        name: String,
        /// Why.
        message: String,
    },
    /// The template does not parse.
    #[error("template `{name}`: {message}")]
    Syntax {
        /// Template file name.
        name: String,
        /// The parser's message, with line and column.
        message: String,
    },
    /// Rendering failed (an unknown variable in strict mode, for example).
    #[error("template `{name}`: {message}")]
    Render {
        /// Template file name.
        name: String,
        /// What went wrong.
        message: String,
    },
}

/// A set of registered templates.
pub struct Templates {
    registry: Handlebars<'static>,
    /// The templates simple enough to render directly ([`direct`]), by name.
    direct: HashMap<String, Vec<direct::Node>>,
    /// The templates read from an overrides directory, by name, with their text.
    overridden: Vec<(String, String)>,
}

impl Templates {
    /// The built-in templates.
    pub fn builtin() -> Result<Self, Error> {
        Self::with_overrides(None)
    }

    /// The built-in templates, each replaced by the file of the same name under `dir` when it
    /// exists (`dir/runbook/generated.md.hbs` overrides that one template only).
    pub(crate) fn with_overrides(dir: Option<&std::path::Path>) -> Result<Self, Error> {
        let mut registry = engine();
        let mut overridden = Vec::new();
        for (name, builtin) in BUILTIN {
            let (shown, source) = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                Some(path) => {
                    let shown = crate::vocab::path::display(&path);
                    let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
                        name: shown.clone(),
                        message: e.to_string(),
                    })?;
                    overridden.push((name.to_string(), text.clone()));
                    (shown, text)
                }
                None => (format!("built-in {name}"), (*builtin).to_string()),
            };
            let source = if name.starts_with("prometheus/") {
                source.trim_end_matches('\n').to_string()
            } else {
                source
            };
            registry
                .register_template_string(name, source)
                .map_err(|e| Error::Syntax {
                    name: shown.clone(),
                    message: describe_template_error(&e),
                })?;
        }
        Ok(Self::new(registry, overridden))
    }

    /// The templates read from an overrides directory, with their text, in the built-in order.
    pub(crate) fn overridden(&self) -> &[(String, String)] {
        &self.overridden
    }

    /// Wraps a registry, finding which of its templates render directly.
    fn new(registry: Handlebars<'static>, overridden: Vec<(String, String)>) -> Self {
        let is_value = |name: &str| prints_value(&registry, name);
        let direct = registry
            .get_templates()
            .iter()
            .filter_map(|(name, template)| {
                Some((name.clone(), direct::compile(template, &is_value)?))
            })
            .collect();
        Self {
            registry,
            direct,
            overridden,
        }
    }

    /// Renders template `name` with `data`.
    pub(crate) fn render(&self, name: &str, data: &Data) -> Result<String, Error> {
        if let Some(nodes) = self.direct.get(name) {
            let mut out = String::with_capacity(1024);
            if direct::render(nodes, data.0.data(), &mut out).is_some() {
                return Ok(out);
            }
        }
        self.render_with_handlebars(name, data)
    }

    fn render_with_handlebars(&self, name: &str, data: &Data) -> Result<String, Error> {
        self.registry
            .render_with_context(name, &data.0)
            .map_err(|e| Error::Render {
                name: name.to_string(),
                message: match (e.line_no, e.column_no) {
                    (Some(line), Some(column)) => {
                        format!("line {line}, column {column}: {}", e.reason())
                    }
                    _ => e.reason().to_string(),
                },
            })
    }

    /// Writes the built-in templates under `dir` for editing; existing files are kept.
    /// Returns the paths written and those left alone.
    pub(crate) fn init(dir: &std::path::Path) -> std::io::Result<(Vec<String>, Vec<String>)> {
        let (mut written, mut kept) = (Vec::new(), Vec::new());
        for (name, source) in BUILTIN {
            let path = dir.join(name);
            if path.exists() {
                kept.push(crate::vocab::path::display(&path));
                continue;
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, source)?;
            written.push(crate::vocab::path::display(&path));
        }
        Ok((written, kept))
    }
}

/// Handlebars as slocc uses it: strict (an unknown variable is an error) and no HTML escaping.
fn engine() -> Handlebars<'static> {
    let mut registry = Handlebars::new();
    registry.set_strict_mode(true);
    registry.register_escape_fn(handlebars::no_escape);
    registry
}

/// Whether `{{name}}` prints the value `name` rather than calling a helper of that name: asked
/// of Handlebars itself, so the answer follows whatever helpers it has.
fn prints_value(registry: &Handlebars<'_>, name: &str) -> bool {
    const PROBE: &str = "\u{1}slocc-probe";
    let mut context = serde_json::Map::new();
    context.insert(name.to_string(), PROBE.into());
    registry
        .render_template(&format!("{{{{{name}}}}}"), &context)
        .is_ok_and(|out| out == PROBE)
}

/// A typed context converted once for rendering, so that several templates (and several
/// variants of one, such as an alert's tiers) reuse it instead of converting it each time.
pub(crate) struct Data(handlebars::Context);

impl Data {
    /// Converts `context`, which must serialize to a map.
    pub(crate) fn new<T: Serialize>(context: &T) -> Self {
        let mut data = Self(handlebars::Context::null());
        data.set(context);
        data
    }

    /// Adds or replaces the fields of `fields`, which must serialize to a map.
    pub(crate) fn set<T: Serialize>(&mut self, fields: &T) {
        let serde_json::Value::Object(fields) =
            serde_json::to_value(fields).expect("template contexts are plain serde structs")
        else {
            unreachable!("template contexts serialize to maps")
        };
        match self.0.data_mut() {
            serde_json::Value::Object(map) => map.extend(fields),
            data => *data = serde_json::Value::Object(fields),
        }
    }
}

/// A template syntax error with its line and column.
fn describe_template_error(e: &handlebars::TemplateError) -> String {
    match e.pos() {
        Some((line, column)) => format!("line {line}, column {column}: {}", e.reason()),
        None => e.reason().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_parse() {
        assert!(Templates::builtin().is_ok());
    }

    /// The templates rendered once per alert or per SLO render directly; the report's page,
    /// rendered once per report, uses paths (`now.sli`) and `this` and is left to Handlebars.
    #[test]
    fn builtin_templates_render_directly() {
        let templates = Templates::builtin().unwrap();
        for (name, _) in BUILTIN {
            let direct = templates.direct.contains_key(*name);
            assert_eq!(direct, *name != REPORT_PAGE, "{name}");
        }
    }

    /// Renders `source` with `context` directly (when it is in the subset) and through
    /// Handlebars; both must agree, errors included.
    fn both_ways(source: &str, context: &serde_json::Value) -> (bool, Result<String, String>) {
        let mut registry = engine();
        registry.register_template_string("t", source).unwrap();
        let templates = Templates::new(registry, Vec::new());
        let data = Data::new(context);
        let direct = templates.render("t", &data).map_err(|e| e.to_string());
        let engine = templates
            .render_with_handlebars("t", &data)
            .map_err(|e| e.to_string());
        assert_eq!(direct, engine, "{source:?} with {context}");
        (templates.direct.contains_key("t"), direct)
    }

    #[test]
    fn direct_rendering_matches_handlebars() {
        let context = serde_json::json!({
            "name": "api \"x\" {{y}}",
            "count": 3,
            "zero": 0,
            "ratio": 0.25,
            "yes": true,
            "no": false,
            "nothing": null,
            "empty": "",
            "none": [],
            "rows": [
                {"a": "1", "b": true, "inner": [{"c": "x"}, {"c": "y"}]},
                {"a": "2", "b": false, "inner": []}
            ],
            "object": {"k": "v"}
        });
        let direct = [
            "plain text only",
            "{{name}} {{count}} {{ratio}} {{yes}} {{no}} {{nothing}}|{{empty}}|",
            "{{{name}}} and {{! a comment }}{{!-- another --}} done",
            "a\n{{#if yes}}\n  kept\n{{/if}}\nb\n",
            "{{#if no}}x{{else}}y{{/if}}{{#unless no}}u{{/unless}}{{#unless yes}}z{{else}}w{{/unless}}",
            "{{#if zero}}0{{/if}}{{#if ratio}}r{{/if}}{{#if nothing}}n{{/if}}{{#if empty}}e{{/if}}",
            "{{#if none}}n{{else}}no rows{{/if}}{{#if rows}}rows{{/if}}{{#if object}}o{{/if}}",
            "{{#each rows}}\n| {{a}} | {{#if b}}yes{{else}}no{{/if}} |{{#each inner}} {{c}}{{/each}}\n{{/each}}",
            "{{#each none}}x{{else}}none{{/each}}!",
            "  {{~name~}}  \n {{~#if yes~}} t {{~/if~}} end",
            "{{#each rows}}{{missing}}{{/each}}",
            "{{#each object}}{{k}}{{/each}}",
            "{{#if missing}}x{{/if}}",
            "{{missing}}",
        ];
        for source in direct {
            assert!(
                both_ways(source, &context).0,
                "not rendered directly: {source:?}"
            );
        }
        let handlebars_only = [
            "{{#each rows}}{{@index}}:{{a}} {{/each}}",
            "{{#each rows}}{{../name}}{{/each}}",
            "{{#each rows as |row|}}{{row.a}}{{/each}}",
            "{{object.k}}",
            "{{#each rows}}{{this}}{{/each}}",
            "{{len rows}}",
            "{{#if (eq count 3)}}three{{/if}}",
            "{{#with object}}{{k}}{{/with}}",
            "{{#if zero includeZero=true}}zero{{/if}}",
            "{{#if no}}a{{else if yes}}b{{/if}}",
        ];
        for source in handlebars_only {
            assert!(
                !both_ways(source, &context).0,
                "rendered directly: {source:?}"
            );
        }
    }

    #[test]
    fn a_variable_named_like_a_helper_calls_the_helper() {
        let context = serde_json::json!({"len": "value", "lookup": "value"});
        for source in ["{{len}}", "{{lookup}}", "{{log}}"] {
            assert!(!both_ways(source, &context).0, "{source}");
        }
    }

    #[test]
    fn unknown_variables_are_errors_not_blanks() {
        let mut registry = engine();
        registry
            .register_template_string("t", "{{missing}}")
            .unwrap();
        let templates = Templates::new(registry, Vec::new());
        let err = templates
            .render("t", &Data::new(&serde_json::json!({})))
            .unwrap_err();
        assert!(err.to_string().contains("template `t`"), "{err}");
    }
}
