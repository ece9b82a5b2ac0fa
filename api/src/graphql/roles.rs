//! Roles: the policy's role definitions, role assignments, grants and access explanations.

use std::sync::Arc;

use async_graphql::{Context, Enum, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use policies::UnitCode;

use crate::error::{Problem, ServiceError};
use crate::graphql::accounts::User;
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::scalars::Timestamp;
use crate::graphql::units::{Unit, UnitLevel};
use crate::graphql::{access, cx_of, id_of, load_unit, opt_id, parse_under, GqlResult};
use crate::services::roles::{self, AssignmentFilter, AssignmentRecord, GrantInput};
use crate::services::CreatedOrderField;

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
    /// Community charity funds.
    Fund,
    /// Donations and their receipts.
    Donation,
    /// Money paid out of funds.
    Disbursement,
    /// Published disclosure reports (`create` publishes).
    Disclosure,
    /// Help requests (微心愿): `approve` verifies, publishes, declines and closes.
    HelpRequest,
    /// Time-bank accounts: `update` spends, gives and donates coins.
    TimeAccount,
    /// Charity supermarkets: stock, sales, households in difficulty.
    Supermarket,
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
    /// Approve or reject submitted records (activities, hours, moves, help requests).
    Approve,
    /// See the public listing of published records, without the people in them.
    Browse,
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
            R::Fund => PolicyResource::Fund,
            R::Donation => PolicyResource::Donation,
            R::Disbursement => PolicyResource::Disbursement,
            R::Disclosure => PolicyResource::Disclosure,
            R::HelpRequest => PolicyResource::HelpRequest,
            R::TimeAccount => PolicyResource::TimeAccount,
            R::Supermarket => PolicyResource::Supermarket,
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
            PolicyResource::Fund => R::Fund,
            PolicyResource::Donation => R::Donation,
            PolicyResource::Disbursement => R::Disbursement,
            PolicyResource::Disclosure => R::Disclosure,
            PolicyResource::HelpRequest => R::HelpRequest,
            PolicyResource::TimeAccount => R::TimeAccount,
            PolicyResource::Supermarket => R::Supermarket,
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
            A::Browse => PolicyAction::Browse,
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
            PolicyAction::Browse => A::Browse,
        }
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
        crate::graphql::accounts::user_of(ctx, Some(self.0.user_id)).await
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

/// A role the caller may grant at a unit, and until when.
#[derive(SimpleObject)]
pub struct GrantableRole {
    /// The role and what it allows.
    pub role: RoleDefinition,
    /// The latest expiry a grant may have (the grantor's own role expires then);
    /// null: no limit.
    pub until: Option<Timestamp>,
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

#[derive(Default)]
pub struct RoleQuery;

#[Object]
impl RoleQuery {
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
            |cx, page, want_total| async move {
                let filter = AssignmentFilter {
                    under: parse_under(under.as_deref())?,
                    role,
                    user_id: opt_id(NodeKind::User, &user_id)?,
                };
                roles::list(cx, &filter, OrderBy::pair(order_by), &page, want_total).await
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
        let cx = cx_of(ctx)?;
        let list = roles::grantable_at(cx, &unit).map_err(|e| e.extend())?;
        let policy = cx.access().policy_arc();
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
        let list = roles::permissions_at(cx_of(ctx)?, &unit).map_err(|e| e.extend())?;
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
            cx_of(ctx)?,
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
}

#[derive(Default)]
pub struct RoleMutation;

#[Object]
impl RoleMutation {
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
        roles::grant(cx_of(ctx)?, grant)
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
        roles::revoke(cx_of(ctx)?, id)
            .await
            .map(|a| RevokeRolePayload {
                assignment: RoleAssignment(a),
            })
            .map_err(|e| e.extend())
    }
}
