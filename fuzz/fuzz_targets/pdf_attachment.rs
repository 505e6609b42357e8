//! The PDF reader behind `docflow verify stamped.pdf`: finding the
//! embedded evidence file. Any bytes: an error or an answer, never a
//! panic, a hang or unbounded memory.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = docflow_pdf::attachment(data, docflow_core::evidence::EVIDENCE_NAME);
});
