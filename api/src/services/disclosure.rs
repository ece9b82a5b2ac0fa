//! Public disclosure (慈善组织信息公开办法, 民政部令第81号, in force 2026-01-01): a fund's
//! or campaign's report of a period, published by an explicit, audited act
//! (`disclosure.create`) and frozen from then on; a correction is a new report naming
//! the one it corrects. Published reports are public (`disclosure.read` is in the
//! default policy's public permissions): figures, and donors only masked or
//! "匿名". When reports fall due is policy data (`[charity.disclosure]`);
//! [`compliance`] lists, per unit, what is due, overdue, on time or late.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Datelike, Duration, Months, NaiveDate, Utc};
use entity::kinds::{DisbursementState, DisclosureKind, DonationKind};
use entity::{campaign, disbursement, disclosure_report, donation, fund, ledger_entry};
use policies::{Action, DisclosureRules, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, JoinType,
    QueryFilter, QuerySelect, TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::codes::mask_name;
use crate::error::{Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::campaigns::{self, CampaignRecord};
use crate::services::funds::{self, FundRecord};
use crate::services::{daily, ranges, scoped, Ctx};

/// Money in during a month through a channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyIn {
    /// `2026-03`.
    pub month: String,
    pub channel: String,
    pub amount_fen: i64,
    pub donations: i64,
}

/// Money paid out for a purpose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoneyOut {
    pub purpose: String,
    pub amount_fen: i64,
    pub disbursements: i64,
}

/// What a report publishes, frozen at publication.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Content {
    pub fund_name: String,
    pub holder_name: String,
    pub holder_credit_code: Option<String>,
    pub campaign_name: Option<String>,
    pub record_number: Option<String>,
    pub opening_balance_fen: i64,
    pub closing_balance_fen: i64,
    pub raised_fen: i64,
    pub disbursed_fen: i64,
    pub goods_value_fen: i64,
    pub money_in: Vec<MoneyIn>,
    pub money_out: Vec<MoneyOut>,
}

#[derive(Debug, Clone)]
pub struct ReportRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub fund_id: i64,
    pub campaign_id: Option<i64>,
    pub kind: DisclosureKind,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub content: Content,
    pub note: Option<String>,
    pub corrects_id: Option<i64>,
    pub published_by: Option<i64>,
    pub published_at: DateTime<Utc>,
}

impl TryFrom<disclosure_report::Model> for ReportRecord {
    type Error = ServiceError;
    fn try_from(m: disclosure_report::Model) -> ServiceResult<Self> {
        Ok(ReportRecord {
            unit: super::stored_unit(&m.unit_code)?,
            content: serde_json::from_str(&m.content).map_err(|e| {
                ServiceError::Database(sea_orm::DbErr::Custom(format!(
                    "disclosure report {} has bad content: {e}",
                    m.id
                )))
            })?,
            id: m.id,
            fund_id: m.fund_id,
            campaign_id: m.campaign_id,
            kind: m.kind,
            period_from: m.period_from,
            period_to: m.period_to,
            note: m.note,
            corrects_id: m.corrects_id,
            published_by: m.published_by,
            published_at: m.published_at,
        })
    }
}

pub struct NewReport {
    pub fund_id: i64,
    pub campaign_id: Option<i64>,
    pub kind: DisclosureKind,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub note: Option<String>,
    pub corrects_id: Option<i64>,
}

fn period_rule(kind: DisclosureKind, rule: &str) -> ServiceError {
    Reason::REPORT_PERIOD
        .at("input")
        .arg("kind", kind.as_str())
        .arg("rule", rule.to_owned())
        .into()
}

/// The shape each kind of report must have.
fn check_shape(
    input: &NewReport,
    campaign: Option<&CampaignRecord>,
    today: NaiveDate,
) -> ServiceResult<()> {
    let k = input.kind;
    if input.period_to < input.period_from {
        return Err(Reason::RANGE_REVERSED
            .at("periodTo")
            .arg("start", "periodFrom")
            .into());
    }
    if input.period_to >= today {
        return Err(period_rule(k, "the period must have ended"));
    }
    match (k, campaign) {
        (DisclosureKind::Annual, Some(_)) => Err(period_rule(
            k,
            "an annual report is a fund's, without a campaign",
        )),
        (DisclosureKind::Annual, None) => {
            let y = input.period_from.year();
            let whole_year = NaiveDate::from_ymd_opt(y, 1, 1) == Some(input.period_from)
                && NaiveDate::from_ymd_opt(y, 12, 31) == Some(input.period_to);
            if whole_year {
                Ok(())
            } else {
                Err(period_rule(
                    k,
                    "covers one calendar year, 1 January to 31 December",
                ))
            }
        }
        (_, None) => Err(period_rule(k, "names the campaign it reports on")),
        (DisclosureKind::Final, Some(c)) => {
            if input.period_from == c.starts_on && input.period_to == c.ends_on {
                Ok(())
            } else {
                Err(period_rule(
                    k,
                    "covers the campaign's whole run, from its start to its end",
                ))
            }
        }
        (DisclosureKind::Interim, Some(c)) => {
            if input.period_from >= c.starts_on && input.period_to <= c.ends_on {
                Ok(())
            } else {
                Err(period_rule(k, "lies within the campaign's run"))
            }
        }
    }
}

/// Publishes a report of a fund (or one of its campaigns) for a period that has
/// ended: its figures are computed now and frozen. A second report of the same kind
/// and period must name the one it corrects.
pub async fn publish(cx: &Ctx, input: NewReport) -> ServiceResult<ReportRecord> {
    let note = super::optional_text("note", input.note.as_deref(), 2000)?;
    let today = daily::day_of(cx.now());
    let txn = cx.db().begin().await?;
    let fund = funds::get_in(&txn, cx, input.fund_id).await?;
    cx.access()
        .require(Resource::Disclosure, Action::Create, &fund.unit)?;
    let campaign = campaigns::of_fund(&txn, cx, input.campaign_id, fund.id).await?;
    check_shape(&input, campaign.as_ref(), today)?;
    use disclosure_report::Column as C;
    let same = |q: sea_orm::Select<disclosure_report::Entity>| {
        let q = q
            .filter(C::FundId.eq(fund.id))
            .filter(C::Kind.eq(input.kind));
        match input.campaign_id {
            Some(c) => q.filter(C::CampaignId.eq(c)),
            None => q.filter(C::CampaignId.is_null()),
        }
    };
    if let Some(corrects) = input.corrects_id {
        let original = scoped::unscoped_by_id::<disclosure_report::Entity>(
            corrects,
            "the published (public) report a correction names",
        );
        if same(original).one(&txn).await?.is_none() {
            return Err(Reason::CORRECTS_OTHER.at("correctsId").into());
        }
    } else if let Some(existing) = same(scoped::unscoped::<disclosure_report::Entity>(
        "published (public) reports of the same fund and period",
    ))
    .filter(C::PeriodFrom.eq(input.period_from))
    .filter(C::PeriodTo.eq(input.period_to))
    .one(&txn)
    .await?
    {
        return Err(Reason::REPORT_EXISTS
            .at("correctsId")
            .arg("kind", input.kind.as_str())
            .arg("id", existing.id)
            .into());
    }
    let content = figures(
        &txn,
        &fund,
        campaign.as_ref(),
        input.period_from,
        input.period_to,
    )
    .await?;
    let text = serde_json::to_string(&content)
        .map_err(|e| ServiceError::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    let m = disclosure_report::ActiveModel {
        unit_code: Set(fund.unit.to_string()),
        fund_id: Set(fund.id),
        campaign_id: Set(input.campaign_id),
        kind: Set(input.kind),
        period_from: Set(input.period_from),
        period_to: Set(input.period_to),
        content: Set(text),
        note: Set(note),
        corrects_id: Set(input.corrects_id),
        published_by: Set(cx.access().actor()),
        published_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("disclosure.publish", &fund.unit)
            .target("disclosure_report", m.id)
            .summary(json!({
                "fund": fund.id, "campaign": input.campaign_id, "kind": input.kind,
                "from": input.period_from, "to": input.period_to, "corrects": input.corrects_id,
            })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// The figures of a fund (or campaign) for `from..=to`, from the rows: money in by
/// month and channel (valid money donations received in the period), money out by
/// purpose (payments booked in the period and not reversed), goods by value, and
/// the balance before and after (for a campaign: its money in less its money out).
pub(crate) async fn figures(
    conn: &impl ConnectionTrait,
    fund: &FundRecord,
    campaign: Option<&CampaignRecord>,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Content> {
    let donations = |kind: DonationKind| {
        let q = scoped::unscoped::<donation::Entity>("a report's figures (publisher checked)")
            .filter(donation::Column::FundId.eq(fund.id))
            .filter(donation::Column::Kind.eq(kind))
            .filter(donation::Column::VoidedAt.is_null());
        match campaign {
            Some(c) => q.filter(donation::Column::CampaignId.eq(c.id)),
            None => q,
        }
    };
    let by_day: Vec<(NaiveDate, String, Option<i64>, i64)> = donations(DonationKind::Money)
        .filter(donation::Column::ReceivedOn.between(from, to))
        .select_only()
        .column(donation::Column::ReceivedOn)
        .column(donation::Column::Channel)
        .column_as(Expr::cust("CAST(SUM(amount_fen) AS BIGINT)"), "amount")
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(donation::Column::ReceivedOn)
        .group_by(donation::Column::Channel)
        .into_tuple()
        .all(conn)
        .await?;
    let mut months: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for (day, channel, amount, n) in by_day {
        let e = months
            .entry((day.format("%Y-%m").to_string(), channel))
            .or_default();
        e.0 += amount.unwrap_or(0);
        e.1 += n;
    }
    let money_in: Vec<MoneyIn> = months
        .into_iter()
        .map(|((month, channel), (amount_fen, donations))| MoneyIn {
            month,
            channel,
            amount_fen,
            donations,
        })
        .collect();
    let goods: Option<Option<i64>> = donations(DonationKind::Goods)
        .filter(donation::Column::ReceivedOn.between(from, to))
        .select_only()
        .column_as(Expr::cust("CAST(SUM(amount_fen) AS BIGINT)"), "v")
        .into_tuple()
        .one(conn)
        .await?;
    // Payments: paid (not reversed) disbursements, on the day their entry is booked.
    let paid = |upto: Option<NaiveDate>, since: Option<NaiveDate>| {
        let mut q =
            scoped::unscoped::<disbursement::Entity>("a report's figures (publisher checked)")
                .join_rev(
                    JoinType::InnerJoin,
                    ledger_entry::Entity::belongs_to(disbursement::Entity)
                        .from(ledger_entry::Column::Id)
                        .to(disbursement::Column::PaidEntryId)
                        .into(),
                )
                .filter(disbursement::Column::FundId.eq(fund.id))
                .filter(disbursement::Column::State.eq(DisbursementState::Paid));
        if let Some(c) = campaign {
            q = q.filter(disbursement::Column::CampaignId.eq(c.id));
        }
        if let Some(u) = upto {
            q = q.filter(ledger_entry::Column::BookedOn.lte(u));
        }
        if let Some(s) = since {
            q = q.filter(ledger_entry::Column::BookedOn.gte(s));
        }
        q
    };
    let out_rows: Vec<(String, Option<i64>, i64)> = paid(Some(to), Some(from))
        .select_only()
        .column(disbursement::Column::Purpose)
        .column_as(
            Expr::cust("CAST(SUM(disbursement.amount_fen) AS BIGINT)"),
            "amount",
        )
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(disbursement::Column::Purpose)
        .into_tuple()
        .all(conn)
        .await?;
    let mut money_out: Vec<MoneyOut> = out_rows
        .into_iter()
        .map(|(purpose, amount, n)| MoneyOut {
            purpose,
            amount_fen: amount.unwrap_or(0),
            disbursements: n,
        })
        .collect();
    money_out.sort_by(|a, b| {
        b.amount_fen
            .cmp(&a.amount_fen)
            .then(a.purpose.cmp(&b.purpose))
    });
    let balance_at = |day: NaiveDate| async move {
        match campaign {
            None => super::ledger::balance_on(conn, fund.id, day).await,
            Some(_) => {
                let inn: Option<Option<i64>> = donations(DonationKind::Money)
                    .filter(donation::Column::ReceivedOn.lte(day))
                    .select_only()
                    .column_as(Expr::cust("CAST(SUM(amount_fen) AS BIGINT)"), "v")
                    .into_tuple()
                    .one(conn)
                    .await?;
                let out: Option<Option<i64>> = paid(Some(day), None)
                    .select_only()
                    .column_as(
                        Expr::cust("CAST(SUM(disbursement.amount_fen) AS BIGINT)"),
                        "v",
                    )
                    .into_tuple()
                    .one(conn)
                    .await?;
                Ok(inn.flatten().unwrap_or(0) - out.flatten().unwrap_or(0))
            }
        }
    };
    let opening = balance_at(from - Duration::days(1)).await?;
    let closing = balance_at(to).await?;
    Ok(Content {
        fund_name: fund.name.clone(),
        holder_name: fund.holder_name.clone(),
        holder_credit_code: fund.holder_credit_code.clone(),
        campaign_name: campaign.map(|c| c.name.clone()),
        record_number: campaign.and_then(|c| c.record_number.clone()),
        opening_balance_fen: opening,
        closing_balance_fen: closing,
        raised_fen: money_in.iter().map(|m| m.amount_fen).sum(),
        disbursed_fen: money_out.iter().map(|m| m.amount_fen).sum(),
        goods_value_fen: goods.flatten().unwrap_or(0),
        money_in,
        money_out,
    })
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<ReportRecord> {
    cx.get::<disclosure_report::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

/// Many reports by id in one read (the reports corrections name).
pub async fn get_many(cx: &Ctx, ids: &[i64]) -> ServiceResult<HashMap<i64, ReportRecord>> {
    cx.get_many::<disclosure_report::Entity, _>(Action::Read, ids, |r: &ReportRecord| r.id)
        .await
}

#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    pub under: Option<UnitCode>,
    pub fund_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub kind: Option<DisclosureKind>,
}

/// Newest first.
pub async fn list(
    cx: &Ctx,
    filter: &ReportFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<ReportRecord>, u64)> {
    let Some(mut q) = cx.find::<disclosure_report::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    use disclosure_report::Column as C;
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(C::UnitCode, under));
    }
    if let Some(f) = filter.fund_id {
        q = q.filter(C::FundId.eq(f));
    }
    if let Some(c) = filter.campaign_id {
        q = q.filter(C::CampaignId.eq(c));
    }
    if let Some(k) = filter.kind {
        q = q.filter(C::Kind.eq(k));
    }
    let sort = super::Sort::new([C::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// A donor as a published report lists it: masked name or 匿名, never a contact.
#[derive(Debug, Clone)]
pub struct PublicDonor {
    pub name: String,
    pub amount_fen: i64,
    pub kind: DonationKind,
    pub received_on: NaiveDate,
}

impl TryFrom<donation::Model> for PublicDonor {
    type Error = ServiceError;
    fn try_from(m: donation::Model) -> ServiceResult<Self> {
        Ok(PublicDonor {
            name: m.donor_name.as_deref().map_or("匿名".into(), mask_name),
            amount_fen: m.amount_fen,
            kind: m.kind,
            received_on: m.received_on,
        })
    }
}

/// The donors a published report covers: donations to its fund (campaign) received
/// in its period and recorded before it was published, valid then — masked. Read
/// for anyone who may read the report, which the caller has just done.
pub async fn donors(
    cx: &Ctx,
    report: &ReportRecord,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<PublicDonor>, u64)> {
    use donation::Column as C;
    let mut q = scoped::unscoped::<donation::Entity>(
        "the masked donors of a published report the caller has read",
    )
    .filter(C::FundId.eq(report.fund_id))
    .filter(C::ReceivedOn.between(report.period_from, report.period_to))
    .filter(C::CreatedAt.lte(report.published_at))
    .filter(
        sea_orm::Condition::any()
            .add(C::VoidedAt.is_null())
            .add(C::VoidedAt.gt(report.published_at)),
    );
    if let Some(c) = report.campaign_id {
        q = q.filter(C::CampaignId.eq(c));
    }
    let sort = super::Sort::new([C::Id], OrderDirection::Asc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// Where an obligation to publish stands on the day asked about.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComplianceStatus {
    /// Not yet published; the deadline has not passed.
    Due,
    /// Not published, and the deadline has passed.
    Overdue,
    /// Published by the deadline.
    OnTime,
    /// Published after the deadline.
    Late,
}

/// One report a fund or campaign owes.
#[derive(Debug, Clone)]
pub struct Obligation {
    pub fund_id: i64,
    pub fund_name: String,
    pub campaign_id: Option<i64>,
    pub campaign_name: Option<String>,
    pub kind: DisclosureKind,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub due_on: NaiveDate,
    pub status: ComplianceStatus,
    pub report_id: Option<i64>,
}

/// A unit's obligations and their counts.
#[derive(Debug, Clone)]
pub struct UnitCompliance {
    pub unit: UnitCode,
    pub due: u32,
    pub overdue: u32,
    pub on_time: u32,
    pub late: u32,
    pub obligations: Vec<Obligation>,
}

fn add_months(d: NaiveDate, m: u32) -> NaiveDate {
    d.checked_add_months(Months::new(m)).unwrap_or(d)
}

/// The reports owed, per the rules, by a fund and its campaigns as of `as_of`:
/// a period is owed once it has ended.
fn owed(
    rules: &DisclosureRules,
    fund: &fund::Model,
    campaigns: &[&campaign::Model],
    as_of: NaiveDate,
) -> Vec<(Option<i64>, DisclosureKind, NaiveDate, NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let last_year = fund
        .closed_on
        .map_or(as_of.year() - 1, |c| c.year().min(as_of.year() - 1));
    for y in fund.opened_on.year()..=last_year {
        let (Some(from), Some(to), Some(due)) = (
            NaiveDate::from_ymd_opt(y, 1, 1),
            NaiveDate::from_ymd_opt(y, 12, 31),
            NaiveDate::from_ymd_opt(y + 1, rules.annual_due_month, rules.annual_due_day),
        ) else {
            continue;
        };
        if to < as_of {
            out.push((None, DisclosureKind::Annual, from, to, due));
        }
    }
    for c in campaigns {
        if add_months(c.starts_on, rules.long_campaign_months) <= c.ends_on {
            let mut start = c.starts_on;
            while start <= c.ends_on {
                let end = (add_months(start, rules.interim_every_months) - Duration::days(1))
                    .min(c.ends_on);
                if end >= c.ends_on || end >= as_of {
                    break;
                }
                let due = end + Duration::days(i64::from(rules.interim_due_days));
                out.push((Some(c.id), DisclosureKind::Interim, start, end, due));
                start = end + Duration::days(1);
            }
        }
        if c.ends_on < as_of {
            let due = add_months(c.ends_on, rules.final_within_months);
            out.push((
                Some(c.id),
                DisclosureKind::Final,
                c.starts_on,
                c.ends_on,
                due,
            ));
        }
    }
    out
}

/// For every unit at or under `under` with funds the caller may read: the reports
/// its funds and campaigns owe as of `as_of`, each due, overdue, on time or late.
/// A report fulfils an obligation when it is of the same fund, campaign and kind and
/// its period covers the obligation's; the earliest such report counts.
pub async fn compliance(
    cx: &Ctx,
    under: Option<&UnitCode>,
    as_of: Option<NaiveDate>,
) -> ServiceResult<Vec<UnitCompliance>> {
    let as_of = as_of.unwrap_or_else(|| daily::day_of(cx.now()));
    let Some(mut q) = cx.find::<fund::Entity>(Action::Read)? else {
        return Ok(Vec::new());
    };
    if let Some(u) = under {
        q = q.filter(ranges::subtree(fund::Column::UnitCode, u));
    }
    // Funds in an office's subtree number in the hundreds (Guangzhou: 445).
    let funds = q
        .filter(fund::Column::OpenedOn.lte(as_of))
        .limit(5000)
        .all(cx.db())
        .await?;
    let ids: Vec<i64> = funds.iter().map(|f| f.id).collect();
    let campaigns = scoped::unscoped::<campaign::Entity>("the campaigns of funds the caller read")
        .filter(campaign::Column::FundId.is_in(ids.clone()))
        .filter(campaign::Column::StartsOn.lte(as_of))
        .all(cx.db())
        .await?;
    let reports = scoped::unscoped::<disclosure_report::Entity>(
        "published (public) reports of funds the caller read",
    )
    .filter(disclosure_report::Column::FundId.is_in(ids))
    .filter(disclosure_report::Column::PublishedAt.lt(daily::start_of(as_of + Duration::days(1))))
    .all(cx.db())
    .await?;
    let rules = cx.access().policy().charity_rules().disclosure;
    let mut by_unit: BTreeMap<String, UnitCompliance> = BTreeMap::new();
    for f in &funds {
        let own: Vec<&campaign::Model> = campaigns.iter().filter(|c| c.fund_id == f.id).collect();
        let unit = super::stored_unit(&f.unit_code)?;
        let entry = by_unit
            .entry(f.unit_code.clone())
            .or_insert_with(|| UnitCompliance {
                unit,
                due: 0,
                overdue: 0,
                on_time: 0,
                late: 0,
                obligations: Vec::new(),
            });
        for (campaign_id, kind, from, to, due) in owed(&rules, f, &own, as_of) {
            let published = reports
                .iter()
                .filter(|r| {
                    r.fund_id == f.id
                        && r.campaign_id == campaign_id
                        && r.kind == kind
                        && r.period_from <= from
                        && r.period_to >= to
                })
                .min_by_key(|r| r.published_at);
            let status = match published {
                Some(r) if daily::day_of(r.published_at) <= due => ComplianceStatus::OnTime,
                Some(_) => ComplianceStatus::Late,
                None if as_of > due => ComplianceStatus::Overdue,
                None => ComplianceStatus::Due,
            };
            match status {
                ComplianceStatus::Due => entry.due += 1,
                ComplianceStatus::Overdue => entry.overdue += 1,
                ComplianceStatus::OnTime => entry.on_time += 1,
                ComplianceStatus::Late => entry.late += 1,
            }
            entry.obligations.push(Obligation {
                fund_id: f.id,
                fund_name: f.name.clone(),
                campaign_id,
                campaign_name: campaign_id
                    .and_then(|c| own.iter().find(|x| x.id == c))
                    .map(|c| c.name.clone()),
                kind,
                period_from: from,
                period_to: to,
                due_on: due,
                status,
                report_id: published.map(|r| r.id),
            });
        }
    }
    Ok(by_unit.into_values().collect())
}
