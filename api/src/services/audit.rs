//! The audit log: append-only. Entries are written by services inside the
//! transaction of the change they record; there is no update or delete path.

use entity::audit_log;
use policies::{Action, UnitCode};
use sea_orm::sea_query::Order;
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::error::ServiceResult;
use crate::pagination::{Page, PageRequest};
use crate::services::access::Access;
use crate::services::{ranges, scoped, Store};

#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub action: String,
    pub target: Option<String>,
    pub unit_code: Option<String>,
    pub summary: String,
    pub client_addr: Option<String>,
    pub request_id: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<audit_log::Model> for AuditRecord {
    fn from(m: audit_log::Model) -> Self {
        AuditRecord {
            id: m.id,
            actor_id: m.actor_id,
            action: m.action,
            target: m.target,
            unit_code: m.unit_code,
            summary: m.summary,
            client_addr: m.client_addr,
            request_id: m.request_id,
            created_at: m.created_at,
        }
    }
}

/// One change to record.
pub(super) struct Entry<'a> {
    pub action: &'a str,
    pub target: Option<String>,
    pub unit: Option<&'a UnitCode>,
    pub summary: Value,
}

pub(super) async fn record(
    conn: &impl ConnectionTrait,
    access: &Access,
    actor: Option<i64>,
    entry: Entry<'_>,
) -> ServiceResult<()> {
    let meta = access.meta();
    audit_log::Entity::insert(audit_log::ActiveModel {
        actor_id: Set(actor),
        action: Set(entry.action.to_owned()),
        target: Set(entry.target),
        unit_code: Set(entry.unit.map(|u| u.to_string())),
        summary: Set(entry.summary.to_string()),
        client_addr: Set(meta.client_addr.clone()),
        request_id: Set(Some(meta.request_id.clone()).filter(|r| !r.is_empty())),
        created_at: Set(super::now()),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub under: Option<UnitCode>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
}

/// Newest first.
pub async fn list(
    store: &Store,
    access: &Access,
    filter: &AuditFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<AuditRecord>, u64)> {
    let Some(mut q) = scoped::find::<audit_log::Entity>(access, Action::Read)? else {
        return Ok((Page::from_overfetch(Vec::new(), page), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(audit_log::Column::UnitCode, under));
    }
    if let Some(actor) = filter.actor_id {
        q = q.filter(audit_log::Column::ActorId.eq(actor));
    }
    if let Some(action) = &filter.action {
        q = q.filter(audit_log::Column::Action.eq(action.as_str()));
    }
    super::page_by_id(
        store,
        q,
        audit_log::Column::Id,
        Order::Desc,
        page,
        want_total,
    )
    .await
}

pub async fn get(store: &Store, access: &Access, id: i64) -> ServiceResult<AuditRecord> {
    scoped::find_one::<audit_log::Entity>(
        &store.db,
        access,
        Action::Read,
        audit_log::Column::Id,
        id,
        "audit entry",
    )
    .await
    .map(AuditRecord::from)
}
