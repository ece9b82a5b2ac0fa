//! The audit log, as the caller may read it.

use async_graphql::{Context, Object, ID};

use crate::graphql::accounts::User;
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::scalars::Timestamp;
use crate::graphql::{opt_id, parse_under, GqlResult};
use crate::services::audit::AuditOrderField;
use crate::services::audit::{self, AuditFilter, AuditRecord};

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
        crate::graphql::accounts::user_of(ctx, self.0.actor_id).await
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

#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
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
        list(ctx, paging, AuditEntry, |cx, page, want_total| async move {
            let filter = AuditFilter {
                under: parse_under(under.as_deref())?,
                actor_id: opt_id(NodeKind::User, &actor_id)?,
                action,
                from: from.map(Into::into),
                to: to.map(Into::into),
                direction: OrderBy::pair(order_by).map(|(AuditOrderField::Time, d)| d),
            };
            audit::list(cx, &filter, &page, want_total).await
        })
        .await
    }
}
