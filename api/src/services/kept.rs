//! A worker's steady PostgreSQL connections, kept checked out between statements.
//!
//! sqlx tests every connection taken back into its pool with a round trip to the
//! server (a `Sync` and its `ReadyForQuery`), always: there is no option to skip it.
//! A list answered with one statement made two round trips, the second only to learn
//! that a connection which had just answered was still there. So a worker keeps the
//! steady pool's connections it has used, in a stack of its own, and hands them to
//! its next statements itself.
//!
//! Only a connection whose statement ran to its end is kept: sqlx has then read its
//! reply up to the final `ReadyForQuery`, so nothing is left in flight. One whose
//! statement failed, or was abandoned half-way (a client gone, a timeout), goes back
//! to sqlx, whose test on release settles or closes it. One left unused for
//! [`STALE`] goes back too, and the pool tests it as it tests its idle connections
//! before handing them out (`db::connect_with`). Every statement on the pool goes
//! through here, and waits first for one of as many permits as the pool has
//! connections: a statement waiting inside sqlx's `acquire` would never see the
//! connection a finished statement keeps.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use sea_orm::sqlx::pool::PoolConnection;
use sea_orm::sqlx::{Executor, PgPool, Postgres};
use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, ExecResult, QueryResult,
    RuntimeErr, Statement,
};

/// How long a kept connection may sit unused before it goes back to the pool to be
/// tested: the pool's own threshold for testing idle connections.
pub const STALE: Duration = crate::db::TEST_IF_IDLE_FOR;

/// One worker's steady pool and the connections it keeps.
pub struct Kept {
    db: DatabaseConnection,
    pool: PgPool,
    permits: tokio::sync::Semaphore,
    idle: Mutex<Vec<(PoolConnection<Postgres>, Instant)>>,
    statements: Arc<AtomicU64>,
}

impl Kept {
    /// `db` must be a PostgreSQL pool; its statements are counted into `statements`.
    pub fn new(db: DatabaseConnection, statements: Arc<AtomicU64>) -> Kept {
        let pool = db.get_postgres_connection_pool().clone();
        let size = pool.options().get_max_connections() as usize;
        Kept {
            db,
            pool,
            permits: tokio::sync::Semaphore::new(size),
            idle: Mutex::new(Vec::with_capacity(size)),
            statements,
        }
    }

    /// The pool itself (for its figures and for closing it).
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Connections kept and unused now.
    pub fn idle(&self) -> usize {
        self.lock().len()
    }

    /// Hands every kept connection back to the pool (before closing it, which waits
    /// for all of them).
    pub fn release_all(&self) {
        let kept: Vec<_> = self.lock().drain(..).collect();
        if tokio::runtime::Handle::try_current().is_ok() {
            drop(kept);
        } else {
            // sqlx returns a connection from a task, which needs a runtime; without
            // one the connection is closed outside the pool instead.
            for (conn, _) in kept {
                drop(conn.detach());
            }
        }
    }

    fn lock(&self) -> MutexGuard<'_, Vec<(PoolConnection<Postgres>, Instant)>> {
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A connection for one statement: the last one kept if it is fresh, else one
    /// from the pool.
    pub(crate) async fn take(&self) -> Result<Held<'_>, DbErr> {
        let timeout = self.pool.options().get_acquire_timeout();
        let permit = match tokio::time::timeout(timeout, self.permits.acquire()).await {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)),
            Err(_) => return Err(DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)),
        };
        let mut stale = Vec::new();
        let fresh = {
            let mut idle = self.lock();
            loop {
                match idle.pop() {
                    Some((conn, since)) if since.elapsed() < STALE => break Some(conn),
                    Some((conn, _)) => stale.push(conn),
                    None => break None,
                }
            }
        };
        // Back to the pool, which tests each as it takes it back.
        drop(stale);
        let conn = match fresh {
            Some(conn) => conn,
            None => self.pool.acquire().await.map_err(|e| match e {
                sea_orm::sqlx::Error::PoolTimedOut => {
                    DbErr::ConnectionAcquire(ConnAcquireErr::Timeout)
                }
                sea_orm::sqlx::Error::PoolClosed => {
                    DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed)
                }
                e => DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e))),
            })?,
        };
        Ok(Held {
            kept: self,
            conn,
            _permit: permit,
        })
    }

    fn counted(&self, started: Instant) {
        self.statements.fetch_add(1, Ordering::Relaxed);
        crate::metrics::METRICS
            .statement
            .observe(started.elapsed().as_secs_f64());
    }
}

impl Drop for Kept {
    fn drop(&mut self) {
        self.release_all();
    }
}

/// A connection taken for one statement. Dropped without [`Held::keep`] (the
/// statement failed or was abandoned), the connection goes back to sqlx; the permit
/// is released after it either way.
pub(crate) struct Held<'a> {
    kept: &'a Kept,
    conn: PoolConnection<Postgres>,
    _permit: tokio::sync::SemaphorePermit<'a>,
}

impl Held<'_> {
    fn conn(&mut self) -> &mut sea_orm::sqlx::PgConnection {
        &mut self.conn
    }

    /// The statement ran to its end: the connection is kept for the next one (then
    /// the permit is released).
    pub(crate) fn keep(self) {
        let Held {
            kept,
            conn,
            _permit,
        } = self;
        if !kept.pool.is_closed() {
            kept.lock().push((conn, Instant::now()));
        }
    }
}

fn query(
    stmt: &Statement,
) -> sea_orm::sqlx::query::Query<'_, Postgres, sea_query_sqlx::SqlxValues> {
    let values = stmt
        .values
        .clone()
        .unwrap_or(sea_orm::sea_query::Values(Vec::new()));
    sea_orm::sqlx::query_with(
        sea_orm::sqlx::AssertSqlSafe(stmt.sql.as_str()),
        sea_query_sqlx::SqlxValues(values),
    )
}

fn query_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

fn exec_err(e: sea_orm::sqlx::Error) -> DbErr {
    DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
}

#[async_trait::async_trait]
impl ConnectionTrait for Kept {
    fn get_database_backend(&self) -> DbBackend {
        DbBackend::Postgres
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        let mut held = self.take().await?;
        let started = Instant::now();
        let done = query(&stmt).execute(held.conn()).await;
        self.counted(started);
        let done = done.map_err(exec_err)?;
        held.keep();
        Ok(done.into())
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        let mut held = self.take().await?;
        let done = held
            .conn()
            .execute(sea_orm::sqlx::AssertSqlSafe(sql.to_owned()))
            .await
            .map_err(exec_err)?;
        held.keep();
        Ok(done.into())
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        let mut held = self.take().await?;
        let started = Instant::now();
        // `fetch_optional` reads the reply to its end, as `keep` needs.
        let row = query(&stmt).fetch_optional(held.conn()).await;
        self.counted(started);
        let row = row.map_err(query_err)?;
        held.keep();
        Ok(row.map(QueryResult::from))
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        let mut held = self.take().await?;
        let started = Instant::now();
        let rows = query(&stmt).fetch_all(held.conn()).await;
        self.counted(started);
        let rows = rows.map_err(query_err)?;
        held.keep();
        Ok(rows.into_iter().map(QueryResult::from).collect())
    }
}

/// The connection a read runs on: the worker's kept steady connections, or a pool
/// as sea-orm uses it.
#[derive(Clone, Copy)]
pub enum Reads<'a> {
    Pool(&'a DatabaseConnection),
    Kept(&'a Kept),
}

impl<'a> From<&'a DatabaseConnection> for Reads<'a> {
    fn from(db: &'a DatabaseConnection) -> Reads<'a> {
        Reads::Pool(db)
    }
}

#[async_trait::async_trait]
impl ConnectionTrait for Reads<'_> {
    fn get_database_backend(&self) -> DbBackend {
        match self {
            Reads::Pool(db) => db.get_database_backend(),
            Reads::Kept(k) => k.get_database_backend(),
        }
    }

    async fn execute_raw(&self, stmt: Statement) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Pool(db) => db.execute_raw(stmt).await,
            Reads::Kept(k) => k.execute_raw(stmt).await,
        }
    }

    async fn execute_unprepared(&self, sql: &str) -> Result<ExecResult, DbErr> {
        match self {
            Reads::Pool(db) => db.execute_unprepared(sql).await,
            Reads::Kept(k) => k.execute_unprepared(sql).await,
        }
    }

    async fn query_one_raw(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Reads::Pool(db) => db.query_one_raw(stmt).await,
            Reads::Kept(k) => k.query_one_raw(stmt).await,
        }
    }

    async fn query_all_raw(&self, stmt: Statement) -> Result<Vec<QueryResult>, DbErr> {
        match self {
            Reads::Pool(db) => db.query_all_raw(stmt).await,
            Reads::Kept(k) => k.query_all_raw(stmt).await,
        }
    }
}
