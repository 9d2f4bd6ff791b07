//! Bounded, ordered fan-out for the digitize pipeline: pages go to a pool of workers (one OCR
//! engine each) and come back in page order, with at most `window` pages in flight so memory
//! stays flat however long the document.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};

/// A counting semaphore (std has none).
struct Tickets {
    free: Mutex<usize>,
    cv: Condvar,
}

impl Tickets {
    fn take(&self) {
        let mut n = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *n == 0 {
            n = self.cv.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        *n -= 1;
    }

    fn give(&self) {
        let mut n = self.free.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        self.cv.notify_one();
    }
}

/// Runs `work` over `jobs` on `workers` threads, each with its own state from `init`, and calls
/// `sink` with the results in job order. At most `window` jobs are between dispatch and sink.
/// A worker that takes no more jobs calls `done` with its state (`None` when `init` failed)
/// before it ends: where it may help the others finish theirs. Stops dispatching after the
/// first error from `init` or `sink`.
pub fn run_ordered<J, S, R, E>(
    jobs: Vec<J>,
    workers: usize,
    window: usize,
    init: impl Fn() -> Result<S, E> + Sync,
    work: impl Fn(&mut S, J) -> R + Sync,
    done: impl Fn(Option<&mut S>) + Sync,
    mut sink: impl FnMut(R) -> Result<(), E>,
) -> Result<(), E>
where
    J: Send,
    R: Send,
    E: Send,
{
    let workers = workers.max(1);
    let tickets = Arc::new(Tickets {
        free: Mutex::new(window.max(workers)),
        cv: Condvar::new(),
    });
    let (job_tx, job_rx) = mpsc::sync_channel::<(usize, J)>(workers);
    let job_rx = Arc::new(Mutex::new(job_rx));
    let (res_tx, res_rx) = mpsc::channel::<(usize, Result<R, E>)>();
    let total = jobs.len();
    let stop = AtomicBool::new(false);

    std::thread::scope(|scope| {
        for _ in 0..workers {
            let job_rx = Arc::clone(&job_rx);
            let res_tx = res_tx.clone();
            let (init, work, done, stop) = (&init, &work, &done, &stop);
            scope.spawn(move || {
                let mut state = match init() {
                    Ok(s) => Some(s),
                    Err(e) => {
                        let _ = res_tx.send((usize::MAX, Err(e)));
                        None
                    }
                };
                loop {
                    let next = job_rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((i, job)) = next else { break };
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    match state.as_mut() {
                        Some(s) => {
                            if res_tx.send((i, Ok(work(s, job)))).is_err() {
                                break;
                            }
                        }
                        None => break,
                    }
                }
                done(state.as_mut());
            });
        }
        drop(res_tx);
        let dispatch_tickets = Arc::clone(&tickets);
        let stop_dispatch = &stop;
        scope.spawn(move || {
            for (i, job) in jobs.into_iter().enumerate() {
                dispatch_tickets.take();
                if stop_dispatch.load(Ordering::SeqCst) || job_tx.send((i, job)).is_err() {
                    break;
                }
            }
        });

        let mut pending: BTreeMap<usize, R> = BTreeMap::new();
        let mut next = 0usize;
        let mut result = Ok(());
        while next < total {
            let Ok((i, r)) = res_rx.recv() else { break };
            match r {
                Err(e) => {
                    result = Err(e);
                    break;
                }
                Ok(v) => {
                    pending.insert(i, v);
                }
            }
            while let Some(v) = pending.remove(&next) {
                next += 1;
                tickets.give();
                if let Err(e) = sink(v) {
                    result = Err(e);
                    break;
                }
            }
            if result.is_err() {
                break;
            }
        }
        // On error: stop dispatching, wake the dispatcher, and drain what workers still send.
        if result.is_err() {
            stop.store(true, Ordering::SeqCst);
            for _ in 0..workers + 1 {
                tickets.give();
            }
            while res_rx.recv().is_ok() {}
        }
        result
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn results_come_back_in_order_with_bounded_flight() {
        let in_flight = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let mut got = Vec::new();
        let r: Result<(), ()> = run_ordered(
            (0..200u64).collect(),
            3,
            4,
            || Ok(()),
            |_, j| {
                let n = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                // Later jobs finish faster: forces reordering.
                std::thread::sleep(std::time::Duration::from_micros(200 - j));
                in_flight.fetch_sub(1, Ordering::SeqCst);
                j * 2
            },
            |_| {},
            |v| {
                got.push(v);
                Ok(())
            },
        );
        assert!(r.is_ok());
        assert_eq!(got, (0..200u64).map(|j| j * 2).collect::<Vec<_>>());
        assert!(peak.load(Ordering::SeqCst) <= 4);
    }

    #[test]
    fn every_worker_is_done_once_with_its_own_state_after_its_last_job() {
        let done = std::sync::Mutex::new(Vec::new());
        let r: Result<(), ()> = run_ordered(
            (0..20u32).collect(),
            3,
            4,
            || Ok(0u32),
            |jobs, _| *jobs += 1,
            |jobs| done.lock().unwrap().push(jobs.copied()),
            |_| Ok(()),
        );
        assert!(r.is_ok());
        let done = done.into_inner().unwrap();
        assert_eq!(done.len(), 3);
        assert_eq!(done.iter().map(|j| j.unwrap()).sum::<u32>(), 20);
    }

    #[test]
    fn an_init_error_stops_the_run() {
        let r: Result<(), &str> = run_ordered(
            vec![1, 2, 3],
            2,
            2,
            || Err("no engine"),
            |_: &mut (), j| j,
            |s| assert!(s.is_none()),
            |_| Ok(()),
        );
        assert_eq!(r, Err("no engine"));
    }

    #[test]
    fn a_sink_error_stops_the_run() {
        let mut seen = 0;
        let r: Result<(), String> = run_ordered(
            (0..50).collect(),
            2,
            3,
            || Ok(()),
            |_, j| j,
            |_| {},
            |v| {
                seen += 1;
                if v == 5 {
                    Err("disk full".to_string())
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!(r, Err("disk full".to_string()));
        assert_eq!(seen, 6);
    }
}
