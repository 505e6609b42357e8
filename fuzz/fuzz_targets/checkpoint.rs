//! Checkpoints and signed notes: `Checkpoint::parse` (canonical: it
//! round-trips through `to_body`), `NoteVerifier::open` with the seed
//! server's and the test log keys (and the body it returns), and
//! `NoteVerifier::parse` of the text as a key (canonical too).
#![no_main]

use docflow_core::checkpoint::{open_checkpoint, unverified_note_text, Checkpoint, NoteVerifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(c) = Checkpoint::parse(text) {
        assert_eq!(c.to_body().as_deref(), Ok(text), "a parsed checkpoint is not canonical");
    }
    let _ = unverified_note_text(text);
    for log in [docflow_fuzz::seed_log(), docflow_fuzz::test_log()] {
        if let Ok(body) = log.open(text) {
            let _ = Checkpoint::parse(&body);
        }
        let _ = open_checkpoint(log, text);
    }
    if let Ok(v) = NoteVerifier::parse(text) {
        assert_eq!(v.to_string(), text, "a parsed verifier key is not canonical");
    }
});
