//! The `docflow` binary itself.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::harness::{Backend, Node, TestApp, TestDb};

both_backends!(
    admin_commands_round_trip_in_every_script,
    admin_refusals_change_nothing,
    serve_prints_where_it_listens_and_how_to_start,
    admin_lists_print_json,
    admin_refusals_say_what_is_wrong,
    org_and_user_add_if_not_exists_are_idempotent,
    client_failures_exit_2_with_the_reason
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

/// `docflow ARGS` in `dir`, with none of the variables that would point it
/// at a database, a log key or trust anchors.
fn docflow_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args(args)
        .current_dir(dir)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("DOCFLOW_DATA_DIR")
        .env_remove("DOCFLOW_LOG_KEY")
        .env_remove("DOCFLOW_CONFIG")
        .env_remove("DOCFLOW_TRUST_ANCHORS")
        .env_remove("DOCFLOW_CRLS")
        .output()
        .unwrap()
}

fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn json_of(out: &Output) -> Value {
    assert!(out.status.success(), "{:?}", text(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", text(out)))
}

fn is_rfc3339(t: &Value) -> bool {
    t.as_str()
        .is_some_and(|t| chrono::DateTime::parse_from_rfc3339(t).is_ok() && t.ends_with('Z'))
}

#[test]
fn admin_never_creates_a_database_implicitly() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["admin", "user", "list", "--org", "MINFIN"],
        vec!["admin", "org", "list"],
        vec!["admin", "org", "list", "--json"],
        vec![
            "admin",
            "org",
            "set",
            "--code",
            "MINFIN",
            "--stamp-language",
            "ru",
        ],
        vec![
            "admin",
            "user",
            "add",
            "--org",
            "MINFIN",
            "--login",
            "a.b",
            "--name",
            "A",
            "--position",
            "B",
            "--role",
            "admin",
        ],
        vec!["admin", "token", "issue", "--login", "a.b"],
        vec!["admin", "token", "list", "--login", "a.b"],
        vec!["admin", "key", "list", "--login", "a.b"],
        vec!["audit"],
    ] {
        let out = docflow_in(dir.path(), &args);
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.starts_with("docflow: error: there is no database at ./docflow-data/docflow.db")
                && stderr.contains("--data-dir")
                && stderr.contains("DATABASE_URL"),
            "{args:?}: {stderr}"
        );
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
        assert!(entries(dir.path()).is_empty(), "{args:?} created files");
    }
    // A first `org add` creates it, and says so and where.
    let out = docflow_in(
        dir.path(),
        &["admin", "org", "add", "--code", "MINFIN", "--name", "Молия"],
    );
    let (stdout, stderr) = text(&out);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stdout.starts_with("organisation MINFIN created"),
        "{stdout}"
    );
    assert!(
        stderr.contains("created a new database sqlite://./docflow-data/docflow.db"),
        "{stderr}"
    );
    assert!(
        stderr.contains("created the log key ./docflow-data/log.key"),
        "{stderr}"
    );
    // From elsewhere, --data-dir finds it; nothing new is made there.
    let elsewhere = tempfile::tempdir().unwrap();
    let data = dir.path().join("docflow-data");
    let out = docflow_in(
        elsewhere.path(),
        &["admin", "org", "list", "--data-dir", data.to_str().unwrap()],
    );
    assert!(text(&out).0.starts_with("MINFIN\t"), "{:?}", text(&out));
    assert!(text(&out).1.is_empty(), "{:?}", text(&out));
    assert!(entries(elsewhere.path()).is_empty());
    // The same before the command.
    let out = docflow_in(
        elsewhere.path(),
        &["--data-dir", data.to_str().unwrap(), "admin", "org", "list"],
    );
    assert!(text(&out).0.starts_with("MINFIN\t"), "{:?}", text(&out));
    // A second org add on it says nothing about creating.
    let out = docflow_in(
        elsewhere.path(),
        &[
            "admin",
            "org",
            "add",
            "--code",
            "ADLIYA",
            "--name",
            "Adliya",
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{:?}", text(&out));
    assert!(!text(&out).1.contains("created"), "{:?}", text(&out));
    // A database whose log has a key refuses to make another.
    std::fs::rename(data.join("log.key"), dir.path().join("moved.key")).unwrap();
    let out = docflow_in(
        elsewhere.path(),
        &[
            "admin",
            "org",
            "add",
            "--code",
            "MVD",
            "--name",
            "x",
            "--data-dir",
            data.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{:?}", text(&out));
    assert!(
        text(&out).1.contains("no log key at") && text(&out).1.contains("--log-key"),
        "{:?}",
        text(&out)
    );
    assert!(!data.join("log.key").exists());
    // A bad code is refused before any database is made for it.
    let fresh = tempfile::tempdir().unwrap();
    let out = docflow_in(
        fresh.path(),
        &["admin", "org", "add", "--code", "lower", "--name", "x"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(entries(fresh.path()).is_empty());
}

#[test]
fn a_missing_postgresql_database_names_database_url() {
    if !crate::harness::postgres_available() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let admin = crate::harness::pg_admin_url();
    let url = format!(
        "{}/docflow_does_not_exist",
        &admin[..admin.rfind('/').unwrap()]
    );
    let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
        .args(["admin", "org", "list"])
        .current_dir(dir.path())
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let (_, err) = text(&out);
    assert!(
        err.contains("cannot open the database") && err.contains("DATABASE_URL"),
        "{err}"
    );
    assert!(entries(dir.path()).is_empty());
}

fn admin_lists_print_json(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let ok = |args: &[&str]| {
        let out = db.cli(args);
        assert!(out.status.success(), "{args:?}: {:?}", text(&out));
        out
    };
    ok(&[
        "admin",
        "org",
        "add",
        "--code",
        "MINFIN",
        "--name",
        "Молия вазирлиги",
    ]);
    ok(&[
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
        "registrar,approver",
        "--department",
        "Бюджет",
    ]);
    let orgs = json_of(&db.cli(&["admin", "org", "list", "--json"]));
    assert_eq!(orgs[0]["code"], "MINFIN");
    assert_eq!(orgs[0]["name"], "Молия вазирлиги");
    assert_eq!(orgs[0]["stamp_language"], "uz-Cyrl");
    assert_eq!(orgs[0]["utc_offset"], "+05:00");
    assert!(is_rfc3339(&orgs[0]["created_at"]), "{orgs}");
    let users = json_of(&db.cli(&["admin", "user", "list", "--org", "MINFIN", "--json"]));
    assert_eq!(users[0]["login"], "d.yusupova");
    assert_eq!(users[0]["full_name"], "Дилноза Юсупова");
    assert_eq!(users[0]["department"], "Бюджет");
    assert_eq!(
        users[0]["roles"],
        serde_json::json!(["registrar", "approver"])
    );
    // Token expiry: RFC 3339 where it is issued and where it is listed.
    let out = ok(&[
        "admin",
        "token",
        "issue",
        "--login",
        "d.yusupova",
        "--ttl-days",
        "7",
    ]);
    let (_, err) = text(&out);
    let expires = err
        .split("expires ")
        .nth(1)
        .and_then(|r| r.split(';').next())
        .unwrap_or_else(|| panic!("{err}"));
    assert!(is_rfc3339(&Value::from(expires)), "{err}");
    let tokens = json_of(&db.cli(&["admin", "token", "list", "--login", "d.yusupova", "--json"]));
    assert_eq!(tokens[0]["state"], "active");
    assert_eq!(tokens[0]["label"], "cli");
    assert_eq!(tokens[0]["expires_at"], expires);
    assert!(tokens[0]["revoked_at"].is_null());
    let (listed, _) = text(&db.cli(&["admin", "token", "list", "--login", "d.yusupova"]));
    assert!(
        listed.trim_end().ends_with(&format!("expires {expires}")),
        "{listed}"
    );
    let id = tokens[0]["id"].as_str().unwrap();
    ok(&["admin", "token", "revoke", "--id", id]);
    let tokens = json_of(&db.cli(&["admin", "token", "list", "--login", "d.yusupova", "--json"]));
    assert_eq!(tokens[0]["state"], "revoked");
    assert!(is_rfc3339(&tokens[0]["revoked_at"]), "{tokens}");
    // Keys.
    let keys = json_of(&db.cli(&["admin", "key", "list", "--login", "d.yusupova", "--json"]));
    assert_eq!(keys, serde_json::json!([]));
    let name = db.dir.path().join("yusupova");
    ok(&["keygen", "--out", name.to_str().unwrap()]);
    let public = db.dir.path().join("yusupova.pub.pem");
    ok(&[
        "admin",
        "key",
        "add",
        "--login",
        "d.yusupova",
        "--public-key",
        public.to_str().unwrap(),
    ]);
    let keys = json_of(&db.cli(&["admin", "key", "list", "--login", "d.yusupova", "--json"]));
    assert_eq!(keys[0]["form"], "ed25519");
    assert_eq!(keys[0]["state"], "active");
    let key = keys[0]["id"].as_str().unwrap().to_owned();
    let out = ok(&["admin", "key", "revoke", "--id", &key, "--reason", "lost"]);
    let (said, _) = text(&out);
    let from = said.trim_end().rsplit(' ').next().unwrap();
    assert!(is_rfc3339(&Value::from(from)), "{said}");
    let keys = json_of(&db.cli(&["admin", "key", "list", "--login", "d.yusupova", "--json"]));
    assert_eq!(keys[0]["state"], "revoked");
    assert_eq!(keys[0]["revoked_at"], from);
    assert_eq!(keys[0]["revocation_reason"], "lost");
    let (listed, _) = text(&db.cli(&["admin", "key", "list", "--login", "d.yusupova"]));
    assert!(listed.contains(&format!("\trevoked {from}\t")), "{listed}");
}

fn admin_refusals_say_what_is_wrong(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    assert!(db
        .cli(&["admin", "org", "add", "--code", "MINFIN", "--name", "Молия"])
        .status
        .success());
    let before = db.snapshot();
    let user = |org: &str, role: &str| {
        db.cli(&[
            "admin",
            "user",
            "add",
            "--org",
            org,
            "--login",
            "x.y",
            "--name",
            "X",
            "--position",
            "Y",
            "--role",
            role,
        ])
    };
    for (out, says) in [
        (user("NOPE", "admin"), "organisation not found"),
        (
            user("MINFIN", "boss"),
            "role: unknown role \"boss\"; known: admin, registrar",
        ),
        (
            db.cli(&["admin", "user", "list", "--org", "NOPE"]),
            "no organisation with code NOPE (see `docflow admin org list`)",
        ),
        (
            db.cli(&["admin", "user", "list", "--org", "NOPE", "--json"]),
            "no organisation with code NOPE",
        ),
        (
            db.cli(&[
                "admin",
                "org",
                "set",
                "--code",
                "NOPE",
                "--utc-offset",
                "+03:00",
            ]),
            "no organisation with code NOPE",
        ),
        (
            db.cli(&["admin", "token", "list", "--login", "nobody"]),
            "no user with login nobody",
        ),
        (
            db.cli(&["admin", "key", "list", "--login", "nobody", "--json"]),
            "no user with login nobody",
        ),
        (
            db.cli(&["admin", "token", "issue", "--login", "nobody"]),
            "user not found",
        ),
    ] {
        let (stdout, stderr) = text(&out);
        assert_eq!(out.status.code(), Some(2), "{says}: {stdout}{stderr}");
        assert!(
            stderr.starts_with("docflow: error: ") && stderr.contains(says),
            "expected {says:?}: {stderr}"
        );
        assert!(stdout.is_empty(), "{stdout}");
    }
    assert_eq!(db.snapshot(), before);
}

fn org_and_user_add_if_not_exists_are_idempotent(backend: Backend) {
    let Some(db) = TestDb::new(backend) else {
        return;
    };
    let org = |name: &str| {
        db.cli(&[
            "admin",
            "org",
            "add",
            "--code",
            "MINFIN",
            "--name",
            name,
            "--if-not-exists",
        ])
    };
    let user = |position: &str| {
        db.cli(&[
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
            position,
            "--role",
            "registrar",
            "--if-not-exists",
        ])
    };
    let out = org("Молия вазирлиги");
    assert!(
        text(&out).0.starts_with("organisation MINFIN created"),
        "{:?}",
        text(&out)
    );
    let out = user("Бош мутахассис");
    assert!(
        text(&out).0.starts_with("user a.karimov created in MINFIN"),
        "{:?}",
        text(&out)
    );
    let before = db.snapshot();
    let out = org("Молия вазирлиги");
    assert!(out.status.success());
    assert!(
        text(&out)
            .0
            .starts_with("organisation MINFIN exists: Молия вазирлиги (")
            && text(&out).0.contains("nothing changed"),
        "{:?}",
        text(&out)
    );
    let out = user("Бош мутахассис");
    assert!(out.status.success());
    assert!(
        text(&out).0.starts_with("user a.karimov exists in MINFIN")
            && text(&out).0.contains("nothing changed"),
        "{:?}",
        text(&out)
    );
    // Another name or position is still a conflict, and says what differs.
    let out = org("Other");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .1
            .contains("already exists, named \"Молия вазирлиги\""),
        "{:?}",
        text(&out)
    );
    let out = user("Раҳбар");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).1.contains("with another position"),
        "{:?}",
        text(&out)
    );
    assert_eq!(db.snapshot(), before);
}

#[test]
fn offline_commands_take_no_database_options() {
    let help = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
            .args(args)
            .arg("--help")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        // One line: the text wraps with the terminal's width.
        let h = String::from_utf8(out.stdout).unwrap();
        h.split_whitespace().collect::<Vec<_>>().join(" ")
    };
    for args in [
        &["keygen"][..],
        &["verify"],
        &["ledger", "verify-receipt"],
        &["client"],
        &["client", "sign"],
    ] {
        let h = help(args);
        for flag in [
            "--database-url",
            "--data-dir",
            "--config",
            "DATABASE_URL",
            "DOCFLOW_LOG_KEY",
        ] {
            assert!(!h.contains(flag), "{args:?} --help shows {flag}:\n{h}");
        }
    }
    assert!(!help(&["keygen"]).contains("--crls"));
    // verify's and verify-receipt's --log-key is the public key.
    for args in [&["verify"][..], &["ledger", "verify-receipt"], &["audit"]] {
        let h = help(args);
        assert!(
            h.contains("public verifier key") && h.contains("GET /api/v1/ledger/key"),
            "{args:?}:\n{h}"
        );
    }
    assert!(help(&["verify"]).contains("Not the log's signing key"));
    // --evidence's help reads as one sentence.
    assert!(
        help(&["verify"]).contains(
            "The evidence bundle (GET /api/v1/documents/ID/versions/N/evidence), for a file"
        ),
        "{}",
        help(&["verify"])
    );
    // The signing key's help says which commands take it.
    let top = help(&[]);
    assert!(
        top.contains("serve and admin: the log's signing key"),
        "{top}"
    );
    assert!(help(&["admin", "org", "add"]).contains("The log's signing key"));
    // Given anyway, they are refused, not ignored.
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["keygen", "--out", "k", "--database-url", "sqlite://x.db"][..],
        &["verify", "x.pdf", "--data-dir", "d", "--log-key", "k"],
        &["--database-url", "sqlite://x.db", "keygen", "--out", "k"],
        &["--crls", "c.pem", "verify", "x.pdf", "--log-key", "k"],
        &["--log-key", "k", "migrate"],
        &[
            "--log-key",
            "k",
            "audit",
            "--remote",
            "http://127.0.0.1:1",
            "--log-key",
            "k",
        ],
    ] {
        let out = docflow_in(dir.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {:?}", text(&out));
        assert!(entries(dir.path()).is_empty(), "{args:?}");
    }
    let out = docflow_in(dir.path(), &["--data-dir", "d", "keygen", "--out", "k"]);
    assert!(
        text(&out)
            .1
            .contains("--data-dir means nothing to `docflow keygen`"),
        "{:?}",
        text(&out)
    );
}

#[test]
fn verify_says_not_a_pdf_and_names_the_key_format() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("log.pub");
    std::fs::write(&key, crate::harness::log_signer().verifier().to_string()).unwrap();
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    std::fs::write(dir.path().join("random.bin"), random).unwrap();
    let out = docflow_in(
        dir.path(),
        &["verify", "random.bin", "--log-key", "log.pub"],
    );
    assert_eq!(out.status.code(), Some(2));
    let (stdout, stderr) = text(&out);
    assert!(stdout.is_empty());
    assert!(stderr.contains("random.bin: not a PDF"), "{stderr}");
    // A PEM public key where the log's verifier key belongs: named.
    let pem = dir.path().join("someone.pub.pem");
    assert!(docflow_in(dir.path(), &["keygen", "--out", "someone"])
        .status
        .success());
    let out = docflow_in(
        dir.path(),
        &["verify", "random.bin", "--log-key", pem.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .1
            .contains("--log-key takes the log's verifier key"),
        "{:?}",
        text(&out)
    );
    let out = docflow_in(
        dir.path(),
        &[
            "ledger",
            "verify-receipt",
            "random.bin",
            "--log-key",
            pem.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out)
            .1
            .contains("--log-key takes the log's verifier key"),
        "{:?}",
        text(&out)
    );
}

/// A standard output whose reader is gone: writing to it fails with EPIPE.
fn closed_stdout() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let pipe = reader.stdin.take().unwrap();
    reader.wait().unwrap();
    Stdio::from(pipe)
}

#[test]
fn a_closed_stdout_is_a_normal_end() {
    let dir = tempfile::tempdir().unwrap();
    let signer = crate::harness::log_signer();
    std::fs::write(dir.path().join("log.pub"), signer.verifier().to_string()).unwrap();
    let qr = signer
        .sign("docflow-qr/1\n0192a7d4-0000-7000-8000-000000000000\n1\nabcd\n5\n")
        .unwrap();
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_docflow"))
            .args(args)
            .current_dir(dir.path())
            .env("RUST_LOG", "warn")
            .env_remove("DATABASE_URL")
            .env_remove("DOCFLOW_DATA_DIR")
            .env_remove("DOCFLOW_LOG_KEY")
            .stdout(closed_stdout())
            .stderr(Stdio::piped())
            .output()
            .unwrap()
    };
    // As `docflow verify … --json | head -c1`, but always closed first.
    let out = run(&["verify", "--qr", &qr, "--log-key", "log.pub", "--json"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["keygen", "--out", "k"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        run(&["admin", "org", "add", "--code", "MINFIN", "--name", "M"])
            .status
            .success()
    );
    for args in [
        &["admin", "org", "list", "--json"][..],
        &["admin", "org", "list"],
        &["audit"],
    ] {
        let out = run(args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

fn client_failures_exit_2_with_the_reason(backend: Backend) {
    let Some(app) = TestApp::start(backend) else {
        return;
    };
    let token = app.user("MINFIN", "reg", &[docflow::domain::Role::Registrar]);
    let dir = tempfile::tempdir().unwrap();
    assert!(docflow_in(dir.path(), &["keygen", "--out", "me"])
        .status
        .success());
    let client = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_docflow"))
            .arg("client")
            .args(args)
            .current_dir(dir.path())
            .env_remove("DOCFLOW_TOKEN")
            .env_remove("DOCFLOW_SERVER")
            .output()
            .unwrap();
        let (stdout, stderr) = text(&out);
        (out.status.code(), stdout, stderr)
    };
    let base = app.base.as_str();
    let missing = "0192a7d4-0000-7000-8000-000000000000";
    for (args, says) in [
        (
            vec![
                "--server",
                "ftp://x",
                "signatures",
                "--document",
                missing,
                "--version",
                "1",
            ],
            "--server must be an http:// or https:// URL",
        ),
        (
            vec![
                "--server",
                base,
                "signatures",
                "--document",
                missing,
                "--version",
                "1",
            ],
            "this needs --token",
        ),
        (
            vec![
                "--server",
                base,
                "--token",
                "dft_wrong",
                "signatures",
                "--document",
                missing,
                "--version",
                "1",
            ],
            "the server answered 401",
        ),
        (
            vec![
                "--server",
                base,
                "--token",
                &token,
                "--json",
                "signatures",
                "--document",
                missing,
                "--version",
                "1",
            ],
            "the server answered 404",
        ),
        (
            vec![
                "--server", base, "login", "--login", "reg", "--key", "nope.pem",
            ],
            "reading nope.pem",
        ),
        (
            vec![
                "--server",
                base,
                "login",
                "--login",
                "reg",
                "--key",
                "me.pub.pem",
            ],
            "me.pub.pem",
        ),
        (
            vec![
                "--server", base, "login", "--login", "reg", "--key", "me.pem",
            ],
            "the server answered 4",
        ),
        (
            vec![
                "--server",
                "http://127.0.0.1:1",
                "--token",
                &token,
                "signatures",
                "--document",
                missing,
                "--version",
                "1",
            ],
            "docflow: error: ",
        ),
    ] {
        let (code, stdout, stderr) = client(&args);
        assert_eq!(code, Some(2), "{args:?}: {stdout}{stderr}");
        assert!(
            stderr.starts_with("docflow: error: ") && stderr.contains(says),
            "{args:?}: expected {says:?} in {stderr}"
        );
        assert!(stdout.is_empty(), "{args:?}: {stdout}");
    }
    // Unknown subcommands and missing flags are usage errors (exit 2).
    let (code, _, stderr) = client(&["--server", base, "sing"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("unrecognized subcommand"), "{stderr}");
}
