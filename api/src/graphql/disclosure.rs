//! Public disclosure (信息公开): published reports, anyone may read them; publishing
//! one; and who is late.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use entity::kinds::{DisclosureKind, DonationKind};

use crate::graphql::campaigns::{campaign_of, Campaign};
use crate::graphql::connection::{list, Connection, Paging};
use crate::graphql::funds::Fund;
use crate::graphql::ids::{global_id, id_of, opt_id, NodeKind};
use crate::graphql::scalars::{Day, Fen, Timestamp};
use crate::graphql::units::Unit;
use crate::graphql::{answer, cx_of, load_unit, loaders, parse_under, parts, visible, GqlResult};
use crate::services::disclosure::{
    self, ComplianceStatus, MoneyIn, MoneyOut, NewReport, Obligation, PublicDonor, ReportFilter,
    ReportRecord, UnitCompliance,
};

pub struct DisclosureReport(pub ReportRecord);

pub struct MonthChannel(MoneyIn);

/// Money in during a month through one channel.
#[Object]
impl MonthChannel {
    /// The month, `2026-03`.
    async fn month(&self) -> &str {
        &self.0.month
    }
    /// The channel (as `DonationChannel` names it, lower case).
    async fn channel(&self) -> &str {
        &self.0.channel
    }
    /// Money in, in fen.
    async fn amount_fen(&self) -> Fen {
        Fen(self.0.amount_fen)
    }
    /// How many donations.
    async fn donations(&self) -> i64 {
        self.0.donations
    }
}

pub struct PurposeTotal(MoneyOut);

/// Money paid out for one purpose.
#[Object]
impl PurposeTotal {
    /// What it paid for.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }
    /// Money out, in fen.
    async fn amount_fen(&self) -> Fen {
        Fen(self.0.amount_fen)
    }
    /// How many payments.
    async fn disbursements(&self) -> i64 {
        self.0.disbursements
    }
}

pub struct ListedDonor(PublicDonor);

/// A donor as a published report lists it: the name masked (`王*明`) or 匿名.
#[Object]
impl ListedDonor {
    /// The name, masked, or 匿名.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The amount (for goods, their estimated value), in fen.
    async fn amount_fen(&self) -> Fen {
        Fen(self.0.amount_fen)
    }
    /// Money or goods.
    async fn kind(&self) -> DonationKind {
        self.0.kind
    }
    /// The day it was received.
    async fn received_on(&self) -> Day {
        self.0.received_on.into()
    }
}

/// A published disclosure report (信息公开) of a fund or one of its campaigns for a
/// period: its figures as they were when published. Never changes; a correction is
/// a new report naming it. Public.
#[Object]
impl DisclosureReport {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::DisclosureReport, self.0.id)
    }
    /// Interim, final or annual.
    async fn kind(&self) -> DisclosureKind {
        self.0.kind
    }
    /// The first day it covers.
    async fn period_from(&self) -> Day {
        self.0.period_from.into()
    }
    /// The last day it covers.
    async fn period_to(&self) -> Day {
        self.0.period_to.into()
    }
    /// When it was published.
    async fn published_at(&self) -> Timestamp {
        self.0.published_at.into()
    }
    /// What the publisher added.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }
    /// The report this one corrects, if it is a correction.
    async fn corrects(&self, ctx: &Context<'_>) -> GqlResult<Option<DisclosureReport>> {
        let Some(id) = self.0.corrects_id else {
            return Ok(None);
        };
        Ok(loaders::load::<loaders::DisclosureReports>(ctx, id)
            .await?
            .map(DisclosureReport))
    }
    /// The fund's name, as published.
    async fn fund_name(&self) -> &str {
        &self.0.content.fund_name
    }
    /// The organisation holding the fund, as published.
    async fn holder_name(&self) -> &str {
        &self.0.content.holder_name
    }
    /// The holder's unified social credit code, as published.
    async fn holder_credit_code(&self) -> Option<&str> {
        self.0.content.holder_credit_code.as_deref()
    }
    /// The campaign's name, for a campaign's report.
    async fn campaign_name(&self) -> Option<&str> {
        self.0.content.campaign_name.as_deref()
    }
    /// The campaign's 慈善中国 record number, where it has one.
    async fn record_number(&self) -> Option<&str> {
        self.0.content.record_number.as_deref()
    }
    /// What the fund (campaign: its money in less its money out) held before the
    /// period, in fen.
    async fn opening_balance_fen(&self) -> Fen {
        Fen(self.0.content.opening_balance_fen)
    }
    /// What it held at the period's end, in fen.
    async fn closing_balance_fen(&self) -> Fen {
        Fen(self.0.content.closing_balance_fen)
    }
    /// Money donated in the period, in fen.
    async fn raised_fen(&self) -> Fen {
        Fen(self.0.content.raised_fen)
    }
    /// Money paid out in the period, in fen.
    async fn disbursed_fen(&self) -> Fen {
        Fen(self.0.content.disbursed_fen)
    }
    /// Goods donated in the period, at their estimated value in fen.
    async fn goods_value_fen(&self) -> Fen {
        Fen(self.0.content.goods_value_fen)
    }
    /// Money in by month and channel.
    async fn money_in(&self) -> Vec<MonthChannel> {
        self.0
            .content
            .money_in
            .iter()
            .cloned()
            .map(MonthChannel)
            .collect()
    }
    /// Money out by purpose, largest first.
    async fn money_out(&self) -> Vec<PurposeTotal> {
        self.0
            .content
            .money_out
            .iter()
            .cloned()
            .map(PurposeTotal)
            .collect()
    }
    /// The donors of the period (recorded before publication), masked, in the order
    /// received.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first, child_complexity, __field)"
    )]
    async fn donors(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "How many items to return: 20 when left out, at most 100.")] first: Option<
            i32,
        >,
        #[graphql(
            desc = "Return the items after this cursor (the previous page's `pageInfo.endCursor`)."
        )]
        after: Option<String>,
    ) -> GqlResult<Connection<ListedDonor>> {
        let paging = Paging {
            first,
            after,
            last: None,
            before: None,
        };
        let report = &self.0;
        list(
            ctx,
            paging,
            ListedDonor,
            |cx, page, want_total| async move {
                disclosure::donors(cx, report, &page, want_total).await
            },
        )
        .await
    }
    /// The fund (null when the caller cannot read it: anonymous callers see only what
    /// the report publishes).
    async fn fund(&self, ctx: &Context<'_>) -> GqlResult<Option<Fund>> {
        Ok(loaders::load::<loaders::Funds>(ctx, self.0.fund_id)
            .await?
            .map(Fund))
    }
    /// The campaign (null when there is none or the caller cannot read it).
    async fn campaign(&self, ctx: &Context<'_>) -> GqlResult<Option<Campaign>> {
        campaign_of(ctx, self.0.campaign_id).await
    }
    /// Division code of the fund's unit.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The fund's unit (units are public).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

/// One report a fund or campaign owes.
#[derive(SimpleObject)]
pub struct DisclosureObligation {
    /// The fund's global ID.
    pub fund_id: ID,
    /// The fund's name.
    pub fund_name: String,
    /// The campaign's global ID, for a campaign's report.
    pub campaign_id: Option<ID>,
    /// The campaign's name.
    pub campaign_name: Option<String>,
    /// What kind of report.
    pub kind: DisclosureKind,
    /// The first day of the period it covers.
    pub period_from: Day,
    /// The last day of the period it covers.
    pub period_to: Day,
    /// The last day to publish it on time.
    pub due_on: Day,
    /// Due, overdue, on time or late.
    pub status: ComplianceStatus,
    /// The report that fulfils it, when published.
    pub report_id: Option<ID>,
}

impl From<Obligation> for DisclosureObligation {
    fn from(o: Obligation) -> Self {
        DisclosureObligation {
            fund_id: global_id(NodeKind::Fund, o.fund_id),
            fund_name: o.fund_name,
            campaign_id: o.campaign_id.map(|c| global_id(NodeKind::Campaign, c)),
            campaign_name: o.campaign_name,
            kind: o.kind,
            period_from: o.period_from.into(),
            period_to: o.period_to.into(),
            due_on: o.due_on.into(),
            status: o.status,
            report_id: o
                .report_id
                .map(|r| global_id(NodeKind::DisclosureReport, r)),
        }
    }
}

/// A unit's disclosure obligations as of a day.
#[derive(SimpleObject)]
pub struct UnitDisclosure {
    /// The unit's division code.
    pub unit_code: String,
    /// Not yet published, deadline ahead.
    pub due: u32,
    /// Not published, deadline passed.
    pub overdue: u32,
    /// Published by the deadline.
    pub on_time: u32,
    /// Published after the deadline.
    pub late: u32,
    /// Each obligation.
    pub obligations: Vec<DisclosureObligation>,
}

impl From<UnitCompliance> for UnitDisclosure {
    fn from(u: UnitCompliance) -> Self {
        UnitDisclosure {
            unit_code: u.unit.to_string(),
            due: u.due,
            overdue: u.overdue,
            on_time: u.on_time,
            late: u.late,
            obligations: u.obligations.into_iter().map(Into::into).collect(),
        }
    }
}

/// Publishes a report for a period that has ended.
#[derive(InputObject)]
pub struct PublishDisclosureInput {
    /// The fund's global ID.
    pub fund_id: ID,
    /// The campaign's global ID, for a campaign's interim or final report.
    pub campaign_id: Option<ID>,
    /// Interim (a campaign, within its run), final (a campaign's whole run) or annual
    /// (a fund's calendar year).
    pub kind: DisclosureKind,
    /// The first day it covers.
    pub period_from: Day,
    /// The last day it covers (before today).
    pub period_to: Day,
    /// A note published with it (at most 2000 characters).
    pub note: Option<String>,
    /// The published report this one corrects (same fund, campaign and kind).
    pub corrects_id: Option<ID>,
}

/// The result of `publishDisclosure`.
#[derive(SimpleObject)]
pub struct PublishDisclosurePayload {
    /// The published report.
    pub report: DisclosureReport,
}

impl From<ReportRecord> for PublishDisclosurePayload {
    fn from(r: ReportRecord) -> Self {
        PublishDisclosurePayload {
            report: DisclosureReport(r),
        }
    }
}

#[derive(Default)]
pub struct DisclosureQuery;

#[Object]
impl DisclosureQuery {
    /// Published disclosure reports (public), newest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    #[allow(clippy::too_many_arguments)]
    async fn disclosure_reports(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only reports of funds at this unit or below it (its division code, e.g. `440104`)."
        )]
        under: Option<String>,
        #[graphql(desc = "Only reports of this fund (its global ID).")] fund_id: Option<ID>,
        #[graphql(desc = "Only reports of this campaign (its global ID).")] campaign_id: Option<ID>,
        #[graphql(desc = "Only reports of this kind.")] kind: Option<DisclosureKind>,
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
    ) -> GqlResult<Connection<DisclosureReport>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            DisclosureReport,
            |cx, page, want_total| async move {
                let filter = ReportFilter {
                    under: parse_under(under.as_deref())?,
                    fund_id: opt_id(NodeKind::Fund, &fund_id)?,
                    campaign_id: opt_id(NodeKind::Campaign, &campaign_id)?,
                    kind,
                };
                disclosure::list(cx, &filter, &page, want_total).await
            },
        )
        .await
    }

    /// A published report by its global ID; null when there is none.
    async fn disclosure_report(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The report's global ID.")] id: ID,
    ) -> GqlResult<Option<DisclosureReport>> {
        let raw = id_of(NodeKind::DisclosureReport, &id).map_err(|e| e.extend())?;
        Ok(visible(disclosure::get(cx_of(ctx)?, raw).await)?.map(DisclosureReport))
    }

    /// Per unit with funds the caller may read (`fund.read`), at or under `under`:
    /// the reports its funds and campaigns owe as of `asOf` (today when left out),
    /// each due, overdue, on time or late — the rules are policy data
    /// (`[charity.disclosure]`).
    async fn disclosure_compliance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only units at or below this one (its division code).")] under: Option<
            String,
        >,
        #[graphql(desc = "The day to judge on (China Standard Time); today when left out.")]
        as_of: Option<Day>,
    ) -> GqlResult<Vec<UnitDisclosure>> {
        let run = async {
            let under = parse_under(under.as_deref())?;
            disclosure::compliance(parts(ctx)?, under.as_ref(), as_of.map(|d| d.0)).await
        };
        Ok(run
            .await
            .map_err(|e| e.extend())?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

#[derive(Default)]
pub struct DisclosureMutation;

#[Object]
impl DisclosureMutation {
    /// Publishes a disclosure report of a fund or campaign for a period that has
    /// ended (`disclosure.create` at the fund's unit): its figures are computed now
    /// and frozen; the act is audited. A second report of the same kind and period
    /// must name the one it corrects.
    async fn publish_disclosure(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: PublishDisclosureInput,
    ) -> GqlResult<PublishDisclosurePayload> {
        answer(async {
            let new = NewReport {
                fund_id: id_of(NodeKind::Fund, &input.fund_id)?,
                campaign_id: opt_id(NodeKind::Campaign, &input.campaign_id)?,
                kind: input.kind,
                period_from: input.period_from.into(),
                period_to: input.period_to.into(),
                note: input.note,
                corrects_id: opt_id(NodeKind::DisclosureReport, &input.corrects_id)?,
            };
            disclosure::publish(parts(ctx)?, new).await
        })
        .await
    }
}
