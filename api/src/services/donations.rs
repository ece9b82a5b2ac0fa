//! Money donations to open funds. Each gets a receipt number unique and gap-free per
//! fund and year (`440104003-7-2026-000123`: unit, fund, year, sequence), taken in
//! the donation's own transaction so a failed donation uses no number. A voided
//! donation keeps its number, marked void with a reason, and is undone on the
//! ledger by a reversing entry. Donor names and contacts are personal data.

use chrono::{Datelike, NaiveDate};
use entity::donation;
use entity::kinds::{DonationChannel, DonationKind, DonorKind, EntryKind, FundStatus};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, Statement, TransactionTrait, Value,
};
use serde::Serialize;
use serde_json::json;

use crate::codes::mask_name;
use crate::error::{Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::donors::{self, Donor};
use crate::services::funds::{self, MAX_AMOUNT_FEN};
use crate::services::ledger::{self, Line, Posting};
use crate::services::{campaigns, pledges, ranges, scoped, throttle, Ctx};

#[derive(Debug, Clone)]
pub struct DonationRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub fund_id: i64,
    pub amount_fen: i64,
    pub donor_kind: DonorKind,
    donor_name: Option<String>,
    donor_contact: Option<String>,
    pub channel: DonationChannel,
    pub received_on: NaiveDate,
    pub receipt_number: String,
    pub voided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub void_reason: Option<String>,
    pub recorded_by: Option<i64>,
    pub kind: DonationKind,
    pub items: Vec<GoodsItem>,
    pub campaign_id: Option<i64>,
    pub pledge_id: Option<i64>,
    pub designation: Option<String>,
    /// The ledger entry that booked it (internal: what a void reverses).
    entry_id: i64,
}

/// One line of a goods donation (物资捐赠).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GoodsItem {
    pub name: String,
    pub quantity: i64,
    /// The unit counted in (箱, 件, kg), when given.
    #[serde(default)]
    pub unit: Option<String>,
    /// The estimated value of the whole line, in fen.
    pub value_fen: i64,
}

impl TryFrom<donation::Model> for DonationRecord {
    type Error = ServiceError;
    fn try_from(m: donation::Model) -> ServiceResult<Self> {
        Ok(DonationRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            fund_id: m.fund_id,
            amount_fen: m.amount_fen,
            donor_kind: m.donor_kind,
            donor_name: m.donor_name,
            donor_contact: m.donor_contact,
            channel: m.channel,
            received_on: m.received_on,
            receipt_number: m.receipt_number,
            voided_at: m.voided_at,
            void_reason: m.void_reason,
            recorded_by: m.recorded_by,
            items: match &m.items {
                None => Vec::new(),
                Some(text) => serde_json::from_str(text).map_err(|e| {
                    ServiceError::Database(DbErr::Custom(format!(
                        "donation {} has bad items: {e}",
                        m.id
                    )))
                })?,
            },
            kind: m.kind,
            campaign_id: m.campaign_id,
            pledge_id: m.pledge_id,
            designation: m.designation,
            entry_id: m.entry_id,
        })
    }
}

pub struct NewDonation {
    pub fund_id: i64,
    /// Money: the amount. Goods: left out (the sum of the items' values is used).
    pub amount_fen: Option<i64>,
    pub kind: DonationKind,
    pub items: Vec<GoodsItem>,
    pub donor_kind: DonorKind,
    pub donor_name: Option<String>,
    pub donor_contact: Option<String>,
    pub channel: DonationChannel,
    pub received_on: NaiveDate,
    pub campaign_id: Option<i64>,
    pub pledge_id: Option<i64>,
    pub designation: Option<String>,
}

/// The items of a goods donation, checked, and their total value; none for money.
fn goods(kind: DonationKind, items: &[GoodsItem]) -> ServiceResult<Option<(String, i64)>> {
    let bad = || Err(Reason::GOODS_ITEMS.at("items").into());
    if kind == DonationKind::Money {
        return if items.is_empty() { Ok(None) } else { bad() };
    }
    if items.is_empty() || items.len() > 100 {
        return bad();
    }
    let mut clean = Vec::with_capacity(items.len());
    let mut total: i64 = 0;
    for i in items {
        let name = i.name.trim();
        let unit = i.unit.as_deref().map(str::trim).filter(|u| !u.is_empty());
        if name.is_empty()
            || name.chars().count() > 100
            || unit.is_some_and(|u| u.chars().count() > 20)
            || !(1..=1_000_000_000).contains(&i.quantity)
            || !(0..=MAX_AMOUNT_FEN).contains(&i.value_fen)
        {
            return bad();
        }
        total = total.saturating_add(i.value_fen);
        clean.push(GoodsItem {
            name: name.to_owned(),
            quantity: i.quantity,
            unit: unit.map(str::to_owned),
            value_fen: i.value_fen,
        });
    }
    let total = donors::amount("items", total)?;
    let text = serde_json::to_string(&clean)
        .map_err(|e| ServiceError::Database(DbErr::Custom(e.to_string())))?;
    Ok(Some((text, total)))
}

/// The donor's name and contact: in full with `donation.read_personal` at the
/// donation's unit (the read is audited), masked otherwise.
pub async fn donor(cx: &Ctx, d: &DonationRecord) -> ServiceResult<Donor> {
    donors::reveal(
        cx,
        &d.unit,
        ("donation", d.id),
        d.donor_name.as_deref(),
        d.donor_contact.as_deref(),
    )
    .await
}

/// The next receipt sequence of `fund_id` in `year`, in the caller's transaction:
/// the counter row is locked until it commits, and a rollback returns the number.
async fn next_receipt_seq(
    conn: &impl ConnectionTrait,
    fund_id: i64,
    year: i32,
) -> ServiceResult<i32> {
    let backend = conn.get_database_backend();
    let sql = format!(
        "INSERT INTO receipt_counter (fund_id, year, last_seq) VALUES ({}, {}, 1) \
         ON CONFLICT (fund_id, year) DO UPDATE SET last_seq = receipt_counter.last_seq + 1 \
         RETURNING last_seq",
        throttle::param(backend, 1),
        throttle::param(backend, 2),
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [Value::from(fund_id), Value::from(year)],
        ))
        .await?
        .ok_or_else(|| ServiceError::Database(DbErr::Custom("no receipt sequence".into())))?;
    Ok(row.try_get_by_index::<i32>(0)?)
}

/// Records a donation to an open fund, with its receipt and ledger entry: money
/// into the fund's account; goods at their estimated value onto the fund's goods
/// account, which pays nothing out. A named campaign must be the fund's, running on
/// the day received and raising through the channel; a named pledge (money only)
/// counts the amount towards it.
pub async fn record(cx: &Ctx, input: NewDonation) -> ServiceResult<DonationRecord> {
    let txn = cx.db().begin().await?;
    let m = record_in(&txn, cx, input, Recorder::Caller).await?;
    txn.commit().await?;
    Ok(m)
}

/// Who books a donation: the caller (`donation.create` at the fund's unit), or a
/// charity supermarket's sale paying its configured share, which the seller's
/// `supermarket.update` already covers — the one way around that check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Recorder {
    Caller,
    SupermarketShare,
}

/// [`record`] in the caller's transaction.
pub(super) async fn record_in(
    txn: &DatabaseTransaction,
    cx: &Ctx,
    input: NewDonation,
    by: Recorder,
) -> ServiceResult<DonationRecord> {
    let goods = goods(input.kind, &input.items)?;
    let amount_fen = match (&goods, input.amount_fen) {
        (Some((_, total)), None) => *total,
        (Some(_), Some(_)) => return Err(Reason::GOODS_ITEMS.at("amountFen").into()),
        (None, fen) => donors::amount("amountFen", fen.unwrap_or(0))?,
    };
    if goods.is_some() && input.pledge_id.is_some() {
        return Err(Reason::PLEDGE_MONEY_ONLY.at("pledgeId").into());
    }
    let (name, contact) = donors::donor_fields(
        input.donor_kind,
        input.donor_name.as_deref(),
        input.donor_contact.as_deref(),
    )?;
    let designation = super::optional_text("designation", input.designation.as_deref(), 200)?;
    if input.received_on > super::daily::day_of(cx.now()) {
        return Err(Reason::IN_FUTURE.at("receivedOn").into());
    }
    let fund = match by {
        Recorder::Caller => {
            let fund = funds::get_in(txn, cx, input.fund_id).await?;
            cx.access()
                .require(Resource::Donation, Action::Create, &fund.unit)?;
            fund
        }
        Recorder::SupermarketShare => funds::get_unchecked(txn, input.fund_id).await?,
    };
    if fund.status == FundStatus::Closed {
        return Err(Reason::FUND_CLOSED.at("fundId").into());
    }
    if let Some(c) = campaigns::of_fund(txn, cx, input.campaign_id, fund.id).await? {
        if !c.channels.contains(&input.channel) {
            return Err(Reason::CHANNEL_NOT_IN_CAMPAIGN
                .at("channel")
                .arg("channel", input.channel.as_str())
                .into());
        }
        if input.received_on < c.starts_on || input.received_on > c.ends_on {
            return Err(Reason::OUTSIDE_CAMPAIGN.at("receivedOn").into());
        }
    }
    let pledge = pledges::of_fund(txn, cx, input.pledge_id, fund.id).await?;
    ledger::lock_fund(txn, fund.id).await?;
    let year = input.received_on.year();
    let seq = next_receipt_seq(txn, fund.id, year).await?;
    let number = format!("{}-{}-{year}-{seq:06}", fund.unit, fund.id);
    let memo = format!("donation {number}");
    let (kind, lines) = match goods {
        None => (
            EntryKind::Donation,
            [
                Line {
                    account: ledger::fund_account(fund.id),
                    fund_id: Some(fund.id),
                    amount_fen,
                },
                Line {
                    account: format!("donations:{}", input.channel.as_str()),
                    fund_id: None,
                    amount_fen: -amount_fen,
                },
            ],
        ),
        Some(_) => (
            EntryKind::GoodsDonation,
            [
                Line {
                    account: format!("goods:{}", fund.id),
                    fund_id: None,
                    amount_fen,
                },
                Line {
                    account: "donations:goods".into(),
                    fund_id: None,
                    amount_fen: -amount_fen,
                },
            ],
        ),
    };
    let posting = Posting::new(cx, &fund.unit, kind, &memo).on(input.received_on);
    let entry = ledger::post(txn, cx, posting, &lines).await?;
    if let Some(p) = &pledge {
        pledges::settle(txn, &fund.unit, p.id, amount_fen, input.received_on).await?;
    }
    let m = donation::ActiveModel {
        unit_code: Set(fund.unit.to_string()),
        fund_id: Set(fund.id),
        amount_fen: Set(amount_fen),
        donor_kind: Set(input.donor_kind),
        donor_name: Set(name),
        donor_contact: Set(contact),
        channel: Set(input.channel),
        received_on: Set(input.received_on),
        receipt_number: Set(number.clone()),
        entry_id: Set(entry),
        voided_at: Set(None),
        void_reason: Set(None),
        void_entry_id: Set(None),
        recorded_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        kind: Set(input.kind),
        items: Set(goods.map(|(text, _)| text)),
        campaign_id: Set(input.campaign_id),
        pledge_id: Set(pledge.map(|p| p.id)),
        designation: Set(designation),
        ..Default::default()
    }
    .insert(txn)
    .await?;
    // The audit entry names the receipt and the amount, never the donor.
    audit::log(
        txn,
        cx,
        Entry::new("donation.record", &fund.unit)
            .target("donation", m.id)
            .summary(json!({ "receipt": number, "amountFen": amount_fen, "kind": input.kind, "channel": input.channel })),
    )
    .await?;
    m.try_into()
}

/// Voids a donation: its receipt stays in the sequence, marked void with the reason,
/// and a reversing ledger entry takes it back out — refused for money the fund no
/// longer holds. A pledge it counted towards loses the amount again.
pub async fn void(cx: &Ctx, id: i64, reason: &str) -> ServiceResult<DonationRecord> {
    let reason = super::required_text("reason", reason, 500)?;
    let txn = cx.db().begin().await?;
    let d: DonationRecord = cx
        .get::<donation::Entity>(&txn, Action::Read, id)
        .await?
        .try_into()?;
    cx.access()
        .require(Resource::Donation, Action::Update, &d.unit)?;
    if d.voided_at.is_some() {
        return Err(Reason::DONATION_VOIDED.into());
    }
    ledger::lock_fund(&txn, d.fund_id).await?;
    let kind = match d.kind {
        DonationKind::Money => {
            ledger::require_balance(&txn, d.fund_id, d.amount_fen).await?;
            EntryKind::Donation
        }
        DonationKind::Goods => EntryKind::GoodsDonation,
    };
    let reversal = ledger::reverse(
        &txn,
        cx,
        &d.unit,
        (d.entry_id, kind),
        &format!("void {}: {reason}", d.receipt_number),
    )
    .await?;
    let done = donation::Entity::update_many()
        .col_expr(donation::Column::VoidedAt, Expr::value(cx.now()))
        .col_expr(donation::Column::VoidReason, Expr::value(reason.clone()))
        .col_expr(donation::Column::VoidEntryId, Expr::value(reversal))
        .filter(donation::Column::Id.eq(id))
        .filter(donation::Column::VoidedAt.is_null())
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(Reason::DONATION_VOIDED.into());
    }
    if let Some(p) = d.pledge_id {
        let today = super::daily::day_of(cx.now());
        pledges::settle(&txn, &d.unit, p, -d.amount_fen, today).await?;
    }
    audit::log(
        &txn,
        cx,
        Entry::new("donation.void", &d.unit)
            .target("donation", id)
            .summary(json!({ "receipt": d.receipt_number, "reason": reason })),
    )
    .await?;
    let after = cx
        .get::<donation::Entity>(&txn, Action::Read, id)
        .await?
        .try_into()?;
    txn.commit().await?;
    Ok(after)
}

/// The printable receipt (捐赠收据, A4, for the browser's print dialog): the donor as
/// the caller may see it (printing one with the name needs
/// `donation.read_personal`, and is audited like any unmasked read), the fund and its
/// holder, the amount in figures and in words, and where to check it.
pub async fn printable_receipt(cx: &Ctx, d: &DonationRecord) -> ServiceResult<String> {
    use crate::html::{escape, yuan, yuan_in_words};
    let fund = funds::get(cx, d.fund_id).await?;
    let donor = donors::reveal(
        cx,
        &d.unit,
        ("donation", d.id),
        d.donor_name.as_deref(),
        d.donor_contact.as_deref(),
    )
    .await?;
    let what = match d.kind {
        DonationKind::Money => format!(
            "人民币 {}（{}）",
            yuan(d.amount_fen),
            yuan_in_words(d.amount_fen)
        ),
        DonationKind::Goods => {
            let lines: Vec<String> = d
                .items
                .iter()
                .map(|i| {
                    format!(
                        "{} {}{}（估值 {} 元）",
                        escape(&i.name),
                        i.quantity,
                        escape(i.unit.as_deref().unwrap_or("")),
                        yuan(i.value_fen)
                    )
                })
                .collect();
            format!(
                "物资：{}；合计估值 {} 元（{}）",
                lines.join("；"),
                yuan(d.amount_fen),
                yuan_in_words(d.amount_fen)
            )
        }
    };
    let void = match (&d.voided_at, &d.void_reason) {
        (Some(_), reason) => format!(
            "<p class=\"void\">本收据已作废：{}</p>",
            escape(reason.as_deref().unwrap_or(""))
        ),
        _ => String::new(),
    };
    let credit = fund
        .holder_credit_code
        .as_deref()
        .map(|c| format!("（统一社会信用代码 {}）", escape(c)))
        .unwrap_or_default();
    Ok(format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>捐赠收据 {number}</title>
<style>@page {{ size: A4; margin: 20mm }} body {{ font-family: serif; max-width: 170mm; margin: auto }}
h1 {{ text-align: center; letter-spacing: .3em }} table {{ width: 100%; border-collapse: collapse }}
td {{ border: 1px solid #000; padding: 6px 8px }} .void {{ color: #b00; font-weight: bold; font-size: 1.3em }}</style></head>
<body><h1>捐赠收据</h1>
<p>收据编号：{number}</p>{void}
<table>
<tr><td>捐赠人</td><td>{donor}</td></tr>
<tr><td>捐赠内容</td><td>{what}</td></tr>
<tr><td>受赠基金</td><td>{fund}</td></tr>
<tr><td>基金管理方</td><td>{holder}{credit}</td></tr>
<tr><td>捐赠方式</td><td>{channel}</td></tr>
<tr><td>接收日期</td><td>{date}</td></tr>
{designation}</table>
<p>感谢您对社区慈善事业的支持！</p>
<p>收款单位：{unit_code}　　开具日期：{today}</p>
<p>本收据可在 /receipts/{number} 核验。</p>
</body></html>
"#,
        number = escape(&d.receipt_number),
        donor = escape(&donor.name),
        fund = escape(&fund.name),
        holder = escape(&fund.holder_name),
        channel = channel_name(d.channel),
        date = d.received_on,
        designation = d
            .designation
            .as_deref()
            .map(|x| format!("<tr><td>定向用途</td><td>{}</td></tr>\n", escape(x)))
            .unwrap_or_default(),
        unit_code = d.unit,
        today = super::daily::day_of(cx.now()),
    ))
}

/// How a receipt names a channel.
fn channel_name(c: DonationChannel) -> &'static str {
    match c {
        DonationChannel::Cash => "现金",
        DonationChannel::BankTransfer => "银行转账",
        DonationChannel::OnlinePlatform => "互联网募捐平台",
        DonationChannel::DonationPoint => "社区捐赠点",
        DonationChannel::CharitySupermarketShare => "慈善超市销售分成",
    }
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<DonationRecord> {
    cx.get::<donation::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

/// Many donations by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, DonationRecord>> {
    cx.get_many::<donation::Entity, _>(Action::Read, ids, |r: &DonationRecord| r.id)
        .await
}

#[derive(Debug, Clone, Default)]
pub struct DonationFilter {
    pub under: Option<UnitCode>,
    pub fund_id: Option<i64>,
    pub campaign_id: Option<i64>,
}

/// Newest first.
pub async fn list(
    cx: &Ctx,
    filter: &DonationFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<DonationRecord>, u64)> {
    let Some(mut q) = cx.find::<donation::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(donation::Column::UnitCode, under));
    }
    if let Some(fund) = filter.fund_id {
        q = q.filter(donation::Column::FundId.eq(fund));
    }
    if let Some(c) = filter.campaign_id {
        q = q.filter(donation::Column::CampaignId.eq(c));
    }
    let sort = super::Sort::new([donation::Column::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// What anyone holding a receipt may check: valid or void, the fund, the amount,
/// the day, and the donor masked.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptCheck {
    pub number: String,
    pub valid: bool,
    pub fund: String,
    pub unit_code: String,
    pub amount_fen: i64,
    pub received_on: NaiveDate,
    pub donor: String,
}

/// The public check of a receipt number. Deliberately not scoped: whoever holds a
/// receipt may check it; only the masked donor leaves.
pub async fn check_receipt(cx: &Ctx, number: &str) -> ServiceResult<ReceiptCheck> {
    let number = number.trim();
    if number.len() > 60 || !number.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(ServiceError::NotFound(Thing::Donation));
    }
    let d = scoped::unscoped::<donation::Entity>("the public check of a receipt number")
        .filter(donation::Column::ReceiptNumber.eq(number))
        .one(cx.db())
        .await?
        .ok_or(ServiceError::NotFound(Thing::Donation))?;
    let fund = scoped::unscoped_by_id::<entity::fund::Entity>(
        d.fund_id,
        "the fund named on a receipt being checked",
    )
    .one(cx.db())
    .await?
    .ok_or(ServiceError::NotFound(Thing::Fund))?;
    Ok(ReceiptCheck {
        number: d.receipt_number,
        valid: d.voided_at.is_none(),
        fund: fund.name,
        unit_code: d.unit_code,
        amount_fen: d.amount_fen,
        received_on: d.received_on,
        donor: d.donor_name.as_deref().map_or("匿名".into(), mask_name),
    })
}
