//! `slocc report`: the self-contained HTML report, written atomically.

use super::{Error, Io, Outcome, ReportConfig, EXIT_OK};
use crate::live::client::Prometheus;
use crate::live::{backtest, status};
use crate::report::html::{render, Section};

pub(super) fn run(config: &ReportConfig, mut io: Io<'_>) -> Outcome {
    let since = config
        .backtest
        .as_deref()
        .map(|b| super::positive_duration(b, "--backtest"))
        .transpose()?;
    let prom = match config.connection.prometheus {
        Some(_) => Some(super::connect(&config.connection)?),
        None => None,
    };
    let checked = super::checked_specs(&config.paths, &config.select, &mut io)?;
    let sections = sections(&checked.services, prom.as_ref(), since)?;
    let templates = crate::emit::templates::Templates::with_overrides(config.templates.as_deref())?;
    let html = render(&sections, &templates)?;
    write_atomically(&config.output, &html).map_err(|e| {
        let shown = crate::vocab::path::display(&config.output);
        Error::Usage(format!("cannot write `{shown}`: {e}"))
    })?;
    writeln!(
        io.stderr,
        "wrote {} ({} SLOs)",
        crate::vocab::path::display(&config.output),
        sections.len()
    )?;
    Ok(EXIT_OK)
}

/// Every SLO's section; with Prometheus, its live status, charts and backtest.
fn sections<'a>(
    services: &'a [crate::model::Service],
    prom: Option<&Prometheus>,
    since: Option<std::time::Duration>,
) -> Result<Vec<Section<'a>>, crate::live::client::Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut sections = Vec::new();
    for service in services {
        for slo in &service.slos {
            let mut section = Section {
                service,
                slo,
                status: None,
                burn_down: Vec::new(),
                burn_rates: Vec::new(),
                backtest: None,
            };
            if let Some(prom) = prom {
                section.status = Some(status::slo_status(prom, service, slo)?);
                section.burn_down = status::burn_down(prom, service, slo, now)?;
                section.burn_rates = status::burn_history(prom, service, slo, now)?;
                if let Some(s) = since {
                    let span = backtest::Span {
                        start: now - s.as_secs() as i64,
                        end: now,
                    };
                    section.backtest = Some(backtest::replay(prom, service, slo, span)?);
                }
            }
            sections.push(section);
        }
    }
    Ok(sections)
}

/// Writes beside the target and renames over it, so a reader never sees half a report.
fn write_atomically(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map_or("report.html".into(), |n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".{name}.slocc-tmp"));
    std::fs::write(&temp, text)?;
    std::fs::rename(&temp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temp);
    })
}
