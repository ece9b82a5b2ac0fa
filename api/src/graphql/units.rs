//! The unit hierarchy in GraphQL.

use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use policies::{Level, UnitCode};

use crate::error::{Problem, ServiceError, ServiceResult, Thing};
use crate::graphql::connection::{from_page, list, wants_total, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::{cx_of, unit_loader, unit_reader, visible, GqlResult};
use crate::pagination::PageRequest;
use crate::services::units::{
    self, ByCode, ChildCount, ChildrenOf, UnitFilter, UnitOrderField, UnitRecord,
};

/// Level of a unit in the administrative hierarchy.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum UnitLevel {
    /// A province (省).
    Province,
    /// A city (市).
    City,
    /// A district or county (区/县).
    District,
    /// A street or town (街道/镇).
    Street,
    /// A community or village (社区/村).
    Community,
    /// A grid inside a community (网格).
    Grid,
}

impl From<Level> for UnitLevel {
    fn from(l: Level) -> Self {
        match l {
            Level::Province => UnitLevel::Province,
            Level::City => UnitLevel::City,
            Level::District => UnitLevel::District,
            Level::Street => UnitLevel::Street,
            Level::Community => UnitLevel::Community,
            Level::Grid => UnitLevel::Grid,
        }
    }
}

impl From<UnitLevel> for Level {
    fn from(l: UnitLevel) -> Self {
        match l {
            UnitLevel::Province => Level::Province,
            UnitLevel::City => Level::City,
            UnitLevel::District => Level::District,
            UnitLevel::Street => Level::Street,
            UnitLevel::Community => Level::Community,
            UnitLevel::Grid => Level::Grid,
        }
    }
}

fn parse_code(arg: &str, value: &str) -> ServiceResult<UnitCode> {
    UnitCode::parse(value).map_err(|e| Problem::from(e).at(arg.to_owned()).into())
}

/// A node of the administrative hierarchy: city, district, street, community or grid.
pub struct Unit(pub UnitRecord);

crate::graphql::connection::flat_fields!(Unit {
    "id" => id,
    "code" => code,
    "name" => name,
    "level" => level,
});

/// An administrative unit (行政区划): province, city, district, street, community or grid. Every record belongs to one, and callers see units below the ones their roles are at.
#[Object]
impl Unit {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Unit, self.0.id)
    }

    /// Statistical division code; a unit's code extends its parent's.
    async fn code(&self) -> &str {
        self.0.code.as_str()
    }

    /// The unit's name, e.g. 越秀区.
    async fn name(&self) -> &str {
        &self.0.name
    }

    /// Where the unit sits in the hierarchy.
    async fn level(&self) -> UnitLevel {
        self.0.level.into()
    }

    /// The unit directly above, if it is loaded.
    async fn parent(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        let Some(parent) = &self.0.parent_code else {
            return Ok(None);
        };
        Ok(unit_loader(ctx)?
            .load_one(ByCode(parent.to_string()))
            .await?
            .map(Unit))
    }

    /// Every loaded unit above this one, root first.
    async fn ancestors(&self, ctx: &Context<'_>) -> GqlResult<Vec<Unit>> {
        let keys: Vec<ByCode> = self
            .0
            .code
            .ancestors()
            .into_iter()
            .map(|c| ByCode(c.into_string()))
            .collect();
        let mut found = unit_loader(ctx)?.load_many(keys.clone()).await?;
        Ok(keys
            .iter()
            .filter_map(|k| found.remove(k))
            .map(Unit)
            .collect())
    }

    /// The units directly below, in code order.
    #[graphql(
        complexity = "crate::graphql::connection::batched_list_cost(first, child_complexity, __field)"
    )]
    async fn children(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<Unit>> {
        let page = PageRequest::parse(first, after.as_deref()).map_err(|e| e.extend())?;
        let loader = unit_loader(ctx)?;
        let parent = self.0.code.to_string();
        let total = if wants_total(ctx) {
            loader
                .load_one(ChildCount(parent.clone()))
                .await?
                .unwrap_or(0)
        } else {
            0
        };
        let rows = loader
            .load_one(ChildrenOf { parent, page })
            .await?
            .ok_or_else(|| ServiceError::NotFound(Thing::Unit).extend())?;
        Ok(from_page(rows, total, Unit))
    }

    /// Number of units below this one, optionally of one level only.
    async fn descendant_count(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Count only descendants at this level.")] level: Option<UnitLevel>,
    ) -> GqlResult<i64> {
        let n = unit_reader(ctx)?
            .descendant_count(&self.0.code, level.map(Into::into))
            .await
            .map_err(|e| e.extend())?;
        Ok(n as i64)
    }
}

#[derive(Default)]
pub struct UnitQuery;

#[Object]
impl UnitQuery {
    /// A unit by its division code; null when that code is not loaded or the caller
    /// may not see it. A malformed code is BAD_USER_INPUT.
    async fn unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit's division code (6, 9 or 12 digits, e.g. `440104`).")]
        code: String,
    ) -> GqlResult<Option<Unit>> {
        let code = parse_code("code", &code).map_err(|e| e.extend())?;
        Ok(visible(unit_reader(ctx)?.require(&code).await)?.map(Unit))
    }

    /// Units in code order: of one level, strictly under a unit, and/or whose name
    /// contains `search`.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn units(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only units at this level.")] level: Option<UnitLevel>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only units whose name contains this text.")] search: Option<String>,
        #[graphql(desc = "The order: by division code (the default) or by name.")] order_by: Option<
            OrderBy<UnitOrderField>,
        >,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end (with `before`): 20 when left out, at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return the items before this cursor (the next page's `pageInfo.startCursor`), paging backwards."
        )]
        before: Option<String>,
    ) -> GqlResult<Connection<Unit>> {
        let reader = unit_reader(ctx)?;
        list(
            ctx,
            Paging {
                first,
                after,
                last,
                before,
            },
            Unit,
            |_, page, want_total| async move {
                let under = match under.as_deref() {
                    Some(c) => Some(reader.require(&parse_code("under", c)?).await?.code),
                    None => None,
                };
                let filter = UnitFilter {
                    level: level.map(Into::into),
                    under,
                    search,
                };
                reader
                    .list(&filter, OrderBy::pair(order_by), &page, want_total)
                    .await
            },
        )
        .await
    }
}

/// A new unit below an existing one (e.g. a grid under a community).
#[derive(InputObject)]
pub struct CreateUnitInput {
    /// The unit to add below.
    pub parent_code: String,
    /// The new code: the parent's code extended by one level (a grid: 3 more digits).
    pub code: String,
    /// The unit's name.
    pub name: String,
}

/// The result of `createUnit`.
#[derive(SimpleObject)]
pub struct CreateUnitPayload {
    /// The new unit.
    pub unit: Unit,
}

/// Rename a unit (its code stays).
#[derive(InputObject)]
pub struct RenameUnitInput {
    /// The unit's division code.
    pub code: String,
    /// The new name.
    pub name: String,
}

/// The result of `renameUnit`.
#[derive(SimpleObject)]
pub struct RenameUnitPayload {
    /// The renamed unit.
    pub unit: Unit,
}

#[derive(Default)]
pub struct UnitMutation;

#[Object]
impl UnitMutation {
    /// Adds a unit below one the caller manages (e.g. a grid below a community).
    async fn create_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CreateUnitInput,
    ) -> GqlResult<CreateUnitPayload> {
        let unit = units::create(cx_of(ctx)?, &input.parent_code, &input.code, &input.name)
            .await
            .map_err(|e| e.extend())?;
        Ok(CreateUnitPayload { unit: Unit(unit) })
    }

    /// Rename a unit in the caller's scope.
    async fn rename_unit(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RenameUnitInput,
    ) -> GqlResult<RenameUnitPayload> {
        let unit = units::rename(cx_of(ctx)?, &input.code, &input.name)
            .await
            .map_err(|e| e.extend())?;
        Ok(RenameUnitPayload { unit: Unit(unit) })
    }
}
