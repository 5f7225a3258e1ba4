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

mod keys;
mod strings;

use keys::KeySerializer;
use strings::{float, literal_block_ok, write_flow_string};

impl ser::Error for Error {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

/// Serializes `value` (a struct or map at the top) as a block-style YAML document.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, Error> {
    let mut out = String::with_capacity(32 * 1024);
    value.serialize(Emitter {
        out: &mut out,
        place: Place::Top,
    })?;
    Ok(out)
}

/// Where a value goes, which decides how it starts.
#[derive(Clone, Copy)]
enum Place {
    /// The document itself.
    Top,
    /// After `key:` of a mapping whose keys sit at this indentation level.
    MapValue(usize),
    /// After `-` of a list whose dashes sit at this indentation level.
    SeqItem(usize),
}

/// Streams one value into the output.
struct Emitter<'a> {
    out: &'a mut String,
    place: Place,
}

fn indent(out: &mut String, level: usize) {
    const SPACES: &str = "                                ";
    let mut width = level * 2;
    while width > 0 {
        let step = width.min(SPACES.len());
        out.push_str(&SPACES[..step]);
        width -= step;
    }
}

impl<'a> Emitter<'a> {
    fn scalar(self, text: &str) -> Result<(), Error> {
        if !matches!(self.place, Place::Top) {
            self.out.push(' ');
        }
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }

    fn text(self, text: &str) -> Result<(), Error> {
        let level = match self.place {
            Place::Top => None,
            Place::MapValue(level) | Place::SeqItem(level) => Some(level),
        };
        match level {
            Some(level) if literal_block_ok(text) => {
                self.out.push_str(if text.ends_with('\n') {
                    " |\n"
                } else {
                    " |-\n"
                });
                for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
                    if !line.is_empty() {
                        indent(self.out, level + 1);
                        self.out.push_str(line);
                    }
                    self.out.push('\n');
                }
            }
            _ => {
                if level.is_some() {
                    self.out.push(' ');
                }
                write_flow_string(self.out, text);
                self.out.push('\n');
            }
        }
        Ok(())
    }

    fn map(self) -> MapEmitter<'a> {
        let (level, first_inline) = match self.place {
            Place::Top => (0, false),
            Place::MapValue(level) => (level + 1, false),
            Place::SeqItem(level) => (level + 1, true),
        };
        MapEmitter {
            out: self.out,
            place: self.place,
            level,
            first_inline,
            entries: 0,
            key: String::new(),
        }
    }

    fn seq(self) -> SeqEmitter<'a> {
        let level = match self.place {
            Place::Top => 0,
            // Dashes align with the key, as Prometheus's own examples write them.
            Place::MapValue(level) => level,
            Place::SeqItem(level) => level + 1,
        };
        SeqEmitter {
            out: self.out,
            place: self.place,
            level,
            items: 0,
        }
    }
}

/// Writes `{}` or `[]` where a container turned out empty.
fn empty(out: &mut String, place: Place, text: &str) {
    if !matches!(place, Place::Top) {
        out.push(' ');
    }
    out.push_str(text);
    out.push('\n');
}

struct MapEmitter<'a> {
    out: &'a mut String,
    place: Place,
    level: usize,
    first_inline: bool,
    entries: usize,
    key: String,
}

impl MapEmitter<'_> {
    fn entry<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Error> {
        if self.entries == 0 {
            match self.place {
                Place::MapValue(_) => self.out.push('\n'),
                Place::SeqItem(_) => self.out.push(' '),
                Place::Top => {}
            }
        }
        if !(self.first_inline && self.entries == 0) {
            indent(self.out, self.level);
        }
        self.entries += 1;
        write_flow_string(self.out, key);
        self.out.push(':');
        value.serialize(Emitter {
            out: self.out,
            place: Place::MapValue(self.level),
        })
    }

    fn finish(self) -> Result<(), Error> {
        if self.entries == 0 {
            empty(self.out, self.place, "{}");
        }
        Ok(())
    }
}

struct SeqEmitter<'a> {
    out: &'a mut String,
    place: Place,
    level: usize,
    items: usize,
}

impl SeqEmitter<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        if self.items == 0 && !matches!(self.place, Place::Top) {
            self.out.push('\n');
        }
        self.items += 1;
        indent(self.out, self.level);
        self.out.push('-');
        value.serialize(Emitter {
            out: self.out,
            place: Place::SeqItem(self.level),
        })
    }

    fn finish(self) -> Result<(), Error> {
        if self.items == 0 {
            empty(self.out, self.place, "[]");
        }
        Ok(())
    }
}

fn unsupported(what: &str) -> Error {
    Error(format!("{what} have no YAML form here"))
}

impl<'a> ser::Serializer for Emitter<'a> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = SeqEmitter<'a>;
    type SerializeTuple = SeqEmitter<'a>;
    type SerializeTupleStruct = SeqEmitter<'a>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = MapEmitter<'a>;
    type SerializeStruct = MapEmitter<'a>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.scalar(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.scalar(&v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.scalar(&v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        self.serialize_f64(v.into())
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        self.scalar(&float(v))
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.text(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        self.text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
        Err(unsupported("bytes"))
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.scalar("null")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let mut map = self.map();
        map.entry(variant, value)?;
        map.finish()
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqEmitter<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple(self, _: usize) -> Result<SeqEmitter<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<SeqEmitter<'a>, Error> {
        Ok(self.seq())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Error> {
        Err(unsupported("tuple variants"))
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapEmitter<'a>, Error> {
        Ok(self.map())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<MapEmitter<'a>, Error> {
        Ok(self.map())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Error> {
        Err(unsupported("struct variants"))
    }
}

impl ser::SerializeSeq for SeqEmitter<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for SeqEmitter<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for SeqEmitter<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeMap for MapEmitter<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = key.serialize(KeySerializer)?;
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = std::mem::take(&mut self.key);
        self.entry(&key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for MapEmitter<'_> {
    type Ok = ();
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.entry(key, value)
    }
    fn end(self) -> Result<(), Error> {
        self.finish()
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

    /// A rule file's shape: groups, rules, labels.
    type Nested = BTreeMap<String, Vec<Vec<BTreeMap<String, BTreeMap<String, String>>>>>;

    /// Property: any string, at any depth, reads back byte-identical through a YAML parser.
    #[test]
    fn arbitrary_strings_read_back_exactly_at_every_depth() {
        const ALPHABET: &[char] = &[
            'a', 'Z', '0', '9', ' ', ' ', '\n', '\n', '\t', '\r', ':', '#', '\'', '"', '{', '}',
            '[', ']', '-', '?', '|', '>', '%', '@', '`', '!', '&', '*', ',', '\\', 'é', '✓',
            '\u{85}', '\u{2028}', '\u{feff}', '\u{7}', '\u{0}', '.', '=', '~',
        ];
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |n: usize| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 33) as usize) % n
        };
        for _ in 0..20_000 {
            let len = next(12);
            let text: String = (0..len).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
            let inner = BTreeMap::from([(
                "labels".to_string(),
                BTreeMap::from([(text.clone(), text.clone())]),
            )]);
            let value = BTreeMap::from([("groups".to_string(), vec![vec![inner]])]);
            let yaml = to_string(&value).unwrap();
            let back: Nested =
                serde_yaml::from_str(&yaml).unwrap_or_else(|e| panic!("{text:?} -> {yaml}: {e}"));
            assert_eq!(back, value, "{text:?} wrote\n{yaml}");
        }
    }

    #[test]
    fn yaml_1_1_words_and_numbers_are_quoted() {
        for word in ["yes", "no", "on", "off", "y", "n", "0.999", "1", "null"] {
            let yaml = to_string(&BTreeMap::from([("k", word)])).unwrap();
            assert_eq!(yaml, format!("k: '{word}'\n"));
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
            "groups:\n- name: g\n  rules:\n  - record: slo:x:rate5m\n    expr: |-\n      a\n      /\n      b\n    labels:\n      team: core\n      tier: '1'\n  empty: []\n"
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
