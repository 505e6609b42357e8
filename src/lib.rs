//! docflow: electronic document flow with digital signatures and a
//! verifiable ledger.
//!
//! Layers, and the one direction data flows through them:
//! `http` (and `cli`) → `service` → `domain` rules and `storage`.
//! Formats, hashes and signature checks live in the `docflow-core` crate,
//! which has no database, web or network code.

pub mod app;
pub mod config;
pub mod domain;
pub mod http;
pub mod logkey;
pub mod service;
pub mod storage;

pub use docflow_core as core;
