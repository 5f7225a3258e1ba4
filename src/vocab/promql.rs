//! PromQL helpers: placeholder substitution, parsing through promql-parser, grouping, string escaping.

use promql_parser::parser::{self, value::ValueType, Expr, LabelModifier};

use crate::vocab::duration::Duration;

/// The placeholder that SLI queries carry where the range goes.
pub(crate) const WINDOW_PLACEHOLDER: &str = "{{window}}";

/// How the SLI's series are grouped, so long-window sums can re-aggregate across label changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Grouping {
    /// The queries aggregate `by` exactly these labels (empty: to a single series).
    By(Vec<String>),
    /// Not a plain `by` aggregation; long windows keep whatever labels the queries return.
    Unknown,
}

/// One window placeholder as people write it: `{{window}}`, Sloth's `{{.window}}`, and either
/// with spaces inside the braces (`{{ window }}`); returns what follows it.
fn placeholder(input: &str) -> nom::IResult<&str, ()> {
    use nom::bytes::complete::tag;
    use nom::character::complete::{char, space0};
    use nom::Parser;
    let spelled = (
        tag("{{"),
        space0,
        nom::combinator::opt(char('.')),
        tag("window"),
        space0,
        tag("}}"),
    );
    nom::combinator::value((), spelled).parse(input)
}

/// The template with every spelling of the placeholder replaced by `with`.
fn replace_placeholders(template: &str, with: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find("{{") {
        out.push_str(&rest[..at]);
        match placeholder(&rest[at..]) {
            Ok((after, ())) => {
                out.push_str(with);
                rest = after;
            }
            Err(_) => {
                out.push_str("{{");
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The template with the placeholder in its one native spelling, `{{window}}`.
pub(crate) fn normalize_placeholders(template: &str) -> String {
    replace_placeholders(template, WINDOW_PLACEHOLDER)
}

/// Whether a query template carries the window placeholder in any spelling.
pub(crate) fn has_window_placeholder(template: &str) -> bool {
    normalize_placeholders(template).contains(WINDOW_PLACEHOLDER)
}

/// The query with its placeholder replaced by `window`.
pub(crate) fn with_window(template: &str, window: Duration) -> String {
    replace_placeholders(template, &window.to_string())
}

/// The longest query slocc parses; SLI queries are a few hundred bytes. The parser's time
/// grows with the square of a long operator chain (8,000 terms took 0.7 s), so the bound also
/// bounds the time.
const MAX_QUERY_BYTES: usize = 8 * 1024;
/// The deepest bracket nesting slocc parses; the parser recurses once per level.
const MAX_QUERY_DEPTH: usize = 64;

/// Refuses a query the recursive parser could choke on, before it runs.
fn within_limits(query: &str) -> Result<(), String> {
    if query.len() > MAX_QUERY_BYTES {
        return Err(format!(
            "the query is {} bytes long, over slocc's limit of {MAX_QUERY_BYTES}",
            query.len()
        ));
    }
    let (mut depth, mut quote, mut escaped) = (0usize, None, false);
    // Unary signs nest in the parser too: a run of them counts as depth.
    let mut signs = 0usize;
    for c in query.chars() {
        match (quote, c) {
            (None, '-' | '+') => signs += 1,
            (None, ' ' | '\t' | '\n') => {}
            _ => signs = 0,
        }
        match (quote, c) {
            (Some(_), _) if escaped => escaped = false,
            (Some(_), '\\') => escaped = true,
            (Some(q), _) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"' | '`') => quote = Some(c),
            (None, '(' | '[' | '{') => depth += 1,
            (None, ')' | ']' | '}') => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth.max(signs) > MAX_QUERY_DEPTH {
            return Err(format!(
                "the query nests more than {MAX_QUERY_DEPTH} levels deep"
            ));
        }
    }
    Ok(())
}

/// A window no real spec writes, put in place of `{{window}}` when a query is validated, so
/// that [`reads_probe_window`] can tell where the placeholder landed.
pub(crate) const PROBE_WINDOW: Duration = Duration::from_secs(7_777);

/// Whether a query parsed with [`PROBE_WINDOW`] uses it as a range (a `[...]` after a selector
/// or of a subquery), and not only as text inside a label value, where every alert window
/// would read the same series.
fn reads_probe_window(expr: &Expr) -> bool {
    has_range(
        expr,
        std::time::Duration::from_millis(PROBE_WINDOW.as_millis()),
    )
}

fn has_range(expr: &Expr, range: std::time::Duration) -> bool {
    match expr {
        Expr::MatrixSelector(m) => m.range == range,
        Expr::Subquery(s) => s.range == range || has_range(&s.expr, range),
        Expr::Aggregate(a) => {
            has_range(&a.expr, range) || a.param.as_deref().is_some_and(|p| has_range(p, range))
        }
        Expr::Unary(u) => has_range(&u.expr, range),
        Expr::Binary(b) => has_range(&b.lhs, range) || has_range(&b.rhs, range),
        Expr::Paren(p) => has_range(&p.expr, range),
        Expr::Call(c) => c.args.args.iter().any(|a| has_range(a, range)),
        _ => false,
    }
}

/// The first series selector of a query (`sum(rate(http_requests_total{job="api"}[5m]))`):
/// its metric name and its `=` matchers, as a peer tool names and labels the SLO's series.
pub(crate) fn first_selector(query: &str) -> Option<(String, Vec<(String, String)>)> {
    fn find(expr: &Expr) -> Option<&parser::VectorSelector> {
        match expr {
            Expr::VectorSelector(v) => Some(v),
            Expr::MatrixSelector(m) => Some(&m.vs),
            Expr::Subquery(s) => find(&s.expr),
            Expr::Aggregate(a) => find(&a.expr),
            Expr::Unary(u) => find(&u.expr),
            Expr::Binary(b) => find(&b.lhs).or_else(|| find(&b.rhs)),
            Expr::Paren(p) => find(&p.expr),
            Expr::Call(c) => c.args.args.iter().find_map(|a| find(a)),
            _ => None,
        }
    }
    let expr = parser::parse(&with_window(query, Duration::from_secs(300))).ok()?;
    let selector = find(&expr)?;
    let equal = selector
        .matchers
        .matchers
        .iter()
        .filter(|m| m.op == promql_parser::label::MatchOp::Equal && m.name != "__name__")
        .map(|m| (m.name.clone(), m.value.clone()))
        .collect();
    Some((selector.name.clone()?, equal))
}

/// Parses a query and checks that it yields an instant vector, as an SLI query must. The
/// expression is for judging the query's shape: its regex matchers may read as equality
/// matchers ([`crate::vocab::regexes`]).
fn parse_instant_vector(query: &str) -> Result<Expr, String> {
    within_limits(query)?;
    let shape = crate::vocab::regexes::as_equality(query)
        .filter(|(_, literals)| literals.iter().all(|l| crate::vocab::regexes::valid(l)))
        .and_then(|(plain, _)| parser::parse(&plain).ok());
    let expr = match shape {
        Some(expr) => expr,
        None => parser::parse(query).map_err(|e| e.trim().to_string())?,
    };
    match expr.value_type() {
        ValueType::Vector => Ok(expr),
        other => Err(format!(
            "the query returns a {other}, but an SLI query must return an instant vector"
        )),
    }
}

/// What validation reads from an SLI query that parses to an instant vector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Judged {
    /// Whether it reads the probe window ([`reads_probe_window`]).
    pub(crate) reads_probe_window: bool,
    /// Whether only Prometheus 3 reads it ([`needs_prometheus_3`]).
    pub(crate) needs_prometheus_3: bool,
    pub(crate) grouping: Grouping,
    /// For a query that is one series selector, whether it matches on `le`.
    pub(crate) selector_matches_le: Option<bool>,
}

/// [`parse_instant_vector`], judged. A fleet's thousands of SLI queries come in a handful of
/// shapes ([`crate::vocab::regexes::shape`]: the same text but for the values named selectors
/// match), and each shape that parses is judged once per run; a query that does not parse is
/// parsed every time, so its message is its own.
pub(crate) fn judge_instant_vector(query: &str) -> Result<Judged, String> {
    static KNOWN: crate::vocab::regexes::Memo<Judged> = crate::vocab::regexes::Memo::new();
    within_limits(query)?;
    let shape = crate::vocab::regexes::shape(query).map(|(shape, _)| shape);
    if let Some(judged) = shape.as_deref().and_then(|s| KNOWN.get(s)) {
        // Every debug build (the test suite) checks the shortcut against the parse it skips.
        debug_assert_eq!(Ok(&judged), judge(query).as_ref(), "{query}");
        return Ok(judged);
    }
    let judged = judge(query)?;
    if let Some(shape) = shape {
        KNOWN.get_or(&shape, || judged.clone());
    }
    Ok(judged)
}

fn judge(query: &str) -> Result<Judged, String> {
    let expr = parse_instant_vector(query)?;
    Ok(Judged {
        reads_probe_window: reads_probe_window(&expr),
        needs_prometheus_3: needs_prometheus_3(&expr),
        grouping: grouping_of(&expr),
        selector_matches_le: match &expr {
            Expr::VectorSelector(v) => Some(v.matchers.matchers.iter().any(|m| m.name == "le")),
            _ => None,
        },
    })
}

/// Where in `query` (as written, with its window placeholder) the parser's `error` is, as a
/// byte offset, for the errors the parser's lexer names: an unexpected character, a bad number
/// or duration, an unterminated string, a bracket left open or closing nothing. None for
/// grammar errors, which the parser reports without a position.
pub(crate) fn error_offset(query: &str, error: &str) -> Option<usize> {
    use crate::vocab::metricsql::{find_unquoted, unbalanced_at};
    if let Some(token) = error.strip_prefix("bad number or duration syntax: ") {
        return query.find(token.trim());
    }
    if error.starts_with("unexpected character") {
        let quoted = error.rsplit_once(": '")?.1.strip_suffix('\'')?;
        let mut chars = quoted.chars();
        return chars
            .next()
            .filter(|_| chars.next().is_none())
            .and_then(|c| find_unquoted(query, c));
    }
    let bracket = ["unclosed", "unterminated", "unexpected right"];
    bracket
        .iter()
        .any(|b| error.starts_with(b))
        .then(|| unbalanced_at(query))
        .flatten()
}

/// The labels a query keeps: `by (...)` of its outermost aggregation, or none for a bare `sum(...)`.
fn grouping_of(expr: &Expr) -> Grouping {
    match expr {
        Expr::Paren(p) => grouping_of(&p.expr),
        Expr::Aggregate(agg) => match &agg.modifier {
            None => Grouping::By(Vec::new()),
            Some(LabelModifier::Include(labels)) => {
                let mut names = labels.labels.clone();
                names.sort();
                names.dedup();
                Grouping::By(names)
            }
            Some(LabelModifier::Exclude(_)) => Grouping::Unknown,
        },
        _ => Grouping::Unknown,
    }
}

/// Escapes text for a PromQL double-quoted string literal.
pub(crate) fn escape_string(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    escape_into(&mut out, value);
    out
}

/// [`escape_string`] at the end of `out`.
fn escape_into(out: &mut String, value: &str) {
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
}

/// `name="value"` pairs joined for a selector, each value escaped. Written in one string:
/// every rule, dashboard panel and test names its SLO's series with these.
pub(crate) fn matchers(pairs: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(pairs.iter().map(|(k, v)| k.len() + v.len() + 5).sum());
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(k);
        out.push_str("=\"");
        escape_into(&mut out, v);
        out.push('"');
    }
    out
}

/// Whether `name` is a valid Prometheus label name (and not one of the reserved `__` names).
pub(crate) fn is_valid_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with("__")
}

/// A selector of the series named `name` with `matchers` (text inside the braces, may be
/// empty): `name{matchers}` for a classic name, `{"name", matchers}` for a UTF-8 one
/// (`http.server.request.duration_seconds_bucket`), which only Prometheus 3 reads.
pub(crate) fn selector(name: &str, matchers: &str) -> String {
    if is_valid_metric_name(name) {
        format!("{name}{{{matchers}}}")
    } else if matchers.is_empty() {
        format!("{{\"{}\"}}", escape_string(name))
    } else {
        format!("{{\"{}\", {matchers}}}", escape_string(name))
    }
}

/// Whether `name` is a UTF-8 metric name slocc takes as written (OpenTelemetry's
/// `http.server.request.duration_seconds`): Prometheus 3 reads any UTF-8 name, but one that
/// starts with a digit or holds white space, a quote or a brace is far likelier a typo than a
/// metric, so it is refused. [`is_valid_metric_name`] says whether Prometheus 2 reads it too.
pub(crate) fn is_utf8_metric_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && !name
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '{' | '}' | '\\'))
}

/// Whether `expr` names a metric or label that only Prometheus 3 reads (UTF-8 names, written
/// quoted: `{"http.server.requests", "service.name"="api"}`).
fn needs_prometheus_3(expr: &Expr) -> bool {
    let mut found = false;
    let mut visit = |e: &Expr| {
        let selector = match e {
            Expr::VectorSelector(v) => Some(v),
            Expr::MatrixSelector(m) => Some(&m.vs),
            _ => None,
        };
        if let Some(v) = selector {
            found |= v.name.as_deref().is_some_and(|n| !is_valid_metric_name(n))
                || v.matchers.matchers.iter().any(|m| {
                    (m.name == "__name__" && !is_valid_metric_name(&m.value))
                        || (m.name != "__name__" && !is_valid_label_name(&m.name))
                });
        }
    };
    walk(expr, &mut visit);
    found
}

/// The metric names a query reads (by name, or by an `=` matcher on `__name__`); none when it
/// does not parse.
pub(crate) fn metric_names(query: &str) -> Vec<String> {
    let Ok(expr) = promql_parser::parser::parse(query) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    walk(&expr, &mut |e: &Expr| {
        if let Expr::VectorSelector(v) = e {
            names.extend(v.name.clone());
            names.extend(
                v.matchers
                    .matchers
                    .iter()
                    .filter(|m| {
                        m.name == "__name__" && m.op == promql_parser::label::MatchOp::Equal
                    })
                    .map(|m| m.value.clone()),
            );
        }
    });
    names
}

/// Calls `visit` on `expr` and every expression inside it.
fn walk(expr: &Expr, visit: &mut impl FnMut(&Expr)) {
    visit(expr);
    match expr {
        Expr::Aggregate(a) => {
            walk(&a.expr, visit);
            if let Some(p) = &a.param {
                walk(p, visit);
            }
        }
        Expr::Unary(u) => walk(&u.expr, visit),
        Expr::Binary(b) => {
            walk(&b.lhs, visit);
            walk(&b.rhs, visit);
        }
        Expr::Paren(p) => walk(&p.expr, visit),
        Expr::Subquery(s) => walk(&s.expr, visit),
        Expr::Call(c) => c.args.args.iter().for_each(|a| walk(a, visit)),
        Expr::MatrixSelector(m) => visit(&Expr::VectorSelector(m.vs.clone())),
        _ => {}
    }
}

/// Whether `name` is a valid Prometheus metric name.
pub(crate) fn is_valid_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

/// A series selector an SLI query reads: its metric name, matchers, and the labels the query
/// groups by (`sum by (route)`), so a test can write series the query selects.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    /// The function over the selector's range (`rate`, `sum_over_time`, ...; empty for an
    /// instant selector).
    pub(crate) func: &'static str,
    pub(crate) name: String,
    pub(crate) matchers: Vec<promql_parser::label::Matcher>,
    pub(crate) by: Vec<String>,
}

/// The selector of an SLI query of the plain shapes tests can drive: a selector alone or under
/// `rate`, `increase`, `avg_over_time`, `sum_over_time`, `count_over_time`, `max_over_time`,
/// `min_over_time` or `last_over_time`, alone or in one `sum`, `avg`, `max` or `min`
/// (`sum(rate(x{...}[5m]))`, `avg(avg_over_time(r{...}[5m]))`); `None` for anything else.
pub(crate) fn selected(query: &str) -> Option<Selected> {
    let query = with_window(query, Duration::from_secs(300));
    if let Some(selected) = selected_by_shape(&query) {
        // Every debug build (the test suite) checks the shortcut against the parse it skips.
        debug_assert_eq!(
            format!("{selected:?}"),
            format!(
                "{:?}",
                parse_for_tests(&query).and_then(|(e, r)| selected_in(&e, &r))
            )
        );
        return selected;
    }
    let (expr, regexes) = parse_for_tests(&query)?;
    selected_in(&expr, &regexes)
}

/// [`selected`] from the selector of `query`'s [`crate::vocab::regexes::shape`], parsed once
/// per run, its matchers given back the query's values; `None` (to parse the query itself) when
/// the query has no shape, or the shape is no selector tests drive, or its matchers are not the
/// shape's values one for one (`or` in a selector).
fn selected_by_shape(query: &str) -> Option<Option<Selected>> {
    static KNOWN: crate::vocab::regexes::Memo<Option<Selected>> =
        crate::vocab::regexes::Memo::new();
    let (shape, literals) = crate::vocab::regexes::shape(query)?;
    let template = KNOWN.get_or(&shape, || {
        parser::parse(&shape)
            .ok()
            .and_then(|e| selected_in(&e, &[]))
    })?;
    if template.matchers.len() != literals.len() {
        return None;
    }
    let matchers = template
        .matchers
        .iter()
        .zip(literals)
        .map(|(m, literal)| crate::vocab::regexes::refill(&m.op, &m.name, literal))
        .collect::<Option<_>>()?;
    Some(Some(Selected {
        matchers,
        ..template
    }))
}

/// `query` parsed with its window placeholder read as 5m, and the regex matchers to put back
/// into any selector taken from it: a fleet's tests read the same few regexes thousands of
/// times, and each is compiled once ([`crate::vocab::regexes`]).
fn parse_for_tests(query: &str) -> Option<(Expr, Vec<promql_parser::label::Matcher>)> {
    let query = with_window(query, Duration::from_secs(300));
    crate::vocab::regexes::with_placeholders(&query)
        .and_then(|(plain, regexes)| Some((parser::parse(&plain).ok()?, regexes)))
        .or_else(|| Some((parser::parse(&query).ok()?, Vec::new())))
}

/// A `histogram_quantile(q, ...)` query over a classic histogram's buckets: the quantile and
/// the `_bucket` selector under `rate` or `increase`, grouped by `le`.
pub(crate) fn quantile_of(query: &str) -> Option<(f64, Selected)> {
    let (expr, regexes) = parse_for_tests(query)?;
    let Expr::Call(call) = &expr else {
        return None;
    };
    if call.func.name != "histogram_quantile" || call.args.args.len() != 2 {
        return None;
    }
    let Expr::NumberLiteral(q) = call.args.args[0].as_ref() else {
        return None;
    };
    let s = selected_in(&call.args.args[1], &regexes)?;
    let counts = matches!(s.func, "rate" | "increase");
    (counts && s.name.ends_with("_bucket") && s.by.iter().any(|l| l == "le")).then_some((q.val, s))
}

fn selected_in(expr: &Expr, regexes: &[promql_parser::label::Matcher]) -> Option<Selected> {
    let (inner, by) = match expr {
        Expr::Aggregate(a) if a.param.is_none() => {
            if !["sum", "avg", "max", "min"].contains(&a.op.to_string().as_str()) {
                return None;
            }
            let by = match &a.modifier {
                None => Vec::new(),
                Some(LabelModifier::Include(l)) => l.labels.clone(),
                Some(LabelModifier::Exclude(_)) => return None,
            };
            (a.expr.as_ref(), by)
        }
        other => (other, Vec::new()),
    };
    let (func, vs) = match inner {
        Expr::VectorSelector(vs) => ("", vs),
        Expr::Call(call) => {
            const DRIVABLE: [&str; 8] = [
                "rate",
                "increase",
                "avg_over_time",
                "sum_over_time",
                "count_over_time",
                "max_over_time",
                "min_over_time",
                "last_over_time",
            ];
            if !DRIVABLE.contains(&call.func.name) || call.args.args.len() != 1 {
                return None;
            }
            let Expr::MatrixSelector(m) = call.args.args[0].as_ref() else {
                return None;
            };
            (call.func.name, &m.vs)
        }
        _ => return None,
    };
    let matchers = vs
        .matchers
        .matchers
        .iter()
        .filter(|m| m.name != "__name__")
        .map(|m| {
            let mut m = m.clone();
            crate::vocab::regexes::restore(&mut m, regexes);
            m
        })
        .collect();
    Some(Selected {
        func,
        name: vs.name.clone()?,
        matchers,
        by,
    })
}

/// Label sets that satisfy matchers: each label a value every matcher on it accepts.
pub(crate) mod solve {
    use promql_parser::label::Matcher;

    /// Values worth trying for a label, besides those the matchers themselves spell.
    const CANDIDATES: [&str; 14] = [
        "500",
        "503",
        "200",
        "404",
        "ok",
        "success",
        "failed",
        "error",
        "true",
        "false",
        "1",
        "0",
        "x",
        "slocc-test",
    ];

    /// What a regex spells literally: each alternative with `.` as `0` and other classes
    /// dropped (`5..` gives `500`, `(500|503)` gives `500` and `503`).
    fn spelled(pattern: &str) -> Vec<String> {
        pattern
            .trim_start_matches('^')
            .trim_end_matches('$')
            .split('|')
            .map(|alt| {
                alt.replace("\\.", "\u{1}")
                    .chars()
                    .filter(|c| !matches!(c, '(' | ')' | '*' | '+' | '?' | '^' | '$' | '\\'))
                    .map(|c| match c {
                        '.' => '0',
                        '\u{1}' => '.',
                        c => c,
                    })
                    .collect()
            })
            .collect()
    }

    /// A value for `label` that every matcher in `accept` (on that label) accepts and, when
    /// `reject` is given, that matcher rejects; `None` when no candidate does.
    pub(crate) fn value(
        label: &str,
        accept: &[&Matcher],
        reject: Option<&Matcher>,
    ) -> Option<String> {
        let mut tries: Vec<String> = Vec::new();
        // Only `!=`/`!~` on the label: a value that says where it came from.
        let negative = |m: &&Matcher| {
            matches!(
                m.op,
                promql_parser::label::MatchOp::NotEqual | promql_parser::label::MatchOp::NotRe(_)
            )
        };
        if reject.is_none() && accept.iter().all(negative) {
            tries.push("slocc-test".into());
        }
        for m in accept.iter().copied().chain(reject) {
            match m.op {
                promql_parser::label::MatchOp::Re(_) | promql_parser::label::MatchOp::NotRe(_) => {
                    tries.extend(spelled(&m.value))
                }
                _ => tries.push(m.value.clone()),
            }
        }
        tries.extend(CANDIDATES.iter().map(|c| (*c).to_string()));
        tries.push(format!("{label}-slocc-test"));
        tries
            .into_iter()
            .find(|v| accept.iter().all(|m| m.is_match(v)) && reject.is_none_or(|m| !m.is_match(v)))
    }

    /// Labels for which every matcher of `sets` accepts: each label every matcher names gets a
    /// value all of them accept; `None` when a label has none.
    pub(crate) fn labels(sets: &[&[Matcher]]) -> Option<Vec<(String, String)>> {
        let mut names: Vec<&str> = sets
            .iter()
            .flat_map(|s| s.iter().map(|m| m.name.as_str()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
            .into_iter()
            .map(|name| {
                let on: Vec<&Matcher> = sets
                    .iter()
                    .flat_map(|s| s.iter())
                    .filter(|m| m.name == name)
                    .collect();
                Some((name.to_string(), value(name, &on, None)?))
            })
            .collect()
    }

    /// `hit` (which every matcher of `both` and `hit_only` accepts) changed on one label so
    /// that `both`'s matchers still accept it and one of `hit_only`'s rejects it: the series a
    /// query of `hit_only` does not select but one of `both` does.
    pub(crate) fn miss(
        hit: &[(String, String)],
        both: &[Matcher],
        hit_only: &[Matcher],
    ) -> Option<Vec<(String, String)>> {
        hit_only.iter().find_map(|reject| {
            let accept: Vec<&Matcher> = both.iter().filter(|m| m.name == reject.name).collect();
            let value = value(&reject.name, &accept, Some(reject))?;
            let mut out = hit.to_vec();
            match out.iter_mut().find(|(k, _)| *k == reject.name) {
                Some(pair) => pair.1 = value,
                None => out.push((reject.name.clone(), value)),
            }
            out.sort();
            Some(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solved_labels_are_what_the_selectors_select() {
        let errors =
            selected("sum(rate(http_requests_total{job=\"api\", code=~\"5..\"}[{{window}}]))")
                .unwrap();
        let total = selected("sum by (route) (rate(http_requests_total{job=\"api\", route!=\"/healthz\"}[{{window}}]))").unwrap();
        assert_eq!(total.by, ["route"]);
        let hit = solve::labels(&[&errors.matchers, &total.matchers]).unwrap();
        assert_eq!(
            hit,
            [
                ("code".into(), "500".into()),
                ("job".into(), "api".into()),
                ("route".into(), "slocc-test".into())
            ]
        );
        let miss = solve::miss(&hit, &total.matchers, &errors.matchers).unwrap();
        assert!(
            miss.iter().any(|(k, v)| k == "code" && v != "500"),
            "{miss:?}"
        );
        let selects = |labels: &[(String, String)], m: &[promql_parser::label::Matcher]| {
            m.iter()
                .all(|m| labels.iter().any(|(k, v)| *k == m.name && m.is_match(v)))
        };
        assert!(selects(&hit, &errors.matchers) && selects(&hit, &total.matchers));
        assert!(!selects(&miss, &errors.matchers) && selects(&miss, &total.matchers));
        // Shapes the tests cannot drive.
        assert!(selected("sum(rate(a[{{window}}])) / sum(rate(b[{{window}}]))").is_none());
        assert!(selected("histogram_quantile(0.99, sum by (le) (rate(h[{{window}}])))").is_none());
        // A count of series is not a rate, however plain its inside.
        assert!(selected("count(rate(a[{{window}}]))").is_none());
        // Gauges a threshold judges: alone, or over time.
        assert_eq!(selected("max(queue_age{q=\"a\"})").unwrap().func, "");
        assert_eq!(
            selected("min(min_over_time(hits[{{window}}]))")
                .unwrap()
                .func,
            "min_over_time"
        );
        // A quantile over a classic histogram's buckets, grouped by `le`.
        let (q, buckets) = quantile_of(
            "histogram_quantile(0.95, sum by (le) (rate(h_bucket{j=\"x\"}[{{window}}])))",
        )
        .unwrap();
        assert_eq!((q, buckets.name.as_str()), (0.95, "h_bucket"));
        assert!(quantile_of("histogram_quantile(0.95, sum(rate(h_bucket[5m])))").is_none());
        assert!(quantile_of("histogram_quantile(0.95, sum by (le) (rate(h[5m])))").is_none());
        // Contradictions have no solution.
        let both = selected("sum(rate(x{a=\"1\", a=\"2\"}[5m]))").unwrap();
        assert!(solve::labels(&[&both.matchers]).is_none());
    }

    #[test]
    fn queries_of_one_shape_are_judged_as_each_would_be() {
        // Each query judged after a query of the same shape with other values, then alone.
        let pairs = [
            (
                r#"sum by (r) (rate(x{job="a", code=~"5..", r!="b"}[5m]))"#,
                r#"sum by (r) (rate(x{job="zz", code=~"4.+", r!="'"}[5m]))"#,
            ),
            (r#"x{a="b"}"#, r#"x{a="\q"}"#),
            (r#"x{a="b"}"#, r#"x{a="\"\u00e9"}"#),
            (r#"x{a=~"b"}"#, r#"x{a=~"("}"#),
            (r#"x{a="b"}"#, r#"x{a="b", a="c"}"#),
            (r#"rate(x{a='b'}[5m])"#, "rate(x{a=`c`}[5m])"),
            (r#"{a="b"}"#, r#"{a=""}"#),
            (r#"{__name__="x"}"#, r#"{__name__="a.b"}"#),
            (r#"x{"a.b"="c"}"#, r#"x{"a.b"=""}"#),
            (r#"x{a="b"}"#, "x{a=\"b\" # c\n}"),
        ];
        for (first, second) in pairs {
            for query in [first, second] {
                let direct = judge(query);
                assert_eq!(judge_instant_vector(query), direct, "{query}");
            }
        }
        let shape = |q| crate::vocab::regexes::shape(q).map(|(shape, _)| shape);
        assert_eq!(shape(pairs[0].0), shape(pairs[0].1));
        assert_eq!(
            crate::vocab::regexes::shape(pairs[0].0).unwrap(),
            (
                r#"sum by (r) (rate(x{job="", code=~"", r!=""}[5m]))"#.to_string(),
                vec![r#""a""#, r#""5..""#, r#""b""#]
            )
        );
        // Left to the parser: no name, `__name__`, a quoted label, an escape, a bad regex,
        // a comment, an operator that is no matcher's.
        for query in [
            pairs[6].0,
            pairs[7].0,
            pairs[8].0,
            pairs[1].1,
            pairs[3].1,
            pairs[9].1,
            r#"x{a=="b"}"#,
            r#"x{a!"b"}"#,
        ] {
            assert_eq!(shape(query), None, "{query}");
        }
    }

    #[test]
    fn random_queries_get_from_their_shapes_what_their_own_parse_gives() {
        const NAMES: [&str; 4] = ["x", "", "sum", "x_bucket"];
        const LABELS: [&str; 5] = ["a", "le", "__name__", "\"a.b\"", "job"];
        const OPS: [&str; 5] = ["=", "!=", "=~", "!~", "=="];
        const VALUES: [&str; 12] = [
            "\"v\"",
            "'v'",
            "`v`",
            "\"5..\"",
            "\"(\"",
            "\"\"",
            "\"a\\\"b\"",
            "\"\\q\"",
            "\"}\"",
            "\"#\"",
            "'\u{1}0'",
            "\"w\" # c\n",
        ];
        const SHAPES: [&str; 5] = [
            "rate(S[5m])",
            "sum by (a) (rate(S[5m]))",
            "max(S)",
            "sum(rate(S[5m])) / sum(rate(S[5m]))",
            "histogram_quantile(0.9, sum by (le) (rate(S[5m])))",
        ];
        // About one in eight has a shape (501 of 4,000), and shapes repeat, so the memos answer.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut pick = |n: usize| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % n as u64) as usize
        };
        for _ in 0..4_000 {
            let matchers: Vec<String> = (0..1 + pick(3))
                .map(|_| {
                    let (l, o, v) = (LABELS[pick(5)], OPS[pick(5)], VALUES[pick(12)]);
                    format!("{l}{o}{v}")
                })
                .collect();
            let joint = if pick(8) == 0 { " or " } else { ", " };
            let selector = format!("{}{{{}}}", NAMES[pick(4)], matchers.join(joint));
            let query = SHAPES[pick(5)].replace('S', &selector);
            assert_eq!(judge_instant_vector(&query), judge(&query), "{query}");
            let full = parse_for_tests(&query).and_then(|(e, r)| selected_in(&e, &r));
            assert_eq!(
                format!("{:?}", selected(&query)),
                format!("{full:?}"),
                "{query}"
            );
        }
    }

    #[test]
    fn selectors_read_with_regexes_parsed_once_are_what_the_parser_reads() {
        for query in [
            r#"sum by (route) (rate(x{code=~"5..", route!~'/a\'b', job="j"}[{{window}}]))"#,
            r#"rate(x{a=~`c.d`, b="=~", c!~"(x|y)+"}[5m])"#,
            r#"avg_over_time(x{a=~"b", a=~"b"}[5m])"#,
            r#"sum(rate({__name__="x", code=~"5.."}[5m]))"#,
            r#"max({__name__=~"x", a!~""})"#,
            // One shape, three values each: the second and third are the first's refilled.
            r#"sum(rate(x{a="1", b=~"5..", c!~"d", e!="f"}[5m]))"#,
            r#"sum(rate(x{a='2', b=~"4.+", c!~`(g|h)`, e!="'"}[5m]))"#,
            r#"sum(rate(x{a="", b=~"", c!~"", e!=""}[5m]))"#,
            r#"sum(rate(x{a="1" or b="2"}[5m]))"#,
            r#"max(x{a!~""})"#,
            "rate(x{a=~\"\u{1}0\"}[5m])",
            "rate(x{a=\"\u{1}0\", b=~\"c\"}[5m])",
        ] {
            let plain = parser::parse(&with_window(query, Duration::from_secs(300))).unwrap();
            let plain = selected_in(&plain, &[]);
            assert_eq!(
                format!("{:?}", selected(query)),
                format!("{plain:?}"),
                "{query}"
            );
        }
    }

    #[test]
    fn queries_beyond_the_limits_are_refused_before_parsing() {
        let deep = format!("{}x{}", "abs(".repeat(200_000), ")".repeat(200_000));
        assert!(parse_instant_vector(&deep).unwrap_err().contains("limit"));
        let nested = format!("{}x{}", "(".repeat(100), ")".repeat(100));
        assert!(parse_instant_vector(&nested)
            .unwrap_err()
            .contains("64 levels"));
        let signs = format!("{}x", "-".repeat(100));
        assert!(parse_instant_vector(&signs)
            .unwrap_err()
            .contains("64 levels"));
        let chain = vec!["up"; 1_000].join(" - ");
        assert!(
            parse_instant_vector(&chain).is_ok(),
            "a long binary chain is fine"
        );
        assert!(parse_instant_vector(
            r#"up{a="((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((("}"#
        )
        .is_ok());
    }

    #[test]
    fn the_placeholder_must_be_a_range() {
        let reads = |template: &str| {
            reads_probe_window(&parser::parse(&with_window(template, PROBE_WINDOW)).unwrap())
        };
        assert!(reads("sum(rate(x[{{window}}]))"));
        assert!(reads("max_over_time(up[{{window}}:1m])"));
        assert!(reads("sum(rate(a[5m])) / sum(rate(b[{{ window }}]))"));
        assert!(!reads(r#"sum(rate(x{w="{{window}}"}[5m]))"#));
    }

    #[test]
    fn every_spelling_of_the_placeholder_is_the_window() {
        let five = Duration::from_secs(300);
        for spelled in [
            "{{window}}",
            "{{.window}}",
            "{{ window }}",
            "{{ .window}}",
            "{{\twindow }}",
        ] {
            let query = format!("rate(x[{spelled}])");
            assert!(has_window_placeholder(&query), "{spelled}");
            assert_eq!(with_window(&query, five), "rate(x[5m])", "{spelled}");
        }
        assert!(!has_window_placeholder("rate(x[{{ windows }}])"));
        assert_eq!(
            normalize_placeholders("a{{b}}{{ window}}"),
            "a{{b}}{{window}}"
        );
    }

    #[test]
    fn substitutes_both_placeholder_spellings() {
        let w = Duration::from_secs(3_600);
        assert_eq!(with_window("rate(x[{{window}}])", w), "rate(x[1h])");
        assert_eq!(with_window("rate(x[{{.window}}])", w), "rate(x[1h])");
        assert!(!has_window_placeholder("rate(x[5m])"));
    }

    #[test]
    fn accepts_instant_vectors_only() {
        assert!(parse_instant_vector("sum(rate(x[5m]))").is_ok());
        assert!(parse_instant_vector("rate(x[5m]").is_err());
        let err = parse_instant_vector("x[5m]").unwrap_err();
        assert!(err.contains("instant vector"), "{err}");
        assert!(parse_instant_vector("\"text\"").is_err());
    }

    #[test]
    fn lexer_errors_point_at_their_token() {
        fn at(query: &str) -> Option<&str> {
            let probe = with_window(query, PROBE_WINDOW);
            let error = parse_instant_vector(&probe).unwrap_err();
            error_offset(query, &error).map(|i| &query[i..])
        }
        assert_eq!(at("sum(rate(x[5q]))"), Some("5q]))"));
        assert_eq!(at("sum(x) $ 3"), Some("$ 3"));
        assert_eq!(at("x{a~\"b\"}"), Some("~\"b\"}"));
        assert_eq!(
            at("sum(rate(x{a=\"b}[{{window}}]))"),
            Some("\"b}[{{window}}]))")
        );
        assert_eq!(at("sum(rate(x[{{window}}])"), Some("(rate(x[{{window}}])"));
        assert_eq!(at("sum(rate(x[{{window}}])))"), Some(")"));
        // A grammar error has no position to give.
        assert_eq!(at("sum(x) by"), None);
    }

    #[test]
    fn finds_outer_grouping() {
        let g = |q: &str| grouping_of(&parse_instant_vector(q).unwrap());
        assert_eq!(g("sum(rate(x[5m]))"), Grouping::By(vec![]));
        assert_eq!(
            g("sum by (route, code) (rate(x[5m]))"),
            Grouping::By(vec!["code".into(), "route".into()])
        );
        assert_eq!(
            g("(sum by (route) (rate(x[5m])))"),
            Grouping::By(vec!["route".into()])
        );
        assert_eq!(g("sum without (pod) (rate(x[5m]))"), Grouping::Unknown);
        assert_eq!(g("rate(x[5m])"), Grouping::Unknown);
    }

    #[test]
    fn escapes_string_literals_so_they_parse_back() {
        let nasty = "a\"b\\c\nd";
        let query = format!("x{{{}}}", matchers(&[("l", nasty)]));
        assert_eq!(query, r#"x{l="a\"b\\c\nd"}"#);
        assert!(parse_instant_vector(&query).is_ok());
    }

    #[test]
    fn validates_names() {
        assert!(is_valid_label_name("team"));
        assert!(is_valid_label_name("_x1"));
        assert!(!is_valid_label_name("1x"));
        assert!(!is_valid_label_name("__name__"));
        assert!(!is_valid_label_name("a-b"));
        assert!(is_valid_metric_name("http:requests_total"));
        assert!(!is_valid_metric_name("http-requests"));
    }
}
