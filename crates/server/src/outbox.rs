//! Delivery of tickets to the help desk: a webhook fed by the outbox table, retried
//! with back-off until the receiver acknowledges (any 2xx), each delivery signed and
//! carrying an idempotency key. See `docs/DEPLOY.md` for the receiver's contract.

use std::sync::Arc;
use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::watch;

use crate::app::AppState;
use crate::store::{Delivery, now_ms};

/// The header carrying the signature: `v1=` and the hex HMAC-SHA256 of
/// `TIMESTAMP.BODY` under the shared secret.
pub const SIGNATURE_HEADER: &str = "x-troubletree-signature";
/// The header carrying the Unix time in seconds the signature was made at.
pub const TIMESTAMP_HEADER: &str = "x-troubletree-timestamp";
/// The header carrying the idempotency key (the ticket id): the same for every retry.
pub const IDEMPOTENCY_HEADER: &str = "idempotency-key";
/// The header carrying the attempt number, from 1.
pub const ATTEMPT_HEADER: &str = "x-troubletree-attempt";

/// The signature of a delivery: hex HMAC-SHA256 over `timestamp.body`.
pub fn sign(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length.
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    crate::engine::hex(&mac.finalize().into_bytes())
}

/// The wait before attempt `attempts + 1`: `base · 2^(attempts-1)`, at most `max`.
pub fn backoff(attempts: i64, base: Duration, max: Duration) -> Duration {
    let exp = u32::try_from(attempts.saturating_sub(1).clamp(0, 30)).unwrap_or(30);
    base.saturating_mul(1u32 << exp).min(max)
}

/// Runs until `shutdown` turns true: delivers due tickets, and sweeps abandoned
/// sessions now and then.
pub async fn run(state: Arc<AppState>, mut shutdown: watch::Receiver<bool>) {
    let client = match reqwest::Client::builder()
        .timeout(state.config.webhook_timeout)
        .build()
    {
        Ok(c) => c,
        Err(e) => {
            tracing::error!(error = %e, "cannot build the webhook client; tickets stay in the outbox");
            return;
        }
    };
    let poll = state.config.poll_interval;
    let sweep_every =
        (state.config.abandon_after / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
    let mut last_sweep = tokio::time::Instant::now();
    loop {
        if *shutdown.borrow() {
            return;
        }
        let mut busy = false;
        if let Some(url) = state.config.webhook_url.as_deref() {
            match state
                .store
                .claim_deliveries(
                    state.config.webhook_timeout * 2 + Duration::from_secs(5),
                    16,
                )
                .await
            {
                Ok(batch) => {
                    busy = batch.len() == 16;
                    for d in batch {
                        deliver(&state, &client, url, d).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the outbox"),
            }
        }
        if last_sweep.elapsed() >= sweep_every {
            last_sweep = tokio::time::Instant::now();
            if let Err(e) = state.sweep_abandoned().await {
                tracing::warn!(error = %e, "cannot sweep abandoned sessions");
            }
        }
        if busy {
            continue;
        }
        tokio::select! {
            _ = shutdown.changed() => {}
            () = state.outbox_wake.notified() => {}
            () = tokio::time::sleep(poll) => {}
        }
    }
}

async fn deliver(state: &AppState, client: &reqwest::Client, url: &str, d: Delivery) {
    let secret = state.config.webhook_secret.as_deref().unwrap_or_default();
    let timestamp = now_ms() / 1000;
    let signature = sign(secret.as_bytes(), timestamp, d.payload.as_bytes());
    let result = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(IDEMPOTENCY_HEADER, &d.key)
        .header(TIMESTAMP_HEADER, timestamp.to_string())
        .header(SIGNATURE_HEADER, format!("v1={signature}"))
        .header(ATTEMPT_HEADER, d.attempts.to_string())
        .body(d.payload.clone())
        .send()
        .await;
    let error = match result {
        Ok(r) if r.status().is_success() => None,
        Ok(r) => Some(format!("the receiver answered {}", r.status())),
        Err(e) => Some(format!("the receiver could not be reached: {e}")),
    };
    match error {
        None => {
            state.metrics.delivery("ok");
            if let Err(e) = state.store.delivered(d.id).await {
                // Delivered but not recorded: it will be sent again with the same
                // idempotency key, which the receiver must ignore.
                tracing::warn!(key = %d.key, error = %e, "delivered, but the outbox was not updated");
            } else {
                tracing::info!(key = %d.key, attempts = d.attempts, "ticket delivered");
            }
        }
        Some(error) => {
            state.metrics.delivery("failed");
            let wait = backoff(
                d.attempts,
                state.config.webhook_backoff,
                state.config.webhook_backoff_max,
            );
            let next = now_ms().saturating_add(i64::try_from(wait.as_millis()).unwrap_or(i64::MAX));
            tracing::warn!(key = %d.key, attempts = d.attempts, retry_in_ms = wait.as_millis() as u64, %error, "ticket delivery failed");
            if let Err(e) = state.store.failed(d.id, next, &error).await {
                tracing::warn!(key = %d.key, error = %e, "cannot record a failed delivery; the lease will expire");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_hmac_sha256_of_timestamp_dot_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let sig = sign(b"Jefe", 0, b"what do ya want for nothing?");
        assert_ne!(
            sig,
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").expect("any key");
        mac.update(b"0.what do ya want for nothing?");
        assert_eq!(sig, crate::engine::hex(&mac.finalize().into_bytes()));
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let base = Duration::from_millis(100);
        let max = Duration::from_secs(1);
        assert_eq!(backoff(1, base, max), Duration::from_millis(100));
        assert_eq!(backoff(2, base, max), Duration::from_millis(200));
        assert_eq!(backoff(4, base, max), Duration::from_millis(800));
        assert_eq!(backoff(5, base, max), max);
        assert_eq!(backoff(1000, base, max), max);
    }
}
