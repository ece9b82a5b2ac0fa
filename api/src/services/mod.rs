//! Domain services. They are the only code that reaches the database: [`Store`]'s
//! connection is private to this module, so resolvers cannot query anything
//! themselves. Services take the caller's [`access::Access`] and read through
//! [`scoped`], which turns the policy's plan into a condition on each row's unit.

pub mod access;
pub mod activities;
pub mod audit;
pub mod auth;
pub mod certificates;
mod changes;
pub mod daily;
pub mod organizations;
pub mod projects;
pub mod ranges;
pub mod records;
pub mod roles;
mod scoped;
pub mod signups;
pub mod stars;
pub mod stations;
pub mod stats;
pub mod teams;
pub mod throttle;
pub mod units;
pub mod users;
pub mod volunteers;

use sea_orm::sea_query::Order;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::{Problem, Reason, ServiceError, ServiceResult};
use crate::pagination::{Page, PageRequest};

/// Handle to the database, opaque outside `services`.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// Bounds password hashing for everything this store serves.
    hashing: std::sync::Arc<crate::auth::HashGate>,
    last_pool_sample: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// Statements run through this store's pool: the figure the statement-count
    /// test reads, per server rather than per process.
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Store {
    /// A store with the default hashing bound (one hash per core).
    pub fn new(db: DatabaseConnection) -> Store {
        Store::with_hashing(db, crate::auth::HashGate::default())
    }

    pub fn with_hashing(mut db: DatabaseConnection, hashing: crate::auth::HashGate) -> Store {
        let statements = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counted = statements.clone();
        db.set_metric_callback(move |info| {
            counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            crate::metrics::METRICS
                .statement
                .observe(info.elapsed.as_secs_f64())
        });
        Store {
            db,
            hashing: std::sync::Arc::new(hashing),
            last_pool_sample: std::sync::Arc::new(std::sync::Mutex::new(None)),
            statements,
        }
    }

    /// How many SQL statements this store has run since it was made.
    pub fn statements(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }

    /// Closes the pool: connections end cleanly instead of being reset.
    pub async fn close(&self) {
        if let Err(e) = self.db.close_by_ref().await {
            tracing::warn!(error = %e, "closing the database pool");
        }
    }

    /// Records the pool's connections and how long getting one takes now; at most
    /// once a second, so scrapes cannot keep the pool busy.
    pub async fn sample_pool(&self) {
        use std::time::{Duration, Instant};
        {
            let mut last = self
                .last_pool_sample
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t: Instant| t.elapsed() < Duration::from_secs(1)) {
                return;
            }
            *last = Some(Instant::now());
        }
        let m = &crate::metrics::METRICS;
        macro_rules! sample {
            ($pool:expr) => {{
                let pool = $pool;
                let size = i64::from(pool.size());
                let idle = pool.num_idle() as i64;
                m.pool.with_label_values(&["in_use"]).set(size - idle);
                m.pool.with_label_values(&["idle"]).set(idle);
                m.pool
                    .with_label_values(&["max"])
                    .set(i64::from(pool.options().get_max_connections()));
                let started = Instant::now();
                if let Ok(Ok(conn)) =
                    tokio::time::timeout(Duration::from_secs(2), pool.acquire()).await
                {
                    m.pool_wait.observe(started.elapsed().as_secs_f64());
                    drop(conn);
                }
            }};
        }
        match self.db.get_database_backend() {
            sea_orm::DbBackend::Postgres => sample!(self.db.get_postgres_connection_pool()),
            sea_orm::DbBackend::Sqlite => sample!(self.db.get_sqlite_connection_pool()),
            _ => {}
        }
    }
}

/// Current time as stored: UTC, to the microsecond (PostgreSQL's precision, so
/// values read back compare equal).
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// One page of a filtered list keyed by its integer id (cursor = the last id seen),
/// with the whole list counted only when the client asked for `totalCount`.
pub(crate) async fn page_by_id<E, R>(
    store: &Store,
    query: Select<E>,
    id: E::Column,
    order: Order,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<R>, u64)>
where
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult + Send + Sync,
    R: TryFrom<E::Model>,
    ServiceError: From<R::Error>,
{
    let total = if want_total {
        query.clone().count(&store.db).await?
    } else {
        0
    };
    let mut query = query;
    if let Some(after) = &page.after {
        let after: i64 = after
            .parse()
            .map_err(|_| ServiceError::Refused(Reason::INVALID_CURSOR.at("after")))?;
        query = match order {
            Order::Desc => query.filter(id.lt(after)),
            _ => query.filter(id.gt(after)),
        };
    }
    let rows = query
        .order_by(id, order)
        .limit(page.first + 1)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|m| R::try_from(m).map_err(ServiceError::from))
        .collect::<ServiceResult<Vec<R>>>()?;
    Ok((Page::from_overfetch(rows, page), total))
}

/// A unit code read back from a table; a bad one is corruption, not the caller's fault.
pub(crate) fn stored_unit(code: &str) -> ServiceResult<policies::UnitCode> {
    policies::UnitCode::parse(code).map_err(|_| {
        ServiceError::Database(DbErr::Custom(format!(
            "stored unit code {code:?} is invalid"
        )))
    })
}

/// A unit code from input, named by its argument for the error message.
pub(crate) fn parse_unit(arg: &str, code: &str) -> ServiceResult<policies::UnitCode> {
    policies::UnitCode::parse(code).map_err(|e| Problem::from(e).at(arg.to_owned()).into())
}

/// Trimmed, non-empty text of at most `max` characters.
pub(crate) fn required_text(arg: &str, s: &str, max: usize) -> ServiceResult<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > max {
        return Err(Reason::TEXT_LENGTH
            .at(arg.to_owned())
            .arg("max", max)
            .into());
    }
    Ok(s.to_owned())
}

/// [`required_text`] for a field an update may leave out.
pub(crate) fn optional_text(
    arg: &str,
    s: Option<&str>,
    max: usize,
) -> ServiceResult<Option<String>> {
    s.map(|s| required_text(arg, s, max)).transpose()
}

/// One page of a list ordered by (unit code, id), ascending or descending: the order
/// of the `(unit_code, id)` index, so a subtree's first page is read straight off the
/// index range and the query stops after `first + 1` rows, however large the subtree
/// (ordering a range by id alone would sort all of it). Cursor: `code/id`.
pub(crate) async fn page_by_unit<E, R>(
    store: &Store,
    query: Select<E>,
    (unit, id): (E::Column, E::Column),
    order: Order,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<R>, u64)>
where
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult + Send + Sync,
    R: TryFrom<E::Model>,
    ServiceError: From<R::Error>,
{
    let total = if want_total {
        query.clone().count(&store.db).await?
    } else {
        0
    };
    let mut query = query;
    if let Some(after) = &page.after {
        let bad = || ServiceError::Refused(Reason::INVALID_CURSOR.at("after"));
        let (code, last) = after.split_once('/').ok_or_else(bad)?;
        let last: i64 = last.parse().map_err(|_| bad())?;
        query = match order {
            Order::Desc => query.filter(unit.lte(code)).filter(
                sea_orm::Condition::any().add(unit.lt(code)).add(
                    sea_orm::Condition::all()
                        .add(unit.eq(code))
                        .add(id.lt(last)),
                ),
            ),
            _ => query.filter(unit.gte(code)).filter(
                sea_orm::Condition::any().add(unit.gt(code)).add(
                    sea_orm::Condition::all()
                        .add(unit.eq(code))
                        .add(id.gt(last)),
                ),
            ),
        };
    }
    let rows = query
        .order_by(unit, order.clone())
        .order_by(id, order)
        .limit(page.first + 1)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|m| R::try_from(m).map_err(ServiceError::from))
        .collect::<ServiceResult<Vec<R>>>()?;
    Ok((Page::from_overfetch(rows, page), total))
}
