//! Fundraising campaigns (募捐活动) of a fund: dates, a target, the channels they raise
//! through and, where the drive was filed on 慈善中国, its record number. Run with the
//! fund's permissions (`fund.update` at its unit); donations and pledges may name one.

use chrono::NaiveDate;
use entity::campaign;
use entity::kinds::{DonationChannel, FundStatus};
use policies::{Action, Resource, UnitCode};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use crate::error::{Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::changes::Changes;
use crate::services::funds;
use crate::services::{ranges, Ctx};

#[derive(Debug, Clone)]
pub struct CampaignRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub fund_id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_fen: Option<i64>,
    pub channels: Vec<DonationChannel>,
    pub record_number: Option<String>,
    pub created_by: Option<i64>,
}

fn bad_row(id: i64, what: &str) -> ServiceError {
    ServiceError::Database(sea_orm::DbErr::Custom(format!(
        "campaign {id} has bad {what}"
    )))
}

fn channels_from(id: i64, text: &str) -> ServiceResult<Vec<DonationChannel>> {
    use sea_orm::{ActiveEnum, Iterable};
    let names: Vec<String> = serde_json::from_str(text).map_err(|_| bad_row(id, "channels"))?;
    names
        .iter()
        .map(|n| {
            DonationChannel::iter()
                .find(|c| c.to_value() == *n)
                .ok_or_else(|| bad_row(id, "channels"))
        })
        .collect()
}

impl TryFrom<campaign::Model> for CampaignRecord {
    type Error = ServiceError;
    fn try_from(m: campaign::Model) -> ServiceResult<Self> {
        Ok(CampaignRecord {
            unit: super::stored_unit(&m.unit_code)?,
            channels: channels_from(m.id, &m.channels)?,
            id: m.id,
            fund_id: m.fund_id,
            name: m.name,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
            target_fen: m.target_fen,
            record_number: m.record_number,
            created_by: m.created_by,
        })
    }
}

pub struct NewCampaign {
    pub fund_id: i64,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub target_fen: Option<i64>,
    pub channels: Vec<DonationChannel>,
    pub record_number: Option<String>,
}

fn channels_text(channels: &[DonationChannel]) -> ServiceResult<String> {
    let mut names: Vec<&str> = channels.iter().map(|c| c.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return Err(Reason::OUT_OF_RANGE
            .at("channels")
            .arg("min", 1)
            .arg("max", names.len().max(5))
            .into());
    }
    Ok(serde_json::to_string(&names).unwrap_or_else(|_| "[]".into()))
}

/// 慈善中国 record numbers are letters, digits and dashes.
fn record_number(s: Option<&str>) -> ServiceResult<Option<String>> {
    let Some(s) = super::optional_text("recordNumber", s, 60)? else {
        return Ok(None);
    };
    if !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(Reason::TEXT_LENGTH.at("recordNumber").arg("max", 60).into());
    }
    Ok(Some(s))
}

fn target(fen: Option<i64>) -> ServiceResult<Option<i64>> {
    funds::target("targetFen", fen)
}

/// Starts a campaign of an open fund the caller runs.
pub async fn create(cx: &Ctx, input: NewCampaign) -> ServiceResult<CampaignRecord> {
    let name = super::required_text("name", &input.name, 200)?;
    if input.ends_on < input.starts_on {
        return Err(Reason::RANGE_REVERSED
            .at("endsOn")
            .arg("start", "startsOn")
            .into());
    }
    let channels = channels_text(&input.channels)?;
    let record = record_number(input.record_number.as_deref())?;
    let target = target(input.target_fen)?;
    let txn = cx.db().begin().await?;
    let fund = funds::get_in(&txn, cx, input.fund_id).await?;
    cx.access()
        .require(Resource::Fund, Action::Update, &fund.unit)?;
    if fund.status == FundStatus::Closed {
        return Err(Reason::FUND_CLOSED.at("fundId").into());
    }
    let m = campaign::ActiveModel {
        unit_code: Set(fund.unit.to_string()),
        fund_id: Set(fund.id),
        name: Set(name.clone()),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        target_fen: Set(target),
        channels: Set(channels),
        record_number: Set(record),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("campaign.create", &fund.unit)
            .target("campaign", m.id)
            .summary(json!({ "name": name, "fund": fund.id })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// What `updateCampaign` changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct CampaignChanges {
    pub name: Option<String>,
    pub ends_on: Option<NaiveDate>,
    pub target_fen: Option<Option<i64>>,
    pub record_number: Option<Option<String>>,
}

pub async fn update(cx: &Ctx, id: i64, ch: CampaignChanges) -> ServiceResult<CampaignRecord> {
    let name = super::optional_text("name", ch.name.as_deref(), 200)?;
    let target_fen = ch.target_fen.map(target).transpose()?;
    let record = ch
        .record_number
        .map(|r| record_number(r.as_deref()))
        .transpose()?;
    let txn = cx.db().begin().await?;
    let c = get_in(&txn, cx, id).await?;
    cx.access()
        .require(Resource::Fund, Action::Update, &c.unit)?;
    if let Some(end) = ch.ends_on {
        if end < c.starts_on {
            return Err(Reason::RANGE_REVERSED
                .at("endsOn")
                .arg("start", "startsOn")
                .into());
        }
    }
    let mut changes = Changes::<campaign::Entity>::new();
    use campaign::Column as C;
    changes.set("name", C::Name, &c.name, name);
    changes.set("endsOn", C::EndsOn, &c.ends_on, ch.ends_on);
    changes.set("targetFen", C::TargetFen, &c.target_fen, target_fen);
    changes.set("recordNumber", C::RecordNumber, &c.record_number, record);
    changes
        .apply(
            &txn,
            cx,
            C::Id,
            id,
            sea_orm::Condition::all(),
            "campaign.update",
            &c.unit,
            json!({}),
        )
        .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<CampaignRecord> {
    get_in(cx.db(), cx, id).await
}

pub(super) async fn get_in(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<CampaignRecord> {
    cx.get::<campaign::Entity>(conn, Action::Read, id)
        .await?
        .try_into()
}

/// Many campaigns by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, CampaignRecord>> {
    cx.get_many::<campaign::Entity, _>(Action::Read, ids, |r: &CampaignRecord| r.id)
        .await
}

/// A campaign named with a donation or pledge to `fund_id`: it must be that fund's.
pub(super) async fn of_fund(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    campaign_id: Option<i64>,
    fund_id: i64,
) -> ServiceResult<Option<CampaignRecord>> {
    let Some(id) = campaign_id else {
        return Ok(None);
    };
    let c = get_in(conn, cx, id).await?;
    if c.fund_id != fund_id {
        return Err(Reason::NOT_OF_FUND
            .at("campaignId")
            .arg("thing", "campaign")
            .into());
    }
    Ok(Some(c))
}

#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    pub under: Option<UnitCode>,
    pub fund_id: Option<i64>,
}

/// Newest first.
pub async fn list(
    cx: &Ctx,
    filter: &CampaignFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<CampaignRecord>, u64)> {
    let Some(mut q) = cx.find::<campaign::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(campaign::Column::UnitCode, under));
    }
    if let Some(fund) = filter.fund_id {
        q = q.filter(campaign::Column::FundId.eq(fund));
    }
    let sort = super::Sort::new([campaign::Column::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// Money raised by each campaign the caller read: its valid money donations, in fen.
pub async fn raised_of(
    cx: &Ctx,
    campaigns: &[super::Seen<CampaignRecord>],
) -> ServiceResult<std::collections::HashMap<i64, i64>> {
    use entity::donation;
    use entity::kinds::DonationKind;
    use sea_orm::sea_query::Expr;
    use sea_orm::QuerySelect;
    let ids = super::Seen::ids(campaigns);
    let mut out: std::collections::HashMap<i64, i64> = ids.iter().map(|id| (*id, 0)).collect();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows: Vec<(Option<i64>, Option<i64>)> = super::scoped::unscoped::<donation::Entity>(
        "sums over the donations of campaigns the caller already read",
    )
    .select_only()
    .column(donation::Column::CampaignId)
    .column_as(Expr::cust("CAST(SUM(amount_fen) AS BIGINT)"), "raised")
    .filter(donation::Column::CampaignId.is_in(ids))
    .filter(donation::Column::Kind.eq(DonationKind::Money))
    .filter(donation::Column::VoidedAt.is_null())
    .group_by(donation::Column::CampaignId)
    .into_tuple()
    .all(cx.db())
    .await?;
    for (c, raised) in rows {
        if let Some(c) = c {
            out.insert(c, raised.unwrap_or(0));
        }
    }
    Ok(out)
}
