//! Donations to community charity funds, with their receipts.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use entity::kinds::{DonationChannel, DonorKind};

use crate::graphql::accounts::{user_of, User};
use crate::graphql::connection::{list, Connection, Paging};
use crate::graphql::funds::Fund;
use crate::graphql::ids::{global_id, id_of, opt_id, NodeKind};
use crate::graphql::scalars::{Day, Fen, Timestamp};
use crate::graphql::units::Unit;
use crate::graphql::{
    answer, cx_of, load_unit, loaders, parse_under, parts, target, visible, GqlResult,
};
use crate::services::donations::{self, DonationFilter, DonationRecord, NewDonation};

pub struct Donation(pub DonationRecord);

impl Donation {
    async fn donor(&self, ctx: &Context<'_>) -> GqlResult<donations::Donor> {
        donations::donor(cx_of(ctx)?, &self.0)
            .await
            .map_err(|e| e.extend())
    }
}

/// A money donation to a fund (捐赠), with its receipt number.
#[Object]
impl Donation {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Donation, self.0.id)
    }
    /// The fund it went to (null when the caller cannot see it).
    async fn fund(&self, ctx: &Context<'_>) -> GqlResult<Option<Fund>> {
        Ok(loaders::load::<loaders::Funds>(ctx, self.0.fund_id)
            .await?
            .map(Fund))
    }
    /// The amount in fen.
    async fn amount_fen(&self) -> Fen {
        Fen(self.0.amount_fen)
    }
    /// Who gave it: a person, an enterprise or anonymous.
    async fn donor_kind(&self) -> DonorKind {
        self.0.donor_kind
    }
    /// The donor's name (personal data): masked (`王*明`) without
    /// `donation.read_personal` at its unit; unmasked reads are audited. 匿名 for an
    /// anonymous donor.
    async fn donor_name(&self, ctx: &Context<'_>) -> GqlResult<String> {
        Ok(self.donor(ctx).await?.name)
    }
    /// The donor's contact (personal data), under the same rule as `donorName`.
    async fn donor_contact(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        Ok(self.donor(ctx).await?.contact)
    }
    /// Whether `donorName` and `donorContact` are masked for this caller.
    async fn personal_data_masked(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.donor(ctx).await?.masked)
    }
    /// How it came in.
    async fn channel(&self) -> DonationChannel {
        self.0.channel
    }
    /// The day it was received.
    async fn received_on(&self) -> Day {
        self.0.received_on.into()
    }
    /// The receipt number, unique and gap-free per fund and year
    /// (`440104003-7-2026-000123`); a voided receipt keeps its number.
    async fn receipt_number(&self) -> &str {
        &self.0.receipt_number
    }
    /// When it was voided; null while valid.
    async fn voided_at(&self) -> Option<Timestamp> {
        self.0.voided_at.map(Into::into)
    }
    /// Why it was voided.
    async fn void_reason(&self) -> Option<&str> {
        self.0.void_reason.as_deref()
    }
    /// Division code of the unit the record belongs to (its fund's).
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// Who recorded it (null when the caller cannot see that user).
    async fn recorded_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.recorded_by).await
    }
}

/// A money donation to an open fund.
#[derive(InputObject)]
pub struct RecordDonationInput {
    /// The fund's global ID.
    pub fund_id: ID,
    /// The amount in fen (more than 0, at most ¥100,000,000).
    pub amount_fen: Fen,
    /// Who gave it.
    pub donor_kind: DonorKind,
    /// The donor's name (required unless anonymous; at most 100 characters).
    pub donor_name: Option<String>,
    /// The donor's contact, e.g. a phone number (ignored for anonymous donors).
    pub donor_contact: Option<String>,
    /// How it came in.
    pub channel: DonationChannel,
    /// The day it was received (not in the future).
    pub received_on: Day,
}

/// Voids a donation: its receipt stays in the sequence, marked void, and the money
/// leaves the fund again (a reversing ledger entry).
#[derive(InputObject)]
pub struct VoidDonationInput {
    /// The donation's global ID.
    pub id: ID,
    /// Why (kept with the receipt and in the audit log).
    pub reason: String,
}

/// The result of `recordDonation` and `voidDonation`.
#[derive(SimpleObject)]
pub struct DonationPayload {
    /// The donation as it is now.
    pub donation: Donation,
}

impl From<DonationRecord> for DonationPayload {
    fn from(d: DonationRecord) -> Self {
        DonationPayload {
            donation: Donation(d),
        }
    }
}

#[derive(Default)]
pub struct DonationQuery;

#[Object]
impl DonationQuery {
    /// Donations the caller may see (`donation.read`), newest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn donations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only donations to this fund (its global ID).")] fund_id: Option<ID>,
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
    ) -> GqlResult<Connection<Donation>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Donation, |cx, page, want_total| async move {
            let filter = DonationFilter {
                under: parse_under(under.as_deref())?,
                fund_id: opt_id(NodeKind::Fund, &fund_id)?,
            };
            donations::list(cx, &filter, &page, want_total).await
        })
        .await
    }

    /// A donation by its global ID; null when it does not exist or the caller may
    /// not see it.
    async fn donation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The donation's global ID.")] id: ID,
    ) -> GqlResult<Option<Donation>> {
        let raw = id_of(NodeKind::Donation, &id).map_err(|e| e.extend())?;
        Ok(visible(donations::get(cx_of(ctx)?, raw).await)?.map(Donation))
    }
}

#[derive(Default)]
pub struct DonationMutation;

#[Object]
impl DonationMutation {
    /// Records a money donation to an open fund (`donation.create` at the fund's
    /// unit): the receipt number is taken and the ledger entry posted with it.
    async fn record_donation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RecordDonationInput,
    ) -> GqlResult<DonationPayload> {
        answer(async {
            let new = NewDonation {
                fund_id: id_of(NodeKind::Fund, &input.fund_id)?,
                amount_fen: input.amount_fen.0,
                donor_kind: input.donor_kind,
                donor_name: input.donor_name,
                donor_contact: input.donor_contact,
                channel: input.channel,
                received_on: input.received_on.into(),
            };
            donations::record(parts(ctx)?, new).await
        })
        .await
    }
    /// Voids a donation (`donation.update` at its unit).
    async fn void_donation(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: VoidDonationInput,
    ) -> GqlResult<DonationPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Donation, &input.id)?;
            donations::void(cx, id, &input.reason).await
        })
        .await
    }
}
