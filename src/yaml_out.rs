//! YAML output: a serde serializer for the block-style subset slocc emits.
//!
//! serde_yaml's libyaml emitter took 60% of compile time on large corpora, so outputs are
//! serialized here. Quoting is deliberately conservative: a string is written plain only when
//! it cannot be read as anything but that string by YAML 1.1 readers (Kubernetes, yaml.v2) and
//! YAML 1.2 readers alike; multi-line text is a literal block; everything else is double-quoted
//! with JSON-compatible escapes, which YAML reads back exactly.

use std::fmt::Write as _;

use serde::ser::{self, Serialize};

/// Why a value could not be written as YAML.
#[derive(Debug, thiserror::Error)]
#[error("cannot write YAML: {0}")]
pub struct Error(String);

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Serializes `value` (a struct or map at the top) as a block-style YAML document.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let node = value.serialize(NodeSerializer)?;
    let mut out = String::new();
    match &node {
        Node::Map(entries) if !entries.is_empty() => write_map(&mut out, entries, 0),
        Node::Seq(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            write_inline(&mut out, other);
            out.push('\n');
        }
    }
    Ok(out)
}

/// The serialized shape, built first so each container knows whether it is empty.
enum Node {
    Null,
    Scalar(String),
    Text(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

fn write_inline(out: &mut String, node: &Node) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Scalar(s) => out.push_str(s),
        Node::Text(s) => write_flow_string(out, s),
        Node::Seq(_) => out.push_str("[]"),
        Node::Map(_) => out.push_str("{}"),
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_map(out: &mut String, entries: &[(String, Node)], level: usize) {
    for (key, value) in entries {
        indent(out, level);
        write_flow_string(out, key);
        out.push(':');
        write_value(out, value, level);
    }
}

fn write_seq(out: &mut String, items: &[Node], level: usize) {
    for item in items {
        indent(out, level);
        out.push('-');
        match item {
            Node::Map(entries) if !entries.is_empty() => {
                // The first entry shares the dash's line; the rest align under it.
                out.push(' ');
                let mut first = String::new();
                write_map(&mut first, &entries[..1], level + 1);
                out.push_str(first.trim_start());
                write_map(out, &entries[1..], level + 1);
            }
            other => write_value(out, other, level),
        }
    }
}

/// Writes what follows `key:` or `-`: an inline scalar, a literal block, or a nested block.
fn write_value(out: &mut String, value: &Node, level: usize) {
    match value {
        Node::Map(entries) if !entries.is_empty() => {
            out.push('\n');
            write_map(out, entries, level + 1);
        }
        Node::Seq(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, level);
        }
        Node::Text(text) if literal_block_ok(text) => {
            out.push_str(if text.ends_with('\n') {
                " |\n"
            } else {
                " |-\n"
            });
            for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
                if !line.is_empty() {
                    indent(out, level + 1);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        other => {
            out.push(' ');
            write_inline(out, other);
            out.push('\n');
        }
    }
}

/// Multi-line text reads back exactly from a literal block unless it has characters that need
/// escapes, leading blanks on its first line (an indentation indicator would be needed),
/// trailing blanks, or more than one final newline.
fn literal_block_ok(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    body.contains('\n')
        && !body.starts_with([' ', '\t'])
        && !body.ends_with('\n')
        && body.split('\n').all(|line| {
            !line.ends_with([' ', '\t', '\r'])
                && line.chars().all(|c| !needs_escape(c) || c == '\t')
        })
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Words YAML 1.1 or 1.2 reads as null or booleans, in any case.
const RESERVED_WORDS: &[&str] = &[
    "", "~", "null", "true", "false", "yes", "no", "y", "n", "on", "off",
];

/// Whether `text` may be written without quotes and still read back as this string: it starts
/// with a letter, `_` or `/` (so it is no number, indicator or `.inf`), uses a small safe
/// alphabet, and is none of the words YAML reads as null, booleans, infinity or NaN.
fn plain_ok(text: &str) -> bool {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == b'_' || first == b'/')
        && bytes.iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'/' | b':' | b' ')
        })
        && !matches!(bytes.last(), Some(b' ' | b':'))
        && !text.contains(": ")
        && !RESERVED_WORDS
            .iter()
            .chain(&["inf", "infinity", "nan"])
            .any(|w| w.eq_ignore_ascii_case(text))
}

fn write_flow_string(out: &mut String, text: &str) {
    if plain_ok(text) {
        out.push_str(text);
        return;
    }
    out.reserve(text.len() + 2);
    out.push('"');
    let mut run_start = 0;
    for (index, c) in text.char_indices() {
        let escaped = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            c if needs_escape(c) => "",
            _ => continue,
        };
        out.push_str(&text[run_start..index]);
        if escaped.is_empty() {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escaped);
        }
        run_start = index + c.len_utf8();
    }
    out.push_str(&text[run_start..]);
    out.push('"');
}

struct NodeSerializer;

fn float(value: f64) -> String {
    if value.is_nan() {
        ".nan".into()
    } else if value.is_infinite() {
        if value > 0.0 { ".inf" } else { "-.inf" }.into()
    } else {
        let text = value.to_string();
        // `1` would read back as an integer; keep floats floats.
        if text.contains(['.', 'e', 'E']) {
            text
        } else {
            format!("{text}.0")
        }
    }
}

impl ser::Serializer for NodeSerializer {
    type Ok = Node;
    type Error = Error;
    type SerializeSeq = SeqBuilder;
    type SerializeTuple = SeqBuilder;
    type SerializeTupleStruct = SeqBuilder;
    type SerializeTupleVariant = ser::Impossible<Node, Error>;
    type SerializeMap = MapBuilder;
    type SerializeStruct = MapBuilder;
    type SerializeStructVariant = ser::Impossible<Node, Error>;

    fn serialize_bool(self, v: bool) -> Result<Node, Error> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn serialize_i8(self, v: i8) -> Result<Node, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Node, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Node, Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Node, Error> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn serialize_u8(self, v: u8) -> Result<Node, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Node, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Node, Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Node, Error> {
        Ok(Node::Scalar(v.to_string()))
    }
    fn serialize_f32(self, v: f32) -> Result<Node, Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<Node, Error> {
        Ok(Node::Scalar(float(v)))
    }
    fn serialize_char(self, v: char) -> Result<Node, Error> {
        Ok(Node::Text(v.to_string()))
    }
    fn serialize_str(self, v: &str) -> Result<Node, Error> {
        Ok(Node::Text(v.to_string()))
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Node, Error> {
        Err(Error("bytes have no YAML form here".into()))
    }
    fn serialize_none(self) -> Result<Node, Error> {
        Ok(Node::Null)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Node, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Node, Error> {
        Ok(Node::Null)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Node, Error> {
        Ok(Node::Null)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Node, Error> {
        Ok(Node::Text(variant.to_string()))
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Node, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Node, Error> {
        Ok(Node::Map(vec![(
            variant.to_string(),
            value.serialize(self)?,
        )]))
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder, Error> {
        Ok(SeqBuilder(Vec::with_capacity(len.unwrap_or(0))))
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<SeqBuilder, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(Error("tuple variants have no YAML form here".into()))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<MapBuilder, Error> {
        Ok(MapBuilder {
            entries: Vec::with_capacity(len.unwrap_or(0)),
            key: None,
        })
    }
    fn serialize_struct(self, _: &'static str, len: usize) -> Result<MapBuilder, Error> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(Error("struct variants have no YAML form here".into()))
    }
}

struct SeqBuilder(Vec<Node>);

impl ser::SerializeSeq for SeqBuilder {
    type Ok = Node;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.0.push(value.serialize(NodeSerializer)?);
        Ok(())
    }
    fn end(self) -> Result<Node, Error> {
        Ok(Node::Seq(self.0))
    }
}

impl ser::SerializeTuple for SeqBuilder {
    type Ok = Node;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, Error> {
        ser::SerializeSeq::end(self)
    }
}

impl ser::SerializeTupleStruct for SeqBuilder {
    type Ok = Node;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        ser::SerializeSeq::serialize_element(self, value)
    }
    fn end(self) -> Result<Node, Error> {
        ser::SerializeSeq::end(self)
    }
}

struct MapBuilder {
    entries: Vec<(String, Node)>,
    key: Option<String>,
}

impl ser::SerializeMap for MapBuilder {
    type Ok = Node;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(match key.serialize(NodeSerializer)? {
            Node::Text(s) | Node::Scalar(s) => s,
            _ => return Err(Error("map keys must be strings or numbers".into())),
        });
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| Error("map value without a key".into()))?;
        self.entries.push((key, value.serialize(NodeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node, Error> {
        Ok(Node::Map(self.entries))
    }
}

impl ser::SerializeStruct for MapBuilder {
    type Ok = Node;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.entries
            .push((key.to_string(), value.serialize(NodeSerializer)?));
        Ok(())
    }
    fn end(self) -> Result<Node, Error> {
        Ok(Node::Map(self.entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const AWKWARD: &[&str] = &[
        "",
        " ",
        "plain",
        "yes",
        "No",
        "ON",
        "off",
        "y",
        "N",
        "true",
        "False",
        "null",
        "~",
        "0.999",
        "1",
        "-1",
        "1e3",
        "0x1F",
        "0o17",
        "017",
        ".inf",
        "-.Inf",
        ".NaN",
        "2024-01-01",
        "a: b",
        "a:b",
        "ends:",
        "#comment",
        "a #b",
        "a#b",
        "- dash",
        "-",
        "?",
        ":",
        "[x]",
        "{x}",
        "&anchor",
        "*alias",
        "!tag",
        "|",
        ">",
        "'single'",
        "\"double\"",
        "back\\slash",
        "tab\there",
        "new\nline",
        "trailing\n",
        "two\n\n",
        "\nleading newline",
        " leading space",
        "trailing space ",
        "multi\nline \nwith trailing blank",
        "  indented\nsecond",
        "nul\u{0}byte",
        "bell\u{7}",
        "del\u{7f}",
        "line\u{2028}sep",
        "bom\u{feff}",
        "é unicode ✓",
        "{{ $value | humanizePercentage }}",
        "slo:sli_error:ratio_rate5m",
        "100%",
        "@at",
        "`tick`",
        "a,b",
        "x\r\ny",
        "%percent",
        "=",
        "<<",
        "multi\n  indented\nlines",
    ];

    #[test]
    fn every_awkward_string_reads_back_exactly() {
        for text in AWKWARD {
            let mut map = BTreeMap::new();
            map.insert((*text).to_string(), vec![(*text).to_string()]);
            map.insert(
                "value".to_string(),
                vec![(*text).to_string(), "x".to_string()],
            );
            let yaml = to_string(&map).unwrap();
            let back: BTreeMap<String, Vec<String>> =
                serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{text:?} -> {yaml}: {e}"));
            assert_eq!(back, map, "{text:?} wrote\n{yaml}");
        }
    }

    #[test]
    fn yaml_1_1_words_and_numbers_are_quoted() {
        for word in ["yes", "no", "on", "off", "y", "n", "0.999", "1", "null"] {
            let yaml = to_string(&BTreeMap::from([("k", word)])).unwrap();
            assert_eq!(yaml, format!("k: \"{word}\"\n"));
        }
    }

    #[test]
    fn layout_matches_conventional_block_style() {
        #[derive(serde::Serialize)]
        struct Rule {
            record: &'static str,
            expr: &'static str,
            labels: BTreeMap<&'static str, &'static str>,
        }
        #[derive(serde::Serialize)]
        struct Group {
            name: &'static str,
            rules: Vec<Rule>,
            empty: Vec<u8>,
        }
        let group = Group {
            name: "g",
            rules: vec![Rule {
                record: "slo:x:rate5m",
                expr: "a\n/\nb",
                labels: BTreeMap::from([("team", "core"), ("tier", "1")]),
            }],
            empty: vec![],
        };
        let yaml = to_string(&BTreeMap::from([("groups", vec![group])])).unwrap();
        assert_eq!(
            yaml,
            "groups:\n- name: g\n  rules:\n  - record: slo:x:rate5m\n    expr: |-\n      a\n      /\n      b\n    labels:\n      team: core\n      tier: \"1\"\n  empty: []\n"
        );
    }

    #[test]
    fn floats_stay_floats() {
        let yaml = to_string(&BTreeMap::from([
            ("a", 1.0_f64),
            ("b", 0.5),
            ("c", f64::INFINITY),
        ]))
        .unwrap();
        assert_eq!(yaml, "a: 1.0\nb: 0.5\nc: .inf\n");
    }
}
