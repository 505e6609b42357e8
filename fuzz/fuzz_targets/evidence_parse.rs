//! The evidence bundle: `Bundle::parse`, and for a bundle that parses the
//! proven view (`proven::build`) against the seed server's log key, so the
//! genuine seeds' receipts verify and the fuzzer reaches the chain, route
//! and resolution checks. A parsed bundle must also survive its own
//! encoding (`to_json` is what a stamped PDF embeds).
#![no_main]

use docflow_core::evidence::Bundle;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(bundle) = Bundle::parse(data) else {
        return;
    };
    let json = bundle.to_json();
    let again = Bundle::parse(json.as_bytes()).expect("a parsed bundle's to_json parses");
    assert_eq!(again, bundle, "to_json does not round-trip");
    let _ = docflow_verify::proven::build(&bundle, docflow_fuzz::seed_log());
});
