//! Domain services. They are the only code that reaches the database: [`Store`]'s
//! connection is private to this module, so resolvers cannot query anything
//! themselves. Services take the caller's [`access::Access`] and read through
//! [`scoped`], which turns the policy's plan into a condition on each row's unit.

pub mod access;
pub mod audit;
pub mod auth;
pub mod ranges;
pub mod roles;
mod scoped;
pub mod units;
pub mod users;

use sea_orm::sea_query::Order;
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};

use crate::error::{ServiceError, ServiceResult};
use crate::pagination::{Page, PageRequest};

/// Handle to the database, opaque outside `services`.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
}

impl Store {
    pub fn new(db: DatabaseConnection) -> Store {
        Store { db }
    }

    pub async fn ping(&self) -> Result<(), DbErr> {
        self.db.ping().await
    }
}

/// Current time as stored: UTC, to the microsecond (PostgreSQL's precision, so
/// values read back compare equal).
pub(crate) fn now() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound;
    chrono::Utc::now().trunc_subsecs(6)
}

/// One page of a filtered list keyed by its integer id (cursor = the last id seen),
/// with the whole list counted only when the client asked for `totalCount`.
pub(crate) async fn page_by_id<E, R>(
    store: &Store,
    query: Select<E>,
    id: E::Column,
    order: Order,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<R>, u64)>
where
    E: EntityTrait,
    E::Model: sea_orm::FromQueryResult + Send + Sync,
    R: TryFrom<E::Model>,
    ServiceError: From<R::Error>,
{
    let total = if want_total {
        query.clone().count(&store.db).await?
    } else {
        0
    };
    let mut query = query;
    if let Some(after) = &page.after {
        let after: i64 = after
            .parse()
            .map_err(|_| ServiceError::bad_input("`after` is not a valid cursor"))?;
        query = match order {
            Order::Desc => query.filter(id.lt(after)),
            _ => query.filter(id.gt(after)),
        };
    }
    let rows = query
        .order_by(id, order)
        .limit(page.first + 1)
        .all(&store.db)
        .await?
        .into_iter()
        .map(|m| R::try_from(m).map_err(ServiceError::from))
        .collect::<ServiceResult<Vec<R>>>()?;
    Ok((Page::from_overfetch(rows, page), total))
}
