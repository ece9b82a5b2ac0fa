//! The double-entry ledger under every money movement: an entry's lines sum to zero,
//! entries are only ever added (a correction is a reversing entry naming what it
//! reverses), and a fund's balance is the sum of its lines.

use std::collections::HashMap;

use entity::kinds::EntryKind;
use entity::{ledger_entry, ledger_line};
use policies::UnitCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, QuerySelect,
};

use crate::error::{Reason, ServiceError, ServiceResult};
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

/// Adds a balanced entry with its lines; an unbalanced one is a bug, refused before
/// anything is written.
pub(super) async fn post(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    unit: &UnitCode,
    kind: EntryKind,
    memo: &str,
    reverses: Option<i64>,
    lines: &[Line],
) -> ServiceResult<i64> {
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
        reverses_id: Set(reverses),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
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
    Ok(entry.id)
}

/// A reversing entry for `entry_id`: the same lines negated, naming what it reverses.
pub(super) async fn reverse(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    unit: &UnitCode,
    entry_id: i64,
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
    post(
        conn,
        cx,
        unit,
        EntryKind::Reversal,
        memo,
        Some(entry_id),
        &lines,
    )
    .await
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
