//! YAML loading with positions: every node keeps its line and column so diagnostics point into the file.
//!
//! serde_yaml loses positions once a value has been read, so specs are loaded as marked nodes
//! (marked-yaml) and read by hand; that is also what lets one pass report every problem.

use marked_yaml::{types::MarkedScalarNode, LoaderOptions};

pub(crate) use marked_yaml::Node;

use crate::diag::{Diagnostic, Diagnostics, Location};
use crate::spec::diags;

pub(crate) use marked_yaml::types::{MarkedMappingNode as Mapping, MarkedSequenceNode as Sequence};

/// A value together with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    /// The value.
    pub(crate) value: T,
    /// Where it starts.
    pub(crate) location: Location,
}

impl<T> Spanned<T> {
    /// Wraps `value` at `location`.
    pub(crate) fn new(value: T, location: Location) -> Self {
        Self { value, location }
    }
}

/// One YAML document of a file.
#[derive(Debug)]
pub(crate) struct Document {
    /// The document's top-level mapping.
    pub(crate) root: Mapping,
    /// Where the document starts.
    pub(crate) location: Location,
}

/// Where a node starts; a node built by software (no marker) falls back to `fallback`.
///
/// A block mapping's own marker sits one column past its first key, so a mapping is placed
/// at its first key, which is where a reader looks.
pub(crate) fn location_of(node: &Node, fallback: Location) -> Location {
    if let Some(first_key) = node.as_mapping().and_then(|m| m.keys().next()) {
        return scalar_location(first_key, fallback);
    }
    node.span()
        .start()
        .map_or(fallback, |m| marker_location(m, fallback.source))
}

/// Where a scalar (such as a mapping key) starts.
pub(crate) fn scalar_location(node: &MarkedScalarNode, fallback: Location) -> Location {
    node.span()
        .start()
        .map_or(fallback, |m| marker_location(m, fallback.source))
}

fn marker_location(marker: &marked_yaml::Marker, source: usize) -> Location {
    Location {
        source,
        line: marker.line().max(1),
        column: marker.column().max(1),
    }
}

fn is_document_separator(line: &str) -> bool {
    line == "---" || line.starts_with("--- ") || line.starts_with("---\t")
}

/// Splits a file into its YAML documents and parses each into a mapping.
///
/// Documents are split on `---` lines and each is padded with blank lines, so the parser's line
/// numbers stay those of the file. A file with no document at all is an `empty-spec` error.
pub(crate) fn load_documents(source: usize, text: &str, diags: &mut Diagnostics) -> Vec<Document> {
    // A UTF-8 byte-order mark is allowed at the start (editors on Windows write one); the
    // parser would read it as part of the first key.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some(d) = control_character(source, text).or_else(|| beyond_limits(source, text)) {
        diags.push(d);
        return Vec::new();
    }
    let chunks = split_documents(text);
    let mut documents = Vec::new();
    for (start_line, chunk) in chunks {
        if !has_content(&chunk) {
            continue;
        }
        let start = Location {
            source,
            line: start_line + 1,
            column: 1,
        };
        documents.extend(parse_document(source, &chunk, start, diags));
    }
    if documents.is_empty() && !diags.has_errors() {
        diags.push(diags::empty_spec(Location {
            source,
            line: 1,
            column: 1,
        }));
    }
    documents
}

/// The file cut at `---` lines into documents, each with its first line; every chunk keeps
/// blank lines in place of what came before, so the parser counts lines of the file.
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut chunks = Vec::new();
    let mut current = String::new();
    let mut start_line = 0;
    for (index, line) in text.lines().enumerate() {
        if is_document_separator(line) {
            chunks.push((start_line, std::mem::take(&mut current)));
            start_line = index + 1;
            current = "\n".repeat(index + 1);
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    chunks.push((start_line, current));
    chunks
}

/// Parses one YAML document: a mapping is one spec document; a list of mappings (the form
/// OpenSLO's tools write) is one document per item.
fn parse_document(
    source: usize,
    chunk: &str,
    start: Location,
    diags: &mut Diagnostics,
) -> Vec<Document> {
    // Quoted scalars stay text: `name: ''` is an empty name, not an absent one.
    let options = LoaderOptions::default()
        .error_on_duplicate_keys(true)
        .prevent_coercion(true);
    let first = chunk
        .lines()
        .map(str::trim_start)
        .find(|l| !l.is_empty() && !l.starts_with('#') && *l != "---");
    let options = if first.is_some_and(|l| l == "-" || l.starts_with("- ") || l.starts_with('[')) {
        options.toplevel_sequence()
    } else {
        options
    };
    let node = match marked_yaml::parse_yaml_with_options(source, chunk, options) {
        Ok(node) => node,
        Err(error) => {
            diags.push(load_error(error, source, start));
            return Vec::new();
        }
    };
    let items: Vec<Node> = match node {
        Node::Sequence(seq) => seq.iter().cloned().collect(),
        other => vec![other],
    };
    let mut documents = Vec::new();
    for item in items {
        let location = location_of(&item, start);
        match item {
            Node::Mapping(root) => documents.push(Document { location, root }),
            _ => diags.push(diags::wrong_type(
                location,
                "a spec document",
                "a mapping (or a list of mappings)",
            )),
        }
    }
    documents
}

/// YAML allows no C0 control characters but tab, LF and CR (nor DEL); a binary file trips this.
fn control_character(source: usize, text: &str) -> Option<Diagnostic> {
    for (index, line) in text.split('\n').enumerate() {
        let found = line.chars().enumerate().find(|(_, c)| {
            // U+0085 (NEL) is a YAML line break, not a forbidden character.
            (c.is_control() && !matches!(c, '\t' | '\r' | '\u{85}'))
                || *c == '\u{feff}' && index > 0
        });
        if let Some((column, c)) = found {
            let at = Location {
                source,
                line: index + 1,
                column: column + 1,
            };
            return Some(diags::control_character(at, c));
        }
    }
    None
}

/// The largest spec file slocc reads (real specs are a few kilobytes).
pub(crate) const MAX_SPEC_BYTES: usize = 4 * 1024 * 1024;
/// The deepest nesting of YAML collections slocc reads, flow or block. The parser recurses
/// once per level; a spec needs about eight.
const MAX_YAML_DEPTH: usize = 64;

/// A file too large or too deeply nested to read safely is an error at the place it goes too
/// far, reported before the recursive parser could run out of stack.
fn beyond_limits(source: usize, text: &str) -> Option<Diagnostic> {
    let at = |line: usize, column: usize| Location {
        source,
        line,
        column,
    };
    if text.len() > MAX_SPEC_BYTES {
        return Some(diags::too_large(at(1, 1), text.len(), MAX_SPEC_BYTES));
    }
    let mut flow = 0;
    for (index, line) in text.lines().enumerate() {
        let indent = line.len() - line.trim_start_matches([' ', '-']).len();
        flow = flow_depth(line, flow);
        if indent / 2 > MAX_YAML_DEPTH || flow > MAX_YAML_DEPTH {
            return Some(diags::too_deep(at(index + 1, 1), MAX_YAML_DEPTH));
        }
    }
    None
}

/// The `[`/`{` nesting reached on a line outside quotes, starting from `depth` (flow
/// collections may span lines); the deepest point of the line when it is deeper.
fn flow_depth(line: &str, mut depth: usize) -> usize {
    let (mut deepest, mut quote) = (depth, None);
    for c in line.chars() {
        match (quote, c) {
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') => break,
            (None, '[' | '{') => {
                depth += 1;
                deepest = deepest.max(depth);
            }
            (None, ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    if deepest > MAX_YAML_DEPTH {
        deepest
    } else {
        depth
    }
}

fn has_content(chunk: &str) -> bool {
    chunk.lines().any(|line| {
        let line = line.trim();
        !line.is_empty() && !line.starts_with('#') && line != "..."
    })
}

fn load_error(error: marked_yaml::LoadError, source: usize, fallback: Location) -> Diagnostic {
    use marked_yaml::LoadError as E;
    let at = |m: &marked_yaml::Marker| marker_location(m, source);
    match error {
        E::TopLevelMustBeMapping(m) | E::TopLevelMustBeSequence(m) => {
            diags::wrong_type(at(&m), "a spec document", "a mapping")
        }
        E::UnexpectedAnchor(m) => diags::yaml_unsupported(Some(at(&m)), "anchors and aliases"),
        E::UnexpectedTag(m) => diags::yaml_unsupported(Some(at(&m)), "tags (`!name`)"),
        E::MappingKeyMustBeScalar(m) => {
            diags::yaml_syntax(Some(at(&m)), "a mapping key must be a plain scalar")
        }
        E::ScanError(m, scan) => diags::yaml_syntax(Some(at(&m)), scan.info()),
        E::DuplicateKey(inner) => diags::duplicate_key(
            scalar_location(&inner.key, fallback),
            inner.key.as_str(),
            scalar_location(&inner.prev_key, fallback),
        ),
    }
}

/// Reads a mapping's fields, reporting wrong types, missing fields and unknown keys as it goes.
pub(crate) struct Fields<'a> {
    map: &'a Mapping,
    location: Location,
    context: &'a str,
    /// The known keys that unknown ones were taken for (`objectve` -> `objective`): a required
    /// one of them is not reported missing too, since the unknown key's "did you mean" says it.
    meant: std::cell::RefCell<Vec<String>>,
}

impl<'a> Fields<'a> {
    /// Reads `map`, whose own position is `location`, described as `context` in messages
    /// (for example ``the SLO `availability` ``).
    pub(crate) fn new(map: &'a Mapping, location: Location, context: &'a str) -> Self {
        Self {
            map,
            location,
            context,
            meant: Default::default(),
        }
    }

    /// Where the mapping itself starts.
    pub(crate) fn location(&self) -> Location {
        self.location
    }

    /// Reports every key not in `known`, with a "did you mean" hint when one is close.
    pub(crate) fn deny_unknown(&self, known: &[&str], diags: &mut Diagnostics) {
        for key in self.map.keys() {
            let name = key.as_str();
            if known.contains(&name) {
                continue;
            }
            if let Some(meant) = crate::diag::did_you_mean(name, known) {
                self.meant.borrow_mut().push(meant.to_string());
            }
            diags.push(diags::unknown_key(
                scalar_location(key, self.location),
                name,
                self.context,
                known,
            ));
        }
    }

    /// The raw node under `key`, unless absent or null.
    pub(crate) fn node(&self, key: &str) -> Option<&'a Node> {
        self.map.get_node(key).filter(|n| !is_null(n))
    }

    /// Where `key` is written, or the mapping's own position.
    pub(crate) fn key_location(&self, key: &str) -> Location {
        self.map
            .keys()
            .find(|k| k.as_str() == key)
            .map_or(self.location, |k| scalar_location(k, self.location))
    }

    /// Reports `key` as missing unless it is there; whether it is.
    pub(crate) fn require(&self, key: &str, diags: &mut Diagnostics) -> bool {
        let present = self.node(key).is_some();
        if !present {
            self.missing(key, diags);
        }
        present
    }

    fn missing(&self, key: &str, diags: &mut Diagnostics) {
        if !self.meant.borrow().iter().any(|m| m == key) {
            diags.push(diags::missing_field(self.location, self.context, &[key]));
        }
    }

    fn wrong_type(&self, key: &str, node: &Node, expected: &str, diags: &mut Diagnostics) {
        diags.push(diags::wrong_type(
            location_of(node, self.location),
            &format!("`{key}` in {}", self.context),
            expected,
        ));
    }

    /// A text (scalar) field.
    pub(crate) fn string(&self, key: &str, diags: &mut Diagnostics) -> Option<Spanned<String>> {
        let node = self.node(key)?;
        match node {
            Node::Scalar(s) => Some(Spanned::new(
                s.as_str().to_string(),
                scalar_location(s, self.location),
            )),
            other => {
                self.wrong_type(key, other, "text", diags);
                None
            }
        }
    }

    /// A required text field.
    pub(crate) fn required_string(
        &self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<Spanned<String>> {
        if self.node(key).is_none() {
            self.missing(key, diags);
            return None;
        }
        self.string(key, diags)
    }

    /// A boolean field (`true` / `false`).
    pub(crate) fn bool(&self, key: &str, diags: &mut Diagnostics) -> Option<Spanned<bool>> {
        let node = self.node(key)?;
        match node.as_scalar().and_then(|s| s.as_bool()) {
            Some(value) => Some(Spanned::new(value, location_of(node, self.location))),
            None => {
                self.wrong_type(key, node, "`true` or `false`", diags);
                None
            }
        }
    }

    /// A nested mapping.
    pub(crate) fn mapping(
        &self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<(&'a Mapping, Location)> {
        let node = self.node(key)?;
        match node {
            Node::Mapping(m) => Some((m, location_of(node, self.location))),
            other => {
                self.wrong_type(key, other, "a mapping", diags);
                None
            }
        }
    }

    /// A required nested mapping.
    pub(crate) fn required_mapping(
        &self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<(&'a Mapping, Location)> {
        if self.node(key).is_none() {
            self.missing(key, diags);
            return None;
        }
        self.mapping(key, diags)
    }

    /// A sequence.
    pub(crate) fn sequence(
        &self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Option<(&'a Sequence, Location)> {
        let node = self.node(key)?;
        match node {
            Node::Sequence(s) => Some((s, location_of(node, self.location))),
            other => {
                self.wrong_type(key, other, "a list", diags);
                None
            }
        }
    }

    /// A list of texts, in document order.
    pub(crate) fn string_list(&self, key: &str, diags: &mut Diagnostics) -> Vec<Spanned<String>> {
        let Some((seq, at)) = self.sequence(key, diags) else {
            return Vec::new();
        };
        seq.iter()
            .filter_map(|node| match node {
                Node::Scalar(s) => {
                    Some(Spanned::new(s.as_str().to_string(), scalar_location(s, at)))
                }
                other => {
                    self.wrong_type(key, other, "a list of texts", diags);
                    None
                }
            })
            .collect()
    }

    /// A mapping of text to text (labels, annotations), in document order.
    pub(crate) fn string_map(
        &self,
        key: &str,
        diags: &mut Diagnostics,
    ) -> Vec<(Spanned<String>, Spanned<String>)> {
        let Some((map, _)) = self.mapping(key, diags) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (k, v) in map.iter() {
            let key_loc = scalar_location(k, self.location);
            match v {
                Node::Scalar(s) => out.push((
                    Spanned::new(k.as_str().to_string(), key_loc),
                    Spanned::new(s.as_str().to_string(), scalar_location(s, key_loc)),
                )),
                other => diags.push(diags::wrong_type(
                    location_of(other, key_loc),
                    &format!("`{key}.{}` in {}", k.as_str(), self.context),
                    "text",
                )),
            }
        }
        out
    }
}

/// Whether a node is YAML null (`~`, `null` or nothing).
fn is_null(node: &Node) -> bool {
    node.as_scalar().is_some_and(|s| {
        s.may_coerce() && matches!(s.as_str(), "" | "~" | "null" | "Null" | "NULL")
    })
}

/// `a`, `b` and `c` in backticks, for hints.
pub(crate) fn quote_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests;
