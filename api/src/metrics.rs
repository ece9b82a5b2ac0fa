//! Prometheus metrics, served at `/metrics`. One registry per process: counters are
//! bumped where things happen (requests, sign-in hashing, throttling) and the
//! database pool is sampled when scraped.

use std::collections::HashSet;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use prometheus::{
    Encoder, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

pub struct Metrics {
    registry: Registry,
    /// GraphQL requests by operation name and outcome (`OK` or the first error code).
    pub requests: IntCounterVec,
    /// GraphQL request latency by operation name.
    pub latency: HistogramVec,
    /// HTTP requests refused before GraphQL, by reason (`rate_limited`, `too_large`, …).
    pub refused: IntCounterVec,
    /// Every SQL statement's execution time (sea-orm's metric callback).
    pub statement: Histogram,
    /// Time to get a connection from the pool, sampled at each scrape.
    pub pool_wait: Histogram,
    /// Connections of the pool by state (`in_use`, `idle`) and its maximum (`max`).
    pub pool: IntGaugeVec,
    /// Sign-ins hashing now, and waiting for a hashing slot.
    pub hash_running: IntGauge,
    pub hash_waiting: IntGauge,
    /// Sign-ins refused because no hashing slot freed up in time.
    pub hash_rejected: IntCounter,
    /// Sign-in attempts refused by the throttle.
    pub throttled: IntCounter,
    /// Parsed documents kept (persisted queries included), and their counted bytes.
    pub documents: IntGaugeVec,
    operations: Mutex<HashSet<String>>,
}

/// Distinct operation names kept as labels; further names are counted as `other`,
/// so clients cannot grow the label set (and this process's memory) without bound.
const MAX_OPERATION_LABELS: usize = 200;

fn buckets() -> Vec<f64> {
    vec![
        0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ]
}

pub static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

impl Metrics {
    // Registering fixed, valid metric definitions cannot fail; if it ever did, the
    // metric would simply not be exported.
    fn new() -> Metrics {
        let registry = Registry::new_custom(Some("kapok".into()), None).unwrap_or_default();
        let requests = IntCounterVec::new(
            Opts::new(
                "graphql_requests_total",
                "GraphQL requests by operation name and outcome code",
            ),
            &["operation", "code"],
        )
        .expect("valid metric");
        let latency = HistogramVec::new(
            HistogramOpts::new(
                "graphql_request_duration_seconds",
                "GraphQL request latency by operation name",
            )
            .buckets(buckets()),
            &["operation"],
        )
        .expect("valid metric");
        let refused = IntCounterVec::new(
            Opts::new(
                "http_refused_total",
                "Requests refused before any GraphQL work, by reason",
            ),
            &["reason"],
        )
        .expect("valid metric");
        let statement = Histogram::with_opts(
            HistogramOpts::new(
                "db_statement_duration_seconds",
                "SQL statement execution time",
            )
            .buckets(buckets()),
        )
        .expect("valid metric");
        let pool_wait = Histogram::with_opts(
            HistogramOpts::new(
                "db_pool_acquire_seconds",
                "Time to get a database connection from the pool (sampled at each scrape)",
            )
            .buckets(buckets()),
        )
        .expect("valid metric");
        let pool = IntGaugeVec::new(
            Opts::new(
                "db_pool_connections",
                "Database pool connections by pool (main, steady) and state",
            ),
            &["pool", "state"],
        )
        .expect("valid metric");
        let hash_running = IntGauge::new(
            "signin_hashing",
            "Password hashes being computed for sign-ins now",
        )
        .expect("valid metric");
        let hash_waiting = IntGauge::new(
            "signin_hash_queue",
            "Sign-ins waiting for a password hashing slot",
        )
        .expect("valid metric");
        let hash_rejected = IntCounter::new(
            "signin_hash_rejected_total",
            "Sign-ins refused (429) because no hashing slot freed up in time",
        )
        .expect("valid metric");
        let throttled = IntCounter::new(
            "signin_throttled_total",
            "Sign-in attempts refused by the throttle",
        )
        .expect("valid metric");
        let documents = IntGaugeVec::new(
            Opts::new(
                "document_cache",
                "Parsed documents kept by hash (entries) and the bytes they are counted as",
            ),
            &["measure"],
        )
        .expect("valid metric");
        for c in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(latency.clone()),
            Box::new(refused.clone()),
            Box::new(statement.clone()),
            Box::new(pool_wait.clone()),
            Box::new(pool.clone()),
            Box::new(hash_running.clone()),
            Box::new(hash_waiting.clone()),
            Box::new(hash_rejected.clone()),
            Box::new(throttled.clone()),
            Box::new(documents.clone()),
        ] {
            let _ = registry.register(c);
        }
        Metrics {
            registry,
            requests,
            latency,
            refused,
            statement,
            pool_wait,
            pool,
            hash_running,
            hash_waiting,
            hash_rejected,
            throttled,
            documents,
            operations: Mutex::new(HashSet::new()),
        }
    }

    /// The label for an operation name: the name itself while it is a plain GraphQL
    /// name and there are fewer than [`MAX_OPERATION_LABELS`] of them, else `other`.
    pub fn operation_label(&self, name: Option<&str>) -> String {
        let Some(name) = name else {
            return "anonymous".into();
        };
        let plain = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !plain {
            return "other".into();
        }
        let mut known = self.operations.lock().unwrap_or_else(|e| e.into_inner());
        if known.contains(name) {
            return name.to_owned();
        }
        if known.len() < MAX_OPERATION_LABELS {
            known.insert(name.to_owned());
            return name.to_owned();
        }
        "other".into()
    }

    pub fn observe_request(&self, operation: &str, code: &str, elapsed: Duration) {
        self.requests.with_label_values(&[operation, code]).inc();
        self.latency
            .with_label_values(&[operation])
            .observe(elapsed.as_secs_f64());
    }

    pub fn refuse(&self, reason: &str) {
        self.refused.with_label_values(&[reason]).inc();
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Counts a hashing slot while it is waited for or held.
pub struct GaugeGuard(&'static IntGauge);

impl GaugeGuard {
    pub fn new(g: &'static IntGauge) -> GaugeGuard {
        g.inc();
        GaugeGuard(g)
    }
}

impl Drop for GaugeGuard {
    fn drop(&mut self) {
        self.0.dec();
    }
}
