//! What the approver's page and the admin's request page share: the Approve/Deny form and
//! how a request's status and outcomes read.

use serde::Deserialize;

use crate::domain::{BoundedText, InputError};
use crate::error::{AppError, AppResult};
use crate::flows::approval::Granted;

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub decision: String,
    #[serde(default)]
    pub note: String,
}

impl DecisionForm {
    /// Approve or deny (anything else is a form we did not send), and the note, or why the
    /// note is refused.
    pub fn parse(&self) -> AppResult<Result<(bool, String), InputError>> {
        let approve = match self.decision.as_str() {
            "approve" => true,
            "deny" => false,
            _ => return Err(AppError::BadRequest("Choose Approve or Deny.".into())),
        };
        Ok(BoundedText::parse(&self.note, "The note", 1000, true).map(|n| (approve, n.into_string())))
    }
}

/// What the person who approved is told the approval did.
pub fn approved_words(g: &Granted) -> String {
    let note = if g.with_note { ", with your note" } else { "" };
    if g.invited {
        format!("Approved: {} gets an invitation to {} by mail{note}.", g.guest, g.package)
    } else {
        format!("Approved: {} now has {} and was told by mail{note}.", g.guest, g.package)
    }
}

pub const DOMAIN_REFUSED: &str = "Nothing was changed: the organization no longer admits partners from this email domain, so the request cannot be approved. You can still deny it.";
