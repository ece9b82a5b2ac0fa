//! User accounts.

use chrono::{DateTime, Utc};
use entity::{session, user};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, TransactionTrait,
};
use serde_json::json;

use crate::auth;
use crate::error::{Problem, Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::changes::Changes;
use crate::services::{ranges, scoped, units, Ctx};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub home_unit: UnitCode,
    pub disabled: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<user::Model> for UserRecord {
    type Error = ServiceError;
    fn try_from(m: user::Model) -> ServiceResult<Self> {
        Ok(UserRecord {
            home_unit: UnitCode::parse(&m.home_unit_code).map_err(|_| {
                ServiceError::Database(sea_orm::DbErr::Custom(format!(
                    "user {} has a bad unit",
                    m.id
                )))
            })?,
            id: m.id,
            username: m.username,
            display_name: m.display_name,
            disabled: m.disabled,
            created_at: m.created_at,
        })
    }
}

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 128;

/// A validated username: 3–64 of lowercase letters, digits, `_`, `.`, `-`.
pub fn parse_username(s: &str) -> ServiceResult<String> {
    let ok = (3..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b));
    if ok {
        Ok(s.to_owned())
    } else {
        Err(Reason::INVALID_USERNAME.at("username").into())
    }
}

pub fn check_password(p: &str) -> ServiceResult<()> {
    let n = p.chars().count();
    if (MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&n) {
        Ok(())
    } else {
        Err(Reason::PASSWORD_LENGTH
            .at("password")
            .arg("min", MIN_PASSWORD_LEN)
            .arg("max", MAX_PASSWORD_LEN)
            .into())
    }
}

fn parse_display_name(s: &str) -> ServiceResult<String> {
    let s = s.trim();
    if s.is_empty() || s.chars().count() > 100 {
        return Err(Reason::TEXT_LENGTH.at("displayName").arg("max", 100).into());
    }
    Ok(s.to_owned())
}

#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Users whose home unit is this unit or below it.
    pub under: Option<UnitCode>,
    pub search: Option<String>,
}

pub async fn list(
    cx: &Ctx,
    filter: &UserFilter,
    order: Option<(super::NameOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<UserRecord>, u64)> {
    let Some(mut q) = cx.find::<user::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(user::Column::HomeUnitCode, under));
    }
    if let Some(s) = units::search_text(filter.search.as_deref()) {
        let pattern = units::like_contains(s);
        q = q.filter(
            sea_orm::Condition::any()
                .add(
                    user::Column::Username
                        .like(sea_orm::sea_query::LikeExpr::new(pattern.clone()).escape('\\')),
                )
                .add(
                    user::Column::DisplayName
                        .like(sea_orm::sea_query::LikeExpr::new(pattern).escape('\\')),
                ),
        );
    }
    super::page_by(
        cx,
        q,
        &super::by_name_or_created(
            order,
            user::Column::Username,
            user::Column::Id,
            OrderDirection::Asc,
        ),
        page,
        want_total,
    )
    .await
}

/// A user the caller may `action`; NOT_FOUND otherwise, the same as a missing one.
pub(super) async fn find_scoped(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    action: Action,
    id: i64,
) -> ServiceResult<user::Model> {
    cx.get::<user::Entity>(conn, action, id).await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<UserRecord> {
    find_scoped(cx.db(), cx, Action::Read, id).await?.try_into()
}

/// Many users by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, UserRecord>> {
    cx.get_many::<user::Entity, _>(Action::Read, ids, |r: &UserRecord| r.id)
        .await
}

/// The signed-in user.
pub async fn me(cx: &Ctx) -> ServiceResult<UserRecord> {
    me_in(cx.db(), cx).await
}

pub(super) async fn me_in(conn: &impl ConnectionTrait, cx: &Ctx) -> ServiceResult<UserRecord> {
    let id = cx.access().user_id()?;
    scoped::unscoped_by_id::<user::Entity>(id, "the caller's own account")
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::from(Reason::SIGN_IN_REQUIRED))?
        .try_into()
}

/// Whether a field guarded by a field rule may be shown on this user.
pub fn field_visible(cx: &Ctx, field: &str, user: &UserRecord) -> bool {
    cx.access()
        .field_allowed("User", field, &user.home_unit, Some(user.id))
}

pub struct NewUser {
    pub username: String,
    pub password: String,
    pub display_name: String,
    pub home_unit_code: String,
}

async fn validate_new(cx: &Ctx, input: &NewUser) -> ServiceResult<(String, String, UnitCode)> {
    let username = parse_username(&input.username)?;
    check_password(&input.password)?;
    let display_name = parse_display_name(&input.display_name)?;
    let unit =
        UnitCode::parse(&input.home_unit_code).map_err(|e| Problem::from(e).at("homeUnitCode"))?;
    units::require_exists(cx.db(), &unit).await?;
    Ok((username, display_name, unit))
}

pub(super) async fn insert_user(
    conn: &impl ConnectionTrait,
    username: &str,
    display_name: &str,
    hash: String,
    unit: &UnitCode,
    now: DateTime<Utc>,
) -> ServiceResult<user::Model> {
    let taken = scoped::unscoped::<user::Entity>("usernames are unique across the system")
        .filter(user::Column::Username.eq(username))
        .count(conn)
        .await?;
    if taken > 0 {
        return Err(Reason::USERNAME_TAKEN
            .at("username")
            .arg("username", username)
            .into());
    }
    Ok(user::ActiveModel {
        username: Set(username.to_owned()),
        display_name: Set(display_name.to_owned()),
        password_hash: Set(hash),
        home_unit_code: Set(unit.to_string()),
        disabled: Set(false),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(conn)
    .await?)
}

pub async fn create(cx: &Ctx, input: NewUser) -> ServiceResult<UserRecord> {
    let (username, display_name, unit) = validate_new(cx, &input).await?;
    cx.access().require(Resource::User, Action::Create, &unit)?;
    let hash = auth::hash_password(&cx.store().hashing, input.password).await?;
    let txn = cx.db().begin().await?;
    let model = insert_user(&txn, &username, &display_name, hash, &unit, cx.now()).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("user.create", &unit)
            .target("user", model.id)
            .summary(
                json!({ "username": username, "displayName": display_name, "homeUnit": unit }),
            ),
    )
    .await?;
    txn.commit().await?;
    model.try_into()
}

/// For operators (`kapok user create`) and bootstrap: no caller to check, the
/// change is audited with no actor.
pub async fn create_as_operator(
    cx: &Ctx,
    input: NewUser,
    role: &str,
) -> ServiceResult<(UserRecord, i64)> {
    let (username, display_name, unit) = validate_new(cx, &input).await?;
    let held = cx
        .access()
        .policy()
        .role(role)
        .ok_or_else(|| ServiceError::from(Reason::UNKNOWN_ROLE.at("role").arg("role", role)))?;
    if !held.levels.contains(&unit.level()) {
        return Err(Reason::ROLE_LEVEL_NOT_ALLOWED
            .at("role")
            .arg("role", role)
            .arg("level", unit.level())
            .into());
    }
    let hash = auth::hash_password(&cx.store().hashing, input.password).await?;
    let txn = cx.db().begin().await?;
    let model = insert_user(&txn, &username, &display_name, hash, &unit, cx.now()).await?;
    let assignment =
        super::roles::insert_assignment(&txn, model.id, role, &unit, None, None).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("user.create", &unit)
            .target("user", model.id)
            .summary(json!({ "username": username, "role": role, "by": "operator" }))
            .by(None),
    )
    .await?;
    txn.commit().await?;
    Ok((model.try_into()?, assignment))
}

pub async fn set_disabled(cx: &Ctx, id: i64, disabled: bool) -> ServiceResult<UserRecord> {
    let me = cx.access().user_id()?;
    if me == id {
        return Err(Reason::SELF_DISABLE.into());
    }
    let txn = cx.db().begin().await?;
    let model = find_scoped(&txn, cx, Action::Disable, id).await?;
    require_manage(&txn, cx, &model).await?;
    let unit: UnitCode = UserRecord::try_from(model.clone())?.home_unit;
    let mut active: user::ActiveModel = model.into();
    active.disabled = Set(disabled);
    active.updated_at = Set(cx.now());
    let model = active.update(&txn).await?;
    if disabled {
        revoke_sessions(&txn, id, None, "user disabled").await?;
    }
    audit::log(
        &txn,
        cx,
        Entry::new(
            if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            &unit,
        )
        .target("user", id)
        .summary(json!({ "disabled": disabled }))
        .by(Some(me)),
    )
    .await?;
    txn.commit().await?;
    model.try_into()
}

/// What `updateUser` changes; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct UserChanges {
    pub display_name: Option<String>,
    pub home_unit_code: Option<String>,
}

/// Changes an account. Anyone may rename themselves; renaming someone else needs
/// `user.update` over them, and moving them to another home unit needs it at both
/// units and the power to grant every role they hold (as strong as their roles).
/// Nobody moves themselves.
pub async fn update(cx: &Ctx, id: i64, ch: UserChanges) -> ServiceResult<UserRecord> {
    let me = cx.access().user_id()?;
    let display_name = ch
        .display_name
        .as_deref()
        .map(parse_display_name)
        .transpose()?;
    let home = ch
        .home_unit_code
        .as_deref()
        .map(|u| super::parse_unit("homeUnitCode", u))
        .transpose()?;
    let txn = cx.db().begin().await?;
    let model = if me == id {
        // Oneself: always visible, and only the display name may change.
        scoped::unscoped_by_id::<user::Entity>(id, "the caller's own account")
            .one(&txn)
            .await?
            .ok_or(ServiceError::NotFound(Thing::User))?
    } else {
        find_scoped(&txn, cx, Action::Update, id).await?
    };
    let u = UserRecord::try_from(model.clone())?;
    let moving = home.as_ref().filter(|h| **h != u.home_unit);
    if let Some(to) = moving {
        if me == id {
            return Err(Reason::SELF_MOVE.into());
        }
        units::require_exists(&txn, to).await?;
        cx.access().require(Resource::User, Action::Update, to)?;
        require_manage(&txn, cx, &model).await?;
    }
    let mut changes = Changes::<user::Entity>::new();
    changes.set(
        "displayName",
        user::Column::DisplayName,
        &u.display_name,
        display_name,
    );
    changes.set(
        "homeUnitCode",
        user::Column::HomeUnitCode,
        &u.home_unit.to_string(),
        moving.map(|h| h.to_string()),
    );
    if changes.is_empty() {
        return Ok(u);
    }
    changes
        .also(user::Column::UpdatedAt, cx.now())
        .save(&txn, cx, user::Column::Id, id, "user.update", &u.home_unit)
        .await?;
    let after = scoped::unscoped_by_id::<user::Entity>(id, "the account just updated, reloaded")
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::User))?;
    txn.commit().await?;
    after.try_into()
}

/// Managing an account (disabling it, resetting its password, ending its sessions,
/// moving it) is as strong as the strongest role on it: the caller must be able to
/// grant every role the user holds.
pub(super) async fn require_manage(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    target: &user::Model,
) -> ServiceResult<()> {
    let held: Vec<(String, UnitCode)> = super::roles::live_assignments(conn, target.id)
        .await?
        .into_iter()
        .map(|a| (a.role, a.unit))
        .collect();
    cx.access().require_manage(target.id, &held)
}

/// Ends one session (if it is still live).
pub(super) async fn revoke_session(
    conn: &impl ConnectionTrait,
    session_id: i64,
    reason: &str,
) -> ServiceResult<()> {
    session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(super::now()))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::Id.eq(session_id))
        .filter(session::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(())
}

/// Revokes the user's live sessions, except `keep`.
pub(super) async fn revoke_sessions(
    conn: &impl ConnectionTrait,
    user_id: i64,
    keep: Option<i64>,
    reason: &str,
) -> ServiceResult<()> {
    let mut q = session::Entity::update_many()
        .col_expr(session::Column::RevokedAt, Expr::value(super::now()))
        .col_expr(session::Column::RevokedReason, Expr::value(reason))
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        q = q.filter(session::Column::Id.ne(keep));
    }
    q.exec(conn).await?;
    Ok(())
}

pub async fn change_password(cx: &Ctx, current: String, new: String) -> ServiceResult<UserRecord> {
    let me = cx.access().user_id()?;
    let session = cx.access().session_id()?;
    check_password(&new)?;
    let model = scoped::unscoped_by_id::<user::Entity>(me, "the caller's own account")
        .one(cx.db())
        .await?
        .ok_or_else(|| ServiceError::from(Reason::SIGN_IN_REQUIRED))?;
    let ok = auth::verify_password(
        &cx.store().hashing,
        current,
        Some(model.password_hash.clone()),
    )
    .await?;
    if !ok {
        return Err(Reason::WRONG_PASSWORD.at("currentPassword").into());
    }
    let hash = auth::hash_password(&cx.store().hashing, new).await?;
    let unit = UserRecord::try_from(model.clone())?.home_unit;
    let txn = cx.db().begin().await?;
    let mut active: user::ActiveModel = model.into();
    active.password_hash = Set(hash);
    active.must_change_password = Set(false);
    active.updated_at = Set(cx.now());
    let model = active.update(&txn).await?;
    // Other devices signed in with the old password are signed out.
    revoke_sessions(&txn, me, Some(session), "password changed").await?;
    audit::log(
        &txn,
        cx,
        Entry::new("user.change_password", &unit)
            .target("user", me)
            .by(Some(me)),
    )
    .await?;
    txn.commit().await?;
    model.try_into()
}

/// Sets a one-time password for a user the caller manages: `user.update` over the
/// user and the power to grant every role it holds. All the user's sessions end, and
/// the new password works only to choose another (`changePassword`). Returns the
/// one-time password, to be handed over once; it is stored nowhere but as a hash.
pub async fn reset_password(cx: &Ctx, id: i64) -> ServiceResult<(UserRecord, String)> {
    let me = cx.access().user_id()?;
    if me == id {
        return Err(Reason::RESET_OWN_PASSWORD.into());
    }
    let target = find_scoped(cx.db(), cx, Action::Update, id).await?;
    require_manage(cx.db(), cx, &target).await?;
    let password = auth::new_refresh_token()[..16].to_owned();
    let hash = auth::hash_password(&cx.store().hashing, password.clone()).await?;
    let txn = cx.db().begin().await?;
    let unit = UserRecord::try_from(target.clone())?.home_unit;
    let mut active: user::ActiveModel = target.into();
    active.password_hash = Set(hash);
    active.must_change_password = Set(true);
    active.updated_at = Set(cx.now());
    let model = active.update(&txn).await?;
    revoke_sessions(&txn, id, None, "password reset by an administrator").await?;
    audit::log(
        &txn,
        cx,
        Entry::new("user.reset_password", &unit)
            .target("user", id)
            .summary(json!({ "sessionsEnded": true }))
            .by(Some(me)),
    )
    .await?;
    txn.commit().await?;
    Ok((model.try_into()?, password))
}
