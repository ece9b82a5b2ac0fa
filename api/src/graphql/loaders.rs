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
    activities, organizations, projects, records, roles, signups, stars, teams, users, volunteers,
    Store,
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

macro_rules! by_id {
    ($(#[$doc:meta])* $name:ident => $value:ty, $fetch:path) => {
        $(#[$doc])*
        pub enum $name {}
        impl Batch for $name {
            type Value = $value;
            async fn load(
                store: &Store,
                access: &Access,
                ids: &[i64],
            ) -> ServiceResult<HashMap<i64, $value>> {
                $fetch(store, access, ids).await
            }
        }
    };
}

by_id!(
    /// Volunteers the caller may read.
    Volunteers => volunteers::VolunteerRecord, volunteers::get_many
);
by_id!(
    /// Activities the caller may read (drafts for organisers only).
    Activities => activities::ActivityRecord, activities::get_many
);
by_id!(
    /// Users the caller may read.
    Users => users::UserRecord, users::get_many
);
by_id!(
    /// Teams the caller may read.
    Teams => teams::TeamRecord, teams::get_many
);
by_id!(
    /// Projects the caller may read.
    Projects => projects::ProjectRecord, projects::get_many
);
by_id!(
    /// Organisations the caller may read.
    Organizations => organizations::OrganizationRecord, organizations::get_many
);
by_id!(
    /// Service records the caller may read.
    ServiceRecords => records::ServiceRecord, records::get_many
);

by_id!(
    /// Live role assignments of users, within the caller's scope (own roles always).
    UserRoles => Vec<roles::AssignmentRecord>, roles::of_users
);

/// Children of records the caller already sees: not scoped again.
macro_rules! children_of {
    ($(#[$doc:meta])* $name:ident => $value:ty, $fetch:path) => {
        $(#[$doc])*
        pub enum $name {}
        impl Batch for $name {
            type Value = $value;
            async fn load(
                store: &Store,
                _: &Access,
                ids: &[i64],
            ) -> ServiceResult<HashMap<i64, $value>> {
                $fetch(store, ids).await
            }
        }
    };
}

children_of!(
    /// Service-field codes of volunteers.
    VolunteerFields => Vec<String>, volunteers::fields_of
);
children_of!(
    /// Service-field codes of teams.
    TeamFields => Vec<String>, teams::fields_of
);
children_of!(
    /// How many members teams have.
    TeamMemberCounts => u64, teams::member_counts
);
children_of!(
    /// Check-in sessions of sign-ups, oldest first.
    SignupSessions => Vec<signups::AttendanceRecord>, signups::sessions_of
);
children_of!(
    /// Nominees' names for public notices (masked per caller by the resolver).
    Nominees => stars::Nominee, stars::nominees
);
