//! Receipts (C2SP tlog-proof): strict parsing (a receipt that parses
//! re-encodes to its input) and `verify` against the seed server's and the
//! test log keys.
#![no_main]

use docflow_core::receipt::Receipt;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(receipt) = Receipt::parse(text) else {
        return;
    };
    assert_eq!(receipt.encode(), text, "a parsed receipt is not canonical");
    for log in [docflow_fuzz::seed_log(), docflow_fuzz::test_log()] {
        let _ = receipt.verify(log, None);
    }
});
