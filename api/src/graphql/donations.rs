//! Donations to community charity funds, with their receipts.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use entity::kinds::{DonationChannel, DonationKind, DonorKind};

use crate::graphql::accounts::{user_of, User};
use crate::graphql::campaigns::{campaign_of, Campaign, Pledge};
use crate::graphql::connection::{list, Connection, Paging};
use crate::graphql::funds::Fund;
use crate::graphql::ids::{global_id, id_of, opt_id, NodeKind};
use crate::graphql::scalars::{Day, Fen, Timestamp};
use crate::graphql::units::Unit;
use crate::graphql::{
    answer, cx_of, load_unit, loaders, parse_under, parts, target, visible, GqlResult,
};
use crate::services::donations::{self, DonationFilter, DonationRecord, GoodsItem, NewDonation};
use crate::services::donors::Donor;

pub struct Donation(pub DonationRecord);

impl Donation {
    async fn donor(&self, ctx: &Context<'_>) -> GqlResult<Donor> {
        donations::donor(cx_of(ctx)?, &self.0)
            .await
            .map_err(|e| e.extend())
    }
}

/// A donation to a fund (捐赠) — money, or goods at their estimated value — with its
/// receipt number.
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
    /// The amount in fen; for goods, their estimated value.
    async fn amount_fen(&self) -> Fen {
        Fen(self.0.amount_fen)
    }
    /// Money or goods.
    async fn kind(&self) -> DonationKind {
        self.0.kind
    }
    /// The goods given (empty for money).
    async fn items(&self) -> Vec<GoodsLine> {
        self.0.items.iter().cloned().map(GoodsLine).collect()
    }
    /// The campaign it was given to, if any (null when the caller cannot see it).
    async fn campaign(&self, ctx: &Context<'_>) -> GqlResult<Option<Campaign>> {
        campaign_of(ctx, self.0.campaign_id).await
    }
    /// The pledge it fulfils (part of), if any (null when the caller cannot see it).
    async fn pledge(&self, ctx: &Context<'_>) -> GqlResult<Option<Pledge>> {
        let Some(id) = self.0.pledge_id else {
            return Ok(None);
        };
        Ok(loaders::load::<loaders::Pledges>(ctx, id)
            .await?
            .map(Pledge))
    }
    /// The receipt as a printable A4 HTML page (捐赠收据), the amount also in words;
    /// the donor's name under the same rule as `donorName`.
    async fn printable_receipt(&self, ctx: &Context<'_>) -> GqlResult<String> {
        donations::printable_receipt(cx_of(ctx)?, &self.0)
            .await
            .map_err(|e| e.extend())
    }
    /// The project the donor designated it for (定向捐赠), if any.
    async fn designation(&self) -> Option<&str> {
        self.0.designation.as_deref()
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

/// One kind of goods in a goods donation.
pub struct GoodsLine(pub GoodsItem);

/// One kind of goods given.
#[Object]
impl GoodsLine {
    /// What it is (e.g. 大米).
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// How many.
    async fn quantity(&self) -> i64 {
        self.0.quantity
    }
    /// Counted in (箱, 件, kg), when given.
    async fn unit(&self) -> Option<&str> {
        self.0.unit.as_deref()
    }
    /// The estimated value of the whole line, in fen.
    async fn value_fen(&self) -> Fen {
        Fen(self.0.value_fen)
    }
}

/// One kind of goods in a goods donation.
#[derive(InputObject)]
pub struct GoodsLineInput {
    /// What it is (1 to 100 characters).
    pub name: String,
    /// How many (at least 1).
    pub quantity: i64,
    /// Counted in (at most 20 characters).
    pub unit: Option<String>,
    /// The estimated value of the whole line in fen (0 or more).
    pub value_fen: Fen,
}

/// A donation to an open fund: money (`amountFen`) or goods (`items`).
#[derive(InputObject)]
pub struct RecordDonationInput {
    /// The fund's global ID.
    pub fund_id: ID,
    /// Money or goods; money when left out.
    #[graphql(default_with = "DonationKind::Money")]
    pub kind: DonationKind,
    /// Money: the amount in fen (more than 0, at most ¥100,000,000). Goods: leave out
    /// (the items' values add up to it).
    pub amount_fen: Option<Fen>,
    /// Goods: 1 to 100 lines. Money: leave out.
    #[graphql(default)]
    pub items: Vec<GoodsLineInput>,
    /// The campaign it answers (one of the fund's, running on the day received, and
    /// raising through the channel).
    pub campaign_id: Option<ID>,
    /// The pledge it fulfils (one of the fund's; money only).
    pub pledge_id: Option<ID>,
    /// The project the donor designated it for (定向捐赠; at most 200 characters).
    pub designation: Option<String>,
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
        #[graphql(desc = "Only donations to this campaign (its global ID).")] campaign_id: Option<
            ID,
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
                campaign_id: opt_id(NodeKind::Campaign, &campaign_id)?,
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
                amount_fen: input.amount_fen.map(|f| f.0),
                kind: input.kind,
                items: input
                    .items
                    .into_iter()
                    .map(|i| GoodsItem {
                        name: i.name,
                        quantity: i.quantity,
                        unit: i.unit,
                        value_fen: i.value_fen.0,
                    })
                    .collect(),
                donor_kind: input.donor_kind,
                donor_name: input.donor_name,
                donor_contact: input.donor_contact,
                channel: input.channel,
                received_on: input.received_on.into(),
                campaign_id: opt_id(NodeKind::Campaign, &input.campaign_id)?,
                pledge_id: opt_id(NodeKind::Pledge, &input.pledge_id)?,
                designation: input.designation,
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
