//! The whole offline verifier, with the seed server's log key pinned and no
//! trust anchors.
//!
//! Oracle (no false accept): `check_stamped` may call a file VALID only if
//! it starts with the exact bytes of a genuine stamped seed; the one thing
//! a VALID file may add is later revisions. The same input as a detached
//! bundle for the genuine original (`check_with_evidence`) may be VALID
//! only if everything the report shows is what a genuine bundle shows.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let trust = docflow_fuzz::trust();
    if let Ok(report) = docflow_verify::check_stamped(data, &trust) {
        let _ = report.text();
        if report.valid && !docflow_fuzz::STAMPED.iter().any(|(_, s)| data.starts_with(s)) {
            panic!(
                "FALSE ACCEPT: check_stamped says VALID for a file that starts with no genuine stamped file\n{}",
                report.text()
            );
        }
    }
    if let Ok(report) = docflow_verify::check_with_evidence(docflow_fuzz::ORIGINAL, data, &trust) {
        let _ = report.text();
        if let Some(why) = docflow_fuzz::invented_facts(&report) {
            panic!("FALSE ACCEPT: check_with_evidence: {why}");
        }
    }
});
