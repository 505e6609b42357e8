//! Differential mutation campaign against `docflow verify` (a bench
//! binary: `cargo bench --bench mutations`).
//!
//! A stamped PDF is made by a real `docflow serve` on a scratch data
//! directory with the README walkthrough's commands (two signers: a raw key
//! made by `docflow keygen` and an X.509 certificate under the example
//! root). Then DOCFLOW_MUTATIONS cases (default 5,000) of the engine in
//! tests/mutate/ are verified; every VALID stamped file must render and
//! extract exactly as the unmutated one with poppler (`pdftoppm`,
//! `pdftotext`), every VALID detached bundle must mean the same JSON.
//! DOCFLOW_MUTATION_SEED fixes the seed (default: from the clock; it is
//! printed). Prints cases/s, the verdict counts per family and each false
//! accept or failure (their inputs are saved under the target's tmp dir);
//! exits 1 if there is any.

#[path = "../tests/mutate/mod.rs"]
mod mutate;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn keys(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("keys-example")
        .join(rel)
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

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The walkthrough on a scratch data directory: an organisation, a
/// registrar who uploads docs/examples/order-v1.pdf and signs it with a key
/// from `docflow keygen`, a head who signs with an X.509 certificate; then
/// the version's bytes, its evidence, its stamped PDF and the log's key.
fn subject(dir: &Path) -> mutate::Subject {
    let docflow = env!("CARGO_BIN_EXE_docflow");
    let data = dir.join("data");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(18091);
    let api = format!("http://127.0.0.1:{port}");
    let cli = |args: &[&str]| {
        run(Command::new(docflow)
            .arg("--data-dir")
            .arg(&data)
            .args(args)
            .env("DOCFLOW_TRUST_ANCHORS", keys("ca/root-ca.crt"))
            .env_remove("DATABASE_URL")
            .env_remove("DOCFLOW_CONFIG")
            .current_dir(dir))
    };
    // keygen and client take no --data-dir.
    let plain = |args: &[&str]| {
        run(Command::new(docflow)
            .args(args)
            .env_remove("DATABASE_URL")
            .env_remove("DOCFLOW_CONFIG")
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
            .env_remove("DATABASE_URL")
            .env_remove("DOCFLOW_CONFIG")
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
        "MINFIN",
        "--name",
        "Молия вазирлиги",
    ]);
    cli(&[
        "admin",
        "user",
        "add",
        "--org",
        "MINFIN",
        "--login",
        "a.karimov",
        "--name",
        "Алишер Каримов",
        "--position",
        "Бош мутахассис",
        "--role",
        "registrar",
    ]);
    cli(&[
        "admin",
        "user",
        "add",
        "--org",
        "MINFIN",
        "--login",
        "alisher",
        "--name",
        "Алишер Усмонов",
        "--position",
        "Вазир",
        "--role",
        "head",
    ]);
    let token = cli(&["admin", "token", "issue", "--login", "a.karimov"]);
    let original =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/order-v1.pdf"))
            .unwrap_or_else(|e| panic!("{e}"));
    let form = reqwest::blocking::multipart::Form::new()
        .part(
            "meta",
            reqwest::blocking::multipart::Part::text(r#"{"title":"Буйруқ № 1","kind":"order"}"#)
                .mime_str("application/json")
                .unwrap_or_else(|e| panic!("{e}")),
        )
        .part(
            "file",
            reqwest::blocking::multipart::Part::bytes(original)
                .file_name("order-v1.pdf")
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
    let karimov = dir.join("karimov");
    plain(&["keygen", "--out", &karimov.to_string_lossy()]);
    let karimov_key = dir.join("karimov.pem").to_string_lossy().into_owned();
    cli(&[
        "admin",
        "key",
        "add",
        "--login",
        "a.karimov",
        "--public-key",
        &dir.join("karimov.pub.pem").to_string_lossy(),
    ]);
    cli(&[
        "admin",
        "key",
        "add",
        "--login",
        "alisher",
        "--certificate",
        &keys("users/alisher.crt").to_string_lossy(),
        "--chain",
        &keys("ca/intermediate-ca.crt").to_string_lossy(),
    ]);
    let alisher_key = keys("users/alisher.key").to_string_lossy().into_owned();
    for (login, key) in [("a.karimov", &karimov_key), ("alisher", &alisher_key)] {
        let session = plain(&[
            "client", "--server", &api, "login", "--login", login, "--key", key,
        ]);
        plain(&[
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
            key,
        ]);
    }
    let get = |path: &str| {
        http.get(format!("{api}{path}"))
            .bearer_auth(&token)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.bytes())
            .map(|b| b.to_vec())
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    };
    let v1 = format!("/api/v1/documents/{doc}/versions/1");
    mutate::Subject {
        stamped: get(&format!("{v1}/stamped.pdf")),
        original: get(&format!("{v1}/content")),
        evidence: get(&format!("{v1}/evidence")),
        log_key: String::from_utf8_lossy(&get("/api/v1/ledger/key")).into_owned(),
        docflow: PathBuf::from(docflow),
        trust_anchors: keys("ca/root-ca.crt"),
    }
}

fn main() {
    let cases = mutate::cases_from_env(5000);
    let seed = mutate::seed_from_env(mutate::clock_seed());
    if !mutate::poppler_available() {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true but pdftoppm/pdftotext (poppler-utils) are not installed");
        }
        println!(
            "\n## Mutations: SKIPPED (pdftoppm and pdftotext, poppler-utils, are not on PATH)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let made = Instant::now();
    let prepared = mutate::Prepared::new(subject(dir.path()));
    let oracle = mutate::Oracle::new(&prepared.subject);
    println!(
        "\n## Mutations: {cases} cases, seed {seed:#x} (DOCFLOW_MUTATION_SEED={seed:#x} repeats the campaign on a new file)\n\n\
         stamped file: {} bytes, original {} bytes, {} pages; made in {:.1} s",
        prepared.subject.stamped.len(),
        prepared.original_len(),
        oracle.reference.pages(),
        made.elapsed().as_secs_f64()
    );
    let save = Path::new(env!("CARGO_TARGET_TMPDIR")).join("false-accepts");
    let summary = mutate::run(&prepared, &oracle, seed, cases, &save);
    println!("\n{}", summary.report());
    if !summary.false_accepts.is_empty() || !summary.failures.is_empty() {
        println!(
            "{} false accept(s), {} failure(s); inputs saved under {}",
            summary.false_accepts.len(),
            summary.failures.len(),
            save.display()
        );
        std::process::exit(1);
    }
}
