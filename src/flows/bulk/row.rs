//! A row of a partner list as given (a CSV line or one of the API's rows).

use crate::domain::invite::InviteFields;

/// A row as given, before any rule is checked.
#[derive(Debug, Clone, Default)]
pub struct RowInput {
    /// As a spreadsheet numbers it (the header is row 1); from 1 for the API's rows.
    pub number: usize,
    pub fields: InviteFields,
    /// An app the row names that does not exist.
    pub unknown_app: Option<String>,
}
