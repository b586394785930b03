//! Who is signed in: sessions checked against the database on every request.

pub mod session;

pub use session::{AdminUser, CurrentUser};
