//! Reading an invitation's fields (`domain::invite`) against this portal: where its
//! redirect may go is read from the apps. The form, the Access Panel, the API and each row
//! of a partner's list all come through here or `InviteFields::read`.

use crate::db::apps;
use crate::domain::FieldErrors;
pub use crate::domain::invite::{InviteFields, InviteInput};
use crate::error::AppResult;
use crate::state::AppState;

/// Reads `fields` with the rules of `InviteFields::read`; the apps' origins are read only
/// when a redirect was given.
pub async fn read(state: &AppState, fields: &InviteFields) -> AppResult<Result<InviteInput, FieldErrors>> {
    let origins = if fields.redirect_url.trim().is_empty() {
        Vec::new()
    } else {
        let mut c = state.db.acquire().await?;
        let mut origins = apps::origins(&apps::all(c.conn()).await?);
        origins.extend(crate::flows::settings::current(state).await?.redirect_origins.iter().cloned());
        origins
    };
    Ok(fields.read(&state.settings.public_origin(), &origins))
}
