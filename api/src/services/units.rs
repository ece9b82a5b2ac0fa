//! The unit hierarchy: lookups, lists and counts. Every query here is a keyed lookup
//! or an index range on `code`; no recursive walks.

use std::collections::HashMap;

use async_graphql::dataloader::Loader;
use async_graphql::ErrorExtensions;
use policies::{Action, Resource};
use sea_orm::{ActiveValue::Set, Select, TransactionTrait};
use serde_json::json;

use entity::unit;
use policies::{Level, UnitCode};
use sea_orm::sea_query::{Asterisk, Expr, LikeExpr, Order, Query};
use sea_orm::ExprTrait;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DbErr, FromQueryResult, PaginatorTrait, QueryFilter,
    QuerySelect,
};

use crate::error::{Problem, Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::{ranges, scoped, Ctx};

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

/// What units can be sorted by.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitOrderField {
    /// By division code (the default): a unit comes before the units below it.
    Code,
    /// By name, in the database's collation.
    Name,
}

fn sort(order: Option<(UnitOrderField, OrderDirection)>) -> super::Sort<unit::Entity> {
    use unit::Column as C;
    match order {
        None => super::Sort::new([C::Code], OrderDirection::Asc),
        // Codes are unique: the code alone is the key.
        Some((UnitOrderField::Code, d)) => super::Sort::new([C::Code], d),
        Some((UnitOrderField::Name, d)) => super::Sort::new([C::Name, C::Id], d),
    }
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
        if let Some(search) = self.search_text() {
            if search.chars().count() > MAX_SEARCH_LEN {
                return Err(Reason::TEXT_TOO_LONG
                    .at("search")
                    .arg("max", MAX_SEARCH_LEN)
                    .into());
            }
            cond = cond
                .add(unit::Column::Name.like(LikeExpr::new(like_contains(search)).escape('\\')));
        }
        Ok(cond)
    }

    /// The name searched for, if any (see [`search_text`]).
    fn search_text(&self) -> Option<&str> {
        search_text(self.search.as_deref())
    }
}

/// A list's `search` argument trimmed, if anything is left: blank is no search (no
/// condition, and an exact count), whichever list it filters.
pub(crate) fn search_text(search: Option<&str>) -> Option<&str> {
    search.map(str::trim).filter(|s| !s.is_empty())
}

/// `%text%` with LIKE's wildcards in `text` taken literally.
pub(crate) fn like_contains(text: &str) -> String {
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

/// Existence of a unit regardless of who asks: for validating input that names one.
pub(crate) async fn require_exists(
    conn: &impl ConnectionTrait,
    code: &UnitCode,
) -> ServiceResult<()> {
    let n = scoped::unscoped::<unit::Entity>(
        "whether a unit exists, before the caller's right there is checked",
    )
    .filter(unit::Column::Code.eq(code.as_str()))
    .count(conn)
    .await?;
    if n == 0 {
        return Err(ServiceError::NotFound(Thing::Unit));
    }
    Ok(())
}

/// Unit reads for one caller: every query carries the policy's `unit.read` scope.
#[derive(Clone)]
pub struct UnitReader {
    cx: Ctx,
    /// `None`: the caller may read no unit.
    scope: Option<Condition>,
}

impl UnitReader {
    pub fn new(cx: &Ctx) -> ServiceResult<UnitReader> {
        Ok(UnitReader {
            cx: cx.clone(),
            scope: cx.condition::<unit::Entity>(Action::Read)?,
        })
    }

    fn find(&self) -> Option<Select<unit::Entity>> {
        self.scope.clone().map(|c| {
            scoped::unscoped::<unit::Entity>(
                "the unit reader's base, filtered by the caller's scope right here",
            )
            .filter(c)
        })
    }

    pub async fn by_code(&self, code: &UnitCode) -> ServiceResult<Option<UnitRecord>> {
        let Some(q) = self.find() else {
            return Ok(None);
        };
        // One row by its unique key: the same plan whatever the code.
        q.filter(unit::Column::Code.eq(code.as_str()))
            .one(self.cx.steady_db())
            .await?
            .map(UnitRecord::try_from)
            .transpose()
    }

    pub async fn by_id(&self, id: i64) -> ServiceResult<Option<UnitRecord>> {
        let Some(q) = self.find() else {
            return Ok(None);
        };
        q.filter(unit::Column::Id.eq(id))
            .one(self.cx.steady_db())
            .await?
            .map(UnitRecord::try_from)
            .transpose()
    }

    pub async fn by_codes(&self, codes: &[String]) -> ServiceResult<Vec<UnitRecord>> {
        let Some(q) = self.find().filter(|_| !codes.is_empty()) else {
            return Ok(Vec::new());
        };
        records(
            q.filter(unit::Column::Code.is_in(codes.iter().map(String::as_str)))
                .all(self.cx.db())
                .await?,
        )
    }

    /// NOT_FOUND when the unit does not exist or is out of reach, so that a typo is
    /// not mistaken for an empty subtree.
    pub async fn require(&self, code: &UnitCode) -> ServiceResult<UnitRecord> {
        self.by_code(code)
            .await?
            .ok_or(ServiceError::NotFound(Thing::Unit))
    }

    /// In code order (a unit before the units below it) unless `order` says.
    pub async fn list(
        &self,
        filter: &UnitFilter,
        order: Option<(UnitOrderField, OrderDirection)>,
        page: &PageRequest,
        want_total: bool,
    ) -> ServiceResult<(Page<UnitRecord>, u64)> {
        let Some(q) = self.find() else {
            return Ok((Page::empty(), 0));
        };
        let q = q.filter(filter.condition()?);
        let in_code_order = matches!(order, None | Some((UnitOrderField::Code, _)));
        let conn = if in_code_order {
            self.conn_for(filter)
        } else {
            self.cx.db()
        };
        super::page_as::<unit::Entity, unit::Model, UnitRecord>(
            conn,
            q,
            &sort(order),
            page,
            want_total,
        )
        .await
    }

    /// The steady pool (generic plans) unless the filter searches names. A level and
    /// a code range are answered best along the (level, code) index whatever their
    /// values, which PostgreSQL's generic plan picks, for a street's dozen communities
    /// as for the 155,788 whose codes start with 4 (planning them for their values was
    /// a sixth of PostgreSQL's time on a city's list); a name search's selectivity is
    /// the pattern's, so it is planned for it.
    fn conn_for(&self, filter: &UnitFilter) -> &sea_orm::DatabaseConnection {
        if filter.search_text().is_some() {
            self.cx.db()
        } else {
            self.cx.steady_db()
        }
    }

    pub async fn count(&self, filter: &UnitFilter) -> ServiceResult<u64> {
        let Some(q) = self.find() else { return Ok(0) };
        Ok(q.filter(filter.condition()?)
            .count(self.conn_for(filter))
            .await?)
    }

    pub async fn descendant_count(
        &self,
        code: &UnitCode,
        level: Option<Level>,
    ) -> ServiceResult<u64> {
        self.count(&UnitFilter {
            level,
            under: Some(code.clone()),
            search: None,
        })
        .await
    }

    /// The first `limit` children of each parent, in code order, in one query (a
    /// window per parent), for the children lists of many units at once.
    pub async fn first_children(
        &self,
        parents: &[String],
        limit: u64,
    ) -> ServiceResult<HashMap<String, Vec<UnitRecord>>> {
        let mut out: HashMap<String, Vec<UnitRecord>> = HashMap::new();
        let Some(scope) = self.scope.clone() else {
            return Ok(out);
        };
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
            .cond_where(scope)
            .and_where(unit::Column::ParentCode.is_in(parents.iter().map(String::as_str)))
            .to_owned();
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(inner, "children")
            .and_where(Expr::col("rn").lte(limit as i64))
            .order_by("code", Order::Asc)
            .to_owned();
        let db = self.cx.db();
        let stmt = db.get_database_backend().build(&outer);
        let rows = unit::Model::find_by_statement(stmt).all(db).await?;
        for rec in records(rows)? {
            if let Some(p) = &rec.parent_code {
                out.entry(p.to_string()).or_default().push(rec);
            }
        }
        Ok(out)
    }

    /// One page of one unit's children, in code order (used when a cursor is given).
    pub async fn children_page(
        &self,
        parent: &str,
        page: &PageRequest,
    ) -> ServiceResult<Page<UnitRecord>> {
        let Some(q) = self.find() else {
            return Ok(Page::empty());
        };
        let q = q.filter(unit::Column::ParentCode.eq(parent));
        Ok(super::page_by(&self.cx, q, &sort(None), page, false)
            .await?
            .0)
    }

    pub async fn child_counts(&self, parents: &[String]) -> ServiceResult<HashMap<String, u64>> {
        let Some(q) = self.find().filter(|_| !parents.is_empty()) else {
            return Ok(HashMap::new());
        };
        let rows: Vec<(Option<String>, i64)> = q
            .select_only()
            .column(unit::Column::ParentCode)
            .column_as(unit::Column::Id.count(), "n")
            .filter(unit::Column::ParentCode.is_in(parents.iter().map(String::as_str)))
            .group_by(unit::Column::ParentCode)
            .into_tuple()
            .all(self.cx.db())
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|(p, n)| p.map(|p| (p, u64::try_from(n).unwrap_or(0))))
            .collect())
    }
}

fn parse_name(name: &str) -> ServiceResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Reason::TEXT_LENGTH.at("name").arg("max", 100).into());
    }
    Ok(name.to_owned())
}

/// Adds a unit below an existing one (e.g. a grid below a community).
pub async fn create(
    cx: &Ctx,
    parent_code: &str,
    code: &str,
    name: &str,
) -> ServiceResult<UnitRecord> {
    let parent = UnitCode::parse(parent_code).map_err(|e| Problem::from(e).at("parentCode"))?;
    let code = UnitCode::parse(code).map_err(|e| Problem::from(e).at("code"))?;
    let name = parse_name(name)?;
    if !parent.is_parent_of(&code) {
        return Err(Reason::UNIT_CODE_NOT_CHILD
            .at("code")
            .arg("code", &code)
            .arg("parent", &parent)
            .into());
    }
    let txn = cx.db().begin().await?;
    require_exists(&txn, &parent).await?;
    cx.access()
        .require(Resource::Unit, Action::Create, &parent)?;
    let taken = scoped::unscoped::<unit::Entity>("unit codes are unique across the system")
        .filter(unit::Column::Code.eq(code.as_str()))
        .count(&txn)
        .await?;
    if taken > 0 {
        return Err(Problem::from(Reason::ALREADY_EXISTS)
            .at("code")
            .arg_lang(
                "what",
                &format!("unit code {code}"),
                &format!("区划代码 {code}"),
            )
            .into());
    }
    let now = cx.now();
    let model = sea_orm::ActiveModelTrait::insert(
        unit::ActiveModel {
            code: Set(code.to_string()),
            name: Set(name.clone()),
            level: Set(code.level().as_str().to_owned()),
            parent_code: Set(Some(parent.to_string())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        },
        &txn,
    )
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("unit.create", &code)
            .target("unit", &code)
            .summary(json!({ "code": code, "name": name, "parent": parent })),
    )
    .await?;
    txn.commit().await?;
    model.try_into()
}

pub async fn rename(cx: &Ctx, code: &str, name: &str) -> ServiceResult<UnitRecord> {
    let code = UnitCode::parse(code).map_err(|e| Problem::from(e).at("code"))?;
    let name = parse_name(name)?;
    let txn = cx.db().begin().await?;
    let model = scoped::unscoped::<unit::Entity>(
        "the unit to rename, after the caller's right there was checked",
    )
    .filter(unit::Column::Code.eq(code.as_str()))
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Unit))?;
    cx.access().require(Resource::Unit, Action::Update, &code)?;
    let old = model.name.clone();
    let mut active: unit::ActiveModel = model.into();
    active.name = Set(name.clone());
    active.updated_at = Set(cx.now());
    let model = sea_orm::ActiveModelTrait::update(active, &txn).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("unit.rename", &code)
            .target("unit", &code)
            .summary(json!({ "from": old, "to": name })),
    )
    .await?;
    txn.commit().await?;
    model.try_into()
}

/// Batches unit lookups of one request (parents, ancestors, children) into single
/// queries, within that caller's scope.
pub struct UnitLoader(pub UnitReader);

/// A unit by code.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ByCode(pub String);

/// One page of a unit's children.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildrenOf {
    pub parent: String,
    pub page: PageRequest,
}

/// How many children a unit has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ChildCount(pub String);

impl Loader<ByCode> for UnitLoader {
    type Value = UnitRecord;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ByCode]) -> Result<HashMap<ByCode, UnitRecord>, Self::Error> {
        let codes: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let found = self.0.by_codes(&codes).await.map_err(|e| e.extend())?;
        Ok(found
            .into_iter()
            .map(|u| (ByCode(u.code.to_string()), u))
            .collect())
    }
}

impl Loader<ChildrenOf> for UnitLoader {
    type Value = Page<UnitRecord>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ChildrenOf],
    ) -> Result<HashMap<ChildrenOf, Page<UnitRecord>>, Self::Error> {
        let mut out = HashMap::new();
        // First pages of many parents share one windowed query; a page after a cursor
        // is a client walking one list, fetched on its own.
        let (first_pages, later): (Vec<&ChildrenOf>, Vec<&ChildrenOf>) =
            keys.iter().partition(|k| k.page.cursor.is_none());
        if let Some(limit) = first_pages.iter().map(|k| k.page.size).max() {
            let parents: Vec<String> = first_pages.iter().map(|k| k.parent.clone()).collect();
            let found = self
                .0
                .first_children(&parents, limit + 1)
                .await
                .map_err(|e| e.extend())?;
            for key in first_pages {
                let rows: Vec<UnitRecord> = found
                    .get(&key.parent)
                    .map(|rows| {
                        rows.iter()
                            .take(key.page.size as usize + 1)
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                out.insert(key.clone(), Page::from_overfetch(keyed(rows), &key.page));
            }
        }
        for key in later {
            let page = self
                .0
                .children_page(&key.parent, &key.page)
                .await
                .map_err(|e| e.extend())?;
            out.insert(key.clone(), page);
        }
        Ok(out)
    }
}

impl Loader<ChildCount> for UnitLoader {
    type Value = u64;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ChildCount]) -> Result<HashMap<ChildCount, u64>, Self::Error> {
        let parents: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        let counts = self
            .0
            .child_counts(&parents)
            .await
            .map_err(|e| e.extend())?;
        Ok(keys
            .iter()
            .map(|k| (k.clone(), counts.get(&k.0).copied().unwrap_or(0)))
            .collect())
    }
}

/// Units with their cursors: a unit's code is its place in code order.
/// Rows with their cursors in the pager's form for the code order (`["440104"]`),
/// so a first page of children read in one batch continues through `page_by`.
fn keyed(rows: Vec<UnitRecord>) -> Vec<(String, UnitRecord)> {
    rows.into_iter()
        .map(|u| (serde_json::json!([u.code.as_str()]).to_string(), u))
        .collect()
}
