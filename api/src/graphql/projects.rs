//! Volunteer service projects: type, list and changes.

use async_graphql::{Context, InputObject, MaybeUndefined, Object, SimpleObject, ID};

use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::organizations::Organization;
use crate::graphql::scalars::Day;
use crate::graphql::teams::Team;
use crate::graphql::units::Unit;
use crate::graphql::{
    answer, load_unit, maybe, maybe_id, opt_id, parse_under, parts, target, GqlResult,
};
use crate::services::projects::{self, NewProject, ProjectRecord};
use crate::services::NameOrderField;

/// A service project on the published list.
pub struct Project(pub ProjectRecord);

/// A volunteer service project (志愿服务项目): a standing programme that activities belong to.
#[Object]
impl Project {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Project, self.0.id)
    }
    /// The project's name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// Service field code.
    async fn field(&self) -> &str {
        &self.0.field
    }
    /// Division code of the unit the record belongs to.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// What the project does.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// First day.
    async fn starts_on(&self) -> Option<Day> {
        self.0.starts_on.map(Into::into)
    }
    /// Last day.
    async fn ends_on(&self) -> Option<Day> {
        self.0.ends_on.map(Into::into)
    }
    /// The team that runs it (null when none or out of the caller's reach).
    async fn team(&self, ctx: &Context<'_>) -> GqlResult<Option<Team>> {
        Ok(loaders::load_opt::<loaders::Teams>(ctx, self.0.team_id)
            .await?
            .map(Team))
    }
    /// The organisation behind it (null when none or out of the caller's reach).
    async fn organization(&self, ctx: &Context<'_>) -> GqlResult<Option<Organization>> {
        Ok(
            loaders::load_opt::<loaders::Organizations>(ctx, self.0.organization_id)
                .await?
                .map(Organization),
        )
    }
}

/// A new volunteer service project (志愿服务项目) at a unit.
#[derive(InputObject)]
pub struct CreateProjectInput {
    /// The project's name.
    pub name: String,
    /// Service field code.
    pub field: String,
    /// Division code of the unit that runs it.
    pub unit_code: String,
    /// The team that runs it, if any.
    pub team_id: Option<ID>,
    /// The organisation behind it, if any.
    pub organization_id: Option<ID>,
    /// What the project does.
    #[graphql(default)]
    pub description: String,
    /// First day.
    pub starts_on: Option<Day>,
    /// Last day; not before `startsOn`.
    pub ends_on: Option<Day>,
}

/// The result of `createProject`.
#[derive(SimpleObject)]
pub struct CreateProjectPayload {
    /// The new project.
    pub project: Project,
}

/// Changes to a project; fields left out stay as they are, `null` clears one. A
/// project keeps an owner (a team or an organisation).
#[derive(InputObject)]
pub struct UpdateProjectInput {
    /// The project's global ID.
    pub id: ID,
    /// A new name.
    pub name: Option<String>,
    /// Service-field code.
    pub field: Option<String>,
    /// A new description.
    pub description: Option<String>,
    /// A new first day; null clears it.
    pub starts_on: MaybeUndefined<Day>,
    /// A new last day; null clears it.
    pub ends_on: MaybeUndefined<Day>,
    /// A new team; null clears it (a project keeps a team or an organisation).
    pub team_id: MaybeUndefined<ID>,
    /// A new organisation; null clears it (a project keeps a team or an organisation).
    pub organization_id: MaybeUndefined<ID>,
}

/// The result of `updateProject`.
#[derive(SimpleObject)]
pub struct UpdateProjectPayload {
    /// The project as it is now.
    pub project: Project,
}

impl From<ProjectRecord> for UpdateProjectPayload {
    fn from(p: ProjectRecord) -> Self {
        UpdateProjectPayload {
            project: Project(p),
        }
    }
}

impl From<ProjectRecord> for CreateProjectPayload {
    fn from(p: ProjectRecord) -> Self {
        CreateProjectPayload {
            project: Project(p),
        }
    }
}

#[derive(Default)]
pub struct ProjectQuery;

#[Object]
impl ProjectQuery {
    /// Projects the caller may see.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only projects in this service field (its code).")] field: Option<String>,
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
    ) -> GqlResult<Connection<Project>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Project, |cx, page, want_total| async move {
            projects::list(
                cx,
                parse_under(under.as_deref())?.as_ref(),
                field.as_deref(),
                OrderBy::pair(order_by),
                &page,
                want_total,
            )
            .await
        })
        .await
    }
}

#[derive(Default)]
pub struct ProjectMutation;

#[Object]
impl ProjectMutation {
    /// Changes a project (`project.update` at its unit).
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateProjectInput,
    ) -> GqlResult<UpdateProjectPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Project, &input.id)?;
            let changes = projects::ProjectChanges {
                name: input.name,
                field: input.field,
                description: input.description,
                starts_on: maybe(input.starts_on),
                ends_on: maybe(input.ends_on),
                team_id: maybe_id(NodeKind::Team, input.team_id)?,
                organization_id: maybe_id(NodeKind::Organization, input.organization_id)?,
            };
            projects::update(cx, id, changes).await
        })
        .await
    }
    /// Create a volunteer service project.
    async fn create_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CreateProjectInput,
    ) -> GqlResult<CreateProjectPayload> {
        answer(async {
            let new = NewProject {
                name: input.name,
                field: input.field,
                unit_code: input.unit_code,
                team_id: opt_id(NodeKind::Team, &input.team_id)?,
                organization_id: opt_id(NodeKind::Organization, &input.organization_id)?,
                description: input.description,
                starts_on: input.starts_on.map(Into::into),
                ends_on: input.ends_on.map(Into::into),
            };
            let cx = parts(ctx)?;
            projects::create(cx, new).await
        })
        .await
    }
}
