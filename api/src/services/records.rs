//! Service records: one volunteer's hours, from a check-in session, logged by the
//! volunteer, or back-filled (补录) by an organiser with a reason. Recorded →
//! approved or rejected, by a holder of `service_record.approve` who did not record
//! it. Approved records never change: a correction is a new record linked to the one
//! it corrects, carrying the difference (negative to take hours away), approved like
//! any other. The volunteer's total (`volunteer.approved_half_hours`) and the daily
//! figures change in the transaction of each approval.

use chrono::{DateTime, Duration, Utc};
use entity::{service_record, volunteer};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QuerySelect, TransactionTrait,
};
use serde_json::json;

use crate::error::{Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::activities::{self, ActivityRecord};
use crate::services::audit::{self, Entry};
use crate::services::daily::{self, Delta};
use crate::services::{ranges, scoped, stars, timebank, volunteers, Ctx};

/// Hours credited for one session of `minutes`, in half hours: each full hour
/// counts, and the rest by the rule — under 15 minutes nothing, 15 to under 45
/// minutes half an hour, 45 minutes or more a full hour.
pub fn credited_half_hours(minutes: i64) -> i64 {
    if minutes <= 0 {
        return 0;
    }
    let rest = match minutes % 60 {
        0..15 => 0,
        15..45 => 1,
        _ => 2,
    };
    minutes / 60 * 2 + rest
}

pub use entity::kinds::{ServiceRecordSource as Source, ServiceRecordState as State};

#[derive(Debug, Clone)]
pub struct ServiceRecord {
    pub id: i64,
    pub volunteer_id: i64,
    pub activity_id: Option<i64>,
    pub unit: UnitCode,
    pub half_hours: i32,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub source: Source,
    pub content: String,
    pub reason: Option<String>,
    pub state: State,
    pub recorded_by: Option<i64>,
    pub recorded_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decision_note: Option<String>,
    pub corrects_id: Option<i64>,
    pub fraud: bool,
}

impl TryFrom<service_record::Model> for ServiceRecord {
    type Error = ServiceError;
    fn try_from(m: service_record::Model) -> ServiceResult<Self> {
        Ok(ServiceRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            volunteer_id: m.volunteer_id,
            activity_id: m.activity_id,
            half_hours: m.half_hours,
            started_at: m.started_at,
            ended_at: m.ended_at,
            source: m.source,
            content: m.content,
            reason: m.reason,
            state: m.state,
            recorded_by: m.recorded_by,
            recorded_at: m.recorded_at,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            decision_note: m.decision_note,
            corrects_id: m.corrects_id,
            fraud: m.fraud,
        })
    }
}

struct NewRecord<'a> {
    volunteer: &'a volunteer::Model,
    activity_id: Option<i64>,
    attendance_id: Option<i64>,
    unit: &'a UnitCode,
    half_hours: i32,
    started_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
    source: Source,
    content: String,
    reason: Option<String>,
    corrects_id: Option<i64>,
}

async fn insert(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    r: NewRecord<'_>,
) -> ServiceResult<service_record::Model> {
    let m = service_record::ActiveModel {
        volunteer_id: Set(r.volunteer.id),
        user_id: Set(r.volunteer.user_id),
        activity_id: Set(r.activity_id),
        attendance_id: Set(r.attendance_id),
        unit_code: Set(r.unit.to_string()),
        half_hours: Set(r.half_hours),
        started_at: Set(r.started_at),
        ended_at: Set(r.ended_at),
        source: Set(r.source),
        content: Set(r.content),
        reason: Set(r.reason),
        state: Set(State::Recorded),
        recorded_by: Set(cx.access().actor()),
        recorded_at: Set(cx.now()),
        corrects_id: Set(r.corrects_id),
        fraud: Set(false),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    audit::log(
        conn,
        cx,
        Entry::new("service_record.record", r.unit)
            .target("service_record", m.id)
            .summary(json!({
                "volunteer": m.volunteer_id,
                "halfHours": m.half_hours,
                "source": m.source,
                "corrects": m.corrects_id,
            })),
    )
    .await?;
    Ok(m)
}

/// The record of a finished check-in session, if it credits anything.
pub(super) async fn record_session(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    a: &ActivityRecord,
    session: &entity::attendance::Model,
    minutes: i64,
) -> ServiceResult<Option<ServiceRecord>> {
    let half = credited_half_hours(minutes);
    if half == 0 {
        return Ok(None);
    }
    let v = scoped::unscoped_by_id::<volunteer::Entity>(
        session.volunteer_id,
        "the volunteer of an attendance session the caller recorded",
    )
    .one(conn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
    let m = insert(
        conn,
        cx,
        NewRecord {
            volunteer: &v,
            activity_id: Some(a.id),
            attendance_id: Some(session.id),
            unit: &a.unit,
            half_hours: i32::try_from(half).unwrap_or(i32::MAX),
            started_at: session.check_in_at,
            ended_at: session.check_out_at,
            source: Source::CheckIn,
            content: a.title.clone(),
            reason: None,
            corrects_id: None,
        },
    )
    .await?;
    Ok(Some(m.try_into()?))
}

/// The record made for a check-in session, if any.
pub(super) async fn for_attendance(
    conn: &impl ConnectionTrait,
    attendance_id: i64,
) -> ServiceResult<Option<ServiceRecord>> {
    scoped::unscoped::<service_record::Entity>("the record an attendance session already produced")
        .filter(service_record::Column::AttendanceId.eq(attendance_id))
        .one(conn)
        .await?
        .map(ServiceRecord::try_from)
        .transpose()
}

/// Hours as half-hour units: a multiple of 0.5.
pub(super) fn half_hours_of(hours: f64) -> ServiceResult<i32> {
    let half = hours * 2.0;
    if !half.is_finite() || half.fract() != 0.0 || half.abs() > 2000.0 {
        return Err(Reason::HOURS_NOT_HALVES.at("hours").into());
    }
    Ok(half as i32)
}

pub struct LogHours {
    pub volunteer_id: Option<i64>,
    pub activity_id: Option<i64>,
    /// Where the hours were served, for hours outside an activity (default: the
    /// volunteer's home unit).
    pub unit_code: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub hours: f64,
    pub content: Option<String>,
    pub reason: Option<String>,
    /// The approved record this one corrects; `hours` is then the difference.
    pub corrects_id: Option<i64>,
}

/// Logs hours: the volunteer's own, an organiser's back-fill, or a correction.
pub async fn log_hours(cx: &Ctx, input: LogHours) -> ServiceResult<ServiceRecord> {
    let half = half_hours_of(input.hours)?;
    let reason = super::optional_text("reason", input.reason.as_deref(), 500)?;
    let txn = cx.db().begin().await?;
    let m = match input.corrects_id {
        Some(original_id) => correct(&txn, cx, &input, original_id, half, reason).await?,
        None => log_new(&txn, cx, &input, half, reason).await?,
    };
    txn.commit().await?;
    m.try_into()
}

/// A correction of an approved original: `half` half-hours more (or, negative,
/// fewer), never taking the original below zero.
async fn correct(
    txn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    input: &LogHours,
    original_id: i64,
    half: i32,
    reason: Option<String>,
) -> ServiceResult<service_record::Model> {
    let original = cx
        .get::<service_record::Entity>(txn, Action::Read, original_id)
        .await?;
    let unit = super::stored_unit(&original.unit_code)?;
    cx.access().require_for(
        Resource::ServiceRecord,
        Action::Create,
        &unit,
        original.user_id,
    )?;
    if original.state != State::Approved || original.corrects_id.is_some() {
        return Err(Reason::CORRECTS_NON_ORIGINAL.at("correctsId").into());
    }
    let Some(reason) = reason else {
        return Err(Reason::REASON_REQUIRED.at("reason").into());
    };
    if half == 0 {
        return Err(Reason::CORRECTION_ZERO.at("hours").into());
    }
    if net_of(txn, original_id).await? + i64::from(half) < 0 {
        return Err(Reason::CORRECTION_TOO_LARGE.at("hours").into());
    }
    let v = scoped::unscoped_by_id::<volunteer::Entity>(
        original.volunteer_id,
        "the volunteer hours are logged for, checked against the rules below",
    )
    .one(txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
    insert(
        txn,
        cx,
        NewRecord {
            volunteer: &v,
            activity_id: original.activity_id,
            attendance_id: None,
            unit: &unit,
            half_hours: half,
            started_at: original.started_at,
            ended_at: original.ended_at,
            source: Source::Correction,
            content: input
                .content
                .as_deref()
                .map(|c| super::required_text("content", c, 200))
                .transpose()?
                .unwrap_or(original.content.clone()),
            reason: Some(reason),
            corrects_id: Some(original_id),
        },
    )
    .await
}

/// New hours: the volunteer's own (where it serves) or an organiser's back-fill
/// (with a reason), between a year ago and now.
async fn log_new(
    txn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    input: &LogHours,
    half: i32,
    reason: Option<String>,
) -> ServiceResult<service_record::Model> {
    if !(1..=48).contains(&half) {
        return Err(Reason::OUT_OF_RANGE
            .at("hours")
            .arg("min", 0.5)
            .arg("max", 24)
            .into());
    }
    let v = volunteers::volunteer_for(txn, cx, input.volunteer_id).await?;
    let activity = match input.activity_id {
        Some(id) => Some(activities::get_in(txn, cx, id).await?),
        None => None,
    };
    let unit = match (&activity, &input.unit_code) {
        (Some(a), _) => a.unit.clone(),
        (None, Some(code)) => {
            let u = super::parse_unit("unitCode", code)?;
            super::units::require_exists(txn, &u).await?;
            u
        }
        (None, None) => super::stored_unit(&v.unit_code)?,
    };
    let now = cx.now();
    let started_at = input
        .started_at
        .or(activity.as_ref().map(|a| a.starts_at))
        .ok_or_else(|| ServiceError::from(Reason::REQUIRED.at("startedAt")))?;
    if started_at > now {
        return Err(Reason::IN_FUTURE.at("startedAt").into());
    }
    if started_at < now - Duration::days(366) {
        return Err(Reason::HOURS_TOO_OLD.at("startedAt").into());
    }
    let own = v.user_id.is_some() && v.user_id == cx.access().actor();
    let source = if own {
        cx.access()
            .require_for(Resource::ServiceRecord, Action::Create, &unit, v.user_id)?;
        serves_at(txn, &v, &unit, activity.as_ref()).await?;
        Source::Logged
    } else {
        cx.access()
            .require(Resource::ServiceRecord, Action::Create, &unit)?;
        if reason.is_none() {
            return Err(Reason::REASON_REQUIRED.at("reason").into());
        }
        Source::Backfill
    };
    let content = match (&input.content, &activity) {
        (Some(c), _) => super::required_text("content", c, 200)?,
        (None, Some(a)) => a.title.clone(),
        (None, None) => return Err(Reason::REQUIRED.at("content").into()),
    };
    insert(
        txn,
        cx,
        NewRecord {
            volunteer: &v,
            activity_id: activity.as_ref().map(|a| a.id),
            attendance_id: None,
            unit: &unit,
            half_hours: half,
            started_at,
            ended_at: Some(started_at + Duration::minutes(i64::from(half) * 30)),
            source,
            content,
            reason,
            corrects_id: None,
        },
    )
    .await
}

async fn reload(conn: &impl ConnectionTrait, id: i64) -> ServiceResult<ServiceRecord> {
    scoped::unscoped_by_id::<service_record::Entity>(id, "reloading a record the caller just wrote")
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::ServiceRecord))?
        .try_into()
}

/// The approved hours of an original record with its approved corrections.
async fn net_of(conn: &impl ConnectionTrait, original_id: i64) -> ServiceResult<i64> {
    let sum: Option<Option<i64>> = scoped::unscoped::<service_record::Entity>(
        "corrections of a record the caller reads, to net its hours",
    )
    .select_only()
    .column_as(Expr::cust("SUM(half_hours)"), "s")
    .filter(service_record::Column::State.eq(State::Approved))
    .filter(
        sea_orm::Condition::any()
            .add(service_record::Column::Id.eq(original_id))
            .add(service_record::Column::CorrectsId.eq(original_id)),
    )
    .into_tuple()
    .one(conn)
    .await?;
    Ok(sum.flatten().unwrap_or(0))
}

/// Where a volunteer may log its own hours: its community (a volunteer of a grid
/// also at the grid's community), the units of its teams, and activities it signed
/// up for. Logging 24 hours "at the city" is not service anyone can vouch for.
async fn serves_at(
    conn: &impl ConnectionTrait,
    v: &volunteer::Model,
    unit: &UnitCode,
    activity: Option<&ActivityRecord>,
) -> ServiceResult<()> {
    if let Some(a) = activity {
        let signed_up = scoped::unscoped::<entity::signup::Entity>(
            "the caller's own sign-ups, for logging its own hours",
        )
        .filter(entity::signup::Column::ActivityId.eq(a.id))
        .filter(entity::signup::Column::VolunteerId.eq(v.id))
        .filter(entity::signup::Column::State.eq(entity::kinds::SignupState::Active))
        .count(conn)
        .await?;
        if signed_up == 0 {
            return Err(Reason::OWN_HOURS_SIGNED_UP_ONLY.into());
        }
        return Ok(());
    }
    let home = super::stored_unit(&v.unit_code)?;
    if *unit == home
        || (home.level() == policies::Level::Grid && home.parent().as_ref() == Some(unit))
    {
        return Ok(());
    }
    let team_units: Vec<String> = scoped::unscoped::<entity::team::Entity>(
        "the caller's own teams, for logging its own hours",
    )
    .select_only()
    .column(entity::team::Column::UnitCode)
    .filter(
        entity::team::Column::Id.in_subquery(
            sea_orm::sea_query::Query::select()
                .column(entity::team_member::Column::TeamId)
                .from(entity::team_member::Entity)
                .and_where(entity::team_member::Column::VolunteerId.eq(v.id))
                .to_owned(),
        ),
    )
    .into_tuple()
    .all(conn)
    .await?;
    if team_units.iter().any(|t| t == unit.as_str()) {
        return Ok(());
    }
    Err(Reason::OWN_HOURS_OUT_OF_REACH.into())
}

/// The person behind the approver's account and the one behind the record are the
/// same when the record's volunteer is linked to the approver's account, or when the
/// approver's own volunteer record names the same person (name and birth date)
/// under another document.
async fn same_person(
    conn: &impl ConnectionTrait,
    me: i64,
    record_volunteer: i64,
) -> ServiceResult<bool> {
    let Some(v) = scoped::unscoped_by_id::<volunteer::Entity>(
        record_volunteer,
        "the volunteer record of the deciding user, to refuse self-approval",
    )
    .one(conn)
    .await?
    else {
        return Ok(false);
    };
    if v.user_id == Some(me) {
        return Ok(true);
    }
    let Some(mine) = scoped::unscoped::<volunteer::Entity>(
        "the volunteer of the record being decided, to refuse self-approval",
    )
    .filter(volunteer::Column::UserId.eq(me))
    .one(conn)
    .await?
    else {
        return Ok(false);
    };
    Ok(mine.id == v.id
        || (mine.real_name == v.real_name
            && mine.birth_date.is_some()
            && mine.birth_date == v.birth_date))
}

/// A record the caller may decide on: in scope for approval, still recorded, and
/// neither recorded by the caller nor the caller's own hours.
async fn decidable(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    id: i64,
) -> ServiceResult<service_record::Model> {
    let m = cx
        .get::<service_record::Entity>(conn, Action::Read, id)
        .await?;
    let unit = super::stored_unit(&m.unit_code)?;
    cx.access()
        .require(Resource::ServiceRecord, Action::Approve, &unit)?;
    let me = cx.access().user_id()?;
    if m.recorded_by == Some(me)
        || m.user_id == Some(me)
        || same_person(conn, me, m.volunteer_id).await?
    {
        return Err(Reason::SELF_APPROVAL.into());
    }
    if m.state != State::Recorded {
        return Err(Reason::RECORD_DECIDED
            .arg("state", m.state.as_str().to_ascii_uppercase())
            .into());
    }
    Ok(m)
}

/// Marks a recorded record decided, unless a concurrent decision came first.
async fn decide(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    id: i64,
    state: State,
    note: Option<String>,
) -> ServiceResult<()> {
    let done = service_record::Entity::update_many()
        .col_expr(service_record::Column::State, Expr::value(state))
        .col_expr(
            service_record::Column::DecidedBy,
            Expr::value(cx.access().actor()),
        )
        .col_expr(service_record::Column::DecidedAt, Expr::value(cx.now()))
        .col_expr(service_record::Column::DecisionNote, Expr::value(note))
        .filter(service_record::Column::Id.eq(id))
        .filter(service_record::Column::State.eq(State::Recorded))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(Reason::EDIT_CONFLICT.into());
    }
    Ok(())
}

/// Adds approved hours to the volunteer's total and the daily figures, and
/// nominates the volunteer for any star the new total reaches.
async fn credit(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    m: &service_record::Model,
    half_hours: i64,
    records: i64,
) -> ServiceResult<()> {
    volunteer::Entity::update_many()
        .col_expr(
            volunteer::Column::ApprovedHalfHours,
            Expr::col(volunteer::Column::ApprovedHalfHours).add(half_hours),
        )
        .filter(volunteer::Column::Id.eq(m.volunteer_id))
        .exec(conn)
        .await?;
    daily::bump(
        conn,
        &super::stored_unit(&m.unit_code)?,
        daily::day_of(m.started_at),
        Delta {
            half_hours,
            records,
            ..Default::default()
        },
    )
    .await?;
    // The time bank deposits what was approved (or withdraws what was revoked).
    timebank::on_hours_approved(conn, cx, m.volunteer_id, m.id, half_hours).await?;
    stars::nominate_if_due(conn, cx, m.volunteer_id).await
}

/// Hours a claiming volunteer gave to a help request, recorded as logged hours
/// waiting for approval (approval deposits them in the time bank), in the
/// fulfilment's transaction.
pub(super) async fn record_for_help(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    v: &volunteer::Model,
    unit: &UnitCode,
    half_hours: i32,
    started_at: DateTime<Utc>,
    content: String,
) -> ServiceResult<i64> {
    if !(1..=48).contains(&half_hours) {
        return Err(Reason::OUT_OF_RANGE
            .at("hours")
            .arg("min", 0.5)
            .arg("max", 24)
            .into());
    }
    let m = insert(
        conn,
        cx,
        NewRecord {
            volunteer: v,
            activity_id: None,
            attendance_id: None,
            unit,
            half_hours,
            started_at,
            ended_at: None,
            source: Source::Logged,
            content,
            reason: None,
            corrects_id: None,
        },
    )
    .await?;
    Ok(m.id)
}

pub async fn approve(cx: &Ctx, id: i64, note: Option<String>) -> ServiceResult<ServiceRecord> {
    let txn = cx.db().begin().await?;
    let m = decidable(&txn, cx, id).await?;
    if let Some(original) = m.corrects_id {
        if net_of(&txn, original).await? + i64::from(m.half_hours) < 0 {
            return Err(Reason::CORRECTION_TOO_LARGE.at("hours").into());
        }
    }
    decide(&txn, cx, id, State::Approved, note).await?;
    let records = i64::from(m.corrects_id.is_none());
    credit(&txn, cx, &m, i64::from(m.half_hours), records).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("service_record.approve", &super::stored_unit(&m.unit_code)?)
            .target("service_record", id)
            .summary(json!({ "volunteer": m.volunteer_id, "halfHours": m.half_hours })),
    )
    .await?;
    let after = reload(&txn, id).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn reject(cx: &Ctx, id: i64, reason: &str) -> ServiceResult<ServiceRecord> {
    let reason = super::required_text("reason", reason, 500)?;
    let txn = cx.db().begin().await?;
    let m = decidable(&txn, cx, id).await?;
    decide(&txn, cx, id, State::Rejected, Some(reason.clone())).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("service_record.reject", &super::stored_unit(&m.unit_code)?)
            .target("service_record", id)
            .summary(json!({ "volunteer": m.volunteer_id, "reason": reason })),
    )
    .await?;
    let after = reload(&txn, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Revokes an approved record's hours for fraud: a linked record takes all of them
/// away (approved at once by the caller, who must hold the approve permission), the
/// volunteer is barred from stars for the policy's period, and its listed
/// nominations are withdrawn.
pub async fn revoke_for_fraud(cx: &Ctx, id: i64, reason: &str) -> ServiceResult<ServiceRecord> {
    let reason = super::required_text("reason", reason, 500)?;
    let txn = cx.db().begin().await?;
    let original = cx
        .get::<service_record::Entity>(&txn, Action::Read, id)
        .await?;
    let unit = super::stored_unit(&original.unit_code)?;
    cx.access()
        .require(Resource::ServiceRecord, Action::Approve, &unit)?;
    if original.state != State::Approved || original.corrects_id.is_some() {
        return Err(Reason::REVOKES_NON_ORIGINAL.into());
    }
    let net = net_of(&txn, id).await?;
    if net <= 0 {
        return Err(Reason::HOURS_ALREADY_REVOKED.into());
    }
    let v = scoped::unscoped_by_id::<volunteer::Entity>(
        original.volunteer_id,
        "the volunteer of a record the caller may revoke",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
    let m = insert(
        &txn,
        cx,
        NewRecord {
            volunteer: &v,
            activity_id: original.activity_id,
            attendance_id: None,
            unit: &unit,
            half_hours: -i32::try_from(net).unwrap_or(i32::MAX),
            started_at: original.started_at,
            ended_at: original.ended_at,
            source: Source::Revocation,
            content: original.content.clone(),
            reason: Some(reason.clone()),
            corrects_id: Some(id),
        },
    )
    .await?;
    decide(&txn, cx, m.id, State::Approved, Some(reason.clone())).await?;
    service_record::Entity::update_many()
        .col_expr(service_record::Column::Fraud, Expr::value(true))
        .filter(service_record::Column::Id.eq(m.id))
        .exec(&txn)
        .await?;
    let bar = stars::bar(&txn, cx, v.id).await?;
    credit(&txn, cx, &m, -net, 0).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("service_record.revoke", &unit)
            .target("service_record", id)
            .summary(json!({
                "volunteer": v.id,
                "halfHours": -net,
                "reason": reason,
                "barredUntil": bar,
            })),
    )
    .await?;
    let after = reload(&txn, m.id).await?;
    txn.commit().await?;
    Ok(after)
}

#[derive(Debug, Clone, Default)]
pub struct RecordFilter {
    pub under: Option<UnitCode>,
    /// Service started at or after `from` and before `to`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub order: Option<(RecordOrderField, OrderDirection)>,
    pub volunteer_id: Option<i64>,
    pub activity_id: Option<i64>,
    pub state: Option<State>,
}

/// What service records can be sorted by.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
#[graphql(name = "ServiceRecordOrderField")]
pub enum RecordOrderField {
    /// By the recording unit's division code (the default, newest first within a unit).
    Unit,
    /// By when the service started (the service date).
    ServiceDate,
    /// By when the record was entered.
    RecordedAt,
}

fn sort(order: Option<(RecordOrderField, OrderDirection)>) -> super::Sort<service_record::Entity> {
    use service_record::Column as C;
    match order {
        None => super::Sort::new([C::UnitCode, C::Id], OrderDirection::Desc),
        Some((RecordOrderField::Unit, d)) => super::Sort::new([C::UnitCode, C::Id], d),
        Some((RecordOrderField::ServiceDate, d)) => super::Sort::new([C::StartedAt, C::Id], d),
        Some((RecordOrderField::RecordedAt, d)) => super::Sort::new([C::RecordedAt, C::Id], d),
    }
}

/// By recording unit, newest first within each unit (the index's order), unless
/// `order` says.
pub async fn list(
    cx: &Ctx,
    filter: &RecordFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<ServiceRecord>, u64)> {
    let Some(mut q) = cx.find::<service_record::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(service_record::Column::UnitCode, under));
    }
    if let Some(v) = filter.volunteer_id {
        q = q.filter(service_record::Column::VolunteerId.eq(v));
    }
    if let Some(a) = filter.activity_id {
        q = q.filter(service_record::Column::ActivityId.eq(a));
    }
    if let Some(s) = &filter.state {
        q = q.filter(service_record::Column::State.eq(*s));
    }
    if let Some(from) = filter.from {
        q = q.filter(service_record::Column::StartedAt.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(service_record::Column::StartedAt.lt(to));
    }
    super::page_by(cx, q, &sort(filter.order), page, want_total).await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<ServiceRecord> {
    cx.get::<service_record::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

/// Many service records by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, ServiceRecord>> {
    cx.get_many::<service_record::Entity, _>(Action::Read, ids, |r: &ServiceRecord| r.id)
        .await
}

#[cfg(test)]
mod tests {
    use super::credited_half_hours;

    #[test]
    fn the_rounding_table() {
        // (minutes, half hours): under 15 → 0; 15 to under 45 → 0.5 h; 45 to 60 → 1 h;
        // whole hours count and the rest follows the same rule.
        let table = [
            (0, 0),
            (1, 0),
            (14, 0),
            (15, 1),
            (30, 1),
            (44, 1),
            (45, 2),
            (59, 2),
            (60, 2),
            (74, 2),
            (75, 3),
            (104, 3),
            (105, 4),
            (150, 5),
            (179, 6),
            (-5, 0),
        ];
        for (minutes, half) in table {
            assert_eq!(credited_half_hours(minutes), half, "{minutes} min");
        }
    }
}
