//! Figures an office reports upward, for a unit's subtree and broken down by its
//! children: aggregate queries over the unit-code index ranges, never rows loaded.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entity::{organization, station, team, unit, volunteer};
use policies::{Action, Level, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, Select,
};

use crate::error::{ServiceError, ServiceResult};
use crate::services::access::Access;
use crate::services::{ranges, stations, Store};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub volunteers: u64,
    pub party_members: u64,
    /// Party members reporting to a community in the subtree (在职党员回社区报到); in a
    /// child's figures, those living in the child who report inside the subtree.
    pub party_members_reporting: u64,
    pub teams: u64,
    pub organizations: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct StationFigures {
    pub kind: &'static str,
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
    pub stations: Vec<StationFigures>,
    pub children: Vec<(UnitCode, Figures)>,
}

/// Rows in a subtree, optionally registered in [from, to).
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

/// Per unit-code prefix of length `len`: (volunteers, party members, party members
/// reporting to a community inside `code`'s subtree), in one grouped scan.
async fn volunteer_figures(
    conn: &impl ConnectionTrait,
    q: Select<volunteer::Entity>,
    code: &UnitCode,
    len: usize,
) -> ServiceResult<HashMap<String, (u64, u64, u64)>> {
    // Unit codes are validated digits, so they can stand in the SQL text as literals.
    let upper = code
        .subtree_upper_bound()
        .map(|ub| format!(" AND reported_unit_code < '{ub}'"))
        .unwrap_or_default();
    let prefix = Expr::cust(format!("substr(unit_code, 1, {len})"));
    let rows: Vec<(String, i64, i64, i64)> = q
        .select_only()
        .column_as(prefix.clone(), "prefix")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("SUM(CASE WHEN party_member THEN 1 ELSE 0 END)"), "party")
        .column_as(
            Expr::cust(format!(
                "SUM(CASE WHEN party_member AND reported_unit_code >= '{code}'{upper} THEN 1 ELSE 0 END)"
            )),
            "reporting",
        )
        .group_by(prefix)
        .into_tuple()
        .all(conn)
        .await?;
    let n = |x: i64| u64::try_from(x).unwrap_or(0);
    Ok(rows
        .into_iter()
        .map(|(p, a, b, c)| (p, (n(a), n(b), n(c))))
        .collect())
}

pub async fn unit_stats(
    store: &Store,
    access: &Access,
    code: &str,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> ServiceResult<UnitStats> {
    let code = super::parse_unit("code", code)?;
    let db = &store.db;
    super::units::require_exists(db, &code).await?;
    // Statistics cover the whole subtree: the caller must hold volunteer reading there.
    access.require(Resource::Volunteer, Action::Read, &code)?;
    if let (Some(f), Some(t)) = (from, to) {
        if t <= f {
            return Err(ServiceError::bad_input("`to` must be after `from`"));
        }
    }
    let vols = || {
        within(
            volunteer::Entity::find(),
            volunteer::Column::UnitCode,
            Some(volunteer::Column::CreatedAt),
            &code,
            from,
            to,
        )
    };
    // One grouped scan of the subtree's volunteers gives every volunteer figure, per
    // child unit (or for the unit itself when it has no child level); the subtree's
    // totals are the sums of the groups.
    let group_len = code
        .level()
        .child()
        .map_or(code.as_str().len(), |l| l.code_len());
    let vol_by = volunteer_figures(db, vols(), &code, group_len).await?;
    let sum = |pick: fn(&(u64, u64, u64)) -> u64| vol_by.values().map(pick).sum::<u64>();
    let figures = Figures {
        volunteers: sum(|v| v.0),
        party_members: sum(|v| v.1),
        party_members_reporting: sum(|v| v.2),
        teams: within(
            team::Entity::find(),
            team::Column::UnitCode,
            Some(team::Column::CreatedAt),
            &code,
            from,
            to,
        )
        .count(db)
        .await?,
        organizations: within(
            organization::Entity::find(),
            organization::Column::UnitCode,
            Some(organization::Column::CreatedAt),
            &code,
            from,
            to,
        )
        .count(db)
        .await?,
    };
    let units_of = |level: Level| {
        unit::Entity::find()
            .filter(ranges::subtree(unit::Column::Code, &code))
            .filter(unit::Column::Level.eq(level.as_str()))
    };
    let streets = units_of(Level::Street).count(db).await?;
    let communities = units_of(Level::Community).count(db).await?;
    let mut station_figures = Vec::new();
    for kind in stations::KINDS {
        let q = || {
            within(
                station::Entity::find(),
                station::Column::UnitCode,
                None,
                &code,
                None,
                None,
            )
            .filter(station::Column::Kind.eq(kind))
            .filter(station::Column::ClosedOn.is_null())
        };
        let count = q().count(db).await?;
        // A street (community) is covered when a station of the kind sits at it or below.
        let covered = |len: usize| async move {
            let n = by_prefix(
                db,
                q().filter(Expr::cust(format!("length(unit_code) >= {len}"))),
                "unit_code",
                len,
            )
            .await?;
            Ok::<u64, ServiceError>(n.len() as u64)
        };
        station_figures.push(StationFigures {
            kind,
            count,
            streets_covered: covered(Level::Street.code_len()).await?,
            communities_covered: covered(Level::Community.code_len()).await?,
        });
    }
    // The same figures for each child unit, one grouped query per table.
    let mut children = Vec::new();
    if let Some(child_level) = code.level().child() {
        let len = child_level.code_len();
        let team_by = by_prefix(
            db,
            within(
                team::Entity::find(),
                team::Column::UnitCode,
                Some(team::Column::CreatedAt),
                &code,
                from,
                to,
            ),
            "unit_code",
            len,
        )
        .await?;
        let org_by = by_prefix(
            db,
            within(
                organization::Entity::find(),
                organization::Column::UnitCode,
                Some(organization::Column::CreatedAt),
                &code,
                from,
                to,
            ),
            "unit_code",
            len,
        )
        .await?;
        let kids = unit::Entity::find()
            .filter(unit::Column::ParentCode.eq(code.as_str()))
            .all(db)
            .await?;
        let mut kids: Vec<UnitCode> = kids
            .iter()
            .filter_map(|u| UnitCode::parse(&u.code).ok())
            .collect();
        kids.sort();
        for child in kids {
            let get = |m: &HashMap<String, u64>| m.get(child.as_str()).copied().unwrap_or(0);
            let v = vol_by.get(child.as_str()).copied().unwrap_or_default();
            let f = Figures {
                volunteers: v.0,
                party_members: v.1,
                party_members_reporting: v.2,
                teams: get(&team_by),
                organizations: get(&org_by),
            };
            children.push((child, f));
        }
    }
    Ok(UnitStats {
        unit: code,
        figures,
        streets,
        communities,
        stations: station_figures,
        children,
    })
}
