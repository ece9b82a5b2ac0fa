//! Applications to join a team: a volunteer asks, the team's leader or an admin
//! with `team.update` at the team's unit decides; approval makes it a member.

use chrono::{DateTime, Utc};
use entity::kinds::ApplicationState;
use entity::{team, team_application};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;

use crate::error::{Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::{ranges, scoped, teams, volunteers, Ctx};

#[derive(Debug, Clone)]
pub struct ApplicationRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub team_id: i64,
    pub volunteer_id: i64,
    pub message: Option<String>,
    pub state: ApplicationState,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl TryFrom<team_application::Model> for ApplicationRecord {
    type Error = ServiceError;
    fn try_from(m: team_application::Model) -> ServiceResult<Self> {
        Ok(ApplicationRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            team_id: m.team_id,
            volunteer_id: m.volunteer_id,
            message: m.message,
            state: m.state,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            note: m.note,
            created_at: m.created_at,
        })
    }
}

/// The signed-in volunteer asks to join a team. Any team may be asked: the answer
/// reveals only that the team exists.
pub async fn apply(
    cx: &Ctx,
    team_id: i64,
    message: Option<&str>,
) -> ServiceResult<ApplicationRecord> {
    let message = super::optional_text("message", message, 500)?;
    let txn = cx.db().begin().await?;
    let v = volunteers::own_volunteer(&txn, cx).await?;
    let t = scoped::unscoped_by_id::<team::Entity>(
        team_id,
        "any volunteer may ask to join a team; only its id is used",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Team))?;
    let pending = scoped::unscoped::<team_application::Entity>(
        "the applicant's own waiting application to this team",
    )
    .filter(team_application::Column::TeamId.eq(t.id))
    .filter(team_application::Column::VolunteerId.eq(v.id))
    .filter(team_application::Column::State.eq(ApplicationState::Pending))
    .one(&txn)
    .await?;
    if pending.is_some() || teams::is_member(&txn, t.id, v.id).await? {
        return Err(Reason::ALREADY_APPLIED.at("teamId").into());
    }
    let m = team_application::ActiveModel {
        unit_code: Set(t.unit_code.clone()),
        team_id: Set(t.id),
        volunteer_id: Set(v.id),
        user_id: Set(v.user_id),
        message: Set(message),
        state: Set(ApplicationState::Pending),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("team.apply", &super::stored_unit(&t.unit_code)?)
            .target("team_application", m.id)
            .summary(json!({ "team": t.id, "volunteer": v.id })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// Approves or rejects a waiting application: the team's leader, or a holder of
/// `team.update` at the team's unit.
pub async fn decide(
    cx: &Ctx,
    id: i64,
    approve: bool,
    note: Option<&str>,
) -> ServiceResult<ApplicationRecord> {
    let note = super::optional_text("note", note, 500)?;
    let txn = cx.db().begin().await?;
    let a = scoped::unscoped_by_id::<team_application::Entity>(
        id,
        "an application is decided by its team's leader or an admin; checked below, not found otherwise",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::TeamApplication))?;
    let t = scoped::unscoped_by_id::<team::Entity>(a.team_id, "the application's team")
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::Team))?;
    let unit = super::stored_unit(&t.unit_code)?;
    let admin = cx
        .access()
        .check(Resource::Team, Action::Update, &unit)?
        .allowed();
    let leader = match (admin, t.leader_id) {
        (false, Some(l)) => volunteers::own_volunteer(&txn, cx)
            .await
            .is_ok_and(|v| v.id == l),
        _ => false,
    };
    if !admin && !leader {
        // Someone who could read it learns why; anyone else, that it is not there.
        cx.get::<team_application::Entity>(&txn, Action::Read, id)
            .await?;
        return Err(Reason::TEAM_LEADER_ONLY.into());
    }
    let state = if approve {
        ApplicationState::Approved
    } else {
        ApplicationState::Rejected
    };
    let done = team_application::Entity::update_many()
        .col_expr(team_application::Column::State, Expr::value(state))
        .col_expr(
            team_application::Column::DecidedBy,
            Expr::value(cx.access().actor()),
        )
        .col_expr(team_application::Column::DecidedAt, Expr::value(cx.now()))
        .col_expr(team_application::Column::Note, Expr::value(note))
        .filter(team_application::Column::Id.eq(id))
        .filter(team_application::Column::State.eq(ApplicationState::Pending))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(Reason::APPLICATION_DECIDED.into());
    }
    if approve && !teams::is_member(&txn, t.id, a.volunteer_id).await? {
        teams::insert_member(&txn, t.id, a.volunteer_id, cx.now()).await?;
    }
    audit::log(
        &txn,
        cx,
        Entry::new("team.decide_application", &unit)
            .target("team_application", id)
            .summary(json!({ "approved": approve, "volunteer": a.volunteer_id })),
    )
    .await?;
    let after = scoped::unscoped_by_id::<team_application::Entity>(id, "read back")
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::TeamApplication))?;
    txn.commit().await?;
    after.try_into()
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<ApplicationRecord> {
    cx.get::<team_application::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

#[derive(Debug, Clone, Default)]
pub struct ApplicationFilter {
    pub under: Option<UnitCode>,
    pub team_id: Option<i64>,
    pub state: Option<ApplicationState>,
}

/// Applications the caller may read (`team.read` where the team is, or its own).
pub async fn list(
    cx: &Ctx,
    filter: &ApplicationFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<ApplicationRecord>, u64)> {
    let Some(mut q) = cx.find::<team_application::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    use team_application::Column as C;
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(C::UnitCode, under));
    }
    if let Some(t) = filter.team_id {
        q = q.filter(C::TeamId.eq(t));
    }
    if let Some(s) = filter.state {
        q = q.filter(C::State.eq(s));
    }
    let sort = super::Sort::new([C::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}
