//! Grouped appends: one writer thread per node runs the units of work that
//! write to the ledger, as many as are waiting (up to [`MAX_BATCH`]), in one
//! transaction: one lock, one tree update, one signed checkpoint, one
//! commit to disk ([`storage::write_group`]).
//!
//! This, and [`storage::write`] for the CLI, is the only code that opens,
//! seals and commits a write transaction. Each unit receives the
//! [`WriteTx`] it runs in: one savepoint of the group's transaction, so a
//! unit that fails is rolled back alone and the others go on, and it still
//! commits together with its own ledger entries. A unit is answered only
//! after the group commits; if the commit fails, every unit of the group
//! is answered with that failure. A unit whose group never ran (the writer
//! cannot connect) is dropped, and its caller gets "the appender dropped a
//! unit of work" (503).

use std::panic::AssertUnwindSafe;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use docflow_core::checkpoint::NoteSigner;

use super::ServiceError;
use crate::storage::{self, DatabaseUrl, DbConnection, StorageError, WriteGroup, WriteTx};

/// Most units in one transaction: bounds the work a failed commit undoes.
pub const MAX_BATCH: usize = 128;

/// Delivers a unit's result once its batch has committed (or not).
type Finish = Box<dyn FnOnce(Result<(), String>) + Send>;
/// What a unit does once the group is sealed: reads that need the
/// checkpoint (receipts), still inside the transaction.
type Sealed = Box<dyn FnOnce(&mut DbConnection) -> Finish + Send>;
type Job = Box<dyn FnOnce(&mut WriteGroup<'_>) -> Sealed + Send>;

#[derive(Clone)]
pub struct Appender {
    jobs: mpsc::Sender<Job>,
}

impl Appender {
    /// Starts the writer thread with its own connection to `url`.
    pub fn start(url: DatabaseUrl, log: Arc<NoteSigner>) -> Appender {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("docflow-appender".into())
            .spawn(move || writer(url, log, queue))
            .map(|_| ())
            .unwrap_or_else(|e| tracing::error!(error = %e, "cannot start the appender thread"));
        Appender { jobs }
    }

    /// Runs `f` in the next grouped transaction and answers its result
    /// after that transaction commits.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ServiceError>
    where
        T: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, ServiceError> + Send + 'static,
    {
        self.run_then(f, |_, value| Ok(value)).await
    }

    /// Runs `f` in the next grouped transaction, then `then` on its result
    /// once the group is sealed (inside the same transaction, so the new
    /// entries already have their checkpoint: receipts can be read), and
    /// answers after the commit. One trip for a change and its receipt.
    pub async fn run_then<T, U, F, G>(&self, f: F, then: G) -> Result<U, ServiceError>
    where
        T: Send + 'static,
        U: Send + 'static,
        F: FnOnce(&mut WriteTx<'_>) -> Result<T, ServiceError> + Send + 'static,
        G: FnOnce(&mut DbConnection, T) -> Result<U, ServiceError> + Send + 'static,
    {
        let (reply, answer) = tokio::sync::oneshot::channel::<Result<U, ServiceError>>();
        let job: Job = Box::new(move |group| {
            let result = group.unit(f);
            Box::new(move |conn: &mut DbConnection| {
                let result = result.and_then(|value| then(conn, value));
                Box::new(move |batch: Result<(), String>| {
                    let result = match batch {
                        Ok(()) => result,
                        Err(cause) => result.and(Err(ServiceError::Unavailable(cause))),
                    };
                    let _ = reply.send(result);
                }) as Finish
            }) as Sealed
        });
        self.jobs
            .send(job)
            .map_err(|_| ServiceError::Unavailable("the appender has stopped".into()))?;
        answer
            .await
            .map_err(|_| ServiceError::Unavailable("the appender dropped a unit of work".into()))?
    }
}

fn writer(url: DatabaseUrl, log: Arc<NoteSigner>, queue: mpsc::Receiver<Job>) {
    let mut conn: Option<DbConnection> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match connect(&url) {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tracing::error!(error = %e, "appender cannot connect");
                    // Never run: each caller hears the unit was dropped.
                    drop(batch);
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                }
            },
        };
        let mut finishers: Vec<Finish> = Vec::with_capacity(batch.len());
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            storage::write_group::<(), ServiceError>(c, &log, |group| {
                let sealed: Vec<Sealed> = batch.into_iter().map(|job| job(group)).collect();
                let conn = group.sealed()?;
                for then in sealed {
                    finishers.push(then(conn));
                }
                Ok(())
            })
        }));
        let result = match outcome {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "a grouped append failed; its units are rolled back");
                // The connection may be what failed: start afresh.
                conn = None;
                Err(e.to_string())
            }
            Err(_) => {
                tracing::error!("a unit of work panicked; the batch is rolled back");
                conn = None;
                Err("internal error".to_owned())
            }
        };
        for finish in finishers {
            finish(result.clone());
        }
    }
}

fn connect(url: &DatabaseUrl) -> Result<DbConnection, StorageError> {
    url.connect()
}
