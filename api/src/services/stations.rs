//! Stations: social-work stations and points, charity workstations, donation points,
//! time-bank stations, charity spaces and charity supermarkets.

use chrono::NaiveDate;
use entity::kinds::StationKind;
use entity::station;
use policies::{Action, Resource, UnitCode};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use crate::error::{Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::changes::Changes;
use crate::services::{organizations, ranges, units, Ctx};

#[derive(Debug, Clone)]
pub struct StationRecord {
    pub id: i64,
    pub kind: StationKind,
    pub name: String,
    pub unit: UnitCode,
    pub address: Option<String>,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub organization_id: Option<i64>,
}

impl TryFrom<station::Model> for StationRecord {
    type Error = ServiceError;
    fn try_from(m: station::Model) -> ServiceResult<Self> {
        Ok(StationRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            kind: m.kind,
            name: m.name,
            address: m.address,
            opened_on: m.opened_on,
            closed_on: m.closed_on,
            organization_id: m.organization_id,
        })
    }
}

pub struct NewStation {
    pub kind: StationKind,
    pub name: String,
    pub unit_code: String,
    pub address: Option<String>,
    pub opened_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub organization_id: Option<i64>,
}

pub async fn create(cx: &Ctx, input: NewStation) -> ServiceResult<StationRecord> {
    let name = super::required_text("name", &input.name, 200)?;
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    if let (Some(open), Some(close)) = (input.opened_on, input.closed_on) {
        if close < open {
            return Err(Reason::RANGE_REVERSED
                .at("closedOn")
                .arg("start", "openedOn")
                .into());
        }
    }
    let txn = cx.db().begin().await?;
    units::require_exists(&txn, &unit).await?;
    cx.access()
        .require(Resource::Station, Action::Create, &unit)?;
    if let Some(org) = input.organization_id {
        // The operator must be an organisation the caller can see.
        organizations::get_in(&txn, cx, org).await?;
    }
    let m = station::ActiveModel {
        kind: Set(input.kind),
        name: Set(name.clone()),
        unit_code: Set(unit.to_string()),
        address: Set(input
            .address
            .map(|a| a.trim().to_owned())
            .filter(|a| !a.is_empty())),
        opened_on: Set(input.opened_on),
        closed_on: Set(input.closed_on),
        organization_id: Set(input.organization_id),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("station.create", &unit)
            .target("station", m.id)
            .summary(json!({ "name": name, "kind": input.kind })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// What `updateStation` changes; `None` leaves a field as it is, `Some(None)`
/// clears it. Closing a station is setting `closed_on`.
#[derive(Debug, Default)]
pub struct StationChanges {
    pub kind: Option<StationKind>,
    pub name: Option<String>,
    pub address: Option<Option<String>>,
    pub opened_on: Option<Option<NaiveDate>>,
    pub closed_on: Option<Option<NaiveDate>>,
    pub organization_id: Option<Option<i64>>,
}

pub async fn update(cx: &Ctx, id: i64, ch: StationChanges) -> ServiceResult<StationRecord> {
    let name = super::optional_text("name", ch.name.as_deref(), 200)?;
    let address = ch
        .address
        .map(|a| a.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()));
    let txn = cx.db().begin().await?;
    let st = get_in(&txn, cx, id).await?;
    cx.access()
        .require(Resource::Station, Action::Update, &st.unit)?;
    let opened = ch.opened_on.unwrap_or(st.opened_on);
    let closed = ch.closed_on.unwrap_or(st.closed_on);
    if let (Some(open), Some(close)) = (opened, closed) {
        if close < open {
            return Err(Reason::RANGE_REVERSED
                .at("closedOn")
                .arg("start", "openedOn")
                .into());
        }
    }
    if let Some(Some(org)) = ch.organization_id {
        // The operator must be an organisation the caller can see.
        organizations::get_in(&txn, cx, org).await?;
    }
    let mut changes = Changes::<station::Entity>::new();
    use station::Column as C;
    changes.set("kind", C::Kind, &st.kind, ch.kind);
    changes.set("name", C::Name, &st.name, name);
    changes.set("address", C::Address, &st.address, address);
    changes.set("openedOn", C::OpenedOn, &st.opened_on, Some(opened));
    changes.set("closedOn", C::ClosedOn, &st.closed_on, Some(closed));
    changes.set(
        "organizationId",
        C::OrganizationId,
        &st.organization_id,
        ch.organization_id,
    );
    changes
        .save(&txn, cx, C::Id, id, "station.update", &st.unit)
        .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list(
    cx: &Ctx,
    under: Option<&UnitCode>,
    kind: Option<StationKind>,
    order: Option<(super::NameOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<StationRecord>, u64)> {
    let Some(mut q) = cx.find::<station::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = under {
        q = q.filter(ranges::subtree(station::Column::UnitCode, under));
    }
    if let Some(kind) = kind {
        q = q.filter(station::Column::Kind.eq(kind));
    }
    super::page_by(
        cx,
        q,
        &super::by_name_or_created(
            order,
            station::Column::Name,
            station::Column::Id,
            OrderDirection::Asc,
        ),
        page,
        want_total,
    )
    .await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<StationRecord> {
    get_in(cx.db(), cx, id).await
}

/// Many stations by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, StationRecord>> {
    cx.get_many::<entity::station::Entity, _>(Action::Read, ids, |r: &StationRecord| r.id)
        .await
}

async fn get_in(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<StationRecord> {
    cx.get::<station::Entity>(conn, Action::Read, id)
        .await?
        .try_into()
}
