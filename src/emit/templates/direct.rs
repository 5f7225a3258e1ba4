//! Direct rendering of templates that only print values and branch or loop on them.
//!
//! Handlebars resolves every `{{name}}` through a general path lookup (helper check, path
//! strings, escaping), which made template rendering the largest cost of a large compile:
//! ten thousand SLOs render 80,000 alert annotations and 10,000 runbook regions. Templates made
//! only of text, `{{name}}`, `{{#if name}}` / `{{#unless name}}` and `{{#each name}}` (with
//! optional `{{else}}`) are rendered here instead, from the tree Handlebars parsed, with
//! Handlebars' own truthiness and value printing. Anything else (helpers, paths such as
//! `../x` or `@index`, partials, hash arguments) leaves the template to Handlebars, and so does
//! any surprise at render time (a missing value, `each` over a non-list), so errors and their
//! messages stay Handlebars'. Tests check both paths give the same text.

use handlebars::template::{HelperTemplate, Parameter, Template, TemplateElement};
use handlebars::{JsonRender, JsonTruthy, Path, PathSeg};
use serde_json::Value;

/// A template reduced to what [`render`] handles.
#[derive(Debug, PartialEq)]
pub(super) enum Node {
    /// Literal text (Handlebars has already applied whitespace control and standalone lines).
    Text(String),
    /// `{{name}}`: a value of the current scope.
    Value(String),
    /// `{{#if name}}` (or `unless` when `positive` is false), with its `{{else}}` part.
    If {
        name: String,
        positive: bool,
        then: Vec<Node>,
        otherwise: Vec<Node>,
    },
    /// `{{#each name}}` over a list, each item the scope of `body`; `otherwise` when empty.
    Each {
        name: String,
        body: Vec<Node>,
        otherwise: Vec<Node>,
    },
}

/// The name of a one-segment path such as `severity` (not `this`, `../x`, `a.b` or `@index`).
fn simple_name(parameter: &Parameter) -> Option<&str> {
    match parameter {
        Parameter::Path(Path::Relative((segments, _))) => match segments.as_slice() {
            [PathSeg::Named(name)] if name != "this" => Some(name),
            _ => None,
        },
        _ => None,
    }
}

/// The one simple-name parameter of a block helper with no hash or block parameters.
fn block_subject(helper: &HelperTemplate) -> Option<&str> {
    match helper.params.as_slice() {
        [parameter] if helper.hash.is_empty() && helper.block_param.is_none() && !helper.chain => {
            simple_name(parameter)
        }
        _ => None,
    }
}

fn part(template: Option<&Template>, is_value: &dyn Fn(&str) -> bool) -> Option<Vec<Node>> {
    template.map_or(Some(Vec::new()), |t| compile(t, is_value))
}

/// The nodes of `template` when it is all within the subset; `is_value` says whether a bare
/// `{{name}}` prints a value (rather than calling a helper of that name).
pub(super) fn compile(template: &Template, is_value: &dyn Fn(&str) -> bool) -> Option<Vec<Node>> {
    let mut nodes = Vec::new();
    for element in &template.elements {
        match element {
            TemplateElement::RawString(text) => nodes.push(Node::Text(text.clone())),
            TemplateElement::Comment(_) => {}
            TemplateElement::Expression(helper) | TemplateElement::HtmlExpression(helper) => {
                let plain = helper.params.is_empty()
                    && helper.hash.is_empty()
                    && helper.block_param.is_none()
                    && helper.template.is_none()
                    && !helper.block;
                let name = simple_name(&helper.name).filter(|n| plain && is_value(n))?;
                nodes.push(Node::Value(name.to_string()));
            }
            TemplateElement::HelperBlock(helper) => {
                let Parameter::Name(kind) = &helper.name else {
                    return None;
                };
                let name = block_subject(helper)?.to_string();
                let body = part(helper.template.as_ref(), is_value)?;
                let otherwise = part(helper.inverse.as_ref(), is_value)?;
                nodes.push(match kind.as_str() {
                    "if" | "unless" => Node::If {
                        name,
                        positive: kind == "if",
                        then: body,
                        otherwise,
                    },
                    "each" => Node::Each {
                        name,
                        body,
                        otherwise,
                    },
                    _ => return None,
                });
            }
            _ => return None,
        }
    }
    Some(nodes)
}

/// Renders `nodes` with `scope`; `None` when Handlebars must decide (a missing value, `each`
/// over something that is not a list).
pub(super) fn render(nodes: &[Node], scope: &Value, out: &mut String) -> Option<()> {
    for node in nodes {
        match node {
            Node::Text(text) => out.push_str(text),
            Node::Value(name) => match scope.as_object()?.get(name)? {
                Value::String(text) => out.push_str(text),
                other => out.push_str(&other.render()),
            },
            Node::If {
                name,
                positive,
                then,
                otherwise,
            } => {
                let truthy = scope.as_object()?.get(name)?.is_truthy(false);
                render(
                    if truthy == *positive { then } else { otherwise },
                    scope,
                    out,
                )?;
            }
            Node::Each {
                name,
                body,
                otherwise,
            } => {
                let items = scope.as_object()?.get(name)?.as_array()?;
                if items.is_empty() {
                    render(otherwise, scope, out)?;
                }
                for item in items {
                    render(body, item, out)?;
                }
            }
        }
    }
    Some(())
}
