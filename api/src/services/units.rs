//! The unit hierarchy: lookups, lists and counts. Every query here is a keyed lookup
//! or an index range on `code`; no recursive walks.

use std::collections::HashMap;

use entity::unit;
use policies::{Level, UnitCode};
use sea_orm::sea_query::{Asterisk, Expr, LikeExpr, Order, Query};
use sea_orm::ExprTrait;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::error::{ServiceError, ServiceResult};
use crate::pagination::{Page, PageRequest};
use crate::services::ranges;

/// A unit as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRecord {
    pub id: i64,
    pub code: UnitCode,
    pub name: String,
    pub level: Level,
    pub parent_code: Option<UnitCode>,
}

impl TryFrom<unit::Model> for UnitRecord {
    type Error = ServiceError;
    fn try_from(m: unit::Model) -> ServiceResult<Self> {
        // Rows are validated on the way in; a bad one here means the table was edited
        // behind our back, which is an internal error, not the caller's.
        let corrupt = |what: &str| {
            ServiceError::Database(DbErr::Custom(format!("unit {} has a bad {what}", m.id)))
        };
        Ok(UnitRecord {
            id: m.id,
            code: UnitCode::parse(&m.code).map_err(|_| corrupt("code"))?,
            level: m.level.parse().map_err(|_| corrupt("level"))?,
            parent_code: m
                .parent_code
                .as_deref()
                .map(UnitCode::parse)
                .transpose()
                .map_err(|_| corrupt("parent code"))?,
            name: m.name,
        })
    }
}

fn records(models: Vec<unit::Model>) -> ServiceResult<Vec<UnitRecord>> {
    models.into_iter().map(UnitRecord::try_from).collect()
}

#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub level: Option<Level>,
    /// Only units strictly below this one.
    pub under: Option<UnitCode>,
    /// Substring of the name.
    pub search: Option<String>,
}

pub const MAX_SEARCH_LEN: usize = 100;

impl UnitFilter {
    fn condition(&self) -> ServiceResult<Condition> {
        let mut cond = Condition::all();
        if let Some(level) = self.level {
            cond = cond.add(unit::Column::Level.eq(level.as_str()));
        }
        if let Some(under) = &self.under {
            cond = cond.add(ranges::descendants(unit::Column::Code, under));
        }
        if let Some(search) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if search.chars().count() > MAX_SEARCH_LEN {
                return Err(ServiceError::bad_input(format!(
                    "`search` must be at most {MAX_SEARCH_LEN} characters"
                )));
            }
            cond = cond
                .add(unit::Column::Name.like(LikeExpr::new(like_contains(search)).escape('\\')));
        }
        Ok(cond)
    }
}

/// `%text%` with LIKE's wildcards in `text` taken literally.
fn like_contains(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

pub async fn by_code(
    db: &impl ConnectionTrait,
    code: &UnitCode,
) -> ServiceResult<Option<UnitRecord>> {
    unit::Entity::find()
        .filter(unit::Column::Code.eq(code.as_str()))
        .one(db)
        .await?
        .map(UnitRecord::try_from)
        .transpose()
}

pub async fn by_id(db: &impl ConnectionTrait, id: i64) -> ServiceResult<Option<UnitRecord>> {
    unit::Entity::find_by_id(id)
        .one(db)
        .await?
        .map(UnitRecord::try_from)
        .transpose()
}

pub async fn by_codes(
    db: &impl ConnectionTrait,
    codes: &[String],
) -> ServiceResult<Vec<UnitRecord>> {
    if codes.is_empty() {
        return Ok(Vec::new());
    }
    records(
        unit::Entity::find()
            .filter(unit::Column::Code.is_in(codes.iter().map(String::as_str)))
            .all(db)
            .await?,
    )
}

/// Fails with NOT_FOUND when the unit a filter hangs under does not exist, so that a
/// typo is not mistaken for an empty subtree.
pub async fn require(db: &impl ConnectionTrait, code: &UnitCode) -> ServiceResult<UnitRecord> {
    by_code(db, code)
        .await?
        .ok_or(ServiceError::NotFound("unit"))
}

pub async fn list(
    db: &impl ConnectionTrait,
    filter: &UnitFilter,
    page: &PageRequest,
) -> ServiceResult<Page<UnitRecord>> {
    let mut query = unit::Entity::find().filter(filter.condition()?);
    if let Some(after) = &page.after {
        query = query.filter(unit::Column::Code.gt(after.as_str()));
    }
    let rows = query
        .order_by_asc(unit::Column::Code)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(records(rows)?, page))
}

pub async fn count(db: &impl ConnectionTrait, filter: &UnitFilter) -> ServiceResult<u64> {
    Ok(unit::Entity::find()
        .filter(filter.condition()?)
        .count(db)
        .await?)
}

pub async fn descendant_count(
    db: &impl ConnectionTrait,
    code: &UnitCode,
    level: Option<Level>,
) -> ServiceResult<u64> {
    count(
        db,
        &UnitFilter {
            level,
            under: Some(code.clone()),
            search: None,
        },
    )
    .await
}

/// The first `limit` children of each parent, in code order, in one query (a window
/// per parent), for the children lists of many units at once.
pub async fn first_children(
    db: &impl ConnectionTrait,
    parents: &[String],
    limit: u64,
) -> ServiceResult<HashMap<String, Vec<UnitRecord>>> {
    let mut out: HashMap<String, Vec<UnitRecord>> = HashMap::new();
    if parents.is_empty() || limit == 0 {
        return Ok(out);
    }
    let inner = Query::select()
        .columns([
            unit::Column::Id,
            unit::Column::Code,
            unit::Column::Name,
            unit::Column::Level,
            unit::Column::ParentCode,
            unit::Column::CreatedAt,
            unit::Column::UpdatedAt,
        ])
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY parent_code ORDER BY code)"),
            "rn",
        )
        .from(unit::Entity)
        .and_where(unit::Column::ParentCode.is_in(parents.iter().map(String::as_str)))
        .to_owned();
    let outer = Query::select()
        .column(Asterisk)
        .from_subquery(inner, "children")
        .and_where(Expr::col("rn").lte(limit as i64))
        .order_by("code", Order::Asc)
        .to_owned();
    let stmt = db.get_database_backend().build(&outer);
    let rows = unit::Model::find_by_statement(stmt).all(db).await?;
    for rec in records(rows)? {
        if let Some(p) = &rec.parent_code {
            out.entry(p.to_string()).or_default().push(rec);
        }
    }
    Ok(out)
}

/// One page of one unit's children (used when a cursor is given).
pub async fn children_page(
    db: &impl ConnectionTrait,
    parent: &str,
    page: &PageRequest,
) -> ServiceResult<Page<UnitRecord>> {
    let mut query = unit::Entity::find().filter(unit::Column::ParentCode.eq(parent));
    if let Some(after) = &page.after {
        query = query.filter(unit::Column::Code.gt(after.as_str()));
    }
    let rows = query
        .order_by_asc(unit::Column::Code)
        .limit(page.first + 1)
        .all(db)
        .await?;
    Ok(Page::from_overfetch(records(rows)?, page))
}

pub async fn child_counts(
    db: &impl ConnectionTrait,
    parents: &[String],
) -> ServiceResult<HashMap<String, u64>> {
    if parents.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<String>, i64)> = unit::Entity::find()
        .select_only()
        .column(unit::Column::ParentCode)
        .column_as(unit::Column::Id.count(), "n")
        .filter(unit::Column::ParentCode.is_in(parents.iter().map(String::as_str)))
        .group_by(unit::Column::ParentCode)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(p, n)| p.map(|p| (p, u64::try_from(n).unwrap_or(0))))
        .collect())
}

pub async fn is_empty(db: &impl ConnectionTrait) -> ServiceResult<bool> {
    Ok(unit::Entity::find().count(db).await? == 0)
}
