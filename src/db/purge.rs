//! What purging a person (F12) removes besides their `users` row, whose deletion cascades
//! to identities, second factors, sessions, grants, invitations, assignments and requests.
//! The rest keeps their address or name in text: codes sent to the address, requests made
//! before an account existed, mail, bulk rows, and the audit log — which stays whole, with
//! the person's labels replaced by a pseudonym.

use uuid::Uuid;

use super::{Conn, contains_pattern, run};

/// Removes what is kept under the address but not tied to the account.
pub async fn by_address(mut c: Conn<'_>, email: &str) -> sqlx::Result<()> {
    let email = email.to_lowercase();
    for sql in [
        "DELETE FROM email_codes WHERE LOWER(email) = $1",
        "DELETE FROM signup_requests WHERE LOWER(email) = $1",
        "DELETE FROM outbox WHERE LOWER(recipient) = $1 OR LOWER(cc) = $1",
        "UPDATE invitations SET cc = '' WHERE LOWER(cc) = $1",
    ] {
        run!(c.reborrow(), |e| sqlx::query(sql).bind(&email).execute(e).await.map(|_| ()))?;
    }
    // Mail to others about the person (a sponsor's notice names them with their address).
    let escape = if matches!(c, Conn::Sqlite(_)) { " ESCAPE '\\'" } else { "" };
    let sql = format!(
        "DELETE FROM outbox WHERE LOWER(text_body) LIKE $1{escape} OR LOWER(html_body) LIKE $1{escape} \
         OR LOWER(subject) LIKE $1{escape}"
    );
    run!(c.reborrow(), |e| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
        .bind(contains_pattern(&email))
        .execute(e)
        .await
        .map(|_| ()))?;
    run!(c, |e| sqlx::query(
        "UPDATE bulk_rows SET email = '', display_name = '', input = '{}', detail = '' WHERE LOWER(email) = $1"
    )
    .bind(&email)
    .execute(e)
    .await
    .map(|_| ()))
}

/// Replaces the person's address and name in the audit log with `pseudonym`: everywhere
/// for the address, and in the events they did or that were done to them for the name (a
/// name alone may be a word in other events).
pub async fn audit_labels(
    mut c: Conn<'_>,
    user_id: Uuid,
    email: &str,
    name: &str,
    pseudonym: &str,
) -> sqlx::Result<()> {
    // What they did, and from where.
    run!(c.reborrow(), |e| sqlx::query(
        "UPDATE audit_events SET actor_label = $2, ip = '', details = REPLACE(details, $3, $2) WHERE actor_id = $1"
    )
    .bind(user_id)
    .bind(pseudonym)
    .bind(name)
    .execute(e)
    .await
    .map(|_| ()))?;
    run!(c.reborrow(), |e| sqlx::query(
        "UPDATE audit_events SET target_label = $2, details = REPLACE(details, $3, $2) WHERE target_id = $1"
    )
    .bind(user_id.to_string())
    .bind(pseudonym)
    .bind(name)
    .execute(e)
    .await
    .map(|_| ()))?;
    run!(c, |e| sqlx::query(
        "UPDATE audit_events SET actor_label = REPLACE(actor_label, $1, $2), \
         target_label = REPLACE(target_label, $1, $2), details = REPLACE(details, $1, $2) \
         WHERE actor_label LIKE '%@%' OR target_label LIKE '%@%' OR details LIKE '%@%'"
    )
    .bind(email)
    .bind(pseudonym)
    .execute(e)
    .await
    .map(|_| ()))
}
