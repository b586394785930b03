//! Types and rules with no I/O: parsed input (emails, names, URLs) and the state machines.
//! Nothing here imports `web` or `db`.

/// A state stored as text on both databases: the enum, its stored names, `ALL`, `as_str`,
/// `parse` and `Display` (the stored name). Words for people stay beside each enum.
macro_rules! stored_states {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $stored:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $stored,)+
                }
            }

            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub mod api_key;
pub mod audit;
pub mod audit_details;
pub mod audit_sentence;
pub mod bulk;
pub mod client;
pub mod dates;
pub mod device;
pub mod email;
pub mod form;
pub mod forwarded;
pub mod idp;
pub mod image;
pub mod invitation;
pub mod invite;
pub mod mfa;
pub mod network;
pub mod odata;
pub mod package;
pub mod request;
pub mod review;
pub mod settings;
pub mod text;
pub mod tile;
pub mod url;
pub mod user;

pub use email::EmailAddress;
pub use form::{FieldErrors, InputError};
pub use text::{BoundedText, DisplayName};
