//! Accounts, sessions, roles, access explanations and the audit log in GraphQL.

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use policies::UnitCode;

use crate::auth::TokenKeys;
use crate::error::{Problem, ServiceError};
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::loaders;
use crate::graphql::node::{global_id, NodeKind};
use crate::graphql::scalars::Timestamp;
use crate::graphql::units::{Unit, UnitLevel};
use crate::graphql::{access, id_of, load_unit, opt_id, parse_under, store, visible, GqlResult};
use crate::services::audit::AuditOrderField;
use crate::services::audit::{self, AuditFilter, AuditRecord};
use crate::services::auth as auth_service;
use crate::services::roles::{self, AssignmentFilter, AssignmentRecord, GrantInput};
use crate::services::users::{self, NewUser, UserFilter, UserRecord};
use crate::services::CreatedOrderField;
use crate::services::NameOrderField;

/// A resource protected by the policy.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PolicyResource {
    /// Administrative units (divisions).
    Unit,
    /// Staff accounts.
    User,
    /// Roles given to users at units.
    RoleAssignment,
    /// The audit log.
    AuditLog,
    /// Explanations of access decisions.
    Access,
    /// Organisations.
    Organization,
    /// Stations.
    Station,
    /// Volunteers.
    Volunteer,
    /// Volunteer teams.
    Team,
    /// Volunteer service projects.
    Project,
    /// Activities.
    Activity,
    /// Sign-ups and attendance.
    Signup,
    /// Service records (hours).
    ServiceRecord,
    /// Star ratings and their nominations.
    StarNomination,
    /// Service certificates.
    Certificate,
}

/// An action on a resource.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PolicyAction {
    /// See records.
    Read,
    /// Create records.
    Create,
    /// Change records.
    Update,
    /// Disable accounts.
    Disable,
    /// Grant roles or stars.
    Grant,
    /// Revoke roles or service records.
    Revoke,
    /// Ask why a user may or may not do something.
    Explain,
    /// See personal data unmasked (names, ID numbers, phones).
    ReadPersonal,
    /// Approve or reject submitted records (activities, hours, moves).
    Approve,
}

/// How far a role's permission reaches.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum PermissionScope {
    /// The unit the role is held at and everything below it.
    Subtree,
    /// The holder's own records.
    Own,
}

impl From<policies::Resource> for PolicyResource {
    fn from(r: policies::Resource) -> Self {
        use policies::Resource as R;
        match r {
            R::Unit => PolicyResource::Unit,
            R::User => PolicyResource::User,
            R::RoleAssignment => PolicyResource::RoleAssignment,
            R::AuditLog => PolicyResource::AuditLog,
            R::Access => PolicyResource::Access,
            R::Organization => PolicyResource::Organization,
            R::Station => PolicyResource::Station,
            R::Volunteer => PolicyResource::Volunteer,
            R::Team => PolicyResource::Team,
            R::Project => PolicyResource::Project,
            R::Activity => PolicyResource::Activity,
            R::Signup => PolicyResource::Signup,
            R::ServiceRecord => PolicyResource::ServiceRecord,
            R::StarNomination => PolicyResource::StarNomination,
            R::Certificate => PolicyResource::Certificate,
        }
    }
}

impl From<PolicyResource> for policies::Resource {
    fn from(r: PolicyResource) -> Self {
        use policies::Resource as R;
        match r {
            PolicyResource::Unit => R::Unit,
            PolicyResource::User => R::User,
            PolicyResource::RoleAssignment => R::RoleAssignment,
            PolicyResource::AuditLog => R::AuditLog,
            PolicyResource::Access => R::Access,
            PolicyResource::Organization => R::Organization,
            PolicyResource::Station => R::Station,
            PolicyResource::Volunteer => R::Volunteer,
            PolicyResource::Team => R::Team,
            PolicyResource::Project => R::Project,
            PolicyResource::Activity => R::Activity,
            PolicyResource::Signup => R::Signup,
            PolicyResource::ServiceRecord => R::ServiceRecord,
            PolicyResource::StarNomination => R::StarNomination,
            PolicyResource::Certificate => R::Certificate,
        }
    }
}

impl From<policies::Action> for PolicyAction {
    fn from(a: policies::Action) -> Self {
        use policies::Action as A;
        match a {
            A::Read => PolicyAction::Read,
            A::Create => PolicyAction::Create,
            A::Update => PolicyAction::Update,
            A::Disable => PolicyAction::Disable,
            A::Grant => PolicyAction::Grant,
            A::Revoke => PolicyAction::Revoke,
            A::Explain => PolicyAction::Explain,
            A::ReadPersonal => PolicyAction::ReadPersonal,
            A::Approve => PolicyAction::Approve,
        }
    }
}

impl From<PolicyAction> for policies::Action {
    fn from(a: PolicyAction) -> Self {
        use policies::Action as A;
        match a {
            PolicyAction::Read => A::Read,
            PolicyAction::Create => A::Create,
            PolicyAction::Update => A::Update,
            PolicyAction::Disable => A::Disable,
            PolicyAction::Grant => A::Grant,
            PolicyAction::Revoke => A::Revoke,
            PolicyAction::Explain => A::Explain,
            PolicyAction::ReadPersonal => A::ReadPersonal,
            PolicyAction::Approve => A::Approve,
        }
    }
}

/// A person who signs in to Kapok.
pub struct User(pub UserRecord);

/// A staff account of an office (区/街道/社区 worker), with roles at units.
#[Object]
impl User {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::User, self.0.id)
    }

    /// The sign-in name.
    async fn username(&self) -> &str {
        &self.0.username
    }

    /// The name shown in apps.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// Code of the unit the user belongs to.
    async fn unit_code(&self) -> &str {
        self.0.home_unit.as_str()
    }

    /// The unit the user works at.
    async fn home_unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.home_unit).await
    }

    /// Shown to callers who may read users there (field rule `User.disabled`).
    async fn disabled(&self, ctx: &Context<'_>) -> GqlResult<Option<bool>> {
        Ok(users::field_visible(access(ctx)?, "disabled", &self.0).then_some(self.0.disabled))
    }

    /// Live role assignments. Shown to the user and to callers who may read role
    /// assignments there (field rule `User.roles`).
    async fn roles(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<RoleAssignment>>> {
        let access = access(ctx)?;
        let own = access.user_id().ok() == Some(self.0.id);
        if !own && !users::field_visible(access, "roles", &self.0) {
            return Ok(None);
        }
        let list = loaders::children::<loaders::UserRoles>(ctx, self.0.id).await?;
        Ok(Some(list.into_iter().map(RoleAssignment).collect()))
    }

    /// When the account was created.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
}

/// One role held by one user at one unit.
pub struct RoleAssignment(pub AssignmentRecord);

/// A role a user holds at a unit (and below it), from when and until when.
#[Object]
impl RoleAssignment {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::RoleAssignment, self.0.id)
    }

    /// The role's name; its definition is `definition`.
    async fn role(&self) -> &str {
        &self.0.role
    }

    /// What the role allows, from the policy (null for a role the policy no longer
    /// defines).
    async fn definition(&self, ctx: &Context<'_>) -> GqlResult<Option<RoleDefinition>> {
        let policy = access(ctx)?.policy_arc();
        Ok(policy
            .role(&self.0.role)
            .map(|r| role_definition(&self.0.role, r)))
    }

    /// Division code of the unit the record belongs to.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }

    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }

    /// The holder, when the caller may see it.
    async fn user(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        crate::graphql::relations::user_of(ctx, Some(self.0.user_id)).await
    }

    /// When the role ends by itself, if it does.
    async fn expires_at(&self) -> Option<Timestamp> {
        self.0.expires_at.map(Into::into)
    }

    /// When it was granted.
    async fn granted_at(&self) -> Timestamp {
        self.0.created_at.into()
    }

    /// When it was revoked, if it was.
    async fn revoked_at(&self) -> Option<Timestamp> {
        self.0.revoked_at.map(Into::into)
    }
}

/// One audited event: a mutation or a sign-in attempt.
pub struct AuditEntry(pub AuditRecord);

/// One audited act: who did what, to which record, at which unit, from where and when (操作日志).
#[Object]
impl AuditEntry {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::AuditEntry, self.0.id)
    }

    /// The ID of the user who acted (absent for anonymous attempts and operators).
    async fn actor_id(&self) -> Option<ID> {
        self.0.actor_id.map(|a| global_id(NodeKind::User, a))
    }

    /// The user who acted, when the caller may see that user.
    async fn actor(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        crate::graphql::relations::user_of(ctx, self.0.actor_id).await
    }

    /// E.g. `role.grant`, `auth.login_failed`.
    async fn action(&self) -> &str {
        &self.0.action
    }

    /// The record acted on, as `kind:id`.
    async fn target(&self) -> Option<&str> {
        self.0.target.as_deref()
    }

    /// The unit where the act took effect.
    async fn unit_code(&self) -> Option<&str> {
        self.0.unit_code.as_deref()
    }

    /// What changed, as a JSON object (for updates: each field's `from` and `to`).
    async fn summary(&self) -> async_graphql::Json<serde_json::Value> {
        // Entries are written by us as JSON; one that is not (edited by hand) is
        // shown as its text rather than failing the page.
        async_graphql::Json(
            serde_json::from_str(&self.0.summary)
                .unwrap_or_else(|_| serde_json::Value::String(self.0.summary.clone())),
        )
    }

    /// The client's address as the server saw it.
    async fn client_addr(&self) -> Option<&str> {
        self.0.client_addr.as_deref()
    }

    /// The request's ID (the `x-request-id` response header), to find it in the logs.
    async fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// When it happened.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
}

/// What a role allows on one kind of record.
#[derive(SimpleObject)]
pub struct RolePermission {
    /// The kind of record.
    pub resource: PolicyResource,
    /// The actions allowed on it.
    pub actions: Vec<PolicyAction>,
    /// Where: in the whole subtree of the role's unit, or only the holder's own records.
    pub scope: PermissionScope,
}

/// A role as the policy defines it.
#[derive(SimpleObject)]
pub struct RoleDefinition {
    /// The role's name, as `grantRole` takes it.
    pub name: String,
    /// What the role is for, from the policy.
    pub description: String,
    /// Levels the role may be held at.
    pub levels: Vec<UnitLevel>,
    /// Higher ranks may grant lower ones (per `grantable`).
    pub rank: i32,
    /// What the role allows.
    pub permissions: Vec<RolePermission>,
    /// Roles a holder may grant.
    pub grantable: Vec<String>,
}

/// One action on one kind of record.
#[derive(SimpleObject)]
pub struct Permission {
    /// The kind of record.
    pub resource: PolicyResource,
    /// The action.
    pub action: PolicyAction,
}

/// A decision with its reasons.
#[derive(SimpleObject)]
pub struct AccessExplanation {
    /// Whether the action is allowed.
    pub allowed: bool,
    /// Why, in the policy's words: the role and rule that allow it, or why nothing does.
    pub reason: String,
    /// The assignment that decided, when one did.
    pub assignment: Option<RoleAssignment>,
}

/// The question to explain: may this user do this action on this resource at this unit?
#[derive(InputObject)]
pub struct ExplainAccessInput {
    /// The user asked about.
    pub user_id: ID,
    /// The kind of record.
    pub resource: PolicyResource,
    /// The action.
    pub action: PolicyAction,
    /// Division code of the unit where the record would be.
    pub unit_code: String,
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<User> {
        users::me(store(ctx)?, access(ctx)?)
            .await
            .map(User)
            .map_err(|e| e.extend())
    }

    /// Users the caller may see, by id; `under` keeps users whose home unit is in
    /// that subtree; `search` matches usernames and display names.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only users whose username or display name contains this text.")]
        search: Option<String>,
        #[graphql(desc = "Sort order; left out, oldest first.")] order_by: Option<
            OrderBy<NameOrderField>,
        >,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end (with `before`): 20 when left out, at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return the items before this cursor (the next page's `pageInfo.startCursor`), paging backwards."
        )]
        before: Option<String>,
    ) -> GqlResult<Connection<User>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            User,
            |store, access, page, want_total| async move {
                let filter = UserFilter {
                    under: parse_under(under.as_deref())?,
                    search,
                };
                users::list(
                    store,
                    access,
                    &filter,
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
        .await
    }

    /// The user with this ID; null when it does not exist or the caller may not
    /// see it.
    async fn user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The user's global ID.")] id: ID,
    ) -> GqlResult<Option<User>> {
        let raw = id_of(NodeKind::User, &id).map_err(|e| e.extend())?;
        Ok(visible(users::get(store(ctx)?, access(ctx)?, raw).await)?.map(User))
    }

    /// Live role assignments the caller may see.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn role_assignments(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only assignments of this role.")] role: Option<String>,
        #[graphql(desc = "Only this user's assignments.")] user_id: Option<ID>,
        #[graphql(desc = "Sort order; left out, oldest first.")] order_by: Option<
            OrderBy<CreatedOrderField>,
        >,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end (with `before`): 20 when left out, at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return the items before this cursor (the next page's `pageInfo.startCursor`), paging backwards."
        )]
        before: Option<String>,
    ) -> GqlResult<Connection<RoleAssignment>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            RoleAssignment,
            |store, access, page, want_total| async move {
                let filter = AssignmentFilter {
                    under: parse_under(under.as_deref())?,
                    role,
                    user_id: opt_id(NodeKind::User, &user_id)?,
                };
                roles::list(
                    store,
                    access,
                    &filter,
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
        .await
    }

    /// The roles the policy defines.
    async fn roles(&self, ctx: &Context<'_>) -> GqlResult<Vec<RoleDefinition>> {
        let policy = access(ctx)?.policy_arc();
        Ok(role_definitions(&policy))
    }

    /// The roles the caller may grant at a unit (highest rank first), for an admin
    /// app's "grant a role" form.
    async fn grantable_roles(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Division code of the unit where the role would be granted.")]
        unit_code: String,
    ) -> GqlResult<Vec<GrantableRole>> {
        let unit = UnitCode::parse(&unit_code)
            .map_err(|e| ServiceError::from(Problem::from(e).at("unitCode")).extend())?;
        let access = access(ctx)?;
        let list = roles::grantable_at(access, &unit).map_err(|e| e.extend())?;
        let policy = access.policy_arc();
        Ok(list
            .into_iter()
            .filter_map(|(role, until)| {
                Some(GrantableRole {
                    role: role_definition(&role, policy.role(&role)?),
                    until: until.map(Into::into),
                })
            })
            .collect())
    }

    /// What the caller may do at a unit, so apps can show or hide actions.
    async fn my_permissions(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Division code of the unit asked about.")] unit_code: String,
    ) -> GqlResult<Vec<Permission>> {
        let unit = UnitCode::parse(&unit_code)
            .map_err(|e| ServiceError::from(Problem::from(e).at("unitCode")).extend())?;
        let list = roles::permissions_at(access(ctx)?, &unit).map_err(|e| e.extend())?;
        Ok(list
            .into_iter()
            .map(|(r, a)| Permission {
                resource: r.into(),
                action: a.into(),
            })
            .collect())
    }

    /// Why a user may or may not do something at a unit (for admins, within scope).
    async fn explain_access(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ExplainAccessInput,
    ) -> GqlResult<AccessExplanation> {
        let user = id_of(NodeKind::User, &input.user_id).map_err(|e| e.extend())?;
        let resource: policies::Resource = input.resource.into();
        let action: policies::Action = input.action.into();
        let e = roles::explain(
            store(ctx)?,
            access(ctx)?,
            user,
            resource.as_str(),
            action.as_str(),
            &input.unit_code,
        )
        .await
        .map_err(|e| e.extend())?;
        Ok(AccessExplanation {
            allowed: e.allowed,
            reason: e.reason,
            assignment: e.assignment.map(RoleAssignment),
        })
    }

    /// Audit entries the caller may read, newest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn audit_log(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only acts of this user.")] actor_id: Option<ID>,
        #[graphql(desc = "Only this action, e.g. `role.grant`.")] action: Option<String>,
        #[graphql(desc = "Only entries made at or after this time.")] from: Option<Timestamp>,
        #[graphql(desc = "Only entries made before this time.")] to: Option<Timestamp>,
        #[graphql(desc = "Sort order; left out, newest first.")] order_by: Option<
            OrderBy<AuditOrderField>,
        >,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
        #[graphql(
            desc = "How many items to return from the end (with `before`): 20 when left out, at most 100."
        )]
        last: Option<i32>,
        #[graphql(
            desc = "Return the items before this cursor (the next page's `pageInfo.startCursor`), paging backwards."
        )]
        before: Option<String>,
    ) -> GqlResult<Connection<AuditEntry>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            AuditEntry,
            |store, access, page, want_total| async move {
                let filter = AuditFilter {
                    under: parse_under(under.as_deref())?,
                    actor_id: opt_id(NodeKind::User, &actor_id)?,
                    action,
                    from: from.map(Into::into),
                    to: to.map(Into::into),
                    direction: OrderBy::pair(order_by).map(|(AuditOrderField::Time, d)| d),
                };
                audit::list(store, access, &filter, &page, want_total).await
            },
        )
        .await
    }
}

fn role_definitions(policy: &Arc<policies::Policy>) -> Vec<RoleDefinition> {
    policy
        .role_names()
        .iter()
        .filter_map(|name| policy.role(name).map(|r| role_definition(name, r)))
        .collect()
}

fn role_definition(name: &str, r: &policies::Role) -> RoleDefinition {
    RoleDefinition {
        name: name.to_owned(),
        description: r.description.clone(),
        levels: r.levels.iter().map(|l| (*l).into()).collect(),
        rank: r.rank as i32,
        permissions: r
            .permissions
            .iter()
            .map(|p| RolePermission {
                resource: p.resource.into(),
                actions: p.actions.iter().map(|a| (*a).into()).collect(),
                scope: match p.scope {
                    policies::Reach::Subtree => PermissionScope::Subtree,
                    policies::Reach::Own => PermissionScope::Own,
                },
            })
            .collect(),
        grantable: r.grantable.clone(),
    }
}

/// Give a user a one-time password; all their sessions end.
#[derive(InputObject)]
pub struct ResetPasswordInput {
    /// The user's global ID.
    pub user_id: ID,
}

/// The result of `resetPassword`.
#[derive(SimpleObject)]
pub struct ResetPasswordPayload {
    /// The user whose password was reset.
    pub user: User,
    /// Hand it to the user once; it must be changed at the next sign-in.
    pub temporary_password: String,
}

/// A role the caller may grant at a unit, and until when.
#[derive(SimpleObject)]
pub struct GrantableRole {
    /// The role and what it allows.
    pub role: RoleDefinition,
    /// The latest expiry a grant may have (the grantor's own role expires then);
    /// null: no limit.
    pub until: Option<Timestamp>,
}

/// Sign in with a username and password.
#[derive(InputObject)]
pub struct LoginInput {
    /// The sign-in name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// Trade a refresh token for a new access token.
#[derive(InputObject)]
pub struct RefreshSessionInput {
    /// The refresh token from the last sign-in or refresh (each works once).
    pub refresh_token: String,
}

/// End a session.
#[derive(InputObject, Default)]
pub struct LogoutInput {
    /// Sign out every session of the user, not just this one.
    #[graphql(default = false)]
    pub all_sessions: bool,
}

/// A signed-in session: its tokens and the user.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// A JWT for `Authorization: Bearer …`.
    pub access_token: String,
    /// Single use: exchange it with `refreshSession` for a new pair.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i32,
    /// The signed-in user.
    pub user: User,
    /// The password was a one-time password set by an administrator: this session
    /// can only `changePassword` (everything else is FORBIDDEN with reason
    /// `PASSWORD_CHANGE_REQUIRED`) or `logout`.
    pub password_change_required: bool,
}

/// The result of `logout`.
#[derive(SimpleObject)]
pub struct LogoutPayload {
    /// True when a session was ended.
    pub signed_out: bool,
}

fn auth_payload(t: auth_service::Tokens) -> AuthPayload {
    AuthPayload {
        access_token: t.access_token,
        refresh_token: t.refresh_token,
        expires_in: i32::try_from(t.expires_in).unwrap_or(i32::MAX),
        user: User(t.user),
        password_change_required: t.password_change_required,
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in. A wrong username and a wrong password give the same error.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: LoginInput,
    ) -> GqlResult<AuthPayload> {
        let keys = ctx.data::<Arc<TokenKeys>>()?;
        let rules = ctx.data::<crate::services::throttle::ThrottleRules>()?;
        auth_service::login(
            store(ctx)?,
            keys,
            rules,
            access(ctx)?,
            &input.username,
            input.password,
        )
        .await
        .map(auth_payload)
        .map_err(|e| e.extend())
    }

    /// Exchanges a refresh token for a new access token and refresh token.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RefreshSessionInput,
    ) -> GqlResult<AuthPayload> {
        let keys = ctx.data::<Arc<TokenKeys>>()?;
        auth_service::refresh(store(ctx)?, keys, access(ctx)?, &input.refresh_token)
            .await
            .map(auth_payload)
            .map_err(|e| e.extend())
    }

    /// Ends this session (or all of the user's sessions).
    async fn logout(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "What to do; each field is described on the input type.",
            default
        )]
        input: LogoutInput,
    ) -> GqlResult<LogoutPayload> {
        auth_service::logout(store(ctx)?, access(ctx)?, input.all_sessions)
            .await
            .map_err(|e| e.extend())?;
        Ok(LogoutPayload { signed_out: true })
    }
}

/// A new staff account.
#[derive(InputObject)]
pub struct CreateUserInput {
    /// Sign-in name: 3 to 64 lowercase letters, digits, `_`, `.` or `-`.
    pub username: String,
    /// Initial password, 8 to 128 characters.
    pub password: String,
    /// The name shown in apps.
    pub display_name: String,
    /// Division code of the unit the user works at.
    pub home_unit_code: String,
}

/// The result of `createUser`.
#[derive(SimpleObject)]
pub struct CreateUserPayload {
    /// The new user.
    pub user: User,
}

/// Give a user a role at a unit.
#[derive(InputObject)]
pub struct GrantRoleInput {
    /// The user's global ID.
    pub user_id: ID,
    /// The role's name (see `roles` or `grantableRoles`).
    pub role: String,
    /// Division code of the unit the role applies at (and below).
    pub unit_code: String,
    /// When the role ends; left out, it lasts until revoked (or until the grantor's own role ends).
    pub expires_at: Option<Timestamp>,
}

/// The result of `grantRole`.
#[derive(SimpleObject)]
pub struct GrantRolePayload {
    /// The new role assignment.
    pub assignment: RoleAssignment,
}

/// End a role assignment now.
#[derive(InputObject)]
pub struct RevokeRoleInput {
    /// The role assignment's global ID.
    pub assignment_id: ID,
}

/// The result of `revokeRole`.
#[derive(SimpleObject)]
pub struct RevokeRolePayload {
    /// The assignment, now revoked.
    pub assignment: RoleAssignment,
}

/// Changes to an account; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateUserInput {
    /// The user's global ID.
    pub id: ID,
    /// A new display name.
    pub display_name: Option<String>,
    /// The unit the account belongs to (its home unit).
    pub home_unit_code: Option<String>,
}

/// The result of `updateUser`.
#[derive(SimpleObject)]
pub struct UpdateUserPayload {
    /// The user as it is now.
    pub user: User,
}

/// Disable or re-enable a staff account; disabling ends its sessions.
#[derive(InputObject)]
pub struct SetUserDisabledInput {
    /// The user's global ID.
    pub user_id: ID,
    /// True to disable, false to enable.
    pub disabled: bool,
}

/// The result of `setUserDisabled`.
#[derive(SimpleObject)]
pub struct SetUserDisabledPayload {
    /// The user as it is now.
    pub user: User,
}

/// Change the caller's own password.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The password now in use.
    pub current_password: String,
    /// The new password, 8 to 128 characters.
    pub new_password: String,
}

/// The result of `changePassword`.
#[derive(SimpleObject)]
pub struct ChangePasswordPayload {
    /// The user whose password changed.
    pub user: User,
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Create a staff account at a unit in the caller's scope.
    async fn create_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CreateUserInput,
    ) -> GqlResult<CreateUserPayload> {
        let new = NewUser {
            username: input.username,
            password: input.password,
            display_name: input.display_name,
            home_unit_code: input.home_unit_code,
        };
        users::create(store(ctx)?, access(ctx)?, new)
            .await
            .map(|u| CreateUserPayload { user: User(u) })
            .map_err(|e| e.extend())
    }

    /// Grants a role, within the delegation rules (refusals say which rule).
    async fn grant_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: GrantRoleInput,
    ) -> GqlResult<GrantRolePayload> {
        let user_id = id_of(NodeKind::User, &input.user_id).map_err(|e| e.extend())?;
        let grant = GrantInput {
            user_id,
            role: input.role,
            unit_code: input.unit_code,
            expires_at: input.expires_at.map(Into::into),
        };
        roles::grant(store(ctx)?, access(ctx)?, grant)
            .await
            .map(|a| GrantRolePayload {
                assignment: RoleAssignment(a),
            })
            .map_err(|e| e.extend())
    }

    /// End a role assignment the caller may revoke.
    async fn revoke_role(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RevokeRoleInput,
    ) -> GqlResult<RevokeRolePayload> {
        let id = id_of(NodeKind::RoleAssignment, &input.assignment_id).map_err(|e| e.extend())?;
        roles::revoke(store(ctx)?, access(ctx)?, id)
            .await
            .map(|a| RevokeRolePayload {
                assignment: RoleAssignment(a),
            })
            .map_err(|e| e.extend())
    }

    /// Changes an account: anyone their own display name; `user.update` over the user
    /// for someone else's; moving a user to another home unit needs `user.update` at
    /// both units and the power to grant every role the user holds.
    async fn update_user(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateUserInput,
    ) -> GqlResult<UpdateUserPayload> {
        let id = id_of(NodeKind::User, &input.id).map_err(|e| e.extend())?;
        let changes = users::UserChanges {
            display_name: input.display_name,
            home_unit_code: input.home_unit_code,
        };
        users::update(store(ctx)?, access(ctx)?, id, changes)
            .await
            .map(|u| UpdateUserPayload { user: User(u) })
            .map_err(|e| e.extend())
    }

    /// Disable or re-enable a staff account; disabling ends its sessions at once.
    async fn set_user_disabled(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: SetUserDisabledInput,
    ) -> GqlResult<SetUserDisabledPayload> {
        let id = id_of(NodeKind::User, &input.user_id).map_err(|e| e.extend())?;
        users::set_disabled(store(ctx)?, access(ctx)?, id, input.disabled)
            .await
            .map(|u| SetUserDisabledPayload { user: User(u) })
            .map_err(|e| e.extend())
    }

    /// Sets a one-time password for a user the caller manages (`user.update` over the
    /// user, and the power to grant every role it holds). All of the user's sessions
    /// end; the one-time password only lets the user choose a new one. It is shown
    /// here once and stored nowhere but as a hash.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ResetPasswordInput,
    ) -> GqlResult<ResetPasswordPayload> {
        let id = id_of(NodeKind::User, &input.user_id).map_err(|e| e.extend())?;
        users::reset_password(store(ctx)?, access(ctx)?, id)
            .await
            .map(|(u, password)| ResetPasswordPayload {
                user: User(u),
                temporary_password: password,
            })
            .map_err(|e| e.extend())
    }

    /// Changes the caller's password; other sessions are signed out.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ChangePasswordInput,
    ) -> GqlResult<ChangePasswordPayload> {
        users::change_password(
            store(ctx)?,
            access(ctx)?,
            input.current_password,
            input.new_password,
        )
        .await
        .map(|u| ChangePasswordPayload { user: User(u) })
        .map_err(|e| e.extend())
    }
}
