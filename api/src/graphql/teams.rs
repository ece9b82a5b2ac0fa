//! Volunteer teams: type, list, members and changes.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};

use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::units::Unit;
use crate::graphql::volunteers::Volunteer;
use crate::graphql::{
    answer, id_of, load_unit, maybe_id, opt_id, parse_under, parts, target, GqlResult,
};
use crate::services::teams::{self, NewTeam, TeamFilter, TeamRecord};
use crate::services::volunteers::{self, VolunteerFilter};
use crate::services::NameOrderField;

/// A volunteer team; teams form a tree.
pub struct Team(pub TeamRecord);

/// A volunteer team (志愿服务队) at a unit, with a leader and members; teams may nest.
#[Object]
impl Team {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Team, self.0.id)
    }
    /// The team's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Division code of the unit the record belongs to.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// The parent team, when the caller may see it.
    async fn parent(&self, ctx: &Context<'_>) -> GqlResult<Option<Team>> {
        Ok(loaders::load_opt::<loaders::Teams>(ctx, self.0.parent_id)
            .await?
            .map(Team))
    }
    /// Codes of the service fields it works in.
    async fn fields(&self, ctx: &Context<'_>) -> GqlResult<Vec<String>> {
        loaders::children::<loaders::TeamFields>(ctx, &self.0).await
    }
    /// The leader, when the caller may see the volunteer.
    async fn leader(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        Ok(
            loaders::load_opt::<loaders::Volunteers>(ctx, self.0.leader_id)
                .await?
                .map(Volunteer::new),
        )
    }
    /// How many members it has.
    async fn member_count(&self, ctx: &Context<'_>) -> GqlResult<i64> {
        let n = loaders::children::<loaders::TeamMemberCounts>(ctx, &self.0).await?;
        Ok(i64::try_from(n).unwrap_or(i64::MAX))
    }
    /// Members the caller may see.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn members(
        &self,
        ctx: &Context<'_>,
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
    ) -> GqlResult<Connection<Volunteer>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            Volunteer::new,
            |cx, page, want_total| async move {
                let filter = VolunteerFilter {
                    team_id: Some(self.0.id),
                    ..Default::default()
                };
                volunteers::list(cx, &filter, &page, want_total).await
            },
        )
        .await
    }
}

/// A new volunteer team (志愿服务队) at a unit.
#[derive(InputObject)]
pub struct CreateTeamInput {
    /// The team's name.
    pub name: String,
    /// Division code of the unit it belongs to.
    pub unit_code: String,
    /// The parent team: the new team sits at its unit or below it.
    pub parent_id: Option<ID>,
    /// Codes of the service fields it works in (see `serviceFields`).
    #[graphql(default)]
    pub fields: Vec<String>,
    /// A volunteer to lead the team (also made a member).
    pub leader_id: Option<ID>,
}

/// The result of `createTeam`.
#[derive(SimpleObject)]
pub struct CreateTeamPayload {
    /// The new team.
    pub team: Team,
}

/// A volunteer and a team.
#[derive(InputObject)]
pub struct TeamMemberInput {
    /// The team's global ID.
    pub team_id: ID,
    /// The volunteer's global ID.
    pub volunteer_id: ID,
}

/// The result of adding or removing a team member.
#[derive(SimpleObject)]
pub struct TeamMemberPayload {
    /// The team as it is now.
    pub team: Team,
}

/// Changes to a team; fields left out stay as they are. A new parent must be a team
/// the caller sees, at the team's unit or above, and not one of its sub-teams; a new
/// leader joins the team if not a member yet.
#[derive(InputObject)]
pub struct UpdateTeamInput {
    /// The team's global ID.
    pub id: ID,
    /// A new name.
    pub name: Option<String>,
    /// Service-field codes; replaces the team's list.
    pub fields: Option<Vec<String>>,
    /// `null`: no leader.
    pub leader_id: MaybeUndefined<ID>,
    /// `null`: a top-level team.
    pub parent_id: MaybeUndefined<ID>,
}

/// The result of `updateTeam`.
#[derive(SimpleObject)]
pub struct UpdateTeamPayload {
    /// The team as it is now.
    pub team: Team,
}

impl From<TeamRecord> for UpdateTeamPayload {
    fn from(t: TeamRecord) -> Self {
        UpdateTeamPayload { team: Team(t) }
    }
}

impl From<TeamRecord> for CreateTeamPayload {
    fn from(t: TeamRecord) -> Self {
        CreateTeamPayload { team: Team(t) }
    }
}

impl From<TeamRecord> for TeamMemberPayload {
    fn from(t: TeamRecord) -> Self {
        TeamMemberPayload { team: Team(t) }
    }
}

#[derive(Default)]
pub struct TeamQuery;

#[Object]
impl TeamQuery {
    /// Teams the caller may see; `parentId` lists one team's sub-teams.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn teams(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only sub-teams of this team.")] parent_id: Option<ID>,
        #[graphql(desc = "Sort order; left out, oldest first.")] order_by: Option<
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
    ) -> GqlResult<Connection<Team>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Team, |cx, page, want_total| async move {
            let parent_id = opt_id(NodeKind::Team, &parent_id)?;
            let filter = TeamFilter {
                under: parse_under(under.as_deref())?,
                parent_id,
            };
            teams::list(cx, &filter, OrderBy::pair(order_by), &page, want_total).await
        })
        .await
    }
}

#[derive(Default)]
pub struct TeamMutation;

#[Object]
impl TeamMutation {
    /// Create a volunteer team at a unit, optionally under a parent team and with a leader.
    async fn create_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CreateTeamInput,
    ) -> GqlResult<CreateTeamPayload> {
        answer(async {
            let new = NewTeam {
                name: input.name,
                unit_code: input.unit_code,
                parent_id: opt_id(NodeKind::Team, &input.parent_id)?,
                fields: input.fields,
                leader_id: opt_id(NodeKind::Volunteer, &input.leader_id)?,
            };
            let cx = parts(ctx)?;
            teams::create(cx, new).await
        })
        .await
    }
    /// Changes a team: name, fields, leader, parent (`team.update` at its unit).
    async fn update_team(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateTeamInput,
    ) -> GqlResult<UpdateTeamPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Team, &input.id)?;
            let changes = teams::TeamChanges {
                name: input.name,
                fields: input.fields,
                leader_id: maybe_id(NodeKind::Volunteer, input.leader_id)?,
                parent_id: maybe_id(NodeKind::Team, input.parent_id)?,
            };
            teams::update(cx, id, changes).await
        })
        .await
    }
    /// Add a volunteer to a team.
    async fn add_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: TeamMemberInput,
    ) -> GqlResult<TeamMemberPayload> {
        answer(async {
            let (cx, team) = target(ctx, NodeKind::Team, &input.team_id)?;
            let volunteer = id_of(NodeKind::Volunteer, &input.volunteer_id)?;
            teams::add_member(cx, team, volunteer).await
        })
        .await
    }
    /// Remove a volunteer from a team (not its leader).
    async fn remove_team_member(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: TeamMemberInput,
    ) -> GqlResult<TeamMemberPayload> {
        answer(async {
            let (cx, team) = target(ctx, NodeKind::Team, &input.team_id)?;
            let volunteer = id_of(NodeKind::Volunteer, &input.volunteer_id)?;
            teams::remove_member(cx, team, volunteer).await
        })
        .await
    }
}
