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
    let asked = prom.as_ref().map(|p| (p, config.connection.concurrency));
    let sections = sections(&checked.services, asked, since)?;
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

/// What Prometheus says of one SLO: status, charts and, when asked, its backtest.
struct Live {
    status: status::SloStatus,
    burn_down: Vec<(f64, f64)>,
    burn_rates: Vec<(f64, f64)>,
    backtest: Option<backtest::SloRun>,
}

fn live(
    prom: &Prometheus,
    service: &crate::model::Service,
    slo: &crate::model::Slo,
    since: Option<std::time::Duration>,
    now: i64,
) -> Result<Live, crate::live::client::Error> {
    let span = since.map(|s| backtest::Span {
        start: now - s.as_secs() as i64,
        end: now,
    });
    Ok(Live {
        status: status::slo_status(prom, service, slo)?,
        burn_down: status::burn_down(prom, service, slo, now)?,
        burn_rates: status::burn_history(prom, service, slo, now)?,
        backtest: match span {
            Some(span) => Some(backtest::replay(prom, service, slo, span)?),
            None => None,
        },
    })
}

/// Every SLO's section; with Prometheus (and how many SLOs to ask about at once), its live
/// status, charts and backtest.
fn sections<'a>(
    services: &'a [crate::model::Service],
    prom: Option<(&Prometheus, usize)>,
    since: Option<std::time::Duration>,
) -> Result<Vec<Section<'a>>, crate::live::client::Error> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let mut lives = match prom {
        Some((prom, concurrency)) => {
            crate::live::pool::each_slo(prom, services, concurrency, |p, service, slo| {
                live(p, service, slo, since, now)
            })?
        }
        None => Vec::new(),
    }
    .into_iter();
    let units = services
        .iter()
        .flat_map(|service| service.slos.iter().map(move |slo| (service, slo)));
    Ok(units
        .map(|(service, slo)| {
            let live = lives.next();
            Section {
                service,
                slo,
                status: live.as_ref().map(|l| l.status.clone()),
                burn_down: live.as_ref().map_or(Vec::new(), |l| l.burn_down.clone()),
                burn_rates: live.as_ref().map_or(Vec::new(), |l| l.burn_rates.clone()),
                backtest: live.and_then(|l| l.backtest),
            }
        })
        .collect())
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
