//! Accounts: users, signing in and out, sessions and passwords.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};

use crate::auth::TokenKeys;
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::roles::RoleAssignment;
use crate::graphql::scalars::Timestamp;
use crate::graphql::units::Unit;
use crate::graphql::{cx_of, id_of, load_unit, parse_under, visible, GqlResult};
use crate::services::auth as auth_service;
use crate::services::users::{self, NewUser, UserFilter, UserRecord};
use crate::services::NameOrderField;

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
        Ok(users::field_visible(cx_of(ctx)?, "disabled", &self.0).then_some(self.0.disabled))
    }

    /// Live role assignments. Shown to the user and to callers who may read role
    /// assignments there (field rule `User.roles`).
    async fn roles(&self, ctx: &Context<'_>) -> GqlResult<Option<Vec<RoleAssignment>>> {
        let cx = cx_of(ctx)?;
        let own = cx.access().user_id().ok() == Some(self.0.id);
        if !own && !users::field_visible(cx, "roles", &self.0) {
            return Ok(None);
        }
        let list = loaders::load::<loaders::UserRoles>(ctx, self.0.id)
            .await?
            .unwrap_or_default();
        Ok(Some(list.into_iter().map(RoleAssignment).collect()))
    }

    /// When the account was created.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
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
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// The signed-in user.
    async fn me(&self, ctx: &Context<'_>) -> GqlResult<User> {
        users::me(cx_of(ctx)?)
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
        list(ctx, paging, User, |cx, page, want_total| async move {
            let filter = UserFilter {
                under: parse_under(under.as_deref())?,
                search,
            };
            users::list(cx, &filter, OrderBy::pair(order_by), &page, want_total).await
        })
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
        Ok(visible(users::get(cx_of(ctx)?, raw).await)?.map(User))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Signs in. A wrong username and a wrong password give the same error.
    async fn login(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: LoginInput,
    ) -> GqlResult<AuthPayload> {
        let keys = ctx.data::<Arc<TokenKeys>>()?;
        let rules = ctx.data::<crate::services::throttle::ThrottleRules>()?;
        auth_service::login(cx_of(ctx)?, keys, rules, &input.username, input.password)
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
        auth_service::refresh(cx_of(ctx)?, keys, &input.refresh_token)
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
        auth_service::logout(cx_of(ctx)?, input.all_sessions)
            .await
            .map_err(|e| e.extend())?;
        Ok(LogoutPayload { signed_out: true })
    }
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
        users::create(cx_of(ctx)?, new)
            .await
            .map(|u| CreateUserPayload { user: User(u) })
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
        users::update(cx_of(ctx)?, id, changes)
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
        users::set_disabled(cx_of(ctx)?, id, input.disabled)
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
        users::reset_password(cx_of(ctx)?, id)
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
        users::change_password(cx_of(ctx)?, input.current_password, input.new_password)
            .await
            .map(|u| ChangePasswordPayload { user: User(u) })
            .map_err(|e| e.extend())
    }
}

/// The user with `id` through the request's loader (none when out of reach).
pub(crate) async fn user_of(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<User>> {
    Ok(loaders::load_opt::<loaders::Users>(ctx, id)
        .await?
        .map(User))
}
