//! Money out of a fund: proposed by whoever runs the fund, approved (or returned) by a
//! holder of `disbursement.approve` at the level the amount calls for (policy data:
//! `[charity] approval`) and never by the proposer, then paid — a ledger entry out of
//! the fund, refused when the fund holds less, under the fund's lock so concurrent
//! payments cannot overdraw it — and possibly reversed. A household payee's name is
//! personal data.

use entity::disbursement;
use entity::kinds::{DisbursementState as State, EntryKind, FundStatus, PayeeKind};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;

use crate::codes::mask_name;
use crate::error::{Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::funds::{self};
use crate::services::ledger::{self, Line, Posting};
use crate::services::{ranges, Ctx};

#[derive(Debug, Clone)]
pub struct DisbursementRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub fund_id: i64,
    pub amount_fen: i64,
    pub purpose: String,
    pub payee_kind: PayeeKind,
    payee_name: String,
    pub attachments: Vec<String>,
    pub state: State,
    pub proposed_by: Option<i64>,
    pub decided_by: Option<i64>,
    pub return_reason: Option<String>,
    /// The ledger entry that paid it (internal: what a reversal reverses).
    paid_entry_id: Option<i64>,
    pub campaign_id: Option<i64>,
}

impl TryFrom<disbursement::Model> for DisbursementRecord {
    type Error = ServiceError;
    fn try_from(m: disbursement::Model) -> ServiceResult<Self> {
        Ok(DisbursementRecord {
            unit: super::stored_unit(&m.unit_code)?,
            attachments: serde_json::from_str(&m.attachments).map_err(|e| {
                ServiceError::Database(sea_orm::DbErr::Custom(format!(
                    "disbursement {} has bad attachments: {e}",
                    m.id
                )))
            })?,
            id: m.id,
            fund_id: m.fund_id,
            campaign_id: m.campaign_id,
            amount_fen: m.amount_fen,
            purpose: m.purpose,
            payee_kind: m.payee_kind,
            payee_name: m.payee_name,
            state: m.state,
            proposed_by: m.proposed_by,
            decided_by: m.decided_by,
            return_reason: m.return_reason,
            paid_entry_id: m.paid_entry_id,
        })
    }
}

/// The payee's name as the caller may see it: a household's is masked without
/// `disbursement.read_personal` at the fund's unit (an unmasked read is audited).
pub async fn payee_name(cx: &Ctx, d: &DisbursementRecord) -> ServiceResult<String> {
    if d.payee_kind != PayeeKind::Household {
        return Ok(d.payee_name.clone());
    }
    if !cx
        .access()
        .check(Resource::Disbursement, Action::ReadPersonal, &d.unit)?
        .allowed()
    {
        return Ok(mask_name(&d.payee_name));
    }
    audit::log(
        cx.db(),
        cx,
        Entry::new("disbursement.read_personal", &d.unit).target("disbursement", d.id),
    )
    .await?;
    Ok(d.payee_name.clone())
}

pub struct NewDisbursement {
    pub fund_id: i64,
    pub amount_fen: i64,
    pub purpose: String,
    pub payee_kind: PayeeKind,
    pub payee_name: String,
    pub attachments: Vec<String>,
    /// The campaign whose money it spends, for the campaign's disclosure.
    pub campaign_id: Option<i64>,
}

/// Proposes a payment out of an open fund.
pub async fn propose(cx: &Ctx, input: NewDisbursement) -> ServiceResult<DisbursementRecord> {
    super::donors::amount("amountFen", input.amount_fen)?;
    let purpose = super::required_text("purpose", &input.purpose, 500)?;
    let payee = super::required_text("payeeName", &input.payee_name, 200)?;
    if input.attachments.len() > 20 {
        return Err(Reason::OUT_OF_RANGE
            .at("attachments")
            .arg("min", 0)
            .arg("max", 20)
            .into());
    }
    let attachments = input
        .attachments
        .iter()
        .map(|a| super::required_text("attachments", a, 200))
        .collect::<ServiceResult<Vec<_>>>()?;
    let txn = cx.db().begin().await?;
    let fund = funds::get_in(&txn, cx, input.fund_id).await?;
    cx.access()
        .require(Resource::Disbursement, Action::Create, &fund.unit)?;
    if fund.status == FundStatus::Closed {
        return Err(Reason::FUND_CLOSED.at("fundId").into());
    }
    let campaign = super::campaigns::of_fund(&txn, cx, input.campaign_id, fund.id).await?;
    let m = disbursement::ActiveModel {
        campaign_id: Set(campaign.map(|c| c.id)),
        unit_code: Set(fund.unit.to_string()),
        fund_id: Set(fund.id),
        amount_fen: Set(input.amount_fen),
        purpose: Set(purpose.clone()),
        payee_kind: Set(input.payee_kind),
        payee_name: Set(payee),
        attachments: Set(json!(attachments).to_string()),
        state: Set(State::Proposed),
        proposed_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("disbursement.propose", &fund.unit)
            .target("disbursement", m.id)
            .summary(json!({ "fund": fund.id, "amountFen": input.amount_fen, "purpose": purpose })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// Moves `d` from `from` to `to` in one conditional statement (CONFLICT when someone
/// else moved it first), with `extra` columns set.
async fn transition(
    conn: &impl sea_orm::ConnectionTrait,
    d: &DisbursementRecord,
    from: State,
    to: State,
    extra: impl FnOnce(
        sea_orm::UpdateMany<disbursement::Entity>,
    ) -> sea_orm::UpdateMany<disbursement::Entity>,
) -> ServiceResult<()> {
    let update = disbursement::Entity::update_many()
        .col_expr(disbursement::Column::State, Expr::value(to))
        .filter(disbursement::Column::Id.eq(d.id))
        .filter(disbursement::Column::State.eq(from));
    if extra(update).exec(conn).await?.rows_affected == 0 {
        return Err(Reason::EDIT_CONFLICT.into());
    }
    Ok(())
}

/// A proposed disbursement the caller may decide: `disbursement.approve` at the level
/// the amount calls for or above, and not its own proposal.
async fn decidable(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<DisbursementRecord> {
    let d = get_in(conn, cx, id).await?;
    ledger::require_approval(cx, &d.unit, d.amount_fen)?;
    if d.proposed_by.is_some() && d.proposed_by == cx.access().actor() {
        return Err(Reason::SELF_APPROVAL.into());
    }
    if d.state != State::Proposed {
        return Err(Reason::DISBURSEMENT_STATE
            .arg("state", d.state.as_str().to_ascii_uppercase())
            .into());
    }
    Ok(d)
}

/// Approves a proposed disbursement.
pub async fn approve(cx: &Ctx, id: i64) -> ServiceResult<DisbursementRecord> {
    let txn = cx.db().begin().await?;
    let d = decidable(&txn, cx, id).await?;
    let (actor, now) = (cx.access().actor(), cx.now());
    transition(&txn, &d, State::Proposed, State::Approved, |u| {
        u.col_expr(disbursement::Column::DecidedBy, Expr::value(actor))
            .col_expr(disbursement::Column::DecidedAt, Expr::value(now))
    })
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("disbursement.approve", &d.unit)
            .target("disbursement", id)
            .summary(json!({ "amountFen": d.amount_fen })),
    )
    .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Sends a proposed disbursement back with a reason.
pub async fn return_to_proposer(
    cx: &Ctx,
    id: i64,
    reason: &str,
) -> ServiceResult<DisbursementRecord> {
    let reason = super::required_text("reason", reason, 500)?;
    let txn = cx.db().begin().await?;
    let d = decidable(&txn, cx, id).await?;
    let (actor, now, why) = (cx.access().actor(), cx.now(), reason.clone());
    transition(&txn, &d, State::Proposed, State::Returned, |u| {
        u.col_expr(disbursement::Column::DecidedBy, Expr::value(actor))
            .col_expr(disbursement::Column::DecidedAt, Expr::value(now))
            .col_expr(disbursement::Column::ReturnReason, Expr::value(why))
    })
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("disbursement.return", &d.unit)
            .target("disbursement", id)
            .summary(json!({ "reason": reason })),
    )
    .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// A disbursement in `state` the caller may pay or reverse, read under the fund's lock.
async fn payable(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
    state: State,
) -> ServiceResult<DisbursementRecord> {
    let d = get_in(conn, cx, id).await?;
    cx.access()
        .require(Resource::Disbursement, Action::Update, &d.unit)?;
    ledger::lock_fund(conn, d.fund_id).await?;
    // Read again under the lock: a payment that got there first has moved it.
    let d = get_in(conn, cx, id).await?;
    if d.state != state {
        return Err(Reason::DISBURSEMENT_STATE
            .arg("state", d.state.as_str().to_ascii_uppercase())
            .into());
    }
    Ok(d)
}

/// Pays an approved disbursement out of its fund, unless the fund holds less.
pub async fn pay(cx: &Ctx, id: i64) -> ServiceResult<DisbursementRecord> {
    let txn = cx.db().begin().await?;
    let d = payable(&txn, cx, id, State::Approved).await?;
    let balance = ledger::require_balance(&txn, d.fund_id, d.amount_fen).await?;
    let memo = format!("disbursement {}", d.id);
    let entry = ledger::post(
        &txn,
        cx,
        Posting::new(cx, &d.unit, EntryKind::Disbursement, &memo),
        &[
            Line {
                account: ledger::fund_account(d.fund_id),
                fund_id: Some(d.fund_id),
                amount_fen: -d.amount_fen,
            },
            Line {
                account: format!("disbursements:{}", d.payee_kind.as_str()),
                fund_id: None,
                amount_fen: d.amount_fen,
            },
        ],
    )
    .await?;
    transition(&txn, &d, State::Approved, State::Paid, |u| {
        u.col_expr(disbursement::Column::PaidEntryId, Expr::value(entry))
    })
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("disbursement.pay", &d.unit)
            .target("disbursement", id)
            .summary(json!({ "amountFen": d.amount_fen, "balanceBefore": balance })),
    )
    .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Undoes a payment: a reversing entry puts the money back into the fund.
pub async fn reverse(cx: &Ctx, id: i64, reason: &str) -> ServiceResult<DisbursementRecord> {
    let reason = super::required_text("reason", reason, 500)?;
    let txn = cx.db().begin().await?;
    let d = payable(&txn, cx, id, State::Paid).await?;
    let paid = d.paid_entry_id.ok_or_else(|| {
        ServiceError::Database(sea_orm::DbErr::Custom(format!(
            "paid disbursement {id} has no entry"
        )))
    })?;
    let reversal = ledger::reverse(
        &txn,
        cx,
        &d.unit,
        (paid, EntryKind::Disbursement),
        &format!("reverse disbursement {id}: {reason}"),
    )
    .await?;
    transition(&txn, &d, State::Paid, State::Reversed, |u| {
        u.col_expr(disbursement::Column::ReversedEntryId, Expr::value(reversal))
    })
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("disbursement.reverse", &d.unit)
            .target("disbursement", id)
            .summary(json!({ "reason": reason })),
    )
    .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<DisbursementRecord> {
    get_in(cx.db(), cx, id).await
}

/// Many disbursements by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, DisbursementRecord>> {
    cx.get_many::<entity::disbursement::Entity, _>(Action::Read, ids, |r: &DisbursementRecord| r.id)
        .await
}

async fn get_in(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<DisbursementRecord> {
    cx.get::<disbursement::Entity>(conn, Action::Read, id)
        .await?
        .try_into()
}

#[derive(Debug, Clone, Default)]
pub struct DisbursementFilter {
    pub under: Option<UnitCode>,
    pub fund_id: Option<i64>,
    pub state: Option<State>,
}

/// Newest first.
pub async fn list(
    cx: &Ctx,
    filter: &DisbursementFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<DisbursementRecord>, u64)> {
    let Some(mut q) = cx.find::<disbursement::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(disbursement::Column::UnitCode, under));
    }
    if let Some(fund) = filter.fund_id {
        q = q.filter(disbursement::Column::FundId.eq(fund));
    }
    if let Some(state) = filter.state {
        q = q.filter(disbursement::Column::State.eq(state));
    }
    let sort = super::Sort::new([disbursement::Column::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}
