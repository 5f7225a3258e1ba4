//! The low-traffic guard (`alerting.min_events`) and the expected traffic an SLO states for
//! `audit` and `explain` (`alerting.expected_traffic`).

use super::*;

/// `alerting.min_events`: a positive whole number, for an SLI that counts events.
pub(super) fn validate_min_events(spec: &SloSpec, diags: &mut Diagnostics) -> Option<u64> {
    let text = spec.alerting.min_events.as_ref()?;
    let Some(n) = text.value.trim().parse::<u64>().ok().filter(|n| *n > 0) else {
        diags.push(diags::invalid_number(
            text.location,
            "`min_events`",
            &text.value,
            "a positive whole number",
            "5",
        ));
        return None;
    };
    if matches!(spec.sli, Some(SliSpec::Raw { .. })) {
        diags.push(diags::events_needed(
            text.location,
            "`min_events`",
            "a `raw` error ratio has none",
        ));
        return None;
    }
    Some(n)
}

/// `alerting.expected_traffic`: events per second from `N/UNIT` (`10/h`, `5/s`, `300/5m`).
pub(super) fn validate_traffic(spec: &SloSpec, diags: &mut Diagnostics) -> Option<f64> {
    let text = spec.alerting.expected_traffic.as_ref()?;
    let rate = text.value.split_once('/').and_then(|(n, unit)| {
        let n: f64 = n
            .trim()
            .parse()
            .ok()
            .filter(|n: &f64| n.is_finite() && *n > 0.0)?;
        let unit = unit.trim();
        let unit = if unit.starts_with(|c: char| c.is_ascii_digit()) {
            unit.to_string()
        } else {
            format!("1{unit}")
        };
        let per = Duration::parse(&unit).ok().filter(|d| !d.is_zero())?;
        Some(n / per.as_secs_f64())
    });
    if rate.is_none() {
        diags.push(diags::invalid_number(
            text.location,
            "`expected_traffic`",
            &text.value,
            "a rate of events per unit of time",
            "10/h",
        ));
    }
    rate
}

#[cfg(test)]
mod tests {
    use super::*;

    fn traffic(text: &str) -> Option<f64> {
        let mut spec = crate::spec::read::read_text(
            "apiVersion: slocc/v1\nservice: a\nslos:\n  - name: b\n    objective: 99\n    sli: {raw: {error_ratio: 'x'}}\n",
        )
        .0[0]
            .slos[0]
            .clone();
        spec.alerting.expected_traffic = Some(Spanned::new(text.into(), spec.location));
        validate_traffic(&spec, &mut Diagnostics::default())
    }

    #[test]
    fn expected_traffic_is_events_per_second() {
        assert_eq!(traffic("10/h"), Some(10.0 / 3600.0));
        assert_eq!(traffic("5/s"), Some(5.0));
        assert_eq!(traffic("300/5m"), Some(1.0));
        for bad in ["10", "x/h", "10/", "-1/h", "10/parsec", "0/h"] {
            assert_eq!(traffic(bad), None, "{bad}");
        }
    }
}
