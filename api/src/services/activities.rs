//! Activities: organised at a unit for a project or team, with a recruiting window
//! and a capacity. States: draft → (pending review →) published → in progress →
//! closed, or cancelled before the start; every move records who made it.
//!
//! "In progress" is when a published activity's start has passed: reads report it
//! from the clock, and the first check-in (or the close) stores it.

use chrono::{DateTime, Utc};
use entity::activity;
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait,
    QueryFilter, TransactionTrait,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::error::{Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::changes::Changes;
use crate::services::{projects, ranges, teams, units, volunteers, Ctx};

pub use entity::kinds::ActivityState as State;

#[derive(Debug, Clone)]
pub struct ActivityRecord {
    pub id: i64,
    pub title: String,
    pub field: String,
    pub unit: UnitCode,
    pub project_id: Option<i64>,
    pub team_id: Option<i64>,
    pub place: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub recruit_from: Option<DateTime<Utc>>,
    pub recruit_until: Option<DateTime<Utc>>,
    pub capacity: i32,
    pub signed_up: i32,
    /// As of the request's clock ([`ActivityRecord::at_time`]): a published activity
    /// whose start has passed is in progress.
    pub state: State,
    pub people_served: Option<i32>,
    pub created_by: Option<i64>,
    pub state_changed_by: Option<i64>,
    pub state_changed_at: DateTime<Utc>,
    /// The state as stored, which conditional moves compare against.
    stored: State,
    checkin_secret: String,
}

impl TryFrom<activity::Model> for ActivityRecord {
    type Error = ServiceError;
    fn try_from(m: activity::Model) -> ServiceResult<Self> {
        // As stored; `at_time` turns a started publication into one in progress.
        let stored = m.state;
        let state = stored;
        Ok(ActivityRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            title: m.title,
            field: m.field_code,
            project_id: m.project_id,
            team_id: m.team_id,
            place: m.place,
            description: m.description,
            starts_at: m.starts_at,
            ends_at: m.ends_at,
            recruit_from: m.recruit_from,
            recruit_until: m.recruit_until,
            capacity: m.capacity,
            signed_up: m.signed_up,
            state,
            people_served: m.people_served,
            created_by: m.created_by,
            state_changed_by: m.state_changed_by,
            state_changed_at: m.state_changed_at,
            stored,
            checkin_secret: m.checkin_secret,
        })
    }
}

impl ActivityRecord {
    /// The record as of `now`: a published activity whose start has passed is in
    /// progress. Every read hands out records through this, on the request's clock.
    pub(crate) fn at_time(mut self, now: DateTime<Utc>) -> ActivityRecord {
        if self.stored == State::Published && now >= self.starts_at {
            self.state = State::InProgress;
        }
        self
    }

    /// Sign-ups are open: published, not started, inside the recruiting window.
    pub fn recruiting(&self, now: DateTime<Utc>) -> bool {
        self.state == State::Published
            && self.recruit_from.is_none_or(|f| now >= f)
            && now
                < self
                    .recruit_until
                    .unwrap_or(self.starts_at)
                    .min(self.starts_at)
    }
}

/// How long one check-in code is shown; the previous code is accepted too, so a
/// code read just before it rotates still works.
pub const CODE_PERIOD_SECS: i64 = 60;

fn code_for(secret: &str, window: i64) -> String {
    let digest = Sha256::digest(format!("{secret}:{window}").as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]);
    format!("{:06}", n % 1_000_000)
}

/// The current check-in code and when it stops being current.
pub struct CheckInCode {
    pub code: String,
    pub valid_until: DateTime<Utc>,
}

pub fn current_code(a: &ActivityRecord, now: DateTime<Utc>) -> CheckInCode {
    let window = now.timestamp().div_euclid(CODE_PERIOD_SECS);
    CheckInCode {
        code: code_for(&a.checkin_secret, window),
        valid_until: DateTime::from_timestamp((window + 1) * CODE_PERIOD_SECS, 0).unwrap_or(now),
    }
}

pub(super) fn code_matches(a: &ActivityRecord, code: &str, now: DateTime<Utc>) -> bool {
    let window = now.timestamp().div_euclid(CODE_PERIOD_SECS);
    [window, window - 1]
        .iter()
        .any(|w| code_for(&a.checkin_secret, *w) == code.trim())
}

/// The check-in code of an activity the caller has read, for its organisers.
pub fn check_in_code(cx: &Ctx, a: &ActivityRecord) -> ServiceResult<CheckInCode> {
    cx.access()
        .require(Resource::Signup, Action::Update, &a.unit)?;
    if !matches!(a.state, State::Published | State::InProgress) {
        return Err(Reason::CHECK_IN_CLOSED
            .arg("state", a.state.as_str().to_ascii_uppercase())
            .into());
    }
    Ok(current_code(a, cx.now()))
}

pub struct NewActivity {
    pub title: String,
    pub field: String,
    pub unit_code: String,
    pub project_id: Option<i64>,
    pub team_id: Option<i64>,
    pub place: String,
    pub description: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub recruit_from: Option<DateTime<Utc>>,
    pub recruit_until: Option<DateTime<Utc>>,
}

pub const MAX_CAPACITY: i32 = 10_000;

/// The times and size of an activity, checked together wherever they are set.
struct Schedule {
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    recruit_from: Option<DateTime<Utc>>,
    recruit_until: Option<DateTime<Utc>>,
    capacity: i32,
}

fn schedule_of(a: &ActivityRecord) -> Schedule {
    Schedule {
        starts_at: a.starts_at,
        ends_at: a.ends_at,
        recruit_from: a.recruit_from,
        recruit_until: a.recruit_until,
        capacity: a.capacity,
    }
}

fn check_schedule(s: &Schedule) -> ServiceResult<()> {
    if s.ends_at <= s.starts_at {
        return Err(Reason::ENDS_BEFORE_START
            .at("endsAt")
            .arg("start", "startsAt")
            .into());
    }
    if s.ends_at - s.starts_at > chrono::Duration::days(31) {
        return Err(Reason::ACTIVITY_TOO_LONG.at("endsAt").into());
    }
    if !(1..=MAX_CAPACITY).contains(&s.capacity) {
        return Err(Reason::OUT_OF_RANGE
            .at("capacity")
            .arg("min", 1)
            .arg("max", MAX_CAPACITY)
            .into());
    }
    if let (Some(f), Some(u)) = (s.recruit_from, s.recruit_until) {
        if u <= f {
            return Err(Reason::ENDS_BEFORE_START
                .at("recruitUntil")
                .arg("start", "recruitFrom")
                .into());
        }
    }
    if s.recruit_until.is_some_and(|u| u > s.starts_at)
        || s.recruit_from.is_some_and(|f| f >= s.starts_at)
    {
        return Err(Reason::RECRUITING_AFTER_START.at("recruitUntil").into());
    }
    Ok(())
}

/// Descriptions are free text up to 5,000 characters; empty is allowed.
fn description_text(d: &str) -> ServiceResult<String> {
    let d = d.trim();
    if d.chars().count() > 5_000 {
        return Err(Reason::TEXT_TOO_LONG
            .at("description")
            .arg("max", 5000)
            .into());
    }
    Ok(d.to_owned())
}

pub async fn create(cx: &Ctx, input: NewActivity) -> ServiceResult<ActivityRecord> {
    let title = super::required_text("title", &input.title, 200)?;
    let place = super::required_text("place", &input.place, 200)?;
    let description = description_text(&input.description)?;
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    check_schedule(&Schedule {
        starts_at: input.starts_at,
        ends_at: input.ends_at,
        recruit_from: input.recruit_from,
        recruit_until: input.recruit_until,
        capacity: input.capacity,
    })?;
    if input.project_id.is_none() && input.team_id.is_none() {
        return Err(Reason::ACTIVITY_NEEDS_OWNER.into());
    }
    let txn = cx.db().begin().await?;
    units::require_exists(&txn, &unit).await?;
    cx.access()
        .require(Resource::Activity, Action::Create, &unit)?;
    volunteers::check_fields(&txn, std::slice::from_ref(&input.field)).await?;
    if let Some(p) = input.project_id {
        projects::get_in(&txn, cx, p).await?;
    }
    if let Some(t) = input.team_id {
        teams::get_in(&txn, cx, Action::Read, t).await?;
    }
    let now = cx.now();
    let secret: [u8; 16] = rand::random();
    let m = activity::ActiveModel {
        title: Set(title.clone()),
        field_code: Set(input.field),
        unit_code: Set(unit.to_string()),
        project_id: Set(input.project_id),
        team_id: Set(input.team_id),
        place: Set(place),
        description: Set(description),
        starts_at: Set(input.starts_at),
        ends_at: Set(input.ends_at),
        recruit_from: Set(input.recruit_from),
        recruit_until: Set(input.recruit_until),
        capacity: Set(input.capacity),
        signed_up: Set(0),
        state: Set(State::Draft),
        people_served: Set(None),
        checkin_secret: Set(hex::encode(secret)),
        created_by: Set(cx.access().actor()),
        state_changed_by: Set(cx.access().actor()),
        state_changed_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("activity.create", &unit)
            .target("activity", m.id)
            .summary(json!({ "title": title, "capacity": input.capacity })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// May the caller see this activity before it is published?
fn organises(cx: &Ctx, unit: &UnitCode) -> ServiceResult<bool> {
    Ok(cx
        .access()
        .check(Resource::Activity, Action::Update, unit)?
        .allowed()
        || cx
            .access()
            .check(Resource::Activity, Action::Approve, unit)?
            .allowed())
}

/// The activity if the caller may read it (drafts only for organisers and reviewers).
pub(super) async fn get_in(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<ActivityRecord> {
    let a: ActivityRecord = cx
        .get::<activity::Entity>(conn, Action::Read, id)
        .await?
        .try_into()?;
    let a = a.at_time(cx.now());
    if a.state.unpublished() && !organises(cx, &a.unit)? {
        return Err(ServiceError::NotFound(Thing::Activity));
    }
    Ok(a)
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<ActivityRecord> {
    get_in(cx.db(), cx, id).await
}

/// Many activities by id in one read, as [`get`] would return each (drafts only
/// for their organisers and reviewers).
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, ActivityRecord>> {
    let mut found = cx
        .get_many::<activity::Entity, _>(Action::Read, ids, |a: &ActivityRecord| a.id)
        .await?;
    let now = cx.now();
    for a in found.values_mut() {
        *a = a.clone().at_time(now);
    }
    let mut hidden = Vec::new();
    for a in found.values() {
        if a.state.unpublished() && !organises(cx, &a.unit)? {
            hidden.push(a.id);
        }
    }
    for id in hidden {
        found.remove(&id);
    }
    Ok(found)
}

#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    pub under: Option<UnitCode>,
    pub order: Option<(ActivityOrderField, OrderDirection)>,
    pub state: Option<State>,
    /// Activities starting at or after `from` and before `to`.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub project_id: Option<i64>,
    pub team_id: Option<i64>,
}

/// What activities can be sorted by.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActivityOrderField {
    /// By the running unit's division code (the default, newest first within a unit).
    Unit,
    /// By start time.
    StartsAt,
    /// By when the activity was created.
    CreatedAt,
}

fn sort(order: Option<(ActivityOrderField, OrderDirection)>) -> super::Sort<activity::Entity> {
    use activity::Column as C;
    match order {
        None => super::Sort::new([C::UnitCode, C::Id], OrderDirection::Desc),
        Some((ActivityOrderField::Unit, d)) => super::Sort::new([C::UnitCode, C::Id], d),
        Some((ActivityOrderField::StartsAt, d)) => super::Sort::new([C::StartsAt, C::Id], d),
        // Ids are handed out in creation order.
        Some((ActivityOrderField::CreatedAt, d)) => super::Sort::new([C::Id], d),
    }
}

/// By unit, newest first within each unit (the index's order), unless `order` says.
pub async fn list(
    cx: &Ctx,
    filter: &ActivityFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<ActivityRecord>, u64)> {
    let Some(mut q) = cx.find::<activity::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    // Unpublished activities only where the caller organises or reviews.
    let mut visible = Condition::any().add(
        activity::Column::State.is_not_in([State::Draft.as_str(), State::PendingReview.as_str()]),
    );
    for action in [Action::Update, Action::Approve] {
        if let Some(c) = cx.condition::<activity::Entity>(action)? {
            visible = visible.add(c);
        }
    }
    q = q.filter(visible);
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(activity::Column::UnitCode, under));
    }
    let now = cx.now();
    if let Some(state) = filter.state {
        q = q.filter(match state {
            State::Published => Condition::all()
                .add(activity::Column::State.eq(State::Published))
                .add(activity::Column::StartsAt.gt(now)),
            State::InProgress => Condition::any()
                .add(activity::Column::State.eq(State::InProgress))
                .add(
                    Condition::all()
                        .add(activity::Column::State.eq(State::Published))
                        .add(activity::Column::StartsAt.lte(now)),
                ),
            other => Condition::all().add(activity::Column::State.eq(other)),
        });
    }
    if let Some(from) = filter.from {
        q = q.filter(activity::Column::StartsAt.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(activity::Column::StartsAt.lt(to));
    }
    if let Some(p) = filter.project_id {
        q = q.filter(activity::Column::ProjectId.eq(p));
    }
    if let Some(t) = filter.team_id {
        q = q.filter(activity::Column::TeamId.eq(t));
    }
    let (page, total) = super::page_by(cx, q, &sort(filter.order), page, want_total).await?;
    let page = page.try_map(|a: ActivityRecord| Ok::<_, ServiceError>(a.at_time(now)))?;
    Ok((page, total))
}

/// Moves `a` from `from` (its stored state) to `to`, unless someone else moved it
/// first: the conditional update makes concurrent moves safe.
pub(super) async fn transition(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    a: &ActivityRecord,
    to: State,
    people_served: Option<i32>,
) -> ServiceResult<()> {
    let mut update = activity::Entity::update_many()
        .col_expr(activity::Column::State, Expr::value(to.as_str()))
        .col_expr(
            activity::Column::StateChangedBy,
            Expr::value(cx.access().actor()),
        )
        .col_expr(activity::Column::StateChangedAt, Expr::value(cx.now()))
        .filter(activity::Column::Id.eq(a.id))
        .filter(activity::Column::State.eq(a.stored.as_str()));
    if let Some(n) = people_served {
        update = update.col_expr(activity::Column::PeopleServed, Expr::value(n));
    }
    let done = update.exec(conn).await?;
    if done.rows_affected == 0 {
        return Err(Reason::EDIT_CONFLICT.into());
    }
    Ok(())
}

/// Whether the caller reviews `a`: `activity.approve` held at the office above the
/// activity's unit (at the unit itself for the city, which has none above).
fn reviewer<'a>(cx: &'a Ctx, a: &ActivityRecord) -> ServiceResult<policies::Decision<'a>> {
    match a.unit.parent() {
        Some(parent) => cx.access().check_from_level(
            Resource::Activity,
            Action::Approve,
            &a.unit,
            parent.level(),
        ),
        None => cx
            .access()
            .check(Resource::Activity, Action::Approve, &a.unit),
    }
}

/// What `updateActivity` may change; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct ActivityChanges {
    pub title: Option<String>,
    pub field: Option<String>,
    pub place: Option<String>,
    pub description: Option<String>,
    pub capacity: Option<i32>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// `Some(None)` removes the bound.
    pub recruit_from: Option<Option<DateTime<Utc>>>,
    pub recruit_until: Option<Option<DateTime<Utc>>>,
    /// Why a published activity's times or place change: required then, and audited,
    /// because volunteers who signed up planned around them.
    pub reason: Option<String>,
}

/// Changes an activity. Drafts and activities waiting for review change freely;
/// once published, the title, field, description and capacity (never below the
/// sign-ups) change freely, and the times, recruiting window and place only with a
/// reason and before the start. Closed and cancelled activities do not change.
pub async fn update(cx: &Ctx, id: i64, ch: ActivityChanges) -> ServiceResult<ActivityRecord> {
    let txn = cx.db().begin().await?;
    let a = get_in(&txn, cx, id).await?;
    cx.access()
        .require(Resource::Activity, Action::Update, &a.unit)?;
    if matches!(a.state, State::Closed | State::Cancelled) {
        return Err(Reason::ACTIVITY_LOCKED
            .arg("state", a.state.as_str().to_ascii_uppercase())
            .into());
    }
    let mut changes = Changes::<activity::Entity>::new();
    let capacity = plan_details(&txn, &a, &ch, &mut changes).await?;
    let planned = plan_changes(&a, &ch, &mut changes, cx.now())?;
    check_schedule(&Schedule {
        capacity,
        ..planned
    })?;
    if changes.is_empty() {
        return Ok(a);
    }
    let reason = ch
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    // The state the checks were made in; a sign-up that lands between the read and
    // this write keeps its seat.
    let guard = Condition::all()
        .add(activity::Column::State.eq(a.stored.as_str()))
        .add(activity::Column::SignedUp.lte(capacity));
    changes
        .apply(
            &txn,
            cx,
            activity::Column::Id,
            id,
            guard,
            "activity.update",
            &a.unit,
            json!({ "state": a.state.as_str(), "reason": reason }),
        )
        .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// The changes that never harm people who signed up (title, field, description,
/// capacity not below the sign-ups), added to `changes`; returns the new capacity.
async fn plan_details(
    txn: &impl ConnectionTrait,
    a: &ActivityRecord,
    ch: &ActivityChanges,
    changes: &mut Changes<activity::Entity>,
) -> ServiceResult<i32> {
    let title = super::optional_text("title", ch.title.as_deref(), 200)?;
    changes.set("title", activity::Column::Title, &a.title, title);
    if let Some(f) = ch.field.as_ref().filter(|f| **f != a.field) {
        volunteers::check_fields(txn, std::slice::from_ref(f)).await?;
    }
    changes.set(
        "field",
        activity::Column::FieldCode,
        &a.field,
        ch.field.clone(),
    );
    let description = ch
        .description
        .as_deref()
        .map(description_text)
        .transpose()?;
    changes.set_text(
        "description",
        activity::Column::Description,
        &a.description,
        description,
    );
    let capacity = ch.capacity.unwrap_or(a.capacity);
    if capacity != a.capacity {
        check_schedule(&Schedule {
            capacity,
            ..schedule_of(a)
        })?;
        if capacity < a.signed_up {
            return Err(Reason::CAPACITY_BELOW_SIGNUPS
                .at("capacity")
                .arg("count", a.signed_up)
                .into());
        }
    }
    changes.set(
        "capacity",
        activity::Column::Capacity,
        &a.capacity,
        Some(capacity),
    );
    Ok(capacity)
}

/// The place, times and recruiting window after `ch`, added to `changes`; for a
/// published activity only with a reason and before its start.
fn plan_changes(
    a: &ActivityRecord,
    ch: &ActivityChanges,
    changes: &mut Changes<activity::Entity>,
    now: DateTime<Utc>,
) -> ServiceResult<Schedule> {
    let planned = Schedule {
        starts_at: ch.starts_at.unwrap_or(a.starts_at),
        ends_at: ch.ends_at.unwrap_or(a.ends_at),
        recruit_from: ch.recruit_from.unwrap_or(a.recruit_from),
        recruit_until: ch.recruit_until.unwrap_or(a.recruit_until),
        capacity: a.capacity,
    };
    let before = changes.names().len();
    let place = super::optional_text("place", ch.place.as_deref(), 200)?;
    changes.set("place", activity::Column::Place, &a.place, place);
    use activity::Column as C;
    changes.set(
        "startsAt",
        C::StartsAt,
        &a.starts_at,
        Some(planned.starts_at),
    );
    changes.set("endsAt", C::EndsAt, &a.ends_at, Some(planned.ends_at));
    changes.set(
        "recruitFrom",
        C::RecruitFrom,
        &a.recruit_from,
        Some(planned.recruit_from),
    );
    changes.set(
        "recruitUntil",
        C::RecruitUntil,
        &a.recruit_until,
        Some(planned.recruit_until),
    );
    let moved = changes.names()[before..].join(", ");
    if !moved.is_empty() && !a.state.unpublished() {
        if a.state == State::InProgress {
            return Err(Reason::ACTIVITY_STARTED.into());
        }
        if ch.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
            return Err(Reason::REASON_REQUIRED.at("reason").into());
        }
        if planned.starts_at <= now {
            return Err(Reason::MUST_BE_FUTURE.at("startsAt").into());
        }
    }
    Ok(planned)
}

/// A reviewer sends an activity waiting for review back to its author as a draft,
/// saying why; the author edits it and submits it again.
pub async fn return_to_author(cx: &Ctx, id: i64, reason: &str) -> ServiceResult<ActivityRecord> {
    let reason = super::required_text("reason", reason, 500)?;
    let txn = cx.db().begin().await?;
    let a = get_in(&txn, cx, id).await?;
    let decision = reviewer(cx, &a)?;
    cx.access().enforce(&decision)?;
    if a.state != State::PendingReview {
        return Err(Reason::NOT_AWAITING_REVIEW
            .arg("state", a.state.as_str().to_ascii_uppercase())
            .into());
    }
    transition(&txn, cx, &a, State::Draft, None).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("activity.return", &a.unit)
            .target("activity", id)
            .summary(json!({ "reason": reason, "decision": decision.reason() })),
    )
    .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// What `publishActivity` did.
pub enum Published {
    Published(ActivityRecord),
    /// Waiting for a reviewer above the activity's unit.
    SubmittedForReview(ActivityRecord),
}

/// Publishes a draft. Where the policy asks for review (by the activity's level), an
/// author's call submits it and a holder of `activity.approve` above the unit
/// publishes it; a reviewer's own call publishes at once.
pub async fn publish(cx: &Ctx, id: i64) -> ServiceResult<Published> {
    let txn = cx.db().begin().await?;
    let a = get_in(&txn, cx, id).await?;
    if !a.state.unpublished() {
        return Err(Reason::ALREADY_IN_STATE
            .arg("state", a.state.as_str().to_ascii_uppercase())
            .into());
    }
    if a.starts_at <= cx.now() {
        return Err(Reason::START_PASSED.into());
    }
    let reviewer = reviewer(cx, &a)?;
    let needs_review = a.unit.parent().is_some()
        && cx
            .access()
            .policy()
            .activity_rules()
            .review_levels
            .contains(&a.unit.level());
    let (to, action, how) = if reviewer.allowed() {
        (State::Published, "activity.publish", reviewer.reason())
    } else {
        cx.access()
            .require(Resource::Activity, Action::Update, &a.unit)?;
        if !needs_review {
            (
                State::Published,
                "activity.publish",
                "no review needed".into(),
            )
        } else if a.state == State::PendingReview {
            return Err(Reason::AWAITING_REVIEW.into());
        } else {
            (State::PendingReview, "activity.submit", reviewer.reason())
        }
    };
    transition(&txn, cx, &a, to, None).await?;
    audit::log(
        &txn,
        cx,
        Entry::new(action, &a.unit)
            .target("activity", id)
            .summary(json!({ "from": a.state.as_str(), "to": to.as_str(), "decision": how })),
    )
    .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(match to {
        State::PendingReview => Published::SubmittedForReview(after),
        _ => Published::Published(after),
    })
}

/// Stores "in progress" once the activity has started (by the first check-in).
pub(super) async fn mark_started(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<()> {
    activity::Entity::update_many()
        .col_expr(
            activity::Column::State,
            Expr::value(State::InProgress.as_str()),
        )
        .col_expr(
            activity::Column::StateChangedBy,
            Expr::value(cx.access().actor()),
        )
        .col_expr(activity::Column::StateChangedAt, Expr::value(cx.now()))
        .filter(activity::Column::Id.eq(id))
        .filter(activity::Column::State.eq(State::Published.as_str()))
        .exec(conn)
        .await?;
    Ok(())
}

/// An activity record built in memory, for rule tests that decide at chosen
/// instants without a database.
#[cfg(test)]
pub(crate) fn sample(
    state: State,
    starts_at: &str,
    ends_at: &str,
    recruit_from: Option<&str>,
    recruit_until: Option<&str>,
) -> ActivityRecord {
    let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    ActivityRecord {
        id: 1,
        title: "敬老院探访".into(),
        field: "elderly".into(),
        unit: UnitCode::parse("440104003108").unwrap(),
        project_id: None,
        team_id: Some(1),
        place: "盐运西社区".into(),
        description: String::new(),
        starts_at: t(starts_at),
        ends_at: t(ends_at),
        recruit_from: recruit_from.map(t),
        recruit_until: recruit_until.map(t),
        capacity: 10,
        signed_up: 0,
        state,
        people_served: None,
        created_by: None,
        state_changed_by: None,
        state_changed_at: t("2026-11-01T00:00:00Z"),
        stored: state,
        checkin_secret: "secret".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A published activity is in progress from its start, on the request's clock;
    /// other states stay as stored.
    #[test]
    fn a_published_activity_is_in_progress_from_its_start() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let at = |state, now| {
            sample(
                state,
                "2026-12-10T01:00:00Z",
                "2026-12-10T04:00:00Z",
                None,
                None,
            )
            .at_time(t(now))
            .state
        };
        for (state, now, seen) in [
            (State::Published, "2026-12-10T00:59:59Z", State::Published),
            (State::Published, "2026-12-10T01:00:00Z", State::InProgress),
            (State::Published, "2026-12-10T05:00:00Z", State::InProgress),
            (State::Draft, "2026-12-10T02:00:00Z", State::Draft),
            (State::Closed, "2026-12-10T02:00:00Z", State::Closed),
        ] {
            assert_eq!(at(state, now), seen, "{state:?} at {now}");
        }
    }

    /// The recruiting window as a table: open from `recruitFrom` (or publication)
    /// until `recruitUntil` or the start, whichever comes first; only when published.
    #[test]
    fn recruiting_follows_its_window() {
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let a = sample(
            State::Published,
            "2026-12-10T01:00:00Z",
            "2026-12-10T04:00:00Z",
            Some("2026-12-01T00:00:00Z"),
            Some("2026-12-08T00:00:00Z"),
        );
        for (now, open) in [
            ("2026-11-30T23:59:59Z", false),
            ("2026-12-01T00:00:00Z", true),
            ("2026-12-07T23:59:59Z", true),
            ("2026-12-08T00:00:00Z", false),
        ] {
            assert_eq!(a.recruiting(t(now)), open, "{now}");
        }
        // No window given: from publication until the start.
        let b = sample(
            State::Published,
            "2026-12-10T01:00:00Z",
            "2026-12-10T04:00:00Z",
            None,
            None,
        );
        assert!(b.recruiting(t("2026-12-10T00:59:59Z")));
        assert!(!b.recruiting(t("2026-12-10T01:00:00Z")));
        // A window running past the start still closes at the start.
        let c = sample(
            State::Published,
            "2026-12-10T01:00:00Z",
            "2026-12-10T04:00:00Z",
            None,
            Some("2026-12-11T00:00:00Z"),
        );
        assert!(!c.recruiting(t("2026-12-10T02:00:00Z")));
        for state in [
            State::Draft,
            State::PendingReview,
            State::Cancelled,
            State::Closed,
        ] {
            let d = sample(
                state,
                "2026-12-10T01:00:00Z",
                "2026-12-10T04:00:00Z",
                None,
                None,
            );
            assert!(!d.recruiting(t("2026-12-05T00:00:00Z")), "{state:?}");
        }
    }
}
