//! Service `inbox`, planning (pure: a listing and the clock in, jobs out): which files of the
//! watched folder are complete and ready, which are still being written, which are refused.
//!
//! Folder convention: `inbox/<file>` (the default unit), `inbox/<unit>/<file>` (one batch per
//! file), `inbox/<unit>/<dossier>/<files>` (one dossier, one batch, once the whole folder has
//! been quiet for the stability delay). A file is complete when its size and modification time
//! have not changed for the stability delay. Temporary names are left alone; symbolic links,
//! odd file types, suspicious names and deeper folders are refused (moved to `failed/`).

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde::Serialize;

use crate::classify::dossier_code;

/// What a listing saw at one path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Kind {
    File,
    Dir,
    /// Never followed: it could point anywhere outside the inbox.
    Symlink,
    /// A FIFO, socket or device.
    Other,
}

/// One entry of the inbox listing, relative to the inbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Seen {
    /// Path components below the inbox (1 to 3 for anything processed).
    pub rel: Vec<String>,
    pub kind: Kind,
    pub size: u64,
    /// Modification time, nanoseconds since the epoch.
    pub mtime_ns: u128,
}

/// A batch ready to ingest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Job {
    pub unit: String,
    /// The dossier folder's name, a valid dossier code.
    pub dossier: Option<String>,
    /// Paths relative to the inbox, in page order (by name).
    pub files: Vec<Vec<String>>,
}

impl Job {
    /// The folder or file the job is known by: `unit/file` or `unit/dossier`.
    pub fn label(&self) -> String {
        match (&self.dossier, self.files.first()) {
            (Some(d), _) => format!("{}/{d}", self.unit),
            (None, Some(f)) => f.join("/"),
            (None, None) => self.unit.clone(),
        }
    }
}

/// An entry the service will not process, and why (in words for the operator).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refused {
    pub rel: Vec<String>,
    /// The unit whose `failed/` folder gets it.
    pub unit: String,
    pub reason: String,
}

/// What one look at the inbox decided.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Plan {
    pub ready: Vec<Job>,
    pub refused: Vec<Refused>,
    /// Files seen but not yet quiet for the stability delay.
    pub waiting: usize,
}

/// Size and time of a file when it was last seen to change, and when that was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Observed {
    size: u64,
    mtime_ns: u128,
    since: Duration,
}

/// The planner's memory between two looks: when each file last changed, and when a writer
/// was last seen to finish it.
#[derive(Debug)]
pub struct Planner {
    default_unit: String,
    stability: Duration,
    /// The shorter delay for a file a writer was seen to close (or rename into place).
    settle: Duration,
    observed: HashMap<Vec<String>, Observed>,
    /// When a close-after-write or a rename into the inbox was reported for a path.
    closed: HashMap<Vec<String>, Duration>,
}

/// Names of files still being written or belonging to other programs: never touched.
pub fn is_temporary(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with('~')
        || [
            ".tmp",
            ".part",
            ".partial",
            ".crdownload",
            ".download",
            ".swp",
        ]
        .iter()
        .any(|s| lower.ends_with(s))
}

/// A name no scanner writes: path separators of other systems, `..` pieces, control
/// characters. Refused rather than guessed at.
fn suspicious(name: &str) -> Option<&'static str> {
    if name.split(['/', '\\']).any(|p| p == "..") {
        Some("its name contains \"..\" (a path-traversal attempt)")
    } else if name.contains('\\') {
        Some("its name contains a backslash")
    } else if name.chars().any(char::is_control) {
        Some("its name contains control characters")
    } else {
        None
    }
}

impl Planner {
    pub fn new(default_unit: &str, stability: Duration) -> Self {
        Self {
            default_unit: default_unit.to_string(),
            stability,
            settle: stability,
            observed: HashMap::new(),
            closed: HashMap::new(),
        }
    }

    /// A file a writer was seen to close, or that was renamed into the inbox, is complete
    /// `settle` after that (when not written again since) instead of after the full
    /// stability delay. Only local file systems report closes (inotify `IN_CLOSE_WRITE`,
    /// `IN_MOVED_TO`); network shares keep the stability rule.
    pub fn with_settle(mut self, settle: Duration) -> Self {
        self.settle = settle.min(self.stability);
        self
    }

    /// Records that at `at` (time since the epoch) a writer closed `rel` or it was renamed
    /// into place.
    pub fn note_closed(&mut self, rel: Vec<String>, at: Duration) {
        self.closed.insert(rel, at);
    }

    /// How long until the next file seen could become complete (when to look again).
    pub fn next_due(&self, now: Duration) -> Option<Duration> {
        let by_stability = self
            .observed
            .values()
            .map(|o| (o.since + self.stability).saturating_sub(now));
        let by_close = self
            .closed
            .values()
            .map(|c| (*c + self.settle).saturating_sub(now));
        by_stability.chain(by_close).min()
    }

    /// Decides on one listing taken at `now` (time since the epoch). `busy`: paths of jobs
    /// queued or running, left alone.
    pub fn plan(
        &mut self,
        listing: &[Seen],
        now: Duration,
        busy: &dyn Fn(&[String]) -> bool,
    ) -> Plan {
        let mut plan = Plan::default();
        // loose files, and dossier folders with their files
        let mut dossiers: BTreeMap<(String, String), Vec<&Seen>> = BTreeMap::new();
        let mut seen_now: Vec<Vec<String>> = Vec::new();
        for s in listing {
            if s.rel.is_empty() {
                continue;
            }
            let unit = if s.rel.len() >= 2 {
                s.rel[0].clone()
            } else {
                self.default_unit.clone()
            };
            let refuse = |reason: String| Refused {
                rel: s.rel.clone(),
                unit: if dossier_code::is_unit_code(&unit) {
                    unit.clone()
                } else {
                    self.default_unit.clone()
                },
                reason,
            };
            if let Some(why) = s.rel.iter().find_map(|c| suspicious(c)) {
                if !busy(&s.rel) {
                    plan.refused.push(refuse(format!("refused: {why}")));
                }
                continue;
            }
            if s.rel.iter().any(|c| is_temporary(c)) {
                continue;
            }
            match s.kind {
                Kind::Dir if s.rel.len() >= 3 => {
                    if !busy(&s.rel) {
                        plan.refused.push(refuse(
                            "refused: a folder too deep (use inbox/<unit>/<file> or inbox/<unit>/<dossier code>/<files>)".into(),
                        ));
                    }
                    continue;
                }
                // a folder is not a job; its files are, or are refused with the reason
                Kind::Dir => continue,
                Kind::Symlink => {
                    if !busy(&s.rel) {
                        plan.refused.push(refuse(
                            "refused: a symbolic link (not followed: it could point outside the inbox); copy the file itself into the inbox".into(),
                        ));
                    }
                    continue;
                }
                Kind::Other => {
                    if !busy(&s.rel) {
                        plan.refused.push(refuse(
                            "refused: not a regular file (a pipe, socket or device)".into(),
                        ));
                    }
                    continue;
                }
                Kind::File => {}
            }
            if busy(&s.rel) {
                continue;
            }
            if s.rel.len() >= 2 && !dossier_code::is_unit_code(&s.rel[0]) {
                plan.refused.push(refuse(format!(
                    "refused: folder {:?} is not a unit code (expected e.g. 000.00.10.H59: inbox/<unit>/<file> or inbox/<unit>/<dossier code>/<files>)",
                    s.rel[0]
                )));
                continue;
            }
            if s.rel.len() == 3 {
                if let Err(e) = dossier_code::parse(&s.rel[1]) {
                    plan.refused.push(refuse(format!(
                        "refused: folder {:?} is not a dossier code ({e})",
                        s.rel[1]
                    )));
                    continue;
                }
            }
            if s.rel.len() > 3 {
                plan.refused.push(refuse(
                    "refused: too deep (use inbox/<unit>/<file> or inbox/<unit>/<dossier code>/<files>)".into(),
                ));
                continue;
            }
            seen_now.push(s.rel.clone());
            let stable = self.stable(s, now);
            if s.rel.len() == 3 {
                dossiers
                    .entry((s.rel[0].clone(), s.rel[1].clone()))
                    .or_default()
                    .push(s);
                if !stable {
                    plan.waiting += 1;
                }
                continue;
            }
            if !stable {
                plan.waiting += 1;
                continue;
            }
            plan.ready.push(Job {
                unit,
                dossier: None,
                files: vec![s.rel.clone()],
            });
        }
        for ((unit, dossier), files) in dossiers {
            // the folder is ready when every file in it is quiet
            if files.iter().all(|s| self.is_quiet(s, now)) {
                let mut paths: Vec<Vec<String>> = files.iter().map(|s| s.rel.clone()).collect();
                paths.sort();
                plan.ready.push(Job {
                    unit,
                    dossier: Some(dossier),
                    files: paths,
                });
            }
        }
        // forget what is gone
        self.observed.retain(|k, _| seen_now.contains(k));
        self.closed.retain(|k, _| seen_now.contains(k));
        plan
    }

    /// Whether a writer finished `s` at least `settle` ago and did not write it again since
    /// (its modification time is not after the close).
    fn closed_and_settled(&self, s: &Seen, now: Duration) -> bool {
        self.closed.get(&s.rel).is_some_and(|c| {
            let mtime = Duration::from_nanos(s.mtime_ns.min(u64::MAX as u128) as u64);
            mtime <= *c && now.saturating_sub(*c) >= self.settle
        })
    }

    /// Records the file's size and time; true when they have not changed for the delay.
    fn stable(&mut self, s: &Seen, now: Duration) -> bool {
        let o = self.observed.entry(s.rel.clone()).or_insert(Observed {
            size: s.size,
            mtime_ns: s.mtime_ns,
            since: now,
        });
        if o.size != s.size || o.mtime_ns != s.mtime_ns {
            *o = Observed {
                size: s.size,
                mtime_ns: s.mtime_ns,
                since: now,
            };
        }
        now.saturating_sub(o.since) >= self.stability || self.closed_and_settled(s, now)
    }

    fn is_quiet(&self, s: &Seen, now: Duration) -> bool {
        self.observed
            .get(&s.rel)
            .is_some_and(|o| now.saturating_sub(o.since) >= self.stability)
            || self.closed_and_settled(s, now)
    }
}
