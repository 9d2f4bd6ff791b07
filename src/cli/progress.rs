//! Edge `cli`: how far a long command is, on standard error — a bar with an ETA (`indicatif`)
//! when that is a terminal, plain lines otherwise (a log, a pipe, journald): a line when a
//! stage begins, then at most one every few seconds, and the last one.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use sohoa::progress::{Progress, ProgressSink};

/// Plain lines: at most one this often (besides each stage's first and last).
const LINE_EVERY: Duration = Duration::from_secs(2);

/// The progress of this command: a bar on a terminal, lines otherwise.
pub fn progress() -> Progress {
    if std::io::stderr().is_terminal() {
        Progress::to(Arc::new(Bar::default()))
    } else {
        Progress::to(Arc::new(Lines::default()))
    }
}

#[derive(Default)]
struct Bar(Mutex<Option<ProgressBar>>);

impl ProgressSink for Bar {
    fn begin(&self, stage: &str, total: u64) {
        let style = ProgressStyle::with_template(
            "{prefix:>16} [{bar:30}] {pos}/{len} ({percent}%) ETA {eta} {wide_msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let pb = ProgressBar::new(total)
            .with_style(style)
            .with_prefix(stage.to_string());
        pb.enable_steady_tick(Duration::from_millis(250));
        if let Ok(mut slot) = self.0.lock() {
            if let Some(old) = slot.replace(pb) {
                old.finish_and_clear();
            }
        }
    }

    fn step(&self, item: &str) {
        if let Ok(slot) = self.0.lock() {
            if let Some(pb) = slot.as_ref() {
                pb.inc(1);
                pb.set_message(item.to_string());
            }
        }
    }

    fn note(&self, text: &str) {
        if let Ok(slot) = self.0.lock() {
            if let Some(pb) = slot.as_ref() {
                pb.set_message(text.to_string());
            }
        }
    }

    fn end(&self) {
        if let Ok(mut slot) = self.0.lock() {
            if let Some(pb) = slot.take() {
                // the bar gives way to one plain line, so what the command prints next
                // starts on a line of its own
                pb.finish_and_clear();
                eprintln!(
                    "sohoa: {} {}/{} done in {}",
                    pb.prefix(),
                    pb.position(),
                    pb.length().unwrap_or(0),
                    short(pb.elapsed())
                );
            }
        }
    }
}

struct Stage {
    name: String,
    total: u64,
    done: u64,
    started: Instant,
    /// When the last line was printed, and at which count.
    printed: (Instant, u64),
}

#[derive(Default)]
struct Lines(Mutex<Option<Stage>>);

impl Lines {
    fn line(s: &mut Stage, item: &str) {
        let pct = (s.done * 100).checked_div(s.total).unwrap_or(100);
        let eta = match (s.done, s.total.saturating_sub(s.done)) {
            (_, 0) => format!("done in {}", short(s.started.elapsed())),
            (0, _) => "ETA -".into(),
            (done, left) => {
                let per = s.started.elapsed().as_secs_f64() / done as f64;
                format!("ETA {}", short(Duration::from_secs_f64(per * left as f64)))
            }
        };
        eprintln!(
            "sohoa: {} {}/{} ({pct}%), {eta}{}{item}",
            s.name,
            s.done,
            s.total,
            if item.is_empty() { "" } else { ": " }
        );
        s.printed = (Instant::now(), s.done);
    }
}

impl ProgressSink for Lines {
    fn begin(&self, stage: &str, total: u64) {
        if let Ok(mut slot) = self.0.lock() {
            let mut s = Stage {
                name: stage.to_string(),
                total,
                done: 0,
                started: Instant::now(),
                printed: (Instant::now(), 0),
            };
            if total > 0 {
                Self::line(&mut s, "");
            }
            *slot = Some(s);
        }
    }

    fn step(&self, item: &str) {
        if let Ok(mut slot) = self.0.lock() {
            if let Some(s) = slot.as_mut() {
                s.done += 1;
                if s.done >= s.total || s.printed.0.elapsed() >= LINE_EVERY {
                    Self::line(s, item);
                }
            }
        }
    }

    fn note(&self, _text: &str) {}

    fn end(&self) {
        if let Ok(mut slot) = self.0.lock() {
            if let Some(mut s) = slot.take() {
                if s.printed.1 != s.done {
                    Self::line(&mut s, "");
                }
            }
        }
    }
}

/// "1h 02m", "3m 05s", "12s".
fn short(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {:02}s", s / 60, s % 60),
        _ => format!("{}h {:02}m", s / 3600, (s % 3600) / 60),
    }
}
