//! The audit log: append-only and hash-chained. Entries are written by services
//! inside the transaction of the change they record; each carries a SHA-256 over its
//! content and the previous entry's hash, so an edit, a deletion or a reordering
//! breaks the chain where it happened (`kapok audit verify`). The only removal is
//! the operator's archive step, which leaves an anchor the chain continues from.

use entity::audit_log;
use policies::{Action, UnitCode};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    TransactionSession, TransactionTrait,
};
use serde_json::Value;

use crate::error::ServiceResult;
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::{ranges, scoped, Ctx};

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

/// One change to record, built in one expression:
/// `Entry::new("team.update", &unit).target("team", id).summary(json!({…}))`.
pub(super) struct Entry<'a> {
    action: &'a str,
    target: Option<String>,
    unit: Option<&'a UnitCode>,
    summary: Value,
    /// Who acted, when not the caller (signing in, where there is no caller yet).
    actor: Option<Option<i64>>,
}

impl<'a> Entry<'a> {
    /// An act that took effect at `unit`.
    pub fn new(action: &'a str, unit: &'a UnitCode) -> Entry<'a> {
        Entry::new_opt(action, Some(unit))
    }

    /// An act that may or may not have a unit.
    pub fn new_opt(action: &'a str, unit: Option<&'a UnitCode>) -> Entry<'a> {
        Entry {
            action,
            target: None,
            unit,
            summary: Value::Null,
            actor: None,
        }
    }

    /// The record acted on, as `kind:id`.
    pub fn target(self, kind: &str, id: impl std::fmt::Display) -> Entry<'a> {
        self.target_text(Some(format!("{kind}:{id}")))
    }

    /// The record acted on, already written as `kind:id`.
    pub fn target_text(mut self, target: Option<String>) -> Entry<'a> {
        self.target = target;
        self
    }

    /// What changed, as JSON (capped in size when written).
    pub fn summary(mut self, summary: Value) -> Entry<'a> {
        self.summary = summary;
        self
    }

    /// Recorded as done by `actor` instead of the caller.
    pub fn by(mut self, actor: Option<i64>) -> Entry<'a> {
        self.actor = Some(actor);
        self
    }
}

/// Appends `entry` to the log, done by the caller unless the entry names its actor,
/// inside `conn`'s transaction.
pub(super) async fn log<C>(conn: &C, cx: &Ctx, entry: Entry<'_>) -> ServiceResult<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    let actor = entry.actor.unwrap_or_else(|| cx.access().actor());
    record(conn, cx, actor, entry).await
}

/// Longest text kept in any audited field (target, every string in a summary):
/// whatever a client sends, an entry stays small.
pub const MAX_FIELD_CHARS: usize = 200;
/// Longest summary kept, as JSON; a longer one is replaced by a truncated preview.
pub const MAX_SUMMARY_BYTES: usize = 4096;
/// Items kept of any list in a summary.
const MAX_LIST_ITEMS: usize = 50;

/// `s` cut to `max` characters, marked with `…` when cut.
pub(crate) fn cap_text(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((cut, _)) => {
            let mut t = s[..cut].to_owned();
            t.push('…');
            t
        }
    }
}

fn cap_value(v: Value, depth: usize) -> Value {
    match v {
        Value::String(s) => Value::String(cap_text(&s, MAX_FIELD_CHARS)),
        Value::Array(items) if depth < 4 => Value::Array(
            items
                .into_iter()
                .take(MAX_LIST_ITEMS)
                .map(|v| cap_value(v, depth + 1))
                .collect(),
        ),
        Value::Object(map) if depth < 4 => Value::Object(
            map.into_iter()
                .take(MAX_LIST_ITEMS)
                .map(|(k, v)| (cap_text(&k, 64), cap_value(v, depth + 1)))
                .collect(),
        ),
        Value::Array(_) | Value::Object(_) => Value::String("…".into()),
        other => other,
    }
}

/// The summary as stored: every string capped, at most [`MAX_SUMMARY_BYTES`].
fn capped_summary(v: Value) -> String {
    let text = cap_value(v, 0).to_string();
    if text.len() <= MAX_SUMMARY_BYTES {
        return text;
    }
    serde_json::json!({ "truncated": true, "preview": cap_text(&text, 1000) }).to_string()
}

/// What an entry's hash covers: every column but the id, in a fixed order, with the
/// previous entry's hash. Times are RFC 3339 to the microsecond (what both
/// databases keep), so a hash computed before the insert matches the row read back.
pub(crate) fn entry_hash(m: &audit_log::Model, prev_hash: Option<&str>) -> String {
    use sha2::{Digest, Sha256};
    let content = serde_json::json!([
        prev_hash.unwrap_or(""),
        m.actor_id,
        m.action,
        m.target,
        m.unit_code,
        m.summary,
        m.client_addr,
        m.request_id,
        m.created_at
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    ]);
    hex::encode(Sha256::digest(content.to_string().as_bytes()))
}

/// Serialises writers of the chain until the enclosing transaction ends, so that
/// each entry names the one committed before it. SQLite has one writer anyway.
pub(crate) async fn lock_chain(conn: &impl ConnectionTrait) -> ServiceResult<()> {
    if conn.get_database_backend() == sea_orm::DbBackend::Postgres {
        conn.execute_unprepared("SELECT pg_advisory_xact_lock(7207001)")
            .await?;
    }
    Ok(())
}

/// The hash the next entry must name: the newest entry's, or, when every entry has
/// been archived, the newest anchor's.
async fn chain_tail(conn: &impl ConnectionTrait) -> ServiceResult<Option<String>> {
    if let Some(last) = scoped::unscoped::<audit_log::Entity>(
        "the hash chain's tail: writing the log, not reading it for anyone",
    )
    .order_by_desc(audit_log::Column::Id)
    .one(conn)
    .await?
    {
        return Ok(last.hash);
    }
    Ok(scoped::unscoped::<entity::audit_anchor::Entity>(
        "the hash chain's anchor: writing the log, not reading it for anyone",
    )
    .order_by_desc(entity::audit_anchor::Column::Id)
    .one(conn)
    .await?
    .map(|a| a.through_hash))
}

async fn record<C>(conn: &C, cx: &Ctx, actor: Option<i64>, entry: Entry<'_>) -> ServiceResult<()>
where
    C: ConnectionTrait + TransactionTrait,
{
    let meta = cx.access().meta();
    let mut m = audit_log::Model {
        id: 0,
        actor_id: actor,
        action: cap_text(entry.action, 64),
        target: entry.target.map(|t| cap_text(&t, MAX_FIELD_CHARS)),
        unit_code: entry.unit.map(|u| u.to_string()),
        summary: capped_summary(entry.summary),
        client_addr: meta.client_addr.as_deref().map(|a| cap_text(a, 64)),
        request_id: Some(cap_text(&meta.request_id, 64)).filter(|r| !r.is_empty()),
        created_at: cx.now(),
        prev_hash: None,
        hash: None,
    };
    // Inside the caller's transaction this is a savepoint: the chain lock is held
    // until the caller commits.
    let txn = conn.begin().await?;
    lock_chain(&txn).await?;
    let prev = chain_tail(&txn).await?;
    m.hash = Some(entry_hash(&m, prev.as_deref()));
    m.prev_hash = prev;
    let mut row = audit_log::ActiveModel::from(m).reset_all();
    row.id = sea_orm::ActiveValue::NotSet;
    audit_log::Entity::insert(row)
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub under: Option<UnitCode>,
    pub actor_id: Option<i64>,
    pub action: Option<String>,
    /// Entries made at or after `from` and before `to`.
    pub from: Option<chrono::DateTime<chrono::Utc>>,
    pub to: Option<chrono::DateTime<chrono::Utc>>,
    /// Newest first unless ascending: the log is append-only, so id order is time
    /// order.
    pub direction: Option<OrderDirection>,
}

/// What the audit log can be sorted by.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOrderField {
    /// By when the act happened.
    Time,
}

/// Newest first, unless the filter asks for oldest first.
pub async fn list(
    cx: &Ctx,
    filter: &AuditFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<AuditRecord>, u64)> {
    let Some(mut q) = cx.find::<audit_log::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
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
    if let Some(from) = filter.from {
        q = q.filter(audit_log::Column::CreatedAt.gte(from));
    }
    if let Some(to) = filter.to {
        q = q.filter(audit_log::Column::CreatedAt.lt(to));
    }
    let dir = filter.direction.unwrap_or(OrderDirection::Desc);
    let sort = super::Sort::new([audit_log::Column::Id], dir);
    super::page_by(cx, q, &sort, page, want_total).await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<AuditRecord> {
    cx.get::<audit_log::Entity>(cx.db(), Action::Read, id)
        .await
        .map(AuditRecord::from)
}
