//! Prometheus-style durations (`1w2d`, `90m`, `500ms`): a nom grammar and the one canonical printer.

use std::fmt;

use nom::{
    branch::alt,
    bytes::complete::tag,
    character::complete::digit1,
    combinator::{all_consuming, map_res},
    multi::many1,
    IResult, Parser,
};

/// The days of the week as specs name them, Monday first (a week's `shift`).
pub(crate) const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A non-negative duration with millisecond precision, the resolution PromQL uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub(crate) struct Duration {
    millis: u64,
}

const MS: u64 = 1;
const SECOND: u64 = 1_000 * MS;
const MINUTE: u64 = 60 * SECOND;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;
const WEEK: u64 = 7 * DAY;
const YEAR: u64 = 365 * DAY;

/// Why a duration string was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum DurationError {
    /// Not of the form `<number><unit>...`.
    #[error("`{0}` is not a duration: expected a number and a unit (ms, s, m, h, d, w, y), e.g. `5m` or `1h30m`")]
    Syntax(String),
    /// Units out of order or repeated (`5m1h`, `1h1h`), which Prometheus rejects.
    #[error("`{0}` lists its units out of order or twice: write the largest unit first, each once, e.g. `1h30m`")]
    UnitOrder(String),
    /// So large it overflows.
    #[error("`{0}` is too long a duration: Prometheus accepts at most about 292 years")]
    Overflow(String),
}

/// One unit, tagged with its rank (largest unit first, as Prometheus requires: y w d h m s ms);
/// `ms` is tried before `m` so that it is not read as minutes.
fn unit(input: &str) -> IResult<&str, (usize, u64)> {
    alt((
        tag("y").map(|_| (0, YEAR)),
        tag("w").map(|_| (1, WEEK)),
        tag("d").map(|_| (2, DAY)),
        tag("h").map(|_| (3, HOUR)),
        tag("ms").map(|_| (6, MS)),
        tag("m").map(|_| (4, MINUTE)),
        tag("s").map(|_| (5, SECOND)),
    ))
    .parse(input)
}

/// The longest duration Prometheus accepts: its durations are 64-bit nanoseconds (about 292
/// years); anything longer makes promtool reject the whole rule file.
const MAX_MILLIS: u64 = i64::MAX as u64 / 1_000_000;

fn component(input: &str) -> IResult<&str, (u64, (usize, u64))> {
    (map_res(digit1, str::parse::<u64>), unit).parse(input)
}

impl Duration {
    /// A duration of `millis` milliseconds.
    pub(crate) const fn from_millis(millis: u64) -> Self {
        Self { millis }
    }

    /// A duration of `secs` seconds.
    pub(crate) const fn from_secs(secs: u64) -> Self {
        Self {
            millis: secs * SECOND,
        }
    }

    /// Milliseconds in this duration.
    pub(crate) const fn as_millis(self) -> u64 {
        self.millis
    }

    /// Seconds in this duration, as a float for rate maths.
    pub(crate) fn as_secs_f64(self) -> f64 {
        self.millis as f64 / SECOND as f64
    }

    /// Whether this is zero.
    pub(crate) const fn is_zero(self) -> bool {
        self.millis == 0
    }

    /// Parses Prometheus duration syntax: one or more `<integer><unit>` with units largest first.
    pub(crate) fn parse(text: &str) -> Result<Self, DurationError> {
        let trimmed = text.trim();
        let (_, parts) = all_consuming(many1(component)).parse(trimmed).map_err(
            |_: nom::Err<nom::error::Error<&str>>| DurationError::Syntax(text.to_string()),
        )?;
        let mut last_unit: Option<usize> = None;
        let mut millis: u64 = 0;
        for (value, (index, scale)) in parts {
            if last_unit.is_some_and(|prev| index <= prev) {
                return Err(DurationError::UnitOrder(text.to_string()));
            }
            last_unit = Some(index);
            millis = value
                .checked_mul(scale)
                .and_then(|v| millis.checked_add(v))
                .filter(|m| *m <= MAX_MILLIS)
                .ok_or_else(|| DurationError::Overflow(text.to_string()))?;
        }
        Ok(Self { millis })
    }
}

impl fmt::Display for Duration {
    /// Canonical form, as Prometheus prints it: largest units first, no weeks-for-days surprises
    /// (`30d`, not `4w2d`; `7d` stays `7d`), `0s` for zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.millis == 0 {
            return f.write_str("0s");
        }
        let mut rest = self.millis;
        // Weeks and years are left out on purpose: SLO windows are spoken of in days.
        for (name, scale) in [
            ("d", DAY),
            ("h", HOUR),
            ("m", MINUTE),
            ("s", SECOND),
            ("ms", MS),
        ] {
            let count = rest / scale;
            if count > 0 {
                write!(f, "{count}{name}")?;
                rest -= count * scale;
            }
        }
        Ok(())
    }
}

/// Human form for prose (runbooks, reports): `43m 12s`, `1h`, `2d 3h`, `52s`, `0.5s`.
pub(crate) fn humanize_secs(secs: f64) -> String {
    if !secs.is_finite() {
        return "never".to_string();
    }
    if secs < 1.0 {
        return format!("{}s", crate::vocab::number::format_f64(secs, 2));
    }
    if secs < 60.0 {
        return format!("{}s", crate::vocab::number::format_f64(secs, 1));
    }
    let total = secs.round() as u64;
    let parts = [
        (total / 86_400, "d"),
        ((total % 86_400) / 3_600, "h"),
        ((total % 3_600) / 60, "m"),
        (total % 60, "s"),
    ];
    let words: Vec<String> = parts
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, unit)| format!("{n}{unit}"))
        .collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_prometheus_syntax() {
        assert_eq!(Duration::parse("5m").unwrap(), Duration::from_secs(300));
        assert_eq!(
            Duration::parse("1h30m").unwrap(),
            Duration::from_secs(5_400)
        );
        assert_eq!(
            Duration::parse("1w2d").unwrap(),
            Duration::from_secs(9 * 86_400)
        );
        assert_eq!(
            Duration::parse("500ms").unwrap(),
            Duration::from_millis(500)
        );
        assert_eq!(Duration::parse("90m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(
            Duration::parse("1y").unwrap(),
            Duration::from_secs(365 * 86_400)
        );
        assert_eq!(Duration::parse("0s").unwrap(), Duration::default());
    }

    #[test]
    fn rejects_bad_syntax() {
        for bad in [
            "", "5", "m", "1.5h", "-5m", "5 m", "5mins", "1h 30m", "300 ms",
        ] {
            assert!(
                matches!(Duration::parse(bad), Err(DurationError::Syntax(_))),
                "{bad:?} should be a syntax error"
            );
        }
    }

    #[test]
    fn rejects_units_out_of_order() {
        assert!(matches!(
            Duration::parse("30m1h"),
            Err(DurationError::UnitOrder(_))
        ));
        assert!(matches!(
            Duration::parse("1h1h"),
            Err(DurationError::UnitOrder(_))
        ));
        // Prometheus's order is y w d h m s ms: milliseconds come last.
        assert!(matches!(
            Duration::parse("500ms1m"),
            Err(DurationError::UnitOrder(_))
        ));
        assert_eq!(Duration::parse("1s500ms").unwrap().as_millis(), 1_500);
        assert_eq!(Duration::parse("1m500ms").unwrap().as_millis(), 60_500);
    }

    #[test]
    fn rejects_overflow() {
        assert!(matches!(
            Duration::parse("99999999999999y"),
            Err(DurationError::Overflow(_))
        ));
        // Within u64 milliseconds, but past what Prometheus parses (promtool rejects 300y).
        assert!(matches!(
            Duration::parse("300y"),
            Err(DurationError::Overflow(_))
        ));
        assert!(Duration::parse("292y").is_ok());
    }

    #[test]
    fn prints_canonically() {
        let cases = [
            ("5m", "5m"),
            ("90m", "1h30m"),
            ("1w2d", "9d"),
            ("30d", "30d"),
            ("4w", "28d"),
            ("500ms", "500ms"),
            ("1h0m", "1h"),
            ("0s", "0s"),
            ("1d12h", "1d12h"),
        ];
        for (input, want) in cases {
            assert_eq!(Duration::parse(input).unwrap().to_string(), want, "{input}");
        }
    }

    #[test]
    fn canonical_form_round_trips() {
        for secs in [
            1, 59, 60, 61, 3_599, 3_600, 86_399, 86_400, 2_592_000, 7_776_000,
        ] {
            let d = Duration::from_secs(secs);
            assert_eq!(Duration::parse(&d.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn humanizes_for_prose() {
        assert_eq!(humanize_secs(2_592.0), "43m 12s");
        assert_eq!(humanize_secs(2_419.2), "40m 19s");
        assert_eq!(humanize_secs(51.84), "51.8s");
        assert_eq!(humanize_secs(3_600.0), "1h");
        assert_eq!(humanize_secs(0.5), "0.5s");
        assert_eq!(humanize_secs(f64::INFINITY), "never");
    }
}
