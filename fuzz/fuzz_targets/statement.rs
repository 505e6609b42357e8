//! Signed statements: only canonical text parses, so a statement that
//! parses re-encodes to exactly its input (docs/signatures.md).
#![no_main]

use docflow_core::statement::Statement;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = Statement::parse_bytes(data) {
        assert_eq!(s.encode().as_bytes(), data, "a parsed statement is not canonical");
        let _ = (s.purpose(), s.key(), s.login_name(), s.issued_at(), s.extra());
    }
});
