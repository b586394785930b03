//! Bulk invitations, first step: a CSV of partners read and checked row by row — the dry
//! run. Nothing is written and nothing is sent; each row says what inviting it would do,
//! with the same rules as the invite form (`invite::read`, the partner domain policy, who
//! is a member or a guest already).

use std::collections::HashMap;

use uuid::Uuid;

use super::invite::{self, RawInvite};
use crate::db::{apps, users};
use crate::domain::EmailAddress;
use crate::domain::user::{GUEST, UserState};
use crate::error::AppResult;
use crate::state::AppState;

/// The columns a file may have; `email` is required, the rest optional, any order.
pub const COLUMNS: [&str; 5] = ["email", "display_name", "message", "redirect_url", "apps"];
/// The most rows one file may hold.
pub const MAX_ROWS: usize = 10_000;
/// The largest file accepted.
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

/// A file's template: the header and one example row.
pub fn template() -> String {
    format!(
        "{}\r\nana@fabrikam.example,Ana Partner,Welcome to the Atlas project!,,\"Partner Wiki;Team Board\"\r\n",
        COLUMNS.join(",")
    )
}

/// What inviting a row would do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    WillInvite,
    /// Has a pending invitation: it would be sent again.
    WillResend,
    AlreadyGuest,
    IsMember,
    /// The same address is on an earlier row (its number).
    Duplicate(usize),
    /// The partner domain policy refuses the address's domain.
    DomainRefused,
    /// A field is wrong: which and why.
    Invalid(String),
}

impl Outcome {
    pub fn label(&self) -> String {
        match self {
            Outcome::WillInvite => "Will invite".into(),
            Outcome::WillResend => "Has a pending invitation: will send it again".into(),
            Outcome::AlreadyGuest => "Already a guest: skipped".into(),
            Outcome::IsMember => "A member of the organization: skipped".into(),
            Outcome::Duplicate(row) => format!("Same address as row {row}: skipped"),
            Outcome::DomainRefused => "Refused by the partner domain policy".into(),
            Outcome::Invalid(why) => why.clone(),
        }
    }

    pub fn will_send(&self) -> bool {
        matches!(self, Outcome::WillInvite | Outcome::WillResend)
    }
}

pub struct Row {
    /// As a spreadsheet numbers it: the header is row 1.
    pub number: usize,
    pub email: String,
    pub display_name: String,
    pub outcome: Outcome,
}

/// The dry run of a file: every row's outcome, or why the file cannot be read at all.
pub struct DryRun {
    pub rows: Vec<Row>,
}

impl DryRun {
    pub fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.rows.iter().filter(|r| pred(&r.outcome)).count()
    }
}

/// Why a file was not read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FileRefused {
    #[error("The file is empty.")]
    Empty,
    #[error("This is not a CSV text file (UTF-8). Save the sheet as “CSV UTF-8” and try again.")]
    NotText,
    #[error("The first row must name the columns, with at least “email” (the template shows how).")]
    NoEmailColumn,
    #[error("Row {0} could not be read as CSV: {1}")]
    Malformed(usize, String),
    #[error("The file has more than {MAX_ROWS} rows. Split it into smaller files.")]
    TooManyRows,
}

/// Reads the CSV (a byte-order mark and CRLF line ends are fine) and checks every row.
pub async fn dry_run(state: &AppState, bytes: &[u8]) -> AppResult<Result<DryRun, FileRefused>> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if t.contains('\0') => return Ok(Err(FileRefused::NotText)),
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(_) => return Ok(Err(FileRefused::NotText)),
    };
    if text.trim().is_empty() {
        return Ok(Err(FileRefused::Empty));
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_ascii_lowercase().replace([' ', '-'], "_")).collect(),
        Err(e) => return Ok(Err(FileRefused::Malformed(1, e.to_string()))),
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let Some(email_at) = column("email") else { return Ok(Err(FileRefused::NoEmailColumn)) };
    let (name_at, message_at, redirect_at, apps_at) =
        (column("display_name"), column("message"), column("redirect_url"), column("apps"));

    let portal = super::settings::current(state).await?;
    let all_apps = {
        let mut c = state.db.acquire().await?;
        apps::all(c.conn()).await?
    };
    let app_ids: HashMap<String, Uuid> = all_apps.iter().map(|a| (a.name.to_lowercase(), a.id)).collect();
    // Read once for the whole file: where a row's redirect may go.
    let (public_origin, app_origins) = (state.settings.public_origin(), apps::origins(&all_apps));
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        if rows.len() >= MAX_ROWS {
            return Ok(Err(FileRefused::TooManyRows));
        }
        let record = match record {
            Ok(r) => r,
            Err(e) => return Ok(Err(FileRefused::Malformed(number, e.to_string()))),
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |at: Option<usize>| at.and_then(|a| record.get(a)).unwrap_or("").to_string();
        let (email, display_name) = (cell(Some(email_at)), cell(name_at));
        let mut unknown_app = None;
        let mut chosen = Vec::new();
        for name in cell(apps_at).split(';').map(str::trim).filter(|n| !n.is_empty()) {
            match app_ids.get(&name.to_lowercase()) {
                Some(id) => chosen.push(*id),
                None => unknown_app = Some(name.to_string()),
            }
        }
        let raw = RawInvite {
            email: &email,
            display_name: &display_name,
            redirect_url: &cell(redirect_at),
            message: &cell(message_at),
            app_ids: chosen,
            send_email: true,
        };
        let outcome = match invite::read_with(&raw, &public_origin, &app_origins) {
            Err(errors) => Outcome::Invalid(errors.iter().map(|(_, why)| why).collect::<Vec<_>>().join(" ")),
            Ok(_) if unknown_app.is_some() => {
                Outcome::Invalid(format!("No app is called “{}”.", unknown_app.unwrap_or_default()))
            }
            Ok(input) => classify(state, &portal, &input.email, number, &mut seen).await?,
        };
        rows.push(Row { number, email: email.chars().take(254).collect(), display_name, outcome });
    }
    Ok(Ok(DryRun { rows }))
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
    let existing = {
        let mut c = state.db.acquire().await?;
        users::find_by_email(c.conn(), email.as_str()).await?
    };
    Ok(match existing {
        None => Outcome::WillInvite,
        Some(u) if u.user_type != GUEST => Outcome::IsMember,
        Some(u) if u.state == UserState::PendingAcceptance => Outcome::WillResend,
        Some(_) => Outcome::AlreadyGuest,
    })
}
