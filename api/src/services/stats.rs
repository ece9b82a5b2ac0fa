//! Figures an office reports upward, for a unit's subtree and broken down by its
//! children: aggregate queries over the unit-code index ranges, never rows loaded.

use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::{fund, organization, station, subtree_monthly, team, unit, unit_daily, unit_monthly};
use policies::{Action, Level, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter,
    QuerySelect, Select,
};

use crate::error::{Reason, ServiceResult};
use crate::services::{daily, ranges, Ctx};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    /// Registered at the end of the period.
    pub volunteers: i64,
    /// Registered (or moved in, net) during the period.
    pub new_volunteers: i64,
    pub party_members: i64,
    /// Party members reporting to a community here (在职党员回社区报到), counted at
    /// the community they report to.
    pub party_members_reporting: i64,
    pub teams: u64,
    pub organizations: u64,
    /// Closed activities that started in the period.
    pub activities_held: i64,
    pub people_served: i64,
    /// Approved service hours served in the period, in half hours.
    pub half_hours: i64,
    pub records: i64,
    /// Volunteers holding 1..=5 stars at the end of the period.
    pub stars: [i64; 5],
    /// Community charity funds opened by the end of the period and not closed by then.
    pub funds: u64,
    /// Money donated in the period, net of voids (fen), and how many donations.
    pub raised_fen: i64,
    pub donations: i64,
    /// Money paid out in the period, net of reversed payments (fen).
    pub disbursed_fen: i64,
    /// What the funds held at the end of the period (fen).
    pub fund_balance_fen: i64,
    /// Pledges open at the end of the period.
    pub pledges_open: i64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StationFigures {
    pub kind: entity::kinds::StationKind,
    pub count: u64,
    pub streets_covered: u64,
    pub communities_covered: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UnitStats {
    pub unit: UnitCode,
    pub figures: Figures,
    pub streets: u64,
    pub communities: u64,
    /// Streets and communities with a fund at them or below (open at the period's end).
    pub streets_with_fund: u64,
    pub communities_with_fund: u64,
    /// Whether the caller may see the charity figures (`fund.read` at the unit).
    pub charity_visible: bool,
    pub stations: Vec<StationFigures>,
    pub children: Vec<(UnitCode, Figures)>,
}

/// Rows in a subtree, optionally created in [from, to).
fn within<E: EntityTrait>(
    q: Select<E>,
    col: E::Column,
    created: Option<E::Column>,
    code: &UnitCode,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> Select<E> {
    let mut q = q.filter(ranges::subtree(col, code));
    if let Some(c) = created {
        if let Some(f) = from {
            q = q.filter(c.gte(f));
        }
        if let Some(t) = to {
            q = q.filter(c.lt(t));
        }
    }
    q
}

/// Counts per child prefix of `col` (the first `len` characters of the unit code).
async fn by_prefix<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    q: Select<E>,
    col: &str,
    len: usize,
) -> ServiceResult<HashMap<String, u64>> {
    let prefix = Expr::cust(format!("substr({col}, 1, {len})"));
    let rows: Vec<(String, i64)> = q
        .select_only()
        .column_as(prefix.clone(), "prefix")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(prefix)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(p, n)| (p, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// Sums of the kept figures per unit-code prefix of length `len`: stocks up to the
/// end of day `to`, flows from `from`. Whole months come from the monthly sums, days
/// only where the period cuts a month: a period that starts with the records or on
/// a month's first day reads its last month whole too, less the days after `to`
/// ([`months_less_days`]); one that starts mid-month reads the days from its first
/// month on ([`days_from_mid_month`]). A district's year is a dozen rows per unit
/// instead of a few hundred.
async fn daily_figures(
    conn: &impl ConnectionTrait,
    code: &UnitCode,
    len: usize,
    from: Option<NaiveDate>,
    to: NaiveDate,
) -> ServiceResult<HashMap<String, Figures>> {
    match from {
        Some(f) if f.day() != 1 => days_from_mid_month(conn, code, len, f, to).await,
        _ => months_less_days(conn, code, len, from, to).await,
    }
}

/// The months before `from`'s from the monthly sums, and the days from that month's
/// first to `to` from the daily rows; flows count from `from` in both (every month
/// read whole lies wholly before it).
async fn days_from_mid_month(
    conn: &impl ConnectionTrait,
    code: &UnitCode,
    len: usize,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<HashMap<String, Figures>> {
    let edge = daily::month_of(from);
    let days = super::scoped::unscoped::<unit_daily::Entity>(
        "kept daily figures of a unit the caller may read (checked above)",
    )
    .filter(ranges::subtree(unit_daily::Column::UnitCode, code))
    .filter(unit_daily::Column::Day.gte(edge))
    .filter(unit_daily::Column::Day.lte(to));
    // Two scans of different tables: side by side, each on a connection of its own.
    let (mut out, days) = tokio::try_join!(
        month_sums(conn, code, len, Some(edge), Some(from)),
        sums(conn, days, "day", len, Some(from))
    )?;
    for (prefix, f) in days {
        out.entry(prefix).or_default().add(&f);
    }
    Ok(out)
}

/// The months up to `to`'s from the monthly sums, less that month's days after
/// `to`: few rows — a fact dated ahead, such as a pledge lapsing on its due day, or
/// a past period's remaining days — where reading the month's days up to `to` would
/// read every unit's day so far, so that a city's figures cost more each day of the
/// month (5,300 daily rows on its 7th, against 3,000 monthly ones and 150 days
/// ahead). Flows count from `from`, a month's first day or none, so whole months
/// split nowhere; every day taken off lies after it.
async fn months_less_days(
    conn: &impl ConnectionTrait,
    code: &UnitCode,
    len: usize,
    from: Option<NaiveDate>,
    to: NaiveDate,
) -> ServiceResult<HashMap<String, Figures>> {
    let month = daily::month_of(to);
    let next = month.checked_add_months(chrono::Months::new(1));
    let after = async {
        // `to` ends its month: no day of it is left to take off.
        if to.succ_opt().is_none_or(|d| d.day() == 1) {
            return Ok(HashMap::new());
        }
        let mut days = super::scoped::unscoped::<unit_daily::Entity>(
            "kept daily figures of a unit the caller may read (checked above)",
        )
        .filter(ranges::subtree(unit_daily::Column::UnitCode, code))
        .filter(unit_daily::Column::Day.gt(to));
        if let Some(next) = next {
            days = days.filter(unit_daily::Column::Day.lt(next));
        }
        sums(conn, days, "day", len, from).await
    };
    let (mut out, after) = tokio::try_join!(month_sums(conn, code, len, next, from), after)?;
    for (prefix, f) in after {
        out.entry(prefix).or_default().merge(&f, -1);
    }
    Ok(out)
}

/// The monthly sums of `code`'s subtree per code prefix of length `len`, for the
/// months before `before` (all when `None`); flows from `from`. When the prefixes
/// are kept subtrees (a city's districts, a province's cities) they are read from
/// `subtree_monthly` — one row per child and month — with the unit's own months
/// beside them (keyed by its code, as a prefix of it would be); otherwise from every
/// unit's months.
async fn month_sums(
    conn: &impl ConnectionTrait,
    code: &UnitCode,
    len: usize,
    before: Option<NaiveDate>,
    from: Option<NaiveDate>,
) -> ServiceResult<HashMap<String, Figures>> {
    let kept = Level::from_code_len(len)
        .is_some_and(|l| len > code.as_str().len() && daily::KEPT_SUBTREES.contains(&l));
    if !kept {
        let mut months = super::scoped::unscoped::<unit_monthly::Entity>(
            "kept monthly figures of a unit the caller may read (checked by unit_stats)",
        )
        .filter(ranges::subtree(unit_monthly::Column::UnitCode, code));
        if let Some(b) = before {
            months = months.filter(unit_monthly::Column::Month.lt(b));
        }
        return sums(conn, months, "month", len, from).await;
    }
    let mut children = super::scoped::unscoped::<subtree_monthly::Entity>(
        "kept subtree figures below a unit the caller may read (checked by unit_stats)",
    )
    .filter(ranges::descendants(subtree_monthly::Column::UnitCode, code))
    // A province's range holds its districts too.
    .filter(Expr::cust(format!("length(unit_code) = {len}")));
    let mut own = super::scoped::unscoped::<unit_monthly::Entity>(
        "kept monthly figures of a unit the caller may read (checked by unit_stats)",
    )
    .filter(unit_monthly::Column::UnitCode.eq(code.as_str()));
    if let Some(b) = before {
        children = children.filter(subtree_monthly::Column::Month.lt(b));
        own = own.filter(unit_monthly::Column::Month.lt(b));
    }
    let (mut out, own) = tokio::try_join!(
        sums(conn, children, "month", len, from),
        sums(conn, own, "month", len, from)
    )?;
    for (prefix, f) in own {
        out.entry(prefix).or_default().add(&f);
    }
    Ok(out)
}

/// One grouped scan of kept figures (`q`: days or months, dated by `date_col`).
async fn sums<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    q: Select<E>,
    date_col: &str,
    len: usize,
    from: Option<NaiveDate>,
) -> ServiceResult<HashMap<String, Figures>> {
    // Dates are formatted from validated values, so they can stand in the SQL text.
    let flow = |col: &str| match from {
        Some(f) => {
            format!("CAST(SUM(CASE WHEN {date_col} >= '{f}' THEN {col} ELSE 0 END) AS BIGINT)")
        }
        None => format!("CAST(SUM({col}) AS BIGINT)"),
    };
    let prefix = Expr::cust(format!("substr(unit_code, 1, {len})"));
    let mut q = q.select_only().column_as(prefix.clone(), "prefix");
    let stocks = [
        "volunteers",
        "party_members",
        "party_reporting",
        "stars1",
        "stars2",
        "stars3",
        "stars4",
        "stars5",
        "fund_net_fen",
        "pledges_open",
    ];
    for c in stocks {
        // PostgreSQL sums bigints as numeric.
        q = q.column_as(Expr::cust(format!("CAST(SUM({c}) AS BIGINT)")), c);
    }
    for (c, alias) in [
        ("volunteers", "new_volunteers"),
        ("half_hours", "half_hours"),
        ("records", "records"),
        ("activities_held", "activities_held"),
        ("people_served", "people_served"),
        ("raised_fen", "raised_fen"),
        ("donations", "donations"),
        ("disbursed_fen", "disbursed_fen"),
    ] {
        q = q.column_as(Expr::cust(flow(c)), alias);
    }
    let rows = q
        .group_by(prefix)
        .into_model::<DailySums>()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let n = |x: Option<i64>| x.unwrap_or(0);
            (
                r.prefix,
                Figures {
                    volunteers: n(r.volunteers),
                    new_volunteers: n(r.new_volunteers),
                    party_members: n(r.party_members),
                    party_members_reporting: n(r.party_reporting),
                    activities_held: n(r.activities_held),
                    people_served: n(r.people_served),
                    half_hours: n(r.half_hours),
                    records: n(r.records),
                    stars: [
                        n(r.stars1),
                        n(r.stars2),
                        n(r.stars3),
                        n(r.stars4),
                        n(r.stars5),
                    ],
                    teams: 0,
                    organizations: 0,
                    funds: 0,
                    raised_fen: n(r.raised_fen),
                    donations: n(r.donations),
                    disbursed_fen: n(r.disbursed_fen),
                    fund_balance_fen: n(r.fund_net_fen),
                    pledges_open: n(r.pledges_open),
                },
            )
        })
        .collect())
}

#[derive(Debug, FromQueryResult)]
struct DailySums {
    prefix: String,
    volunteers: Option<i64>,
    new_volunteers: Option<i64>,
    party_members: Option<i64>,
    party_reporting: Option<i64>,
    stars1: Option<i64>,
    stars2: Option<i64>,
    stars3: Option<i64>,
    stars4: Option<i64>,
    stars5: Option<i64>,
    half_hours: Option<i64>,
    records: Option<i64>,
    activities_held: Option<i64>,
    people_served: Option<i64>,
    fund_net_fen: Option<i64>,
    pledges_open: Option<i64>,
    raised_fen: Option<i64>,
    donations: Option<i64>,
    disbursed_fen: Option<i64>,
}

impl Figures {
    fn add(&mut self, o: &Figures) {
        self.merge(o, 1);
    }

    /// Adds `sign` (1 or -1) times the kept figures of `o` (not its counts of teams,
    /// organisations and funds, which are not kept).
    fn merge(&mut self, o: &Figures, sign: i64) {
        self.volunteers += sign * o.volunteers;
        self.new_volunteers += sign * o.new_volunteers;
        self.party_members += sign * o.party_members;
        self.party_members_reporting += sign * o.party_members_reporting;
        self.activities_held += sign * o.activities_held;
        self.people_served += sign * o.people_served;
        self.half_hours += sign * o.half_hours;
        self.records += sign * o.records;
        for i in 0..5 {
            self.stars[i] += sign * o.stars[i];
        }
        self.raised_fen += sign * o.raised_fen;
        self.donations += sign * o.donations;
        self.disbursed_fen += sign * o.disbursed_fen;
        self.fund_balance_fen += sign * o.fund_balance_fen;
        self.pledges_open += sign * o.pledges_open;
    }
}

/// Figures of `code`'s subtree for the days `from..=to` (China Standard Time; open
/// ends reach the first or the latest day). The station coverage — of every figure
/// the costliest to count (a city's thousands of stations, grouped three ways) and
/// one a caller often does not ask for — only `with_stations` (else `stations` is
/// empty).
pub async fn unit_stats(
    cx: &Ctx,
    code: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    with_stations: bool,
) -> ServiceResult<UnitStats> {
    let code = super::parse_unit("code", code)?;
    let db = cx.db();
    super::units::require_exists(db, &code).await?;
    // Statistics cover the whole subtree: the caller must hold volunteer reading there.
    cx.access()
        .require(Resource::Volunteer, Action::Read, &code)?;
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(Reason::RANGE_REVERSED.at("to").arg("start", "from").into());
        }
    }
    // An open end is today: stocks kept for later days (a pledge lapsing after its
    // due day) have not happened yet.
    let to_day = to.unwrap_or_else(|| daily::day_of(cx.now()));
    let to = Some(to_day);
    let to_ts = to.map(|t| daily::start_of(t + chrono::Duration::days(1)));
    // One grouped scan of the daily figures gives every figure but teams and
    // organisations, per child unit (or for the unit itself when it has no child
    // level); the subtree's totals are the sums of the groups.
    let group_len = code
        .level()
        .child()
        .map_or(code.as_str().len(), |l| l.code_len());
    let units_of = |level: Level| {
        super::scoped::unscoped::<unit::Entity>(
            "counts in a subtree the caller may read (checked above)",
        )
        .filter(ranges::subtree(unit::Column::Code, &code))
        .filter(unit::Column::Level.eq(level.as_str()))
    };
    let charity_visible = cx
        .access()
        .check(Resource::Fund, Action::Read, &code)?
        .allowed();
    // The statements below do not depend on one another: they run side by side, each
    // on a connection of its own, so a city's figures take about as long as their
    // slowest statement rather than the sum of a dozen (the pool bounds how many run
    // at once; a caller's statements still cost what they cost).
    let (by_child, teams, organizations, coverage, streets, communities, stations, kids) = tokio::try_join!(
        daily_figures(db, &code, group_len, from, to_day),
        async { Ok(teams_within(&code, to_ts).count(db).await?) },
        async { Ok(organizations_within(&code, to_ts).count(db).await?) },
        async {
            let row: Option<(i64, i64, i64)> =
                with_coverage(funds_open_within(&code, to).select_only())
                    .into_tuple()
                    .one(db)
                    .await?;
            Ok(row.unwrap_or_default())
        },
        async { Ok(units_of(Level::Street).count(db).await?) },
        async { Ok(units_of(Level::Community).count(db).await?) },
        async {
            match with_stations {
                true => station_coverage(db, &code).await,
                false => Ok(Vec::new()),
            }
        },
        child_counts(db, &code, to_ts, to),
    )?;
    let mut figures = Figures::default();
    for f in by_child.values() {
        figures.add(f);
    }
    figures.teams = teams;
    figures.organizations = organizations;
    let (funds, streets_with_fund, communities_with_fund) = coverage;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    figures.funds = count(funds);
    Ok(UnitStats {
        streets,
        charity_visible,
        streets_with_fund: count(streets_with_fund),
        communities_with_fund: count(communities_with_fund),
        communities,
        stations,
        children: child_figures(&by_child, kids),
        unit: code,
        figures,
    })
}

/// Teams in `code`'s subtree that existed by `to`.
fn teams_within(code: &UnitCode, to: Option<DateTime<Utc>>) -> Select<team::Entity> {
    within(
        super::scoped::unscoped::<team::Entity>(
            "counts in a subtree the caller may read (checked by unit_stats)",
        ),
        team::Column::UnitCode,
        Some(team::Column::CreatedAt),
        code,
        None,
        to,
    )
}

/// Funds in `code`'s subtree open at the end of day `to` (now when `None`). Funds
/// number in the hundreds, so counting them is cheap.
fn funds_open_within(code: &UnitCode, to: Option<NaiveDate>) -> Select<fund::Entity> {
    let mut q = super::scoped::unscoped::<fund::Entity>(
        "counts in a subtree the caller may read (checked by unit_stats)",
    )
    .filter(ranges::subtree(fund::Column::UnitCode, code));
    match to {
        Some(t) => {
            q = q.filter(fund::Column::OpenedOn.lte(t)).filter(
                sea_orm::Condition::any()
                    .add(fund::Column::ClosedOn.is_null())
                    .add(fund::Column::ClosedOn.gt(t)),
            )
        }
        None => q = q.filter(fund::Column::ClosedOn.is_null()),
    }
    q
}

/// Organisations in `code`'s subtree that existed by `to`.
fn organizations_within(
    code: &UnitCode,
    to: Option<DateTime<Utc>>,
) -> Select<organization::Entity> {
    within(
        super::scoped::unscoped::<organization::Entity>(
            "counts in a subtree the caller may read (checked by unit_stats)",
        ),
        organization::Column::UnitCode,
        Some(organization::Column::CreatedAt),
        code,
        None,
        to,
    )
}

/// Adds to a `select_only` query of rows with a `unit_code` how many there are (`n`),
/// and at how many distinct streets and communities they sit or lie below
/// (`streets`, `communities`).
fn with_coverage<E: EntityTrait>(q: Select<E>) -> Select<E> {
    let covered = |len: usize| {
        Expr::cust(format!(
            "COUNT(DISTINCT CASE WHEN length(unit_code) >= {len} THEN substr(unit_code, 1, {len}) END)"
        ))
    };
    q.column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(covered(Level::Street.code_len()), "streets")
        .column_as(covered(Level::Community.code_len()), "communities")
}

/// Open stations of each kind in the subtree, and how many streets and communities
/// have one (a street or community is covered when a station sits at it or below).
/// One grouped statement for every kind.
async fn station_coverage(
    db: &sea_orm::DatabaseConnection,
    code: &UnitCode,
) -> ServiceResult<Vec<StationFigures>> {
    use entity::kinds::StationKind;
    use sea_orm::Iterable;
    let rows: Vec<(StationKind, i64, i64, i64)> = with_coverage(
        within(
            super::scoped::unscoped::<station::Entity>(
                "counts in a subtree the caller may read (checked by unit_stats)",
            ),
            station::Column::UnitCode,
            None,
            code,
            None,
            None,
        )
        .filter(station::Column::ClosedOn.is_null())
        .select_only()
        .column(station::Column::Kind),
    )
    .group_by(station::Column::Kind)
    .into_tuple()
    .all(db)
    .await?;
    let count = |n: i64| u64::try_from(n).unwrap_or(0);
    Ok(StationKind::iter()
        .map(|kind| {
            let found = rows.iter().find(|r| r.0 == kind);
            StationFigures {
                kind,
                count: found.map_or(0, |r| count(r.1)),
                streets_covered: found.map_or(0, |r| count(r.2)),
                communities_covered: found.map_or(0, |r| count(r.3)),
            }
        })
        .collect())
}

/// What the children's figures add to the kept ones: each child unit with its
/// teams, organisations and open funds, one grouped query per table (the four side
/// by side). Empty for a unit with no child level.
async fn child_counts(
    db: &sea_orm::DatabaseConnection,
    code: &UnitCode,
    to: Option<DateTime<Utc>>,
    to_day: Option<NaiveDate>,
) -> ServiceResult<Vec<(UnitCode, [u64; 3])>> {
    let Some(child_level) = code.level().child() else {
        return Ok(Vec::new());
    };
    let len = child_level.code_len();
    let kids = async {
        Ok(super::scoped::unscoped::<unit::Entity>(
            "the children of a unit the caller may read (checked by unit_stats)",
        )
        .filter(unit::Column::ParentCode.eq(code.as_str()))
        .all(db)
        .await?)
    };
    let (team_by, org_by, fund_by, kids) = tokio::try_join!(
        by_prefix(db, teams_within(code, to), "unit_code", len),
        by_prefix(db, organizations_within(code, to), "unit_code", len),
        by_prefix(db, funds_open_within(code, to_day), "unit_code", len),
        kids,
    )?;
    let mut kids: Vec<UnitCode> = kids
        .iter()
        .filter_map(|u| UnitCode::parse(&u.code).ok())
        .collect();
    kids.sort();
    Ok(kids
        .into_iter()
        .map(|child| {
            let get = |m: &HashMap<String, u64>| m.get(child.as_str()).copied().unwrap_or(0);
            let counts = [get(&team_by), get(&org_by), get(&fund_by)];
            (child, counts)
        })
        .collect())
}

/// Each child's kept figures with its counts (`child_counts`).
fn child_figures(
    by_child: &HashMap<String, Figures>,
    kids: Vec<(UnitCode, [u64; 3])>,
) -> Vec<(UnitCode, Figures)> {
    kids.into_iter()
        .map(|(child, [teams, organizations, funds])| {
            let mut f = by_child.get(child.as_str()).cloned().unwrap_or_default();
            f.teams = teams;
            f.organizations = organizations;
            f.funds = funds;
            (child, f)
        })
        .collect()
}
