//! Community charity funds (社区慈善基金): each at a district, street or community,
//! held by an organisation (often a foundation's special fund), open until closed.
//! A closed fund keeps its history and does not change again.

use chrono::NaiveDate;
use entity::fund;
use entity::kinds::{EntryKind, FundStatus};
use policies::{Action, Level, Resource, UnitCode};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use crate::codes::SocialCreditCode;
use crate::error::{Problem, Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::changes::Changes;
use crate::services::{ranges, units, Ctx, NameOrderField, Seen};

pub use super::donors::MAX_AMOUNT_FEN;

#[derive(Debug, Clone)]
pub struct FundRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub name: String,
    pub holder_name: String,
    pub holder_credit_code: Option<String>,
    pub purpose: String,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    pub target_fen: Option<i64>,
    pub status: FundStatus,
    pub created_by: Option<i64>,
}

impl TryFrom<fund::Model> for FundRecord {
    type Error = ServiceError;
    fn try_from(m: fund::Model) -> ServiceResult<Self> {
        Ok(FundRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            name: m.name,
            holder_name: m.holder_name,
            holder_credit_code: m.holder_credit_code,
            purpose: m.purpose,
            opened_on: m.opened_on,
            closed_on: m.closed_on,
            target_fen: m.target_fen,
            status: m.status,
            created_by: m.created_by,
        })
    }
}

pub struct NewFund {
    pub unit_code: String,
    pub name: String,
    pub holder_name: String,
    pub holder_credit_code: Option<String>,
    pub purpose: String,
    pub opened_on: NaiveDate,
    pub target_fen: Option<i64>,
}

/// A fundraising target: more than nothing, at most [`MAX_AMOUNT_FEN`].
pub(super) fn target(arg: &str, fen: Option<i64>) -> ServiceResult<Option<i64>> {
    fen.map(|f| super::donors::amount(arg, f)).transpose()
}

/// Opens a fund at a district, street or community the caller runs funds in.
pub async fn open(cx: &Ctx, input: NewFund) -> ServiceResult<FundRecord> {
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    if !matches!(
        unit.level(),
        Level::District | Level::Street | Level::Community
    ) {
        return Err(Reason::FUND_LEVEL
            .at("unitCode")
            .arg("level", unit.level().as_str())
            .into());
    }
    let name = super::required_text("name", &input.name, 200)?;
    let holder = super::required_text("holderName", &input.holder_name, 200)?;
    let purpose = super::required_text("purpose", &input.purpose, 2000)?;
    let code = input
        .holder_credit_code
        .as_deref()
        .map(SocialCreditCode::parse)
        .transpose()
        .map_err(|e| Problem::from(e).at("holderCreditCode"))?;
    let target = target("targetFen", input.target_fen)?;
    let txn = cx.db().begin().await?;
    units::require_exists(&txn, &unit).await?;
    cx.access().require(Resource::Fund, Action::Create, &unit)?;
    let m = fund::ActiveModel {
        unit_code: Set(unit.to_string()),
        name: Set(name.clone()),
        holder_name: Set(holder),
        holder_credit_code: Set(code.map(|c| c.as_str().to_owned())),
        purpose: Set(purpose),
        opened_on: Set(input.opened_on),
        closed_on: Set(None),
        target_fen: Set(target),
        status: Set(FundStatus::Open),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("fund.open", &unit)
            .target("fund", m.id)
            .summary(json!({ "name": name, "targetFen": target })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// What `updateFund` changes; `None` leaves a field as it is, `Some(None)` clears
/// the target. The unit and the holder are the fund's identity.
#[derive(Debug, Default)]
pub struct FundChanges {
    pub name: Option<String>,
    pub purpose: Option<String>,
    pub target_fen: Option<Option<i64>>,
}

/// An open fund the caller may update, read in `txn`.
async fn open_for_update(
    txn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<FundRecord> {
    let f = get_in(txn, cx, id).await?;
    cx.access()
        .require(Resource::Fund, Action::Update, &f.unit)?;
    if f.status == FundStatus::Closed {
        return Err(Reason::FUND_CLOSED.into());
    }
    Ok(f)
}

pub async fn update(cx: &Ctx, id: i64, ch: FundChanges) -> ServiceResult<FundRecord> {
    let name = super::optional_text("name", ch.name.as_deref(), 200)?;
    let purpose = super::optional_text("purpose", ch.purpose.as_deref(), 2000)?;
    let target_fen = ch.target_fen.map(|t| target("targetFen", t)).transpose()?;
    let txn = cx.db().begin().await?;
    let f = open_for_update(&txn, cx, id).await?;
    let mut changes = Changes::<fund::Entity>::new();
    use fund::Column as C;
    changes.set("name", C::Name, &f.name, name);
    changes.set("purpose", C::Purpose, &f.purpose, purpose);
    changes.set("targetFen", C::TargetFen, &f.target_fen, target_fen);
    // Only while still open: a close that got there first wins.
    let guard = sea_orm::Condition::all().add(C::Status.eq(FundStatus::Open));
    changes
        .apply(
            &txn,
            cx,
            C::Id,
            id,
            guard,
            "fund.update",
            &f.unit,
            json!({}),
        )
        .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Closes an open fund on `closed_on` (not before it opened, not in the future).
pub async fn close(cx: &Ctx, id: i64, closed_on: NaiveDate) -> ServiceResult<FundRecord> {
    let txn = cx.db().begin().await?;
    let f = open_for_update(&txn, cx, id).await?;
    if closed_on < f.opened_on {
        return Err(Reason::RANGE_REVERSED
            .at("closedOn")
            .arg("start", "openedOn")
            .into());
    }
    if closed_on > super::daily::day_of(cx.now()) {
        return Err(Reason::IN_FUTURE.at("closedOn").into());
    }
    let mut changes = Changes::<fund::Entity>::new();
    use fund::Column as C;
    changes.set("status", C::Status, &f.status, Some(FundStatus::Closed));
    changes.set("closedOn", C::ClosedOn, &f.closed_on, Some(Some(closed_on)));
    let guard = sea_orm::Condition::all().add(C::Status.eq(FundStatus::Open));
    changes
        .apply(&txn, cx, C::Id, id, guard, "fund.close", &f.unit, json!({}))
        .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<FundRecord> {
    get_in(cx.db(), cx, id).await
}

/// Many funds by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, FundRecord>> {
    cx.get_many::<fund::Entity, _>(Action::Read, ids, |r: &FundRecord| r.id)
        .await
}

/// [`get`] on a given connection, e.g. inside a transaction.
pub(super) async fn get_in(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<FundRecord> {
    cx.get::<fund::Entity>(conn, Action::Read, id)
        .await?
        .try_into()
}

/// The open fund nearest above (or at) `unit` that takes a charity supermarket's
/// share of a sale, and the fund itself for booking it: read without the caller's
/// scope, because the seller holds `supermarket.update`, not `fund.read`.
pub(super) async fn share_fund_for(
    conn: &impl sea_orm::ConnectionTrait,
    unit: &policies::UnitCode,
) -> ServiceResult<Option<i64>> {
    use sea_orm::{QueryOrder, QuerySelect};
    let mut codes: Vec<String> = unit.ancestors().iter().map(|u| u.to_string()).collect();
    codes.push(unit.to_string());
    let found: Vec<(i64, String)> = super::scoped::unscoped::<fund::Entity>(
        "a supermarket's sale books its share into the nearest open fund above it",
    )
    .select_only()
    .column(fund::Column::Id)
    .column(fund::Column::UnitCode)
    .filter(fund::Column::UnitCode.is_in(codes))
    .filter(fund::Column::Status.eq(FundStatus::Open))
    .order_by_asc(fund::Column::Id)
    .into_tuple()
    .all(conn)
    .await?;
    Ok(found
        .into_iter()
        .max_by_key(|(id, code)| (code.len(), -id))
        .map(|(id, _)| id))
}

/// A fund by id without the caller's scope (see [`share_fund_for`]).
pub(super) async fn get_unchecked(
    conn: &impl sea_orm::ConnectionTrait,
    id: i64,
) -> ServiceResult<FundRecord> {
    super::scoped::unscoped_by_id::<fund::Entity>(id, "the fund a supermarket share is booked into")
        .one(conn)
        .await?
        .ok_or(crate::error::ServiceError::NotFound(
            crate::error::Thing::Fund,
        ))?
        .try_into()
}

/// The balance of each fund (the sum of its ledger lines), for funds the caller read.
pub async fn balances_of(
    cx: &Ctx,
    funds: &[Seen<FundRecord>],
) -> ServiceResult<std::collections::HashMap<i64, i64>> {
    super::ledger::balances(cx.db(), &Seen::ids(funds)).await
}

#[derive(Debug, Clone, Default)]
pub struct FundFilter {
    pub under: Option<UnitCode>,
    pub status: Option<FundStatus>,
}

/// By unit (the index's order), unless `order` says.
pub async fn list(
    cx: &Ctx,
    filter: &FundFilter,
    order: Option<(NameOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<FundRecord>, u64)> {
    let Some(mut q) = cx.find::<fund::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(fund::Column::UnitCode, under));
    }
    if let Some(status) = filter.status {
        q = q.filter(fund::Column::Status.eq(status));
    }
    use fund::Column as C;
    let sort = match order {
        None => super::Sort::new([C::UnitCode, C::Id], OrderDirection::Asc),
        Some((NameOrderField::Name, d)) => super::Sort::new([C::Name, C::Id], d),
        Some((NameOrderField::CreatedAt, d)) => super::Sort::new([C::Id], d),
    };
    super::page_by(cx, q, &sort, page, want_total).await
}

/// Moves `amount_fen` from one open fund to another: money leaving a fund needs the
/// approval a disbursement of that amount would (`disbursement.approve` at the level
/// `[charity] approval` names, at the paying fund's unit), and the receiving fund must
/// be one the caller runs (`fund.update`). Refused when the paying fund holds less;
/// both funds are locked in id order, so concurrent transfers neither overdraw nor
/// deadlock. Returns the two funds' balances after it.
pub async fn transfer(
    cx: &Ctx,
    from_id: i64,
    to_id: i64,
    amount_fen: i64,
    memo: &str,
) -> ServiceResult<(FundRecord, FundRecord)> {
    let amount_fen = super::donors::amount("amountFen", amount_fen)?;
    let memo = super::required_text("memo", memo, 300)?;
    if from_id == to_id {
        return Err(Reason::SAME_FUND.at("toFundId").into());
    }
    let txn = cx.db().begin().await?;
    let from = get_in(&txn, cx, from_id).await?;
    let to = get_in(&txn, cx, to_id).await?;
    super::ledger::require_approval(cx, &from.unit, amount_fen)?;
    cx.access()
        .require(Resource::Fund, Action::Update, &to.unit)?;
    for f in [&from, &to] {
        if f.status == FundStatus::Closed {
            return Err(Reason::FUND_CLOSED.into());
        }
    }
    for id in [from_id.min(to_id), from_id.max(to_id)] {
        super::ledger::lock_fund(&txn, id).await?;
    }
    super::ledger::require_balance(&txn, from.id, amount_fen).await?;
    let text = format!("transfer to fund {}: {memo}", to.id);
    let posting = super::ledger::Posting::new(cx, &from.unit, EntryKind::Transfer, &text);
    let entry = super::ledger::post(
        &txn,
        cx,
        posting,
        &[
            super::ledger::Line {
                account: super::ledger::fund_account(from.id),
                fund_id: Some(from.id),
                amount_fen: -amount_fen,
            },
            super::ledger::Line {
                account: super::ledger::fund_account(to.id),
                fund_id: Some(to.id),
                amount_fen,
            },
        ],
    )
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("fund.transfer", &from.unit)
            .target("fund", from.id)
            .summary(json!({ "to": to.id, "amountFen": amount_fen, "entry": entry, "memo": memo })),
    )
    .await?;
    txn.commit().await?;
    Ok((from, to))
}
