//! The background worker: delivers queued mail and back-channel logouts with retries and
//! backoff, and runs the
//! housekeeping (expiry, reminders). `run_once` is one pass; `spawn` repeats it on an interval.

pub mod bulk;

use std::time::Duration;

use chrono::Duration as Span;

use crate::db::outbox;
use crate::state::AppState;

/// A mail that failed this many times is given up on (marked failed for the admin).
pub const MAX_ATTEMPTS: i64 = 12;
/// How long a worker may hold a claimed message before another may take it: short, since a
/// live worker renews it while the message is in flight (`RENEW_EVERY`); a crashed one lets
/// it go within a minute.
const LEASE: Span = Span::seconds(60);
const RENEW_EVERY: Duration = Duration::from_secs(20);
/// At most this many mails in one pass, so one pass never runs for long.
const BATCH: usize = 50;

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
    pub expired_invitations: u64,
    pub expired_requests: usize,
    pub reminders: usize,
}

/// Delay before the next try after `attempts` failures: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i64) -> Span {
    let exp = attempts.clamp(1, 8) - 1;
    Span::seconds((30i64 << exp).min(3600))
}

pub async fn run_once(state: &AppState) -> anyhow::Result<Pass> {
    let done = crate::flows::housekeeping::run(state).await?;
    let mut pass = Pass {
        expired_invitations: done.expired_invitations,
        expired_requests: done.expired_requests,
        reminders: done.reminders,
        ..Pass::default()
    };
    for _ in 0..BATCH {
        // Stopping: the message in hand was finished; the rest wait for another instance.
        if state.shutdown.begun() {
            break;
        }
        let now = state.clock.now();
        let claimed = {
            let mut c = state.db.acquire().await?;
            outbox::claim_next(c.conn(), now, now + LEASE).await?
        };
        let Some(message) = claimed else { break };
        let is_mail = message.kind == "mail";
        // The connection is taken before sending: the mail is marked sent in the very next
        // round trip after the server's answer, which keeps the window for a second copy
        // (a crash in between; delivery is at least once) as small as it can be.
        let mut c = state.db.acquire().await?;
        let delivery = async {
            if is_mail {
                state.mailer.send(&message).await
            } else {
                crate::provider::logout::deliver(state, &message).await
            }
        };
        tokio::pin!(delivery);
        let mut renew = tokio::time::interval_at(tokio::time::Instant::now() + RENEW_EVERY, RENEW_EVERY);
        let result = loop {
            tokio::select! {
                result = &mut delivery => break result,
                _ = renew.tick() => outbox::renew(c.conn(), message.id, state.clock.now() + LEASE).await?,
            }
        };
        match result {
            Ok(()) => {
                outbox::mark_sent(c.conn(), message.id, state.clock.now()).await?;
                crate::telemetry::delivery(&message.kind, "sent");
                tracing::info!(outbox_id = %message.id, kind = %message.kind, "delivered");
                pass.sent += 1;
            }
            Err(err) => {
                let retry_at = (message.attempts < MAX_ATTEMPTS).then(|| state.clock.now() + backoff(message.attempts));
                let error = format!("{err:#}");
                tracing::warn!(outbox_id = %message.id, kind = %message.kind, attempts = message.attempts, error = %error, "delivery failed");
                outbox::mark_failed(c.conn(), message.id, &error, retry_at).await?;
                crate::telemetry::delivery(&message.kind, "failed");
                pass.failed += 1;
                // The mail transport is down: leave the rest for the next pass. (One app
                // that does not answer its logout URI holds up nothing else.)
                if is_mail {
                    break;
                }
            }
        }
    }
    Ok(pass)
}

/// Runs the worker until the process stops (`state.shutdown`); the handle ends once the
/// pass under way is finished.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    let every = Duration::from_secs(state.settings.worker_interval_secs.max(1));
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                biased;
                _ = state.shutdown.wait() => break,
                _ = ticker.tick() => {}
            }
            let started = std::time::Instant::now();
            let result = run_once(&state).await;
            crate::telemetry::worker_pass("mail", started.elapsed(), result.is_ok());
            if let Err(err) = result {
                tracing::error!(error = %format!("{err:#}"), "worker pass failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1), Span::seconds(30));
        assert_eq!(backoff(2), Span::seconds(60));
        assert_eq!(backoff(4), Span::seconds(240));
        assert_eq!(backoff(20), Span::seconds(3600));
    }
}
