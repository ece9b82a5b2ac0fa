//! Who is asking, in what request, under which policy.

use std::sync::Arc;

use policies::{Action, Decision, Policy, Principal, Resource, UnitCode};
use sea_orm::DbErr;

use crate::error::{Problem, Reason, ServiceError, ServiceResult};

#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    pub client_addr: Option<String>,
    pub request_id: String,
}

#[derive(Debug, Clone)]
enum AuthState {
    Anonymous,
    SignedIn {
        session_id: i64,
        /// The password was reset by an administrator: nothing but changing it
        /// (and signing out) is allowed until it is.
        must_change_password: bool,
    },
    /// A token was sent and is not valid (bad signature, expired, revoked session,
    /// disabled user): the request is refused, not downgraded to anonymous.
    Rejected(Reason),
    /// The token could not be checked because the database failed.
    Unavailable,
}

/// The caller of one request: principal, policy and request metadata.
#[derive(Debug, Clone)]
pub struct Access {
    principal: Arc<Principal>,
    policy: Arc<Policy>,
    meta: RequestMeta,
    state: AuthState,
}

impl Access {
    pub fn anonymous(policy: Arc<Policy>, meta: RequestMeta) -> Access {
        Access {
            principal: Arc::new(Principal::anonymous(chrono::Utc::now().timestamp())),
            policy,
            meta,
            state: AuthState::Anonymous,
        }
    }

    pub fn signed_in(
        policy: Arc<Policy>,
        meta: RequestMeta,
        principal: Principal,
        session_id: i64,
        must_change_password: bool,
    ) -> Access {
        Access {
            principal: Arc::new(principal),
            policy,
            meta,
            state: AuthState::SignedIn {
                session_id,
                must_change_password,
            },
        }
    }

    pub fn rejected(policy: Arc<Policy>, meta: RequestMeta, reason: Reason) -> Access {
        Access {
            state: AuthState::Rejected(reason),
            ..Access::anonymous(policy, meta)
        }
    }

    pub fn unavailable(policy: Arc<Policy>, meta: RequestMeta) -> Access {
        Access {
            state: AuthState::Unavailable,
            ..Access::anonymous(policy, meta)
        }
    }

    /// Fails when the request's token was refused or could not be checked.
    fn token_checked(&self) -> ServiceResult<()> {
        match &self.state {
            AuthState::Anonymous | AuthState::SignedIn { .. } => Ok(()),
            AuthState::Rejected(reason) => Err(ServiceError::from(*reason)),
            AuthState::Unavailable => Err(ServiceError::Database(DbErr::Custom(
                "could not check the access token".into(),
            ))),
        }
    }

    /// The principal to decide with. Fails when the request's token was refused, and
    /// for a user who must first replace a one-time password.
    pub fn principal(&self) -> ServiceResult<&Principal> {
        self.token_checked()?;
        if let AuthState::SignedIn {
            must_change_password: true,
            ..
        } = self.state
        {
            return Err(ServiceError::PasswordChangeRequired);
        }
        Ok(&self.principal)
    }

    /// The signed-in user, or UNAUTHENTICATED. Available to a user who must change
    /// its password (that is what `changePassword` and `logout` need).
    pub fn user_id(&self) -> ServiceResult<i64> {
        self.token_checked()?;
        self.principal
            .user_id
            .ok_or_else(|| ServiceError::from(Reason::SIGN_IN_REQUIRED))
    }

    pub fn session_id(&self) -> ServiceResult<i64> {
        self.token_checked()?;
        match self.state {
            AuthState::SignedIn { session_id, .. } => Ok(session_id),
            _ => Err(ServiceError::from(Reason::SIGN_IN_REQUIRED)),
        }
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn policy_arc(&self) -> Arc<Policy> {
        self.policy.clone()
    }

    pub fn meta(&self) -> &RequestMeta {
        &self.meta
    }

    /// The actor recorded in audit entries (none for anonymous callers).
    pub fn actor(&self) -> Option<i64> {
        self.principal.user_id
    }

    pub fn check(
        &self,
        resource: Resource,
        action: Action,
        unit: &UnitCode,
    ) -> ServiceResult<Decision<'_>> {
        Ok(policies::check(
            &self.policy,
            self.principal()?,
            resource,
            action,
            unit,
        ))
    }

    /// Like [`Access::check`] for a row that may belong to a user (`owner`), so an
    /// "own" permission counts too.
    pub fn check_for(
        &self,
        resource: Resource,
        action: Action,
        unit: &UnitCode,
        owner: Option<i64>,
    ) -> ServiceResult<Decision<'_>> {
        let principal = self.principal()?;
        Ok(match owner {
            Some(owner) => {
                policies::check_owned(&self.policy, principal, resource, action, unit, owner)
            }
            None => policies::check(&self.policy, principal, resource, action, unit),
        })
    }

    /// Like [`Access::check`], counting only roles held at `level` or above: a
    /// reviewer or a star grant must come from the office above the unit.
    pub fn check_from_level(
        &self,
        resource: Resource,
        action: Action,
        unit: &UnitCode,
        level: policies::Level,
    ) -> ServiceResult<Decision<'_>> {
        Ok(policies::check_from_level(
            &self.policy,
            self.principal()?,
            resource,
            action,
            unit,
            level,
        ))
    }

    /// Where the caller may `action` on `resource`: the subtrees and, for owned rows,
    /// the caller itself. Reads are scoped by this (see `scoped`).
    pub fn plan(&self, resource: Resource, action: Action) -> ServiceResult<policies::Scope<'_>> {
        Ok(policies::plan(
            &self.policy,
            self.principal()?,
            resource,
            action,
        ))
    }

    /// Whether a field guarded by a field rule may be shown for a row at `unit`; an
    /// unguarded field is shown, and so is nothing to a refused caller.
    pub fn field_allowed(
        &self,
        type_name: &str,
        field: &str,
        unit: &UnitCode,
        owner: Option<i64>,
    ) -> bool {
        let Ok(principal) = self.principal() else {
            return false;
        };
        policies::field_allowed(&self.policy, principal, type_name, field, unit, owner)
            .is_none_or(|d| d.allowed())
    }

    /// May the caller grant `role` at `unit` to `grantee`, until `expires_at`?
    pub fn can_grant(
        &self,
        grantee: i64,
        role: &str,
        unit: &UnitCode,
        expires_at: Option<i64>,
    ) -> ServiceResult<Decision<'_>> {
        Ok(policies::can_grant(
            &self.policy,
            self.principal()?,
            grantee,
            role,
            unit,
            expires_at,
        ))
    }

    /// May the caller revoke `grantee`'s `role` at `unit`?
    pub fn can_revoke(
        &self,
        grantee: i64,
        role: &str,
        unit: &UnitCode,
    ) -> ServiceResult<Decision<'_>> {
        Ok(policies::can_revoke(
            &self.policy,
            self.principal()?,
            grantee,
            role,
            unit,
        ))
    }

    /// The decision the policy would make for another principal (`explainAccess`).
    pub fn decide_for<'p>(
        &self,
        principal: &'p Principal,
        resource: Resource,
        action: Action,
        unit: &UnitCode,
    ) -> Decision<'p> {
        policies::check(&self.policy, principal, resource, action, unit)
    }

    /// The roles the caller could grant at `unit` and the latest expiry of each grant
    /// (epoch seconds; `None`: no limit).
    pub fn grantable_roles(&self, unit: &UnitCode) -> ServiceResult<Vec<(String, Option<i64>)>> {
        Ok(
            policies::grantable_roles(&self.policy, self.principal()?, unit)
                .into_iter()
                .map(|(role, until, _)| (role, until))
                .collect(),
        )
    }

    /// FORBIDDEN unless the caller could grant every role in `held` (the roles of a
    /// user it wants to manage); see [`policies::can_manage`].
    pub fn require_manage(&self, user: i64, held: &[(String, UnitCode)]) -> ServiceResult<()> {
        match policies::can_manage(&self.policy, self.principal()?, user, held) {
            Some(decision) => self.enforce(&decision),
            None => Ok(()),
        }
    }

    /// Ok when `decision` allows; otherwise UNAUTHENTICATED for anonymous callers and
    /// FORBIDDEN, with the engine's reason, for everyone else.
    pub fn enforce(&self, decision: &Decision<'_>) -> ServiceResult<()> {
        if decision.allowed() {
            return Ok(());
        }
        if self.principal.user_id.is_none() {
            return Err(ServiceError::from(Reason::SIGN_IN_REQUIRED));
        }
        Err(ServiceError::from(denied(decision)))
    }

    /// Like [`Access::require`] for a row that may belong to a user (`owner`).
    pub fn require_for(
        &self,
        resource: Resource,
        action: Action,
        unit: &UnitCode,
        owner: Option<i64>,
    ) -> ServiceResult<()> {
        self.enforce(&self.check_for(resource, action, unit, owner)?)
    }

    /// FORBIDDEN, with the engine's reason, unless allowed at `unit`.
    pub fn require(
        &self,
        resource: Resource,
        action: Action,
        unit: &UnitCode,
    ) -> ServiceResult<()> {
        self.require_for(resource, action, unit, None)
    }
}

/// A refused decision as a [`Problem`]: the denial's kind is the reason, its details
/// the message's values.
pub(crate) fn denied(decision: &Decision<'_>) -> Problem {
    use policies::{Denial, Outcome};
    let permission = format!("{}.{}", decision.resource, decision.action);
    let Outcome::Denied(denial) = &decision.outcome else {
        // An allowed decision is never refused; should one reach here, refuse plainly.
        return Reason::NOT_PERMITTED.arg("permission", permission);
    };
    match denial {
        Denial::NoPermission => Reason::NOT_PERMITTED.arg("permission", permission),
        Denial::Anonymous => Reason::SIGN_IN_REQUIRED.into(),
        Denial::SelfGrant => Reason::SELF_GRANT.into(),
        Denial::UnknownRole(role) => Reason::UNKNOWN_ROLE.at("role").arg("role", role),
        Denial::LevelNotAllowed { role, level } => Reason::ROLE_LEVEL_NOT_ALLOWED
            .at("role")
            .arg("role", role)
            .arg("level", level),
        Denial::NotGrantable { role, by } => {
            Reason::ROLE_NOT_GRANTABLE.arg("role", role).arg("by", by)
        }
        Denial::RankNotLower { role, by } => {
            Reason::ROLE_RANK_NOT_LOWER.arg("role", role).arg("by", by)
        }
        Denial::OutlivesGrantor { role } => Reason::OUTLIVES_GRANTOR.arg("role", role),
        Denial::OutsideSubtree { unit } => Reason::OUTSIDE_SUBTREE.arg("unit", unit),
        Denial::LevelTooLow { needed } => Reason::LEVEL_TOO_LOW
            .arg("permission", permission)
            .arg("level", needed),
        Denial::HoldsStrongerRole { role, unit, .. } => Reason::HOLDS_STRONGER_ROLE
            .arg("role", role)
            .arg("unit", unit),
    }
}
