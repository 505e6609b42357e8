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
// A benchmark that cannot set up fails loudly: unwrap is the right answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

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
    // As many bytes as the 300-page file on one page: separates bytes from pages.
    let heavy = make_pdf(1, large.len());
    println!(
        "\n## Stamping: 1-page original ({} bytes) vs 300-page original ({} bytes) vs 1-page original of {} bytes, {runs} runs each",
        small.len(),
        large.len(),
        heavy.len()
    );
    println!("\n| stamps | 1 page: stamp ms | 300 pages: stamp ms | ratio | 1 page, 10 MB: stamp ms | ratio | 1 page: check ms | 300 pages: check ms | ratio | 1 page, 10 MB: check ms | ratio |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for k in [1usize, 5, 20] {
        let (s, sh, ev) = (stamps(k), sheet(k), evidence(k));
        let stamp = |original: &[u8]| {
            docflow_pdf::stamp(original, &s, Some(&sh), Some(&ev))
                .unwrap_or_else(|e| panic!("stamping failed: {e}"))
        };
        let (small_out, large_out, heavy_out) = (stamp(&small), stamp(&large), stamp(&heavy));
        let (_, small_ms, _) = measure(runs, || {
            std::hint::black_box(stamp(&small));
        });
        let (_, large_ms, _) = measure(runs, || {
            std::hint::black_box(stamp(&large));
        });
        let (_, heavy_ms, _) = measure(runs, || {
            std::hint::black_box(stamp(&heavy));
        });
        let check = |pdf: &[u8], len: usize| {
            let report = docflow_pdf::check_revisions(pdf, len)
                .unwrap_or_else(|e| panic!("check failed: {e}"));
            assert!(report.is_clean(), "{:?}", report.violations);
        };
        let (_, small_check, _) = measure(runs, || check(&small_out, small.len()));
        let (_, large_check, _) = measure(runs, || check(&large_out, large.len()));
        let (_, heavy_check, _) = measure(runs, || check(&heavy_out, heavy.len()));
        println!(
            "| {k} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            ms(small_ms),
            ms(large_ms),
            ms(large_ms) / ms(small_ms),
            ms(heavy_ms),
            ms(heavy_ms) / ms(small_ms),
            ms(small_check),
            ms(large_check),
            ms(large_check) / ms(small_check),
            ms(heavy_check),
            ms(heavy_check) / ms(small_check)
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
        verify::run_all(runs());
    }
}

mod verify {
    use super::*;
    use std::process::{Child, Stdio};

    fn on_path(tool: &str) -> bool {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|p| p.join(tool).is_file()))
    }

    fn keys(rel: &str) -> String {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("keys-example")
            .join(rel)
            .to_string_lossy()
            .into_owned()
    }

    /// Runs a command that must succeed; returns its standard output.
    fn run(cmd: &mut Command) -> String {
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{cmd:?} did not start: {e}"));
        assert!(
            out.status.success(),
            "{cmd:?} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    struct Server(Child);

    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    /// A stamped PDF of `original` with five signatures (three X.509
    /// certificates under the example root, two raw keys), made by a real
    /// `docflow serve` on a scratch SQLite database; and the log's key.
    fn docflow_signed(dir: &Path, original: &[u8]) -> (PathBuf, PathBuf) {
        let docflow = env!("CARGO_BIN_EXE_docflow");
        let data = dir.join("data");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(18089);
        let api = format!("http://127.0.0.1:{port}");
        let cli = |args: &[&str]| {
            run(Command::new(docflow)
                .arg("--data-dir")
                .arg(&data)
                .args(args)
                .env("DOCFLOW_TRUST_ANCHORS", keys("ca/root-ca.crt"))
                .current_dir(dir))
        };
        cli(&["migrate"]);
        let _server = Server(
            Command::new(docflow)
                .arg("--data-dir")
                .arg(&data)
                .arg("serve")
                .env("DOCFLOW_BIND", format!("127.0.0.1:{port}"))
                .env("DOCFLOW_TRUST_ANCHORS", keys("ca/root-ca.crt"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("docflow serve: {e}")),
        );
        let http = reqwest::blocking::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while !http
            .get(format!("{api}/healthz"))
            .send()
            .is_ok_and(|r| r.status().is_success())
        {
            assert!(Instant::now() < deadline, "docflow serve did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        cli(&[
            "admin",
            "org",
            "add",
            "--code",
            "BENCH",
            "--name",
            "Bench vazirligi",
        ]);
        let add_user = |login: &str, role: &str| {
            cli(&[
                "admin",
                "user",
                "add",
                "--org",
                "BENCH",
                "--login",
                login,
                "--name",
                login,
                "--position",
                role,
                "--role",
                role,
            ])
        };
        add_user("reg", "registrar");
        let token = cli(&["admin", "token", "issue", "--login", "reg"]);
        let form = reqwest::blocking::multipart::Form::new()
            .part(
                "meta",
                reqwest::blocking::multipart::Part::text(
                    r#"{"title":"Bench order","kind":"order"}"#,
                )
                .mime_str("application/json")
                .unwrap_or_else(|e| panic!("{e}")),
            )
            .part(
                "file",
                reqwest::blocking::multipart::Part::bytes(original.to_vec())
                    .file_name("order.pdf")
                    .mime_str("application/pdf")
                    .unwrap_or_else(|e| panic!("{e}")),
            );
        let created: serde_json::Value = http
            .post(format!("{api}/api/v1/documents"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("upload: {e}"));
        let doc = created["id"].as_str().unwrap_or_default().to_owned();
        let signers = [
            ("alisher", "users/alisher.key", Some("users/alisher.crt")),
            ("rustam", "users/rustam.key", Some("users/rustam.crt")),
            ("dilnoza", "users/dilnoza.key", Some("users/dilnoza.crt")),
            ("raw1", "raw/keypair-1.pem", None),
            ("raw2", "raw/keypair-2.pem", None),
        ];
        for (login, key, cert) in signers {
            add_user(login, "head");
            match cert {
                Some(c) => cli(&[
                    "admin",
                    "key",
                    "add",
                    "--login",
                    login,
                    "--certificate",
                    &keys(c),
                    "--chain",
                    &keys("ca/intermediate-ca.crt"),
                ]),
                None => {
                    let public = keys(key).replace(".pem", ".pub.pem");
                    cli(&[
                        "admin",
                        "key",
                        "add",
                        "--login",
                        login,
                        "--public-key",
                        &public,
                    ])
                }
            };
            let session = cli(&[
                "client",
                "--server",
                &api,
                "login",
                "--login",
                login,
                "--key",
                &keys(key),
            ]);
            cli(&[
                "client",
                "--server",
                &api,
                "--token",
                &session,
                "sign",
                "--document",
                &doc,
                "--version",
                "1",
                "--key",
                &keys(key),
            ]);
        }
        let get = |path: &str| {
            http.get(format!("{api}{path}"))
                .bearer_auth(&token)
                .send()
                .and_then(|r| r.error_for_status())
                .and_then(|r| r.bytes())
                .unwrap_or_else(|e| panic!("GET {path}: {e}"))
        };
        let stamped = dir.join("docflow-stamped.pdf");
        let log_key = dir.join("log.pub");
        std::fs::write(
            &stamped,
            get(&format!("/api/v1/documents/{doc}/versions/1/stamped.pdf")),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(&log_key, get("/api/v1/ledger/key")).unwrap_or_else(|e| panic!("{e}"));
        (stamped, log_key)
    }

    /// The same original with five PAdES signatures made by pyHanko with
    /// the example certificates (Ed25519 leaves under the same root).
    fn pyhanko_signed(dir: &Path, original: &[u8]) -> PathBuf {
        let mut current = dir.join("pades-0.pdf");
        std::fs::write(&current, original).unwrap_or_else(|e| panic!("{e}"));
        for i in 0..5 {
            let user = ["alisher", "rustam", "dilnoza"][i % 3];
            let next = dir.join(format!("pades-{}.pdf", i + 1));
            run(Command::new("pyhanko")
                .args(["sign", "addsig", "--field", &format!("Sig{i}"), "pemder"])
                .args(["--key", &keys(&format!("users/{user}.key"))])
                .args(["--cert", &keys(&format!("users/{user}.crt"))])
                .args(["--chain", &keys("ca/intermediate-ca.crt"), "--no-pass"])
                .arg(&current)
                .arg(&next));
            current = next;
        }
        current
    }

    pub fn run_all(runs: usize) {
        if !on_path("pyhanko") {
            println!(
                "\n## Verify: SKIPPED (pyhanko is not on PATH: pip install pyhanko pyhanko-cli)"
            );
            return;
        }
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let original = make_pdf(100, 20_000);
        let (stamped, log_key) = docflow_signed(dir.path(), &original);
        let pades = pyhanko_signed(dir.path(), &original);
        let root = keys("ca/root-ca.crt");
        let docflow = env!("CARGO_BIN_EXE_docflow");
        let verify_args = [
            "verify".to_owned(),
            stamped.to_string_lossy().into_owned(),
            "--log-key".to_owned(),
            log_key.to_string_lossy().into_owned(),
            "--trust-anchors".to_owned(),
            root.clone(),
        ];
        let report = run(Command::new(docflow).args(&verify_args));
        let signers = report.lines().filter(|l| l.contains("sign:")).count();
        let validate_args = [
            "sign".to_owned(),
            "validate".to_owned(),
            "--trust".to_owned(),
            root.clone(),
            "--trust-replace".to_owned(),
            pades.to_string_lossy().into_owned(),
        ];
        let summary = run(Command::new("pyhanko").args(&validate_args));
        let intact = summary
            .lines()
            .filter(|l| l.contains(":INTACT:TRUSTED"))
            .count();
        assert_eq!(
            intact, 5,
            "pyhanko did not validate five signatures:\n{summary}"
        );
        let size = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        println!(
            "\n## Verify: 100 pages, 5 signatures, whole process, {runs} runs each\n\n\
             docflow file: {} bytes ({signers} signers reported); PAdES file: {} bytes (pyHanko: {intact} INTACT:TRUSTED)\n",
            size(&stamped),
            size(&pades)
        );
        let (d_min, d_med, d_max) = measure(runs, || {
            run(Command::new(docflow).args(&verify_args));
        });
        let (p_min, p_med, p_max) = measure(runs, || {
            run(Command::new("pyhanko").args(&validate_args));
        });
        // pyHanko's floor: the interpreter starting and importing it.
        let (s_min, s_med, s_max) = measure(runs, || {
            run(Command::new("pyhanko").arg("--version"));
        });
        println!("| command | median ms | min ms | max ms |");
        println!("|---|---:|---:|---:|");
        println!(
            "| `docflow verify` | {:.1} | {:.1} | {:.1} |",
            ms(d_med),
            ms(d_min),
            ms(d_max)
        );
        println!(
            "| `pyhanko sign validate` | {:.1} | {:.1} | {:.1} |",
            ms(p_med),
            ms(p_min),
            ms(p_max)
        );
        println!(
            "| `pyhanko --version` (start-up only) | {:.1} | {:.1} | {:.1} |",
            ms(s_med),
            ms(s_min),
            ms(s_max)
        );
        println!(
            "\ndocflow verify is {:.1}x faster (median; goal: at least 10x)",
            ms(p_med) / ms(d_med)
        );
    }
}
