//! Bounded concurrency for the live commands: one SLO's queries are a unit of work, and at most
//! `concurrency` units are in flight, each worker with its own fork of the client. Results come
//! back in the SLOs' order whatever order they finish in, so output stays deterministic.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;

use crate::live::client::{Error, Prometheus};
use crate::model::{Service, Slo};

/// The default number of SLOs queried at once: well under Prometheus's default
/// `--query.max-concurrency` of 20, so a run never crowds out the server's other readers.
pub(crate) const DEFAULT_CONCURRENCY: u16 = 4;

/// `work` for every SLO of `services`, at most `concurrency` at a time, results in order. The
/// first error (in SLO order) stops the run: workers take no new SLO once one has failed.
pub(crate) fn each_slo<T: Send>(
    prom: &Prometheus,
    services: &[Service],
    concurrency: usize,
    work: impl Fn(&Prometheus, &Service, &Slo) -> Result<T, Error> + Sync,
) -> Result<Vec<T>, Error> {
    let units: Vec<(&Service, &Slo)> = services
        .iter()
        .flat_map(|service| service.slos.iter().map(move |slo| (service, slo)))
        .collect();
    let results: Vec<Mutex<Option<Result<T, Error>>>> =
        units.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    let workers = concurrency.clamp(1, units.len().max(1));
    let forks: Vec<Prometheus> = (0..workers).map(|_| prom.fork()).collect();
    let forks: Vec<Prometheus> = std::thread::scope(|scope| {
        let running: Vec<_> = forks
            .into_iter()
            .map(|mine| {
                scope.spawn(|| {
                    while !failed.load(Ordering::Relaxed) {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some((service, slo)) = units.get(i) else {
                            break;
                        };
                        let result = work(&mine, service, slo);
                        failed.fetch_or(result.is_err(), Ordering::Relaxed);
                        *results[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
                    }
                    mine
                })
            })
            .collect();
        running
            .into_iter()
            .map(|w| {
                w.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    });
    for fork in &forks {
        prom.absorb(fork);
    }
    collect(results)
}

/// The results in order up to the first error; a unit no worker reached (after an error)
/// ends the list there too.
fn collect<T>(results: Vec<Mutex<Option<Result<T, Error>>>>) -> Result<Vec<T>, Error> {
    let mut out = Vec::with_capacity(results.len());
    for slot in results {
        match slot.into_inner().unwrap_or_else(|e| e.into_inner()) {
            Some(Ok(value)) => out.push(value),
            Some(Err(error)) => return Err(error),
            None => break,
        }
    }
    Ok(out)
}
