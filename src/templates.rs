//! Text templates (Handlebars) embedded from `targets/`: strict, no HTML escaping, typed contexts.

use handlebars::Handlebars;
use serde::Serialize;

/// Built-in templates: (name, source).
const BUILTIN: &[(&str, &str)] = &[
    (
        "prometheus/alert-summary.hbs",
        include_str!("../targets/prometheus/alert-summary.hbs"),
    ),
    (
        "prometheus/alert-description.hbs",
        include_str!("../targets/prometheus/alert-description.hbs"),
    ),
];

/// Why a template failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
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
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.register_escape_fn(handlebars::no_escape);
        for (name, source) in BUILTIN {
            registry
                .register_template_string(name, source.trim_end_matches('\n'))
                .map_err(|e| Error::Syntax {
                    name: (*name).to_string(),
                    message: e.to_string(),
                })?;
        }
        Ok(Self { registry })
    }

    /// Renders template `name` with `context`.
    pub fn render<T: Serialize>(&self, name: &str, context: &T) -> Result<String, Error> {
        self.registry
            .render(name, context)
            .map_err(|e| Error::Render {
                name: name.to_string(),
                message: e.to_string(),
            })
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
        let err = templates.render("t", &serde_json::json!({})).unwrap_err();
        assert!(err.to_string().contains("template `t`"), "{err}");
    }
}
