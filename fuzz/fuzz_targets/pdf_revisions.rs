//! The check of what later revisions change, split where a verifier would
//! split: just past the first `%%EOF` line (the original of a stamped
//! file), just past the second (the stamping revision, as `check_stamped`
//! does), and at a length taken from the first two bytes (any split).
//! Also `check_later_revisions` when docflow-pdf exports it (build.rs).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut splits: Vec<usize> = docflow_fuzz::eof_ends(data).take(2).collect();
    if let [a, b, ..] = data {
        splits.push(usize::from(u16::from_le_bytes([*a, *b])) % (data.len() + 1));
    }
    splits.sort_unstable();
    splits.dedup();
    for split in splits {
        let _ = docflow_pdf::check_revisions(data, split);
        #[cfg(docflow_check_later_revisions)]
        let _ = docflow_pdf::check_later_revisions(data, split);
    }
});
