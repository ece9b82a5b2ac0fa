//! Signing in and out, sessions with rotating refresh tokens, turning an access token
//! into a principal, and the first administrator.

use chrono::{Duration, Utc};
use entity::{refresh_token, session, unit, user};
use policies::{Level, Principal, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;

use crate::auth::{self, TokenKeys};
use crate::error::{Reason, ServiceError, ServiceResult};
use crate::services::audit::{self, Entry};
use crate::services::throttle::{self, Attempt, ThrottleRules};
use crate::services::users::{self, NewUser, UserRecord};
use crate::services::{roles, Ctx, Store};

pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub user: UserRecord,
    /// The password is a one-time password set by an administrator: the session
    /// can only change it.
    pub password_change_required: bool,
}

fn internal(e: impl std::fmt::Display) -> ServiceError {
    ServiceError::Database(sea_orm::DbErr::Custom(e.to_string()))
}

/// Starts a session: a new refresh token and an access token naming the session.
async fn open_session(
    conn: &impl ConnectionTrait,
    keys: &TokenKeys,
    user_id: i64,
) -> ServiceResult<(i64, String, String)> {
    let now = super::now();
    let s = session::ActiveModel {
        user_id: Set(user_id),
        created_at: Set(now),
        expires_at: Set(now + Duration::seconds(keys.refresh_ttl_secs)),
        revoked_at: Set(None),
        revoked_reason: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    let refresh = new_refresh(conn, s.id).await?;
    let token = keys
        .issue(user_id, s.id, now.timestamp())
        .map_err(internal)?;
    Ok((s.id, token, refresh))
}

async fn new_refresh(conn: &impl ConnectionTrait, session_id: i64) -> ServiceResult<String> {
    let token = auth::new_refresh_token();
    refresh_token::ActiveModel {
        session_id: Set(session_id),
        token_hash: Set(auth::hash_refresh_token(&token)),
        created_at: Set(super::now()),
        spent_at: Set(None),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(token)
}

/// Longest username and password a sign-in looks at: anything longer is refused
/// before it reaches the throttle, the database, the hasher or the audit log.
pub const MAX_USERNAME_BYTES: usize = 64;
pub const MAX_PASSWORD_BYTES: usize = 4 * super::users::MAX_PASSWORD_LEN;

/// Refuses credentials longer than anything valid before they reach the throttle,
/// the database, the hasher or the audit log (sign-in and sign-up).
pub(super) fn check_lengths(username: &str, password: &str) -> ServiceResult<()> {
    if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return Err(Reason::CREDENTIALS_TOO_LONG
            .arg("username", MAX_USERNAME_BYTES)
            .arg("password", super::users::MAX_PASSWORD_LEN)
            .into());
    }
    Ok(())
}

pub async fn login(
    cx: &Ctx,
    keys: &TokenKeys,
    rules: &ThrottleRules,
    username: &str,
    password: String,
) -> ServiceResult<Tokens> {
    check_lengths(username, &password)?;
    let addr = cx.access().meta().client_addr.clone();
    let found = super::scoped::unscoped::<user::Entity>(
        "signing in: there is no caller yet; the row never leaves the service",
    )
    .filter(user::Column::Username.eq(username))
    .one(cx.db())
    .await?;
    let known = match &found {
        Some(u) => throttle::known_address(cx.db(), u.id, addr.as_deref()).await?,
        None => false,
    };
    let attempt = Attempt::new(username, addr.as_deref(), known);
    // The attempt is counted before the password is checked, in one statement per
    // key, so parallel guesses cannot all slip under the limit.
    if let Err(e) = throttle::reserve(cx.db(), rules, &attempt).await {
        if matches!(e, ServiceError::Throttled { .. }) {
            refused(cx, found.as_ref(), username, &e).await?;
        }
        return Err(e);
    }
    // Unknown users are checked against a dummy hash: same answer, same time.
    let ok = auth::verify_password(
        &cx.store().hashing,
        password,
        found.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let user = match found {
        Some(u) if ok && !u.disabled => u,
        other => {
            failed(cx, other.as_ref(), username, ok).await?;
            return Err(Reason::BAD_CREDENTIALS.into());
        }
    };
    let record = UserRecord::try_from(user.clone())?;
    let txn = cx.db().begin().await?;
    throttle::succeeded(&txn, &attempt, user.id, addr.as_deref()).await?;
    let (sid, access_token, refresh_token) = open_session(&txn, keys, user.id).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("auth.login", &record.home_unit)
            .target("user", user.id)
            .summary(json!({ "session": sid }))
            .by(Some(user.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(Tokens {
        access_token,
        refresh_token,
        expires_in: keys.access_ttl_secs,
        user: record,
        password_change_required: user.must_change_password,
    })
}

/// Files a failed sign-in. An unknown username belongs to no unit; the attempt is
/// filed at the root so that the deployment's top administrators and auditors see it.
async fn failed(
    cx: &Ctx,
    found: Option<&user::Model>,
    username: &str,
    password_ok: bool,
) -> ServiceResult<()> {
    let unit = match found {
        Some(u) => UnitCode::parse(&u.home_unit_code).ok(),
        None => root_unit(cx.db()).await?,
    };
    let reason = match found {
        None => "unknown user",
        Some(u) if u.disabled && password_ok => "disabled",
        Some(_) => "wrong password",
    };
    let entry = Entry::new_opt("auth.login_failed", unit.as_ref())
        .target("username", username)
        .summary(json!({ "username": username, "reason": reason }))
        .by(found.map(|u| u.id));
    audit::log(cx.db(), cx, entry).await
}

/// A throttled attempt: counted in its address's row for the window; the window's
/// first refusal is audited, the rest only counted, so a flood of attempts cannot
/// fill the disk.
async fn refused(
    cx: &Ctx,
    found: Option<&user::Model>,
    username: &str,
    e: &ServiceError,
) -> ServiceResult<()> {
    crate::metrics::METRICS.throttled.inc();
    let unit = match found {
        Some(u) => UnitCode::parse(&u.home_unit_code).ok(),
        None => root_unit(cx.db()).await?,
    };
    let addr = cx.access().meta().client_addr.clone();
    let first = throttle::count_refused(
        cx.db(),
        addr.as_deref(),
        username,
        unit.as_ref().map(|u| u.as_str()),
    )
    .await?;
    if first {
        // Counted in full by `kapok audit throttled`; one entry per address and window.
        let note = "first refusal from this address in this 15-minute window";
        let entry = Entry::new_opt("auth.login_throttled", unit.as_ref())
            .target("username", username)
            .summary(json!({ "username": username, "retryAfter": e.retry_after(), "note": note }))
            .by(found.map(|u| u.id));
        audit::log(cx.db(), cx, entry).await?;
    }
    Ok(())
}

/// Rotates a refresh token. A token used twice means it leaked: the whole session
/// is revoked.
pub async fn refresh(cx: &Ctx, keys: &TokenKeys, token: &str) -> ServiceResult<Tokens> {
    let invalid = || ServiceError::from(Reason::REFRESH_TOKEN_INVALID.at("refreshToken"));
    let txn = cx.db().begin().await?;
    let (found, s, u) = refresh_chain(&txn, token).await?.ok_or_else(invalid)?;
    let record = UserRecord::try_from(u.clone())?;
    if found.spent_at.is_some() {
        if s.revoked_at.is_none() {
            users::revoke_session(&txn, s.id, "refresh token reused").await?;
            audit::log(
                &txn,
                cx,
                Entry::new("auth.refresh_reused", &record.home_unit)
                    .target("user", u.id)
                    .summary(json!({ "session": s.id }))
                    .by(Some(u.id)),
            )
            .await?;
            txn.commit().await?;
        }
        return Err(invalid());
    }
    if s.revoked_at.is_some() || s.expires_at <= Utc::now() || u.disabled {
        return Err(invalid());
    }
    // Spend it only if nobody spent it concurrently.
    let spent = refresh_token::Entity::update_many()
        .col_expr(refresh_token::Column::SpentAt, Expr::value(super::now()))
        .filter(refresh_token::Column::Id.eq(found.id))
        .filter(refresh_token::Column::SpentAt.is_null())
        .exec(&txn)
        .await?;
    if spent.rows_affected != 1 {
        return Err(invalid());
    }
    let refresh_token = new_refresh(&txn, s.id).await?;
    let access_token = keys
        .issue(u.id, s.id, Utc::now().timestamp())
        .map_err(internal)?;
    audit::log(
        &txn,
        cx,
        Entry::new("auth.refresh", &record.home_unit)
            .target("user", u.id)
            .summary(json!({ "session": s.id }))
            .by(Some(u.id)),
    )
    .await?;
    txn.commit().await?;
    Ok(Tokens {
        access_token,
        refresh_token,
        expires_in: keys.access_ttl_secs,
        user: record,
        password_change_required: u.must_change_password,
    })
}

/// The refresh token, its session and their user, if all three exist.
async fn refresh_chain(
    txn: &impl ConnectionTrait,
    token: &str,
) -> ServiceResult<Option<(refresh_token::Model, session::Model, user::Model)>> {
    let Some(found) = super::scoped::unscoped::<refresh_token::Entity>(
        "refreshing: the refresh token itself is the credential",
    )
    .filter(refresh_token::Column::TokenHash.eq(auth::hash_refresh_token(token)))
    .one(txn)
    .await?
    else {
        return Ok(None);
    };
    let Some(s) = super::scoped::unscoped_by_id::<session::Entity>(
        found.session_id,
        "refreshing: the session the refresh token belongs to",
    )
    .one(txn)
    .await?
    else {
        return Ok(None);
    };
    let u = super::scoped::unscoped_by_id::<user::Entity>(
        s.user_id,
        "refreshing: the user the session belongs to",
    )
    .one(txn)
    .await?;
    Ok(u.map(|u| (found, s, u)))
}

pub async fn logout(cx: &Ctx, all_sessions: bool) -> ServiceResult<()> {
    let me = cx.access().user_id()?;
    let sid = cx.access().session_id()?;
    let unit = users::me(cx).await?.home_unit;
    let txn = cx.db().begin().await?;
    if all_sessions {
        users::revoke_sessions(&txn, me, None, "signed out everywhere").await?;
    } else {
        users::revoke_session(&txn, sid, "signed out").await?;
    }
    audit::log(
        &txn,
        cx,
        Entry::new("auth.logout", &unit)
            .target("user", me)
            .summary(json!({ "session": sid, "allSessions": all_sessions }))
            .by(Some(me)),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Why a presented access token does not sign anyone in.
#[derive(Debug)]
pub enum TokenRejection {
    Invalid(Reason),
    Database(sea_orm::DbErr),
}

/// The principal an access token stands for. Disabling a user, revoking a session or
/// a role bites on the next request: the answer is read from the database, or from
/// `Store::callers`, which forgets everything whenever any of these may have changed.
pub async fn authenticate(
    store: &Store,
    keys: &TokenKeys,
    token: &str,
) -> Result<(Principal, i64, bool), TokenRejection> {
    let (user_id, sid) = keys
        .verify(token)
        .ok_or(TokenRejection::Invalid(Reason::TOKEN_INVALID))?;
    let now = Utc::now();
    let callers = store.callers();
    let epoch = super::callers::epoch(&store.db)
        .await
        .map_err(TokenRejection::Database)?;
    if let Some(kept) = callers.get(sid, user_id, now, epoch) {
        return Ok((kept.principal, sid, kept.must_change_password));
    }
    // Taken before reading: an answer read across a change is not kept.
    let generation = callers.generation();
    let s = super::scoped::unscoped_by_id::<session::Entity>(
        sid,
        "checking a token: the session the token names",
    )
    .one(&store.db)
    .await
    .map_err(TokenRejection::Database)?;
    let session_expires_at = match s {
        Some(s) if s.user_id == user_id && s.revoked_at.is_none() && s.expires_at > now => {
            s.expires_at
        }
        _ => return Err(TokenRejection::Invalid(Reason::SESSION_ENDED)),
    };
    let u = super::scoped::unscoped_by_id::<user::Entity>(
        user_id,
        "checking a token: the user the token names",
    )
    .one(&store.db)
    .await
    .map_err(TokenRejection::Database)?;
    let must_change_password = match u {
        Some(u) if !u.disabled => u.must_change_password,
        _ => return Err(TokenRejection::Invalid(Reason::ACCOUNT_DISABLED)),
    };
    let principal = roles::principal_for(&store.db, user_id)
        .await
        .map_err(|e| match e {
            ServiceError::Database(e) => TokenRejection::Database(e),
            _ => TokenRejection::Invalid(Reason::ACCOUNT_DISABLED),
        })?;
    callers.put(
        sid,
        super::callers::Caller {
            user_id,
            principal: principal.clone(),
            session_expires_at,
            must_change_password,
        },
        generation,
        epoch,
    );
    Ok((principal, sid, must_change_password))
}

/// Creates `admin` with the top role at the root unit when there are no users yet.
/// Returns the password when it was generated (to be shown once).
/// Where and as what the first administrator is created (`KAPOK_ADMIN_UNIT`,
/// `KAPOK_ADMIN_ROLE`); left out, the root unit and the top role allowed there.
#[derive(Debug, Clone, Default)]
pub struct BootstrapPlace {
    pub unit: Option<String>,
    pub role: Option<String>,
}

pub async fn bootstrap_admin(
    cx: &Ctx,
    password: Option<String>,
    place: BootstrapPlace,
) -> ServiceResult<Option<BootstrapOutcome>> {
    if super::scoped::unscoped::<user::Entity>(
        "bootstrap: whether any user exists before the first one is made",
    )
    .count(cx.db())
    .await?
        > 0
    {
        return Ok(None);
    }
    let root_code = match &place.unit {
        Some(code) => {
            let unit = super::parse_unit("KAPOK_ADMIN_UNIT", code)?;
            super::units::require_exists(cx.db(), &unit).await?;
            unit
        }
        None => match root_unit(cx.db()).await? {
            Some(u) => u,
            None => return Ok(None),
        },
    };
    // An unknown role or one not allowed at the unit's level is refused by
    // `create_as_operator`, so the server does not start with a wrong setting.
    let Some(role) = place.role.clone().or_else(|| {
        cx.access()
            .policy()
            .top_role_at(root_code.level())
            .map(str::to_owned)
    }) else {
        return Ok(None);
    };
    let generated = password.is_none();
    let password = password.unwrap_or_else(|| auth::new_refresh_token()[..20].to_owned());
    let (user, _) = users::create_as_operator(
        cx,
        NewUser {
            username: "admin".into(),
            password: password.clone(),
            display_name: "Administrator".into(),
            home_unit_code: root_code.to_string(),
        },
        &role,
    )
    .await?;
    Ok(Some(BootstrapOutcome {
        user,
        role,
        unit: root_code,
        generated_password: generated.then_some(password),
    }))
}

/// The deployment's root: a unit without a parent, highest level first, lowest code
/// first (广州市 4401 with the bundled data).
async fn root_unit(conn: &impl ConnectionTrait) -> ServiceResult<Option<UnitCode>> {
    let roots = super::scoped::unscoped::<unit::Entity>(
        "bootstrap: the deployment's root unit for the first administrator",
    )
    .filter(unit::Column::ParentCode.is_null())
    .order_by_asc(unit::Column::Code)
    .all(conn)
    .await?;
    Ok(roots
        .iter()
        .filter_map(|u| {
            Some((
                u.level.parse::<Level>().ok()?,
                UnitCode::parse(&u.code).ok()?,
            ))
        })
        .min_by(|a, b| a.cmp(b))
        .map(|(_, code)| code))
}

pub struct BootstrapOutcome {
    pub user: UserRecord,
    pub role: String,
    pub unit: UnitCode,
    pub generated_password: Option<String>,
}
