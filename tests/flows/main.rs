//! Black-box tests over HTTP, each run on SQLite and on PostgreSQL (`both!`).

#[macro_use]
pub mod helpers;

mod admin;
mod api;
mod api_graph;
mod architecture;
mod bulk;
mod faults;
mod federation;
mod foundation;
mod hardening;
mod images;
mod invite;
mod languages;
mod leaving;
mod lifecycle_inactivity;
mod lifecycle_terms;
mod mail;
mod mfa;
mod migrations;
mod operations;
mod panel;
mod provider;
mod records;
mod redeem;
mod reviews;
mod saml;
mod scale;
mod signin;
mod signup;
mod sponsors;
