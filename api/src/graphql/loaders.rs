//! Relations of list items, batched per request: a page of 100 service records
//! asking for `volunteer`, `activity` and `recordedBy` costs three reads, not 300.
//! Each batch goes through the same scoped reads as a single `get`, with the
//! caller's context, so a batched relation shows exactly what `node(id)` would.

use std::collections::HashMap;
use std::future::Future;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;

use async_graphql::dataloader::{DataLoader, Loader};
use async_graphql::{Context, ErrorExtensions};

use crate::error::ServiceResult;
use crate::graphql::GqlResult;
use crate::services::{
    activities, attendance, campaigns, disbursements, disclosure, donations, funds, help_requests,
    organizations, pledges, projects, records, roles, stars, stations, supermarkets, teams, users,
    volunteers, Ctx, Record, Seen,
};

/// One kind of record (or of child rows) fetched for many parent ids at once.
pub trait Batch: Send + Sync + 'static {
    type Value: Clone + Send + Sync + 'static;
    fn load(
        cx: &Ctx,
        ids: &[i64],
    ) -> impl Future<Output = ServiceResult<HashMap<i64, Self::Value>>> + Send;
}

/// The request's loader: the request's context, for every [`Batch`].
pub struct Relations {
    cx: Ctx,
}

impl Relations {
    pub fn new(cx: Ctx) -> DataLoader<Relations> {
        DataLoader::new(Relations { cx }, tokio::spawn)
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
        let found = B::load(&self.cx, &ids).await.map_err(|e| e.extend())?;
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

/// Child rows of records the caller already holds, fetched for many parents at
/// once. The parents are [`Seen`] ids, made only from records, so children are
/// reached from a parent read through the scope, never from a bare id.
pub trait Children: Send + Sync + 'static {
    type Parent: Record + 'static;
    type Value: Clone + Send + Sync + Default + 'static;
    fn load(
        cx: &Ctx,
        parents: &[Seen<Self::Parent>],
    ) -> impl Future<Output = ServiceResult<HashMap<i64, Self::Value>>> + Send;
}

/// The key of one parent's `B` children.
pub struct Of<B: Children>(Seen<B::Parent>);

impl<B: Children> Clone for Of<B> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<B: Children> Copy for Of<B> {}
impl<B: Children> PartialEq for Of<B> {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}
impl<B: Children> Eq for Of<B> {}
impl<B: Children> Hash for Of<B> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.hash(state)
    }
}

impl<B: Children> Loader<Of<B>> for Relations {
    type Value = B::Value;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[Of<B>]) -> Result<HashMap<Of<B>, B::Value>, Self::Error> {
        let parents: Vec<Seen<B::Parent>> = keys.iter().map(|k| k.0).collect();
        let found = B::load(&self.cx, &parents).await.map_err(|e| e.extend())?;
        Ok(keys
            .iter()
            .filter_map(|k| Some((*k, found.get(&k.0.id())?.clone())))
            .collect())
    }
}

/// `parent`'s `B` children; none is the empty value (no fields, no sessions).
pub async fn children<B: Children>(ctx: &Context<'_>, parent: &B::Parent) -> GqlResult<B::Value> {
    Ok(ctx
        .data::<DataLoader<Relations>>()?
        .load_one(Of::<B>(Seen::of(parent)))
        .await?
        .unwrap_or_default())
}

/// One [`Batch`]: its name, the value per id, and how many are fetched at once.
/// Records are fetched through their service's scoped `get_many`; children of
/// records the caller already sees are not scoped again.
macro_rules! batch {
    ($(#[$doc:meta])* $name:ident => $value:ty, |$cx:ident, $ids:ident| $load:expr) => {
        $(#[$doc])*
        pub enum $name {}
        impl Batch for $name {
            type Value = $value;
            async fn load(
                $cx: &Ctx,
                $ids: &[i64],
            ) -> ServiceResult<HashMap<i64, $value>> {
                $load.await
            }
        }
    };
}

batch!(
    /// Volunteers the caller may read.
    Volunteers => volunteers::VolunteerRecord, |cx, ids| volunteers::get_many(cx, ids)
);
batch!(
    /// Activities the caller may read (drafts for organisers only).
    Activities => activities::ActivityRecord, |cx, ids| activities::get_many(cx, ids)
);
batch!(
    /// Users the caller may read.
    Users => users::UserRecord, |cx, ids| users::get_many(cx, ids)
);
batch!(
    /// Teams the caller may read.
    Teams => teams::TeamRecord, |cx, ids| teams::get_many(cx, ids)
);
batch!(
    /// Projects the caller may read.
    Projects => projects::ProjectRecord, |cx, ids| projects::get_many(cx, ids)
);
batch!(
    /// Organisations the caller may read.
    Organizations => organizations::OrganizationRecord, |cx, ids| organizations::get_many(cx, ids)
);
batch!(
    /// Service records the caller may read.
    ServiceRecords => records::ServiceRecord, |cx, ids| records::get_many(cx, ids)
);
batch!(
    /// Live role assignments of users, within the caller's scope (own roles always).
    UserRoles => Vec<roles::AssignmentRecord>, |cx, ids| roles::of_users(cx, ids)
);
batch!(
    /// Community charity funds the caller may read.
    Funds => funds::FundRecord, |cx, ids| funds::get_many(cx, ids)
);
batch!(
    /// Fundraising campaigns the caller may read.
    Campaigns => campaigns::CampaignRecord, |cx, ids| campaigns::get_many(cx, ids)
);
batch!(
    /// Pledges the caller may read.
    Pledges => pledges::PledgeRecord, |cx, ids| pledges::get_many(cx, ids)
);
batch!(
    /// Donations the caller may read.
    Donations => donations::DonationRecord, |cx, ids| donations::get_many(cx, ids)
);
batch!(
    /// Disbursements the caller may read.
    Disbursements => disbursements::DisbursementRecord, |cx, ids| disbursements::get_many(cx, ids)
);
batch!(
    /// Stations the caller may read.
    Stations => stations::StationRecord, |cx, ids| stations::get_many(cx, ids)
);
batch!(
    /// Charity supermarkets' stock items the caller may read.
    StockItems => supermarkets::ItemRecord, |cx, ids| supermarkets::get_items(cx, ids)
);
batch!(
    /// Households in difficulty the caller may read.
    Households => supermarkets::HouseholdRecord, |cx, ids| supermarkets::get_households(cx, ids)
);
batch!(
    /// Published disclosure reports.
    DisclosureReports => disclosure::ReportRecord, |cx, ids| disclosure::get_many(cx, ids)
);

/// One [`Children`]: its name, its parent record, the value per parent and the
/// service that reads them.
macro_rules! children {
    ($(#[$doc:meta])* $name:ident: $parent:ty => $value:ty, $load:path) => {
        $(#[$doc])*
        pub enum $name {}
        impl Children for $name {
            type Parent = $parent;
            type Value = $value;
            async fn load(
                cx: &Ctx,
                parents: &[Seen<$parent>],
            ) -> ServiceResult<HashMap<i64, $value>> {
                $load(cx, parents).await
            }
        }
    };
}

children!(
    /// The balance of funds: the sum of their ledger lines, in fen.
    FundBalances: funds::FundRecord => i64, funds::balances_of
);
children!(
    /// Money raised by campaigns: their valid money donations, in fen.
    CampaignRaised: campaigns::CampaignRecord => i64, campaigns::raised_of
);
children!(
    /// Beneficiaries of help requests, masked or in full per caller (unmasked reads
    /// audited once per unit and request).
    Beneficiaries: help_requests::HelpRequestRecord => crate::services::Person, help_requests::beneficiaries
);
children!(
    /// Heads of households in difficulty, masked or in full per caller.
    HouseholdHeads: supermarkets::HouseholdRecord => crate::services::Person, supermarkets::heads
);
children!(
    /// Service-field codes of volunteers.
    VolunteerFields: volunteers::VolunteerRecord => Vec<String>, volunteers::fields_of
);
children!(
    /// Service-field codes of teams.
    TeamFields: teams::TeamRecord => Vec<String>, teams::fields_of
);
children!(
    /// How many members teams have.
    TeamMemberCounts: teams::TeamRecord => u64, teams::member_counts
);
children!(
    /// Check-in sessions of sign-ups, oldest first.
    SignupSessions: attendance::SignupRecord => Vec<attendance::AttendanceRecord>, attendance::sessions_of
);
children!(
    /// The nominee of each nomination, for public notices (masked per caller by the
    /// resolver).
    Nominee: stars::NominationRecord => Option<stars::Nominee>, nominees
);

/// [`stars::nominees`] as optional values, so a nomination without one is `None`.
async fn nominees(
    cx: &Ctx,
    of: &[Seen<stars::NominationRecord>],
) -> ServiceResult<HashMap<i64, Option<stars::Nominee>>> {
    Ok(stars::nominees(cx, of)
        .await?
        .into_iter()
        .map(|(id, n)| (id, Some(n)))
        .collect())
}
