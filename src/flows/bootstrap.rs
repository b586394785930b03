//! The first admin, created from the command line with a one-time sign-in link.

use chrono::Duration;

use crate::db::audit::{self, Event};
use crate::db::{signin_links, users};
use crate::domain::audit::{Action, Actor};
use crate::domain::user::{MEMBER, UserState};
use crate::domain::{DisplayName, EmailAddress};
use crate::secrets::Token;
use crate::state::AppState;

pub const LINK_TTL: Duration = Duration::minutes(15);

/// Creates the admin (or makes an existing member one) and returns a sign-in link valid
/// for 15 minutes, usable once. `name` is how guests' mails and pages name them (else the
/// address's local part).
pub async fn create_admin(
    state: &AppState,
    email: &EmailAddress,
    name: Option<&DisplayName>,
) -> anyhow::Result<String> {
    let now = state.clock.now();
    let actor = Actor::system("command line");
    let mut tx = state.db.begin().await?;
    let user = match users::find_by_email(tx.conn(), email.as_str()).await? {
        Some(u) if u.user_type != MEMBER => {
            anyhow::bail!("{email} is a guest; only members can be admins")
        }
        Some(u) => {
            if let Some(name) = name.filter(|n| n.as_str() != u.display_name) {
                users::set_display_name(tx.conn(), u.id, name.as_str()).await?;
                audit::record(tx.conn(), &actor, &Event::new(Action::UserRenamed, "user", u.id, &u.email), now).await?;
            }
            if !u.is_admin {
                users::make_admin(tx.conn(), u.id).await?;
                // A privilege change ends the old sessions: the next sign-in starts a new one.
                crate::auth::ending::all(tx.conn(), u.id, now).await?;
                audit::record(tx.conn(), &actor, &Event::new(Action::UserMadeAdmin, "user", u.id, &u.email), now)
                    .await?;
            }
            u
        }
        None => {
            let name = name.cloned().unwrap_or_else(|| DisplayName::from_email(email));
            let new = users::NewUser {
                email: email.as_str(),
                display_name: name.as_str(),
                user_type: MEMBER,
                state: UserState::Accepted,
                created_via: "admin",
                is_admin: true,
            };
            let u = users::insert(tx.conn(), &new, now).await?;
            audit::record(tx.conn(), &actor, &Event::new(Action::UserCreatedAdmin, "user", u.id, &u.email), now)
                .await?;
            u
        }
    };
    let token = Token::generate();
    signin_links::insert(tx.conn(), user.id, &token.hash().0, now + LINK_TTL, now).await?;
    audit::record(tx.conn(), &actor, &Event::new(Action::SigninLinkCreated, "user", user.id, &user.email), now).await?;
    tx.commit().await?;
    Ok(state.links().signin_link(token.expose()))
}
