//! Pledges (认捐): a donor promises an amount to a fund (or one of its campaigns) by a
//! due day; money donations that name the pledge fulfil it. A pledge is open until
//! its donations reach the amount (fulfilled) or its due day passes (lapsed); with
//! some money in and time left it is partly fulfilled. Donors are personal data, as
//! on donations (`donation.*` permissions).

use chrono::{Duration, NaiveDate};
use entity::kinds::{DonorKind, FundStatus};
use entity::pledge;
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    TransactionTrait,
};
use serde_json::json;

use crate::error::{Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::daily::{self, Delta};
use crate::services::donors::{self, Donor};
use crate::services::funds::{self};
use crate::services::{campaigns, ranges, Ctx};

/// Where a pledge stands on a given day.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum PledgeState {
    /// Nothing given yet; the due day has not passed.
    Open,
    /// Some given, less than the amount; the due day has not passed.
    PartlyFulfilled,
    /// Donations have reached the amount.
    Fulfilled,
    /// The due day passed before the amount was reached.
    Lapsed,
}

#[derive(Debug, Clone)]
pub struct PledgeRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub fund_id: i64,
    pub campaign_id: Option<i64>,
    pub donor_kind: DonorKind,
    donor_name: Option<String>,
    donor_contact: Option<String>,
    pub amount_fen: i64,
    pub due_on: NaiveDate,
    pub fulfilled_fen: i64,
    pub fulfilled_on: Option<NaiveDate>,
    pub created_by: Option<i64>,
    pub created_on: NaiveDate,
}

impl TryFrom<pledge::Model> for PledgeRecord {
    type Error = ServiceError;
    fn try_from(m: pledge::Model) -> ServiceResult<Self> {
        Ok(PledgeRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            fund_id: m.fund_id,
            campaign_id: m.campaign_id,
            donor_kind: m.donor_kind,
            donor_name: m.donor_name,
            donor_contact: m.donor_contact,
            amount_fen: m.amount_fen,
            due_on: m.due_on,
            fulfilled_fen: m.fulfilled_fen,
            fulfilled_on: m.fulfilled_on,
            created_by: m.created_by,
            created_on: daily::day_of(m.created_at),
        })
    }
}

impl PledgeRecord {
    /// Its state on `today`.
    pub fn state(&self, today: NaiveDate) -> PledgeState {
        if self.fulfilled_on.is_some() {
            PledgeState::Fulfilled
        } else if today > self.due_on {
            PledgeState::Lapsed
        } else if self.fulfilled_fen > 0 {
            PledgeState::PartlyFulfilled
        } else {
            PledgeState::Open
        }
    }
}

/// The day a pledge stops counting as open: the day it was fulfilled if that was by
/// its due day, else the day after the due day (it lapsed then). The kept figure
/// `pledges_open` is +1 on the day made and -1 on this day; `daily::rebuild` says
/// the same in SQL.
fn closes_on(fulfilled_on: Option<NaiveDate>, due_on: NaiveDate) -> NaiveDate {
    match fulfilled_on {
        Some(f) if f <= due_on => f,
        _ => due_on + Duration::days(1),
    }
}

pub struct NewPledge {
    pub fund_id: i64,
    pub campaign_id: Option<i64>,
    pub donor_kind: DonorKind,
    pub donor_name: Option<String>,
    pub donor_contact: Option<String>,
    pub amount_fen: i64,
    pub due_on: NaiveDate,
}

/// Records a pledge to an open fund.
pub async fn record(cx: &Ctx, input: NewPledge) -> ServiceResult<PledgeRecord> {
    donors::amount("amountFen", input.amount_fen)?;
    let (name, contact) = donors::donor_fields(
        input.donor_kind,
        input.donor_name.as_deref(),
        input.donor_contact.as_deref(),
    )?;
    let today = daily::day_of(cx.now());
    if input.due_on < today {
        return Err(Reason::RANGE_REVERSED
            .at("dueOn")
            .arg("start", "today")
            .into());
    }
    let txn = cx.db().begin().await?;
    let fund = funds::get_in(&txn, cx, input.fund_id).await?;
    cx.access()
        .require(Resource::Donation, Action::Create, &fund.unit)?;
    if fund.status == FundStatus::Closed {
        return Err(Reason::FUND_CLOSED.at("fundId").into());
    }
    let campaign = campaigns::of_fund(&txn, cx, input.campaign_id, fund.id).await?;
    let m = pledge::ActiveModel {
        unit_code: Set(fund.unit.to_string()),
        fund_id: Set(fund.id),
        campaign_id: Set(campaign.map(|c| c.id)),
        donor_kind: Set(input.donor_kind),
        donor_name: Set(name),
        donor_contact: Set(contact),
        amount_fen: Set(input.amount_fen),
        due_on: Set(input.due_on),
        fulfilled_fen: Set(0),
        fulfilled_on: Set(None),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let open = Delta {
        pledges_open: 1,
        ..Default::default()
    };
    daily::bump(&txn, &fund.unit, today, open).await?;
    daily::bump(
        &txn,
        &fund.unit,
        closes_on(None, input.due_on),
        open.negate(),
    )
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("pledge.record", &fund.unit)
            .target("pledge", m.id)
            .summary(json!({ "amountFen": input.amount_fen, "dueOn": input.due_on })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// A pledge named with a donation to `fund_id`: it must be that fund's.
pub(super) async fn of_fund(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    pledge_id: Option<i64>,
    fund_id: i64,
) -> ServiceResult<Option<PledgeRecord>> {
    let Some(id) = pledge_id else {
        return Ok(None);
    };
    let p = get_in(conn, cx, id).await?;
    if p.fund_id != fund_id {
        return Err(Reason::NOT_OF_FUND
            .at("pledgeId")
            .arg("thing", "pledge")
            .into());
    }
    Ok(Some(p))
}

/// Adds `fen` (negative for a voided donation) given on `day` to a pledge, in the
/// donation's transaction (which holds the fund's lock), and moves the day it stops
/// counting as open in the kept figures when that changes.
pub(super) async fn settle(
    conn: &impl ConnectionTrait,
    unit: &UnitCode,
    pledge_id: i64,
    fen: i64,
    day: NaiveDate,
) -> ServiceResult<()> {
    let before = super::scoped::unscoped_by_id::<pledge::Entity>(
        pledge_id,
        "the pledge a donation being written names (read by the caller)",
    )
    .one(conn)
    .await?
    .ok_or(ServiceError::NotFound(crate::error::Thing::Pledge))?;
    let sum = before.fulfilled_fen + fen;
    let fulfilled_on = match before.fulfilled_on {
        None if sum >= before.amount_fen => Some(day),
        Some(_) if sum < before.amount_fen => None,
        other => other,
    };
    pledge::Entity::update_many()
        .col_expr(pledge::Column::FulfilledFen, Expr::value(sum))
        .col_expr(pledge::Column::FulfilledOn, Expr::value(fulfilled_on))
        .filter(pledge::Column::Id.eq(pledge_id))
        .exec(conn)
        .await?;
    let was = closes_on(before.fulfilled_on, before.due_on);
    let now = closes_on(fulfilled_on, before.due_on);
    if was != now {
        let open = Delta {
            pledges_open: 1,
            ..Default::default()
        };
        daily::bump(conn, unit, was, open).await?;
        daily::bump(conn, unit, now, open.negate()).await?;
    }
    Ok(())
}

/// The donor as the caller may see it (see `donations::donor`).
pub async fn donor(cx: &Ctx, p: &PledgeRecord) -> ServiceResult<Donor> {
    donors::reveal(
        cx,
        &p.unit,
        ("pledge", p.id),
        p.donor_name.as_deref(),
        p.donor_contact.as_deref(),
    )
    .await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<PledgeRecord> {
    get_in(cx.db(), cx, id).await
}

pub(super) async fn get_in(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<PledgeRecord> {
    cx.get::<pledge::Entity>(conn, Action::Read, id)
        .await?
        .try_into()
}

#[derive(Debug, Clone, Default)]
pub struct PledgeFilter {
    pub under: Option<UnitCode>,
    pub fund_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub state: Option<PledgeState>,
}

/// Newest first.
pub async fn list(
    cx: &Ctx,
    filter: &PledgeFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<PledgeRecord>, u64)> {
    let Some(mut q) = cx.find::<pledge::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    use pledge::Column as C;
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(C::UnitCode, under));
    }
    if let Some(fund) = filter.fund_id {
        q = q.filter(C::FundId.eq(fund));
    }
    if let Some(c) = filter.campaign_id {
        q = q.filter(C::CampaignId.eq(c));
    }
    if let Some(state) = filter.state {
        let today = daily::day_of(cx.now());
        q = match state {
            PledgeState::Fulfilled => q.filter(C::FulfilledOn.is_not_null()),
            PledgeState::Lapsed => q
                .filter(C::FulfilledOn.is_null())
                .filter(C::DueOn.lt(today)),
            PledgeState::PartlyFulfilled => q
                .filter(C::FulfilledOn.is_null())
                .filter(C::DueOn.gte(today))
                .filter(C::FulfilledFen.gt(0)),
            PledgeState::Open => q
                .filter(C::FulfilledOn.is_null())
                .filter(C::DueOn.gte(today))
                .filter(C::FulfilledFen.eq(0)),
        };
    }
    let sort = super::Sort::new([C::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// Many pledges by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, PledgeRecord>> {
    cx.get_many::<pledge::Entity, _>(Action::Read, ids, |r: &PledgeRecord| r.id)
        .await
}
