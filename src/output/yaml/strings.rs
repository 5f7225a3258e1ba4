//! How a YAML string is written: plain, single-quoted, double-quoted with escapes, or a literal
//! block, decided in one pass over its bytes; and floats in their shortest form.

use super::*;

/// Multi-line text reads back exactly from a literal block unless it has characters that need
/// escapes, leading blanks on its first line (an indentation indicator would be needed),
/// trailing blanks, or more than one final newline.
pub(super) fn literal_block_ok(text: &str) -> bool {
    let body = text.strip_suffix('\n').unwrap_or(text);
    let (any, _) = scan(body);
    let escapes = if any & HIGH == 0 {
        any & CONTROL != 0
    } else {
        body.chars()
            .any(|c| needs_escape(c) && c != '\t' && c != '\n')
    };
    any & TAB_NEWLINE != 0
        && body.contains('\n')
        && !escapes
        // The block's indentation is read from its first non-empty line, which therefore may
        // not start with white space (and there must be one).
        && body
            .split('\n')
            .find(|line| !line.is_empty())
            .is_some_and(|line| !line.starts_with([' ', '\t']))
        && !body.ends_with('\n')
        && body.split('\n').all(|line| !line.ends_with([' ', '\t']))
}

fn needs_escape(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}')
}

/// Byte classes, so that one pass over a string tells how it can be written.
const PLAIN: u8 = 1;

/// An ASCII control character other than tab and newline.
const CONTROL: u8 = 2;

const TAB_NEWLINE: u8 = 4;

/// Part of a non-ASCII character: the slow, exact check decides.
const HIGH: u8 = 8;

static CLASSES: [u8; 256] = {
    let mut classes = [0; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        classes[b] = if c >= 0x80 {
            HIGH
        } else if c == b'\t' || c == b'\n' {
            TAB_NEWLINE
        } else if c < 0x20 || c == 0x7f {
            CONTROL
        } else if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'/' | b':' | b' ')
        {
            PLAIN
        } else {
            0
        };
        b += 1;
    }
    classes
};

/// The classes any byte of `text` has, and those every byte has.
fn scan(text: &str) -> (u8, u8) {
    text.bytes().fold((0, u8::MAX), |(any, all), b| {
        let class = CLASSES[usize::from(b)];
        (any | class, all & class)
    })
}

/// Words YAML 1.1 or 1.2 reads as null or booleans, in any case.
const RESERVED_WORDS: &[&str] = &[
    "", "~", "null", "true", "false", "yes", "no", "y", "n", "on", "off",
];

/// Whether `text` may be written without quotes and still read back as this string: it starts
/// with a letter, `_` or `/` (so it is no number, indicator or `.inf`), uses a small safe
/// alphabet, and is none of the words YAML reads as null, booleans, infinity or NaN.
fn plain_ok(text: &str, all: u8) -> bool {
    let bytes = text.as_bytes();
    let Some(&first) = bytes.first() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == b'_' || first == b'/')
        && all & PLAIN != 0
        && !matches!(bytes.last(), Some(b' ' | b':'))
        && !text.contains(": ")
        && !(text.len() <= 8
            && RESERVED_WORDS
                .iter()
                .chain(&["inf", "infinity", "nan"])
                .any(|w| w.eq_ignore_ascii_case(text)))
}

pub(super) fn write_flow_string(out: &mut String, text: &str) {
    let (any, all) = scan(text);
    if plain_ok(text, all) {
        out.push_str(text);
        return;
    }
    // Single quotes need only `'` doubled, which keeps PromQL readable in reviews; they cannot
    // carry escapes, so text with control characters is double-quoted.
    let escapes = if any & HIGH == 0 {
        any & (CONTROL | TAB_NEWLINE) != 0
    } else {
        text.chars().any(needs_escape)
    };
    if !escapes {
        out.reserve(text.len() + 2);
        out.push('\'');
        let mut parts = text.split('\'');
        out.push_str(parts.next().unwrap_or_default());
        for part in parts {
            out.push_str("''");
            out.push_str(part);
        }
        out.push('\'');
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

pub(super) fn float(value: f64) -> String {
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
