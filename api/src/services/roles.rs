//! Role assignments: listing, granting and revoking under the delegation rules, and
//! explaining decisions.

use std::str::FromStr;

use chrono::{DateTime, Utc};
use entity::{role_assignment, user};
use policies::{Action, Assignment, Principal, Resource, UnitCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;

use crate::error::{Problem, Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::{ranges, scoped, units, Ctx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignmentRecord {
    pub id: i64,
    pub user_id: i64,
    pub role: String,
    pub unit: UnitCode,
    pub expires_at: Option<DateTime<Utc>>,
    pub granted_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TryFrom<role_assignment::Model> for AssignmentRecord {
    type Error = ServiceError;
    fn try_from(m: role_assignment::Model) -> ServiceResult<Self> {
        Ok(AssignmentRecord {
            unit: UnitCode::parse(&m.unit_code).map_err(|_| {
                ServiceError::Database(sea_orm::DbErr::Custom(format!(
                    "assignment {} has a bad unit",
                    m.id
                )))
            })?,
            id: m.id,
            user_id: m.user_id,
            role: m.role,
            expires_at: m.expires_at,
            granted_by: m.granted_by,
            created_at: m.created_at,
            revoked_at: m.revoked_at,
        })
    }
}

/// Assignments that grant something now: not revoked, not expired.
fn live(now: DateTime<Utc>) -> Condition {
    Condition::all()
        .add(role_assignment::Column::RevokedAt.is_null())
        .add(
            Condition::any()
                .add(role_assignment::Column::ExpiresAt.is_null())
                .add(role_assignment::Column::ExpiresAt.gt(now)),
        )
}

/// The live assignments of a user as the engine sees them (for building principals).
pub(super) async fn live_assignments(
    conn: &impl ConnectionTrait,
    user_id: i64,
) -> ServiceResult<Vec<Assignment>> {
    let rows = scoped::unscoped::<role_assignment::Entity>(
        "the caller's own live role assignments, which make its principal",
    )
    .filter(role_assignment::Column::UserId.eq(user_id))
    .filter(live(super::now()))
    .order_by_asc(role_assignment::Column::Id)
    .all(conn)
    .await?;
    rows.into_iter()
        .map(|m| {
            let r = AssignmentRecord::try_from(m)?;
            Ok(Assignment {
                id: r.id,
                role: r.role,
                unit: r.unit,
                expires_at: r.expires_at.map(|e| e.timestamp()),
            })
        })
        .collect()
}

pub(super) async fn principal_for(
    conn: &impl ConnectionTrait,
    user_id: i64,
) -> ServiceResult<Principal> {
    Ok(Principal {
        user_id: Some(user_id),
        assignments: live_assignments(conn, user_id).await?,
        now: Utc::now().timestamp(),
    })
}

pub(super) async fn insert_assignment(
    conn: &impl ConnectionTrait,
    user_id: i64,
    role: &str,
    unit: &UnitCode,
    expires_at: Option<DateTime<Utc>>,
    granted_by: Option<i64>,
) -> ServiceResult<i64> {
    let m = role_assignment::ActiveModel {
        user_id: Set(user_id),
        role: Set(role.to_owned()),
        unit_code: Set(unit.to_string()),
        expires_at: Set(expires_at),
        granted_by: Set(granted_by),
        created_at: Set(super::now()),
        revoked_at: Set(None),
        revoked_by: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(m.id)
}

#[derive(Debug, Clone, Default)]
pub struct AssignmentFilter {
    pub under: Option<UnitCode>,
    pub role: Option<String>,
    pub user_id: Option<i64>,
}

/// Live assignments the caller may read.
pub async fn list(
    cx: &Ctx,
    filter: &AssignmentFilter,
    order: Option<(super::CreatedOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<AssignmentRecord>, u64)> {
    let Some(mut q) = cx.find::<role_assignment::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    q = q.filter(live(super::now()));
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(role_assignment::Column::UnitCode, under));
    }
    if let Some(role) = &filter.role {
        q = q.filter(role_assignment::Column::Role.eq(role.as_str()));
    }
    if let Some(user) = filter.user_id {
        q = q.filter(role_assignment::Column::UserId.eq(user));
    }
    super::page_by(
        cx,
        q,
        &super::by_created(order, role_assignment::Column::Id, OrderDirection::Asc),
        page,
        want_total,
    )
    .await
}

/// The live roles of a user the caller can see (own roles always).
pub async fn of_user(cx: &Ctx, user_id: i64) -> ServiceResult<Vec<AssignmentRecord>> {
    let q = if cx.access().user_id().ok() == Some(user_id) {
        scoped::unscoped::<role_assignment::Entity>(
            "role assignments of a user the caller reads, filtered to the caller's scope",
        )
    } else {
        match cx.find::<role_assignment::Entity>(Action::Read)? {
            Some(q) => q,
            None => return Ok(Vec::new()),
        }
    };
    let rows = q
        .filter(role_assignment::Column::UserId.eq(user_id))
        .filter(live(super::now()))
        .order_by_asc(role_assignment::Column::Id)
        .all(cx.db())
        .await?;
    rows.into_iter().map(AssignmentRecord::try_from).collect()
}

/// [`of_user`] for many users in at most two reads (the caller's own roles, then
/// everyone else's within scope).
pub async fn of_users(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, Vec<AssignmentRecord>>> {
    let mut out = std::collections::HashMap::new();
    let me = cx.access().user_id().ok();
    let others: Vec<i64> = ids.iter().copied().filter(|id| Some(*id) != me).collect();
    if let Some(me) = me.filter(|me| ids.contains(me)) {
        out.insert(me, of_user(cx, me).await?);
    }
    if others.is_empty() {
        return Ok(out);
    }
    let Some(q) = cx.find::<role_assignment::Entity>(Action::Read)? else {
        return Ok(out);
    };
    let rows = q
        .filter(role_assignment::Column::UserId.is_in(others))
        .filter(live(super::now()))
        .order_by_asc(role_assignment::Column::Id)
        .all(cx.db())
        .await?;
    for row in rows {
        let record = AssignmentRecord::try_from(row)?;
        out.entry(record.user_id)
            .or_insert_with(Vec::new)
            .push(record);
    }
    Ok(out)
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<AssignmentRecord> {
    let Some(q) = cx.find::<role_assignment::Entity>(Action::Read)? else {
        return Err(ServiceError::NotFound(Thing::RoleAssignment));
    };
    q.filter(role_assignment::Column::Id.eq(id))
        .one(cx.db())
        .await?
        .ok_or(ServiceError::NotFound(Thing::RoleAssignment))?
        .try_into()
}

pub struct GrantInput {
    pub user_id: i64,
    pub role: String,
    pub unit_code: String,
    pub expires_at: Option<DateTime<Utc>>,
}

pub async fn grant(cx: &Ctx, input: GrantInput) -> ServiceResult<AssignmentRecord> {
    let me = cx.access().user_id()?;
    let unit = UnitCode::parse(&input.unit_code).map_err(|e| Problem::from(e).at("unitCode"))?;
    if let Some(e) = input.expires_at {
        if e <= Utc::now() {
            return Err(Reason::MUST_BE_FUTURE.at("expiresAt").into());
        }
    }
    let txn = cx.db().begin().await?;
    // The grantee must be someone the caller can see; otherwise it does not exist.
    let grantee = cx
        .get::<user::Entity>(&txn, Action::Read, input.user_id)
        .await?;
    units::require_exists(&txn, &unit).await?;
    let decision = cx.access().can_grant(
        grantee.id,
        &input.role,
        &unit,
        input.expires_at.map(|e| e.timestamp()),
    )?;
    if !decision.allowed() {
        return Err(ServiceError::from(super::access::denied(&decision)));
    }
    let by_assignment = decision.assignment().map(|a| a.id);
    let duplicate = scoped::unscoped::<role_assignment::Entity>(
        "an existing identical grant, refused whoever made it",
    )
    .filter(role_assignment::Column::UserId.eq(grantee.id))
    .filter(role_assignment::Column::Role.eq(input.role.as_str()))
    .filter(role_assignment::Column::UnitCode.eq(unit.as_str()))
    .filter(live(super::now()))
    .count(&txn)
    .await?;
    if duplicate > 0 {
        return Err(Reason::ROLE_ALREADY_HELD
            .arg("username", &grantee.username)
            .arg("role", &input.role)
            .arg("unit", &unit)
            .into());
    }
    let id = insert_assignment(
        &txn,
        grantee.id,
        &input.role,
        &unit,
        input.expires_at,
        Some(me),
    )
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("role.grant", &unit)
            .target("user", grantee.id)
            .summary(json!({
                "assignment": id, "role": input.role, "user": grantee.username,
                "expiresAt": input.expires_at, "byAssignment": by_assignment,
            }))
            .by(Some(me)),
    )
    .await?;
    let record =
        scoped::unscoped_by_id::<role_assignment::Entity>(id, "the grant just written, reloaded")
            .one(&txn)
            .await?
            .ok_or(ServiceError::NotFound(Thing::RoleAssignment))?;
    txn.commit().await?;
    record.try_into()
}

pub async fn revoke(cx: &Ctx, assignment_id: i64) -> ServiceResult<AssignmentRecord> {
    let me = cx.access().user_id()?;
    let txn = cx.db().begin().await?;
    let Some(q) = cx.find::<role_assignment::Entity>(Action::Read)? else {
        return Err(ServiceError::NotFound(Thing::RoleAssignment));
    };
    let model = q
        .filter(role_assignment::Column::Id.eq(assignment_id))
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::RoleAssignment))?;
    let record = AssignmentRecord::try_from(model.clone())?;
    if record.revoked_at.is_some() {
        return Err(Reason::ROLE_ALREADY_REVOKED.into());
    }
    let decision = cx
        .access()
        .can_revoke(record.user_id, &record.role, &record.unit)?;
    if !decision.allowed() {
        return Err(ServiceError::from(super::access::denied(&decision)));
    }
    let mut active: role_assignment::ActiveModel = model.into();
    active.revoked_at = Set(Some(cx.now()));
    active.revoked_by = Set(Some(me));
    let model = active.update(&txn).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("role.revoke", &record.unit)
            .target("user", record.user_id)
            .summary(json!({ "assignment": record.id, "role": record.role }))
            .by(Some(me)),
    )
    .await?;
    txn.commit().await?;
    model.try_into()
}

/// A decision about another user, with its reasons.
pub struct Explanation {
    pub allowed: bool,
    pub reason: String,
    pub assignment: Option<AssignmentRecord>,
}

pub async fn explain(
    cx: &Ctx,
    user_id: i64,
    resource: &str,
    action: &str,
    unit_code: &str,
) -> ServiceResult<Explanation> {
    let unit = UnitCode::parse(unit_code).map_err(|e| Problem::from(e).at("unitCode"))?;
    let resource =
        Resource::from_str(resource).map_err(|_| Reason::UNKNOWN_VALUE.at("resource"))?;
    let action = Action::from_str(action).map_err(|_| Reason::UNKNOWN_VALUE.at("action"))?;
    cx.access()
        .require(Resource::Access, Action::Explain, &unit)?;
    let target = cx
        .get::<user::Entity>(cx.db(), Action::Read, user_id)
        .await?;
    let principal = principal_for(cx.db(), target.id).await?;
    let decision = cx.access().decide_for(&principal, resource, action, &unit);
    let assignment = match decision.assignment() {
        Some(a) => scoped::unscoped_by_id::<role_assignment::Entity>(
            a.id,
            "the assignments of the user an explanation is about (access.explain checked)",
        )
        .one(cx.db())
        .await?
        .map(AssignmentRecord::try_from)
        .transpose()?,
        None => None,
    };
    Ok(Explanation {
        allowed: decision.allowed(),
        reason: decision.reason(),
        assignment,
    })
}

/// What the caller may do at a unit, for showing and hiding actions in apps.
pub fn permissions_at(cx: &Ctx, unit: &UnitCode) -> ServiceResult<Vec<(Resource, Action)>> {
    let mut out = Vec::new();
    for r in Resource::ALL {
        for a in r.actions() {
            if cx.access().check(r, *a, unit)?.allowed() {
                out.push((r, *a));
            }
        }
    }
    Ok(out)
}

/// The roles the caller may grant at `unit`, highest rank first, each with the
/// latest expiry such a grant may have (`None`: no limit).
pub fn grantable_at(
    cx: &Ctx,
    unit: &UnitCode,
) -> ServiceResult<Vec<(String, Option<DateTime<Utc>>)>> {
    Ok(cx
        .access()
        .grantable_roles(unit)?
        .into_iter()
        .map(|(role, until)| (role, until.and_then(|t| DateTime::from_timestamp(t, 0))))
        .collect())
}
