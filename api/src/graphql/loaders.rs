//! Relations of list items, batched per request: a page of 100 service records
//! asking for `volunteer`, `activity` and `recordedBy` costs three reads, not 300.
//! Each batch goes through the same scoped reads as a single `get`, with the
//! caller's `Access`, so a batched relation shows exactly what `node(id)` would.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ErrorExtensions};

use crate::error::ServiceResult;
use crate::graphql::GqlResult;
use crate::services::access::Access;
use crate::services::{
    activities, attendance, organizations, projects, records, roles, stars, teams, users,
    volunteers, Store,
};

/// One kind of record (or of child rows) fetched for many parent ids at once.
pub trait Batch: Send + Sync + 'static {
    type Value: Clone + Send + Sync + 'static;
    fn load(
        store: &Store,
        access: &Access,
        ids: &[i64],
    ) -> impl Future<Output = ServiceResult<HashMap<i64, Self::Value>>> + Send;
}

/// The request's loader: the store and the caller, for every [`Batch`].
pub struct Relations {
    store: Store,
    access: Access,
}

impl Relations {
    pub fn new(store: Store, access: Access) -> DataLoader<Relations> {
        DataLoader::new(Relations { store, access }, tokio::spawn)
    }
}

/// The key of one `B` by id.
pub struct ById<B>(i64, PhantomData<fn() -> B>);

impl<B> Clone for ById<B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B> Copy for ById<B> {}
impl<B> PartialEq for ById<B> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<B> Eq for ById<B> {}
impl<B> Hash for ById<B> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl<B: Batch> Loader<ById<B>> for Relations {
    type Value = B::Value;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ById<B>]) -> Result<HashMap<ById<B>, B::Value>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|k| k.0).collect();
        let found = B::load(&self.store, &self.access, &ids)
            .await
            .map_err(|e| e.extend())?;
        Ok(found
            .into_iter()
            .map(|(id, v)| (ById(id, PhantomData), v))
            .collect())
    }
}

/// The `B` with `id`, or `None` when it is missing or out of the caller's reach.
pub async fn load<B: Batch>(ctx: &Context<'_>, id: i64) -> GqlResult<Option<B::Value>> {
    ctx.data::<DataLoader<Relations>>()?
        .load_one(ById::<B>(id, PhantomData))
        .await
}

/// [`load`] for an optional reference.
pub async fn load_opt<B: Batch>(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<B::Value>> {
    match id {
        Some(id) => load::<B>(ctx, id).await,
        None => Ok(None),
    }
}

/// Child rows of a parent the caller already sees; none is an empty list.
pub async fn children<B: Batch>(ctx: &Context<'_>, parent: i64) -> GqlResult<B::Value>
where
    B::Value: Default,
{
    Ok(load::<B>(ctx, parent).await?.unwrap_or_default())
}

/// One [`Batch`]: its name, the value per id, and how many are fetched at once.
/// Records are fetched through their service's scoped `get_many`; children of
/// records the caller already sees are not scoped again.
macro_rules! batch {
    ($(#[$doc:meta])* $name:ident => $value:ty, |$store:ident, $access:ident, $ids:ident| $load:expr) => {
        $(#[$doc])*
        pub enum $name {}
        impl Batch for $name {
            type Value = $value;
            async fn load(
                $store: &Store,
                $access: &Access,
                $ids: &[i64],
            ) -> ServiceResult<HashMap<i64, $value>> {
                $load.await
            }
        }
    };
}

batch!(
    /// Volunteers the caller may read.
    Volunteers => volunteers::VolunteerRecord, |store, access, ids| volunteers::get_many(store, access, ids)
);
batch!(
    /// Activities the caller may read (drafts for organisers only).
    Activities => activities::ActivityRecord, |store, access, ids| activities::get_many(store, access, ids)
);
batch!(
    /// Users the caller may read.
    Users => users::UserRecord, |store, access, ids| users::get_many(store, access, ids)
);
batch!(
    /// Teams the caller may read.
    Teams => teams::TeamRecord, |store, access, ids| teams::get_many(store, access, ids)
);
batch!(
    /// Projects the caller may read.
    Projects => projects::ProjectRecord, |store, access, ids| projects::get_many(store, access, ids)
);
batch!(
    /// Organisations the caller may read.
    Organizations => organizations::OrganizationRecord, |store, access, ids| organizations::get_many(store, access, ids)
);
batch!(
    /// Service records the caller may read.
    ServiceRecords => records::ServiceRecord, |store, access, ids| records::get_many(store, access, ids)
);
batch!(
    /// Live role assignments of users, within the caller's scope (own roles always).
    UserRoles => Vec<roles::AssignmentRecord>, |store, access, ids| roles::of_users(store, access, ids)
);
batch!(
    /// Service-field codes of volunteers.
    VolunteerFields => Vec<String>, |store, _access, ids| volunteers::fields_of(store, ids)
);
batch!(
    /// Service-field codes of teams.
    TeamFields => Vec<String>, |store, _access, ids| teams::fields_of(store, ids)
);
batch!(
    /// How many members teams have.
    TeamMemberCounts => u64, |store, _access, ids| teams::member_counts(store, ids)
);
batch!(
    /// Check-in sessions of sign-ups, oldest first.
    SignupSessions => Vec<attendance::AttendanceRecord>, |store, _access, ids| attendance::sessions_of(store, ids)
);
batch!(
    /// Nominees' names for public notices (masked per caller by the resolver).
    Nominees => stars::Nominee, |store, _access, ids| stars::nominees(store, ids)
);
