//! Types and rules with no I/O: parsed input (emails, names, URLs) and the state machines.
//! Nothing here imports `web` or `db`.

pub mod audit;
pub mod email;
pub mod form;
pub mod idp;
pub mod invitation;
pub mod package;
pub mod request;
pub mod settings;
pub mod text;
pub mod url;
pub mod user;

pub use email::EmailAddress;
pub use form::{FieldErrors, InputError};
pub use text::{BoundedText, DisplayName};
