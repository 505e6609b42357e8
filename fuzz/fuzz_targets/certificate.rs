//! X.509 chain validation (docs/signatures.md) of any bytes as the leaf,
//! against the example root (keys-example/ca/root-ca.crt) at a fixed time:
//! once with no intermediates and no CRLs, once with the example
//! intermediate and its CRL, so the path and revocation checks are reached
//! with the genuine users' certificates as seeds. Also the upload parser.
#![no_main]

use docflow_core::x509;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let anchors = docflow_fuzz::anchors();
    let now = docflow_fuzz::now();
    let _ = x509::validate_chain(data, &[], anchors, &[], now);
    let _ = x509::validate_chain(
        data,
        docflow_fuzz::intermediates(),
        anchors,
        docflow_fuzz::crls(),
        now,
    );
    let _ = x509::parse_cert_input(data);
});
