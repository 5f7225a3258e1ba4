//! Judging a query without parsing the same shape, or compiling the same regex, for every SLO.
//! A fleet's SLI queries differ mostly in the values their selectors match (`job="a"`):
//! validation judges each [`shape`] once per run ([`crate::vocab::promql::judge_instant_vector`]),
//! and parses only the queries of a new shape. promql-parser compiles the regex of every `=~`
//! and `!~` matcher as it parses, and a fleet's queries repeat a handful of them (`code=~"5.."`)
//! thousands of times: 17% of an up-to-date compile of 10,000 SLOs went to compiling them.
//! Validation reads a query's shape (its grouping, ranges and names), never a matcher's regex,
//! so it parses a copy whose regex matchers in named selectors read as equality matchers of the
//! same text, and checks each distinct regex once, by parsing a selector of that one matcher.
//! Anything else (a selector without a name, where a regex that matches the empty string is an
//! error; `__name__`; a quoted label; a regex the parser refuses; any parse error) is left to
//! the plain parse, so every message stays the parser's. Alert tests, which do read the regexes
//! (to write series they select), parse a copy whose regex matchers are equality matchers of a
//! placeholder, and put back each regex matcher, parsed once per run.

use promql_parser::label::{MatchOp, Matcher};
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

/// A run-wide memo of what was worked out from a text (a regex literal, a query's shape),
/// shared by the threads that render services.
pub(crate) struct Memo<V>(OnceLock<Mutex<HashMap<String, V>>>);

impl<V: Clone> Memo<V> {
    pub(crate) const fn new() -> Self {
        Self(OnceLock::new())
    }

    /// What was worked out from `key`, or what `work` works out now (outside the lock: two
    /// threads may both work a key out, to the same answer).
    pub(crate) fn get_or(&self, key: &str, work: impl FnOnce() -> V) -> V {
        if let Some(known) = self.lock().get(key) {
            return known.clone();
        }
        let answer = work();
        self.lock().insert(key.to_string(), answer.clone());
        answer
    }

    /// What was worked out from `key`, if anything.
    pub(crate) fn get(&self, key: &str) -> Option<V> {
        self.lock().get(key).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, V>> {
        self.0
            .get_or_init(Mutex::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `query` with each `=~` or `!~` of a named selector's plain label turned into `= ` or `!=`
/// (the same length), with the regex literals as written; `None` when a matcher is not of that
/// shape.
pub(crate) fn as_equality(query: &str) -> Option<(String, Vec<&str>)> {
    rewrite(query, |out, op, spaced, _| {
        out.push_str(op);
        out.push_str(spaced);
    })
}

/// `query` with each `=~` or `!~` of a named selector's plain label turned into an `=` or `!=`
/// of a placeholder, and the regex matchers themselves, to [`restore`] after parsing; `None`
/// when a matcher is not of that shape, a regex is refused, or the query holds the
/// placeholders' mark.
pub(crate) fn with_placeholders(query: &str) -> Option<(String, Vec<Matcher>)> {
    if query.contains(MARK) {
        return None;
    }
    let (plain, literals) = rewrite(query, |out, op, _, n| {
        out.push_str(op.trim_end());
        out.push_str(&format!("\"{MARK}{n}\""));
    })?;
    let regexes = literals.iter().map(|l| parsed(l)).collect::<Option<_>>()?;
    Some((plain, regexes))
}

/// `query` with the value of every matcher of a named selector's plain label written as `""`:
/// the text that decides how promql-parser parses it, when nothing else could (each regex one
/// the parser takes, no escapes in a value, no comments), and the literals it blanked, as
/// written, in order; `None` otherwise. Queries of one shape parse alike but for those values,
/// which a named selector allows to be anything.
pub(crate) fn shape(query: &str) -> Option<(String, Vec<&str>)> {
    let mut out = String::with_capacity(query.len());
    let mut literals = Vec::new();
    let (mut inside, mut copied) = (false, 0);
    let mut chars = crate::vocab::metricsql::unquoted(query).peekable();
    while let Some((i, c)) = chars.next() {
        let second = chars.peek().filter(|&&(j, _)| j == i + 1).map(|&(_, n)| n);
        match (c, second) {
            // `{` and `}`, written so that brace-counting tools see the function whole.
            ('\x7b', _) if ends_with_name(&query[..i]) => inside = true,
            ('\x7d', _) => inside = false,
            ('\x7b' | '#', _) => return None,
            ('=' | '!', Some('~' | '=')) | ('=', _) if inside => {
                let label = trailing_name(&query[..i])?;
                if label.is_empty() || label == "__name__" || query[..i].ends_with(['"', '\'', '`'])
                {
                    return None;
                }
                let op = if second == Some('~') || c == '!' {
                    2
                } else {
                    1
                };
                let literal = literal_after(&query[i + op..])?;
                if literal.contains('\\') || (second == Some('~') && !valid(literal)) {
                    return None;
                }
                if op == 2 {
                    chars.next();
                }
                out.push_str(&query[copied..i + op]);
                out.push_str("\"\"");
                copied = literal.as_ptr() as usize - query.as_ptr() as usize + literal.len();
                literals.push(literal);
            }
            ('!', _) if inside => return None,
            _ => {}
        }
    }
    out.push_str(&query[copied..]);
    Some((out, literals))
}

/// The matcher of `op` (`=`, `!=`, `=~`, `!~`, as a parsed matcher of any value gives it) with
/// `literal`'s value, for a literal [`shape`] blanked; `None` for a regex the parser refuses.
pub(crate) fn refill(op: &MatchOp, name: &str, literal: &str) -> Option<Matcher> {
    // `shape` takes only literals without escapes: the value is the text between the quotes.
    let value = &literal[1..literal.len() - 1];
    let op = match op {
        MatchOp::Equal | MatchOp::NotEqual => op.clone(),
        MatchOp::Re(_) => parsed(literal)?.op,
        MatchOp::NotRe(_) => match parsed(literal)?.op {
            MatchOp::Re(r) => MatchOp::NotRe(r),
            other => other,
        },
    };
    Some(Matcher::new(op, name, value))
}

/// Starts each placeholder; no SLI query holds it (YAML refuses it unescaped).
const MARK: char = '\u{1}';

/// `m` as written before [`with_placeholders`]: a placeholder's `=` becomes its `=~` matcher and
/// a `!=` its `!~`, under the same label; any other matcher is left as it is.
pub(crate) fn restore(m: &mut Matcher, regexes: &[Matcher]) {
    let placeholder = match m.op {
        MatchOp::Equal | MatchOp::NotEqual => m.value.strip_prefix(MARK),
        MatchOp::Re(_) | MatchOp::NotRe(_) => None,
    };
    let Some(regex) = placeholder
        .and_then(|n| n.parse::<usize>().ok())
        .and_then(|n| regexes.get(n))
    else {
        return;
    };
    let op = match (&m.op, &regex.op) {
        (MatchOp::NotEqual, MatchOp::Re(r)) => MatchOp::NotRe(r.clone()),
        (_, op) => op.clone(),
    };
    m.value.clone_from(&regex.value);
    m.op = op;
}

/// Copies `query`, letting `write` put each regex matcher of a named selector's plain label
/// (given its `=` or `!=` the same length as the operator it replaces, the text from after the
/// operator to the end of the literal, and its index); the literals as written, or `None` when
/// a matcher is not of that shape.
fn rewrite(
    query: &str,
    mut write: impl FnMut(&mut String, &str, &str, usize),
) -> Option<(String, Vec<&str>)> {
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
                let literal = literal_after(&query[i + 2..])?;
                let end = literal.as_ptr() as usize - query.as_ptr() as usize + literal.len();
                out.push_str(&query[copied..i]);
                let op = if c == '=' { "= " } else { "!=" };
                write(&mut out, op, &query[i + 2..end], literals.len());
                literals.push(literal);
                copied = end;
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

/// Whether promql-parser takes `literal` (as written, quotes included) as a matcher's regex.
pub(crate) fn valid(literal: &str) -> bool {
    parsed(literal).is_some()
}

/// The matcher `a=~<literal>` as promql-parser reads it (the regex compiled, the value
/// unescaped), or `None` when it refuses it; each literal is parsed once per run.
fn parsed(literal: &str) -> Option<Matcher> {
    static KNOWN: Memo<Option<Matcher>> = Memo::new();
    KNOWN.get_or(literal, || {
        match promql_parser::parser::parse(&format!("x{{a=~{literal}}}")) {
            Ok(promql_parser::parser::Expr::VectorSelector(vs)) => {
                vs.matchers.matchers.into_iter().find(|m| m.name == "a")
            }
            _ => None,
        }
    })
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
    fn placeholders_stand_for_regexes_and_nothing_else() {
        let (plain, regexes) = with_placeholders(r#"x{a=~"5..", b !~ 'c', d="=~"}"#).unwrap();
        assert_eq!(plain, "x{a=\"\u{1}0\", b !=\"\u{1}1\", d=\"=~\"}");
        assert_eq!(regexes.len(), 2);
        let mut m = Matcher::new(MatchOp::NotEqual, "b", "\u{1}1");
        restore(&mut m, &regexes);
        assert_eq!((m.name.as_str(), m.value.as_str()), ("b", "c"));
        assert!(matches!(m.op, MatchOp::NotRe(_)));
        // Not a placeholder: an index past the list, or no mark.
        for value in ["\u{1}2", "\u{1}", "0"] {
            let mut m = Matcher::new(MatchOp::Equal, "a", value);
            restore(&mut m, &regexes);
            assert_eq!((m.op, m.value.as_str()), (MatchOp::Equal, value));
        }
        // A query holding the mark, or a regex the parser refuses, is left to the plain parse.
        assert!(with_placeholders("x{a=~\"b\", c=\"\u{1}0\"}").is_none());
        assert!(with_placeholders(r#"x{a=~"("}"#).is_none());
    }

    #[test]
    fn each_regex_is_judged_as_the_parser_judges_it() {
        assert!(valid(r#""5..""#));
        assert!(valid(r#""a{b}""#));
        assert!(!valid(r#""(""#));
        assert!(!valid(r#""(""#));
    }
}
