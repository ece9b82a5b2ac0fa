//! Charity supermarkets (慈善超市): a station of that kind keeps stock items; goods
//! come in from in-kind donations (each movement names its donation) or purchases,
//! and go out by sale, in exchange for time coins, or free to a household in
//! difficulty within its monthly quota. Each sale books its configured share into
//! the nearest open fund at or above the supermarket, as a donation through
//! `CHARITY_SUPERMARKET_SHARE`, in the sale's transaction. Stock never goes below
//! zero: every movement is one conditional `UPDATE`. Counts (盘点) record the
//! difference with a reason. Permissions: `supermarket.*`; households are personal
//! data (`supermarket.read_personal`).

use chrono::{DateTime, Utc};
use entity::kinds::{
    DonationChannel, DonationKind, DonorKind, HouseholdCategory, StationKind, StockMoveKind,
};
use entity::{donation, household, station, stock_item, stock_move};
use policies::{Action, Level, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction,
    EntityTrait, QueryFilter, QuerySelect, Statement, TransactionTrait, Value,
};
use serde_json::json;

use crate::codes::Phone;
use crate::error::{Problem, Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::donations::{self, NewDonation, Recorder};
use crate::services::throttle::param;
use crate::services::{daily, funds, ranges, scoped, timebank, Ctx, Person, Seen};

#[derive(Debug, Clone)]
pub struct HouseholdRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub category: HouseholdCategory,
    pub members: i16,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<household::Model> for HouseholdRecord {
    type Error = ServiceError;
    fn try_from(m: household::Model) -> ServiceResult<Self> {
        Ok(HouseholdRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            category: m.category,
            members: m.members,
            created_at: m.created_at,
        })
    }
}

/// The heads of households the caller has read, as it may see them (see
/// [`super::reveal_people`]: full with `supermarket.read_personal`, audited once per
/// unit).
pub async fn heads(
    cx: &Ctx,
    of: &[Seen<HouseholdRecord>],
) -> ServiceResult<std::collections::HashMap<i64, Person>> {
    use household::Column as C;
    let rows: Vec<super::PersonRow> =
        scoped::unscoped::<household::Entity>("the heads of households the caller has read (Seen)")
            .select_only()
            .columns([C::Id, C::UnitCode, C::HeadName, C::Phone, C::Address])
            .filter(C::Id.is_in(Seen::ids(of)))
            .into_tuple()
            .all(cx.db())
            .await?;
    super::reveal_people(cx, Resource::Supermarket, "household", rows).await
}

pub struct NewHousehold {
    pub unit_code: String,
    pub head_name: String,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub category: HouseholdCategory,
    pub members: i16,
}

/// Registers a household in difficulty at a community (`supermarket.create`).
pub async fn register_household(cx: &Ctx, input: NewHousehold) -> ServiceResult<HouseholdRecord> {
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    if !matches!(unit.level(), Level::Community | Level::Grid) {
        return Err(Reason::NOT_A_COMMUNITY
            .at("unitCode")
            .arg("level", unit.level())
            .into());
    }
    let name = super::required_text("headName", &input.head_name, 100)?;
    let phone = input
        .phone
        .as_deref()
        .map(Phone::parse)
        .transpose()
        .map_err(|e| Problem::from(e).at("phone"))?;
    let address = super::optional_text("address", input.address.as_deref(), 200)?;
    if !(1..=30).contains(&input.members) {
        return Err(Reason::OUT_OF_RANGE
            .at("members")
            .arg("min", 1)
            .arg("max", 30)
            .into());
    }
    cx.access()
        .require(Resource::Supermarket, Action::Create, &unit)?;
    let txn = cx.db().begin().await?;
    super::units::require_exists(&txn, &unit).await?;
    let m = household::ActiveModel {
        unit_code: Set(unit.to_string()),
        head_name: Set(name),
        phone: Set(phone.map(|p| p.as_str().to_owned())),
        address: Set(address),
        category: Set(input.category),
        members: Set(input.members),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("household.register", &unit)
            .target("household", m.id)
            .summary(json!({ "category": input.category, "members": input.members })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

#[derive(Debug, Clone)]
pub struct ItemRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub station_id: i64,
    pub name: String,
    pub unit_label: Option<String>,
    pub price_fen: i64,
    pub coin_minutes: Option<i64>,
    pub quantity: i64,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<stock_item::Model> for ItemRecord {
    type Error = ServiceError;
    fn try_from(m: stock_item::Model) -> ServiceResult<Self> {
        Ok(ItemRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            station_id: m.station_id,
            name: m.name,
            unit_label: m.unit_label,
            price_fen: m.price_fen,
            coin_minutes: m.coin_minutes,
            quantity: m.quantity,
            created_at: m.created_at,
        })
    }
}

impl super::Record for ItemRecord {
    fn id(&self) -> i64 {
        self.id
    }
}

#[derive(Debug, Clone)]
pub struct MoveRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub station_id: i64,
    pub item_id: i64,
    pub kind: StockMoveKind,
    pub quantity: i64,
    pub donation_id: Option<i64>,
    pub household_id: Option<i64>,
    pub volunteer_id: Option<i64>,
    pub amount_fen: i64,
    pub share_fen: i64,
    pub share_donation_id: Option<i64>,
    pub time_entry_id: Option<i64>,
    pub reason: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<stock_move::Model> for MoveRecord {
    type Error = ServiceError;
    fn try_from(m: stock_move::Model) -> ServiceResult<Self> {
        Ok(MoveRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            station_id: m.station_id,
            item_id: m.item_id,
            kind: m.kind,
            quantity: m.quantity,
            donation_id: m.donation_id,
            household_id: m.household_id,
            volunteer_id: m.volunteer_id,
            amount_fen: m.amount_fen,
            share_fen: m.share_fen,
            share_donation_id: m.share_donation_id,
            time_entry_id: m.time_entry_id,
            reason: m.reason,
            created_by: m.created_by,
            created_at: m.created_at,
        })
    }
}

/// An open charity supermarket the caller may read.
async fn supermarket(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    station_id: i64,
) -> ServiceResult<station::Model> {
    let s = cx
        .get::<station::Entity>(conn, Action::Read, station_id)
        .await?;
    let today = daily::day_of(cx.now());
    if s.kind != StationKind::CharitySupermarket || s.closed_on.is_some_and(|c| c <= today) {
        return Err(Reason::NOT_A_SUPERMARKET.at("stationId").into());
    }
    Ok(s)
}

pub struct NewItem {
    pub station_id: i64,
    pub name: String,
    pub unit_label: Option<String>,
    pub price_fen: i64,
    pub coin_minutes: Option<i64>,
}

/// Adds a line of goods to a supermarket (`supermarket.create` at its unit).
pub async fn add_item(cx: &Ctx, input: NewItem) -> ServiceResult<ItemRecord> {
    let name = super::required_text("name", &input.name, 100)?;
    let label = super::optional_text("unitLabel", input.unit_label.as_deref(), 20)?;
    if !(0..=super::donors::MAX_AMOUNT_FEN).contains(&input.price_fen) {
        return Err(Reason::OUT_OF_RANGE
            .at("priceFen")
            .arg("min", 0)
            .arg("max", super::donors::MAX_AMOUNT_FEN)
            .into());
    }
    if input
        .coin_minutes
        .is_some_and(|c| !(1..=timebank::MAX_MINUTES).contains(&c))
    {
        return Err(Reason::COINS.at("coinMinutes").into());
    }
    let txn = cx.db().begin().await?;
    let s = supermarket(&txn, cx, input.station_id).await?;
    let unit = super::stored_unit(&s.unit_code)?;
    cx.access()
        .require(Resource::Supermarket, Action::Create, &unit)?;
    let taken = scoped::unscoped::<stock_item::Entity>("item names are unique per supermarket")
        .filter(stock_item::Column::StationId.eq(s.id))
        .filter(stock_item::Column::Name.eq(name.as_str()))
        .one(&txn)
        .await?;
    if taken.is_some() {
        return Err(Reason::ITEM_EXISTS.at("name").arg("name", name).into());
    }
    let m = stock_item::ActiveModel {
        unit_code: Set(s.unit_code.clone()),
        station_id: Set(s.id),
        name: Set(name.clone()),
        unit_label: Set(label),
        price_fen: Set(input.price_fen),
        coin_minutes: Set(input.coin_minutes),
        quantity: Set(0),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("supermarket.add_item", &unit)
            .target("stock_item", m.id)
            .summary(json!({ "name": name, "priceFen": input.price_fen })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// Moves an item's stock by `delta`, refused below zero; the quantity left.
async fn move_stock(
    conn: &impl ConnectionTrait,
    item: &stock_item::Model,
    delta: i64,
) -> ServiceResult<i64> {
    let b = conn.get_database_backend();
    let sql = format!(
        "UPDATE stock_item SET quantity = quantity + {} WHERE id = {} AND quantity + {} >= 0 RETURNING quantity",
        param(b, 1),
        param(b, 2),
        param(b, 1),
    );
    let row = conn
        .query_one_raw(Statement::from_sql_and_values(
            b,
            sql,
            [Value::from(delta), Value::from(item.id)],
        ))
        .await?;
    match row {
        Some(r) => Ok(r.try_get_by_index::<i64>(0)?),
        None => {
            let now: Option<i64> = scoped::unscoped_by_id::<stock_item::Entity>(
                item.id,
                "the stock left of an item the caller is moving",
            )
            .select_only()
            .column(stock_item::Column::Quantity)
            .into_tuple()
            .one(conn)
            .await?;
            Err(Reason::STOCK_INSUFFICIENT
                .at("quantity")
                .arg("name", item.name.clone())
                .arg("available", now.unwrap_or(0))
                .into())
        }
    }
}

/// An item of a supermarket, with the caller holding `supermarket.update` there.
async fn item_for_update(
    txn: &DatabaseTransaction,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<(stock_item::Model, UnitCode)> {
    let item = cx.get::<stock_item::Entity>(txn, Action::Read, id).await?;
    let unit = super::stored_unit(&item.unit_code)?;
    cx.access()
        .require(Resource::Supermarket, Action::Update, &unit)?;
    supermarket(txn, cx, item.station_id).await?;
    Ok((item, unit))
}

fn quantity(q: i64) -> ServiceResult<i64> {
    if (1..=100_000).contains(&q) {
        Ok(q)
    } else {
        Err(Reason::QUANTITY.at("quantity").into())
    }
}

struct Movement {
    kind: StockMoveKind,
    quantity: i64,
    donation_id: Option<i64>,
    household_id: Option<i64>,
    volunteer_id: Option<i64>,
    amount_fen: i64,
    reason: Option<String>,
    month: Option<String>,
}

async fn insert_move(
    txn: &DatabaseTransaction,
    cx: &Ctx,
    item: &stock_item::Model,
    m: Movement,
) -> ServiceResult<stock_move::Model> {
    Ok(stock_move::ActiveModel {
        unit_code: Set(item.unit_code.clone()),
        station_id: Set(item.station_id),
        item_id: Set(item.id),
        kind: Set(m.kind),
        quantity: Set(m.quantity),
        donation_id: Set(m.donation_id),
        household_id: Set(m.household_id),
        volunteer_id: Set(m.volunteer_id),
        amount_fen: Set(m.amount_fen),
        share_fen: Set(0),
        reason: Set(m.reason),
        month: Set(m.month),
        created_by: Set(cx.access().actor()),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(txn)
    .await?)
}

async fn log_move(
    txn: &DatabaseTransaction,
    cx: &Ctx,
    unit: &UnitCode,
    m: &stock_move::Model,
) -> ServiceResult<()> {
    audit::log(
        txn,
        cx,
        Entry::new(&format!("supermarket.{}", m.kind.as_str()), unit)
            .target("stock_move", m.id)
            .summary(json!({
                "item": m.item_id,
                "quantity": m.quantity,
                "amountFen": m.amount_fen,
                "shareFen": m.share_fen,
            })),
    )
    .await
}

async fn reload(conn: &impl ConnectionTrait, id: i64) -> ServiceResult<MoveRecord> {
    scoped::unscoped_by_id::<stock_move::Entity>(id, "the movement just written, read back")
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::StockMove))?
        .try_into()
}

pub struct Receipt {
    pub item_id: i64,
    pub quantity: i64,
    /// The in-kind donation the goods came from; left out for a purchase.
    pub donation_id: Option<i64>,
    /// What a purchase cost, in fen.
    pub cost_fen: Option<i64>,
}

/// Goods in: from an in-kind (goods) donation to a fund at or above the
/// supermarket, readable by the caller, or from a purchase.
pub async fn receive(cx: &Ctx, input: Receipt) -> ServiceResult<MoveRecord> {
    let q = quantity(input.quantity)?;
    let cost = input.cost_fen.unwrap_or(0);
    if !(0..=super::donors::MAX_AMOUNT_FEN).contains(&cost) {
        return Err(Reason::OUT_OF_RANGE
            .at("costFen")
            .arg("min", 0)
            .arg("max", super::donors::MAX_AMOUNT_FEN)
            .into());
    }
    let txn = cx.db().begin().await?;
    let (item, unit) = item_for_update(&txn, cx, input.item_id).await?;
    let kind = match input.donation_id {
        Some(did) => {
            let d = cx.get::<donation::Entity>(&txn, Action::Read, did).await?;
            let fund_unit = super::stored_unit(&d.unit_code)?;
            if d.kind != DonationKind::Goods || d.voided_at.is_some() || !fund_unit.contains(&unit)
            {
                return Err(Reason::NOT_OF_SUPERMARKET.at("donationId").into());
            }
            StockMoveKind::DonationIn
        }
        None => StockMoveKind::PurchaseIn,
    };
    move_stock(&txn, &item, q).await?;
    let m = insert_move(
        &txn,
        cx,
        &item,
        Movement {
            kind,
            quantity: q,
            donation_id: input.donation_id,
            household_id: None,
            volunteer_id: None,
            amount_fen: cost,
            reason: None,
            month: None,
        },
    )
    .await?;
    log_move(&txn, cx, &unit, &m).await?;
    txn.commit().await?;
    m.try_into()
}

/// How a sale is paid.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// Money at the item's price; the configured share goes into the fund.
    Money,
    /// Time coins at the item's coin price, from a volunteer's account.
    TimeCoins,
}

pub struct Sale {
    pub item_id: i64,
    pub quantity: i64,
    pub payment: Payment,
    /// Whose coins pay (time coins only): the caller's own volunteer record when
    /// left out.
    pub volunteer_id: Option<i64>,
}

/// Goods out by sale. For money, the share (`[supermarket] share_percent`, rounded
/// down to the fen) is a donation to the nearest open fund at or above the
/// supermarket, booked through the ledger in this transaction; for time coins, the
/// holder's account pays the supermarket's (redemption age applies).
pub async fn sell(cx: &Ctx, input: Sale) -> ServiceResult<MoveRecord> {
    let q = quantity(input.quantity)?;
    let txn = cx.db().begin().await?;
    let (item, unit) = item_for_update(&txn, cx, input.item_id).await?;
    move_stock(&txn, &item, -q).await?;
    let m = match input.payment {
        Payment::Money => {
            let amount = item.price_fen.saturating_mul(q);
            let share =
                amount * i64::from(cx.access().policy().supermarket_rules().share_percent) / 100;
            let mut m = insert_move(
                &txn,
                cx,
                &item,
                Movement {
                    kind: StockMoveKind::Sale,
                    quantity: -q,
                    donation_id: None,
                    household_id: None,
                    volunteer_id: None,
                    amount_fen: amount,
                    reason: None,
                    month: None,
                },
            )
            .await?;
            if share > 0 {
                let Some(fund) = funds::share_fund_for(&txn, &unit).await? else {
                    return Err(Reason::NO_FUND_FOR_SHARE.into());
                };
                let d = donations::record_in(
                    &txn,
                    cx,
                    NewDonation {
                        fund_id: fund,
                        amount_fen: Some(share),
                        kind: DonationKind::Money,
                        items: Vec::new(),
                        donor_kind: DonorKind::Enterprise,
                        donor_name: Some(format!("慈善超市（站点 {}）", item.station_id)),
                        donor_contact: None,
                        channel: DonationChannel::CharitySupermarketShare,
                        received_on: daily::day_of(cx.now()),
                        campaign_id: None,
                        pledge_id: None,
                        designation: None,
                    },
                    Recorder::SupermarketShare,
                )
                .await?;
                stock_move::Entity::update_many()
                    .col_expr(stock_move::Column::ShareFen, Expr::value(share))
                    .col_expr(stock_move::Column::ShareDonationId, Expr::value(d.id))
                    .filter(stock_move::Column::Id.eq(m.id))
                    .exec(&txn)
                    .await?;
                m.share_fen = share;
                m.share_donation_id = Some(d.id);
            }
            m
        }
        Payment::TimeCoins => {
            let Some(price) = item.coin_minutes else {
                return Err(Reason::NO_COIN_PRICE.at("payment").into());
            };
            let v = timebank::spender(&txn, cx, input.volunteer_id).await?;
            let minutes = price.saturating_mul(q);
            let m = insert_move(
                &txn,
                cx,
                &item,
                Movement {
                    kind: StockMoveKind::CoinExchange,
                    quantity: -q,
                    donation_id: None,
                    household_id: None,
                    volunteer_id: Some(v.id),
                    amount_fen: 0,
                    reason: None,
                    month: None,
                },
            )
            .await?;
            let entry =
                timebank::pay_supermarket(&txn, cx, &v, item.station_id, &unit, minutes, m.id)
                    .await?;
            stock_move::Entity::update_many()
                .col_expr(stock_move::Column::TimeEntryId, Expr::value(entry))
                .filter(stock_move::Column::Id.eq(m.id))
                .exec(&txn)
                .await?;
            m
        }
    };
    log_move(&txn, cx, &unit, &m).await?;
    let after = reload(&txn, m.id).await?;
    txn.commit().await?;
    Ok(after)
}

/// `YYYY-MM` of `t` in China Standard Time.
fn month_of(t: DateTime<Utc>) -> String {
    daily::day_of(t).format("%Y-%m").to_string()
}

/// Goods out free to a household in difficulty, within its monthly quota
/// (`[supermarket] monthly_quota_items`, counted over every supermarket).
pub async fn issue(cx: &Ctx, item_id: i64, q: i64, household_id: i64) -> ServiceResult<MoveRecord> {
    let q = quantity(q)?;
    let txn = cx.db().begin().await?;
    let (item, unit) = item_for_update(&txn, cx, item_id).await?;
    let h = cx
        .get::<household::Entity>(&txn, Action::Read, household_id)
        .await?;
    // One household's issues are written one at a time: the household row is the
    // lock (PostgreSQL; SQLite has one writer).
    household::Entity::update_many()
        .col_expr(household::Column::Id, Expr::col(household::Column::Id))
        .filter(household::Column::Id.eq(h.id))
        .exec(&txn)
        .await?;
    let month = month_of(cx.now());
    let issued: Option<i64> = scoped::unscoped::<stock_move::Entity>(
        "this month's free issues to a household the caller read",
    )
    .select_only()
    .column_as(
        Expr::cust("CAST(COALESCE(SUM(-quantity), 0) AS BIGINT)"),
        "n",
    )
    .filter(stock_move::Column::HouseholdId.eq(h.id))
    .filter(stock_move::Column::Month.eq(month.as_str()))
    .filter(stock_move::Column::Kind.eq(StockMoveKind::FreeIssue))
    .into_tuple()
    .one(&txn)
    .await?;
    let quota = i64::from(cx.access().policy().supermarket_rules().monthly_quota_items);
    let issued = issued.unwrap_or(0);
    if issued + q > quota {
        return Err(Reason::QUOTA_EXCEEDED
            .at("quantity")
            .arg("quota", quota)
            .arg("left", (quota - issued).max(0))
            .into());
    }
    move_stock(&txn, &item, -q).await?;
    let m = insert_move(
        &txn,
        cx,
        &item,
        Movement {
            kind: StockMoveKind::FreeIssue,
            quantity: -q,
            donation_id: None,
            household_id: Some(h.id),
            volunteer_id: None,
            amount_fen: 0,
            reason: None,
            month: Some(month),
        },
    )
    .await?;
    log_move(&txn, cx, &unit, &m).await?;
    txn.commit().await?;
    m.try_into()
}

/// A stock count (盘点): the counted quantity replaces the kept one, the
/// difference recorded with its reason.
pub async fn count(
    cx: &Ctx,
    item_id: i64,
    counted: i64,
    reason: &str,
) -> ServiceResult<MoveRecord> {
    let reason = super::required_text("reason", reason, 500)?;
    if !(0..=10_000_000).contains(&counted) {
        return Err(Reason::OUT_OF_RANGE
            .at("counted")
            .arg("min", 0)
            .arg("max", 10_000_000)
            .into());
    }
    let txn = cx.db().begin().await?;
    let (item, unit) = item_for_update(&txn, cx, item_id).await?;
    // The kept quantity as of now, read under the item's lock.
    let left = move_stock(&txn, &item, 0).await?;
    let diff = counted - left;
    move_stock(&txn, &item, diff).await?;
    let m = insert_move(
        &txn,
        cx,
        &item,
        Movement {
            kind: StockMoveKind::Count,
            quantity: diff,
            donation_id: None,
            household_id: None,
            volunteer_id: None,
            amount_fen: 0,
            reason: Some(reason),
            month: None,
        },
    )
    .await?;
    log_move(&txn, cx, &unit, &m).await?;
    txn.commit().await?;
    m.try_into()
}

pub async fn get_item(cx: &Ctx, id: i64) -> ServiceResult<ItemRecord> {
    cx.get::<stock_item::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

pub async fn get_items(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, ItemRecord>> {
    cx.get_many::<stock_item::Entity, _>(Action::Read, ids, |r: &ItemRecord| r.id)
        .await
}

pub async fn get_move(cx: &Ctx, id: i64) -> ServiceResult<MoveRecord> {
    cx.get::<stock_move::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

pub async fn get_household(cx: &Ctx, id: i64) -> ServiceResult<HouseholdRecord> {
    cx.get::<household::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

pub async fn get_households(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, HouseholdRecord>> {
    cx.get_many::<household::Entity, _>(Action::Read, ids, |r: &HouseholdRecord| r.id)
        .await
}

#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    pub under: Option<UnitCode>,
    pub station_id: Option<i64>,
}

/// Items the caller may read, by unit then id.
pub async fn list_items(
    cx: &Ctx,
    filter: &ItemFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<ItemRecord>, u64)> {
    let Some(mut q) = cx.find::<stock_item::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    use stock_item::Column as C;
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(C::UnitCode, under));
    }
    if let Some(s) = filter.station_id {
        q = q.filter(C::StationId.eq(s));
    }
    let sort = super::Sort::new([C::UnitCode, C::Id], OrderDirection::Asc);
    super::page_by(cx, q, &sort, page, want_total).await
}

#[derive(Debug, Clone, Default)]
pub struct MoveFilter {
    pub under: Option<UnitCode>,
    pub kind: Option<StockMoveKind>,
}

/// Movements the caller may read, newest first within each unit.
pub async fn list_moves(
    cx: &Ctx,
    filter: &MoveFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<MoveRecord>, u64)> {
    let Some(mut q) = cx.find::<stock_move::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    use stock_move::Column as C;
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(C::UnitCode, under));
    }
    if let Some(k) = filter.kind {
        q = q.filter(C::Kind.eq(k));
    }
    let sort = super::Sort::new([C::UnitCode, C::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// An item's movements, oldest first (its stock card): only from an item read.
pub async fn moves_of(
    cx: &Ctx,
    item: Seen<ItemRecord>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<MoveRecord>, u64)> {
    let q = scoped::unscoped::<stock_move::Entity>("the movements of an item the caller read")
        .filter(stock_move::Column::ItemId.eq(item.id()));
    let sort = super::Sort::new([stock_move::Column::Id], OrderDirection::Asc);
    super::page_by(cx, q, &sort, page, want_total).await
}

#[derive(Debug, Clone, Default)]
pub struct HouseholdFilter {
    pub under: Option<UnitCode>,
}

pub async fn list_households(
    cx: &Ctx,
    filter: &HouseholdFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<HouseholdRecord>, u64)> {
    let Some(mut q) = cx.find::<household::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    use household::Column as C;
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(C::UnitCode, under));
    }
    let sort = super::Sort::new([C::UnitCode, C::Id], OrderDirection::Asc);
    super::page_by(cx, q, &sort, page, want_total).await
}
