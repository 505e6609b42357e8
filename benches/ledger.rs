//! Ledger benchmarks (a bench binary: `cargo bench --bench ledger`).
//!
//! 1. Appends per second through the HTTP API (POST /api/v1/documents) with
//!    1, 8 and 32 concurrent clients on PostgreSQL, beside a baseline
//!    measured in the same run on the same server: plain single-row INSERT
//!    transactions at the same concurrency.
//! 2. Inclusion-proof generation in a log of 1,000,000 entries (PostgreSQL
//!    and SQLite), beside a baseline of one primary-key lookup.
//!
//! Figures are reported as ratios to their baselines; docs/benchmarks.md
//! records them. Environment: DOCFLOW_BENCH_PG_URL (admin URL, default
//! postgres://postgres@127.0.0.1:5432/postgres), DOCFLOW_BENCH_SECONDS
//! (per measurement, default 5), DOCFLOW_BENCH_LEAVES (default 1000000).
// A benchmark that cannot set up fails loudly: unwrap is the right answer.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use docflow::core::checkpoint::NoteSigner;
use docflow::core::merkle::{self, CompactRange};
use docflow::domain::{DocumentKinds, Role, Roles};
use docflow::service::{admin, Actor};
use docflow::storage::{self, schema::merkle_nodes, DatabaseUrl, DbConnection};

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn admin_url() -> String {
    std::env::var("DOCFLOW_BENCH_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn db_url(name: &str) -> String {
    let admin = admin_url();
    let cut = admin.rfind('/').unwrap_or(admin.len());
    format!("{}/{name}", &admin[..cut])
}

/// A fresh, migrated PostgreSQL database; dropped at the end.
struct PgDb {
    name: String,
    url: DatabaseUrl,
}

impl PgDb {
    fn new(tag: &str) -> PgDb {
        let name = format!("docflow_bench_{tag}_{}", std::process::id());
        let mut admin =
            PgConnection::establish(&admin_url()).expect("PostgreSQL is needed for this benchmark");
        admin
            .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .unwrap();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let url = DatabaseUrl::Postgres(db_url(&name));
        storage::migrate(&mut url.connect().unwrap()).unwrap();
        PgDb { name, url }
    }
}

impl Drop for PgDb {
    fn drop(&mut self) {
        if let Ok(mut admin) = PgConnection::establish(&admin_url()) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Runs `work(client)` in `clients` threads for `seconds`; returns ops/s.
fn throughput(clients: usize, seconds: u64, work: impl Fn(usize, u64) + Sync) -> f64 {
    let stop = AtomicBool::new(false);
    let done = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for c in 0..clients {
            let (stop, done, work) = (&stop, &done, &work);
            s.spawn(move || {
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    work(c, n);
                    n += 1;
                    done.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
        std::thread::sleep(Duration::from_secs(seconds));
        stop.store(true, Ordering::Relaxed);
    });
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

fn appends(seconds: u64) {
    let db = PgDb::new("appends");
    let log = Arc::new(
        NoteSigner::new(
            "docflow.bench/log",
            ed25519_dalek::SigningKey::from_bytes(&[3u8; 32]),
        )
        .unwrap(),
    );
    let mut conn = db.url.connect().unwrap();
    storage::transparency::register_key(&mut conn, &log.verifier()).unwrap();
    storage::write::<_, docflow::service::ServiceError>(&mut conn, &log, |tx| {
        admin::add_org(
            tx,
            &Actor::Operator,
            "BENCH",
            "Bench vazirligi",
            Default::default(),
        )
    })
    .unwrap();
    storage::write::<_, docflow::service::ServiceError>(&mut conn, &log, |tx| {
        admin::add_user(
            tx,
            &Actor::Operator,
            admin::NewUser {
                org_code: "BENCH",
                login: "bench",
                full_name: "Bench",
                position: "Bench",
                roles: Roles::new(vec![Role::Registrar]).unwrap(),
                department: None,
            },
        )
    })
    .unwrap();
    let token = storage::write::<_, docflow::service::ServiceError>(&mut conn, &log, |tx| {
        admin::issue_token(
            tx,
            &Actor::Operator,
            "bench",
            "bench",
            chrono::Duration::days(1),
        )
    })
    .unwrap()
    .secret;
    conn.batch_execute(
        "CREATE TABLE bench_baseline (id BIGSERIAL PRIMARY KEY, payload BYTEA NOT NULL)",
    )
    .unwrap();

    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = docflow::http::AppState {
        pool: storage::pool(&db.url, 48).unwrap(),
        appender: docflow::service::appender::Appender::start(db.url.clone(), log.clone()),
        log,
        trust: Arc::new(Default::default()),
        kinds: DocumentKinds::default(),
        max_upload_bytes: 1 << 20,
        backend: "postgresql",
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = docflow::http::server(state, listener, 2).unwrap();
            tx.send(server.handle()).unwrap();
            server.await.unwrap();
        })
    });
    let _handle = rx.recv().unwrap();

    println!("appends per second, PostgreSQL, {seconds} s each");
    println!("| clients | API appends/s | baseline INSERT tx/s | ratio |");
    println!("|---:|---:|---:|---:|");
    for clients in [1usize, 8, 32] {
        let http: Vec<_> = (0..clients)
            .map(|_| reqwest::blocking::Client::new())
            .collect();
        let api = throughput(clients, seconds, |c, n| {
            let form = reqwest::blocking::multipart::Form::new()
                .text(
                    "meta",
                    format!(r#"{{"title":"bench {c} {n}","kind":"order"}}"#),
                )
                .part(
                    "file",
                    reqwest::blocking::multipart::Part::bytes(
                        format!("{c}:{n}:{clients}").into_bytes(),
                    )
                    .file_name("b.pdf"),
                );
            let resp = http[c]
                .post(format!("{base}/api/v1/documents"))
                .bearer_auth(&token)
                .multipart(form)
                .send()
                .unwrap();
            assert_eq!(resp.status(), 201);
        });
        let conns: Vec<_> = (0..clients)
            .map(|_| std::sync::Mutex::new(PgConnection::establish(&db_url(&db.name)).unwrap()))
            .collect();
        let baseline = throughput(clients, seconds, |c, n| {
            let mut conn = conns[c].lock().unwrap();
            conn.transaction::<_, diesel::result::Error, _>(|conn| {
                diesel::sql_query(format!(
                    "INSERT INTO bench_baseline (payload) VALUES ('\\x{:016x}')",
                    n
                ))
                .execute(conn)?;
                Ok(())
            })
            .unwrap();
        });
        println!(
            "| {clients} | {api:.0} | {baseline:.0} | {:.2} |",
            api / baseline
        );
    }
    let mut conn = db.url.connect().unwrap();
    let report = docflow::service::audit::run(&mut conn, &mut |_| {}).unwrap();
    assert!(report.problem.is_none(), "{:?}", report.problem);
    println!(
        "audit after the run: ok, {} entries, {} checkpoints",
        report.entries, report.checkpoints
    );
}

/// Fills merkle_nodes for `leaves` random leaves; returns the root.
fn build_tree(conn: &mut DbConnection, leaves: u64) -> merkle::Hash {
    let mut range = CompactRange::empty();
    let mut rows: Vec<(i32, i64, Vec<u8>)> = Vec::with_capacity(4096);
    let flush = |conn: &mut DbConnection, rows: &mut Vec<(i32, i64, Vec<u8>)>| {
        storage::write_tx_unsealed(conn, |c| {
            for chunk in rows.chunks(500) {
                let values: Vec<_> = chunk
                    .iter()
                    .map(|(l, i, h)| {
                        (
                            merkle_nodes::level.eq(*l),
                            merkle_nodes::idx.eq(*i),
                            merkle_nodes::hash.eq(h.clone()),
                        )
                    })
                    .collect();
                match c {
                    DbConnection::Pg(pg) => diesel::insert_into(merkle_nodes::table)
                        .values(&values)
                        .execute(pg)?,
                    DbConnection::Sqlite(lite) => diesel::insert_into(merkle_nodes::table)
                        .values(&values)
                        .execute(lite)?,
                };
            }
            Ok::<_, diesel::result::Error>(())
        })
        .unwrap();
        rows.clear();
    };
    for i in 0..leaves {
        let leaf = merkle::leaf_hash(&i.to_be_bytes());
        for (id, hash) in range.append(leaf) {
            rows.push((i32::from(id.level), id.index as i64, hash.to_vec()));
        }
        if rows.len() >= 20_000 {
            flush(conn, &mut rows);
        }
    }
    flush(conn, &mut rows);
    range.root()
}

fn median(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[v.len() * 99 / 100])
}

fn proofs_on(name: &str, conn: &mut DbConnection, leaves: u64) {
    let t = Instant::now();
    let root = build_tree(conn, leaves);
    eprintln!(
        "{name}: built a tree of {leaves} leaves in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % leaves
    };
    let samples = 2000;
    let mut proof_times = Vec::with_capacity(samples);
    let mut lookup_times = Vec::with_capacity(samples);
    for _ in 0..samples {
        let index = next();
        let t = Instant::now();
        let proof = storage::transparency::inclusion_proof(conn, index, leaves).unwrap();
        proof_times.push(t.elapsed());
        let leaf = merkle::leaf_hash(&index.to_be_bytes());
        merkle::verify_inclusion(&leaf, index, leaves, &proof, &root).unwrap();
        let t = Instant::now();
        let _: Vec<u8> = merkle_nodes::table
            .filter(merkle_nodes::level.eq(0))
            .filter(merkle_nodes::idx.eq(index as i64))
            .select(merkle_nodes::hash)
            .first(conn)
            .unwrap();
        lookup_times.push(t.elapsed());
    }
    let (proof_median, proof_p99) = median(proof_times);
    let (lookup_median, _) = median(lookup_times);
    println!(
        "| {name} | {leaves} | {:.3} | {:.3} | {:.3} | {:.1} |",
        proof_median.as_secs_f64() * 1e3,
        proof_p99.as_secs_f64() * 1e3,
        lookup_median.as_secs_f64() * 1e3,
        proof_median.as_secs_f64() / lookup_median.as_secs_f64()
    );
}

fn proofs(leaves: u64) {
    println!("inclusion proofs, {leaves} leaves, 2000 random indices (proofs verified)");
    println!("| backend | leaves | proof median ms | proof p99 ms | baseline PK lookup median ms | ratio |");
    println!("|---|---:|---:|---:|---:|---:|");
    let pg = PgDb::new("proofs");
    proofs_on("postgresql", &mut pg.url.connect().unwrap(), leaves);
    let dir = tempfile::tempdir().unwrap();
    let lite = DatabaseUrl::Sqlite(dir.path().join("bench.db"));
    let mut conn = lite.connect().unwrap();
    storage::migrate(&mut conn).unwrap();
    proofs_on("sqlite", &mut conn, leaves);
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs it with no
    // flag: then only a smoke run.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let seconds = if smoke {
        1
    } else {
        env_u64("DOCFLOW_BENCH_SECONDS", 5)
    };
    let leaves = if smoke {
        2000
    } else {
        env_u64("DOCFLOW_BENCH_LEAVES", 1_000_000)
    };
    let which = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_default();
    if which.is_empty() || which == "appends" {
        appends(seconds);
    }
    if which.is_empty() || which == "proofs" {
        proofs(leaves);
    }
}
