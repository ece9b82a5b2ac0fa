//! The charity half of `kapok demo-data`: funds at Guangzhou's proportions (445
//! funds for about 2,800 communities and 176 streets: a fund in most streets, some
//! communities, and the district's own), a campaign per street fund, a year of
//! donations (mostly small online and donation-point gifts, a few large enterprise
//! ones) with gap-free receipt numbers and their ledger entries, pledges open,
//! partly fulfilled, fulfilled and lapsed, disbursements in every state, and last
//! year's annual reports published for most funds (the rest are overdue).

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use entity::kinds::{
    DisbursementState, DisclosureKind, DonationChannel, DonationKind, DonorKind, EntryKind,
    FundStatus, PayeeKind,
};
use entity::{
    campaign, disbursement, disclosure_report, donation, fund, ledger_entry, ledger_line, pledge,
    receipt_counter,
};
use policies::UnitCode;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use super::demo::{bar, DemoError, DemoReport, BATCH, SURNAMES};
use crate::services::daily::{day_of, start_of};

/// A fund being filled: its row and what the generator keeps of it.
struct Made {
    id: i64,
    unit: String,
    name: String,
    weight: f64,
    raised: i64,
    pledges: Vec<(i64, i64)>,
}

fn db_err(e: impl std::fmt::Display) -> DemoError {
    DemoError::Database(DbErr::Custom(e.to_string()))
}

/// A donation amount: most gifts are small online or donation-point ones (¥1–¥20),
/// some ¥20–¥200, one in five hundred ¥1,000–¥10,000 — about ¥30 on average, so
/// Yuexiu's 200,000 gifts raise some ¥6 million a year, near Guangzhou's ¥43 million
/// over 445 funds.
fn amount(rng: &mut StdRng) -> i64 {
    match rng.random_range(0..1000) {
        0..920 => rng.random_range(100..2_000),
        920..998 => rng.random_range(2_000..20_000),
        _ => rng.random_range(100_000..1_000_000),
    }
}

#[allow(clippy::too_many_arguments)]
pub(super) async fn generate(
    db: &DatabaseConnection,
    root: &UnitCode,
    streets: &[(String, String)],
    communities: &[(String, String)],
    donations: u64,
    rng: &mut StdRng,
    report: &mut DemoReport,
    progress: bool,
) -> Result<(), DemoError> {
    let now = crate::services::now();
    let today = day_of(now);
    let last_year = today.year() - 1;
    let opened = NaiveDate::from_ymd_opt(last_year, 1, 1).unwrap_or(today);
    let holder = "广州市慈善会";

    // Funds: the district's own (when the root is a district), most streets (six in
    // seven), one community in ten.
    let mut plan: Vec<(String, String, f64)> = Vec::new();
    if root.level() == policies::Level::District {
        plan.push((root.to_string(), format!("{root}区社区慈善基金"), 6.0));
    }
    for (i, (code, name)) in streets.iter().enumerate() {
        if i % 7 != 6 {
            plan.push((code.clone(), format!("{name}社区慈善基金"), 3.0));
        }
    }
    for (i, (code, name)) in communities.iter().enumerate() {
        if i % 10 == 3 {
            plan.push((code.clone(), format!("{name}社区慈善基金"), 1.0));
        }
    }
    let txn = db.begin().await?;
    let mut made: Vec<Made> = Vec::new();
    for (unit, name, weight) in plan {
        let m = fund::ActiveModel {
            unit_code: Set(unit.clone()),
            name: Set(name.clone()),
            holder_name: Set(holder.into()),
            holder_credit_code: Set(Some("53440100455375914G".into())),
            purpose: Set("扶老助残、济困助学、社区微心愿".into()),
            opened_on: Set(opened),
            closed_on: Set(None),
            target_fen: Set(Some(50_000_000)),
            status: Set(FundStatus::Open),
            created_by: Set(None),
            created_at: Set(start_of(opened)),
            ..Default::default()
        };
        let id = fund::Entity::insert(m).exec(&txn).await?.last_insert_id;
        made.push(Made {
            id,
            unit,
            name,
            weight,
            raised: 0,
            pledges: Vec::new(),
        });
    }
    report.funds = made.len() as u64;
    // A campaign of each street fund: eight months from last March, with its record
    // number; a short one this autumn for the district's.
    let mut campaigns: HashMap<i64, (i64, NaiveDate, NaiveDate)> = HashMap::new();
    for f in made.iter().filter(|f| f.unit.len() <= 9) {
        let (starts, ends, name) = if f.unit.len() == 9 {
            (
                NaiveDate::from_ymd_opt(today.year(), 3, 1).unwrap_or(today),
                NaiveDate::from_ymd_opt(today.year(), 10, 31).unwrap_or(today),
                "重阳敬老募捐",
            )
        } else {
            (
                NaiveDate::from_ymd_opt(today.year(), 9, 1).unwrap_or(today),
                NaiveDate::from_ymd_opt(today.year(), 12, 31).unwrap_or(today),
                "九九公益日配捐",
            )
        };
        let id = campaign::Entity::insert(campaign::ActiveModel {
            unit_code: Set(f.unit.clone()),
            fund_id: Set(f.id),
            name: Set(format!("{}{name}", f.name)),
            starts_on: Set(starts),
            ends_on: Set(ends),
            target_fen: Set(Some(20_000_000)),
            channels: Set(r#"["bank_transfer","cash","donation_point","online_platform"]"#.into()),
            record_number: Set(Some(format!(
                "53440100455375914G{}{:04}",
                today.year(),
                f.id
            ))),
            created_by: Set(None),
            created_at: Set(start_of(starts)),
            ..Default::default()
        })
        .exec(&txn)
        .await?
        .last_insert_id;
        campaigns.insert(f.id, (id, starts, ends));
    }
    // Pledges: a few per fund, due across the year, fulfilled later by donations.
    for f in &mut made {
        for k in 0..(3.0 * f.weight) as i64 {
            let due = today - Duration::days(200) + Duration::days(k * 37 % 300);
            let amount = rng.random_range(10..500) * 10_000;
            let enterprise = rng.random_bool(0.5);
            let id = pledge::Entity::insert(pledge::ActiveModel {
                unit_code: Set(f.unit.clone()),
                fund_id: Set(f.id),
                campaign_id: Set(None),
                donor_kind: Set(if enterprise {
                    DonorKind::Enterprise
                } else {
                    DonorKind::Person
                }),
                donor_name: Set(Some(if enterprise {
                    format!(
                        "广州{}记实业有限公司",
                        SURNAMES.choose(rng).unwrap_or(&"陈")
                    )
                } else {
                    format!("{}先生", SURNAMES.choose(rng).unwrap_or(&"陈"))
                })),
                donor_contact: Set(None),
                amount_fen: Set(amount),
                due_on: Set(due),
                fulfilled_fen: Set(0),
                fulfilled_on: Set(None),
                created_by: Set(None),
                created_at: Set(start_of((due - Duration::days(60)).min(today))),
                ..Default::default()
            })
            .exec(&txn)
            .await?
            .last_insert_id;
            f.pledges.push((id, amount));
        }
    }
    txn.commit().await?;

    // A year of donations, in date order per fund so receipt numbers follow the days.
    let total_weight: f64 = made.iter().map(|f| f.weight).sum();
    let b = bar(progress, donations, "donations");
    let channels = [
        (DonationChannel::OnlinePlatform, 45),
        (DonationChannel::DonationPoint, 25),
        (DonationChannel::BankTransfer, 15),
        (DonationChannel::Cash, 10),
        (DonationChannel::CharitySupermarketShare, 5),
    ];
    let mut pledge_paid: HashMap<i64, (i64, i64, Option<NaiveDate>)> = HashMap::new();
    let mut counters: Vec<receipt_counter::ActiveModel> = Vec::new();
    for f in &mut made {
        let n = (donations as f64 * f.weight / total_weight).round() as u64;
        let mut days: Vec<NaiveDate> = (0..n)
            .map(|_| today - Duration::days(rng.random_range(1..=365)))
            .collect();
        days.sort();
        let mut seq: HashMap<i32, i32> = HashMap::new();
        for chunk in days.chunks(BATCH) {
            let txn = db.begin().await?;
            let mut rows = Vec::with_capacity(chunk.len());
            for day in chunk {
                let s = seq.entry(day.year()).or_insert(0);
                *s += 1;
                let channel = channels
                    .choose_weighted(rng, |c| c.1)
                    .map(|c| c.0)
                    .unwrap_or(DonationChannel::Cash);
                let kind = match rng.random_range(0..10) {
                    0..7 => DonorKind::Person,
                    7 => DonorKind::Enterprise,
                    _ => DonorKind::Anonymous,
                };
                let mut fen = amount(rng);
                // One gift in a thousand pays half of a pledge of the fund: about
                // one in five pledges is fulfilled, more are partly, the rest open
                // or lapsed.
                let mut honours = None;
                if kind != DonorKind::Anonymous && rng.random_bool(0.001) {
                    if let Some((p, amt)) = f.pledges.choose(rng).copied() {
                        fen = (amt / 2).max(100);
                        honours = Some(p);
                        let e = pledge_paid.entry(p).or_insert((amt, 0, None));
                        e.1 += fen;
                        if e.2.is_none() && e.1 >= e.0 {
                            e.2 = Some(*day);
                        }
                    }
                }
                let campaign = campaigns
                    .get(&f.id)
                    .filter(|(_, s, e)| {
                        day >= s && day <= e && channel != DonationChannel::CharitySupermarketShare
                    })
                    .map(|(id, _, _)| *id);
                f.raised += fen;
                rows.push((*day, *s, channel, kind, fen, honours, campaign));
            }
            let before = max_id::<ledger_entry::Entity>(&txn, ledger_entry::Column::Id).await?;
            let entries: Vec<ledger_entry::ActiveModel> = rows
                .iter()
                .map(|(day, s, ..)| ledger_entry::ActiveModel {
                    unit_code: Set(f.unit.clone()),
                    kind: Set(EntryKind::Donation),
                    memo: Set(format!(
                        "donation {}-{}-{}-{s:06}",
                        f.unit,
                        f.id,
                        day.year()
                    )),
                    reverses_id: Set(None),
                    created_by: Set(None),
                    created_at: Set(start_of(*day) + Duration::hours(10)),
                    booked_on: Set(Some(*day)),
                    ..Default::default()
                })
                .collect();
            ledger_entry::Entity::insert_many(entries)
                .exec_without_returning(&txn)
                .await?;
            let ids =
                ids_after::<ledger_entry::Entity>(&txn, ledger_entry::Column::Id, before).await?;
            if ids.len() != rows.len() {
                return Err(db_err("ledger entries went missing while loading"));
            }
            let mut lines = Vec::with_capacity(rows.len() * 2);
            let mut gifts = Vec::with_capacity(rows.len());
            for (entry, (day, s, channel, kind, fen, honours, campaign)) in ids.iter().zip(rows) {
                lines.push(ledger_line::ActiveModel {
                    entry_id: Set(*entry),
                    account: Set(format!("fund:{}", f.id)),
                    fund_id: Set(Some(f.id)),
                    amount_fen: Set(fen),
                    ..Default::default()
                });
                lines.push(ledger_line::ActiveModel {
                    entry_id: Set(*entry),
                    account: Set(format!("donations:{}", channel.as_str())),
                    fund_id: Set(None),
                    amount_fen: Set(-fen),
                    ..Default::default()
                });
                let name = match kind {
                    DonorKind::Anonymous => None,
                    DonorKind::Enterprise => Some(format!(
                        "广州{}记贸易有限公司",
                        SURNAMES.choose(rng).unwrap_or(&"陈")
                    )),
                    DonorKind::Person => Some(format!(
                        "{}{}",
                        SURNAMES.choose(rng).unwrap_or(&"王"),
                        super::demo::GIVEN.choose(rng).unwrap_or(&"伟")
                    )),
                };
                gifts.push(donation::ActiveModel {
                    unit_code: Set(f.unit.clone()),
                    fund_id: Set(f.id),
                    amount_fen: Set(fen),
                    donor_kind: Set(kind),
                    donor_contact: Set(name.as_ref().map(|_| {
                        format!(
                            "13{}{:08}",
                            rng.random_range(0..10),
                            rng.random_range(0..100_000_000u64)
                        )
                    })),
                    donor_name: Set(name),
                    channel: Set(channel),
                    received_on: Set(day),
                    receipt_number: Set(format!("{}-{}-{}-{s:06}", f.unit, f.id, day.year())),
                    entry_id: Set(*entry),
                    voided_at: Set(None),
                    void_reason: Set(None),
                    void_entry_id: Set(None),
                    recorded_by: Set(None),
                    created_at: Set(start_of(day) + Duration::hours(10)),
                    kind: Set(DonationKind::Money),
                    items: Set(None),
                    campaign_id: Set(campaign),
                    pledge_id: Set(honours),
                    designation: Set(None),
                    ..Default::default()
                });
            }
            for c in lines.chunks(BATCH * 2) {
                ledger_line::Entity::insert_many(c.to_vec())
                    .exec_without_returning(&txn)
                    .await?;
            }
            donation::Entity::insert_many(gifts)
                .exec_without_returning(&txn)
                .await?;
            txn.commit().await?;
            b.inc(chunk.len() as u64);
            report.donations += chunk.len() as u64;
        }
        for (year, last) in seq {
            counters.push(receipt_counter::ActiveModel {
                fund_id: Set(f.id),
                year: Set(year),
                last_seq: Set(last),
            });
        }
    }
    b.finish_and_clear();
    let txn = db.begin().await?;
    for c in counters.chunks(BATCH) {
        receipt_counter::Entity::insert_many(c.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    for (p, (_, paid, on)) in &pledge_paid {
        pledge::Entity::update_many()
            .col_expr(
                pledge::Column::FulfilledFen,
                sea_orm::sea_query::Expr::value(*paid),
            )
            .col_expr(
                pledge::Column::FulfilledOn,
                sea_orm::sea_query::Expr::value(*on),
            )
            .filter(pledge::Column::Id.eq(*p))
            .exec(&txn)
            .await?;
    }
    report.pledges = made.iter().map(|f| f.pledges.len() as u64).sum();

    // Disbursements, in every state, paying out at most half of what a fund raised.
    let purposes = [
        "困难长者慰问",
        "助学金",
        "大病救助",
        "社区微心愿",
        "长者饭堂补贴",
    ];
    for f in &made {
        let mut budget = f.raised / 2;
        for k in 0..(4.0 * f.weight) as i64 {
            let fen = (f.raised / 40).clamp(10_000, 4_000_000);
            let state = match k % 6 {
                0 => DisbursementState::Proposed,
                1 => DisbursementState::Approved,
                2 => DisbursementState::Returned,
                5 => DisbursementState::Reversed,
                _ => DisbursementState::Paid,
            };
            let pays = matches!(state, DisbursementState::Paid | DisbursementState::Reversed);
            if pays && fen > budget {
                continue;
            }
            let day = today - Duration::days(rng.random_range(5..180));
            let household = k % 3 == 0;
            let (paid_entry, reversed_entry) = if pays {
                budget -= fen;
                let paid = post(
                    &txn,
                    &f.unit,
                    EntryKind::Disbursement,
                    &format!("disbursement to {}", purposes[k as usize % 5]),
                    day,
                    None,
                    f.id,
                    -fen,
                )
                .await?;
                let reversed = if state == DisbursementState::Reversed {
                    budget += fen;
                    Some(
                        post(
                            &txn,
                            &f.unit,
                            EntryKind::Reversal,
                            "reverse: 收款账户有误",
                            day + Duration::days(2),
                            Some(paid),
                            f.id,
                            fen,
                        )
                        .await?,
                    )
                } else {
                    None
                };
                (Some(paid), reversed)
            } else {
                (None, None)
            };
            disbursement::Entity::insert(disbursement::ActiveModel {
                unit_code: Set(f.unit.clone()),
                fund_id: Set(f.id),
                amount_fen: Set(fen),
                purpose: Set(purposes[k as usize % 5].into()),
                payee_kind: Set(if household {
                    PayeeKind::Household
                } else {
                    PayeeKind::Project
                }),
                payee_name: Set(if household {
                    format!("{}某某家庭", SURNAMES.choose(rng).unwrap_or(&"陈"))
                } else {
                    format!("{}项目", purposes[k as usize % 5])
                }),
                attachments: Set(r#"["申请表.pdf","审批单.pdf"]"#.into()),
                state: Set(state),
                proposed_by: Set(None),
                decided_by: Set(None),
                decided_at: Set((state != DisbursementState::Proposed).then(|| start_of(day))),
                return_reason: Set(
                    (state == DisbursementState::Returned).then(|| "材料不全".to_owned())
                ),
                paid_entry_id: Set(paid_entry),
                reversed_entry_id: Set(reversed_entry),
                created_at: Set(start_of(day - Duration::days(3))),
                campaign_id: Set(None),
                ..Default::default()
            })
            .exec_without_returning(&txn)
            .await?;
            report.disbursements += 1;
        }
    }
    txn.commit().await?;

    // Last year's annual reports: published for most funds (one in five is overdue).
    let from = NaiveDate::from_ymd_opt(last_year, 1, 1).unwrap_or(today);
    let to = NaiveDate::from_ymd_opt(last_year, 12, 31).unwrap_or(today);
    let published = NaiveDate::from_ymd_opt(today.year(), 4, 20).unwrap_or(today);
    for (i, f) in made.iter().enumerate() {
        if i % 5 == 4 {
            continue;
        }
        let row = fund::Entity::find_by_id(f.id)
            .one(db)
            .await?
            .ok_or_else(|| db_err("a fund just made is gone"))?;
        let record = crate::services::funds::FundRecord::try_from(row).map_err(db_err)?;
        let content = crate::services::disclosure::figures(db, &record, None, from, to)
            .await
            .map_err(db_err)?;
        disclosure_report::Entity::insert(disclosure_report::ActiveModel {
            unit_code: Set(f.unit.clone()),
            fund_id: Set(f.id),
            campaign_id: Set(None),
            kind: Set(DisclosureKind::Annual),
            period_from: Set(from),
            period_to: Set(to),
            content: Set(serde_json::to_string(&content).map_err(db_err)?),
            note: Set(Some(format!("{}年度公开报告", last_year))),
            corrects_id: Set(None),
            published_by: Set(None),
            published_at: Set(start_of(published)),
            ..Default::default()
        })
        .exec_without_returning(db)
        .await?;
        report.reports += 1;
    }
    Ok(())
}

/// One balanced entry moving `fen` into (negative: out of) a fund's account.
#[allow(clippy::too_many_arguments)]
async fn post(
    conn: &impl ConnectionTrait,
    unit: &str,
    kind: EntryKind,
    memo: &str,
    day: NaiveDate,
    reverses: Option<i64>,
    fund_id: i64,
    fen: i64,
) -> Result<i64, DemoError> {
    let entry = ledger_entry::Entity::insert(ledger_entry::ActiveModel {
        unit_code: Set(unit.to_owned()),
        kind: Set(kind),
        memo: Set(memo.to_owned()),
        reverses_id: Set(reverses),
        created_by: Set(None),
        created_at: Set(start_of(day) + Duration::hours(15)),
        booked_on: Set(Some(day)),
        ..Default::default()
    })
    .exec(conn)
    .await?
    .last_insert_id;
    ledger_line::Entity::insert_many([
        ledger_line::ActiveModel {
            entry_id: Set(entry),
            account: Set(format!("fund:{fund_id}")),
            fund_id: Set(Some(fund_id)),
            amount_fen: Set(fen),
            ..Default::default()
        },
        ledger_line::ActiveModel {
            entry_id: Set(entry),
            account: Set("payees".into()),
            fund_id: Set(None),
            amount_fen: Set(-fen),
            ..Default::default()
        },
    ])
    .exec_without_returning(conn)
    .await?;
    Ok(entry)
}

pub(super) async fn max_id<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    col: E::Column,
) -> Result<i64, DemoError> {
    let m: Option<Option<i64>> = E::find()
        .select_only()
        .column_as(col.max(), "m")
        .into_tuple()
        .one(conn)
        .await?;
    Ok(m.flatten().unwrap_or(0))
}

pub(super) async fn ids_after<E: EntityTrait>(
    conn: &impl ConnectionTrait,
    col: E::Column,
    after: i64,
) -> Result<Vec<i64>, DemoError> {
    Ok(E::find()
        .select_only()
        .column(col)
        .filter(col.gt(after))
        .order_by_asc(col)
        .into_tuple()
        .all(conn)
        .await?)
}
