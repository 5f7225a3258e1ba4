//! Exact decimals for objectives and thresholds, and the one number formatter used in every output.

use rust_decimal::Decimal;

/// Significant digits kept when a division does not terminate (factor 0.9333… for a 28d window).
/// Fifteen digits are what an `f64` round-trips, so Prometheus reads back exactly what we print.
const SIGNIFICANT_DIGITS: u32 = 15;

/// Prints a decimal in its shortest exact form: `0.999`, `14.4`, `0.0144`, `1`, never `0.9990000000000001`.
pub fn format_decimal(value: Decimal) -> String {
    let rounded = value
        .round_sf(SIGNIFICANT_DIGITS)
        .unwrap_or(value)
        .normalize();
    rounded.to_string()
}

/// Prints a float for prose with at most `max_decimals` decimals and no trailing zeros.
pub fn format_f64(value: f64, max_decimals: usize) -> String {
    let text = format!("{value:.max_decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Converts for float maths (rates, times); exactness matters only in what we print.
pub fn to_f64(value: Decimal) -> f64 {
    use rust_decimal::prelude::ToPrimitive;
    value.to_f64().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(text: &str) -> Decimal {
        Decimal::from_str(text).unwrap()
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
