//! The double-entry ledger under every money movement: an entry's lines sum to zero,
//! entries are only ever added (a correction is a reversing entry naming what it
//! reverses), and a fund's balance is the sum of its lines.

use std::collections::HashMap;

use chrono::NaiveDate;

use entity::kinds::EntryKind;
use entity::{ledger_entry, ledger_line};
use policies::UnitCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};

use crate::error::{Reason, ServiceError, ServiceResult};
use crate::services::daily::Delta;
use crate::services::{scoped, Ctx};

/// One line of an entry: an amount on an account (positive into it), and the fund the
/// account belongs to, if any.
#[derive(Debug, Clone)]
pub(super) struct Line {
    pub account: String,
    pub fund_id: Option<i64>,
    pub amount_fen: i64,
}

/// The account of a fund's money.
pub(super) fn fund_account(fund_id: i64) -> String {
    format!("fund:{fund_id}")
}

/// What an entry is: its kind, the unit it is made at, the day it counts on, what
/// it says, and (for a reversal) the kind and id of the entry it undoes.
pub(super) struct Posting<'a> {
    pub unit: &'a UnitCode,
    pub kind: EntryKind,
    pub booked_on: NaiveDate,
    pub memo: &'a str,
    pub reverses: Option<(i64, EntryKind)>,
}

impl<'a> Posting<'a> {
    /// An entry of `kind` at `unit`, counting on the caller's today.
    pub fn new(cx: &Ctx, unit: &'a UnitCode, kind: EntryKind, memo: &'a str) -> Self {
        Posting {
            unit,
            kind,
            booked_on: super::daily::day_of(cx.now()),
            memo,
            reverses: None,
        }
    }

    pub fn on(mut self, day: NaiveDate) -> Self {
        self.booked_on = day;
        self
    }
}

/// Adds a balanced entry with its lines; an unbalanced one is a bug, refused before
/// anything is written. The kept figures of each fund's unit move with it
/// (`services::daily`): balance, and money raised or paid out.
pub(super) async fn post(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    p: Posting<'_>,
    lines: &[Line],
) -> ServiceResult<i64> {
    let Posting {
        unit,
        kind,
        booked_on,
        memo,
        reverses,
    } = p;
    let sum: i128 = lines.iter().map(|l| i128::from(l.amount_fen)).sum();
    if sum != 0 || lines.len() < 2 {
        return Err(ServiceError::Database(DbErr::Custom(format!(
            "unbalanced ledger entry ({kind:?}, {} lines, sum {sum})",
            lines.len()
        ))));
    }
    let entry = ledger_entry::ActiveModel {
        unit_code: Set(unit.to_string()),
        kind: Set(kind),
        memo: Set(memo.to_owned()),
        reverses_id: Set(reverses.map(|(id, _)| id)),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        booked_on: Set(Some(booked_on)),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    ledger_line::Entity::insert_many(lines.iter().map(|l| ledger_line::ActiveModel {
        entry_id: Set(entry.id),
        account: Set(l.account.clone()),
        fund_id: Set(l.fund_id),
        amount_fen: Set(l.amount_fen),
        ..Default::default()
    }))
    .exec_without_returning(conn)
    .await?;
    count(conn, kind, reverses.map(|(_, k)| k), booked_on, lines).await?;
    Ok(entry.id)
}

/// Adds an entry's effect to the kept figures of the units its funds are at.
async fn count(
    conn: &impl ConnectionTrait,
    kind: EntryKind,
    reversed: Option<EntryKind>,
    day: NaiveDate,
    lines: &[Line],
) -> ServiceResult<()> {
    let funds: Vec<i64> = lines.iter().filter_map(|l| l.fund_id).collect();
    if funds.is_empty() {
        return Ok(());
    }
    let units: HashMap<i64, String> = scoped::unscoped::<entity::fund::Entity>(
        "the units of the funds an entry being written moves",
    )
    .select_only()
    .column(entity::fund::Column::Id)
    .column(entity::fund::Column::UnitCode)
    .filter(entity::fund::Column::Id.is_in(funds))
    .into_tuple::<(i64, String)>()
    .all(conn)
    .await?
    .into_iter()
    .collect();
    // What the entry counts as: a reversal counts as its original, negated (its
    // lines already are).
    let (effect, sign) = match (kind, reversed) {
        (EntryKind::Reversal, Some(k)) => (k, -1),
        (k, _) => (k, 1),
    };
    let mut by_unit: HashMap<&str, Delta> = HashMap::new();
    for l in lines {
        let Some(unit) = l.fund_id.and_then(|f| units.get(&f)) else {
            continue;
        };
        let d = by_unit.entry(unit.as_str()).or_default();
        d.fund_net_fen += l.amount_fen;
        match effect {
            EntryKind::Donation => d.raised_fen += l.amount_fen,
            EntryKind::Disbursement => d.disbursed_fen -= l.amount_fen,
            _ => {}
        }
    }
    if effect == EntryKind::Donation {
        for d in by_unit.values_mut() {
            d.donations += sign;
        }
    }
    let changes = by_unit
        .into_iter()
        .map(|(unit, d)| Ok((super::stored_unit(unit)?, day, d)))
        .collect::<ServiceResult<Vec<_>>>()?;
    super::daily::bump_all(conn, changes).await
}

/// A reversing entry for `entry_id` (an entry of `kind`): the same lines negated,
/// naming what it reverses, booked today.
pub(super) async fn reverse(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    unit: &UnitCode,
    (entry_id, kind): (i64, EntryKind),
    memo: &str,
) -> ServiceResult<i64> {
    let lines: Vec<Line> = scoped::unscoped::<ledger_line::Entity>(
        "the lines of an entry whose record the caller already read",
    )
    .filter(ledger_line::Column::EntryId.eq(entry_id))
    .all(conn)
    .await?
    .into_iter()
    .map(|l| Line {
        account: l.account,
        fund_id: l.fund_id,
        amount_fen: -l.amount_fen,
    })
    .collect();
    let mut posting = Posting::new(cx, unit, EntryKind::Reversal, memo);
    posting.reverses = Some((entry_id, kind));
    post(conn, cx, posting, &lines).await
}

/// Money of `fen` may leave a fund at `unit` by the caller's decision:
/// `disbursement.approve` at the level `[charity] approval` names for the amount, or
/// above. Disbursements and transfers between funds both ask this.
pub(super) fn require_approval(cx: &Ctx, unit: &UnitCode, fen: i64) -> ServiceResult<()> {
    use policies::{Action, Resource};
    let level = cx.access().policy().charity_rules().approval_level(fen);
    let decision =
        cx.access()
            .check_from_level(Resource::Disbursement, Action::Approve, unit, level)?;
    cx.access().enforce(&decision)
}

/// Takes the fund's row lock (PostgreSQL) for the rest of the transaction, so that
/// checks of its balance and writes to it happen one at a time; SQLite has one
/// writer already.
pub(super) async fn lock_fund(conn: &impl ConnectionTrait, fund_id: i64) -> ServiceResult<()> {
    entity::fund::Entity::update_many()
        .col_expr(
            entity::fund::Column::Id,
            Expr::col(entity::fund::Column::Id),
        )
        .filter(entity::fund::Column::Id.eq(fund_id))
        .exec(conn)
        .await?;
    Ok(())
}

/// The fund's balance, refused with `FUND_INSUFFICIENT` when it is less than
/// `amount_fen` (take [`lock_fund`] first, so no one else draws on it meanwhile).
pub(super) async fn require_balance(
    conn: &impl ConnectionTrait,
    fund_id: i64,
    amount_fen: i64,
) -> ServiceResult<i64> {
    let balance = balances(conn, &[fund_id])
        .await?
        .get(&fund_id)
        .copied()
        .unwrap_or(0);
    if balance < amount_fen {
        return Err(Reason::FUND_INSUFFICIENT
            .arg("balance", balance)
            .arg("amount", amount_fen)
            .into());
    }
    Ok(balance)
}

/// What a fund held at the end of `day`: its lines of entries booked up to then.
pub(super) async fn balance_on(
    conn: &impl ConnectionTrait,
    fund_id: i64,
    day: NaiveDate,
) -> ServiceResult<i64> {
    use sea_orm::JoinType;
    let sum: Option<Option<i64>> =
        scoped::unscoped::<ledger_line::Entity>("the balance of a fund the caller already read")
            .join_rev(
                JoinType::InnerJoin,
                ledger_entry::Entity::belongs_to(ledger_line::Entity)
                    .from(ledger_entry::Column::Id)
                    .to(ledger_line::Column::EntryId)
                    .into(),
            )
            .filter(ledger_line::Column::FundId.eq(fund_id))
            .filter(ledger_entry::Column::BookedOn.lte(day))
            .select_only()
            .column_as(
                Expr::cust("CAST(SUM(ledger_line.amount_fen) AS BIGINT)"),
                "b",
            )
            .into_tuple()
            .one(conn)
            .await?;
    Ok(sum.flatten().unwrap_or(0))
}

/// The balance of each fund: the sum of its lines (0 for a fund with none).
pub(super) async fn balances(
    conn: &impl ConnectionTrait,
    fund_ids: &[i64],
) -> ServiceResult<HashMap<i64, i64>> {
    if fund_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(Option<i64>, Option<i64>)> =
        scoped::unscoped::<ledger_line::Entity>("balances of funds the caller already read")
            .select_only()
            .column(ledger_line::Column::FundId)
            // PostgreSQL sums bigints to numeric: cast back so both databases answer i64.
            .column_as(Expr::cust("CAST(SUM(amount_fen) AS BIGINT)"), "balance")
            .filter(ledger_line::Column::FundId.is_in(fund_ids.iter().copied()))
            .group_by(ledger_line::Column::FundId)
            .into_tuple()
            .all(conn)
            .await?;
    let mut out: HashMap<i64, i64> = fund_ids.iter().map(|id| (*id, 0)).collect();
    for (fund, balance) in rows {
        if let Some(fund) = fund {
            out.insert(fund, balance.unwrap_or(0));
        }
    }
    Ok(out)
}
