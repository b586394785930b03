//! Counters and timings for `/metrics` (Prometheus text format), kept in the process by the
//! `metrics` crate's recorder. Labels are chosen from small fixed sets — a route's
//! *pattern*, never its path, so no token or id ever becomes a label. What the database
//! knows (invitations by state, the outbox) is read at scrape time by `flows::metrics`.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Seconds: from a cached page (1 ms) to a slow IdP round trip.
const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

static RECORDER: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder, once (the tests run many portals in one process; they
/// share it). `None` when another recorder was installed first.
pub fn install() -> Option<&'static PrometheusHandle> {
    RECORDER
        .get_or_init(|| {
            PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), &BUCKETS)
                .ok()?
                .install_recorder()
                .ok()
        })
        .as_ref()
}

/// What the recorder holds, in Prometheus text format.
pub fn render() -> String {
    install().map(|h| h.render()).unwrap_or_default()
}

/// One answered HTTP request, by method, route pattern and status.
pub fn http_request(method: &str, route: &str, status: u16, took: Duration) {
    let method = match method {
        "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method.to_string(),
        _ => "other".to_string(),
    };
    let labels = [("method", method), ("route", route.to_string()), ("status", status.to_string())];
    metrics::counter!("vestibule_http_requests_total", &labels).increment(1);
    metrics::histogram!("vestibule_http_request_duration_seconds", &labels[..2]).record(took.as_secs_f64());
}

/// How someone tried to sign in and what came of it (`ok`, `wrong`, `dead`, `refused`).
pub fn sign_in(method: &'static str, outcome: &'static str) {
    metrics::counter!("vestibule_sign_ins_total", "method" => method, "outcome" => outcome).increment(1);
}

/// One pass of a background worker (`mail`: the outbox and housekeeping; `bulk`).
pub fn worker_pass(worker: &'static str, took: Duration, ok: bool) {
    metrics::histogram!("vestibule_worker_pass_duration_seconds", "worker" => worker).record(took.as_secs_f64());
    if !ok {
        metrics::counter!("vestibule_worker_pass_failures_total", "worker" => worker).increment(1);
    }
}

/// Mail and back-channel messages handed over (`sent`) or not (`failed`) by this instance.
pub fn delivery(kind: &str, outcome: &'static str) {
    let kind = if kind == "mail" { "mail" } else { "logout" };
    metrics::counter!("vestibule_outbox_deliveries_total", "kind" => kind, "outcome" => outcome).increment(1);
}

/// An IdP's discovery document and keys fetched (not served from the kept copy).
pub fn idp_metadata_fetch(issuer: &str) {
    metrics::counter!("vestibule_idp_metadata_fetches_total", "issuer" => issuer.to_string()).increment(1);
}
