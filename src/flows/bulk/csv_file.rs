//! A partner list as a CSV file: its columns, a template, and reading it into rows.

use std::collections::HashMap;

use uuid::Uuid;

use super::row::RowInput;
use crate::db::apps::App;
use crate::domain::invite::InviteFields;

/// The columns a file may have; `email` is required, the rest optional, any order.
pub const COLUMNS: [&str; 5] = ["email", "display_name", "message", "redirect_url", "apps"];
/// The most rows one file (or one API call) may hold.
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

/// The file's rows, blank ones left out; apps named in the `apps` column (`;` between
/// names, any case) are looked up in `apps`.
pub fn read(bytes: &[u8], apps: &[App]) -> Result<Vec<RowInput>, FileRefused> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) if t.contains('\0') => return Err(FileRefused::NotText),
        Ok(t) => t.strip_prefix('\u{feff}').unwrap_or(t),
        Err(_) => return Err(FileRefused::NotText),
    };
    if text.trim().is_empty() {
        return Err(FileRefused::Empty);
    }
    let mut reader = csv::ReaderBuilder::new().flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|c| c.to_ascii_lowercase().replace([' ', '-'], "_")).collect(),
        Err(e) => return Err(FileRefused::Malformed(1, e.to_string())),
    };
    let column = |name: &str| header.iter().position(|h| h == name);
    let Some(email_at) = column("email") else { return Err(FileRefused::NoEmailColumn) };
    let (name_at, message_at, redirect_at, apps_at) =
        (column("display_name"), column("message"), column("redirect_url"), column("apps"));
    let app_ids: HashMap<String, Uuid> = apps.iter().map(|a| (a.name.to_lowercase(), a.id)).collect();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        if rows.len() >= MAX_ROWS {
            return Err(FileRefused::TooManyRows);
        }
        let record = record.map_err(|e| FileRefused::Malformed(number, e.to_string()))?;
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |at: Option<usize>| at.and_then(|a| record.get(a)).unwrap_or("").to_string();
        let fields = InviteFields {
            email: cell(Some(email_at)),
            display_name: cell(name_at),
            message: cell(message_at),
            redirect_url: cell(redirect_at),
            ..InviteFields::default()
        };
        let mut row = RowInput { number, fields, unknown_app: None };
        for name in cell(apps_at).split(';').map(str::trim).filter(|n| !n.is_empty()) {
            match app_ids.get(&name.to_lowercase()) {
                Some(id) => row.fields.app_ids.push(*id),
                None => row.unknown_app = Some(name.to_string()),
            }
        }
        rows.push(row);
    }
    Ok(rows)
}
