//! Vestibule: a self-hosted B2B guest collaboration portal.
//!
//! # The house: layers, and who may import whom
//!
//! Requests flow one way, and imports point the same way — down:
//!
//! ```text
//!   main.rs ─ app.rs                 the binary; app builds the server (the only user of web)
//!        │
//!       web/                         HTTP only: routes.rs (the route table and each route's
//!        │                           audience, enforced by audience.rs), extractors, one
//!        │                           template struct per page, error pages, headers
//!   ┌────┴─────┐
//! flows/     jobs/                   flows: the spec's F1–F12 and housekeeping, one change =
//!   │          │                     one transaction, audited, mail queued alongside.
//!   ├──────────┤                     jobs: the worker (delivers mail, runs flows on a timer)
//! auth/    provider/                 sessions and their ending (auth::ending tells the apps);
//!   │          │                     the server side (the portal as its apps' OpenID Provider)
//! state.rs ─ mail/ ─ db/             AppState (imports neither web nor flows); mail words,
//!   │          │      │              links and transports; one module per table (queries only)
//! federation/  provider::keys        the client side of OIDC/OAuth (home IdPs) and the
//!   │                                provider's key ring: state holds their caches and the
//!   │                                outbound HTTP client, they never import state
//! config.rs  secrets.rs  error.rs    settings; tokens and keys; error *types* (no HTML);
//! telemetry.rs                       counters for /metrics, imported from any layer
//!   │
//! domain/                            types and rules, no I/O, imports no other layer
//! ```
//!
//! - Nothing below `web` imports `web`; `web/admin` borrows nothing from `web/public`.
//! - `flows` never writes a route or the words of a mail: addresses come from
//!   `mail::links`, wording from `mail::notices` and the mail templates.
//! - `db` runs queries and queues nothing: mail and back-channel logouts are queued by the
//!   flow (or `auth::ending`) that causes them, in its transaction.
//! - Pages and the API call the same flows: a rule is written once.
//! - The import graph of `src/` has no circle. `tests/flows/architecture.rs` reads the
//!   source and enforces all of this; put a new piece in the room its imports allow.

// Outcome enums carry a `User` in one arm; they live for one call, so boxing buys nothing.
#![allow(clippy::large_enum_variant)]

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod federation;
pub mod flows;
pub mod i18n;
pub mod jobs;
pub mod mail;
pub mod provider;
pub mod secrets;
pub mod state;
pub mod telemetry;
pub mod web;
