//! Types and rules with no I/O: parsed input (emails, names, URLs) and the state machines.
//! Nothing here imports `web` or `db`.

pub mod audit;
pub mod email;
pub mod form;
pub mod idp;
pub mod invitation;
pub mod package;
pub mod settings;
pub mod text;
pub mod url;
pub mod user;

pub use email::EmailAddress;
pub use form::FieldErrors;
pub use text::{BoundedText, DisplayName};

/// Why a piece of input was refused, phrased for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InputError(pub String);

impl InputError {
    pub fn new(msg: impl Into<String>) -> Self {
        InputError(msg.into())
    }
}
