//! PromQL as MetricsQL (VictoriaMetrics) must read it to mean what Prometheus means.
//!
//! `rate(counter[w])` differs on a series that is born inside the window (a `code="503"`
//! label set a client library creates with its first error): Prometheus needs two samples and
//! ignores the first one's count; MetricsQL divides the series' first increase by its life so
//! far rather than by the window, so a new series' first minutes read the whole burst as a
//! per-second rate (10/s where 2, 4, 6 and 8 were due, measured on VictoriaMetrics 1.79).
//! MetricsQL's `increase` counts a new series from zero over the window, which is what
//! happened; `increase(counter[w]) / w` is Prometheus's own definition of `rate`, so the
//! rewrite changes nothing there.

use crate::vocab::duration::Duration;

/// `query` with every `rate(<selector>[<range>])` written `(increase(<selector>[<range>]) /
/// <seconds>)`; a `rate` over a range that is not a plain duration (a subquery) is left alone.
pub(crate) fn rates_as_increases(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 32);
    let mut rest = query;
    while let Some(at) = find_rate_call(rest) {
        let open = at + "rate(".len();
        let Some(close) = matching_paren(&rest[open..]).map(|c| open + c) else {
            break;
        };
        let inner = &rest[open..close];
        out.push_str(&rest[..at]);
        // MetricsQL's modifier of a function's result stays with the call it modifies.
        let after = &rest[close + 1..];
        let modifier = after
            .trim_start()
            .strip_prefix(KEEP_METRIC_NAMES)
            .filter(|more| !more.starts_with(|c: char| c.is_alphanumeric() || c == '_'));
        let (keep, end) = match modifier {
            Some(more) => (" keep_metric_names", rest.len() - more.len()),
            None => ("", close + 1),
        };
        match range_secs(inner) {
            Some(secs) => out.push_str(&format!("(increase({inner}){keep} / {secs})")),
            None => out.push_str(&rest[at..end]),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// MetricsQL's modifier that keeps a function's metric names.
const KEEP_METRIC_NAMES: &str = "keep_metric_names";

/// The characters of `text` outside quoted strings, with their byte offsets (quotes
/// themselves left out; a backtick string is raw, without escapes).
pub(crate) fn unquoted(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let (mut quote, mut escaped) = (None::<char>, false);
    text.char_indices().filter(move |&(_, c)| match quote {
        Some(_) if escaped => {
            escaped = false;
            false
        }
        Some(q) if c == '\\' && q != '`' => {
            escaped = true;
            false
        }
        Some(q) => {
            if c == q {
                quote = None;
            }
            false
        }
        None if matches!(c, '"' | '\'' | '`') => {
            quote = Some(c);
            false
        }
        None => true,
    })
}

/// Where the next `rate(` call starts: `rate` as a whole word (not `irate` or `my_rate`),
/// outside quotes.
fn find_rate_call(text: &str) -> Option<usize> {
    unquoted(text).map(|(i, _)| i).find(|&i| {
        let word_start = text[..i]
            .chars()
            .next_back()
            .is_none_or(|p| !(p.is_alphanumeric() || p == '_' || p == ':'));
        word_start && text[i..].starts_with("rate(")
    })
}

/// Whether `query`'s brackets, braces and parentheses (outside quotes) close in order, and its
/// quotes close: a query that fails this is wrong in MetricsQL as much as in PromQL.
pub(crate) fn balanced(query: &str) -> bool {
    unbalanced_at(query).is_none()
}

/// The byte offset where `query` stops closing what it opens: a closing bracket that closes
/// nothing open (or the wrong kind), the opening quote of a string that never ends, or the
/// innermost bracket left open at the end.
pub(crate) fn unbalanced_at(query: &str) -> Option<usize> {
    if let Some(quote) = unterminated_quote(query) {
        return Some(quote);
    }
    let mut open: Vec<(usize, char)> = Vec::new();
    for (i, c) in unquoted(query) {
        if BRACKETS.iter().any(|b| b.0 == c) {
            open.push((i, c));
        } else if let Some(&(opener, _)) = BRACKETS.iter().find(|b| b.1 == c) {
            if open.pop().map(|(_, o)| o) != Some(opener) {
                return Some(i);
            }
        }
    }
    open.last().map(|(i, _)| *i)
}

/// Each bracket that opens, with the one that closes it.
const BRACKETS: [(char, char); 3] = [('(', ')'), ('[', ']'), ('{', '}')];

/// The byte offset of the quote opening a string in `text` that never ends.
fn unterminated_quote(text: &str) -> Option<usize> {
    let (mut quote, mut escaped) = (None::<(usize, char)>, false);
    for (i, c) in text.char_indices() {
        match quote {
            Some(_) if escaped => escaped = false,
            Some(_) if c == '\\' => escaped = true,
            Some((_, q)) if c == q => quote = None,
            Some(_) => {}
            None if matches!(c, '"' | '\'' | '`') => quote = Some((i, c)),
            None => {}
        }
    }
    quote.map(|(i, _)| i)
}

/// The byte offset of the first `target` in `text` outside quotes.
pub(crate) fn find_unquoted(text: &str, target: char) -> Option<usize> {
    unquoted(text).find(|(_, c)| *c == target).map(|(i, _)| i)
}

/// The byte offset of the `)` that closes a call whose arguments start `text`.
fn matching_paren(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in unquoted(text) {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => return Some(i),
            ')' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// The seconds of the range closing a `rate`'s argument (`x{...}[5m]`), when it is one
/// duration.
fn range_secs(argument: &str) -> Option<String> {
    let range = argument.trim_end().strip_suffix(']')?;
    let range = &range[range.rfind('[')? + 1..];
    let d = Duration::parse(range.trim()).ok()?;
    Some(crate::vocab::number::format_f64(d.as_secs_f64(), 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_become_increases_over_their_range() {
        assert_eq!(
            rates_as_increases(r#"sum(rate(http_requests_total{job="api", code=~"5.."}[5m]))"#),
            r#"sum((increase(http_requests_total{job="api", code=~"5.."}[5m]) / 300))"#
        );
        // Two calls, a quoted `rate(` and `irate` left alone, a subquery range left alone.
        assert_eq!(
            rates_as_increases(
                r#"rate(a{x="rate(y)"}[1h]) / irate(b[1m]) + rate(c[5m:1m]) + rate(d[90s])"#
            ),
            r#"(increase(a{x="rate(y)"}[1h]) / 3600) / irate(b[1m]) + rate(c[5m:1m]) + (increase(d[90s]) / 90)"#
        );
        assert_eq!(
            rates_as_increases("sum_over_time(x[1h])"),
            "sum_over_time(x[1h])"
        );
        // MetricsQL's modifier stays on the call; a longer name is not the modifier.
        assert_eq!(
            rates_as_increases("sum(rate(x[5m])  keep_metric_names) + rate(y[1m]) keep_metric_names_x"),
            "sum((increase(x[5m]) keep_metric_names / 300)) + (increase(y[1m]) / 60) keep_metric_names_x"
        );
    }

    #[test]
    fn balanced_queries_close_what_they_open() {
        for ok in [
            r#"WITH (f = {job="api"}) sum(rate(x{f}[5m])) default 0"#,
            r#"sum(rate(x{a="(["}[5m]))"#,
        ] {
            assert!(balanced(ok), "{ok}");
        }
        for (bad, at) in [
            ("sum(rate(x[5m])", 3),
            ("sum(rate(x[5m)))", 13),
            (r#"x{a="b}"#, 4),
            ("x{a=\"b\\\"}", 4),
        ] {
            assert_eq!(unbalanced_at(bad), Some(at), "{bad}");
        }
    }

    #[test]
    fn the_rewrite_parses() {
        let q = rates_as_increases(
            r#"histogram_fraction(0, 0.3, sum(rate({"http.server", "service.name"="api"}[5m])))"#,
        );
        assert!(promql_parser::parser::parse(&q).is_ok(), "{q}");
    }
}
