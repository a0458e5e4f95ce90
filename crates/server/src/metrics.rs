//! Prometheus metrics in the text exposition format, kept by hand: a handful of
//! counters and one histogram do not need a metrics framework.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

/// Upper bounds of the latency histogram, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Debug, Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    count: u64,
    sum: f64,
}

#[derive(Debug, Default)]
struct Inner {
    /// (method, route, status) → count.
    requests: BTreeMap<(String, String, u16), u64>,
    /// route → latencies.
    latency: BTreeMap<String, Histogram>,
    /// outcome → count.
    sessions: BTreeMap<String, u64>,
    /// result → count.
    deliveries: BTreeMap<String, u64>,
    /// Turns that started from the walk kept since their session's last turn here, and
    /// turns that read their session.
    turns_kept: u64,
    turns_read: u64,
}

/// The counters of this process.
#[derive(Debug, Default)]
pub struct Metrics(Mutex<Inner>);

impl Metrics {
    fn with(&self, f: impl FnOnce(&mut Inner)) {
        if let Ok(mut inner) = self.0.lock() {
            f(&mut inner);
        }
    }

    /// One request answered.
    pub fn request(&self, method: &str, route: &str, status: u16, took: Duration) {
        self.with(|m| {
            *m.requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default() += 1;
            let h = m.latency.entry(route.to_owned()).or_default();
            let secs = took.as_secs_f64();
            for (i, bound) in BUCKETS.iter().enumerate() {
                if secs <= *bound {
                    h.counts[i] += 1;
                }
            }
            h.count += 1;
            h.sum += secs;
        });
    }

    /// A session started or reached an outcome.
    pub fn session_outcome(&self, outcome: &str) {
        self.with(|m| *m.sessions.entry(outcome.to_owned()).or_default() += 1);
    }

    /// A turn started from its session's kept walk (`true`) or read the session.
    pub fn turn(&self, kept: bool) {
        self.with(|m| {
            if kept {
                m.turns_kept += 1;
            } else {
                m.turns_read += 1;
            }
        });
    }

    /// A webhook delivery attempt ended: `ok`, `failed`.
    pub fn delivery(&self, result: &str) {
        self.with(|m| *m.deliveries.entry(result.to_owned()).or_default() += 1);
    }

    /// The exposition text; `backlog` is the outbox backlog read from the store, if it
    /// could be.
    pub fn render(&self, backlog: Option<i64>) -> String {
        let mut out = String::new();
        let Ok(m) = self.0.lock() else {
            return out;
        };
        out.push_str("# HELP troubletree_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE troubletree_http_requests_total counter\n");
        for ((method, route, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "troubletree_http_requests_total{{method=\"{}\",route=\"{}\",status=\"{status}\"}} {n}",
                label(method),
                label(route)
            );
        }
        out.push_str(
            "# HELP troubletree_http_request_duration_seconds Time to answer a request.\n",
        );
        out.push_str("# TYPE troubletree_http_request_duration_seconds histogram\n");
        for (route, h) in &m.latency {
            let route = label(route);
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(
                    out,
                    "troubletree_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"{bound}\"}} {n}"
                );
            }
            let _ = writeln!(
                out,
                "troubletree_http_request_duration_seconds_bucket{{route=\"{route}\",le=\"+Inf\"}} {}",
                h.count
            );
            let _ = writeln!(
                out,
                "troubletree_http_request_duration_seconds_sum{{route=\"{route}\"}} {}",
                h.sum
            );
            let _ = writeln!(
                out,
                "troubletree_http_request_duration_seconds_count{{route=\"{route}\"}} {}",
                h.count
            );
        }
        out.push_str(
            "# HELP troubletree_sessions_total Sessions started, and sessions by outcome (this process).\n",
        );
        out.push_str("# TYPE troubletree_sessions_total counter\n");
        for (outcome, n) in &m.sessions {
            let _ = writeln!(
                out,
                "troubletree_sessions_total{{outcome=\"{}\"}} {n}",
                label(outcome)
            );
        }
        out.push_str(
            "# HELP troubletree_turns_total Turns by where the session came from: kept in memory since its last turn here, or read from the database (this process).\n",
        );
        out.push_str("# TYPE troubletree_turns_total counter\n");
        let _ = writeln!(
            out,
            "troubletree_turns_total{{session=\"kept\"}} {}",
            m.turns_kept
        );
        let _ = writeln!(
            out,
            "troubletree_turns_total{{session=\"read\"}} {}",
            m.turns_read
        );
        out.push_str(
            "# HELP troubletree_webhook_deliveries_total Webhook delivery attempts by result.\n",
        );
        out.push_str("# TYPE troubletree_webhook_deliveries_total counter\n");
        for (result, n) in &m.deliveries {
            let _ = writeln!(
                out,
                "troubletree_webhook_deliveries_total{{result=\"{}\"}} {n}",
                label(result)
            );
        }
        if let Some(backlog) = backlog {
            out.push_str(
                "# HELP troubletree_outbox_backlog Tickets not yet acknowledged by the webhook receiver.\n",
            );
            out.push_str("# TYPE troubletree_outbox_backlog gauge\n");
            let _ = writeln!(out, "troubletree_outbox_backlog {backlog}");
        }
        out
    }
}

/// Escapes a label value (backslash, quote, newline).
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Middleware: counts and times every request by its route pattern (never by its
/// concrete path, which holds session ids).
pub async fn track(
    State(state): State<std::sync::Arc<crate::app::AppState>>,
    request: Request,
    next: Next,
) -> Response {
    let started = std::time::Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    state.metrics.request(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed(),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_histograms_and_escapes_labels() {
        let m = Metrics::default();
        m.request("GET", "/v1/trees", 200, Duration::from_millis(3));
        m.request("GET", "/v1/\"x\"", 404, Duration::from_secs(20));
        m.session_outcome("resolved");
        m.turn(true);
        m.turn(true);
        m.turn(false);
        let text = m.render(Some(2));
        assert!(text.contains(
            "troubletree_http_requests_total{method=\"GET\",route=\"/v1/trees\",status=\"200\"} 1"
        ));
        assert!(text.contains(
            "troubletree_http_request_duration_seconds_bucket{route=\"/v1/trees\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "troubletree_http_request_duration_seconds_bucket{route=\"/v1/trees\",le=\"0.0025\"} 0"
        ));
        assert!(text.contains("route=\"/v1/\\\"x\\\"\",le=\"+Inf\"} 1"));
        assert!(text.contains("troubletree_sessions_total{outcome=\"resolved\"} 1"));
        assert!(text.contains("troubletree_outbox_backlog 2"));
        assert!(text.contains("troubletree_turns_total{session=\"kept\"} 2"));
        assert!(text.contains("troubletree_turns_total{session=\"read\"} 1"));
    }
}
