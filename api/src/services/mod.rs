//! Domain services. They are the only code that reaches the database: [`Store`]'s
//! connection is private to this module, so resolvers cannot query anything
//! themselves. Services take the caller's [`access::Access`] and read through
//! [`scoped`], which turns the policy's plan into a condition on each row's unit.

pub mod access;
pub mod activities;
pub mod attendance;
pub mod audit;
pub mod auth;
pub mod callers;
pub mod campaigns;
pub mod certificates;
mod changes;
pub mod context;
pub mod daily;
pub mod disbursements;
pub mod disclosure;
pub mod donations;
pub mod donors;
pub mod exports;
pub mod funds;
pub mod help_requests;
mod ledger;
pub mod organizations;
pub mod pledges;
pub mod projects;
pub mod ranges;
pub mod records;
pub mod roles;
pub mod rows;
mod scoped;
pub mod selfservice;
pub mod stars;
pub mod stations;
pub mod stats;
pub mod supermarkets;
pub mod team_applications;
pub mod teams;
pub mod throttle;
pub mod timebank;
pub mod units;
pub mod users;
pub mod volunteers;

pub use context::{Clock, Ctx};

use sea_orm::sea_query::Order;
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, ModelTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Select,
};

use crate::error::{Problem, Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};

/// Counts `db`'s statements into `statements` and their durations into the metrics.
fn count_statements(
    db: &mut DatabaseConnection,
    statements: &std::sync::Arc<std::sync::atomic::AtomicU64>,
) {
    let counted = statements.clone();
    db.set_metric_callback(move |info| {
        counted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        crate::metrics::METRICS
            .statement
            .observe(info.elapsed.as_secs_f64())
    });
}

/// Handle to the database, opaque outside `services`.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// The pool for statements whose best plan does not depend on their values (a
    /// list page read in the order of the index its scope ranges over): PostgreSQL
    /// keeps one generic plan for them instead of planning each run for its values,
    /// which was over a quarter of its time on a list request
    /// (`db::connect_workers`). `None` (SQLite, start-up): the main pool serves them.
    steady: Option<DatabaseConnection>,
    /// Bounds password hashing for everything this store serves.
    hashing: std::sync::Arc<crate::auth::HashGate>,
    last_pool_sample: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
    /// Statements run through this store's pool: the figure the statement-count
    /// test reads, per server rather than per process.
    statements: std::sync::Arc<std::sync::atomic::AtomicU64>,
    /// The time services read (adjustable in tests).
    clock: Clock,
    /// Who is calling, kept per session (see `callers`).
    callers: std::sync::Arc<callers::Callers>,
    /// Every pool of the server, whichever worker's store this is: sampled and
    /// closed together.
    pools: std::sync::Arc<Pools>,
}

/// The server's pools, each with the name the metrics give its kind.
#[derive(Default)]
struct Pools(std::sync::Mutex<Vec<(&'static str, DatabaseConnection)>>);

impl Pools {
    fn add(&self, name: &'static str, db: &DatabaseConnection) {
        self.lock().push((name, db.clone()));
    }

    fn rename(&self, from: &'static str, to: &'static str) {
        for (name, _) in self.lock().iter_mut() {
            if *name == from {
                *name = to;
            }
        }
    }

    fn all(&self) -> Vec<(&'static str, DatabaseConnection)> {
        self.lock().clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(&'static str, DatabaseConnection)>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Store {
    /// A store with the default hashing bound (one hash per core).
    pub fn new(db: DatabaseConnection) -> Store {
        Store::with_hashing(db, crate::auth::HashGate::default())
    }

    pub fn with_hashing(mut db: DatabaseConnection, hashing: crate::auth::HashGate) -> Store {
        let statements = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        count_statements(&mut db, &statements);
        // On SQLite one process owns the file, so its own mutations are all the
        // changes there are; PostgreSQL keeps nothing until its listener is up.
        let callers = std::sync::Arc::new(callers::Callers::new(
            db.get_database_backend() == sea_orm::DbBackend::Sqlite,
        ));
        let pools = std::sync::Arc::new(Pools::default());
        pools.add("main", &db);
        Store {
            db,
            steady: None,
            pools,
            callers,
            hashing: std::sync::Arc::new(hashing),
            last_pool_sample: std::sync::Arc::new(std::sync::Mutex::new(None)),
            statements,
            clock: Clock::system(),
        }
    }

    /// A store for each HTTP worker, on that worker's own pools
    /// (`db::connect_workers`) and sharing everything else with this one, whose
    /// pool is then named `startup` in the metrics.
    pub fn for_workers(&self, workers: Vec<crate::db::WorkerPools>) -> Vec<Store> {
        self.pools.rename("main", "startup");
        workers
            .into_iter()
            .map(|w| {
                let (mut main, mut steady) = (w.main, w.steady);
                for (name, conn) in [("main", &mut main), ("steady", &mut steady)] {
                    count_statements(conn, &self.statements);
                    self.pools.add(name, conn);
                }
                Store {
                    db: main,
                    steady: Some(steady),
                    ..self.clone()
                }
            })
            .collect()
    }

    /// The same store reading the time from `clock`.
    pub fn with_clock(self, clock: Clock) -> Store {
        Store { clock, ..self }
    }

    /// Who is calling, kept per session.
    pub fn callers(&self) -> &callers::Callers {
        &self.callers
    }

    /// On PostgreSQL, listens for session, user and role changes made through any
    /// instance (see `callers`); until it is connected nothing is kept.
    pub fn listen_for_caller_changes(&self) {
        if self.db.get_database_backend() == sea_orm::DbBackend::Postgres {
            let pool = self.db.get_postgres_connection_pool().clone();
            tokio::spawn(callers::listen(pool, self.callers.clone()));
        }
    }

    /// How many SQL statements this store has run since it was made.
    pub fn statements(&self) -> u64 {
        self.statements.load(std::sync::atomic::Ordering::Relaxed)
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }

    /// Closes every pool of the server: connections end cleanly instead of being
    /// reset.
    pub async fn close(&self) {
        for (_, pool) in self.pools.all() {
            if let Err(e) = pool.close_by_ref().await {
                tracing::warn!(error = %e, "closing the database pool");
            }
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
        // Each kind's figures summed over the workers' pools of that kind.
        let mut kinds = std::collections::BTreeMap::<&'static str, [i64; 3]>::new();
        for (name, db) in self.pools.all() {
            let (size, idle, max) = pool_figures(&db);
            let sums = kinds.entry(name).or_default();
            sums[0] += size - idle;
            sums[1] += idle;
            sums[2] += max;
        }
        for (name, [in_use, idle, max]) in kinds {
            m.pool.with_label_values(&[name, "in_use"]).set(in_use);
            m.pool.with_label_values(&[name, "idle"]).set(idle);
            m.pool.with_label_values(&[name, "max"]).set(max);
        }
        // The wait is timed on this worker's own pools only: taking a connection
        // from another worker's would open it on this worker's thread.
        for db in std::iter::once(&self.db).chain(&self.steady) {
            let started = Instant::now();
            let acquired = match db.get_database_backend() {
                sea_orm::DbBackend::Postgres => acquires(db.get_postgres_connection_pool()).await,
                sea_orm::DbBackend::Sqlite => acquires(db.get_sqlite_connection_pool()).await,
                _ => false,
            };
            if acquired {
                m.pool_wait.observe(started.elapsed().as_secs_f64());
            }
        }
    }
}

/// A pool's connections (open, idle) and its bound.
fn pool_figures(db: &DatabaseConnection) -> (i64, i64, i64) {
    fn figures<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> (i64, i64, i64) {
        (
            i64::from(pool.size()),
            pool.num_idle() as i64,
            i64::from(pool.options().get_max_connections()),
        )
    }
    match db.get_database_backend() {
        sea_orm::DbBackend::Postgres => figures(db.get_postgres_connection_pool()),
        sea_orm::DbBackend::Sqlite => figures(db.get_sqlite_connection_pool()),
        _ => (0, 0, 0),
    }
}

/// Whether a connection comes out of `pool` within 2 s (it goes straight back).
async fn acquires<DB: sea_orm::sqlx::Database>(pool: &sea_orm::sqlx::Pool<DB>) -> bool {
    let wait = std::time::Duration::from_secs(2);
    matches!(tokio::time::timeout(wait, pool.acquire()).await, Ok(Ok(_)))
}

/// The system time as stored, for operator tools that run outside any request
/// (demo data, archiving) and for sessions, which expire with their tokens;
/// services read [`Ctx::now`].
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    Clock::system().now()
}

/// A record the services hand out after reading it through the caller's scope.
pub trait Record {
    fn id(&self) -> i64;
}

/// The id of a record the caller was allowed to see. It is made only from the
/// record itself, so a service reading child rows by it (a team's fields, a
/// sign-up's sessions) can only be reached from a parent already read through the
/// scope — never from a bare id.
pub struct Seen<R>(i64, std::marker::PhantomData<fn() -> R>);

impl<R: Record> Seen<R> {
    pub fn of(record: &R) -> Seen<R> {
        Seen(record.id(), std::marker::PhantomData)
    }
}

impl<R> Seen<R> {
    pub fn id(&self) -> i64 {
        self.0
    }

    /// The ids of `seen`, for a child read's `IN (…)`.
    fn ids(seen: &[Seen<R>]) -> Vec<i64> {
        seen.iter().map(Seen::id).collect()
    }
}

// By hand: derives would require `R` itself to be Clone, Eq and Hash.
impl<R> Clone for Seen<R> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<R> Copy for Seen<R> {}
impl<R> PartialEq for Seen<R> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<R> Eq for Seen<R> {}
impl<R> std::hash::Hash for Seen<R> {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

/// `impl Record` for record types whose id is their `id` field.
macro_rules! records {
    ($($t:ty),* $(,)?) => {
        $(impl Record for $t {
            fn id(&self) -> i64 {
                self.id
            }
        })*
    };
}
records!(
    volunteers::VolunteerRecord,
    teams::TeamRecord,
    attendance::SignupRecord,
    stars::NominationRecord,
    funds::FundRecord,
    campaigns::CampaignRecord,
    help_requests::HelpRequestRecord,
    supermarkets::HouseholdRecord,
);

/// A person named on a record (a beneficiary, a household's head) as the caller may
/// see them.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub masked: bool,
}

impl Default for Person {
    /// Nothing shown.
    fn default() -> Self {
        Person {
            name: String::new(),
            phone: None,
            address: None,
            masked: true,
        }
    }
}

/// A person's name, phone and address as stored on a row: (row id, unit, name,
/// phone, address).
pub(crate) type PersonRow = (i64, String, String, Option<String>, Option<String>);

/// People on records the caller has read, each in full where the caller holds
/// `read_personal` on `resource` at the row's unit, else masked (the family name,
/// the phone's last four digits, no address). The unmasked reads are audited as
/// `{resource}.read_personal`: one entry per unit naming the rows, so a page of a
/// list costs one write per unit rather than one per row.
pub(crate) async fn reveal_people(
    cx: &Ctx,
    resource: policies::Resource,
    kind: &str,
    rows: Vec<PersonRow>,
) -> ServiceResult<std::collections::HashMap<i64, Person>> {
    let mut allowed: std::collections::HashMap<String, bool> = Default::default();
    let mut shown: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    let mut out = std::collections::HashMap::with_capacity(rows.len());
    for (id, unit, name, phone, address) in rows {
        let show = match allowed.get(&unit) {
            Some(b) => *b,
            None => {
                let b = cx
                    .access()
                    .check(
                        resource,
                        policies::Action::ReadPersonal,
                        &stored_unit(&unit)?,
                    )?
                    .allowed();
                allowed.insert(unit.clone(), b);
                b
            }
        };
        let person = if show {
            shown.entry(unit).or_default().push(id);
            Person {
                name,
                phone,
                address,
                masked: false,
            }
        } else {
            let family: String = name.chars().take(1).collect();
            Person {
                name: format!("{family}**"),
                phone: phone.map(|p| {
                    let tail: String = p
                        .chars()
                        .skip(p.chars().count().saturating_sub(4))
                        .collect();
                    format!("*******{tail}")
                }),
                address: None,
                masked: true,
            }
        };
        out.insert(id, person);
    }
    for (unit, ids) in shown {
        let unit = stored_unit(&unit)?;
        audit::log(
            cx.db(),
            cx,
            audit::Entry::new(&format!("{resource}.read_personal"), &unit)
                .target(kind, ids[0])
                .summary(serde_json::json!({ "ids": ids })),
        )
        .await?;
    }
    Ok(out)
}

/// A unit code read back from a table; a bad one is corruption, not the caller's fault.
pub(crate) fn stored_unit(code: &str) -> ServiceResult<policies::UnitCode> {
    stored_unit_owned(code.to_owned())
}

/// [`stored_unit`] keeping the string read.
pub(crate) fn stored_unit_owned(code: String) -> ServiceResult<policies::UnitCode> {
    policies::UnitCode::parse_owned(code).map_err(|e| {
        ServiceError::Database(DbErr::Custom(format!("stored unit code is invalid: {e}")))
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

/// How a list is ordered: its key columns, the last of which is unique (the id),
/// and the direction. Every order a list offers is served by an index on these
/// columns, and a row's cursor is its key values, so each page is a range read off
/// the index that stops after `size + 1` rows, however long the list.
pub(crate) struct Sort<E: EntityTrait> {
    pub keys: Vec<E::Column>,
    pub dir: OrderDirection,
}

impl<E: EntityTrait> Sort<E> {
    pub fn new(keys: impl IntoIterator<Item = E::Column>, dir: OrderDirection) -> Sort<E> {
        Sort {
            keys: keys.into_iter().collect(),
            dir,
        }
    }
}

/// What a list of named records can be sorted by.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameOrderField {
    /// By name (a user's username), in the database's collation.
    Name,
    /// By when the record was created.
    CreatedAt,
}

/// What a list of records without a name can be sorted by.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "CreationOrderField")]
pub enum CreatedOrderField {
    /// By when the record was created.
    CreatedAt,
}

/// A list sorted by name or by creation (ids are handed out in creation order);
/// left out, by creation in the list's default direction.
pub(crate) fn by_name_or_created<E: EntityTrait>(
    order: Option<(NameOrderField, OrderDirection)>,
    name: E::Column,
    id: E::Column,
    default: OrderDirection,
) -> Sort<E> {
    match order {
        None => Sort::new([id], default),
        Some((NameOrderField::Name, d)) => Sort::new([name, id], d),
        Some((NameOrderField::CreatedAt, d)) => Sort::new([id], d),
    }
}

/// A list sorted by creation, either way; left out, in the list's default direction.
pub(crate) fn by_created<E: EntityTrait>(
    order: Option<(CreatedOrderField, OrderDirection)>,
    id: E::Column,
    default: OrderDirection,
) -> Sort<E> {
    Sort::new([id], order.map_or(default, |(_, d)| d))
}

/// One page of `query` in `sort`'s order, forward or backward from the request's
/// cursor, and the whole list's size when `want_total`.
pub(crate) async fn page_by<E, R>(
    cx: &Ctx,
    query: Select<E>,
    sort: &Sort<E>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<R>, u64)>
where
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult + Send + Sync,
    R: TryFrom<E::Model>,
    ServiceError: From<R::Error>,
{
    page_as::<E, E::Model, R>(cx.db(), query, sort, page, want_total).await
}

/// [`page_by`] with the rows decoded as `M` (e.g. [`rows::VolunteerRow`]) instead of
/// the entity's derived decoding.
pub(crate) async fn page_as<E, M, R>(
    conn: &impl sea_orm::ConnectionTrait,
    query: Select<E>,
    sort: &Sort<E>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<R>, u64)>
where
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult + Send + Sync,
    M: sea_orm::FromQueryResult + Into<E::Model> + Send + Sync,
    R: TryFrom<E::Model>,
    ServiceError: From<R::Error>,
{
    let total = if want_total {
        query.clone().count(conn).await?
    } else {
        0
    };
    let (page, _) = page_beside::<E, M, R>(conn, query, sort, page, None, Derived).await?;
    Ok((page, total))
}

/// How a page's rows become `M`s: one statement's rows, in order.
pub(crate) trait DecodeRows<M> {
    fn next_row(&mut self, row: &sea_orm::QueryResult) -> Result<M, DbErr>;
}

/// Each row by `M`'s own `FromQueryResult`.
pub(crate) struct Derived;

impl<M: sea_orm::FromQueryResult> DecodeRows<M> for Derived {
    fn next_row(&mut self, row: &sea_orm::QueryResult) -> Result<M, DbErr> {
        M::from_query_result(row, "")
    }
}

/// The column a page's rows carry a one-row statement's value in ([`page_beside`]).
const BESIDE: &str = "kapok_beside";

/// [`page_as`] without a count, reading `beside` — a statement selecting one number,
/// such as a total kept elsewhere — as a column of every row, so that one round trip
/// answers both. The second value is `beside`'s (NULL as `Some(None)`) when the page
/// has a row, `None` when it has none or there is no `beside`.
///
/// The rows read go to the page in one pass — decoded, keyed and converted one by one,
/// and the one more read only to tell that more follow is not decoded: a volunteer
/// model went through three vectors before, and copying between them was 5.6 % of a
/// street list's server samples (`memmove` under the list, `perf`).
pub(crate) async fn page_beside<E, M, R>(
    conn: &impl sea_orm::ConnectionTrait,
    query: Select<E>,
    sort: &Sort<E>,
    page: &PageRequest,
    beside: Option<sea_orm::sea_query::SelectStatement>,
    mut decode: impl DecodeRows<M>,
) -> ServiceResult<(Page<R>, Option<Option<i64>>)>
where
    E: EntityTrait,
    M: Into<E::Model>,
    R: TryFrom<E::Model>,
    ServiceError: From<R::Error>,
{
    use sea_orm::sea_query::QueryStatementBuilder;
    use sea_orm::QueryTrait;
    // A backward page reads the list the other way from its cursor, then turns.
    let ascending = (sort.dir == OrderDirection::Asc) != page.backward;
    let mut query = query;
    if let Some(cursor) = &page.cursor {
        query = query.filter(after_key::<E>(&sort.keys, cursor, ascending, page)?);
    }
    let order = if ascending { Order::Asc } else { Order::Desc };
    for k in &sort.keys {
        query = query.order_by(*k, order.clone());
    }
    let query = query.limit(page.size + 1);
    let (read, value) = match beside {
        Some(b) => {
            let statement = query
                .expr_as(
                    sea_orm::sea_query::Expr::from(b.into_sub_query_statement()),
                    BESIDE,
                )
                .into_query();
            let read = conn.query_all(&statement).await?;
            // Every row carries the same value: it is read from the first (by name,
            // which costs a lookup per call — once a page, not once a row).
            let value = match read.first() {
                Some(row) => Some(row.try_get::<Option<i64>>("", BESIDE)?),
                None => None,
            };
            (read, value)
        }
        None => (conn.query_all(&query.into_query()).await?, None),
    };
    // The page keeps the first `size` rows read, in either direction.
    let more = read.len() as u64 > page.size;
    let kept = &read[..read.len().min(page.size as usize)];
    let mut rows = Vec::with_capacity(kept.len());
    let mut cursors = Vec::with_capacity(kept.len());
    for (i, row) in kept.iter().enumerate() {
        let m: E::Model = decode.next_row(row)?.into();
        // Every row's cursor when the page asks for every cursor, else only the
        // page's first and last (`pageInfo`'s), the others left empty — making a
        // cursor is a good part of a row's cost on a long page.
        cursors.push(if page.every_cursor || i == 0 || i + 1 == kept.len() {
            row_key::<E>(&m, &sort.keys)?
        } else {
            String::new()
        });
        rows.push(R::try_from(m).map_err(ServiceError::from)?);
    }
    Ok((Page::from_read(rows, cursors, more, page), value))
}

/// A row's cursor: its key values as a JSON array of strings.
fn row_key<E: EntityTrait>(m: &E::Model, keys: &[E::Column]) -> ServiceResult<String> {
    use sea_orm::sea_query::Value as V;
    let parts = keys
        .iter()
        .map(|k| match m.get(*k) {
            V::BigInt(Some(n)) => Ok(n.to_string()),
            V::Int(Some(n)) => Ok(n.to_string()),
            V::SmallInt(Some(n)) => Ok(n.to_string()),
            V::String(Some(s)) => Ok(s),
            V::ChronoDateTimeUtc(Some(t)) => {
                Ok(t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true))
            }
            other => Err(ServiceError::Database(DbErr::Custom(format!(
                "cannot sort by a key holding {other:?}"
            )))),
        })
        .collect::<ServiceResult<Vec<String>>>()?;
    serde_json::to_string(&parts).map_err(|e| ServiceError::Database(DbErr::Custom(e.to_string())))
}

/// The rows past `cursor` in the read direction: for keys (a, b, id) ascending,
/// `a >= x AND (a > x OR (a = x AND (b > y OR (b = y AND id > z))))`. The leading
/// `a >= x` lets the database start the index scan at the cursor.
fn after_key<E: EntityTrait>(
    keys: &[E::Column],
    cursor: &str,
    ascending: bool,
    page: &PageRequest,
) -> ServiceResult<Condition> {
    use sea_orm::sea_query::{ColumnType as T, Value as V};
    let arg = if page.backward { "before" } else { "after" };
    let bad = || ServiceError::Refused(Reason::INVALID_CURSOR.at(arg));
    let texts: Vec<String> = serde_json::from_str(cursor).map_err(|_| bad())?;
    if texts.len() != keys.len() {
        return Err(bad());
    }
    let values = keys
        .iter()
        .zip(&texts)
        .map(|(k, t)| {
            Ok(match k.def().get_column_type() {
                T::BigInteger | T::Integer | T::SmallInteger => {
                    V::BigInt(Some(t.parse().map_err(|_| bad())?))
                }
                T::TimestampWithTimeZone | T::Timestamp | T::DateTime => {
                    V::ChronoDateTimeUtc(Some(
                        chrono::DateTime::parse_from_rfc3339(t)
                            .map_err(|_| bad())?
                            .into(),
                    ))
                }
                _ => V::String(Some(t.clone())),
            })
        })
        .collect::<ServiceResult<Vec<V>>>()?;
    let past = |k: E::Column, v: V| if ascending { k.gt(v) } else { k.lt(v) };
    let mut cond = Condition::all().add(past(keys[keys.len() - 1], values[keys.len() - 1].clone()));
    for i in (0..keys.len() - 1).rev() {
        cond = Condition::any().add(past(keys[i], values[i].clone())).add(
            Condition::all()
                .add(keys[i].eq(values[i].clone()))
                .add(cond),
        );
    }
    let start = if ascending {
        keys[0].gte(values[0].clone())
    } else {
        keys[0].lte(values[0].clone())
    };
    Ok(Condition::all().add(start).add(cond))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    /// The modules of `services/` a module's code (tests aside) names.
    fn imports() -> BTreeMap<String, BTreeSet<String>> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/services");
        let files: BTreeMap<String, String> = std::fs::read_dir(dir)
            .expect("services dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.file_name().is_some_and(|n| n != "mod.rs"))
            .map(|p| {
                let name = p.file_stem().expect("stem").to_string_lossy().into_owned();
                let text = std::fs::read_to_string(&p).expect("source");
                let code = text.split("#[cfg(test)]").next().unwrap_or("").to_owned();
                (name, code)
            })
            .collect();
        let names: BTreeSet<String> = files.keys().cloned().collect();
        files
            .iter()
            .map(|(name, code)| {
                let code: String = code
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("//"))
                    .collect::<Vec<_>>()
                    .join("\n");
                let used = names
                    .iter()
                    .filter(|other| *other != name)
                    .filter(|other| {
                        code.contains(&format!("services::{other}"))
                            || code.contains(&format!("super::{other}"))
                            || code
                                .split("use crate::services::{")
                                .skip(1)
                                .filter_map(|rest| rest.split('}').next())
                                .any(|list| {
                                    list.split(',').any(|item| {
                                        item.trim().split("::").next() == Some(other.as_str())
                                    })
                                })
                    })
                    .cloned()
                    .collect();
                (name.clone(), used)
            })
            .collect()
    }

    /// Services form layers: a module never reaches back to one that uses it (an
    /// activity's cancellation, which ends its sign-ups, lives with attendance, not
    /// activities). Fails naming a cycle.
    #[test]
    fn services_modules_have_no_import_cycles() {
        let graph = imports();
        assert!(
            graph["attendance"].contains("activities"),
            "the scan sees imports"
        );
        fn visit(
            graph: &BTreeMap<String, BTreeSet<String>>,
            node: &str,
            path: &mut Vec<String>,
            done: &mut BTreeSet<String>,
        ) -> Option<Vec<String>> {
            if let Some(i) = path.iter().position(|p| p == node) {
                let mut cycle = path[i..].to_vec();
                cycle.push(node.to_owned());
                return Some(cycle);
            }
            if done.contains(node) {
                return None;
            }
            path.push(node.to_owned());
            for next in graph.get(node).into_iter().flatten() {
                if let Some(c) = visit(graph, next, path, done) {
                    return Some(c);
                }
            }
            path.pop();
            done.insert(node.to_owned());
            None
        }
        let mut done = BTreeSet::new();
        for node in graph.keys() {
            let cycle = visit(&graph, node, &mut Vec::new(), &mut done);
            assert!(
                cycle.is_none(),
                "import cycle: {}",
                cycle.unwrap_or_default().join(" → ")
            );
        }
    }
}
