//! Exports for spreadsheets: a fund's statement (every ledger line of a period with
//! the running balance) and donation lists, read page by page in key order so a year
//! of a district's donations never sits in memory — the HTTP layer writes each page
//! out (CSV) or into a constant-memory workbook (XLSX) before asking for the next.
//! Each export is one audit entry; donors are masked per row as on screen, without
//! an audit entry per row.

use std::collections::HashMap;

use chrono::NaiveDate;
use entity::kinds::{DonationKind, EntryKind};
use entity::{donation, ledger_entry, ledger_line};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
};
use serde_json::json;

use crate::codes::mask_name;
use crate::error::{Reason, ServiceResult};
use crate::services::audit::{self, Entry};
use crate::services::funds;
use crate::services::{ranges, scoped, Ctx};

/// Rows read per page.
pub const PAGE: u64 = 2000;

/// One cell of an exported row.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    /// Money, written in yuan with two decimals.
    Fen(i64),
    Day(NaiveDate),
    Int(i64),
    Empty,
}

/// What to export.
#[derive(Debug, Clone)]
pub enum Request {
    /// Donations the caller may read, received in `from..=to`, optionally of one
    /// fund or under one unit.
    Donations {
        under: Option<UnitCode>,
        fund_id: Option<i64>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
    /// One fund's ledger lines booked in `from..=to`, with the running balance.
    Statement {
        fund_id: i64,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    },
}

enum Cursor {
    /// After the last row sent, in (unit, id) order: the unit index's own order, so
    /// each page is one range read without sorting what is left.
    Donations { after: Option<(String, i64)> },
    /// After the last line sent (its day and entry), or from the period's start.
    Statement {
        after: Option<(NaiveDate, i64)>,
        from: Option<NaiveDate>,
        balance: i64,
    },
}

/// An export under way: its columns, a file name, and the next page to read.
pub struct Export {
    request: Request,
    cursor: Cursor,
    done: bool,
    pub title: String,
    pub columns: Vec<&'static str>,
    funds: HashMap<i64, String>,
    personal: HashMap<String, bool>,
}

fn check_period(from: Option<NaiveDate>, to: Option<NaiveDate>) -> ServiceResult<()> {
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            return Err(Reason::RANGE_REVERSED.at("to").arg("start", "from").into());
        }
    }
    Ok(())
}

impl Export {
    /// Checks the request and the caller (signed in; the fund readable for a
    /// statement) and records the export in the audit log.
    pub async fn start(cx: &Ctx, request: Request) -> ServiceResult<Export> {
        // Exports are for signed-in offices only, whatever the policy makes public.
        cx.access().user_id()?;
        let (title, columns, cursor, audit_unit, action) = match &request {
            Request::Donations {
                under, from, to, ..
            } => {
                check_period(*from, *to)?;
                (
                    "donations".to_owned(),
                    vec![
                        "收据编号",
                        "接收日期",
                        "基金",
                        "类型",
                        "金额（元）",
                        "捐赠人",
                        "捐赠人类型",
                        "渠道",
                        "状态",
                        "作废原因",
                        "定向用途",
                        "单位代码",
                    ],
                    Cursor::Donations { after: None },
                    under.clone(),
                    "donation.export",
                )
            }
            Request::Statement { fund_id, from, to } => {
                check_period(*from, *to)?;
                let fund = funds::get(cx, *fund_id).await?;
                cx.access()
                    .require(Resource::Donation, Action::Read, &fund.unit)?;
                let opening = match from {
                    Some(f) => {
                        super::ledger::balance_on(cx.db(), fund.id, *f - chrono::Duration::days(1))
                            .await?
                    }
                    None => 0,
                };
                (
                    format!("statement-{}", fund.id),
                    vec![
                        "记账日期",
                        "凭证号",
                        "类型",
                        "摘要",
                        "收入（元）",
                        "支出（元）",
                        "余额（元）",
                    ],
                    Cursor::Statement {
                        after: None,
                        from: *from,
                        balance: opening,
                    },
                    Some(fund.unit.clone()),
                    "fund.statement",
                )
            }
        };
        let (fund_id, from, to) = match &request {
            Request::Donations {
                fund_id, from, to, ..
            } => (*fund_id, *from, *to),
            Request::Statement { fund_id, from, to } => (Some(*fund_id), *from, *to),
        };
        audit::log(
            cx.db(),
            cx,
            Entry::new_opt(action, audit_unit.as_ref())
                .summary(json!({ "fund": fund_id, "from": from, "to": to })),
        )
        .await?;
        Ok(Export {
            request,
            cursor,
            done: false,
            title,
            columns,
            funds: HashMap::new(),
            personal: HashMap::new(),
        })
    }

    /// The next page of rows; `None` when there are no more.
    pub async fn next_page(&mut self, cx: &Ctx) -> ServiceResult<Option<Vec<Vec<Cell>>>> {
        if self.done {
            return Ok(None);
        }
        let rows = match self.request.clone() {
            Request::Donations {
                under,
                fund_id,
                from,
                to,
            } => self.donations(cx, under, fund_id, from, to).await?,
            Request::Statement { fund_id, to, .. } => self.statement(cx, fund_id, to).await?,
        };
        if (rows.len() as u64) < PAGE {
            self.done = true;
        }
        Ok((!rows.is_empty()).then_some(rows))
    }

    async fn donations(
        &mut self,
        cx: &Ctx,
        under: Option<UnitCode>,
        fund_id: Option<i64>,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> ServiceResult<Vec<Vec<Cell>>> {
        let Cursor::Donations { after } = &self.cursor else {
            return Ok(Vec::new());
        };
        let Some(mut q) = cx.find::<donation::Entity>(Action::Read)? else {
            return Ok(Vec::new());
        };
        use donation::Column as C;
        if let Some(u) = &under {
            q = q.filter(ranges::subtree(C::UnitCode, u));
        }
        if let Some(f) = fund_id {
            q = q.filter(C::FundId.eq(f));
        }
        if let Some(f) = from {
            q = q.filter(C::ReceivedOn.gte(f));
        }
        if let Some(t) = to {
            q = q.filter(C::ReceivedOn.lte(t));
        }
        if let Some((unit, id)) = after {
            q = q.filter(
                Condition::any().add(C::UnitCode.gt(unit.as_str())).add(
                    Condition::all()
                        .add(C::UnitCode.eq(unit.as_str()))
                        .add(C::Id.gt(*id)),
                ),
            );
        }
        let page = q
            .order_by_asc(C::UnitCode)
            .order_by_asc(C::Id)
            .limit(PAGE)
            .all(cx.db())
            .await?;
        if let Some(last) = page.last() {
            self.cursor = Cursor::Donations {
                after: Some((last.unit_code.clone(), last.id)),
            };
        }
        // Fund names for this page, once each.
        let missing: Vec<i64> = page
            .iter()
            .map(|d| d.fund_id)
            .filter(|f| !self.funds.contains_key(f))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        if !missing.is_empty() {
            for (id, f) in funds::get_many(cx, &missing).await? {
                self.funds.insert(id, f.name);
            }
        }
        let mut rows = Vec::with_capacity(page.len());
        for d in page {
            let open = match self.personal.get(&d.unit_code) {
                Some(open) => *open,
                None => {
                    let unit = super::stored_unit(&d.unit_code)?;
                    let open = cx
                        .access()
                        .check(Resource::Donation, Action::ReadPersonal, &unit)?
                        .allowed();
                    self.personal.insert(d.unit_code.clone(), open);
                    open
                }
            };
            let donor = match &d.donor_name {
                None => "匿名".to_owned(),
                Some(n) if open => n.clone(),
                Some(n) => mask_name(n),
            };
            rows.push(vec![
                Cell::Text(d.receipt_number),
                Cell::Day(d.received_on),
                Cell::Text(self.funds.get(&d.fund_id).cloned().unwrap_or_default()),
                Cell::Text(
                    match d.kind {
                        DonationKind::Money => "资金",
                        DonationKind::Goods => "物资",
                    }
                    .into(),
                ),
                Cell::Fen(d.amount_fen),
                Cell::Text(donor),
                Cell::Text(d.donor_kind.as_str().into()),
                Cell::Text(d.channel.as_str().into()),
                Cell::Text(
                    if d.voided_at.is_some() {
                        "作废"
                    } else {
                        "有效"
                    }
                    .into(),
                ),
                d.void_reason.map_or(Cell::Empty, Cell::Text),
                d.designation.map_or(Cell::Empty, Cell::Text),
                Cell::Text(d.unit_code),
            ]);
        }
        Ok(rows)
    }

    async fn statement(
        &mut self,
        cx: &Ctx,
        fund_id: i64,
        to: Option<NaiveDate>,
    ) -> ServiceResult<Vec<Vec<Cell>>> {
        let Cursor::Statement {
            after,
            from,
            mut balance,
        } = self.cursor
        else {
            return Ok(Vec::new());
        };
        // Lines of the fund (checked readable in `start`), in booked order.
        let mut q = scoped::unscoped::<ledger_line::Entity>(
            "the statement lines of a fund the caller may read (checked by Export::start)",
        )
        .select_only()
        .column(ledger_entry::Column::BookedOn)
        .column(ledger_entry::Column::Id)
        .column(ledger_entry::Column::Kind)
        .column(ledger_entry::Column::Memo)
        .column_as(Expr::cust("ledger_line.amount_fen"), "amount")
        .join_rev(
            JoinType::InnerJoin,
            ledger_entry::Entity::belongs_to(ledger_line::Entity)
                .from(ledger_entry::Column::Id)
                .to(ledger_line::Column::EntryId)
                .into(),
        )
        .filter(ledger_line::Column::FundId.eq(fund_id));
        q = match after {
            Some((day, entry)) => q.filter(
                Condition::any()
                    .add(ledger_entry::Column::BookedOn.gt(day))
                    .add(
                        Condition::all()
                            .add(ledger_entry::Column::BookedOn.eq(day))
                            .add(ledger_entry::Column::Id.gt(entry)),
                    ),
            ),
            None => match from {
                Some(f) => q.filter(ledger_entry::Column::BookedOn.gte(f)),
                None => q,
            },
        };
        if let Some(t) = to {
            q = q.filter(ledger_entry::Column::BookedOn.lte(t));
        }
        let page: Vec<(Option<NaiveDate>, i64, EntryKind, String, i64)> = q
            .order_by_asc(ledger_entry::Column::BookedOn)
            .order_by_asc(ledger_entry::Column::Id)
            .limit(PAGE)
            .into_tuple()
            .all(cx.db())
            .await?;
        let mut rows = Vec::with_capacity(page.len());
        let mut last = after;
        for (booked, entry_id, kind, memo, amount) in page {
            let booked = booked.unwrap_or(NaiveDate::MIN);
            balance += amount;
            last = Some((booked, entry_id));
            rows.push(vec![
                Cell::Day(booked),
                Cell::Int(entry_id),
                Cell::Text(kind.as_str().into()),
                Cell::Text(memo),
                if amount > 0 {
                    Cell::Fen(amount)
                } else {
                    Cell::Empty
                },
                if amount < 0 {
                    Cell::Fen(-amount)
                } else {
                    Cell::Empty
                },
                Cell::Fen(balance),
            ]);
        }
        self.cursor = Cursor::Statement {
            after: last,
            from,
            balance,
        };
        Ok(rows)
    }
}
