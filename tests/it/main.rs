//! Integration tests: the real HTTP server and the real binary, on
//! PostgreSQL and on SQLite.

// Helpers here are test code too: clippy.toml's allow-unwrap-in-tests
// covers only #[test] functions, not the harness they call.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
pub mod harness;

mod authorization;
mod cli;
mod documents;
mod errors;
mod false_accepts;
mod flow;
mod hardening;
mod ledger;
mod nodes;
mod readme;
mod registration;
mod signatures;
mod transparency;
