//! Community charity funds (社区慈善基金): type, list and changes.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};
use entity::kinds::FundStatus;

use crate::graphql::accounts::{user_of, User};
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, id_of, NodeKind};
use crate::graphql::scalars::{Day, Fen};
use crate::graphql::units::Unit;
use crate::graphql::{answer, cx_of, load_unit, maybe, parse_under, target, visible, GqlResult};
use crate::services::funds::{self, FundFilter, FundRecord, NewFund};
use crate::services::NameOrderField;

pub struct Fund(pub FundRecord);

/// A community charity fund (社区慈善基金) at a district, street or community, held by
/// an organisation (often a foundation's special fund, 专项基金).
#[Object]
impl Fund {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Fund, self.0.id)
    }
    /// The fund's name, e.g. 北京街道社区慈善基金.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// The organisation that holds the fund (e.g. 广州市慈善会).
    async fn holder_name(&self) -> &str {
        &self.0.holder_name
    }
    /// The holder's unified social credit code (统一社会信用代码), when given.
    async fn holder_credit_code(&self) -> Option<&str> {
        self.0.holder_credit_code.as_deref()
    }
    /// What the fund is for.
    async fn purpose(&self) -> &str {
        &self.0.purpose
    }
    /// The day it opened.
    async fn opened_on(&self) -> Day {
        self.0.opened_on.into()
    }
    /// The day it closed; null while open.
    async fn closed_on(&self) -> Option<Day> {
        self.0.closed_on.map(Into::into)
    }
    /// The fundraising target in fen, when set.
    async fn target_fen(&self) -> Option<Fen> {
        self.0.target_fen.map(Fen)
    }
    /// What it holds now, in fen: the sum of its ledger lines (donations in, voids
    /// and payments out).
    async fn balance_fen(&self, ctx: &Context<'_>) -> GqlResult<Fen> {
        Ok(Fen(crate::graphql::loaders::children::<
            crate::graphql::loaders::FundBalances,
        >(ctx, &self.0)
        .await?))
    }
    /// Whether it takes donations.
    async fn status(&self) -> FundStatus {
        self.0.status
    }
    /// Division code of the unit the record belongs to.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// Who opened it (null when the caller cannot see that user).
    async fn created_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.created_by).await
    }
}

/// A new fund.
#[derive(InputObject)]
pub struct OpenFundInput {
    /// Division code of the district, street or community it belongs to.
    pub unit_code: String,
    /// The fund's name.
    pub name: String,
    /// The organisation that holds it.
    pub holder_name: String,
    /// The holder's unified social credit code (18 characters, check digit verified).
    pub holder_credit_code: Option<String>,
    /// What the fund is for.
    pub purpose: String,
    /// The day it opened.
    pub opened_on: Day,
    /// A fundraising target in fen (more than 0, at most ¥100,000,000).
    pub target_fen: Option<Fen>,
}

/// The result of `openFund`.
#[derive(SimpleObject)]
pub struct OpenFundPayload {
    /// The new fund.
    pub fund: Fund,
}

impl From<FundRecord> for OpenFundPayload {
    fn from(f: FundRecord) -> Self {
        OpenFundPayload { fund: Fund(f) }
    }
}

/// Changes to an open fund; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateFundInput {
    /// The fund's global ID.
    pub id: ID,
    /// A new name.
    pub name: Option<String>,
    /// A new purpose.
    pub purpose: Option<String>,
    /// A new target in fen; `null` removes it.
    pub target_fen: MaybeUndefined<Fen>,
}

/// Closes an open fund: it takes no donations from then on and keeps its history.
#[derive(InputObject)]
pub struct CloseFundInput {
    /// The fund's global ID.
    pub id: ID,
    /// The day it closed (not before it opened, not in the future).
    pub closed_on: Day,
}

/// The result of `updateFund` and `closeFund`.
#[derive(SimpleObject)]
pub struct FundPayload {
    /// The fund as it is now.
    pub fund: Fund,
}

impl From<FundRecord> for FundPayload {
    fn from(f: FundRecord) -> Self {
        FundPayload { fund: Fund(f) }
    }
}

/// Moves money from one open fund to another.
#[derive(InputObject)]
pub struct TransferBetweenFundsInput {
    /// The paying fund's global ID.
    pub from_fund_id: ID,
    /// The receiving fund's global ID.
    pub to_fund_id: ID,
    /// The amount in fen (more than 0, at most ¥100,000,000, at most what the paying
    /// fund holds).
    pub amount_fen: Fen,
    /// Why (at most 300 characters; kept on the ledger entry and in the audit log).
    pub memo: String,
}

/// The result of `transferBetweenFunds`.
#[derive(SimpleObject)]
pub struct TransferBetweenFundsPayload {
    /// The paying fund, as it is now.
    pub from_fund: Fund,
    /// The receiving fund, as it is now.
    pub to_fund: Fund,
    /// The amount moved, in fen.
    pub amount_fen: Fen,
}

#[derive(Default)]
pub struct FundQuery;

#[Object]
impl FundQuery {
    /// Funds the caller may see (`fund.read`), by unit unless `orderBy` says.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn funds(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only funds in this status.")] status: Option<FundStatus>,
        #[graphql(desc = "Sort order; left out, by unit.")] order_by: Option<
            OrderBy<NameOrderField>,
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
    ) -> GqlResult<Connection<Fund>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Fund, |cx, page, want_total| async move {
            let filter = FundFilter {
                under: parse_under(under.as_deref())?,
                status,
            };
            funds::list(cx, &filter, OrderBy::pair(order_by), &page, want_total).await
        })
        .await
    }

    /// A fund by its global ID; null when it does not exist or the caller may not see it.
    async fn fund(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The fund's global ID.")] id: ID,
    ) -> GqlResult<Option<Fund>> {
        use async_graphql::ErrorExtensions;
        let raw = id_of(NodeKind::Fund, &id).map_err(|e| e.extend())?;
        Ok(visible(funds::get(cx_of(ctx)?, raw).await)?.map(Fund))
    }
}

#[derive(Default)]
pub struct FundMutation;

#[Object]
impl FundMutation {
    /// Opens a community charity fund at a district, street or community
    /// (`fund.create` there).
    async fn open_fund(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: OpenFundInput,
    ) -> GqlResult<OpenFundPayload> {
        answer(async {
            let new = NewFund {
                unit_code: input.unit_code,
                name: input.name,
                holder_name: input.holder_name,
                holder_credit_code: input.holder_credit_code,
                purpose: input.purpose,
                opened_on: input.opened_on.into(),
                target_fen: input.target_fen.map(|f| f.0),
            };
            funds::open(crate::graphql::parts(ctx)?, new).await
        })
        .await
    }
    /// Changes an open fund (`fund.update` at its unit).
    async fn update_fund(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateFundInput,
    ) -> GqlResult<FundPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Fund, &input.id)?;
            let changes = funds::FundChanges {
                name: input.name,
                purpose: input.purpose,
                target_fen: maybe::<Fen, Fen>(input.target_fen).map(|t| t.map(|f| f.0)),
            };
            funds::update(cx, id, changes).await
        })
        .await
    }
    /// Moves money between two open funds: the approval a disbursement of the amount
    /// would need at the paying fund (`disbursement.approve` at the level
    /// `[charity] approval` names), and `fund.update` at the receiving one. One
    /// balanced ledger entry; refused when the paying fund holds less.
    async fn transfer_between_funds(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: TransferBetweenFundsInput,
    ) -> GqlResult<TransferBetweenFundsPayload> {
        answer(async {
            let from = id_of(NodeKind::Fund, &input.from_fund_id)?;
            let to = id_of(NodeKind::Fund, &input.to_fund_id)?;
            let cx = crate::graphql::parts(ctx)?;
            let amount = input.amount_fen.0;
            funds::transfer(cx, from, to, amount, &input.memo)
                .await
                .map(|(f, t)| TransferBetweenFundsPayload {
                    from_fund: Fund(f),
                    to_fund: Fund(t),
                    amount_fen: Fen(amount),
                })
        })
        .await
    }
    /// Closes an open fund (`fund.update` at its unit).
    async fn close_fund(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CloseFundInput,
    ) -> GqlResult<FundPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Fund, &input.id)?;
            funds::close(cx, id, input.closed_on.into()).await
        })
        .await
    }
}
