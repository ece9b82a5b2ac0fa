//! Star ratings: nominations on public notice and their grants.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use entity::kinds::NominationState;

use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::scalars::Timestamp;
use crate::graphql::units::Unit;
use crate::graphql::volunteers::volunteer_of;
use crate::graphql::volunteers::Volunteer;
use crate::graphql::{answer, cx_of, load_unit, opt_id, parse_under, target, GqlResult};
use crate::services::stars::{self, NominationFilter, NominationRecord};
use crate::services::CreatedOrderField;

/// A volunteer nominated for a star rating; a public notice (公示).
pub struct StarNomination(pub NominationRecord);

/// A nomination for a star rating (星级志愿者), published for a notice period (公示) before it is granted.
#[Object]
impl StarNomination {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::StarNomination, self.0.id)
    }
    /// The volunteer, when the caller may read it.
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        volunteer_of(ctx, self.0.volunteer_id).await
    }
    /// The nominee's name; masked (`张*丰`) for callers who cannot read the volunteer.
    async fn volunteer_name(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        let Some(nominee) = loaders::children::<loaders::Nominee>(ctx, &self.0).await? else {
            return Ok(None);
        };
        stars::nominee_name(cx_of(ctx)?, &self.0, &nominee)
            .map(Some)
            .map_err(|e| e.extend())
    }
    /// The volunteer's home unit when nominated.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// The star level nominated for (1 to 5).
    async fn stars(&self) -> i32 {
        i32::from(self.0.stars)
    }
    /// Approved hours when nominated.
    async fn hours(&self) -> f64 {
        self.0.half_hours as f64 / 2.0
    }
    /// Where the nomination is.
    async fn state(&self) -> NominationState {
        self.0.state
    }
    /// When it was made.
    async fn nominated_at(&self) -> Timestamp {
        self.0.nominated_at.into()
    }
    /// The public notice runs until this time; no grant before it.
    async fn listed_until(&self) -> Timestamp {
        self.0.listed_until.into()
    }
    /// When the stars were granted, if they were.
    async fn granted_at(&self) -> Option<Timestamp> {
        self.0.granted_at.map(Into::into)
    }
}

/// Grant the stars of a nomination whose notice period has passed.
#[derive(InputObject)]
pub struct GrantStarInput {
    /// The nomination's global ID.
    pub nomination_id: ID,
}

/// The result of `grantStar`.
#[derive(SimpleObject)]
pub struct GrantStarPayload {
    /// The nomination, now granted.
    pub nomination: StarNomination,
}

impl From<NominationRecord> for GrantStarPayload {
    fn from(n: NominationRecord) -> Self {
        GrantStarPayload {
            nomination: StarNomination(n),
        }
    }
}

#[derive(Default)]
pub struct StarQuery;

#[Object]
impl StarQuery {
    /// Star nominations, newest first: a public notice, readable by anyone.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn star_nominations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only nominations in this state.")] state: Option<NominationState>,
        #[graphql(desc = "Only this volunteer's nominations.")] volunteer_id: Option<ID>,
        #[graphql(desc = "Sort order; left out, newest first.")] order_by: Option<
            OrderBy<CreatedOrderField>,
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
    ) -> GqlResult<Connection<StarNomination>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            StarNomination,
            |cx, page, want_total| async move {
                let filter = NominationFilter {
                    under: parse_under(under.as_deref())?,
                    state,
                    volunteer_id: opt_id(NodeKind::Volunteer, &volunteer_id)?,
                };
                stars::list(cx, &filter, OrderBy::pair(order_by), &page, want_total).await
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct StarMutation;

#[Object]
impl StarMutation {
    /// Grants a nominated star after its public notice, by an admin at the level
    /// the policy names for that star.
    async fn grant_star(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: GrantStarInput,
    ) -> GqlResult<GrantStarPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::StarNomination, &input.nomination_id)?;
            stars::grant(cx, id).await
        })
        .await
    }
}
