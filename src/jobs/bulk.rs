//! The bulk invitation worker: invites the rows of running jobs without pause while there
//! are any, then sleeps until a job starts (or a while passes: another instance may have
//! started one, or a crash left one half done).

use std::time::Duration;

use crate::state::AppState;

/// Rows taken in one go, between two looks at which jobs are running.
const BATCH: usize = 200;
/// How long the worker sleeps when it has nothing to do and nobody wakes it.
const IDLE: Duration = Duration::from_secs(5);

/// Runs the bulk worker until the process stops (`state.shutdown`): the row in hand is
/// finished, the rest are left for the next start or another instance.
pub fn spawn(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while !state.shutdown.begun() {
            let started = std::time::Instant::now();
            let result = crate::flows::bulk::job::work(&state, BATCH).await;
            crate::telemetry::worker_pass("bulk", started.elapsed(), result.is_ok());
            match result {
                Ok(0) => {
                    tokio::select! {
                        _ = state.bulk_wake.notified() => {}
                        _ = tokio::time::sleep(IDLE) => {}
                        _ = state.shutdown.wait() => {}
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::error!(error = %format!("{err:#}"), "bulk invitation pass failed");
                    tokio::time::sleep(IDLE).await;
                }
            }
        }
    })
}
