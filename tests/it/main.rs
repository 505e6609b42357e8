//! Integration tests: the real HTTP server and the real binary, on
//! PostgreSQL and on SQLite.

#[macro_use]
pub mod harness;

mod authorization;
mod cli;
mod documents;
mod errors;
mod flow;
mod ledger;
mod nodes;
mod readme;
mod registration;
mod signatures;
mod transparency;
