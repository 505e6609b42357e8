//! The README's walkthrough, run verbatim against a real `docflow serve`.
//!
//! The walkthrough is the shell between `<!-- walkthrough:start -->` and
//! `<!-- walkthrough:end -->`. It runs with bash in a fresh directory that
//! holds a copy of `docs/examples` (standing for the repository), with
//! `docflow` being this build's binary and `API` pointing at the server
//! this test started; `TMPDIR` is a directory of the test's, so the scratch
//! directory the walkthrough makes can be looked into.

use std::path::Path;
use std::process::Command;

use crate::harness::{Backend, Node, TestDb};

both_backends!(
    readme_walkthrough_works_verbatim,
    worked_example_works_verbatim
);

pub fn readme_block(start: &str, end: &str) -> String {
    doc_block("README.md", start, end)
}

/// The fenced shell blocks of `file` between the two markers.
pub fn doc_block(file: &str, start: &str, end: &str) -> String {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(file)).unwrap();
    let from = readme
        .find(start)
        .unwrap_or_else(|| panic!("README has no {start}"))
        + start.len();
    let to = readme[from..]
        .find(end)
        .unwrap_or_else(|| panic!("README has no {end}"))
        + from;
    // Keep only the fenced shell blocks.
    let mut script = String::new();
    let mut inside = false;
    for line in readme[from..to].lines() {
        if line.starts_with("```") {
            inside = !inside;
            continue;
        }
        if inside {
            script.push_str(line);
            script.push('\n');
        }
    }
    assert!(!script.trim().is_empty());
    script
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

/// What a documented block printed, run after run, and where it ran: the
/// directory standing for the repository and the one `TMPDIR` named.
struct Ran {
    stdout: Vec<String>,
    work: tempfile::TempDir,
    tmp: tempfile::TempDir,
}

/// Runs a documented shell block verbatim `runs` times, as a user would: a
/// fresh directory with `docs/examples`, a `docflow serve` started there
/// (the embedded default on SQLite, `DATABASE_URL` on PostgreSQL),
/// `docflow` being this build, `API` pointing at the server. Asserts every
/// run succeeded.
fn run_documented(backend: Backend, script: &str, runs: usize) -> Option<Ran> {
    let db = TestDb::new(backend)?;
    let work = tempfile::tempdir().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples"),
        &work.path().join("docs/examples"),
    );
    // The example trust anchors, as in a checkout.
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("keys-example/ca"),
        &work.path().join("keys-example/ca"),
    );
    let database_url = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(db.url_string.clone()),
    };
    let clean = |cmd: &mut Command| {
        cmd.current_dir(work.path())
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("DOCFLOW_DATA_DIR")
            .env_remove("DOCFLOW_LOG_KEY");
        if let Some(url) = &database_url {
            cmd.env("DATABASE_URL", url);
        }
    };
    let mut serve = Command::new(env!("CARGO_BIN_EXE_docflow"));
    serve.args(["serve", "--bind", "127.0.0.1:0"]);
    clean(&mut serve);
    let node = Node::spawn(serve);
    let mut outputs = Vec::new();
    for run in 1..=runs {
        let mut bash = Command::new("bash");
        bash.arg("-c").arg(format!(
            "set -euo pipefail\ndocflow() {{ \"$DOCFLOW_BIN\" \"$@\"; }}\n{script}"
        ));
        clean(&mut bash);
        bash.env("DOCFLOW_BIN", env!("CARGO_BIN_EXE_docflow"))
            .env("API", &node.base)
            .env("TMPDIR", tmp.path());
        let out = bash.output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "run {run}: the script failed\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
        );
        assert!(
            stdout.lines().last().unwrap_or("").starts_with("ok: "),
            "run {run}: docflow audit did not print ok: {stdout}"
        );
        outputs.push(stdout);
    }
    drop(node);
    drop(db);
    Some(Ran {
        stdout: outputs,
        work,
        tmp,
    })
}

/// The names in `dir`, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn readme_walkthrough_works_verbatim(backend: Backend) {
    let script = readme_block("<!-- walkthrough:start -->", "<!-- walkthrough:end -->");
    // Twice on the same server and data: the walkthrough can be run again.
    let Some(ran) = run_documented(backend, &script, 2) else {
        return;
    };
    let (work, stdout) = (&ran.work, &ran.stdout[0]);
    assert!(
        ran.stdout[1].contains("organisation MINFIN exists")
            && ran.stdout[1].contains("user a.karimov exists in MINFIN")
            && ran.stdout[1].matches("VALID: document").count() >= 2,
        "the second run should find what the first made:\n{}",
        ran.stdout[1]
    );
    // Nothing is left in the repository: every file went to a scratch
    // directory (one per run), the private key among them.
    assert_eq!(
        names(work.path()),
        ["docflow-data", "docs", "keys-example"],
        "the walkthrough left files in the repository"
    );
    let scratch = names(ran.tmp.path());
    assert_eq!(scratch.len(), 2, "{scratch:?}");
    let scratch = ran.tmp.path().join(&scratch[0]);
    assert!(scratch.join("karimov.pem").exists());
    for expected in [
        "both versions intact",
        "\tsign\ta.karimov\t",
        "Signature Verified Successfully",
        "valid: entry",
        "VALID: document",
        "content: the file hashes to the signed SHA-256",
        "first audit of this log",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    if backend == Backend::Sqlite {
        assert!(work.path().join("docflow-data/docflow.db").exists());
    }
    // The stamped page, rendered as a new user would look at it.
    let png = std::fs::read(scratch.join("stamped-1.png")).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{}",
        png.len()
    );
    assert!(
        stdout.matches("VALID: document").count() >= 2,
        "the stamped PDF verifies with the example trust anchors:\n{stdout}"
    );
    // The log key was created on first start, readable by its owner only.
    use std::os::unix::fs::PermissionsExt;
    let key = std::fs::metadata(work.path().join("docflow-data/log.key")).unwrap();
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
}

fn worked_example_works_verbatim(backend: Backend) {
    let script = doc_block(
        "docs/worked-example.md",
        "<!-- example:start -->",
        "<!-- example:end -->",
    );
    let Some(ran) = run_documented(backend, &script, 1) else {
        return;
    };
    let stdout = &ran.stdout[0];
    for expected in [
        "route is approved",
        "order is signed",
        "registered as 01-07/1",
        "assignment: due",
        "accept: resolution",
        "is executed",
        "Byudjet boshqarmasi,budget,",
    ] {
        assert!(
            stdout.contains(expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
}
