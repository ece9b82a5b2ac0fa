//! Money paid out of community charity funds: proposals, level-bound approval,
//! payment and reversal.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use entity::kinds::{DisbursementState, PayeeKind};

use crate::graphql::accounts::{user_of, User};
use crate::graphql::connection::{list, Connection, Paging};
use crate::graphql::funds::Fund;
use crate::graphql::ids::{global_id, id_of, opt_id, NodeKind};
use crate::graphql::scalars::Fen;
use crate::graphql::units::Unit;
use crate::graphql::{
    answer, cx_of, load_unit, loaders, parse_under, parts, target, visible, GqlResult,
};
use crate::services::disbursements::{
    self, DisbursementFilter, DisbursementRecord, NewDisbursement,
};

pub struct Disbursement(pub DisbursementRecord);

/// Money paid out of a fund (支出): proposed, approved by the office its amount calls
/// for (or returned), paid, possibly reversed.
#[Object]
impl Disbursement {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Disbursement, self.0.id)
    }
    /// The fund it is paid from (null when the caller cannot see it).
    async fn fund(&self, ctx: &Context<'_>) -> GqlResult<Option<Fund>> {
        Ok(loaders::load::<loaders::Funds>(ctx, self.0.fund_id)
            .await?
            .map(Fund))
    }
    /// The campaign whose money it spends, if any (null when the caller cannot see it).
    async fn campaign(
        &self,
        ctx: &Context<'_>,
    ) -> GqlResult<Option<crate::graphql::campaigns::Campaign>> {
        crate::graphql::campaigns::campaign_of(ctx, self.0.campaign_id).await
    }
    /// The amount in fen.
    async fn amount_fen(&self) -> Fen {
        Fen(self.0.amount_fen)
    }
    /// What it pays for.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }
    /// Who it pays: a project, a household in difficulty or an organisation.
    async fn payee_kind(&self) -> PayeeKind {
        self.0.payee_kind
    }
    /// The payee's name; a household's is personal data, masked (`王*明`) without
    /// `disbursement.read_personal` (unmasked reads are audited).
    async fn payee_name(&self, ctx: &Context<'_>) -> GqlResult<String> {
        disbursements::payee_name(cx_of(ctx)?, &self.0)
            .await
            .map_err(|e| e.extend())
    }
    /// The names of the documents attached (invoices, sign-off sheets).
    async fn attachments(&self) -> &[String] {
        &self.0.attachments
    }
    /// Where it is in its life.
    async fn state(&self) -> DisbursementState {
        self.0.state
    }
    /// Why it was returned.
    async fn return_reason(&self) -> Option<&str> {
        self.0.return_reason.as_deref()
    }
    /// Who proposed it (null when the caller cannot see that user).
    async fn proposed_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.proposed_by).await
    }
    /// Who approved or returned it.
    async fn decided_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.decided_by).await
    }
    /// Division code of the unit the record belongs to (its fund's).
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
}

/// A proposed payment out of an open fund.
#[derive(InputObject)]
pub struct ProposeDisbursementInput {
    /// The fund's global ID.
    pub fund_id: ID,
    /// The amount in fen (more than 0, at most ¥100,000,000).
    pub amount_fen: Fen,
    /// What it pays for.
    pub purpose: String,
    /// Who it pays.
    pub payee_kind: PayeeKind,
    /// The payee's name (a household's is personal data).
    pub payee_name: String,
    /// The names of attached documents (at most 20).
    #[graphql(default)]
    pub attachments: Vec<String>,
    /// The campaign whose money it spends (one of the fund's), for that campaign's
    /// disclosure.
    pub campaign_id: Option<ID>,
}

/// A disbursement to approve, pay or look at again.
#[derive(InputObject)]
pub struct DisbursementInput {
    /// The disbursement's global ID.
    pub id: ID,
}

/// A disbursement to return or reverse, with the reason.
#[derive(InputObject)]
pub struct DisbursementReasonInput {
    /// The disbursement's global ID.
    pub id: ID,
    /// Why (kept with the record and in the audit log).
    pub reason: String,
}

/// The result of every disbursement mutation.
#[derive(SimpleObject)]
pub struct DisbursementPayload {
    /// The disbursement as it is now.
    pub disbursement: Disbursement,
}

impl From<DisbursementRecord> for DisbursementPayload {
    fn from(d: DisbursementRecord) -> Self {
        DisbursementPayload {
            disbursement: Disbursement(d),
        }
    }
}

#[derive(Default)]
pub struct DisbursementQuery;

#[Object]
impl DisbursementQuery {
    /// Disbursements the caller may see (`disbursement.read`), newest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn disbursements(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only disbursements from this fund (its global ID).")] fund_id: Option<ID>,
        #[graphql(desc = "Only disbursements in this state.")] state: Option<DisbursementState>,
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
    ) -> GqlResult<Connection<Disbursement>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            Disbursement,
            |cx, page, want_total| async move {
                let filter = DisbursementFilter {
                    under: parse_under(under.as_deref())?,
                    fund_id: opt_id(NodeKind::Fund, &fund_id)?,
                    state,
                };
                disbursements::list(cx, &filter, &page, want_total).await
            },
        )
        .await
    }

    /// A disbursement by its global ID; null when it does not exist or the caller
    /// may not see it.
    async fn disbursement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The disbursement's global ID.")] id: ID,
    ) -> GqlResult<Option<Disbursement>> {
        let raw = id_of(NodeKind::Disbursement, &id).map_err(|e| e.extend())?;
        Ok(visible(disbursements::get(cx_of(ctx)?, raw).await)?.map(Disbursement))
    }
}

#[derive(Default)]
pub struct DisbursementMutation;

#[Object]
impl DisbursementMutation {
    /// Proposes a payment out of an open fund (`disbursement.create` at its unit).
    async fn propose_disbursement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ProposeDisbursementInput,
    ) -> GqlResult<DisbursementPayload> {
        answer(async {
            let new = NewDisbursement {
                fund_id: id_of(NodeKind::Fund, &input.fund_id)?,
                amount_fen: input.amount_fen.0,
                purpose: input.purpose,
                payee_kind: input.payee_kind,
                payee_name: input.payee_name,
                attachments: input.attachments,
                campaign_id: opt_id(NodeKind::Campaign, &input.campaign_id)?,
            };
            disbursements::propose(parts(ctx)?, new).await
        })
        .await
    }
    /// Approves a proposed disbursement: `disbursement.approve` held at the level its
    /// amount calls for or above (policy `[charity] approval`), never by the proposer.
    async fn approve_disbursement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DisbursementInput,
    ) -> GqlResult<DisbursementPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Disbursement, &input.id)?;
            disbursements::approve(cx, id).await
        })
        .await
    }
    /// Sends a proposed disbursement back with a reason (the same authority as
    /// approving it).
    async fn return_disbursement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DisbursementReasonInput,
    ) -> GqlResult<DisbursementPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Disbursement, &input.id)?;
            disbursements::return_to_proposer(cx, id, &input.reason).await
        })
        .await
    }
    /// Pays an approved disbursement out of its fund (`disbursement.update`);
    /// refused with `FUND_INSUFFICIENT` when the fund holds less.
    async fn pay_disbursement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DisbursementInput,
    ) -> GqlResult<DisbursementPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Disbursement, &input.id)?;
            disbursements::pay(cx, id).await
        })
        .await
    }
    /// Undoes a payment with a reversing ledger entry (`disbursement.update`).
    async fn reverse_disbursement(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DisbursementReasonInput,
    ) -> GqlResult<DisbursementPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Disbursement, &input.id)?;
            disbursements::reverse(cx, id, &input.reason).await
        })
        .await
    }
}
