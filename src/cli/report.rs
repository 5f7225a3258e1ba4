//! `slocc report`: the self-contained HTML report, written atomically.

use super::{Io, ReportConfig, EXIT_OK};
use crate::live::client::Prometheus;
use crate::live::{backtest, status};
use crate::report::html::{render, Section};

pub(super) fn run(config: &ReportConfig, mut io: Io<'_>) -> std::io::Result<i32> {
    let timeout = match super::positive_duration(&config.timeout, "--timeout") {
        Ok(t) => t,
        Err(e) => return io.usage_error(&e),
    };
    let since = match config
        .backtest
        .as_deref()
        .map(|b| super::positive_duration(b, "--backtest"))
        .transpose()
    {
        Ok(s) => s,
        Err(e) => return io.usage_error(&e),
    };
    let prom = match config
        .prometheus
        .as_deref()
        .map(|u| Prometheus::from_env(Some(u), timeout))
        .transpose()
    {
        Ok(p) => p,
        Err(e) => return io.usage_error(&e),
    };
    let checked = match super::checked_specs(&config.paths, &config.select, &mut io)? {
        Ok(c) => c,
        Err(code) => return Ok(code),
    };
    let sections = match sections(&checked.services, prom.as_ref(), since) {
        Ok(s) => s,
        Err(e) => return io.usage_error(&e),
    };
    let html = render(&sections);
    if let Err(e) = write_atomically(&config.output, &html) {
        return io.usage_error(&format!(
            "cannot write `{}`: {e}",
            crate::vocab::path::display(&config.output)
        ));
    }
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
