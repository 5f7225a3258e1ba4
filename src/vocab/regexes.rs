//! Judging a query without compiling the same regex for every SLO. promql-parser compiles the
//! regex of every `=~` and `!~` matcher as it parses, and a fleet's queries repeat a handful of
//! them (`code=~"5.."`) thousands of times: 17% of an up-to-date compile of 10,000 SLOs went to
//! compiling them. Validation reads a query's shape (its grouping, ranges and names), never a
//! matcher's regex, so it parses a copy whose regex matchers in named selectors read as
//! equality matchers of the same text, and checks each distinct regex once, by parsing a
//! selector of that one matcher. Anything else (a selector without a name, where a regex that
//! matches the empty string is an error; `__name__`; a quoted label; a regex the parser
//! refuses; any parse error) is left to the plain parse, so every message stays the parser's.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// `query` with each `=~` or `!~` of a named selector's plain label turned into `= ` or `!=`
/// (the same length), with the regex literals as written; `None` when a matcher is not of that
/// shape.
pub(crate) fn as_equality(query: &str) -> Option<(String, Vec<&str>)> {
    let mut out = String::with_capacity(query.len());
    let mut literals = Vec::new();
    let (mut named, mut copied) = (false, 0);
    let mut chars = crate::vocab::metricsql::unquoted(query).peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            // `{`, written so that brace-counting tools see the function whole.
            '\x7b' => named = ends_with_name(&query[..i]),
            '=' | '!' if chars.peek().is_some_and(|&(j, n)| n == '~' && j == i + 1) => {
                let label = trailing_name(&query[..i])?;
                if !named || label == "__name__" || query[..i].ends_with(['"', '\'', '`']) {
                    return None;
                }
                chars.next();
                literals.push(literal_after(&query[i + 2..])?);
                out.push_str(&query[copied..i]);
                out.push_str(if c == '=' { "= " } else { "!=" });
                copied = i + 2;
            }
            _ => {}
        }
    }
    out.push_str(&query[copied..]);
    Some((out, literals))
}

/// Whether the selector whose `{` follows `before` has a metric name.
fn ends_with_name(before: &str) -> bool {
    trailing_name(before).is_some_and(|n| !n.is_empty())
}

/// The identifier `before` ends with (spaces after it allowed), possibly empty.
fn trailing_name(before: &str) -> Option<&str> {
    let before = before.trim_end();
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    Some(&before[start..])
}

/// The string literal `text` starts with (after spaces), quotes included.
fn literal_after(text: &str) -> Option<&str> {
    let start = text.len() - text.trim_start().len();
    let rest = &text[start..];
    let quote = rest
        .chars()
        .next()
        .filter(|c| matches!(c, '"' | '\'' | '`'))?;
    let mut escaped = false;
    for (i, c) in rest.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' if quote != '`' => escaped = true,
            c if c == quote => return Some(&rest[..=i]),
            _ => {}
        }
    }
    None
}

/// Whether promql-parser takes `literal` (as written, quotes included) as a matcher's regex;
/// each literal is judged once per run.
pub(crate) fn valid(literal: &str) -> bool {
    static KNOWN: OnceLock<Mutex<HashMap<String, bool>>> = OnceLock::new();
    let known = KNOWN.get_or_init(Mutex::default);
    let lock = || {
        known
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(answer) = lock().get(literal) {
        return *answer;
    }
    let answer = promql_parser::parser::parse(&format!("x{{a=~{literal}}}")).is_ok();
    lock().insert(literal.to_string(), answer);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regex_matchers_of_named_selectors_read_as_equality() {
        let (plain, literals) = as_equality(
            r#"sum(rate(x{code=~"5..", route !~ '/a\'b'}[5m])) / sum(rate(x{a=~`c\`, b="=~"}[5m]))"#,
        )
        .unwrap();
        assert_eq!(
            plain,
            r#"sum(rate(x{code= "5..", route != '/a\'b'}[5m])) / sum(rate(x{a= `c\`, b="=~"}[5m]))"#
        );
        assert_eq!(literals, [r#""5..""#, r"'/a\'b'", r"`c\`"]);
        // Left to the plain parse: no name, `__name__`, a quoted label, no literal.
        for query in [
            r#"sum(rate({code=~".*"}[5m]))"#,
            r#"x{__name__=~"y.*"}"#,
            r#"x{"a.b"=~"c"}"#,
            r#"x{a=~b}"#,
            r#"x{a=~"b}"#,
        ] {
            assert_eq!(as_equality(query), None, "{query}");
        }
        // A name after a character of several bytes (the fuzzer's find).
        let (plain, _) = as_equality("sum(rate(\u{fffd}x{a=~\"b\"}[5m]))").unwrap();
        assert_eq!(plain, "sum(rate(\u{fffd}x{a= \"b\"}[5m]))");
        assert_eq!(as_equality("x\u{fffd}{a=~\"b\"}"), None);
        let untouched = r#"x{a="=~"} + y"#;
        assert_eq!(
            as_equality(untouched),
            Some((untouched.to_string(), vec![]))
        );
    }

    #[test]
    fn each_regex_is_judged_as_the_parser_judges_it() {
        assert!(valid(r#""5..""#));
        assert!(valid(r#""a{b}""#));
        assert!(!valid(r#""(""#));
        assert!(!valid(r#""(""#));
    }
}
