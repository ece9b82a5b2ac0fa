//! Stations, the places where community service happens: type, list and changes.

use async_graphql::{
    Context, ErrorExtensions, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use entity::kinds::StationKind;

use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::organizations::Organization;
use crate::graphql::scalars::Day;
use crate::graphql::units::Unit;
use crate::graphql::{
    answer, cx_of, load_unit, maybe, maybe_id, opt_id, parse_under, target, GqlResult,
};
use crate::services::stations::{self, NewStation, StationRecord};
use crate::services::NameOrderField;

pub struct Station(pub StationRecord);

/// A place where community service happens: a social-work station, charity workstation, donation point and so on.
#[Object]
impl Station {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Station, self.0.id)
    }
    /// What kind of station it is.
    async fn kind(&self) -> StationKind {
        self.0.kind
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Division code of the unit the record belongs to.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// Its street address.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// The day it opened.
    async fn opened_on(&self) -> Option<Day> {
        self.0.opened_on.map(Into::into)
    }
    /// The day it closed, if it has.
    async fn closed_on(&self) -> Option<Day> {
        self.0.closed_on.map(Into::into)
    }
    /// The operating organisation, when the caller may see it.
    async fn organization(&self, ctx: &Context<'_>) -> GqlResult<Option<Organization>> {
        Ok(
            loaders::load_opt::<loaders::Organizations>(ctx, self.0.organization_id)
                .await?
                .map(Organization),
        )
    }
}

/// A new station (a place where community service happens) at a unit.
#[derive(InputObject)]
pub struct CreateStationInput {
    /// What kind of station it is.
    pub kind: StationKind,
    /// The station's name.
    pub name: String,
    /// Division code of the street or community it serves.
    pub unit_code: String,
    /// Its street address.
    pub address: Option<String>,
    /// The day it opened.
    pub opened_on: Option<Day>,
    /// The day it closed, if it has.
    pub closed_on: Option<Day>,
    /// The organisation that runs it, if any.
    pub organization_id: Option<ID>,
}

/// The result of `createStation`.
#[derive(SimpleObject)]
pub struct CreateStationPayload {
    /// The new station.
    pub station: Station,
}

/// Changes to a station; fields left out stay as they are, `null` clears one.
/// Closing a station is setting `closedOn`.
#[derive(InputObject)]
pub struct UpdateStationInput {
    /// The station's global ID.
    pub id: ID,
    /// A new kind.
    pub kind: Option<StationKind>,
    /// A new name.
    pub name: Option<String>,
    /// A new address; null clears it.
    pub address: MaybeUndefined<String>,
    /// A new opening day; null clears it.
    pub opened_on: MaybeUndefined<Day>,
    /// The day the station closed (关闭); not before `openedOn`.
    pub closed_on: MaybeUndefined<Day>,
    /// The operating organisation, which the caller must see.
    pub organization_id: MaybeUndefined<ID>,
}

/// The result of `updateStation`.
#[derive(SimpleObject)]
pub struct UpdateStationPayload {
    /// The station as it is now.
    pub station: Station,
}

impl From<StationRecord> for UpdateStationPayload {
    fn from(s: StationRecord) -> Self {
        UpdateStationPayload {
            station: Station(s),
        }
    }
}

#[derive(Default)]
pub struct StationQuery;

#[Object]
impl StationQuery {
    /// Stations the caller may see.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn stations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only stations of this kind.")] kind: Option<StationKind>,
        #[graphql(desc = "Sort order; left out, oldest first.")] order_by: Option<
            OrderBy<NameOrderField>,
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
    ) -> GqlResult<Connection<Station>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Station, |cx, page, want_total| async move {
            stations::list(
                cx,
                parse_under(under.as_deref())?.as_ref(),
                kind,
                OrderBy::pair(order_by),
                &page,
                want_total,
            )
            .await
        })
        .await
    }
}

#[derive(Default)]
pub struct StationMutation;

#[Object]
impl StationMutation {
    /// Register a station at a street or community.
    async fn create_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CreateStationInput,
    ) -> GqlResult<CreateStationPayload> {
        let organization_id =
            opt_id(NodeKind::Organization, &input.organization_id).map_err(|e| e.extend())?;
        let new = NewStation {
            kind: input.kind,
            name: input.name,
            unit_code: input.unit_code,
            address: input.address,
            opened_on: input.opened_on.map(Into::into),
            closed_on: input.closed_on.map(Into::into),
            organization_id,
        };
        stations::create(cx_of(ctx)?, new)
            .await
            .map(|s| CreateStationPayload {
                station: Station(s),
            })
            .map_err(|e| e.extend())
    }
    /// Changes or closes a station (`station.update` at its unit).
    async fn update_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateStationInput,
    ) -> GqlResult<UpdateStationPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Station, &input.id)?;
            let changes = stations::StationChanges {
                kind: input.kind,
                name: input.name,
                address: maybe(input.address),
                opened_on: maybe(input.opened_on),
                closed_on: maybe(input.closed_on),
                organization_id: maybe_id(NodeKind::Organization, input.organization_id)?,
            };
            stations::update(cx, id, changes).await
        })
        .await
    }
}
