//! The community-help part of `kapok demo-data`: help requests in every state in each
//! community, a time-bank account for every volunteer with approved hours (its
//! deposits at the default policy's rate and lifetime cap, and services bought by
//! volunteers of redemption age), and two charity supermarkets per street with a
//! year of purchases, weekly sales whose share is booked into the street's fund
//! (donations with receipts and ledger entries, like the live path), free issues to
//! households within the monthly quota, and monthly counts.

use std::collections::HashMap;

use chrono::{Datelike, Duration, NaiveDate};
use entity::kinds::{
    DonationChannel, DonationKind, DonorKind, EntryKind, FundStatus, HelpState, HouseholdCategory,
    RequestedBy, StationKind, StockMoveKind, TimeAccountKind, TimeEntryKind, Urgency,
};
use entity::{
    donation, fund, help_request, household, ledger_entry, ledger_line, receipt_counter, station,
    stock_item, stock_move, time_account, time_entry, time_line, volunteer,
};
use migration::SERVICE_FIELDS;
use policies::UnitCode;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::Rng;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use super::demo::{bar, DemoError, DemoReport, BATCH, SURNAMES};
use super::demo_charity::{ids_after, max_id};
use crate::services::daily::{day_of, start_of};
use crate::services::ranges;

const NEEDS: [&str; 8] = [
    "独居老人需要每周陪同就医",
    "行动不便，需要代购生活用品",
    "孩子放学后无人辅导功课",
    "家中电路老化，需要检修",
    "需要一台轮椅",
    "冬季需要棉被两床",
    "希望有人陪伴聊天",
    "需要协助办理残疾证年审",
];

/// Goods a supermarket stocks: name, unit, price in fen, price in coin minutes.
const GOODS: [(&str, &str, i64, Option<i64>); 8] = [
    ("大米 5kg", "袋", 3500, Some(60)),
    ("食用油 5L", "瓶", 6000, Some(90)),
    ("面条 1kg", "包", 900, Some(15)),
    ("洗衣液 2kg", "瓶", 2500, Some(40)),
    ("牙膏", "支", 800, None),
    ("毛巾", "条", 1200, Some(20)),
    ("棉被", "床", 12000, None),
    ("保温杯", "个", 3000, Some(45)),
];

pub(super) async fn generate(
    db: &DatabaseConnection,
    root: &UnitCode,
    streets: &[(String, String)],
    communities: &[(String, String)],
    rng: &mut StdRng,
    report: &mut DemoReport,
    progress: bool,
) -> Result<(), DemoError> {
    let policy = policies::Policy::default_policy()
        .map_err(|e| DemoError::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    let now = crate::services::now();
    let today = day_of(now);
    let volunteers: Vec<(i64, String, i64, Option<NaiveDate>)> = volunteer::Entity::find()
        .select_only()
        .column(volunteer::Column::Id)
        .column(volunteer::Column::UnitCode)
        .column(volunteer::Column::ApprovedHalfHours)
        .column(volunteer::Column::BirthDate)
        .filter(ranges::subtree(volunteer::Column::UnitCode, root))
        // In id order: the random picks below follow it, so the same seed gives the
        // same data on both databases.
        .order_by_asc(volunteer::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    upcoming_activities(db, communities, now, rng).await?;
    time_bank(db, &policy, &volunteers, today, rng, report, progress).await?;
    help_requests(db, communities, &volunteers, now, rng, report).await?;
    supermarkets(db, root, streets, communities, today, rng, report, progress).await?;
    Ok(())
}

/// Two published activities per community starting in the next month, recruiting
/// now, some places taken: what residents browse.
async fn upcoming_activities(
    db: &DatabaseConnection,
    communities: &[(String, String)],
    now: chrono::DateTime<chrono::Utc>,
    rng: &mut StdRng,
) -> Result<(), DemoError> {
    use entity::activity;
    use entity::kinds::ActivityState;
    let titles = [
        "长者生日会",
        "社区义剪",
        "周末环境清洁",
        "四点半课堂",
        "独居长者探访",
        "反诈宣传",
    ];
    let mut rows = Vec::new();
    for (c, name) in communities {
        for _ in 0..2 {
            let starts = now
                + Duration::days(rng.random_range(3..30))
                + Duration::hours(rng.random_range(0..8));
            let capacity = rng.random_range(10..40);
            rows.push(activity::ActiveModel {
                title: Set(format!(
                    "{}{}",
                    name,
                    titles.choose(rng).unwrap_or(&titles[0])
                )),
                field_code: Set(SERVICE_FIELDS
                    .choose(rng)
                    .map_or("elderly_care", |f| f.0)
                    .to_owned()),
                unit_code: Set(c.clone()),
                project_id: Set(None),
                team_id: Set(None),
                place: Set(format!("{name}党群服务中心")),
                description: Set("欢迎居民报名参加".to_owned()),
                starts_at: Set(starts),
                ends_at: Set(starts + Duration::hours(2)),
                recruit_from: Set(Some(now - Duration::days(1))),
                recruit_until: Set(Some(starts - Duration::hours(12))),
                capacity: Set(capacity),
                signed_up: Set(rng.random_range(0..capacity)),
                state: Set(ActivityState::Published),
                people_served: Set(None),
                checkin_secret: Set(format!("{:032x}", rng.random::<u128>())),
                created_by: Set(None),
                state_changed_by: Set(None),
                state_changed_at: Set(now),
                created_at: Set(now - Duration::days(2)),
                ..Default::default()
            });
        }
    }
    let txn = db.begin().await?;
    for c in rows.chunks(BATCH) {
        activity::Entity::insert_many(c.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await.map_err(Into::into)
}

/// Makes (or finds) the accounts with these keys; their ids by key.
async fn accounts(
    conn: &impl sea_orm::ConnectionTrait,
    rows: Vec<time_account::ActiveModel>,
    keys: Vec<String>,
) -> Result<HashMap<String, i64>, DemoError> {
    for c in rows.chunks(BATCH) {
        time_account::Entity::insert_many(c.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    let mut out = HashMap::new();
    for c in keys.chunks(BATCH) {
        let found: Vec<(i64, String)> = time_account::Entity::find()
            .select_only()
            .column(time_account::Column::Id)
            .column(time_account::Column::AccountKey)
            .filter(time_account::Column::AccountKey.is_in(c.to_vec()))
            .into_tuple()
            .all(conn)
            .await?;
        out.extend(found.into_iter().map(|(id, k)| (k, id)));
    }
    Ok(out)
}

fn unit_account(
    kind: TimeAccountKind,
    unit: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> time_account::ActiveModel {
    time_account::ActiveModel {
        account_key: Set(format!("{}:{unit}", kind.as_str())),
        kind: Set(kind),
        unit_code: Set(unit.to_owned()),
        volunteer_id: Set(None),
        user_id: Set(None),
        balance_minutes: Set(0),
        deposited_minutes: Set(0),
        hardship: Set(false),
        created_at: Set(now),
        ..Default::default()
    }
}

/// A deposit for each volunteer's approved hours (one entry for the year, capped),
/// and, for one in three of those of redemption age, a service bought with coins.
async fn time_bank(
    db: &DatabaseConnection,
    policy: &policies::Policy,
    volunteers: &[(i64, String, i64, Option<NaiveDate>)],
    today: NaiveDate,
    rng: &mut StdRng,
    report: &mut DemoReport,
    progress: bool,
) -> Result<(), DemoError> {
    let rules = policy.time_bank_rules();
    let rate = i64::from(rules.coins_per_hour);
    let cap = i64::from(rules.lifetime_cap_hours) * 60 * rate;
    let now = crate::services::now();
    let with_hours: Vec<&(i64, String, i64, Option<NaiveDate>)> =
        volunteers.iter().filter(|v| v.2 > 0).collect();
    // The issuing and redeeming accounts of each community, with running balances.
    let mut units: Vec<String> = with_hours.iter().map(|v| v.1.clone()).collect();
    units.sort();
    units.dedup();
    let mut rows = Vec::new();
    let mut keys = Vec::new();
    for u in &units {
        for kind in [TimeAccountKind::Issued, TimeAccountKind::Redeemed] {
            rows.push(unit_account(kind, u, now));
            keys.push(format!("{}:{u}", kind.as_str()));
        }
    }
    let txn = db.begin().await?;
    let unit_ids = accounts(&txn, rows, keys).await?;
    txn.commit().await?;
    let mut running: HashMap<i64, i64> = HashMap::new();
    let b = bar(progress, with_hours.len() as u64, "time bank");
    for chunk in with_hours.chunks(BATCH) {
        let txn = db.begin().await?;
        // Each volunteer's deposit and, maybe, a spend.
        let plan: Vec<(i64, String, i64, i64)> = chunk
            .iter()
            .map(|(id, unit, half, birth)| {
                let deposit = (half * 30 * rate).min(cap);
                let old =
                    birth.is_some_and(|b| today.year() - b.year() >= rules.redemption_age as i32);
                let spend = if old && deposit >= 120 && rng.random_bool(0.33) {
                    rng.random_range(60..=deposit / 2)
                } else {
                    0
                };
                (*id, unit.clone(), deposit, spend)
            })
            .collect();
        let keys: Vec<String> = plan.iter().map(|p| format!("volunteer:{}", p.0)).collect();
        let rows = plan
            .iter()
            .map(|(id, unit, deposit, spend)| time_account::ActiveModel {
                account_key: Set(format!("volunteer:{id}")),
                kind: Set(TimeAccountKind::Volunteer),
                unit_code: Set(unit.clone()),
                volunteer_id: Set(Some(*id)),
                user_id: Set(None),
                balance_minutes: Set(deposit - spend),
                deposited_minutes: Set(*deposit),
                hardship: Set(false),
                created_at: Set(now),
                ..Default::default()
            })
            .collect();
        let ids = accounts(&txn, rows, keys).await?;
        // Entries: a deposit for each, then the spends, in that order.
        let mut entries = Vec::new();
        for (_, unit, _, _) in &plan {
            entries.push((
                TimeEntryKind::Deposit,
                unit.clone(),
                "approved service hours",
            ));
        }
        for (_, unit, _, spend) in &plan {
            if *spend > 0 {
                entries.push((TimeEntryKind::Service, unit.clone(), "助浴、助洁服务"));
            }
        }
        let before = max_id::<time_entry::Entity>(&txn, time_entry::Column::Id).await?;
        let models: Vec<time_entry::ActiveModel> = entries
            .iter()
            .map(|(kind, unit, memo)| time_entry::ActiveModel {
                kind: Set(*kind),
                unit_code: Set(unit.clone()),
                memo: Set((*memo).to_owned()),
                service_record_id: Set(None),
                stock_move_id: Set(None),
                created_by: Set(None),
                created_at: Set(now - Duration::days(1)),
                ..Default::default()
            })
            .collect();
        time_entry::Entity::insert_many(models)
            .exec_without_returning(&txn)
            .await?;
        let entry_ids =
            ids_after::<time_entry::Entity>(&txn, time_entry::Column::Id, before).await?;
        if entry_ids.len() != entries.len() {
            return Err(DemoError::Database(sea_orm::DbErr::Custom(
                "time entries went missing while loading".into(),
            )));
        }
        let mut lines = Vec::new();
        let mut line = |entry: i64, account: i64, minutes: i64, after: i64| {
            lines.push(time_line::ActiveModel {
                entry_id: Set(entry),
                account_id: Set(account),
                minutes: Set(minutes),
                balance_after: Set(after),
                created_at: Set(now - Duration::days(1)),
                ..Default::default()
            });
        };
        let mut e = entry_ids.iter();
        for (id, unit, deposit, _) in &plan {
            let entry = *e.next().unwrap_or(&0);
            let acct = ids[&format!("volunteer:{id}")];
            let issued = unit_ids[&format!("issued:{unit}")];
            line(entry, acct, *deposit, *deposit);
            let r = running.entry(issued).or_insert(0);
            *r -= deposit;
            line(entry, issued, -deposit, *r);
        }
        for (id, unit, deposit, spend) in &plan {
            if *spend == 0 {
                continue;
            }
            let entry = *e.next().unwrap_or(&0);
            let acct = ids[&format!("volunteer:{id}")];
            let sink = unit_ids[&format!("redeemed:{unit}")];
            line(entry, acct, -spend, deposit - spend);
            let r = running.entry(sink).or_insert(0);
            *r += spend;
            line(entry, sink, *spend, *r);
        }
        for c in lines.chunks(BATCH * 2) {
            time_line::Entity::insert_many(c.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        report.time_accounts += plan.len() as u64;
        b.inc(chunk.len() as u64);
    }
    b.finish_and_clear();
    let txn = db.begin().await?;
    for (account, balance) in running {
        time_account::Entity::update_many()
            .col_expr(time_account::Column::BalanceMinutes, Expr::value(balance))
            .filter(time_account::Column::Id.eq(account))
            .exec(&txn)
            .await?;
    }
    txn.commit().await.map_err(Into::into)
}

/// Eight requests per community, through every state; claimed ones by a volunteer
/// of the community.
async fn help_requests(
    db: &DatabaseConnection,
    communities: &[(String, String)],
    volunteers: &[(i64, String, i64, Option<NaiveDate>)],
    now: chrono::DateTime<chrono::Utc>,
    rng: &mut StdRng,
    report: &mut DemoReport,
) -> Result<(), DemoError> {
    let mut by_unit: HashMap<&str, Vec<i64>> = HashMap::new();
    for (id, unit, ..) in volunteers {
        by_unit.entry(unit.as_str()).or_default().push(*id);
    }
    let states = [
        HelpState::Submitted,
        HelpState::Verified,
        HelpState::Published,
        HelpState::Published,
        HelpState::Claimed,
        HelpState::Fulfilled,
        HelpState::Closed,
        HelpState::Declined,
    ];
    let mut rows = Vec::new();
    for (c, _) in communities {
        for state in states {
            let submitted = now
                - Duration::days(rng.random_range(2..300))
                - Duration::hours(rng.random_range(0..24));
            let step = |from: chrono::DateTime<chrono::Utc>, rng: &mut StdRng| {
                from + Duration::hours(rng.random_range(4..96))
            };
            let verified = step(submitted, rng);
            let published = step(verified, rng);
            let claimed = step(published, rng);
            let fulfilled = step(claimed, rng);
            let closed = step(fulfilled, rng);
            let past = |s: HelpState| {
                let order = |s: HelpState| match s {
                    HelpState::Submitted | HelpState::Declined => 0,
                    HelpState::Verified => 1,
                    HelpState::Published => 2,
                    HelpState::Claimed => 3,
                    HelpState::Fulfilled => 4,
                    HelpState::Closed => 5,
                };
                order(state) >= order(s) && state != HelpState::Declined
            };
            let claimer = by_unit
                .get(c.as_str())
                .and_then(|v| v.choose(rng).copied())
                .filter(|_| past(HelpState::Claimed));
            let category = if rng.random_bool(0.3) {
                "material".to_owned()
            } else {
                SERVICE_FIELDS
                    .choose(rng)
                    .map_or("elderly_care", |f| f.0)
                    .to_owned()
            };
            rows.push(help_request::ActiveModel {
                unit_code: Set(c.clone()),
                beneficiary_name: Set(format!(
                    "{}{}",
                    SURNAMES.choose(rng).unwrap_or(&"王"),
                    ["大爷", "阿姨", "伯", "婆婆"]
                        .choose(rng)
                        .unwrap_or(&"大爷")
                )),
                beneficiary_phone: Set(Some(format!(
                    "13{}{:08}",
                    rng.random_range(0..10),
                    rng.random_range(0..100_000_000u64)
                ))),
                beneficiary_address: Set(Some(format!(
                    "{}路{}号",
                    ["中山", "解放", "北京", "东风"]
                        .choose(rng)
                        .unwrap_or(&"中山"),
                    rng.random_range(1..300)
                ))),
                category: Set(category),
                urgency: Set(*[
                    Urgency::Low,
                    Urgency::Normal,
                    Urgency::Normal,
                    Urgency::High,
                    Urgency::Urgent,
                ]
                .choose(rng)
                .unwrap_or(&Urgency::Normal)),
                description: Set(NEEDS.choose(rng).unwrap_or(&NEEDS[0]).to_string()),
                requested_by: Set(*[
                    RequestedBy::Beneficiary,
                    RequestedBy::CommunityWorker,
                    RequestedBy::GridWorker,
                ]
                .choose(rng)
                .unwrap_or(&RequestedBy::CommunityWorker)),
                attachments: Set(r#"["入户核实表.jpg"]"#.into()),
                state: Set(state),
                decline_reason: Set(
                    (state == HelpState::Declined).then(|| "已纳入民政救助".to_owned())
                ),
                claimed_volunteer_id: Set(claimer),
                claimed_team_id: Set(None),
                claimed_fund_id: Set(None),
                owner_user_id: Set(None),
                fulfilment_note: Set(past(HelpState::Fulfilled).then(|| "已上门服务".to_owned())),
                fulfilment_half_hours: Set(
                    past(HelpState::Fulfilled).then(|| rng.random_range(2..8))
                ),
                fulfilment_goods: Set(None),
                disbursement_id: Set(None),
                feedback: Set(past(HelpState::Closed).then(|| "非常感谢志愿者".to_owned())),
                feedback_rating: Set(past(HelpState::Closed).then(|| rng.random_range(4..=5))),
                submitted_at: Set(submitted),
                verified_at: Set(past(HelpState::Verified).then_some(verified)),
                verified_by: Set(None),
                published_at: Set(past(HelpState::Published).then_some(published)),
                claimed_at: Set(claimer.and(Some(claimed))),
                fulfilled_at: Set(past(HelpState::Fulfilled).then_some(fulfilled)),
                closed_at: Set(if state == HelpState::Declined {
                    Some(verified)
                } else {
                    past(HelpState::Closed).then_some(closed)
                }),
                created_by: Set(None),
                updated_at: Set(submitted),
                ..Default::default()
            });
        }
    }
    // A claim needs a volunteer: rows in a community without one stay published.
    for r in &mut rows {
        if let (Set(None), Set(s)) = (&r.claimed_volunteer_id, &r.state) {
            if matches!(
                s,
                HelpState::Claimed | HelpState::Fulfilled | HelpState::Closed
            ) {
                r.state = Set(HelpState::Published);
                r.claimed_at = Set(None);
                r.fulfilled_at = Set(None);
                r.closed_at = Set(None);
                r.fulfilment_note = Set(None);
                r.fulfilment_half_hours = Set(None);
                r.feedback = Set(None);
                r.feedback_rating = Set(None);
            }
        }
    }
    report.help_requests = rows.len() as u64;
    let txn = db.begin().await?;
    for c in rows.chunks(BATCH) {
        help_request::Entity::insert_many(c.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await.map_err(Into::into)
}

/// A sale waiting for its share's donation.
struct Sale {
    item: i64,
    station: i64,
    unit: String,
    day: NaiveDate,
    quantity: i64,
    amount: i64,
    share: i64,
}

/// Two supermarkets per street, each with the goods above and a year of movements.
#[allow(clippy::too_many_arguments)]
async fn supermarkets(
    db: &DatabaseConnection,
    root: &UnitCode,
    streets: &[(String, String)],
    communities: &[(String, String)],
    today: NaiveDate,
    rng: &mut StdRng,
    report: &mut DemoReport,
    progress: bool,
) -> Result<(), DemoError> {
    let policy = policies::Policy::default_policy()
        .map_err(|e| DemoError::Database(sea_orm::DbErr::Custom(e.to_string())))?;
    let rules = *policy.supermarket_rules();
    let now = crate::services::now();
    let funds: HashMap<String, i64> = fund::Entity::find()
        .filter(fund::Column::Status.eq(FundStatus::Open))
        .all(db)
        .await?
        .into_iter()
        .map(|f| (f.unit_code, f.id))
        .collect();
    let district = &root.as_str()[..root.as_str().len().min(6)];
    let mut counters: HashMap<(i64, i32), i32> = receipt_counter::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|c| ((c.fund_id, c.year), c.last_seq))
        .collect();
    let known: std::collections::HashSet<(i64, i32)> = counters.keys().copied().collect();
    let b = bar(progress, streets.len() as u64, "supermarkets");
    for (street, street_name) in streets {
        let txn = db.begin().await?;
        let fund = funds.get(street).or_else(|| funds.get(district)).copied();
        // Households of the street's communities.
        let mut households = Vec::new();
        for (c, _) in communities
            .iter()
            .filter(|(c, _)| c.starts_with(street.as_str()))
        {
            for _ in 0..3 {
                households.push(household::ActiveModel {
                    unit_code: Set(c.clone()),
                    head_name: Set(format!(
                        "{}{}",
                        SURNAMES.choose(rng).unwrap_or(&"陈"),
                        super::demo::GIVEN.choose(rng).unwrap_or(&"伟")
                    )),
                    phone: Set(Some(format!(
                        "13{}{:08}",
                        rng.random_range(0..10),
                        rng.random_range(0..100_000_000u64)
                    ))),
                    address: Set(Some(format!(
                        "{}{}号",
                        street_name,
                        rng.random_range(1..200)
                    ))),
                    category: Set(*[
                        HouseholdCategory::MinimumLiving,
                        HouseholdCategory::ExtremePoverty,
                        HouseholdCategory::LowIncome,
                    ]
                    .choose(rng)
                    .unwrap_or(&HouseholdCategory::LowIncome)),
                    members: Set(rng.random_range(1..6)),
                    created_by: Set(None),
                    created_at: Set(now - Duration::days(365)),
                    ..Default::default()
                });
            }
        }
        let hh_before = max_id::<household::Entity>(&txn, household::Column::Id).await?;
        if !households.is_empty() {
            household::Entity::insert_many(households)
                .exec_without_returning(&txn)
                .await?;
        }
        let hh = ids_after::<household::Entity>(&txn, household::Column::Id, hh_before).await?;
        let mut issued: HashMap<(i64, String), i64> = HashMap::new();
        let mut moves: Vec<stock_move::ActiveModel> = Vec::new();
        let mut sales: Vec<Sale> = Vec::new();
        for n in ["一", "二"] {
            let st = station::Entity::insert(station::ActiveModel {
                kind: Set(StationKind::CharitySupermarket),
                name: Set(format!("{street_name}慈善超市{n}店")),
                unit_code: Set(street.clone()),
                address: Set(None),
                opened_on: Set(Some(today - Duration::days(400))),
                closed_on: Set(None),
                organization_id: Set(None),
                created_at: Set(now - Duration::days(400)),
                ..Default::default()
            })
            .exec(&txn)
            .await?
            .last_insert_id;
            report.supermarkets += 1;
            for (name, label, price, coins) in GOODS {
                let item = stock_item::Entity::insert(stock_item::ActiveModel {
                    unit_code: Set(street.clone()),
                    station_id: Set(st),
                    name: Set(name.to_owned()),
                    unit_label: Set(Some(label.to_owned())),
                    price_fen: Set(price),
                    coin_minutes: Set(coins),
                    quantity: Set(0),
                    created_at: Set(now - Duration::days(400)),
                    ..Default::default()
                })
                .exec(&txn)
                .await?
                .last_insert_id;
                let mut qty: i64 = 0;
                let mv = |day: NaiveDate,
                          kind: StockMoveKind,
                          q: i64,
                          amount: i64,
                          household: Option<i64>,
                          reason: Option<&str>| stock_move::ActiveModel {
                    unit_code: Set(street.clone()),
                    station_id: Set(st),
                    item_id: Set(item),
                    kind: Set(kind),
                    quantity: Set(q),
                    donation_id: Set(None),
                    household_id: Set(household),
                    volunteer_id: Set(None),
                    amount_fen: Set(amount),
                    share_fen: Set(0),
                    share_donation_id: Set(None),
                    time_entry_id: Set(None),
                    reason: Set(reason.map(str::to_owned)),
                    month: Set(
                        (kind == StockMoveKind::FreeIssue).then(|| day.format("%Y-%m").to_string())
                    ),
                    created_by: Set(None),
                    created_at: Set(start_of(day) + Duration::hours(11)),
                    ..Default::default()
                };
                for week in 0..52i64 {
                    let day = today - Duration::days(364 - week * 7);
                    if week % 4 == 0 {
                        let q = rng.random_range(20..60);
                        qty += q;
                        moves.push(mv(
                            day,
                            StockMoveKind::PurchaseIn,
                            q,
                            q * price * 7 / 10,
                            None,
                            None,
                        ));
                    }
                    let q = rng.random_range(1..6).min(qty);
                    if q > 0 {
                        qty -= q;
                        let amount = q * price;
                        let share = amount * i64::from(rules.share_percent) / 100;
                        if fund.is_some() && share > 0 {
                            sales.push(Sale {
                                item,
                                station: st,
                                unit: street.clone(),
                                day,
                                quantity: q,
                                amount,
                                share,
                            });
                        } else {
                            moves.push(mv(day, StockMoveKind::Sale, -q, amount, None, None));
                        }
                    }
                    if let Some(h) = hh.choose(rng).copied() {
                        let month = day.format("%Y-%m").to_string();
                        let used = issued.entry((h, month)).or_insert(0);
                        let q = 1.min(qty);
                        if q > 0
                            && *used + q <= i64::from(rules.monthly_quota_items)
                            && rng.random_bool(0.5)
                        {
                            *used += q;
                            qty -= q;
                            moves.push(mv(day, StockMoveKind::FreeIssue, -q, 0, Some(h), None));
                        }
                    }
                    if week % 4 == 3 && qty > 0 && rng.random_bool(0.3) {
                        qty -= 1;
                        moves.push(mv(
                            day,
                            StockMoveKind::Count,
                            -1,
                            0,
                            None,
                            Some("月末盘点：破损一件"),
                        ));
                    }
                }
                // The kept quantity is the movements' sum (the sales with a share are
                // written below, already counted here).
                stock_item::Entity::update_many()
                    .col_expr(stock_item::Column::Quantity, Expr::value(qty))
                    .filter(stock_item::Column::Id.eq(item))
                    .exec(&txn)
                    .await?;
            }
        }
        // Sales with a share: a donation with its receipt and ledger entry each, then
        // the movement naming it.
        if let Some(fund) = fund {
            sales.sort_by_key(|s| s.day);
            let fund_unit = if funds.get(street) == Some(&fund) {
                street.clone()
            } else {
                district.to_owned()
            };
            let before = max_id::<ledger_entry::Entity>(&txn, ledger_entry::Column::Id).await?;
            let mut numbers = Vec::with_capacity(sales.len());
            let entries: Vec<ledger_entry::ActiveModel> = sales
                .iter()
                .map(|s| {
                    let seq = counters.entry((fund, s.day.year())).or_insert(0);
                    *seq += 1;
                    let number = format!("{fund_unit}-{fund}-{}-{:06}", s.day.year(), seq);
                    numbers.push(number.clone());
                    ledger_entry::ActiveModel {
                        unit_code: Set(fund_unit.clone()),
                        kind: Set(EntryKind::Donation),
                        memo: Set(format!("donation {number}")),
                        reverses_id: Set(None),
                        created_by: Set(None),
                        created_at: Set(start_of(s.day) + Duration::hours(11)),
                        booked_on: Set(Some(s.day)),
                        ..Default::default()
                    }
                })
                .collect();
            for c in entries.chunks(BATCH) {
                ledger_entry::Entity::insert_many(c.to_vec())
                    .exec_without_returning(&txn)
                    .await?;
            }
            let entry_ids =
                ids_after::<ledger_entry::Entity>(&txn, ledger_entry::Column::Id, before).await?;
            let mut lines = Vec::new();
            let mut gifts = Vec::new();
            for ((s, entry), number) in sales.iter().zip(&entry_ids).zip(&numbers) {
                lines.push(ledger_line::ActiveModel {
                    entry_id: Set(*entry),
                    account: Set(format!("fund:{fund}")),
                    fund_id: Set(Some(fund)),
                    amount_fen: Set(s.share),
                    ..Default::default()
                });
                lines.push(ledger_line::ActiveModel {
                    entry_id: Set(*entry),
                    account: Set(format!(
                        "donations:{}",
                        DonationChannel::CharitySupermarketShare.as_str()
                    )),
                    fund_id: Set(None),
                    amount_fen: Set(-s.share),
                    ..Default::default()
                });
                gifts.push(donation::ActiveModel {
                    unit_code: Set(fund_unit.clone()),
                    fund_id: Set(fund),
                    amount_fen: Set(s.share),
                    donor_kind: Set(DonorKind::Enterprise),
                    donor_name: Set(Some(format!("慈善超市（站点 {}）", s.station))),
                    donor_contact: Set(None),
                    channel: Set(DonationChannel::CharitySupermarketShare),
                    received_on: Set(s.day),
                    receipt_number: Set(number.clone()),
                    entry_id: Set(*entry),
                    voided_at: Set(None),
                    void_reason: Set(None),
                    void_entry_id: Set(None),
                    recorded_by: Set(None),
                    created_at: Set(start_of(s.day) + Duration::hours(11)),
                    kind: Set(DonationKind::Money),
                    items: Set(None),
                    campaign_id: Set(None),
                    pledge_id: Set(None),
                    designation: Set(None),
                    ..Default::default()
                });
            }
            for c in lines.chunks(BATCH * 2) {
                ledger_line::Entity::insert_many(c.to_vec())
                    .exec_without_returning(&txn)
                    .await?;
            }
            let d_before = max_id::<donation::Entity>(&txn, donation::Column::Id).await?;
            for c in gifts.chunks(BATCH) {
                donation::Entity::insert_many(c.to_vec())
                    .exec_without_returning(&txn)
                    .await?;
            }
            let donation_ids =
                ids_after::<donation::Entity>(&txn, donation::Column::Id, d_before).await?;
            report.donations += donation_ids.len() as u64;
            for (s, d) in sales.iter().zip(donation_ids) {
                moves.push(stock_move::ActiveModel {
                    unit_code: Set(s.unit.clone()),
                    station_id: Set(s.station),
                    item_id: Set(s.item),
                    kind: Set(StockMoveKind::Sale),
                    quantity: Set(-s.quantity),
                    donation_id: Set(None),
                    household_id: Set(None),
                    volunteer_id: Set(None),
                    amount_fen: Set(s.amount),
                    share_fen: Set(s.share),
                    share_donation_id: Set(Some(d)),
                    time_entry_id: Set(None),
                    reason: Set(None),
                    month: Set(None),
                    created_by: Set(None),
                    created_at: Set(start_of(s.day) + Duration::hours(11)),
                    ..Default::default()
                });
            }
        }
        report.stock_moves += moves.len() as u64;
        for c in moves.chunks(BATCH) {
            stock_move::Entity::insert_many(c.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        b.inc(1);
    }
    b.finish_and_clear();
    // Receipt counters carry on from the shares' numbers.
    let txn = db.begin().await?;
    for ((fund, year), last) in counters {
        if known.contains(&(fund, year)) {
            receipt_counter::Entity::update_many()
                .col_expr(receipt_counter::Column::LastSeq, Expr::value(last))
                .filter(receipt_counter::Column::FundId.eq(fund))
                .filter(receipt_counter::Column::Year.eq(year))
                .exec(&txn)
                .await?;
        } else {
            receipt_counter::Entity::insert(receipt_counter::ActiveModel {
                fund_id: Set(fund),
                year: Set(year),
                last_seq: Set(last),
            })
            .exec_without_returning(&txn)
            .await?;
        }
    }
    txn.commit().await.map_err(Into::into)
}
