//! One shape for every update: the fields a caller changes are collected with their
//! old and new values, written in one conditional statement, and recorded in one
//! audit entry. Fields that do not change are neither written nor audited.

use policies::UnitCode;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, TransactionTrait, UpdateMany,
};
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::error::{Reason, ServiceResult};
use crate::services::audit::{self, Entry};
use crate::services::Ctx;

pub(super) struct Changes<E: EntityTrait> {
    update: UpdateMany<E>,
    diff: Map<String, Value>,
    /// The changed fields in the order they were set (the map sorts them).
    names: Vec<String>,
    /// Whether any column is written (a change may live in another table only).
    written: bool,
}

impl<E: EntityTrait> Changes<E> {
    pub fn new() -> Self {
        Changes {
            update: E::update_many(),
            diff: Map::new(),
            names: Vec::new(),
            written: false,
        }
    }

    /// `name` (the input's field name) becomes `to` unless `to` is `None` or equal.
    pub fn set<V>(&mut self, name: &str, col: E::Column, from: &V, to: Option<V>)
    where
        V: PartialEq + Serialize + Into<sea_orm::Value>,
    {
        let Some(to) = to.filter(|to| to != from) else {
            return;
        };
        self.diff
            .insert(name.into(), json!({ "from": from, "to": &to }));
        self.names.push(name.into());
        self.write(col, to);
    }

    /// Like [`Changes::set`] for long text: the audit entry says that it changed and
    /// its new length, not the text.
    pub fn set_text(&mut self, name: &str, col: E::Column, from: &str, to: Option<String>) {
        let Some(to) = to.filter(|to| to != from) else {
            return;
        };
        self.diff
            .insert(name.into(), json!({ "chars": to.chars().count() }));
        self.names.push(name.into());
        self.write(col, to);
    }

    fn write(&mut self, col: E::Column, to: impl Into<sea_orm::Value>) {
        let update = std::mem::replace(&mut self.update, E::update_many());
        self.update = update.col_expr(col, Expr::value(to));
        self.written = true;
    }

    /// Records a change the caller writes elsewhere (child rows), for the audit.
    pub fn note<V: Serialize>(&mut self, name: &str, from: V, to: V) {
        self.diff
            .insert(name.into(), json!({ "from": from, "to": to }));
        self.names.push(name.into());
    }

    /// The names of the fields that change, in the order they were set.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn is_empty(&self) -> bool {
        self.diff.is_empty()
    }

    /// Adds a field written with the others but not audited (e.g. `updated_at`).
    pub fn also(mut self, col: E::Column, value: impl Into<sea_orm::Value>) -> Self {
        self.write(col, value);
        self
    }

    /// [`Changes::apply`] with no guard beyond the id and nothing more to audit.
    pub async fn save(
        self,
        conn: &(impl ConnectionTrait + TransactionTrait),
        cx: &Ctx,
        id_col: E::Column,
        id: i64,
        action: &'static str,
        unit: &UnitCode,
    ) -> ServiceResult<()> {
        self.apply(
            conn,
            cx,
            id_col,
            id,
            sea_orm::Condition::all(),
            action,
            unit,
            Value::Object(Map::new()),
        )
        .await
    }

    /// Writes the changes to the row `id_col = id` (also matching `guard`, the state
    /// the checks were made against: when another change got there first, CONFLICT)
    /// and records `action` in the audit log with the changes and `extra`.
    #[allow(clippy::too_many_arguments)]
    pub async fn apply(
        self,
        conn: &(impl ConnectionTrait + TransactionTrait),
        cx: &Ctx,
        id_col: E::Column,
        id: i64,
        guard: sea_orm::Condition,
        action: &'static str,
        unit: &UnitCode,
        extra: Value,
    ) -> ServiceResult<()> {
        if self.diff.is_empty() {
            return Ok(());
        }
        if self.written {
            let done = self
                .update
                .filter(id_col.eq(id))
                .filter(guard)
                .exec(conn)
                .await?;
            if done.rows_affected == 0 {
                return Err(Reason::EDIT_CONFLICT.into());
            }
        }
        let target = action.split('.').next().unwrap_or(action);
        let mut summary = json!({ "changes": self.diff });
        if let (Some(s), Value::Object(more)) = (summary.as_object_mut(), extra) {
            s.extend(more);
        }
        audit::log(
            conn,
            cx,
            Entry::new(action, unit)
                .target_text(Some(format!("{target}:{id}")))
                .summary(summary),
        )
        .await
    }
}
