//! The sign-in buttons of the enabled identity providers, home realm first: shown on the
//! sign-in page and on an invitation.

use crate::error::AppResult;
use crate::state::AppState;

/// A sign-in button for an enabled identity provider.
pub struct IdpChoice {
    pub slug: String,
    pub name: String,
    /// The IdP serves the email's domain (home-realm discovery).
    pub home_realm: bool,
}

/// The enabled IdPs, those serving `domain` first.
pub async fn choices(state: &AppState, domain: Option<&str>) -> AppResult<Vec<IdpChoice>> {
    let mut c = state.db.acquire().await?;
    let rows = crate::db::identity_providers::choices_for(c.conn(), domain).await?;
    Ok(rows
        .into_iter()
        .map(|r| IdpChoice {
            home_realm: domain.is_some_and(|d| crate::domain::idp::serves_domain(&r.domains, d)),
            slug: r.slug,
            name: r.display_name,
        })
        .collect())
}
