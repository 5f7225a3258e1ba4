//! Exact decimals for objectives and thresholds, and the one number formatter used in every output.

use rust_decimal::Decimal;

/// Significant digits kept when a division does not terminate (factor 0.9333… for a 28d window).
/// Fifteen digits are what an `f64` round-trips, so Prometheus reads back exactly what we print.
const SIGNIFICANT_DIGITS: u32 = 15;

/// Prints a decimal in its shortest exact form: `0.999`, `14.4`, `0.0144`, `1`, never `0.9990000000000001`.
pub(crate) fn format_decimal(value: Decimal) -> String {
    let rounded = value
        .round_sf(SIGNIFICANT_DIGITS)
        .unwrap_or(value)
        .normalize();
    rounded.to_string()
}

/// Why a text is not taken as an exact decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotExact {
    /// Not a decimal number at all.
    NotANumber,
    /// A number with more digits than an exact decimal keeps (28 significant, 28 after the
    /// point), not all of them trailing zeros: rounding it would change what the user wrote.
    TooPrecise,
    /// A number whose whole part alone has more digits than an exact decimal keeps.
    TooLarge,
}

/// The most significant digits an exact decimal keeps.
pub(crate) const EXACT_DIGITS: usize = 28;

/// Parses `text` as an exact decimal. Digits past what a decimal keeps are accepted when they
/// are trailing zeros (`99.900000000000000000000000000000` is 99.9) and refused by name when
/// they are not, never rounded without a word.
pub(crate) fn parse_exact(text: &str) -> Result<Decimal, NotExact> {
    let text = text.trim();
    if let Ok(value) = Decimal::from_str_exact(text) {
        return Ok(value);
    }
    let shortened = match text.split_once('.') {
        Some((whole, fraction)) => {
            let fraction = fraction.trim_end_matches('0');
            if fraction.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{fraction}")
            }
        }
        None => text.to_string(),
    };
    if let Ok(value) = Decimal::from_str_exact(&shortened) {
        return Ok(value);
    }
    let is_decimal = {
        let unsigned = shortened.trim_start_matches(['-', '+']);
        !unsigned.is_empty()
            && unsigned.chars().all(|c| c.is_ascii_digit() || c == '.')
            && unsigned.matches('.').count() <= 1
            && unsigned.chars().any(|c| c.is_ascii_digit())
    };
    if !is_decimal {
        return Err(NotExact::NotANumber);
    }
    let whole = shortened.split('.').next().unwrap_or("");
    if whole.trim_start_matches(['-', '+', '0']).len() > EXACT_DIGITS {
        return Err(NotExact::TooLarge);
    }
    Err(NotExact::TooPrecise)
}

/// Significant digits of numbers printed for people (diff, explain, runbooks).
const HUMAN_DIGITS: u32 = 4;

/// Prints a computed decimal for people: four significant digits, no trailing zeros
/// (`0.9333`, `0.0004667`, `14.4`). Never for objectives, which are printed as written.
pub(crate) fn format_human(value: Decimal) -> String {
    value
        .round_sf(HUMAN_DIGITS)
        .unwrap_or(value)
        .normalize()
        .to_string()
}

/// [`format_human`] for a decimal already printed exactly (text that is not a decimal is
/// returned as it is).
pub(crate) fn format_human_text(text: &str) -> String {
    text.parse::<Decimal>()
        .map_or_else(|_| text.to_string(), format_human)
}

/// Prints a float for people with four significant digits and no trailing zeros.
pub(crate) fn format_human_f64(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format_f64(value, 0);
    }
    let magnitude = value.abs().log10().floor() as i32;
    let decimals = (HUMAN_DIGITS as i32 - 1 - magnitude).max(0) as usize;
    format_f64(value, decimals)
}

/// Prints a float for prose with at most `max_decimals` decimals and no trailing zeros.
pub(crate) fn format_f64(value: f64, max_decimals: usize) -> String {
    // The shortest text that reads back as `value` is the answer whenever it has no more
    // decimals than asked and `value`'s spacing (its last bit) is finer than the last decimal
    // asked for: the exact value is then within half a last decimal of that text, so rounding
    // it gives the same digits. Shortest printing is about twice as fast as exact printing,
    // and the rule files, dashboards and alert tests print hundreds of numbers per SLO.
    // Whole numbers (counts, most test series' values) print as integers, exactly.
    if (value.fract() == 0.0 && value.abs() < 1.0e15 && value != 0.0) || value.to_bits() == 0 {
        return (value as i64).to_string();
    }
    let scale = 10f64.powi(max_decimals.min(22) as i32);
    if value.is_finite() && value.abs() * scale < 4.0e15 {
        let text = value.to_string();
        let decimals = text.split_once('.').map_or(0, |(_, d)| d.len());
        if decimals <= max_decimals {
            return text;
        }
    }
    exact(value, max_decimals)
}

/// [`format_f64`] the long way: exactly rounded, trailing zeros removed.
fn exact(value: f64, max_decimals: usize) -> String {
    let text = format!("{value:.max_decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Converts for float maths (rates, times); exactness matters only in what we print.
pub(crate) fn to_f64(value: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    value.to_f64().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    #[test]
    fn the_shortest_text_is_used_only_where_it_is_the_rounded_one() {
        // A spread of magnitudes, fractions and awkward binary values, at every precision.
        let mut values = vec![
            0.1,
            0.2 + 0.1,
            1.0 / 3.0,
            2.5,
            0.000_001_5,
            -0.0,
            1e15 + 0.125,
        ];
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 1_000_000) as f64;
            let scale = 10f64.powi((x >> 20) as i32 % 24 - 12);
            values.push(digits * scale);
            values.push(f64::from_bits(x >> 2));
        }
        for value in values {
            for decimals in 0..=12 {
                assert_eq!(
                    format_f64(value, decimals),
                    exact(value, decimals),
                    "{value:e} to {decimals}"
                );
            }
        }
    }

    #[test]
    fn exact_parsing_keeps_trailing_zeros_and_names_lost_digits() {
        assert_eq!(parse_exact("99.9"), Ok(d("99.9")));
        assert_eq!(
            parse_exact("99.900000000000000000000000000000000"),
            Ok(d("99.9"))
        );
        assert_eq!(
            parse_exact("99.90000000000000000000000000001"),
            Err(NotExact::TooPrecise)
        );
        assert_eq!(
            parse_exact("0.0000000000000000000000000000001"),
            Err(NotExact::TooPrecise)
        );
        assert_eq!(
            parse_exact("100000000000000000000000000000"),
            Err(NotExact::TooLarge)
        );
        for bad in ["abc", "99.9.9", "", "-", "1e3", "99,9"] {
            assert_eq!(parse_exact(bad), Err(NotExact::NotANumber), "{bad}");
        }
    }

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
    }

    #[test]
    fn rounds_computed_numbers_for_people() {
        assert_eq!(format_human(d("14") * d("28") / d("30")), "13.07");
        assert_eq!(format_human(d("28") / d("30")), "0.9333");
        assert_eq!(format_human(d("0.000466666666666667")), "0.0004667");
        assert_eq!(format_human(d("14.4")), "14.4");
        assert_eq!(format_human(d("1")), "1");
        assert_eq!(format_human_text("0.933333333333333"), "0.9333");
        assert_eq!(format_human_text("n/a"), "n/a");
        assert_eq!(format_human_f64(2.0 / 3.0 * 100.0), "66.67");
        assert_eq!(format_human_f64(0.013888), "0.01389");
        assert_eq!(format_human_f64(12345.6), "12346");
        assert_eq!(format_human_f64(0.0), "0");
    }

    #[test]
    fn prints_exact_objectives_and_budgets() {
        let objective = d("99.9") / d("100");
        assert_eq!(format_decimal(objective), "0.999");
        assert_eq!(format_decimal(Decimal::ONE - objective), "0.001");
        assert_eq!(format_decimal(d("99.999") / d("100")), "0.99999");
        assert_eq!(format_decimal(d("14.4") * d("0.001")), "0.0144");
        assert_eq!(format_decimal(d("100.0")), "100");
    }

    #[test]
    fn rounds_non_terminating_quotients_to_fifteen_digits() {
        let factor = d("0.1") * d("672") / d("72");
        assert_eq!(format_decimal(factor), "0.933333333333333");
        let parsed: f64 = format_decimal(factor).parse().unwrap();
        assert!((parsed - 0.1 * 672.0 / 72.0).abs() < 1e-14);
    }

    #[test]
    fn formats_floats_for_prose() {
        assert_eq!(format_f64(51.84, 1), "51.8");
        assert_eq!(format_f64(2.0, 2), "2");
        assert_eq!(format_f64(0.25, 3), "0.25");
    }
}
