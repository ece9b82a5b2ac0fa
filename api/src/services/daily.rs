//! The per-unit daily figures (`unit_daily`) statistics are answered from, their sums
//! by month (`unit_monthly`), and those summed per city and district subtree
//! (`subtree_monthly`). Every service that changes a counted fact adds its change to
//! its day, its month and its subtrees' months here in the same transaction, so a
//! statistic is a sum over index ranges of these small tables instead of a scan of
//! the rows it counts — months for the whole months of a period, days only at its
//! edges, a kept child's one row a month. [`rebuild`] recomputes all three from the
//! rows (after bulk loads); the recount tests compare them with what was kept.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use entity::{subtree_monthly, unit_monthly};
use policies::{Level, UnitCode};
use sea_orm::sea_query::{Expr, OnConflict, SelectStatement};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement};

use crate::error::{ServiceError, ServiceResult};
use crate::services::Ctx;

/// Offices count days in China Standard Time (UTC+8, no daylight saving).
pub fn day_of(t: DateTime<Utc>) -> NaiveDate {
    (t + Duration::hours(8)).date_naive()
}

/// The UTC instant a China Standard Time day starts.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - Duration::hours(8)
}

/// A change to one unit's figures on one day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Delta {
    pub volunteers: i64,
    pub party_members: i64,
    pub party_reporting: i64,
    /// Volunteers holding exactly n stars, n = index + 1.
    pub stars: [i64; 5],
    pub half_hours: i64,
    pub records: i64,
    pub activities_held: i64,
    pub people_served: i64,
    /// Money donated, net of voids (fen), and the number of money donations.
    pub raised_fen: i64,
    pub donations: i64,
    /// Money paid out, net of reversed payments (fen).
    pub disbursed_fen: i64,
    /// The change in what the unit's funds hold (fen).
    pub fund_net_fen: i64,
    /// Pledges open: +1 when made, -1 when fulfilled or lapsed.
    pub pledges_open: i64,
}

impl Delta {
    pub fn star_change(from: i16, to: i16) -> Delta {
        let mut d = Delta::default();
        if (1..=5).contains(&from) {
            d.stars[from as usize - 1] -= 1;
        }
        if (1..=5).contains(&to) {
            d.stars[to as usize - 1] += 1;
        }
        d
    }

    /// The figures in [`COLUMNS`]' order.
    fn values(&self) -> [i64; 17] {
        [
            self.volunteers,
            self.party_members,
            self.party_reporting,
            self.stars[0],
            self.stars[1],
            self.stars[2],
            self.stars[3],
            self.stars[4],
            self.half_hours,
            self.records,
            self.activities_held,
            self.people_served,
            self.raised_fen,
            self.donations,
            self.disbursed_fen,
            self.fund_net_fen,
            self.pledges_open,
        ]
    }

    pub fn negate(self) -> Delta {
        Delta {
            volunteers: -self.volunteers,
            party_members: -self.party_members,
            party_reporting: -self.party_reporting,
            stars: self.stars.map(|s| -s),
            half_hours: -self.half_hours,
            records: -self.records,
            activities_held: -self.activities_held,
            people_served: -self.people_served,
            raised_fen: -self.raised_fen,
            donations: -self.donations,
            disbursed_fen: -self.disbursed_fen,
            fund_net_fen: -self.fund_net_fen,
            pledges_open: -self.pledges_open,
        }
    }
}

/// The figure columns of the kept tables (`unit_daily`, `unit_monthly`,
/// `subtree_monthly`), in the order of [`Delta`]'s fields.
pub const COLUMNS: [&str; 17] = [
    "volunteers",
    "party_members",
    "party_reporting",
    "stars1",
    "stars2",
    "stars3",
    "stars4",
    "stars5",
    "half_hours",
    "records",
    "activities_held",
    "people_served",
    "raised_fen",
    "donations",
    "disbursed_fen",
    "fund_net_fen",
    "pledges_open",
];

/// Adds `d` to `unit`'s figures on `day` and in its month, and to the month of the
/// kept subtrees it lies in (upserts: atomic under concurrency). The subtrees' rows
/// are taken first, city before district: every change in a city then waits at the
/// city's row before it holds any other, so two changes never hold rows the other
/// needs (a transaction that changes several cities takes them in code order: see
/// [`bump_all`]).
pub async fn bump(
    conn: &impl ConnectionTrait,
    unit: &UnitCode,
    day: NaiveDate,
    d: Delta,
) -> ServiceResult<()> {
    if d == Delta::default() {
        return Ok(());
    }
    let month = month_of(day);
    let kept = kept_subtrees(unit);
    if !kept.is_empty() {
        upsert(conn, "subtree_monthly", "month", &kept, month, &d).await?;
    }
    upsert(conn, "unit_daily", "day", &[unit.as_str()], day, &d).await?;
    upsert(conn, "unit_monthly", "month", &[unit.as_str()], month, &d).await
}

/// Several changes in one transaction, taken in the order of their units' codes so
/// that two transactions changing the same cities lock their rows in the same order.
pub async fn bump_all(
    conn: &impl ConnectionTrait,
    mut changes: Vec<(UnitCode, NaiveDate, Delta)>,
) -> ServiceResult<()> {
    changes.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    for (unit, day, d) in changes {
        bump(conn, &unit, day, d).await?;
    }
    Ok(())
}

/// Levels whose subtrees' monthly sums are kept (`subtree_monthly`): a statistic of a
/// unit whose children are at one of them reads one row per child and month, and its
/// own months. Lower levels are read from their units' months (a district's: a few
/// thousand rows), since each level kept costs a row per change; the province is not
/// kept, so that a province's changes do not all wait at one row.
pub const KEPT_SUBTREES: [Level; 2] = [Level::City, Level::District];

/// The codes of the kept subtrees `unit` lies in (itself included), root first.
fn kept_subtrees(unit: &UnitCode) -> Vec<&str> {
    let code = unit.as_str();
    KEPT_SUBTREES
        .iter()
        .map(|l| l.code_len())
        .filter(|len| *len <= code.len())
        .map(|len| &code[..len])
        .collect()
}

/// The first day of `day`'s month.
pub fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Adds `d` to the rows of `table` keyed by each of `units` and `date` (in column
/// `key`), in one statement (which locks them in the order given).
async fn upsert(
    conn: &impl ConnectionTrait,
    table: &'static str,
    key: &'static str,
    units: &[&str],
    date: NaiveDate,
    d: &Delta,
) -> ServiceResult<()> {
    use sea_orm::sea_query::{Alias, Query};
    let mut columns = vec![Alias::new("unit_code"), Alias::new(key)];
    columns.extend(COLUMNS.map(Alias::new));
    let mut on_conflict = OnConflict::columns([Alias::new("unit_code"), Alias::new(key)]);
    for c in COLUMNS {
        on_conflict.value(
            Alias::new(c),
            Expr::cust(format!("{table}.{c} + excluded.{c}")),
        );
    }
    let mut insert = Query::insert();
    insert.into_table(Alias::new(table)).columns(columns);
    for unit in units {
        let mut values = vec![Expr::val(unit.to_string()), Expr::val(date)];
        values.extend(d.values().map(Expr::val));
        insert
            .values(values)
            .map_err(|e| ServiceError::Database(DbErr::Custom(e.to_string())))?;
    }
    insert.on_conflict(on_conflict);
    conn.execute(&insert).await?;
    Ok(())
}

/// The charity columns of a row that counts none.
const NO_CHARITY: &str = "0, 0, 0, 0, 0";
/// The volunteer columns of a row that counts none.
const NO_VOLUNTEERS: &str = "0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0";

/// Recomputes every figure from the rows it counts, attributing stocks to each row's
/// current unit on the day it was registered (granted). Run after bulk loads.
pub async fn rebuild(conn: &impl ConnectionTrait) -> ServiceResult<()> {
    let backend = conn.get_database_backend();
    // The China Standard Time day of a timestamp column, per backend.
    let day = |col: &str| match backend {
        DbBackend::Postgres => format!("(({col}) AT TIME ZONE 'Asia/Shanghai')::date"),
        _ => format!("date({col}, '+8 hours')"),
    };
    let sources = [
        // volunteers, party members, party members at their home unit
        format!(
            "SELECT unit_code, {d} AS day, COUNT(*) AS volunteers, \
             SUM(CASE WHEN party_member THEN 1 ELSE 0 END) AS party_members, 0 AS party_reporting, \
             SUM(CASE WHEN stars = 1 THEN 1 ELSE 0 END) AS stars1, SUM(CASE WHEN stars = 2 THEN 1 ELSE 0 END) AS stars2, \
             SUM(CASE WHEN stars = 3 THEN 1 ELSE 0 END) AS stars3, SUM(CASE WHEN stars = 4 THEN 1 ELSE 0 END) AS stars4, \
             SUM(CASE WHEN stars = 5 THEN 1 ELSE 0 END) AS stars5, \
             0 AS half_hours, 0 AS records, 0 AS activities_held, 0 AS people_served, \
             0 AS raised_fen, 0 AS donations, 0 AS disbursed_fen, 0 AS fund_net_fen, 0 AS pledges_open \
             FROM volunteer GROUP BY unit_code, {d}",
            d = day("created_at")
        ),
        // party members counted at the community they report to
        format!(
            "SELECT reported_unit_code, {d}, 0, 0, COUNT(*), 0, 0, 0, 0, 0, 0, 0, 0, 0, {z} \
             FROM volunteer WHERE party_member AND reported_unit_code IS NOT NULL \
             GROUP BY reported_unit_code, {d}",
            d = day("created_at"),
            z = NO_CHARITY,
        ),
        format!(
            "SELECT unit_code, {d}, 0, 0, 0, 0, 0, 0, 0, 0, SUM(half_hours), \
             SUM(CASE WHEN corrects_id IS NULL THEN 1 ELSE 0 END), 0, 0, {z} \
             FROM service_record WHERE state = 'approved' GROUP BY unit_code, {d}",
            d = day("started_at"),
            z = NO_CHARITY,
        ),
        format!(
            "SELECT unit_code, {d}, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, COUNT(*), SUM(COALESCE(people_served, 0)), {z} \
             FROM activity WHERE state = 'closed' GROUP BY unit_code, {d}",
            d = day("starts_at"),
            z = NO_CHARITY,
        ),
        // Money, from the ledger by the day each entry is booked on, at the unit of
        // the fund each line moves: every fund line changes the balance; a donation
        // (or the reversal of one) adds to (takes from) money raised, a payment (or
        // its reversal) to money paid out.
        format!(
            "SELECT f.unit_code, e.booked_on, {v}, \
             CAST(SUM(CASE WHEN e.kind = 'donation' THEN l.amount_fen \
                  WHEN e.kind = 'reversal' AND r.kind = 'donation' THEN l.amount_fen ELSE 0 END) AS BIGINT), \
             SUM(CASE WHEN e.kind = 'donation' THEN 1 \
                  WHEN e.kind = 'reversal' AND r.kind = 'donation' THEN -1 ELSE 0 END), \
             CAST(SUM(CASE WHEN e.kind = 'disbursement' THEN -l.amount_fen \
                  WHEN e.kind = 'reversal' AND r.kind = 'disbursement' THEN -l.amount_fen ELSE 0 END) AS BIGINT), \
             CAST(SUM(l.amount_fen) AS BIGINT), 0 \
             FROM ledger_line l JOIN ledger_entry e ON e.id = l.entry_id \
             JOIN fund f ON f.id = l.fund_id \
             LEFT JOIN ledger_entry r ON r.id = e.reverses_id \
             GROUP BY f.unit_code, e.booked_on",
            v = NO_VOLUNTEERS,
        ),
        // Pledges: open from the day made until fulfilled or lapsed (the day after
        // the due day), whichever comes first.
        format!(
            "SELECT unit_code, {d}, {v}, 0, 0, 0, 0, 1 FROM pledge \
             UNION ALL \
             SELECT unit_code, CASE WHEN fulfilled_on IS NOT NULL AND fulfilled_on <= due_on \
                 THEN fulfilled_on ELSE {lapse} END, {v}, 0, 0, 0, 0, -1 FROM pledge",
            d = day("created_at"),
            v = NO_VOLUNTEERS,
            lapse = match backend {
                DbBackend::Postgres => "due_on + 1",
                _ => "date(due_on, '+1 day')",
            },
        ),
    ];
    let cols = COLUMNS.join(", ");
    let sums = COLUMNS
        .iter()
        .map(|c| format!("SUM({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    let union = sources.join(" UNION ALL ");
    let insert = format!(
        "INSERT INTO unit_daily (unit_code, day, {cols}) \
         SELECT unit_code, day, {sums} FROM ({union}) AS s (unit_code, day, {cols}) \
         GROUP BY unit_code, day"
    );
    // SQLite names a subquery's columns from its first SELECT; PostgreSQL takes the
    // column list. The first SELECT names them all, so SQLite needs no list.
    let insert = match backend {
        DbBackend::Postgres => insert,
        _ => insert.replace(&format!(" AS s (unit_code, day, {cols})"), " AS s"),
    };
    conn.execute_unprepared("DELETE FROM unit_daily").await?;
    conn.execute_raw(Statement::from_string(backend, insert))
        .await?;
    let month = match backend {
        DbBackend::Postgres => "CAST(date_trunc('month', day) AS date)",
        _ => "date(day, 'start of month')",
    };
    conn.execute_unprepared("DELETE FROM unit_monthly").await?;
    conn.execute_unprepared(&format!(
        "INSERT INTO unit_monthly (unit_code, month, {cols}) \
         SELECT unit_code, {month}, {sums} FROM unit_daily GROUP BY unit_code, {month}"
    ))
    .await?;
    conn.execute_unprepared("DELETE FROM subtree_monthly")
        .await?;
    for len in KEPT_SUBTREES.map(Level::code_len) {
        conn.execute_unprepared(&format!(
            "INSERT INTO subtree_monthly (unit_code, month, {cols}) \
             SELECT substr(unit_code, 1, {len}), month, {sums} FROM unit_monthly \
             WHERE length(unit_code) >= {len} GROUP BY substr(unit_code, 1, {len}), month"
        ))
        .await?;
    }
    Ok(())
}

/// How the kept figures give the number of volunteers the caller reads.
pub(super) enum KeptVolunteers {
    /// They do not: the caller reads only their own record.
    NotKept,
    /// None: `under` is outside the caller's reach.
    Zero,
    /// The sum this one-row statement selects (NULL: no rows, 0).
    Sum(Box<SelectStatement>),
}

/// The number of volunteers the caller may read under `under` (or in its whole
/// scope), as a statement summing the kept figures: the months of the kept subtrees
/// when every subtree of the caller's plan is one (a district's or a city's own
/// rows, one a month), else one range of units' months per subtree. A page reads it
/// beside its rows ([`kept_sum`] runs it alone).
pub(super) fn kept_volunteers(cx: &Ctx, under: Option<&UnitCode>) -> ServiceResult<KeptVolunteers> {
    use policies::{Action, Resource};
    use sea_orm::{ColumnTrait, Condition, QueryFilter, QuerySelect, QueryTrait};
    let scope = cx.access().plan(Resource::Volunteer, Action::Read)?;
    if scope.own.is_some() {
        return Ok(KeptVolunteers::NotKept);
    }
    // The caller's reach narrowed to `under`: one subtree per subtree of the plan
    // (none: everything).
    let subtrees: Option<Vec<&UnitCode>> = match (scope.public, under) {
        (true, None) => None,
        (true, Some(u)) => Some(vec![u]),
        (false, _) => {
            // The plan's subtrees are disjoint (nested grants are normalised to the
            // outermost), so the kept subtrees' rows can be added up.
            let reach: Vec<&UnitCode> = scope
                .subtrees
                .iter()
                .filter_map(|(s, _)| match under {
                    None => Some(*s),
                    Some(u) if s.contains(u) => Some(u),
                    Some(u) if u.contains(s) => Some(*s),
                    Some(_) => None,
                })
                .collect();
            if reach.is_empty() {
                return Ok(KeptVolunteers::Zero);
            }
            Some(reach)
        }
    };
    let total = Expr::cust("CAST(SUM(volunteers) AS BIGINT)");
    let statement = match subtrees {
        Some(s) if s.iter().all(|u| KEPT_SUBTREES.contains(&u.level())) => {
            super::scoped::unscoped::<subtree_monthly::Entity>(
                "kept subtree figures, filtered to the caller's scope by the caller",
            )
            .select_only()
            .column_as(total, "n")
            .filter(subtree_monthly::Column::UnitCode.is_in(s.iter().map(|u| u.as_str())))
            .into_query()
        }
        subtrees => {
            // Every day is in its month: the months hold the same sum in fewer rows.
            let col = unit_monthly::Column::UnitCode;
            let condition = match subtrees {
                None => Condition::all(),
                Some(s) => s.iter().fold(Condition::any(), |any, u| {
                    any.add(super::ranges::subtree(col, u))
                }),
            };
            super::scoped::unscoped::<unit_monthly::Entity>(
                "kept daily figures, filtered to the caller's scope by the caller",
            )
            .select_only()
            .column_as(total, "n")
            .filter(condition)
            .into_query()
        }
    };
    Ok(KeptVolunteers::Sum(Box::new(statement)))
}

/// Runs a [`KeptVolunteers::Sum`] statement.
pub(super) async fn kept_sum(
    conn: &impl ConnectionTrait,
    sum: &SelectStatement,
) -> ServiceResult<u64> {
    let n = match conn.query_one(sum).await? {
        Some(row) => row.try_get_by_index::<Option<i64>>(0)?,
        None => None,
    };
    Ok(u64::try_from(n.unwrap_or(0)).unwrap_or(0))
}
