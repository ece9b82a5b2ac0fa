//! Residents and volunteers serving themselves: signing up for an account,
//! registering as a volunteer, browsing what is recruiting, and a volunteer's own
//! dashboard. Nothing here needs a role: the public parts are policy permissions
//! (`activity.browse`), the rest acts on the caller's own account only.

use chrono::{DateTime, Datelike, Utc};
use entity::kinds::{ActivityState, ServiceRecordState};
use entity::{activity, service_record, user};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect, TransactionTrait};
use serde_json::json;

use crate::codes::Phone;
use crate::error::{Problem, Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::throttle::{self, Attempt, ThrottleRules};
use crate::services::users::{self, UserRecord};
use crate::services::volunteers::{self, NewVolunteer, Registrar, VolunteerRecord};
use crate::services::{daily, ranges, scoped, timebank, units, Ctx};

/// The role a resident gets at its community by registering itself.
pub const SELF_REGISTERED_ROLE: &str = "volunteer";

pub struct NewAccount {
    pub username: String,
    pub password: String,
    pub phone: String,
    /// The community the resident lives in (its home unit).
    pub unit_code: String,
}

/// Creates a resident's account (no role yet). Anonymous; limited per client
/// address like sign-ins (`[throttle]`), with the same username and password rules;
/// the password is hashed on the bounded hashing pool.
pub async fn sign_up_account(
    cx: &Ctx,
    rules: &ThrottleRules,
    input: NewAccount,
) -> ServiceResult<UserRecord> {
    super::auth::check_lengths(&input.username, &input.password)?;
    let username = users::parse_username(&input.username)?;
    users::check_password(&input.password)?;
    let phone = Phone::parse(&input.phone).map_err(|e| Problem::from(e).at("phone"))?;
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    if !matches!(
        unit.level(),
        policies::Level::Community | policies::Level::Grid
    ) {
        return Err(Reason::NOT_A_COMMUNITY
            .at("unitCode")
            .arg("level", unit.level())
            .into());
    }
    // Counted before anything is written or hashed, so a flood costs one statement.
    let addr = cx.access().meta().client_addr.clone();
    throttle::reserve(cx.db(), rules, &Attempt::sign_up(addr.as_deref())).await?;
    units::require_exists(cx.db(), &unit).await?;
    let hash = crate::auth::hash_password(&cx.store().hashing, input.password).await?;
    let txn = cx.db().begin().await?;
    let m = users::insert_user(&txn, &username, &username, hash, &unit, cx.now()).await?;
    user::Entity::update_many()
        .col_expr(user::Column::Phone, Expr::value(phone.as_str()))
        .filter(user::Column::Id.eq(m.id))
        .exec(&txn)
        .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("user.sign_up", &unit)
            .target("user", m.id)
            .summary(json!({ "username": username }))
            .by(Some(m.id)),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// Registers the signed-in resident as a volunteer at a community: the same ID
/// validation and system-wide uniqueness as an office's registration (the CONFLICT
/// reveals nothing), linked to the caller's account, which gets the
/// [`SELF_REGISTERED_ROLE`] there.
pub async fn register_self(cx: &Ctx, input: NewVolunteer) -> ServiceResult<VolunteerRecord> {
    let me = cx.access().user_id()?;
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    let role = cx
        .access()
        .policy()
        .role(SELF_REGISTERED_ROLE)
        .ok_or_else(|| {
            ServiceError::from(
                Reason::UNKNOWN_ROLE
                    .at("unitCode")
                    .arg("role", SELF_REGISTERED_ROLE),
            )
        })?;
    if !role.levels.contains(&unit.level()) {
        return Err(Reason::ROLE_LEVEL_NOT_ALLOWED
            .at("unitCode")
            .arg("role", SELF_REGISTERED_ROLE)
            .arg("level", unit.level())
            .into());
    }
    volunteers::register_as(cx, input, Registrar::Resident(me)).await
}

/// What anyone may see of a published, recruiting activity: never its sign-ups,
/// organisers or anyone's personal data.
#[derive(Debug, Clone)]
pub struct ListedActivity {
    pub id: i64,
    pub title: String,
    pub field: String,
    pub unit: UnitCode,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub seats_left: i32,
}

impl TryFrom<activity::Model> for ListedActivity {
    type Error = ServiceError;
    fn try_from(m: activity::Model) -> ServiceResult<Self> {
        Ok(ListedActivity {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            title: m.title,
            field: m.field_code,
            place: m.place,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            seats_left: (m.capacity - m.signed_up).max(0),
        })
    }
}

/// Published activities at `under` or below it that are recruiting now, by start
/// time. Public by `activity.browse`.
pub async fn browse_activities(
    cx: &Ctx,
    under: &UnitCode,
    field: Option<&str>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<ListedActivity>, u64)> {
    cx.access()
        .require(Resource::Activity, Action::Browse, under)?;
    let now = cx.now();
    use activity::Column as C;
    let mut q = scoped::unscoped::<activity::Entity>(
        "activity.browse: published, recruiting activities are public; only the listing's columns leave the service",
    )
    .filter(C::State.eq(ActivityState::Published))
    .filter(C::StartsAt.gt(now))
    .filter(
        Condition::any()
            .add(C::RecruitFrom.is_null())
            .add(C::RecruitFrom.lte(now)),
    )
    .filter(
        Condition::any()
            .add(C::RecruitUntil.is_null())
            .add(C::RecruitUntil.gte(now)),
    );
    q = q.filter(ranges::subtree(C::UnitCode, under));
    if let Some(f) = field {
        q = q.filter(C::FieldCode.eq(f));
    }
    let sort = super::Sort::new([C::StartsAt, C::Id], OrderDirection::Asc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// A volunteer's own figures at a glance.
#[derive(Debug, Clone)]
pub struct Dashboard {
    pub volunteer: VolunteerRecord,
    /// Approved half hours of service that started this calendar year (CST).
    pub half_hours_this_year: i64,
    /// Its time-bank balance in coin minutes (0 before its first deposit).
    pub time_balance_minutes: i64,
}

/// The signed-in volunteer's dashboard.
pub async fn dashboard(cx: &Ctx) -> ServiceResult<Dashboard> {
    let v = volunteers::own_volunteer(cx.db(), cx).await?;
    let volunteer: VolunteerRecord = v.clone().try_into()?;
    let today = daily::day_of(cx.now());
    let year_start =
        daily::start_of(chrono::NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today));
    use service_record::Column as C;
    let half_hours: Option<i64> = scoped::unscoped::<service_record::Entity>(
        "the caller's own approved records (its volunteer record was found by its account)",
    )
    .select_only()
    .column_as(
        Expr::cust("CAST(COALESCE(SUM(half_hours), 0) AS BIGINT)"),
        "total",
    )
    .filter(C::VolunteerId.eq(v.id))
    .filter(C::State.eq(ServiceRecordState::Approved))
    .filter(C::StartedAt.gte(year_start))
    .into_tuple()
    .one(cx.db())
    .await?;
    let balance = timebank::balance_of_volunteer(cx.db(), v.id).await?;
    Ok(Dashboard {
        volunteer,
        half_hours_this_year: half_hours.unwrap_or(0),
        time_balance_minutes: balance,
    })
}
