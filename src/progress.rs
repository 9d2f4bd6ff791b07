//! Beside the flow: how far a long run is (pages recognised, papers stored, files evaluated,
//! papers renewed, blobs re-hashed). The library only reports; the edge decides how to show it
//! (`sohoa`'s bar with an ETA on a terminal, plain lines in a log, nothing in the service).
//!
//! A run reports through a [`Progress`] handle: `begin` a stage with its total, `step` once
//! per unit done, naming it. A loop inside another one reports through a [`Progress::nested`]
//! handle, whose steps only say what the outer unit is doing, so the outer count stays the
//! one shown.

use std::fmt;
use std::sync::Arc;

/// Where progress goes (the edge implements it). Called from any thread.
pub trait ProgressSink: Send + Sync {
    /// A stage starts: `total` units of `stage` ("pages", "papers", "files").
    fn begin(&self, stage: &str, total: u64);
    /// One unit of the current stage is done; `item` names it.
    fn step(&self, item: &str);
    /// What the current unit is doing (a nested loop's step), without counting.
    fn note(&self, text: &str);
    /// The current stage is over.
    fn end(&self);
}

/// A handle to report progress through; the default reports nowhere.
#[derive(Clone, Default)]
pub struct Progress {
    sink: Option<Arc<dyn ProgressSink>>,
    nested: bool,
}

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Progress")
            .field("reports", &self.sink.is_some())
            .field("nested", &self.nested)
            .finish()
    }
}

impl Progress {
    pub fn to(sink: Arc<dyn ProgressSink>) -> Self {
        Self {
            sink: Some(sink),
            nested: false,
        }
    }

    /// A handle for a loop inside the current unit: its stages and steps become notes.
    pub fn nested(&self) -> Self {
        Self {
            sink: self.sink.clone(),
            nested: true,
        }
    }

    pub fn begin(&self, stage: &str, total: u64) {
        if let Some(s) = &self.sink {
            if self.nested {
                s.note(&format!("{total} {stage}"));
            } else {
                s.begin(stage, total);
            }
        }
    }

    pub fn step(&self, item: &str) {
        if let Some(s) = &self.sink {
            if self.nested {
                s.note(item);
            } else {
                s.step(item);
            }
        }
    }

    pub fn end(&self) {
        if let (Some(s), false) = (&self.sink, self.nested) {
            s.end();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Record(Mutex<Vec<String>>);

    impl ProgressSink for Record {
        fn begin(&self, stage: &str, total: u64) {
            self.0
                .lock()
                .unwrap()
                .push(format!("begin {stage} {total}"));
        }
        fn step(&self, item: &str) {
            self.0.lock().unwrap().push(format!("step {item}"));
        }
        fn note(&self, text: &str) {
            self.0.lock().unwrap().push(format!("note {text}"));
        }
        fn end(&self) {
            self.0.lock().unwrap().push("end".into());
        }
    }

    #[test]
    fn a_nested_loop_only_notes_and_the_outer_count_is_kept() {
        let r = Arc::new(Record::default());
        let p = Progress::to(r.clone());
        p.begin("files", 2);
        let inner = p.nested();
        inner.begin("pages", 3);
        inner.step("page 1");
        inner.end();
        p.step("a.tif");
        p.end();
        Progress::default().step("nowhere");
        assert_eq!(
            *r.0.lock().unwrap(),
            [
                "begin files 2",
                "note 3 pages",
                "note page 1",
                "step a.tif",
                "end"
            ]
        );
    }
}
