//! Text templates (Handlebars) embedded from `targets/`: strict, no HTML escaping, typed contexts.

use handlebars::Handlebars;
use serde::Serialize;

/// The generated region of a runbook.
pub const RUNBOOK_GENERATED: &str = "runbook/generated.md.hbs";
/// A new runbook around its generated region.
pub const RUNBOOK_SCAFFOLD: &str = "runbook/scaffold.md.hbs";

/// Built-in templates: (name, source). The names are their paths under `targets/`.
pub const BUILTIN: &[(&str, &str)] = &[
    (
        "prometheus/alert-summary.hbs",
        include_str!("../targets/prometheus/alert-summary.hbs"),
    ),
    (
        "prometheus/alert-description.hbs",
        include_str!("../targets/prometheus/alert-description.hbs"),
    ),
    (
        RUNBOOK_GENERATED,
        include_str!("../targets/runbook/generated.md.hbs"),
    ),
    (
        RUNBOOK_SCAFFOLD,
        include_str!("../targets/runbook/scaffold.md.hbs"),
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
}

impl Templates {
    /// The built-in templates.
    pub fn builtin() -> Result<Self, Error> {
        Self::with_overrides(None)
    }

    /// The built-in templates, each replaced by the file of the same name under `dir` when it
    /// exists (`dir/runbook/generated.md.hbs` overrides that one template only).
    pub fn with_overrides(dir: Option<&std::path::Path>) -> Result<Self, Error> {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        for (name, builtin) in BUILTIN {
            let (shown, source) = match dir.map(|d| d.join(name)).filter(|p| p.exists()) {
                Some(path) => {
                    let shown = crate::pipeline::display(&path);
                    let text = std::fs::read_to_string(&path).map_err(|e| Error::Io {
                        name: shown.clone(),
                        message: e.to_string(),
                    })?;
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
        Ok(Self { registry })
    }

    /// Renders template `name` with `data`.
    pub fn render(&self, name: &str, data: &Data) -> Result<String, Error> {
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
    pub fn init(dir: &std::path::Path) -> std::io::Result<(Vec<String>, Vec<String>)> {
        let (mut written, mut kept) = (Vec::new(), Vec::new());
        for (name, source) in BUILTIN {
            let path = dir.join(name);
            if path.exists() {
                kept.push(crate::pipeline::display(&path));
                continue;
            }
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&path, source)?;
            written.push(crate::pipeline::display(&path));
        }
        Ok((written, kept))
    }
}

/// A typed context converted once for rendering, so that several templates (and several
/// variants of one, such as an alert's tiers) reuse it instead of converting it each time.
pub struct Data(handlebars::Context);

impl Data {
    /// Converts `context`, which must serialize to a map.
    pub fn new<T: Serialize>(context: &T) -> Self {
        let mut data = Self(handlebars::Context::null());
        data.set(context);
        data
    }

    /// Adds or replaces the fields of `fields`, which must serialize to a map.
    pub fn set<T: Serialize>(&mut self, fields: &T) {
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

/// The built-in templates, parsed once per process.
pub fn builtin() -> &'static Templates {
    static BUILTIN_TEMPLATES: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
    BUILTIN_TEMPLATES.get_or_init(|| {
        Templates::builtin().expect("built-in templates parse; a unit test checks them")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_templates_parse() {
        assert!(Templates::builtin().is_ok());
    }

    #[test]
    fn unknown_variables_are_errors_not_blanks() {
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry
            .register_template_string("t", "{{missing}}")
            .unwrap();
        let templates = Templates { registry };
        let err = templates
            .render("t", &Data::new(&serde_json::json!({})))
            .unwrap_err();
        assert!(err.to_string().contains("template `t`"), "{err}");
    }
}
