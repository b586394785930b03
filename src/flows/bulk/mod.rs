//! Bulk invitations. A partner's list — a CSV file (`csv_file`) or the API's JSON rows — is
//! checked row by row with the same rules as the invite form (`InviteFields::read`, the partner
//! domain policy, who is a member or a guest already): the dry run, where nothing is
//! written or sent. The checked rows are then stored as a job (`job`) that the worker
//! invites row by row.

pub mod csv_file;
pub mod job;
mod row;

use std::collections::HashMap;

use crate::db::{apps, users};
use crate::domain::EmailAddress;
use crate::domain::user::{GUEST, UserState};
use crate::error::AppResult;
use crate::state::AppState;

pub use crate::domain::bulk::Outcome;
pub use csv_file::{COLUMNS, FileRefused, MAX_BYTES, MAX_ROWS, template};
pub use row::RowInput;

/// A row and what inviting it would do.
pub struct Row {
    pub input: RowInput,
    pub outcome: Outcome,
}

impl Row {
    pub fn number(&self) -> usize {
        self.input.number
    }

    pub fn email(&self) -> &str {
        &self.input.fields.email
    }

    pub fn display_name(&self) -> &str {
        &self.input.fields.display_name
    }
}

/// A list checked: every row's outcome.
pub struct DryRun {
    pub rows: Vec<Row>,
}

impl DryRun {
    pub fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.rows.iter().filter(|r| pred(&r.outcome)).count()
    }
}

/// Reads a CSV file (a byte-order mark and CRLF line ends are fine) and checks every row.
pub async fn dry_run(state: &AppState, bytes: &[u8]) -> AppResult<Result<DryRun, FileRefused>> {
    let all_apps = {
        let mut c = state.db.acquire().await?;
        apps::all(c.conn()).await?
    };
    match csv_file::read(bytes, &all_apps) {
        Ok(rows) => Ok(Ok(check_with(state, rows, &all_apps).await?)),
        Err(refused) => Ok(Err(refused)),
    }
}

/// Checks rows as inviting them would: nothing is written.
pub async fn check(state: &AppState, rows: Vec<RowInput>) -> AppResult<DryRun> {
    let all_apps = {
        let mut c = state.db.acquire().await?;
        apps::all(c.conn()).await?
    };
    check_with(state, rows, &all_apps).await
}

/// `check`, with the apps already read (a file names its apps from them).
async fn check_with(state: &AppState, rows: Vec<RowInput>, all_apps: &[apps::App]) -> AppResult<DryRun> {
    let portal = super::settings::current(state).await?;
    // Read once for the whole list: where a row's redirect may go.
    let app_origins = apps::origins(all_apps);
    let public_origin = state.settings.public_origin();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut checked = Vec::with_capacity(rows.len());
    for input in rows {
        let outcome = match input.fields.read(&public_origin, &app_origins) {
            Err(errors) => invalid(&errors, &input.fields.email),
            Ok(_) if input.unknown_app.is_some() => {
                Outcome::Invalid(format!("No app is called “{}”.", input.unknown_app.clone().unwrap_or_default()))
            }
            Ok(read) => classify(state, &portal, &read.email, input.number, &mut seen).await?,
        };
        checked.push(Row { input, outcome });
    }
    Ok(DryRun { rows: checked })
}

/// A row refused by the invite form's rules, with every reason, worded as what was found
/// (the form's words tell a person what to type; a row's outcome says what is wrong).
fn invalid(errors: &crate::domain::FieldErrors, email: &str) -> Outcome {
    let said: Vec<String> = errors
        .iter()
        .map(|(field, why)| match field {
            "email" if email.trim().is_empty() => "No email address.".to_string(),
            "email" if email.trim().len() > 254 => "Email address too long.".to_string(),
            "email" => "Not an email address.".to_string(),
            _ => why.to_string(),
        })
        .collect();
    Outcome::Invalid(said.join(" "))
}

async fn classify(
    state: &AppState,
    portal: &crate::domain::settings::PortalSettings,
    email: &EmailAddress,
    number: usize,
    seen: &mut HashMap<String, usize>,
) -> AppResult<Outcome> {
    if let Some(first) = seen.get(email.as_str()) {
        return Ok(Outcome::Duplicate(*first));
    }
    seen.insert(email.as_str().to_string(), number);
    if !portal.admits_domain(email.domain()) {
        return Ok(Outcome::DomainRefused);
    }
    let (existing, listed) = {
        let mut c = state.db.acquire().await?;
        let listed = crate::flows::do_not_invite::is_listed(c.conn(), email.as_str()).await?;
        (users::find_by_email(c.conn(), email.as_str()).await?, listed)
    };
    Ok(match existing {
        _ if listed => Outcome::DoNotInvite,
        None => Outcome::WillInvite,
        Some(u) if u.user_type != GUEST => Outcome::IsMember,
        Some(u) if u.state == UserState::PendingAcceptance => Outcome::AlreadyInvited,
        Some(_) => Outcome::AlreadyGuest,
    })
}
