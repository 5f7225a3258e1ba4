//! `slocc explain`: budgets, tiers and a simulated incident, in numbers.

use super::{Error, ExplainConfig, Format, Io, Outcome, EXIT_INVALID, EXIT_OK};

/// The simulated incident, or a usage error's text.
fn incident(
    config: &ExplainConfig,
) -> Result<Option<crate::report::explain::IncidentSpec>, String> {
    let Some(r) = config.error_ratio else {
        return Ok(None);
    };
    if !(r > 0.0 && r <= 1.0) {
        return Err(format!(
            "--error-ratio {r} is not in (0, 1]: give a ratio such as 0.05 for 5% errors"
        ));
    }
    let duration = match config
        .duration
        .as_deref()
        .map(crate::vocab::duration::Duration::parse)
    {
        None => None,
        Some(Ok(d)) if !d.is_zero() => Some(d),
        Some(Ok(_)) => return Err("--duration must be longer than 0s".into()),
        Some(Err(e)) => return Err(format!("--duration: {e}")),
    };
    Ok(Some(crate::report::explain::IncidentSpec {
        error_ratio: r,
        duration,
    }))
}

pub(super) fn run(config: &ExplainConfig, mut io: Io<'_>) -> Outcome {
    let incident = incident(config)?;
    if config.traffic.is_some_and(|t| !(t.is_finite() && t > 0.0)) {
        let message = "--traffic must be a positive number of events per second";
        return Err(Error::Usage(message.into()));
    }
    let checked = super::check_selected(&config.paths, &config.select, Default::default())?;
    io.report(&checked, Format::Human)?;
    if checked.failed() {
        return Ok(EXIT_INVALID);
    }
    let reports: Vec<_> = checked
        .services
        .iter()
        .flat_map(|service| service.slos.iter().map(move |s| (service, s)))
        .map(|(service, s)| {
            let traffic = config.traffic.or(s.expected_traffic);
            crate::report::explain::explain(service, s, traffic, incident)
        })
        .collect();
    let text = if config.format == Format::Json {
        serde_json::to_string_pretty(&reports).map_err(std::io::Error::other)? + "\n"
    } else {
        crate::report::explain::render_human(&reports)
    };
    io.stdout.write_all(text.as_bytes())?;
    Ok(EXIT_OK)
}
