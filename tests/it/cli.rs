//! The `docflow` binary itself.

use std::process::Command;

use crate::harness::{Backend, Node, TestDb};

both_backends!(
    admin_commands_round_trip_in_every_script,
    admin_refusals_change_nothing,
    serve_prints_where_it_listens_and_how_to_start
);

fn text(out: &std::process::Output) -> (String, String) {
    (
        String::from_utf8(out.stdout.clone()).unwrap(),
        String::from_utf8(out.stderr.clone()).unwrap(),
    )
}

#[test]
fn every_command_explains_itself() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["audit", "--help"],
        vec!["admin", "--help"],
        vec!["admin", "org", "add", "--help"],
        vec!["admin", "user", "add", "--help"],
        vec!["admin", "token", "issue", "--help"],
        vec!["admin", "token", "revoke", "--help"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
            .args(&args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        let help = String::from_utf8(out.stdout).unwrap();
        assert!(help.contains("Usage:"), "{args:?}: {help}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for sub in ["serve", "migrate", "audit", "admin"] {
        assert!(help.contains(sub));
    }
}

#[test]
fn a_bad_database_url_is_a_clear_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args(["migrate"])
        .env("DATABASE_URL", "mysql://nope")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected postgres://"));
}

#[test]
fn the_embedded_default_lives_in_the_data_dir_with_wal() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args(["migrate"])
        .env_remove("DATABASE_URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = dir.path().join("docflow-data/docflow.db");
    assert!(db.exists());
    // The database file says it is in WAL mode (header bytes 18 and 19 are 2).
    let header = std::fs::read(&db).unwrap();
    assert_eq!((header[18], header[19]), (2, 2));
    // --data-dir moves it; a config file is the lowest layer.
    let conf = dir.path().join("docflow.toml");
    std::fs::write(&conf, "data_dir = \"from-file\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args(["--config", conf.to_str().unwrap(), "migrate"])
        .env_remove("DATABASE_URL")
        .env_remove("DOCFLOW_DATA_DIR")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("from-file/docflow.db").exists());
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args([
            "--config",
            conf.to_str().unwrap(),
            "--data-dir",
            "from-flag",
            "migrate",
        ])
        .env_remove("DATABASE_URL")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(dir.path().join("from-flag/docflow.db").exists());
    // A typo in the file is an error, not silence.
    std::fs::write(&conf, "data_dri = \"x\"\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args(["--config", conf.to_str().unwrap(), "migrate"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("data_dri"));
}

fn admin_commands_round_trip_in_every_script(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let out = db.cli(&[
        "admin",
        "org",
        "add",
        "--code",
        "MINFIN",
        "--name",
        "Молия вазирлиги",
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = db.cli(&[
        "admin",
        "org",
        "add",
        "--code",
        "ADLIYA",
        "--name",
        "Adliya vazirligi",
        "--stamp-language",
        "uz-Latn",
        "--utc-offset",
        "-03:00",
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    // Settings: a bad language is refused with a message, a good one is kept.
    let out = db.cli(&[
        "admin",
        "org",
        "set",
        "--code",
        "MINFIN",
        "--stamp-language",
        "xx",
    ]);
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("uz-Cyrl, uz-Latn, ru, en"),
        "{:?}",
        text(&out)
    );
    let out = db.cli(&[
        "admin",
        "org",
        "set",
        "--code",
        "MINFIN",
        "--stamp-language",
        "ru",
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = db.cli(&[
        "admin",
        "user",
        "add",
        "--org",
        "MINFIN",
        "--login",
        "d.yusupova",
        "--name",
        "Дилноза Юсупова",
        "--position",
        "Бош мутахассис",
        "--role",
        "registrar",
        "--role",
        "approver",
    ]);
    assert!(out.status.success(), "{:?}", text(&out));
    let out = db.cli(&[
        "admin",
        "user",
        "add",
        "--org",
        "MINFIN",
        "--login",
        "i.petrov",
        "--name",
        "Иван Петров",
        "--position",
        "Главный специалист",
        "--role",
        "auditor,executor",
    ]);
    assert!(out.status.success());
    let (orgs, _) = text(&db.cli(&["admin", "org", "list"]));
    assert!(
        orgs.contains("Молия вазирлиги") && orgs.contains("Adliya vazirligi"),
        "{orgs}"
    );
    assert!(
        orgs.lines()
            .any(|l| l.starts_with("MINFIN\t") && l.contains("\tru\t"))
            && orgs
                .lines()
                .any(|l| l.starts_with("ADLIYA\t") && l.contains("\tuz-Latn\t")),
        "{orgs}"
    );
    let (users, _) = text(&db.cli(&["admin", "user", "list", "--org", "MINFIN"]));
    assert!(
        users.contains("Дилноза Юсупова") && users.contains("Бош мутахассис"),
        "{users}"
    );
    assert!(users.contains("registrar,approver"), "{users}");
    assert!(users.contains("Главный специалист"));
    let out = db.cli(&[
        "admin",
        "token",
        "issue",
        "--login",
        "d.yusupova",
        "--ttl-days",
        "7",
    ]);
    assert!(out.status.success());
    let (token, _) = text(&out);
    assert!(token.trim().starts_with("dft_"));
    // Only the hash is stored.
    let stored = db.count("api_tokens");
    assert_eq!(stored, 1);
    // Two organisations, a language change, two users and a token.
    let out = db.cli(&["audit"]);
    assert!(
        text(&out).0.starts_with("ok: 6 entries"),
        "{:?}",
        text(&out)
    );
}

fn admin_refusals_change_nothing(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    assert!(db
        .cli(&["admin", "org", "add", "--code", "MINFIN", "--name", "Молия"])
        .status
        .success());
    let before = db.snapshot();
    for args in [
        vec!["admin", "org", "add", "--code", "MINFIN", "--name", "again"],
        vec!["admin", "org", "add", "--code", "lower", "--name", "x"],
        vec![
            "admin",
            "user",
            "add",
            "--org",
            "NOPE",
            "--login",
            "x.y",
            "--name",
            "X",
            "--position",
            "Y",
            "--role",
            "admin",
        ],
        vec![
            "admin",
            "user",
            "add",
            "--org",
            "MINFIN",
            "--login",
            "x.y",
            "--name",
            "X",
            "--position",
            "Y",
            "--role",
            "boss",
        ],
        vec![
            "admin",
            "user",
            "add",
            "--org",
            "MINFIN",
            "--login",
            "Bad Login",
            "--name",
            "X",
            "--position",
            "Y",
            "--role",
            "admin",
        ],
        vec!["admin", "token", "issue", "--login", "nobody"],
        vec!["admin", "token", "revoke", "--id", "nope"],
    ] {
        let out = db.cli(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let (_, err) = text(&out);
        assert!(err.starts_with("docflow: error: "), "{args:?}: {err}");
    }
    assert_eq!(db.snapshot(), before);
}

fn serve_prints_where_it_listens_and_how_to_start(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let node = Node::start(&db);
    let mut rest = String::new();
    for _ in 0..8 {
        match node
            .banner
            .lock()
            .unwrap()
            .recv_timeout(std::time::Duration::from_secs(10))
        {
            Ok(line) => {
                rest.push_str(&line);
                rest.push('\n');
            }
            Err(_) => break,
        }
    }
    assert!(rest.contains("docflow admin org add"), "{rest}");
    assert!(rest.contains("docflow admin token issue"), "{rest}");
    let health = reqwest::blocking::get(format!("{}/healthz", node.base)).unwrap();
    assert_eq!(health.status(), 200);
}
