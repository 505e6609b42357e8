//! Test harness: a real HTTP server on a real database per test.
//!
//! PostgreSQL: the migrations are applied once to a template database (its
//! name carries a hash of the migration files), and every test gets its own
//! `CREATE DATABASE … TEMPLATE`. SQLite: a fresh file in a temporary
//! directory. Without a reachable PostgreSQL the PostgreSQL half of each
//! test is skipped loudly, except under `CI=true`, where it fails.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};
use docflow::core::checkpoint::NoteSigner;
use docflow::domain::{Role, Roles};
use docflow::service::{admin, Actor};
use docflow::storage::{self, DatabaseUrl, DbConnection};
use sha2::{Digest, Sha256};

/// The log key every test server and CLI run uses (examples only).
pub fn log_signer() -> NoteSigner {
    NoteSigner::new(
        "docflow.test/log",
        ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]),
    )
    .unwrap()
}

/// Path of a file under keys-example/.
pub fn example(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("keys-example")
        .join(path)
}

/// The example PKI's root as the only trust anchor, with its CRL.
pub fn example_trust() -> docflow::service::keys::TrustStore {
    let read = |p: &str| std::fs::read_to_string(example(p)).unwrap();
    docflow::service::keys::TrustStore {
        anchors: docflow::core::x509::pem_bundle_to_der(&read("ca/root-ca.crt")).unwrap(),
        crls: docflow::core::x509::pem_crls_to_der(&read("ca/intermediate-ca.crl.pem")).unwrap(),
    }
}

/// Writes the test log key where `docflow` finds it (mode 0600).
pub fn write_log_key(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("log.key");
    std::fs::write(&path, log_signer().signer_key_string()).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a test body on both backends, as two `#[test]`s.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::harness::Backend::Sqlite)
                }
                #[test]
                fn postgres() {
                    super::$name($crate::harness::Backend::Postgres)
                }
            }
        )*
    };
}

pub fn pg_admin_url() -> String {
    std::env::var("DOCFLOW_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn pg_url_for(db: &str) -> String {
    let admin = pg_admin_url();
    match admin.rfind('/') {
        Some(i) if i > "postgres://".len() => format!("{}/{db}", &admin[..i]),
        _ => format!("{admin}/{db}"),
    }
}

/// Whether PostgreSQL tests run; panics under CI when it is unreachable.
pub fn postgres_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| match PgConnection::establish(&pg_admin_url()) {
        Ok(_) => true,
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true but PostgreSQL is unreachable at {}: {e}", pg_admin_url());
            }
            eprintln!(
                "\n!!!! PostgreSQL is unreachable at {} ({e}).\n!!!! SKIPPING every PostgreSQL test; only SQLite was tested.\n",
                pg_admin_url()
            );
            false
        }
    })
}

fn template_name() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/postgres");
    let mut files: Vec<PathBuf> = walk(&dir);
    files.sort();
    let mut h = Sha256::new();
    for f in files {
        h.update(f.strip_prefix(&dir).unwrap().to_string_lossy().as_bytes());
        h.update(std::fs::read(&f).unwrap());
    }
    format!("docflow_tpl_{}", &hex::encode(h.finalize())[..16])
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// Creates the migrated template once per machine (under an advisory lock,
/// since several test processes may start together).
fn pg_template() -> &'static str {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let name = template_name();
        let mut admin = PgConnection::establish(&pg_admin_url()).unwrap();
        admin
            .batch_execute("SELECT pg_advisory_lock(727379)")
            .unwrap();
        #[derive(diesel::QueryableByName)]
        struct Ready {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            ready: bool,
        }
        let ready: Vec<Ready> = diesel::sql_query(format!(
            "SELECT coalesce(shobj_description(oid, 'pg_database') = 'ready', false) AS ready \
             FROM pg_database WHERE datname = '{name}'"
        ))
        .load(&mut admin)
        .unwrap();
        match ready.first() {
            Some(r) if r.ready => {}
            existing => {
                if existing.is_some() {
                    admin
                        .batch_execute(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                        .unwrap();
                }
                admin
                    .batch_execute(&format!("CREATE DATABASE \"{name}\""))
                    .unwrap();
                {
                    let mut conn = DatabaseUrl::Postgres(pg_url_for(&name)).connect().unwrap();
                    storage::migrate(&mut conn).unwrap();
                }
                admin
                    .batch_execute(&format!("COMMENT ON DATABASE \"{name}\" IS 'ready'"))
                    .unwrap();
            }
        }
        admin
            .batch_execute("SELECT pg_advisory_unlock(727379)")
            .unwrap();
        name
    })
}

/// A database for one test; dropped with it.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub url_string: String,
    pg_name: Option<String>,
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().unwrap();
        write_log_key(dir.path());
        match backend {
            Backend::Sqlite => {
                let path = dir.path().join("docflow.db");
                let url_string = format!("sqlite://{}", path.display());
                let url = DatabaseUrl::parse(&url_string).unwrap();
                let mut conn = url.connect().unwrap();
                storage::migrate(&mut conn).unwrap();
                Some(TestDb {
                    url,
                    url_string,
                    pg_name: None,
                    dir,
                })
            }
            Backend::Postgres => {
                if !postgres_available() {
                    return None;
                }
                let template = pg_template();
                let name = format!("docflow_t_{}", uuid::Uuid::new_v4().simple());
                // Copies from one template must not overlap with a connection
                // to it; serialise them within this process.
                static CREATE: Mutex<()> = Mutex::new(());
                {
                    let _guard = CREATE.lock().unwrap_or_else(|e| e.into_inner());
                    let mut admin = PgConnection::establish(&pg_admin_url()).unwrap();
                    admin
                        .batch_execute(&format!(
                            "CREATE DATABASE \"{name}\" TEMPLATE \"{template}\""
                        ))
                        .unwrap();
                }
                let url_string = pg_url_for(&name);
                Some(TestDb {
                    url: DatabaseUrl::Postgres(url_string.clone()),
                    url_string,
                    pg_name: Some(name),
                    dir,
                })
            }
        }
    }

    /// The same database under a second handle that does not drop it.
    pub fn borrowed(other: &TestDb) -> TestDb {
        TestDb {
            url: other.url.clone(),
            url_string: other.url_string.clone(),
            pg_name: None,
            dir: {
                let dir = tempfile::tempdir().unwrap();
                write_log_key(dir.path());
                dir
            },
        }
    }

    pub fn conn(&self) -> DbConnection {
        self.url.connect().unwrap()
    }

    /// Runs raw SQL as the table owner; returns the error text if refused.
    pub fn exec(&self, sql: &str) -> Result<(), String> {
        self.conn().batch_execute(sql).map_err(|e| e.to_string())
    }

    pub fn count(&self, table: &str) -> i64 {
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let rows: Vec<N> = diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .load(&mut self.conn())
            .unwrap();
        rows[0].n
    }

    pub fn backend(&self) -> Backend {
        match self.url {
            DatabaseUrl::Postgres(_) => Backend::Postgres,
            DatabaseUrl::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Runs the real `docflow` binary against this database.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_docflow"))
            .args(args)
            .env("DATABASE_URL", &self.url_string)
            .env("RUST_LOG", "warn")
            .env("DOCFLOW_LOG_KEY", self.dir.path().join("log.key"))
            .env("DOCFLOW_TRUST_ANCHORS", example("ca/root-ca.crt"))
            .env("DOCFLOW_CRLS", example("ca/intermediate-ca.crl.pem"))
            .env_remove("DOCFLOW_CONFIG")
            .current_dir(self.dir.path())
            .output()
            .unwrap()
    }

    /// Every table's row count: "nothing changed" means this is unchanged.
    pub fn snapshot(&self) -> Vec<(&'static str, i64)> {
        [
            "ledger",
            "organisations",
            "users",
            "api_tokens",
            "blobs",
            "documents",
            "document_versions",
            "signing_keys",
            "signatures",
            "checkpoints",
        ]
        .into_iter()
        .map(|t| (t, self.count(t)))
        .collect()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(name) = &self.pg_name {
            if let Ok(mut admin) = PgConnection::establish(&pg_admin_url()) {
                let _ = admin
                    .batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

pub struct Options {
    pub max_upload_bytes: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_upload_bytes: 50 * 1024 * 1024,
        }
    }
}

/// A running server (in this process, on 127.0.0.1:0) over a test database.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    handle: actix_web::dev::ServerHandle,
    thread: Option<JoinHandle<()>>,
    pub http: reqwest::blocking::Client,
}

impl TestApp {
    pub fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, Options::default())
    }

    pub fn start_with(backend: Backend, options: Options) -> Option<TestApp> {
        let db = TestDb::new(backend)?;
        Some(Self::serve(db, options))
    }

    /// Serves `db` as `docflow serve` does: [`docflow::app::Application`]
    /// built from [`docflow::config::Settings`], with the test log key and
    /// the example trust anchors.
    pub fn serve(db: TestDb, options: Options) -> TestApp {
        let settings = docflow::config::Settings::load(
            None,
            docflow::config::Layer {
                database_url: Some(db.url_string.clone()),
                data_dir: Some(db.dir.path().to_owned()),
                log_key: Some(db.dir.path().join("log.key")),
                trust_anchors: Some(example("ca/root-ca.crt")),
                crls: Some(example("ca/intermediate-ca.crl.pem")),
                bind: Some("127.0.0.1:0".into()),
                pool_size: Some(8),
                workers: Some(2),
                max_upload_bytes: Some(options.max_upload_bytes),
                ..Default::default()
            },
        )
        .unwrap();
        let app = docflow::app::Application::build(&settings).unwrap();
        let base = format!("http://{}", app.addr);
        let (tx, rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = app.server().unwrap();
                tx.send(server.handle()).unwrap();
                server.await.unwrap();
            })
        });
        let handle = rx.recv().unwrap();
        TestApp {
            base,
            db,
            handle,
            thread: Some(thread),
            http: reqwest::blocking::Client::builder()
                .timeout(std::time::Duration::from_secs(120))
                .build()
                .unwrap(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Creates an organisation (if new) and a user with a token.
    pub fn user(&self, org: &str, login: &str, roles: &[Role]) -> String {
        let mut conn = self.db.conn();
        if storage::orgs::org_by_code(&mut conn, org)
            .unwrap()
            .is_none()
        {
            storage::write::<_, docflow::service::ServiceError>(&mut conn, &log_signer(), |tx| {
                admin::add_org(
                    tx,
                    &Actor::Operator,
                    org,
                    &format!("{org} вазирлиги"),
                    Default::default(),
                )
            })
            .unwrap();
        }
        storage::write::<_, docflow::service::ServiceError>(&mut conn, &log_signer(), |tx| {
            admin::add_user(
                tx,
                &Actor::Operator,
                admin::NewUser {
                    org_code: org,
                    login,
                    full_name: "Дилноза Юсупова",
                    position: "Bosh mutaxassis",
                    roles: Roles::new(roles.to_vec()).unwrap(),
                    department: None,
                },
            )
        })
        .unwrap();
        storage::write::<_, docflow::service::ServiceError>(&mut conn, &log_signer(), |tx| {
            admin::issue_token(
                tx,
                &Actor::Operator,
                login,
                "test",
                chrono::Duration::days(1),
            )
        })
        .unwrap()
        .secret
    }

    pub fn upload(
        &self,
        token: &str,
        meta: &str,
        file: Option<(&str, &str, Vec<u8>)>,
    ) -> reqwest::blocking::Response {
        let mut form = reqwest::blocking::multipart::Form::new().part(
            "meta",
            reqwest::blocking::multipart::Part::text(meta.to_owned())
                .mime_str("application/json")
                .unwrap(),
        );
        if let Some((name, mime, bytes)) = file {
            form = form.part(
                "file",
                reqwest::blocking::multipart::Part::bytes(bytes)
                    .file_name(name.to_owned())
                    .mime_str(mime)
                    .unwrap(),
            );
        }
        self.http
            .post(self.url("/api/v1/documents"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .unwrap()
    }

    pub fn add_version(
        &self,
        token: &str,
        id: &str,
        base_version: Option<&str>,
        name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::blocking::Response {
        let mut form = reqwest::blocking::multipart::Form::new().part(
            "file",
            reqwest::blocking::multipart::Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str("application/pdf")
                .unwrap(),
        );
        if let Some(b) = base_version {
            form = form.text("base_version", b.to_owned());
        }
        self.http
            .post(self.url(&format!("/api/v1/documents/{id}/versions")))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .unwrap()
    }

    pub fn get(&self, token: &str, path: &str) -> reqwest::blocking::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::System::new().block_on(handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Asserts a JSON error answer: status and error code.
pub fn assert_error(
    resp: reqwest::blocking::Response,
    status: u16,
    code: &str,
) -> serde_json::Value {
    let got = resp.status().as_u16();
    let text = resp.text().unwrap();
    assert_eq!(got, status, "unexpected status; body: {text}");
    let body: serde_json::Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("error body is not JSON ({e}): {text}"));
    assert_eq!(body["error"], code, "body: {body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "error without a message: {body}"
    );
    body
}

pub fn pdf(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("docs/examples")
            .join(name),
    )
    .unwrap()
}

/// A `docflow serve` process; killed on drop.
pub struct Node {
    child: std::process::Child,
    pub base: String,
    /// What it printed after its first line.
    pub banner: Mutex<std::sync::mpsc::Receiver<String>>,
}

impl Node {
    /// Starts `cmd` (a `docflow serve --bind 127.0.0.1:0 …` command) and
    /// reads where it listens from its first line.
    pub fn spawn(mut cmd: Command) -> Node {
        use std::io::{BufRead, BufReader};
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines.next().unwrap().unwrap();
        let base = first
            .strip_prefix("docflow listening on ")
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or_else(|| panic!("{first}"))
            .to_owned();
        let (tx, banner) = std::sync::mpsc::channel();
        // Keep reading so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        Node {
            child,
            base,
            banner: Mutex::new(banner),
        }
    }

    /// A node on `db`, with the test log key and trust anchors.
    pub fn start(db: &TestDb) -> Node {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_docflow"));
        cmd.args(["serve", "--bind", "127.0.0.1:0", "--workers", "2"])
            .env("DATABASE_URL", &db.url_string)
            .env("DOCFLOW_LOG_KEY", db.dir.path().join("log.key"))
            .env("DOCFLOW_TRUST_ANCHORS", example("ca/root-ca.crt"))
            .env("RUST_LOG", "warn")
            .current_dir(db.dir.path());
        Node::spawn(cmd)
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
