//! `/metrics`: this process's counters and timings (`telemetry`), then what the database
//! holds now — invitations and sign-up requests by state, the outbox by state and the age
//! of its oldest waiting mail — and the database pool in use. The database figures are
//! written here as gauges of this scrape, not kept in the process, so every instance
//! reports the same (shared) numbers.

use std::fmt::Write;

use crate::db::stats::{self, StatusTable};
use crate::error::AppResult;
use crate::state::AppState;

pub async fn scrape(state: &AppState) -> AppResult<String> {
    let mut out = crate::telemetry::render();
    let now = state.clock.now();
    let (in_use, size) = state.db.pool_in_use();
    let mut c = state.db.acquire().await?;
    let tables = [
        (StatusTable::Invitations, "vestibule_invitations", "Invitations by state."),
        (StatusTable::SignUpRequests, "vestibule_signup_requests", "Sign-up requests by state."),
        (StatusTable::Outbox, "vestibule_outbox_messages", "Outbox messages (mail, logouts) by state."),
    ];
    for (table, name, help) in tables {
        let rows = stats::by_status(c.conn(), table).await?;
        gauge_head(&mut out, name, help);
        for (status, n) in rows {
            // States are the schema's CHECKed words; escape anyway.
            let status = status.replace(['\\', '"', '\n'], "_");
            writeln!(out, "{name}{{state=\"{status}\"}} {n}").ok();
        }
    }
    let oldest = stats::oldest_pending_mail(c.conn()).await?;
    let age = oldest.map_or(0.0, |t| (now - t).num_milliseconds().max(0) as f64 / 1000.0);
    gauge_head(&mut out, "vestibule_outbox_oldest_pending_age_seconds", "Age of the oldest message waiting to go out.");
    writeln!(out, "vestibule_outbox_oldest_pending_age_seconds {age}").ok();
    gauge_head(&mut out, "vestibule_db_pool_connections", "Database connections of this instance.");
    writeln!(out, "vestibule_db_pool_connections{{state=\"in_use\"}} {in_use}").ok();
    writeln!(out, "vestibule_db_pool_connections{{state=\"open\"}} {size}").ok();
    Ok(out)
}

fn gauge_head(out: &mut String, name: &str, help: &str) {
    writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge").ok();
}
