//! Vestibule: a self-hosted B2B guest collaboration portal.

pub mod app;
pub mod auth;
pub mod clock;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod flows;
pub mod jobs;
pub mod mail;
pub mod secrets;
pub mod web;
