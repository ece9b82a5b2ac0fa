//! Fundraising campaigns (募捐活动) and pledges (认捐).

use async_graphql::{
    Context, ErrorExtensions, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use entity::kinds::{DonationChannel, DonorKind};

use crate::graphql::accounts::{user_of, User};
use crate::graphql::connection::{list, Connection, Paging};
use crate::graphql::funds::Fund;
use crate::graphql::ids::{global_id, id_of, opt_id, NodeKind};
use crate::graphql::scalars::{Day, Fen};
use crate::graphql::units::Unit;
use crate::graphql::{
    answer, cx_of, load_unit, loaders, maybe, parse_under, parts, target, visible, GqlResult,
};
use crate::services::campaigns::{self, CampaignFilter, CampaignRecord, NewCampaign};
use crate::services::daily::day_of;
use crate::services::donors::Donor;
use crate::services::pledges::{self, NewPledge, PledgeFilter, PledgeRecord, PledgeState};

pub struct Campaign(pub CampaignRecord);

/// The campaign a record names, through the request's loader (null when the caller
/// cannot see it).
pub(crate) async fn campaign_of(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<Campaign>> {
    let Some(id) = id else {
        return Ok(None);
    };
    Ok(loaders::load::<loaders::Campaigns>(ctx, id)
        .await?
        .map(Campaign))
}

async fn fund_of(ctx: &Context<'_>, id: i64) -> GqlResult<Option<Fund>> {
    Ok(loaders::load::<loaders::Funds>(ctx, id).await?.map(Fund))
}

/// A fundraising drive (募捐活动) of a fund.
#[Object]
impl Campaign {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Campaign, self.0.id)
    }
    /// The fund it raises for (null when the caller cannot see it).
    async fn fund(&self, ctx: &Context<'_>) -> GqlResult<Option<Fund>> {
        fund_of(ctx, self.0.fund_id).await
    }
    /// Its name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Its first day.
    async fn starts_on(&self) -> Day {
        self.0.starts_on.into()
    }
    /// Its last day.
    async fn ends_on(&self) -> Day {
        self.0.ends_on.into()
    }
    /// Its target in fen, when set.
    async fn target_fen(&self) -> Option<Fen> {
        self.0.target_fen.map(Fen)
    }
    /// Money raised so far: its valid money donations, in fen.
    async fn raised_fen(&self, ctx: &Context<'_>) -> GqlResult<Fen> {
        Ok(Fen(loaders::children::<loaders::CampaignRaised>(
            ctx, &self.0,
        )
        .await?))
    }
    /// The channels it raises through.
    async fn channels(&self) -> &[DonationChannel] {
        &self.0.channels
    }
    /// Its 慈善中国 record number (备案编号), where it was filed.
    async fn record_number(&self) -> Option<&str> {
        self.0.record_number.as_deref()
    }
    /// Division code of the unit the record belongs to (its fund's).
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// Who started it (null when the caller cannot see that user).
    async fn created_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.created_by).await
    }
}

pub struct Pledge(pub PledgeRecord);

impl Pledge {
    async fn donor(&self, ctx: &Context<'_>) -> GqlResult<Donor> {
        pledges::donor(cx_of(ctx)?, &self.0)
            .await
            .map_err(|e| e.extend())
    }
}

/// A pledge (认捐): an amount promised to a fund by a due day, fulfilled by the money
/// donations that name it.
#[Object]
impl Pledge {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Pledge, self.0.id)
    }
    /// The fund it is promised to (null when the caller cannot see it).
    async fn fund(&self, ctx: &Context<'_>) -> GqlResult<Option<Fund>> {
        fund_of(ctx, self.0.fund_id).await
    }
    /// The campaign it answers, if any (null when the caller cannot see it).
    async fn campaign(&self, ctx: &Context<'_>) -> GqlResult<Option<Campaign>> {
        campaign_of(ctx, self.0.campaign_id).await
    }
    /// Who promised it.
    async fn donor_kind(&self) -> DonorKind {
        self.0.donor_kind
    }
    /// The donor's name (personal data): masked without `donation.read_personal` at
    /// its unit; unmasked reads are audited. 匿名 for an anonymous donor.
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
    /// The amount promised, in fen.
    async fn amount_fen(&self) -> Fen {
        Fen(self.0.amount_fen)
    }
    /// The day it is due.
    async fn due_on(&self) -> Day {
        self.0.due_on.into()
    }
    /// Given so far by the valid donations naming it, in fen.
    async fn fulfilled_fen(&self) -> Fen {
        Fen(self.0.fulfilled_fen)
    }
    /// The day the donations reached the amount; null until then.
    async fn fulfilled_on(&self) -> Option<Day> {
        self.0.fulfilled_on.map(Into::into)
    }
    /// Where it stands today (China Standard Time).
    async fn state(&self, ctx: &Context<'_>) -> GqlResult<PledgeState> {
        Ok(self.0.state(day_of(cx_of(ctx)?.now())))
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
    async fn created_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.created_by).await
    }
}

/// A new campaign of an open fund.
#[derive(InputObject)]
pub struct StartCampaignInput {
    /// The fund's global ID.
    pub fund_id: ID,
    /// Its name (at most 200 characters).
    pub name: String,
    /// Its first day.
    pub starts_on: Day,
    /// Its last day (not before the first).
    pub ends_on: Day,
    /// A target in fen (more than 0, at most ¥100,000,000).
    pub target_fen: Option<Fen>,
    /// The channels it raises through (at least one).
    pub channels: Vec<DonationChannel>,
    /// Its 慈善中国 record number (letters, digits and dashes), where it was filed.
    pub record_number: Option<String>,
}

/// Changes to a campaign; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    /// The campaign's global ID.
    pub id: ID,
    /// A new name.
    pub name: Option<String>,
    /// A new last day (not before its first).
    pub ends_on: Option<Day>,
    /// A new target in fen; `null` removes it.
    pub target_fen: MaybeUndefined<Fen>,
    /// A new record number; `null` removes it.
    pub record_number: MaybeUndefined<String>,
}

/// The result of `startCampaign` and `updateCampaign`.
#[derive(SimpleObject)]
pub struct CampaignPayload {
    /// The campaign as it is now.
    pub campaign: Campaign,
}

impl From<CampaignRecord> for CampaignPayload {
    fn from(c: CampaignRecord) -> Self {
        CampaignPayload {
            campaign: Campaign(c),
        }
    }
}

/// A new pledge to an open fund.
#[derive(InputObject)]
pub struct RecordPledgeInput {
    /// The fund's global ID.
    pub fund_id: ID,
    /// The campaign it answers (one of the fund's).
    pub campaign_id: Option<ID>,
    /// Who promises it.
    pub donor_kind: DonorKind,
    /// The donor's name (required unless anonymous; at most 100 characters).
    pub donor_name: Option<String>,
    /// The donor's contact (ignored for anonymous donors).
    pub donor_contact: Option<String>,
    /// The amount in fen (more than 0, at most ¥100,000,000).
    pub amount_fen: Fen,
    /// The day it is due (today or later).
    pub due_on: Day,
}

/// The result of `recordPledge`.
#[derive(SimpleObject)]
pub struct PledgePayload {
    /// The pledge as it is now.
    pub pledge: Pledge,
}

impl From<PledgeRecord> for PledgePayload {
    fn from(p: PledgeRecord) -> Self {
        PledgePayload { pledge: Pledge(p) }
    }
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// Campaigns the caller may see (`fund.read`), newest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only campaigns of this fund (its global ID).")] fund_id: Option<ID>,
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
    ) -> GqlResult<Connection<Campaign>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Campaign, |cx, page, want_total| async move {
            let filter = CampaignFilter {
                under: parse_under(under.as_deref())?,
                fund_id: opt_id(NodeKind::Fund, &fund_id)?,
            };
            campaigns::list(cx, &filter, &page, want_total).await
        })
        .await
    }

    /// A campaign by its global ID; null when it does not exist or the caller may not
    /// see it.
    async fn campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The campaign's global ID.")] id: ID,
    ) -> GqlResult<Option<Campaign>> {
        let raw = id_of(NodeKind::Campaign, &id).map_err(|e| e.extend())?;
        Ok(visible(campaigns::get(cx_of(ctx)?, raw).await)?.map(Campaign))
    }

    /// Pledges the caller may see (`donation.read`), newest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn pledges(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only pledges to this fund (its global ID).")] fund_id: Option<ID>,
        #[graphql(desc = "Only pledges answering this campaign (its global ID).")]
        campaign_id: Option<ID>,
        #[graphql(desc = "Only pledges in this state today.")] state: Option<PledgeState>,
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
    ) -> GqlResult<Connection<Pledge>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Pledge, |cx, page, want_total| async move {
            let filter = PledgeFilter {
                under: parse_under(under.as_deref())?,
                fund_id: opt_id(NodeKind::Fund, &fund_id)?,
                campaign_id: opt_id(NodeKind::Campaign, &campaign_id)?,
                state,
            };
            pledges::list(cx, &filter, &page, want_total).await
        })
        .await
    }

    /// A pledge by its global ID; null when it does not exist or the caller may not
    /// see it.
    async fn pledge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The pledge's global ID.")] id: ID,
    ) -> GqlResult<Option<Pledge>> {
        let raw = id_of(NodeKind::Pledge, &id).map_err(|e| e.extend())?;
        Ok(visible(pledges::get(cx_of(ctx)?, raw).await)?.map(Pledge))
    }
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Starts a fundraising campaign of an open fund (`fund.update` at its unit).
    async fn start_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: StartCampaignInput,
    ) -> GqlResult<CampaignPayload> {
        answer(async {
            let new = NewCampaign {
                fund_id: id_of(NodeKind::Fund, &input.fund_id)?,
                name: input.name,
                starts_on: input.starts_on.into(),
                ends_on: input.ends_on.into(),
                target_fen: input.target_fen.map(|f| f.0),
                channels: input.channels,
                record_number: input.record_number,
            };
            campaigns::create(parts(ctx)?, new).await
        })
        .await
    }
    /// Changes a campaign (`fund.update` at its unit).
    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateCampaignInput,
    ) -> GqlResult<CampaignPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Campaign, &input.id)?;
            let changes = campaigns::CampaignChanges {
                name: input.name,
                ends_on: input.ends_on.map(Into::into),
                target_fen: maybe::<Fen, Fen>(input.target_fen).map(|t| t.map(|f| f.0)),
                record_number: maybe::<String, String>(input.record_number),
            };
            campaigns::update(cx, id, changes).await
        })
        .await
    }
    /// Records a pledge to an open fund (`donation.create` at its unit).
    async fn record_pledge(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RecordPledgeInput,
    ) -> GqlResult<PledgePayload> {
        answer(async {
            let new = NewPledge {
                fund_id: id_of(NodeKind::Fund, &input.fund_id)?,
                campaign_id: opt_id(NodeKind::Campaign, &input.campaign_id)?,
                donor_kind: input.donor_kind,
                donor_name: input.donor_name,
                donor_contact: input.donor_contact,
                amount_fen: input.amount_fen.0,
                due_on: input.due_on.into(),
            };
            pledges::record(parts(ctx)?, new).await
        })
        .await
    }
}
