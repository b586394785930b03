//! Regression tests for the faults a security review found (issue 9): each failed before
//! its fix. One module per kind of fault.

mod api_keys;
mod approvers;
mod domains;
mod headers;
mod idps;
mod input;
mod lockout;
mod pool;
mod requests;
mod routes;
mod second_step;
mod secrets;
mod sessions;
mod sponsors_takeover;
mod ssrf;
mod uploads;
