//! docflow's formats, hashes, signatures and proofs.
//!
//! Nothing here touches a database, the network or the file system: the
//! server, `docflow audit` and the offline verifier all use this crate, so
//! what the server writes is checked by exactly the code a verifier runs.

pub mod checkpoint;
pub mod evidence;
pub mod keys;
pub mod ledger;
pub mod merkle;
pub mod receipt;
pub mod statement;
pub mod x509;
