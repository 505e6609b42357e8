//! Turns on the `check_later_revisions` half of the `pdf_revisions` target
//! when docflow-pdf exports that function (same signature as
//! `check_revisions`), so the target needs no edit the day it lands.

use std::path::Path;

fn main() {
    let lib = Path::new("../crates/docflow-pdf/src/lib.rs");
    println!("cargo::rerun-if-changed={}", lib.display());
    println!("cargo::rustc-check-cfg=cfg(docflow_check_later_revisions)");
    let text = std::fs::read_to_string(lib).unwrap_or_default();
    let exported = text.lines().any(|l| {
        let l = l.trim_start();
        l.starts_with("pub ") && l.contains("check_later_revisions")
    });
    if exported {
        println!("cargo::rustc-cfg=docflow_check_later_revisions");
    }
}
