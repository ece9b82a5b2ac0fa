//! Sign-ups (volunteer × activity) and attendance: check-in and check-out by the
//! activity's rotating code or by an organiser with a reason. Each check-out credits
//! the session's hours as a service record awaiting approval.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use entity::kinds::{CheckMethod, SignupState};
use entity::{activity, attendance, signup};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::ExprTrait;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, TransactionTrait,
};
use serde_json::json;

use crate::error::{Problem, Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::activities::{self, ActivityRecord, State};
use crate::services::audit::{self, Entry};
use crate::services::daily::{self, Delta};
use crate::services::records::{self, ServiceRecord};
use crate::services::{ranges, scoped, volunteers, Ctx, Seen};

#[derive(Debug, Clone)]
pub struct SignupRecord {
    pub id: i64,
    pub activity_id: i64,
    pub volunteer_id: i64,
    pub unit: UnitCode,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

impl TryFrom<signup::Model> for SignupRecord {
    type Error = ServiceError;
    fn try_from(m: signup::Model) -> ServiceResult<Self> {
        Ok(SignupRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            activity_id: m.activity_id,
            volunteer_id: m.volunteer_id,
            active: m.state == SignupState::Active,
            created_at: m.created_at,
            cancelled_at: m.cancelled_at,
        })
    }
}

#[derive(Debug, Clone)]
pub struct AttendanceRecord {
    pub id: i64,
    pub signup_id: i64,
    pub check_in_at: DateTime<Utc>,
    pub check_out_at: Option<DateTime<Utc>>,
    pub check_in_method: CheckMethod,
    pub check_out_method: Option<CheckMethod>,
    pub check_in_reason: Option<String>,
    pub check_out_reason: Option<String>,
}

impl From<attendance::Model> for AttendanceRecord {
    fn from(m: attendance::Model) -> Self {
        AttendanceRecord {
            id: m.id,
            signup_id: m.signup_id,
            check_in_at: m.check_in_at,
            check_out_at: m.check_out_at,
            check_in_method: m.check_in_method,
            check_out_method: m.check_out_method,
            check_in_reason: m.check_in_reason,
            check_out_reason: m.check_out_reason,
        }
    }
}

pub async fn sign_up(
    cx: &Ctx,
    activity_id: i64,
    volunteer_id: Option<i64>,
) -> ServiceResult<SignupRecord> {
    let txn = cx.db().begin().await?;
    let a = activities::get_in(&txn, cx, activity_id).await?;
    let v = volunteers::volunteer_for(&txn, cx, volunteer_id).await?;
    cx.access()
        .require_for(Resource::Signup, Action::Create, &a.unit, v.user_id)?;
    if v.status != entity::kinds::VolunteerStatus::Active {
        return Err(Reason::VOLUNTEER_INACTIVE.into());
    }
    let existing = scoped::unscoped::<signup::Entity>(
        "an existing sign-up of a volunteer the caller may sign up",
    )
    .filter(signup::Column::ActivityId.eq(a.id))
    .filter(signup::Column::VolunteerId.eq(v.id))
    .one(&txn)
    .await?;
    // Signing up twice changes nothing.
    if let Some(s) = existing.as_ref().filter(|s| s.state == SignupState::Active) {
        return s.clone().try_into();
    }
    if !a.recruiting(cx.now()) {
        return Err(Reason::NOT_RECRUITING.into());
    }
    take_seat(&txn, a.id).await?;
    let now = cx.now();
    let m = match existing {
        Some(s) => {
            let mut s: signup::ActiveModel = s.into();
            s.state = Set(SignupState::Active);
            s.cancelled_at = Set(None);
            s.created_at = Set(now);
            s.update(&txn).await?
        }
        None => {
            signup::ActiveModel {
                activity_id: Set(a.id),
                volunteer_id: Set(v.id),
                user_id: Set(v.user_id),
                unit_code: Set(a.unit.to_string()),
                state: Set(SignupState::Active),
                created_at: Set(now),
                cancelled_at: Set(None),
                ..Default::default()
            }
            .insert(&txn)
            .await?
        }
    };
    audit::log(
        &txn,
        cx,
        Entry::new("signup.create", &a.unit)
            .target("signup", m.id)
            .summary(json!({ "activity": a.id, "volunteer": v.id })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// Takes a seat by a conditional increment: under concurrency the database
/// serialises the updates of the row and re-checks the condition, so the count never
/// passes the capacity. ACTIVITY_FULL when no seat is left.
async fn take_seat(txn: &impl ConnectionTrait, activity_id: i64) -> ServiceResult<()> {
    let taken = activity::Entity::update_many()
        .col_expr(
            activity::Column::SignedUp,
            Expr::col(activity::Column::SignedUp).add(1),
        )
        .filter(activity::Column::Id.eq(activity_id))
        .filter(activity::Column::State.eq(State::Published.as_str()))
        .filter(Expr::col(activity::Column::SignedUp).lt(Expr::col(activity::Column::Capacity)))
        .exec(txn)
        .await?;
    if taken.rows_affected == 0 {
        return Err(Reason::ACTIVITY_FULL.into());
    }
    Ok(())
}

pub async fn cancel(cx: &Ctx, id: i64) -> ServiceResult<SignupRecord> {
    let txn = cx.db().begin().await?;
    let s = cx.get::<signup::Entity>(&txn, Action::Update, id).await?;
    if s.state != SignupState::Active {
        return Err(Reason::SIGNUP_CANCELLED.into());
    }
    let a = scoped::unscoped_by_id::<activity::Entity>(
        s.activity_id,
        "the activity of a sign-up the caller may cancel",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Activity))?;
    if cx.now() >= a.starts_at {
        return Err(Reason::CANCEL_AFTER_START.into());
    }
    let now = cx.now();
    let done = signup::Entity::update_many()
        .col_expr(signup::Column::State, Expr::value(SignupState::Cancelled))
        .col_expr(signup::Column::CancelledAt, Expr::value(now))
        .filter(signup::Column::Id.eq(id))
        .filter(signup::Column::State.eq(SignupState::Active))
        .exec(&txn)
        .await?;
    if done.rows_affected == 1 {
        activity::Entity::update_many()
            .col_expr(
                activity::Column::SignedUp,
                Expr::col(activity::Column::SignedUp).sub(1),
            )
            .filter(activity::Column::Id.eq(s.activity_id))
            .exec(&txn)
            .await?;
    }
    audit::log(
        &txn,
        cx,
        Entry::new("signup.cancel", &super::stored_unit(&s.unit_code)?)
            .target("signup", id)
            .summary(json!({ "activity": s.activity_id, "volunteer": s.volunteer_id })),
    )
    .await?;
    let m =
        scoped::unscoped_by_id::<signup::Entity>(id, "a sign-up the caller may cancel, reloaded")
            .one(&txn)
            .await?
            .ok_or(ServiceError::NotFound(Thing::Signup))?;
    txn.commit().await?;
    m.try_into()
}

/// Cancels an activity that has not started; its sign-ups are cancelled with it.
/// (Here rather than in `activities`, which comes first: ending an activity ends
/// its sign-ups and sessions.)
pub async fn cancel_activity(cx: &Ctx, id: i64, reason: &str) -> ServiceResult<ActivityRecord> {
    let reason = super::required_text("reason", reason, 500)?;
    let txn = cx.db().begin().await?;
    let a = activities::get_in(&txn, cx, id).await?;
    cx.access()
        .require(Resource::Activity, Action::Update, &a.unit)?;
    if !matches!(
        a.state,
        State::Draft | State::PendingReview | State::Published
    ) {
        return Err(Reason::NOT_CANCELLABLE
            .arg("state", a.state.as_str().to_ascii_uppercase())
            .into());
    }
    activities::transition(&txn, cx, &a, State::Cancelled, None).await?;
    let cancelled = cancel_all(&txn, id, cx.now()).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("activity.cancel", &a.unit)
            .target("activity", id)
            .summary(json!({
                "from": a.state.as_str(),
                "reason": reason,
                "signupsCancelled": cancelled,
            })),
    )
    .await?;
    let after = activities::get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Closes an activity that has started, recording the people it served. Anyone
/// still checked in is checked out at the close (or at the end, if earlier).
pub async fn close_activity(
    cx: &Ctx,
    id: i64,
    people_served: i32,
) -> ServiceResult<ActivityRecord> {
    if !(0..=1_000_000).contains(&people_served) {
        return Err(Reason::OUT_OF_RANGE
            .at("peopleServed")
            .arg("min", 0)
            .arg("max", "1,000,000")
            .into());
    }
    let txn = cx.db().begin().await?;
    let a = activities::get_in(&txn, cx, id).await?;
    cx.access()
        .require(Resource::Activity, Action::Update, &a.unit)?;
    if a.state != State::InProgress {
        return Err(Reason::NOT_IN_PROGRESS
            .arg("state", a.state.as_str().to_ascii_uppercase())
            .into());
    }
    let at = std::cmp::min(cx.now(), a.ends_at);
    let checked_out = check_out_everyone(&txn, cx, &a, at).await?;
    activities::transition(&txn, cx, &a, State::Closed, Some(people_served)).await?;
    daily::bump(
        &txn,
        &a.unit,
        daily::day_of(a.starts_at),
        Delta {
            activities_held: 1,
            people_served: i64::from(people_served),
            ..Default::default()
        },
    )
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("activity.close", &a.unit)
            .target("activity", id)
            .summary(json!({ "peopleServed": people_served, "checkedOut": checked_out })),
    )
    .await?;
    let after = activities::get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// Cancels every active sign-up of a cancelled activity; returns how many.
pub(super) async fn cancel_all(
    conn: &(impl ConnectionTrait + TransactionTrait),
    activity_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<u64> {
    let done = signup::Entity::update_many()
        .col_expr(signup::Column::State, Expr::value(SignupState::Cancelled))
        .col_expr(signup::Column::CancelledAt, Expr::value(now))
        .filter(signup::Column::ActivityId.eq(activity_id))
        .filter(signup::Column::State.eq(SignupState::Active))
        .exec(conn)
        .await?;
    activity::Entity::update_many()
        .col_expr(activity::Column::SignedUp, Expr::value(0))
        .filter(activity::Column::Id.eq(activity_id))
        .exec(conn)
        .await?;
    Ok(done.rows_affected)
}

/// How a check-in or check-out is made.
pub enum Proof {
    /// The activity's current code, submitted by the volunteer.
    Code(String),
    /// An organiser's manual entry: why, and optionally when it happened.
    Manual {
        reason: String,
        at: Option<DateTime<Utc>>,
    },
}

pub struct Attendance {
    pub activity_id: i64,
    pub volunteer_id: Option<i64>,
    pub proof: Proof,
}

/// Whether attendance may be taken at `at`: the activity is published or under way,
/// and `at` lies between an hour before its start and its end.
pub(crate) fn attendance_window(a: &ActivityRecord, at: DateTime<Utc>) -> Result<(), Problem> {
    if !matches!(a.state, State::Published | State::InProgress) {
        return Err(Reason::CHECK_IN_CLOSED.arg("state", a.state.as_str().to_ascii_uppercase()));
    }
    if at < a.starts_at - Duration::minutes(EARLY_CHECK_IN) || at > a.ends_at {
        return Err(Reason::OUTSIDE_CHECK_IN_WINDOW.into());
    }
    Ok(())
}

/// Codes are accepted from an hour before the start until the end.
const EARLY_CHECK_IN: i64 = 60;

struct Checked {
    activity: ActivityRecord,
    signup: signup::Model,
    at: DateTime<Utc>,
    method: CheckMethod,
    reason: Option<String>,
}

/// The shared checks of check-in and check-out: the activity runs, the volunteer is
/// signed up, and the proof holds.
async fn verify(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    input: &Attendance,
) -> ServiceResult<Checked> {
    let a = activities::get_in(conn, cx, input.activity_id).await?;
    let v = volunteers::volunteer_for(conn, cx, input.volunteer_id).await?;
    let now = cx.now();
    let (at, method, reason) = match &input.proof {
        Proof::Code(code) => {
            // Only the volunteer itself submits the code.
            if v.user_id.is_none() || v.user_id != cx.access().actor() {
                return Err(Reason::CODE_BY_VOLUNTEER_ONLY.into());
            }
            if !activities::code_matches(&a, code, now) {
                return Err(Reason::WRONG_CHECK_IN_CODE.at("code").into());
            }
            (now, CheckMethod::Code, None)
        }
        Proof::Manual { reason, at } => {
            let reason = super::required_text("reason", reason, 500)?;
            cx.access()
                .require(Resource::Signup, Action::Update, &a.unit)?;
            // Stored to the microsecond (PostgreSQL's precision), like `now`.
            let at = at.map(|t| t.trunc_subsecs(6)).unwrap_or(now);
            if at > now + Duration::minutes(5) {
                return Err(Reason::IN_FUTURE.at("at").into());
            }
            (at, CheckMethod::Manual, Some(reason))
        }
    };
    attendance_window(&a, at)?;
    let s = scoped::unscoped::<signup::Entity>(
        "the sign-up of a volunteer checking in to an activity the caller reads",
    )
    .filter(signup::Column::ActivityId.eq(a.id))
    .filter(signup::Column::VolunteerId.eq(v.id))
    .filter(signup::Column::State.eq(SignupState::Active))
    .one(conn)
    .await?
    .ok_or_else(|| ServiceError::from(Reason::NOT_SIGNED_UP))?;
    Ok(Checked {
        activity: a,
        signup: s,
        at,
        method,
        reason,
    })
}

async fn open_session(
    conn: &(impl ConnectionTrait + TransactionTrait),
    signup_id: i64,
) -> ServiceResult<Option<attendance::Model>> {
    Ok(
        scoped::unscoped::<attendance::Entity>("open attendance sessions of that sign-up")
            .filter(attendance::Column::SignupId.eq(signup_id))
            .filter(attendance::Column::CheckOutAt.is_null())
            .one(conn)
            .await?,
    )
}

/// Checks a volunteer in. Checking in while already checked in returns the open
/// session unchanged.
pub async fn check_in(cx: &Ctx, input: Attendance) -> ServiceResult<AttendanceRecord> {
    let txn = cx.db().begin().await?;
    let c = verify(&txn, cx, &input).await?;
    if let Some(open) = open_session(&txn, c.signup.id).await? {
        return Ok(open.into());
    }
    let m = attendance::ActiveModel {
        signup_id: Set(c.signup.id),
        activity_id: Set(c.activity.id),
        volunteer_id: Set(c.signup.volunteer_id),
        unit_code: Set(c.activity.unit.to_string()),
        check_in_at: Set(c.at),
        check_in_method: Set(c.method),
        check_in_reason: Set(c.reason.clone()),
        checked_in_by: Set(cx.access().actor()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    if c.at >= c.activity.starts_at {
        activities::mark_started(&txn, cx, c.activity.id).await?;
    }
    audit::log(
        &txn,
        cx,
        Entry::new("attendance.check_in", &c.activity.unit)
            .target("signup", c.signup.id)
            .summary(json!({
                "activity": c.activity.id,
                "volunteer": c.signup.volunteer_id,
                "method": c.method,
                "reason": c.reason,
            })),
    )
    .await?;
    txn.commit().await?;
    Ok(m.into())
}

/// Checks a volunteer out and records the session's hours (rounded by
/// [`records::credited_half_hours`]); a session under 15 minutes credits nothing.
/// Checking out when already checked out returns the last session unchanged.
pub async fn check_out(
    cx: &Ctx,
    input: Attendance,
) -> ServiceResult<(AttendanceRecord, Option<ServiceRecord>)> {
    let txn = cx.db().begin().await?;
    let c = verify(&txn, cx, &input).await?;
    let Some(open) = open_session(&txn, c.signup.id).await? else {
        let last = scoped::unscoped::<attendance::Entity>(
            "the open session of a sign-up the caller checks out",
        )
        .filter(attendance::Column::SignupId.eq(c.signup.id))
        .order_by_desc(attendance::Column::Id)
        .one(&txn)
        .await?
        .ok_or_else(|| ServiceError::from(Reason::NOT_CHECKED_IN))?;
        let record = records::for_attendance(&txn, last.id).await?;
        return Ok((last.into(), record));
    };
    if c.at < open.check_in_at {
        return Err(Reason::CHECK_OUT_BEFORE_CHECK_IN.at("at").into());
    }
    let (session, record) = finish(
        &txn,
        cx,
        &c.activity,
        open,
        c.at,
        c.method,
        c.reason.clone(),
    )
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("attendance.check_out", &c.activity.unit)
            .target("signup", c.signup.id)
            .summary(json!({
                "activity": c.activity.id,
                "volunteer": c.signup.volunteer_id,
                "method": c.method,
                "reason": c.reason,
                "halfHours": record.as_ref().map(|r| r.half_hours),
            })),
    )
    .await?;
    txn.commit().await?;
    Ok((session, record))
}

async fn finish(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    a: &ActivityRecord,
    open: attendance::Model,
    at: DateTime<Utc>,
    method: CheckMethod,
    reason: Option<String>,
) -> ServiceResult<(AttendanceRecord, Option<ServiceRecord>)> {
    let mut s: attendance::ActiveModel = open.clone().into();
    s.check_out_at = Set(Some(at));
    s.check_out_method = Set(Some(method));
    s.check_out_reason = Set(reason);
    s.checked_out_by = Set(cx.access().actor());
    let s = s.update(conn).await?;
    let minutes = (at - open.check_in_at).num_minutes();
    let record = records::record_session(conn, cx, a, &s, minutes).await?;
    Ok((s.into(), record))
}

/// Checks out everyone still checked in (when the activity closes).
pub(super) async fn check_out_everyone(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    a: &ActivityRecord,
    at: DateTime<Utc>,
) -> ServiceResult<usize> {
    let open = scoped::unscoped::<attendance::Entity>(
        "sessions left open when an activity the caller closes ends",
    )
    .filter(attendance::Column::ActivityId.eq(a.id))
    .filter(attendance::Column::CheckOutAt.is_null())
    .all(conn)
    .await?;
    let n = open.len();
    for session in open {
        let at = std::cmp::max(at, session.check_in_at);
        finish(conn, cx, a, session, at, CheckMethod::Closed, None).await?;
    }
    Ok(n)
}

#[derive(Debug, Clone, Default)]
pub struct SignupFilter {
    pub under: Option<UnitCode>,
    pub activity_id: Option<i64>,
    pub volunteer_id: Option<i64>,
    pub active: Option<bool>,
    /// Only sign-ups for activities starting after this time (a dashboard's upcoming).
    pub starts_after: Option<DateTime<Utc>>,
}

pub async fn list(
    cx: &Ctx,
    filter: &SignupFilter,
    order: Option<(super::CreatedOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<SignupRecord>, u64)> {
    let Some(mut q) = cx.find::<signup::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(signup::Column::UnitCode, under));
    }
    if let Some(a) = filter.activity_id {
        q = q.filter(signup::Column::ActivityId.eq(a));
    }
    if let Some(v) = filter.volunteer_id {
        q = q.filter(signup::Column::VolunteerId.eq(v));
    }
    if let Some(active) = filter.active {
        q = q.filter(signup::Column::State.eq(if active {
            SignupState::Active
        } else {
            SignupState::Cancelled
        }));
    }
    if let Some(t) = filter.starts_after {
        use sea_orm::sea_query::Query;
        q = q.filter(
            signup::Column::ActivityId.in_subquery(
                Query::select()
                    .column(entity::activity::Column::Id)
                    .from(entity::activity::Entity)
                    .and_where(entity::activity::Column::StartsAt.gt(t))
                    .to_owned(),
            ),
        );
    }
    super::page_by(
        cx,
        q,
        &super::by_created(order, signup::Column::Id, OrderDirection::Asc),
        page,
        want_total,
    )
    .await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<SignupRecord> {
    cx.get::<signup::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

/// The check-in sessions of a sign-up the caller has already been allowed to read.
pub async fn sessions_of(
    cx: &Ctx,
    signups: &[Seen<SignupRecord>],
) -> ServiceResult<std::collections::HashMap<i64, Vec<AttendanceRecord>>> {
    let mut out: std::collections::HashMap<i64, Vec<AttendanceRecord>> = Default::default();
    if signups.is_empty() {
        return Ok(out);
    }
    let rows =
        scoped::unscoped::<attendance::Entity>("sessions of sign-ups the caller already read")
            .filter(attendance::Column::SignupId.is_in(Seen::ids(signups)))
            .order_by_asc(attendance::Column::Id)
            .all(cx.db())
            .await?;
    for row in rows {
        out.entry(row.signup_id)
            .or_default()
            .push(AttendanceRecord::from(row));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::activities::sample;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// The attendance window as a table, decided at chosen instants in-process.
    #[test]
    fn attendance_opens_an_hour_early_and_closes_at_the_end() {
        let a = sample(
            State::Published,
            "2026-12-05T01:00:00Z",
            "2026-12-05T04:00:00Z",
            None,
            None,
        );
        for (when, want) in [
            (
                "2026-12-04T23:59:59Z",
                Some(Reason::OUTSIDE_CHECK_IN_WINDOW),
            ),
            ("2026-12-05T00:00:00Z", None),
            ("2026-12-05T02:30:00Z", None),
            ("2026-12-05T04:00:00Z", None),
            (
                "2026-12-05T04:00:01Z",
                Some(Reason::OUTSIDE_CHECK_IN_WINDOW),
            ),
        ] {
            assert_eq!(
                attendance_window(&a, at(when)).err().map(|p| p.reason),
                want,
                "{when}"
            );
        }
        for state in [
            State::Draft,
            State::PendingReview,
            State::Closed,
            State::Cancelled,
        ] {
            let a = sample(
                state,
                "2026-12-05T01:00:00Z",
                "2026-12-05T04:00:00Z",
                None,
                None,
            );
            let got = attendance_window(&a, at("2026-12-05T02:00:00Z"))
                .err()
                .map(|p| p.reason);
            assert_eq!(got, Some(Reason::CHECK_IN_CLOSED), "{state:?}");
        }
    }
}
