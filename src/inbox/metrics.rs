//! Service `inbox`, what it counts and times ([`ServiceSummary`]): batches and papers, the
//! queue, failures by reason, and histograms of the time from a drop to its papers signed and
//! stored, OCR seconds per page, signing seconds per paper and the HTTP API's latency per route
//! and status. `GET /metrics` encodes them (OpenMetrics text, `prometheus-client`).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

/// The labels of an HTTP request's latency.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct HttpLabels {
    /// The route as declared (`/api/components/{id}`), never the raw path.
    pub route: String,
    pub method: String,
    pub status: u16,
}

/// The label of a failure.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// What a run did, and the live metrics of a running service (shared with the API).
#[derive(Debug)]
pub struct ServiceSummary {
    pub stored: Counter,
    pub failed: Counter,
    pub retried: Counter,
    pub papers: Counter,
    /// Batches queued or being processed now (the queue's depth).
    pub in_progress: Gauge,
    /// Files seen but not yet complete.
    pub waiting: Gauge,
    pub interrupted_at_start: Counter,
    /// Batches moved to `failed/`, by the kind of reason.
    pub failures: Family<ReasonLabel, Counter>,
    /// From the moment a batch's last file was written in the inbox to its papers stored.
    pub drop_to_signed: Histogram,
    /// Tesseract's time per recognised page.
    pub ocr_page: Histogram,
    /// Signing one paper (every signature on it, with its timestamps).
    pub sign: Histogram,
    /// The HTTP API, per route, method and status.
    pub http: HistogramFamily<HttpLabels>,
    registry: Registry,
}

impl Default for ServiceSummary {
    fn default() -> Self {
        // 1 ms … about 60 s
        let http: HistogramFamily<HttpLabels> =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.001, 2.5, 13)));
        let s = Self {
            stored: Counter::default(),
            failed: Counter::default(),
            retried: Counter::default(),
            papers: Counter::default(),
            in_progress: Gauge::default(),
            waiting: Gauge::default(),
            interrupted_at_start: Counter::default(),
            failures: Family::default(),
            // 1 s … about 9 h
            drop_to_signed: Histogram::new(exponential_buckets(1.0, 2.0, 16)),
            // 50 ms … about 100 s
            ocr_page: Histogram::new(exponential_buckets(0.05, 2.0, 12)),
            // 10 ms … about 80 s
            sign: Histogram::new(exponential_buckets(0.01, 2.0, 14)),
            http,
            registry: Registry::with_prefix("sohoa"),
        };
        let mut r = Registry::with_prefix("sohoa");
        r.register(
            "batches_stored",
            "Inbox batches whose papers were stored",
            s.stored.clone(),
        );
        r.register(
            "batches_failed",
            "Inbox batches moved to failed/",
            s.failed.clone(),
        );
        r.register(
            "batches_retried",
            "Inbox batches to try again (a problem on our side)",
            s.retried.clone(),
        );
        r.register(
            "papers_stored",
            "Papers stored by the service",
            s.papers.clone(),
        );
        r.register(
            "batches_in_progress",
            "Inbox batches queued or being processed (the queue's depth)",
            s.in_progress.clone(),
        );
        r.register(
            "files_waiting",
            "Inbox files not yet complete (still changing)",
            s.waiting.clone(),
        );
        r.register(
            "batches_interrupted_at_start",
            "Batches a previous run left in processing (crash, power cut), found at start",
            s.interrupted_at_start.clone(),
        );
        r.register(
            "failures",
            "Inbox batches moved to failed/, by the kind of reason",
            s.failures.clone(),
        );
        r.register(
            "drop_to_signed_seconds",
            "Seconds from a batch's last write in the inbox to its papers signed and stored",
            s.drop_to_signed.clone(),
        );
        r.register(
            "ocr_page_seconds",
            "Seconds of OCR per recognised page",
            s.ocr_page.clone(),
        );
        r.register(
            "sign_seconds",
            "Seconds to sign one paper (its signatures and timestamps)",
            s.sign.clone(),
        );
        r.register(
            "http_request_seconds",
            "HTTP API latency, per declared route, method and status",
            s.http.clone(),
        );
        Self { registry: r, ..s }
    }
}

impl ServiceSummary {
    /// Every metric as OpenMetrics text (`application/openmetrics-text; version=1.0.0`).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        // writing into a String cannot fail
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

/// A failure reason's kind, for the `failures` metric: the same families as the advice in the
/// `.error.txt` note.
pub fn failure_kind(reason: &str) -> &'static str {
    let r = reason.to_lowercase();
    if r.contains("symbolic link") {
        "link"
    } else if r.contains("too large") || r.contains("pixels") || r.contains("limit") {
        "too_large"
    } else if r.contains("dpi") {
        "resolution"
    } else if r.contains("unit code") || r.contains("dossier code") || r.contains("too deep") {
        "placement"
    } else if r.contains("stopped") {
        "crashed_repeatedly"
    } else if r.contains("tried") {
        "attempts_exhausted"
    } else {
        "unreadable"
    }
}
