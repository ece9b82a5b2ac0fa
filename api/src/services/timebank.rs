//! The time bank (公益时间银行): a double-entry ledger of its own in coin minutes (60
//! to a coin). Approved service hours deposit into the volunteer's account from its
//! unit's `issued` account; a revocation for fraud withdraws them again (the
//! balance may then owe). Holders spend on services (`redeemed`) or supermarket
//! goods, give to registered relatives and donate to a unit's mutual-aid pool.
//!
//! Every account's balance is kept with each line and equals the sum of its lines;
//! a spend moves the balance with one conditional `UPDATE … WHERE balance >= m`, so
//! two concurrent spends can never take it below zero. Limits are policy data
//! (`[time_bank]`).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use entity::kinds::{Kinship, TimeAccountKind, TimeEntryKind};
use entity::{time_account, time_entry, time_line, volunteer, volunteer_relative};
use policies::{Action, Resource, UnitCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, Statement, TransactionTrait, Value,
};
use serde_json::json;

use crate::error::{Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::throttle::param;
use crate::services::{daily, ranges, scoped, volunteers, Ctx, Seen};

/// The most coin minutes one movement may carry (100,000 coins).
pub const MAX_MINUTES: i64 = 6_000_000;

#[derive(Debug, Clone)]
pub struct TimeAccountRecord {
    pub id: i64,
    pub kind: TimeAccountKind,
    pub unit: UnitCode,
    pub volunteer_id: Option<i64>,
    pub balance_minutes: i64,
    pub deposited_minutes: i64,
    pub hardship: bool,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<time_account::Model> for TimeAccountRecord {
    type Error = ServiceError;
    fn try_from(m: time_account::Model) -> ServiceResult<Self> {
        Ok(TimeAccountRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            kind: m.kind,
            volunteer_id: m.volunteer_id,
            balance_minutes: m.balance_minutes,
            deposited_minutes: m.deposited_minutes,
            hardship: m.hardship,
            created_at: m.created_at,
        })
    }
}

impl super::Record for TimeAccountRecord {
    fn id(&self) -> i64 {
        self.id
    }
}

/// One line of an account's statement.
#[derive(Debug, Clone)]
pub struct StatementLine {
    pub id: i64,
    pub entry_id: i64,
    pub kind: TimeEntryKind,
    pub memo: String,
    pub minutes: i64,
    pub balance_after: i64,
    pub at: DateTime<Utc>,
}

/// An account by key, made on first use. Concurrent first uses race on the unique
/// key; the loser reads the winner's row.
async fn account(
    conn: &impl ConnectionTrait,
    key: &str,
    kind: TimeAccountKind,
    unit: &UnitCode,
    owner: Option<&volunteer::Model>,
) -> ServiceResult<time_account::Model> {
    let find = || {
        scoped::unscoped::<time_account::Entity>(
            "a time-bank account the service is about to move (the caller's right was checked on the volunteer or station)",
        )
        .filter(time_account::Column::AccountKey.eq(key))
    };
    if let Some(a) = find().one(conn).await? {
        return Ok(a);
    }
    let b = conn.get_database_backend();
    let sql = format!(
        "INSERT INTO time_account (account_key, kind, unit_code, volunteer_id, user_id, balance_minutes, deposited_minutes, hardship, created_at) \
         VALUES ({}, {}, {}, {}, {}, 0, 0, {}, {}) ON CONFLICT (account_key) DO NOTHING",
        param(b, 1),
        param(b, 2),
        param(b, 3),
        param(b, 4),
        param(b, 5),
        param(b, 6),
        param(b, 7),
    );
    conn.execute_raw(Statement::from_sql_and_values(
        b,
        sql,
        [
            Value::from(key),
            Value::from(kind.as_str()),
            Value::from(unit.as_str()),
            Value::from(owner.map(|v| v.id)),
            Value::from(owner.and_then(|v| v.user_id)),
            Value::from(false),
            Value::from(super::now()),
        ],
    ))
    .await?;
    find().one(conn).await?.ok_or_else(|| {
        ServiceError::Database(sea_orm::DbErr::Custom("time account vanished".into()))
    })
}

pub(super) async fn volunteer_account(
    conn: &impl ConnectionTrait,
    v: &volunteer::Model,
) -> ServiceResult<time_account::Model> {
    let unit = super::stored_unit(&v.unit_code)?;
    account(
        conn,
        &format!("volunteer:{}", v.id),
        TimeAccountKind::Volunteer,
        &unit,
        Some(v),
    )
    .await
}

async fn unit_account(
    conn: &impl ConnectionTrait,
    kind: TimeAccountKind,
    unit: &UnitCode,
) -> ServiceResult<time_account::Model> {
    account(conn, &format!("{}:{unit}", kind.as_str()), kind, unit, None).await
}

pub(super) async fn supermarket_account(
    conn: &impl ConnectionTrait,
    station_id: i64,
    unit: &UnitCode,
) -> ServiceResult<time_account::Model> {
    account(
        conn,
        &format!("supermarket:{station_id}"),
        TimeAccountKind::Supermarket,
        unit,
        None,
    )
    .await
}

/// One side of a movement: the account, the signed minutes, and whether the
/// account must not go below zero by it.
struct Leg {
    account: i64,
    minutes: i64,
    guarded: bool,
}

pub(super) struct Refs {
    pub service_record_id: Option<i64>,
    pub stock_move_id: Option<i64>,
}

/// Posts one balanced entry. Balances move in account-id order (no deadlock between
/// two entries on PostgreSQL); a guarded leg that would go below zero refuses the
/// whole entry with COINS_INSUFFICIENT (the caller's transaction rolls back).
async fn post(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    kind: TimeEntryKind,
    unit: &UnitCode,
    memo: &str,
    refs: Refs,
    mut legs: Vec<Leg>,
) -> ServiceResult<i64> {
    debug_assert_eq!(legs.iter().map(|l| l.minutes).sum::<i64>(), 0);
    let entry = time_entry::ActiveModel {
        kind: Set(kind),
        unit_code: Set(unit.to_string()),
        memo: Set(memo.chars().take(200).collect()),
        service_record_id: Set(refs.service_record_id),
        stock_move_id: Set(refs.stock_move_id),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    legs.sort_by_key(|l| l.account);
    let b = conn.get_database_backend();
    for leg in &legs {
        let guard = if leg.guarded {
            format!(" AND balance_minutes + {} >= 0", param(b, 1))
        } else {
            String::new()
        };
        let sql = format!(
            "UPDATE time_account SET balance_minutes = balance_minutes + {} WHERE id = {}{guard} RETURNING balance_minutes",
            param(b, 1),
            param(b, 2),
        );
        let row = conn
            .query_one_raw(Statement::from_sql_and_values(
                b,
                sql,
                [Value::from(leg.minutes), Value::from(leg.account)],
            ))
            .await?;
        let Some(row) = row else {
            return Err(Reason::COINS_INSUFFICIENT.at("minutes").into());
        };
        let balance_after: i64 = row.try_get_by_index(0)?;
        time_line::ActiveModel {
            entry_id: Set(entry.id),
            account_id: Set(leg.account),
            minutes: Set(leg.minutes),
            balance_after: Set(balance_after),
            created_at: Set(cx.now()),
            ..Default::default()
        }
        .insert(conn)
        .await?;
    }
    Ok(entry.id)
}

async fn add_deposited(
    conn: &impl ConnectionTrait,
    account: i64,
    minutes: i64,
) -> ServiceResult<()> {
    use sea_orm::sea_query::Expr;
    use sea_orm::ExprTrait;
    time_account::Entity::update_many()
        .col_expr(
            time_account::Column::DepositedMinutes,
            Expr::col(time_account::Column::DepositedMinutes).add(minutes),
        )
        .filter(time_account::Column::Id.eq(account))
        .exec(conn)
        .await?;
    Ok(())
}

/// Approved hours moved by `half_hours` (negative for a revocation) on `record`:
/// deposits `coins_per_hour` coins an hour up to the lifetime cap, or withdraws what
/// was deposited (the balance may go below zero: the volunteer then owes). In the
/// approval's transaction.
pub(super) async fn on_hours_approved(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    volunteer_id: i64,
    service_record_id: i64,
    half_hours: i64,
) -> ServiceResult<()> {
    if half_hours == 0 {
        return Ok(());
    }
    let rules = *cx.access().policy().time_bank_rules();
    let v = scoped::unscoped_by_id::<volunteer::Entity>(
        volunteer_id,
        "the volunteer of hours the caller approved",
    )
    .one(conn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
    let unit = super::stored_unit(&v.unit_code)?;
    let acct = volunteer_account(conn, &v).await?;
    let issued = unit_account(conn, TimeAccountKind::Issued, &unit).await?;
    let rate = i64::from(rules.coins_per_hour);
    let refs = Refs {
        service_record_id: Some(service_record_id),
        stock_move_id: None,
    };
    if half_hours > 0 {
        let cap = i64::from(rules.lifetime_cap_hours) * 60 * rate;
        let minutes = (half_hours * 30 * rate).min(cap - acct.deposited_minutes);
        if minutes <= 0 {
            return Ok(());
        }
        let legs = vec![
            Leg {
                account: acct.id,
                minutes,
                guarded: false,
            },
            Leg {
                account: issued.id,
                minutes: -minutes,
                guarded: false,
            },
        ];
        post(
            conn,
            cx,
            TimeEntryKind::Deposit,
            &unit,
            "approved service hours",
            refs,
            legs,
        )
        .await?;
        add_deposited(conn, acct.id, minutes).await
    } else {
        let minutes = (-half_hours * 30 * rate).min(acct.deposited_minutes);
        if minutes <= 0 {
            return Ok(());
        }
        let legs = vec![
            Leg {
                account: acct.id,
                minutes: -minutes,
                guarded: false,
            },
            Leg {
                account: issued.id,
                minutes,
                guarded: false,
            },
        ];
        post(
            conn,
            cx,
            TimeEntryKind::Withdrawal,
            &unit,
            "hours revoked for fraud",
            refs,
            legs,
        )
        .await?;
        add_deposited(conn, acct.id, -minutes).await
    }
}

fn check_minutes(minutes: i64) -> ServiceResult<()> {
    if (1..=MAX_MINUTES).contains(&minutes) {
        Ok(())
    } else {
        Err(Reason::COINS.at("minutes").into())
    }
}

/// Age in whole years on `today`.
fn age_on(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// Refused unless the holder has reached the redemption age (lower in hardship).
pub(super) fn require_redemption_age(
    cx: &Ctx,
    v: &volunteer::Model,
    hardship: bool,
) -> ServiceResult<()> {
    let rules = cx.access().policy().time_bank_rules();
    let needed = if hardship {
        rules.hardship_redemption_age
    } else {
        rules.redemption_age
    };
    let today = daily::day_of(cx.now());
    let old_enough = v
        .birth_date
        .is_some_and(|b| age_on(b, today) >= needed as i32);
    if old_enough {
        Ok(())
    } else {
        Err(Reason::REDEMPTION_AGE
            .at("volunteerId")
            .arg("age", rules.redemption_age)
            .arg("hardship_age", rules.hardship_redemption_age)
            .into())
    }
}

/// The volunteer whose coins move: the caller's own when `id` is left out; either
/// way the caller needs `time_account.update` over it (own or in its subtree).
pub(super) async fn spender(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    id: Option<i64>,
) -> ServiceResult<volunteer::Model> {
    let v = volunteers::volunteer_for(conn, cx, id).await?;
    let unit = super::stored_unit(&v.unit_code)?;
    cx.access()
        .require_for(Resource::TimeAccount, Action::Update, &unit, v.user_id)?;
    Ok(v)
}

/// A spend on a service another volunteer gave (or the community arranged).
pub struct SpendOnService {
    pub volunteer_id: Option<i64>,
    pub minutes: i64,
    pub note: String,
}

pub async fn spend_on_service(cx: &Ctx, input: SpendOnService) -> ServiceResult<TimeAccountRecord> {
    check_minutes(input.minutes)?;
    let note = super::required_text("note", &input.note, 200)?;
    let txn = cx.db().begin().await?;
    let v = spender(&txn, cx, input.volunteer_id).await?;
    let unit = super::stored_unit(&v.unit_code)?;
    let acct = volunteer_account(&txn, &v).await?;
    require_redemption_age(cx, &v, acct.hardship)?;
    let sink = unit_account(&txn, TimeAccountKind::Redeemed, &unit).await?;
    let legs = vec![
        Leg {
            account: acct.id,
            minutes: -input.minutes,
            guarded: true,
        },
        Leg {
            account: sink.id,
            minutes: input.minutes,
            guarded: false,
        },
    ];
    let refs = Refs {
        service_record_id: None,
        stock_move_id: None,
    };
    post(&txn, cx, TimeEntryKind::Service, &unit, &note, refs, legs).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("time_bank.spend", &unit)
            .target("time_account", acct.id)
            .summary(json!({ "minutes": input.minutes, "on": "service" })),
    )
    .await?;
    let after = reload(&txn, acct.id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Pays a supermarket in coins, in the sale's transaction.
pub(super) async fn pay_supermarket(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    v: &volunteer::Model,
    station_id: i64,
    station_unit: &UnitCode,
    minutes: i64,
    stock_move_id: i64,
) -> ServiceResult<i64> {
    let acct = volunteer_account(conn, v).await?;
    require_redemption_age(cx, v, acct.hardship)?;
    let till = supermarket_account(conn, station_id, station_unit).await?;
    let legs = vec![
        Leg {
            account: acct.id,
            minutes: -minutes,
            guarded: true,
        },
        Leg {
            account: till.id,
            minutes,
            guarded: false,
        },
    ];
    let refs = Refs {
        service_record_id: None,
        stock_move_id: Some(stock_move_id),
    };
    post(
        conn,
        cx,
        TimeEntryKind::Supermarket,
        station_unit,
        "supermarket goods",
        refs,
        legs,
    )
    .await
}

pub struct Gift {
    pub from_volunteer_id: Option<i64>,
    pub to_volunteer_id: i64,
    pub minutes: i64,
}

/// Gives coins to a relative registered with the giver (`[time_bank]
/// gifts_to_relatives_only`).
pub async fn gift(cx: &Ctx, input: Gift) -> ServiceResult<TimeAccountRecord> {
    check_minutes(input.minutes)?;
    let txn = cx.db().begin().await?;
    let from = spender(&txn, cx, input.from_volunteer_id).await?;
    if from.id == input.to_volunteer_id {
        return Err(Reason::SAME_VOLUNTEER.at("toVolunteerId").into());
    }
    let registered = scoped::unscoped::<volunteer_relative::Entity>(
        "the giver's registered relatives (the giver was checked)",
    )
    .filter(volunteer_relative::Column::VolunteerId.eq(from.id))
    .filter(volunteer_relative::Column::RelativeId.eq(input.to_volunteer_id))
    .one(&txn)
    .await?
    .is_some();
    if cx
        .access()
        .policy()
        .time_bank_rules()
        .gifts_to_relatives_only
        && !registered
    {
        return Err(Reason::NOT_A_RELATIVE.at("toVolunteerId").into());
    }
    let to = scoped::unscoped_by_id::<volunteer::Entity>(
        input.to_volunteer_id,
        "a relative registered with the giver receives the gift",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
    let unit = super::stored_unit(&from.unit_code)?;
    let src = volunteer_account(&txn, &from).await?;
    let dst = volunteer_account(&txn, &to).await?;
    let legs = vec![
        Leg {
            account: src.id,
            minutes: -input.minutes,
            guarded: true,
        },
        Leg {
            account: dst.id,
            minutes: input.minutes,
            guarded: false,
        },
    ];
    let refs = Refs {
        service_record_id: None,
        stock_move_id: None,
    };
    post(
        &txn,
        cx,
        TimeEntryKind::Gift,
        &unit,
        "gift to a relative",
        refs,
        legs,
    )
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("time_bank.gift", &unit)
            .target("time_account", src.id)
            .summary(json!({ "minutes": input.minutes, "to": to.id })),
    )
    .await?;
    let after = reload(&txn, src.id).await?;
    txn.commit().await?;
    Ok(after)
}

pub struct PoolDonation {
    pub volunteer_id: Option<i64>,
    pub unit_code: String,
    pub minutes: i64,
}

/// Donates coins to the mutual-aid pool of the volunteer's community or a unit
/// above it.
pub async fn donate_to_pool(cx: &Ctx, input: PoolDonation) -> ServiceResult<TimeAccountRecord> {
    check_minutes(input.minutes)?;
    let pool_unit = super::parse_unit("unitCode", &input.unit_code)?;
    let txn = cx.db().begin().await?;
    let v = spender(&txn, cx, input.volunteer_id).await?;
    let unit = super::stored_unit(&v.unit_code)?;
    if !pool_unit.contains(&unit) {
        return Err(Reason::POOL_UNIT.at("unitCode").into());
    }
    super::units::require_exists(&txn, &pool_unit).await?;
    let src = volunteer_account(&txn, &v).await?;
    let pool = unit_account(&txn, TimeAccountKind::Pool, &pool_unit).await?;
    let legs = vec![
        Leg {
            account: src.id,
            minutes: -input.minutes,
            guarded: true,
        },
        Leg {
            account: pool.id,
            minutes: input.minutes,
            guarded: false,
        },
    ];
    let refs = Refs {
        service_record_id: None,
        stock_move_id: None,
    };
    post(
        &txn,
        cx,
        TimeEntryKind::Pool,
        &pool_unit,
        "mutual-aid pool",
        refs,
        legs,
    )
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("time_bank.pool", &pool_unit)
            .target("time_account", src.id)
            .summary(json!({ "minutes": input.minutes, "volunteer": v.id })),
    )
    .await?;
    let after = reload(&txn, src.id).await?;
    txn.commit().await?;
    Ok(after)
}

pub struct NewRelative {
    pub volunteer_id: i64,
    pub relative_id: i64,
    pub relation: Kinship,
}

/// Registers a relative with a volunteer (`volunteer.update` on the volunteer and
/// `volunteer.read` on the relative): gifts may then go to it.
pub async fn add_relative(cx: &Ctx, input: NewRelative) -> ServiceResult<TimeAccountRecord> {
    if input.volunteer_id == input.relative_id {
        return Err(Reason::SAME_VOLUNTEER.at("relativeId").into());
    }
    let txn = cx.db().begin().await?;
    let v = volunteers::find_scoped(&txn, cx, Action::Update, input.volunteer_id).await?;
    volunteers::find_scoped(&txn, cx, Action::Read, input.relative_id).await?;
    let exists = scoped::unscoped::<volunteer_relative::Entity>(
        "a pair already registered (both volunteers were read through the scope)",
    )
    .filter(volunteer_relative::Column::VolunteerId.eq(v.id))
    .filter(volunteer_relative::Column::RelativeId.eq(input.relative_id))
    .one(&txn)
    .await?;
    if exists.is_some() {
        return Err(Reason::RELATIVE_EXISTS.at("relativeId").into());
    }
    volunteer_relative::ActiveModel {
        unit_code: Set(v.unit_code.clone()),
        volunteer_id: Set(v.id),
        relative_id: Set(input.relative_id),
        relation: Set(input.relation),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let unit = super::stored_unit(&v.unit_code)?;
    audit::log(
        &txn,
        cx,
        Entry::new("time_bank.add_relative", &unit)
            .target("volunteer", v.id)
            .summary(json!({ "relative": input.relative_id, "relation": input.relation })),
    )
    .await?;
    let acct = volunteer_account(&txn, &v).await?;
    txn.commit().await?;
    acct.try_into()
}

/// Marks a volunteer's account as in hardship (the lower redemption age applies).
/// Only an office in the subtree (`time_account.update` over the unit, not "own"):
/// a holder cannot mark itself.
pub async fn set_hardship(
    cx: &Ctx,
    volunteer_id: i64,
    hardship: bool,
) -> ServiceResult<TimeAccountRecord> {
    let txn = cx.db().begin().await?;
    let v = volunteers::find_scoped(&txn, cx, Action::Read, volunteer_id).await?;
    let unit = super::stored_unit(&v.unit_code)?;
    cx.access()
        .require(Resource::TimeAccount, Action::Update, &unit)?;
    let acct = volunteer_account(&txn, &v).await?;
    time_account::Entity::update_many()
        .col_expr(
            time_account::Column::Hardship,
            sea_orm::sea_query::Expr::value(hardship),
        )
        .filter(time_account::Column::Id.eq(acct.id))
        .exec(&txn)
        .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("time_bank.hardship", &unit)
            .target("time_account", acct.id)
            .summary(json!({ "hardship": hardship })),
    )
    .await?;
    let after = reload(&txn, acct.id).await?;
    txn.commit().await?;
    Ok(after)
}

async fn reload(conn: &impl ConnectionTrait, id: i64) -> ServiceResult<TimeAccountRecord> {
    scoped::unscoped_by_id::<time_account::Entity>(id, "the account just moved, read back")
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::TimeAccount))?
        .try_into()
}

/// A volunteer's balance (0 before its first movement); the caller found the
/// volunteer through its own account or scope.
pub(super) async fn balance_of_volunteer(
    conn: &impl ConnectionTrait,
    volunteer_id: i64,
) -> ServiceResult<i64> {
    Ok(scoped::unscoped::<time_account::Entity>(
        "the balance of a volunteer the caller has already read",
    )
    .filter(time_account::Column::AccountKey.eq(format!("volunteer:{volunteer_id}")))
    .one(conn)
    .await?
    .map_or(0, |a| a.balance_minutes))
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<TimeAccountRecord> {
    cx.get::<time_account::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

/// The signed-in volunteer's own account (made on first read).
pub async fn mine(cx: &Ctx) -> ServiceResult<TimeAccountRecord> {
    let v = volunteers::own_volunteer(cx.db(), cx).await?;
    volunteer_account(cx.db(), &v).await?.try_into()
}

pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, TimeAccountRecord>> {
    cx.get_many::<time_account::Entity, _>(Action::Read, ids, |r: &TimeAccountRecord| r.id)
        .await
}

#[derive(Debug, Clone, Default)]
pub struct AccountFilter {
    pub under: Option<UnitCode>,
    pub kind: Option<TimeAccountKind>,
}

/// Accounts the caller may read, by unit then id.
pub async fn list(
    cx: &Ctx,
    filter: &AccountFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<TimeAccountRecord>, u64)> {
    let Some(mut q) = cx.find::<time_account::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    use time_account::Column as C;
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(C::UnitCode, under));
    }
    if let Some(k) = filter.kind {
        q = q.filter(C::Kind.eq(k));
    }
    let sort = super::Sort::new([C::UnitCode, C::Id], OrderDirection::Asc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// An account's statement, oldest first, each line with the balance it left.
pub async fn statement(
    cx: &Ctx,
    account: Seen<TimeAccountRecord>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<StatementLine>, u64)> {
    let q =
        scoped::unscoped::<time_line::Entity>("the lines of an account the caller has read (Seen)")
            .filter(time_line::Column::AccountId.eq(account.id()));
    let sort = super::Sort::new([time_line::Column::Id], OrderDirection::Asc);
    let (page, total): (Page<time_line::Model>, u64) =
        super::page_by(cx, q, &sort, page, want_total).await?;
    let entry_ids: Vec<i64> = page.rows.iter().map(|l| l.entry_id).collect();
    let entries: std::collections::HashMap<i64, time_entry::Model> =
        scoped::unscoped::<time_entry::Entity>("the entries of lines already read")
            .filter(time_entry::Column::Id.is_in(entry_ids))
            .order_by_asc(time_entry::Column::Id)
            .all(cx.db())
            .await?
            .into_iter()
            .map(|e| (e.id, e))
            .collect();
    let page = page.try_map(|l| {
        let e = entries.get(&l.entry_id).ok_or_else(|| {
            ServiceError::Database(sea_orm::DbErr::Custom("line without entry".into()))
        })?;
        Ok::<_, ServiceError>(StatementLine {
            id: l.id,
            entry_id: l.entry_id,
            kind: e.kind,
            memo: e.memo.clone(),
            minutes: l.minutes,
            balance_after: l.balance_after,
            at: l.created_at,
        })
    })?;
    Ok((page, total))
}
