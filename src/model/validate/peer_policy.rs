//! Alert policies of peer tools, for `--compat`: Pyrra scales its four windows with the SLO
//! window (the 28-day ones are 1h/5m, 6h/30m, 1d/2h and 4d/6h), keeps the burn factors 14, 7,
//! 2 and 1, and waits a `for:` of half the short window (2m, 15m, 1h, 3h at 28 days).

use super::alerting::{EntryClass, PolicyEntry};
use super::*;

/// Pyrra's windows for an SLO window: (urgency, factor, long, short, for), each a fraction of
/// the window rounded to the minute as Pyrra rounds them (half away from zero).
pub(super) fn pyrra(window: Duration) -> Vec<PolicyEntry> {
    const HOUR: u64 = 28 * 24;
    // Divisors of the SLO window: long, short, for.
    let tiers = [
        (Urgency::Page, 14, HOUR, HOUR * 12, HOUR * 30),
        (Urgency::Page, 7, 28 * 4, HOUR * 2, HOUR * 4),
        (Urgency::Ticket, 2, 28, 28 * 12, HOUR),
        (Urgency::Ticket, 1, 7, 28 * 4, 28 * 8),
    ];
    let part = |divisor: u64| {
        let millis = window.as_millis() as f64 / divisor as f64;
        Duration::from_secs((millis / 60_000.0).round() as u64 * 60)
    };
    tiers
        .into_iter()
        .map(|(urgency, factor, long, short, for_)| {
            let (long, short) = (part(long), part(short));
            let factor = Decimal::from(factor);
            PolicyEntry {
                class: EntryClass::Tier(urgency),
                // The share of the budget the tier has spent when it fires: k x long / window.
                budget_percent: factor * Decimal::from(long.as_millis()) * Decimal::ONE_HUNDRED
                    / Decimal::from(window.as_millis()),
                long,
                short,
                location: None,
                factor: Some(factor),
                for_duration: Some(part(for_)).filter(|d| !d.is_zero()),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn windows(days: u64) -> Vec<(String, String, String, String)> {
        pyrra(Duration::from_secs(days * 86_400))
            .iter()
            .map(|e| {
                (
                    e.factor.unwrap().to_string(),
                    e.long.to_string(),
                    e.short.to_string(),
                    e.for_duration.map_or("-".into(), |d| d.to_string()),
                )
            })
            .collect()
    }

    fn row(f: &str, l: &str, s: &str, d: &str) -> (String, String, String, String) {
        (f.into(), l.into(), s.into(), d.into())
    }

    #[test]
    fn pyrras_windows_scale_with_the_slo_window() {
        assert_eq!(
            windows(28),
            [
                row("14", "1h", "5m", "2m"),
                row("7", "6h", "30m", "15m"),
                row("2", "1d", "2h", "1h"),
                row("1", "4d", "6h", "3h"),
            ]
        );
        assert_eq!(
            windows(7),
            [
                row("14", "15m", "1m", "1m"),
                row("7", "1h30m", "8m", "4m"),
                row("2", "6h", "30m", "15m"),
                row("1", "1d", "1h30m", "45m"),
            ]
        );
    }
}
