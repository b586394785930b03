//! A request holding a transaction must never wait for a second pool connection: under
//! load every connection can be taken by requests that wait for that transaction's lock,
//! and nothing moves until SQLite's busy timeout (found by the provider benchmark: the
//! worker's housekeeping read the settings inside its transaction; 10-second stalls).

use std::time::Duration;

use crate::helpers::*;

async fn a_stale_cache_is_served_while_the_pool_is_exhausted(app: TestApp) -> TestApp {
    // Warm the caches, then let them go stale.
    vestibule::flows::settings::current(&app.state).await.unwrap();
    vestibule::flows::settings::csp_sources(&app.state).await.unwrap();
    tokio::time::sleep(Duration::from_millis(5100)).await;
    // Take every connection of the pool, as a burst of requests would.
    let mut held = Vec::new();
    while let Ok(Ok(c)) = tokio::time::timeout(Duration::from_millis(300), app.state.db.acquire()).await {
        held.push(c);
    }
    assert!(!held.is_empty());
    let settings = tokio::time::timeout(Duration::from_secs(2), vestibule::flows::settings::current(&app.state)).await;
    assert!(settings.is_ok(), "the stale settings are served without waiting for a connection");
    let csp = tokio::time::timeout(Duration::from_secs(2), vestibule::flows::settings::csp_sources(&app.state)).await;
    assert!(csp.is_ok());
    drop(held);
    app
}
both!(a_stale_cache_is_served_while_the_pool_is_exhausted);
