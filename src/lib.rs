//! Vestibule: a self-hosted B2B guest collaboration portal.

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
pub mod jobs;
pub mod mail;
pub mod secrets;
pub mod state;
pub mod web;
