//! Activities: their type, list, lifecycle mutations and check-in codes.

use async_graphql::{
    Context, ErrorExtensions, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use chrono::Utc;
use entity::kinds::ActivityState;

use crate::error::{ErrorCode, ServiceError};
use crate::graphql::accounts::user_of;
use crate::graphql::accounts::User;
use crate::graphql::attendance::Signup;
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::projects::Project;
use crate::graphql::scalars::Timestamp;
use crate::graphql::teams::Team;
use crate::graphql::units::Unit;
use crate::graphql::{
    answer, cx_of, id_of, load_unit, maybe, opt_id, parse_under, parts, target, visible, GqlResult,
};
use crate::services::activities::ActivityOrderField;
use crate::services::activities::{self, ActivityFilter, ActivityRecord, NewActivity, Published};
use crate::services::attendance::{self, SignupFilter};
use crate::services::CreatedOrderField;

/// The check-in code of an activity, shown by front-ends as a QR code.
#[derive(SimpleObject)]
pub struct CheckInCode {
    /// The code volunteers enter on site.
    pub code: String,
    /// The code rotates; the previous one is still accepted for one more period.
    pub valid_until: Timestamp,
    /// What to put in the QR code: `kapok:checkin:<activity id>:<code>`.
    pub qr_payload: String,
}

/// A volunteer activity.
pub struct Activity(pub ActivityRecord);

/// A volunteer service activity (志愿服务活动) at a unit: recruited, signed up for, attended and closed with its hours.
#[Object]
impl Activity {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Activity, self.0.id)
    }
    /// The activity's title as volunteers see it.
    async fn title(&self) -> &str {
        &self.0.title
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
    /// The project the activity belongs to, if any.
    async fn project(&self, ctx: &Context<'_>) -> GqlResult<Option<Project>> {
        Ok(
            loaders::load_opt::<loaders::Projects>(ctx, self.0.project_id)
                .await?
                .map(Project),
        )
    }
    /// The team that runs the activity, if any.
    async fn team(&self, ctx: &Context<'_>) -> GqlResult<Option<Team>> {
        Ok(loaders::load_opt::<loaders::Teams>(ctx, self.0.team_id)
            .await?
            .map(Team))
    }
    /// Where it takes place.
    async fn place(&self) -> &str {
        &self.0.place
    }
    /// What volunteers will do, what to bring, whom to ask.
    async fn description(&self) -> &str {
        &self.0.description
    }
    /// When it starts.
    async fn starts_at(&self) -> Timestamp {
        self.0.starts_at.into()
    }
    /// When it ends.
    async fn ends_at(&self) -> Timestamp {
        self.0.ends_at.into()
    }
    /// When sign-ups open; null means from publication.
    async fn recruit_from(&self) -> Option<Timestamp> {
        self.0.recruit_from.map(Into::into)
    }
    /// Sign-ups close at this time, or at the start when not set.
    async fn recruit_until(&self) -> Option<Timestamp> {
        self.0.recruit_until.map(Into::into)
    }
    /// How many volunteers it takes.
    async fn capacity(&self) -> i32 {
        self.0.capacity
    }
    /// How many volunteers hold a sign-up now.
    async fn signed_up(&self) -> i32 {
        self.0.signed_up
    }
    /// Places still free (capacity minus sign-ups, never below 0).
    async fn seats_left(&self) -> i32 {
        (self.0.capacity - self.0.signed_up).max(0)
    }
    /// Whether sign-ups are open right now.
    async fn recruiting(&self) -> bool {
        self.0.recruiting(Utc::now())
    }
    /// Where the activity is in its life cycle.
    async fn state(&self) -> ActivityState {
        self.0.state
    }
    /// Who made the last change of state, when the caller may see the user.
    async fn state_changed_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.state_changed_by).await
    }
    /// When the state last changed.
    async fn state_changed_at(&self) -> Timestamp {
        self.0.state_changed_at.into()
    }
    /// Recorded by the organiser at the close.
    async fn people_served(&self) -> Option<i32> {
        self.0.people_served
    }
    /// The current check-in code: for the activity's organisers only (null for
    /// everyone else), while it is published or in progress.
    async fn check_in_code(&self, ctx: &Context<'_>) -> GqlResult<Option<CheckInCode>> {
        match activities::check_in_code(cx_of(ctx)?, &self.0) {
            Ok(c) => Ok(Some(CheckInCode {
                qr_payload: format!(
                    "kapok:checkin:{}:{}",
                    global_id(NodeKind::Activity, self.0.id).0,
                    c.code
                ),
                code: c.code,
                valid_until: c.valid_until.into(),
            })),
            Err(ServiceError::NotFound(_)) => Ok(None),
            Err(ServiceError::Refused(p))
                if matches!(p.reason.code(), ErrorCode::Forbidden | ErrorCode::Conflict) =>
            {
                Ok(None)
            }
            Err(e) => Err(e.extend()),
        }
    }
    /// Sign-ups the caller may see.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn signups(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Sort order; left out, oldest first.")] order_by: Option<
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
    ) -> GqlResult<Connection<Signup>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Signup, |cx, page, want_total| async move {
            let filter = SignupFilter {
                activity_id: Some(self.0.id),
                ..Default::default()
            };
            attendance::list(cx, &filter, OrderBy::pair(order_by), &page, want_total).await
        })
        .await
    }
}

/// A new activity, created as a draft.
#[derive(InputObject)]
pub struct CreateActivityInput {
    /// The activity's title.
    pub title: String,
    /// Service field code.
    pub field: String,
    /// Division code of the unit that runs it.
    pub unit_code: String,
    /// The project it belongs to, if any.
    pub project_id: Option<ID>,
    /// The team that runs it, if any.
    pub team_id: Option<ID>,
    /// Where it takes place.
    pub place: String,
    /// What volunteers will do, what to bring, whom to ask (up to 5,000 characters).
    #[graphql(default)]
    pub description: String,
    /// When it starts.
    pub starts_at: Timestamp,
    /// When it ends; after `startsAt`.
    pub ends_at: Timestamp,
    /// How many volunteers it takes (at least 1).
    pub capacity: i32,
    /// When sign-ups open; left out, from publication.
    pub recruit_from: Option<Timestamp>,
    /// When sign-ups close; left out, at the start.
    pub recruit_until: Option<Timestamp>,
}

/// Changes to an activity; fields left out stay as they are. While a draft (or
/// waiting for review) everything may change. Once published: `title`, `field`,
/// `description` and `capacity` (not below the sign-ups) freely; `place`,
/// `startsAt`, `endsAt` and the recruiting window only with a `reason`, before the
/// start. Closed and cancelled activities do not change (CONFLICT).
#[derive(InputObject)]
pub struct UpdateActivityInput {
    /// The activity's global ID.
    pub id: ID,
    /// A new title.
    pub title: Option<String>,
    /// Service field code.
    pub field: Option<String>,
    /// A new place (once published, only with a `reason`).
    pub place: Option<String>,
    /// A new description; null clears it.
    pub description: Option<String>,
    /// A new capacity, not below the sign-ups held.
    pub capacity: Option<i32>,
    /// A new start (once published, only with a `reason`, and still in the future).
    pub starts_at: Option<Timestamp>,
    /// A new end (once published, only with a `reason`).
    pub ends_at: Option<Timestamp>,
    /// `null` removes the bound; left out, it stays.
    pub recruit_from: MaybeUndefined<Timestamp>,
    /// `null` removes the bound; left out, it stays.
    pub recruit_until: MaybeUndefined<Timestamp>,
    /// Why a published activity's place or times change (audited).
    pub reason: Option<String>,
}

/// A reviewer sends an activity waiting for review back to its author.
#[derive(InputObject)]
pub struct ReturnActivityInput {
    /// The activity's global ID.
    pub id: ID,
    /// What the author should change; kept in the audit log.
    pub reason: String,
}

/// The result of an activity mutation.
#[derive(SimpleObject)]
pub struct ActivityPayload {
    /// The activity as it is now.
    pub activity: Activity,
}

/// Publish a draft activity (or submit it for review when the policy requires one).
#[derive(InputObject)]
pub struct PublishActivityInput {
    /// The activity's global ID.
    pub id: ID,
}

/// The result of `publishActivity`.
#[derive(SimpleObject)]
pub struct PublishActivityPayload {
    /// The activity as it is now.
    pub activity: Activity,
    /// True when the call submitted the activity for review instead of publishing.
    pub submitted_for_review: bool,
}

/// Cancel an activity; everyone signed up is released.
#[derive(InputObject)]
pub struct CancelActivityInput {
    /// The activity's global ID.
    pub id: ID,
    /// Why, shown to the volunteers who had signed up.
    pub reason: String,
}

/// Close a finished activity, which records its volunteers' hours.
#[derive(InputObject)]
pub struct CloseActivityInput {
    /// The activity's global ID.
    pub id: ID,
    /// How many people the activity served (服务人次), for the statistics.
    pub people_served: i32,
}

impl From<ActivityRecord> for ActivityPayload {
    fn from(a: ActivityRecord) -> Self {
        ActivityPayload {
            activity: Activity(a),
        }
    }
}

impl From<Published> for PublishActivityPayload {
    fn from(p: Published) -> Self {
        let (a, submitted_for_review) = match p {
            Published::Published(a) => (a, false),
            Published::SubmittedForReview(a) => (a, true),
        };
        PublishActivityPayload {
            activity: Activity(a),
            submitted_for_review,
        }
    }
}

#[derive(Default)]
pub struct ActivityQuery;

#[Object]
impl ActivityQuery {
    /// Activities the caller may see, by unit and newest first within a unit
    /// (drafts only for their organisers and reviewers); `from`/`to` bound the
    /// start time.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn activities(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only activities in this state.")] state: Option<ActivityState>,
        #[graphql(desc = "Only activities starting at or after this time.")] from: Option<
            Timestamp,
        >,
        #[graphql(desc = "Only activities starting before this time.")] to: Option<Timestamp>,
        #[graphql(desc = "Only activities of this project.")] project_id: Option<ID>,
        #[graphql(desc = "Only activities of this team.")] team_id: Option<ID>,
        #[graphql(desc = "Sort order; left out, by running unit, newest first within a unit.")]
        order_by: Option<OrderBy<ActivityOrderField>>,
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
    ) -> GqlResult<Connection<Activity>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(ctx, paging, Activity, |cx, page, want_total| async move {
            let filter = ActivityFilter {
                under: parse_under(under.as_deref())?,
                order: OrderBy::pair(order_by),
                state,
                from: from.map(Into::into),
                to: to.map(Into::into),
                project_id: opt_id(NodeKind::Project, &project_id)?,
                team_id: opt_id(NodeKind::Team, &team_id)?,
            };
            activities::list(cx, &filter, &page, want_total).await
        })
        .await
    }
    /// The activity with this ID; null when it does not exist or the caller may not
    /// see it.
    async fn activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity's global ID.")] id: ID,
    ) -> GqlResult<Option<Activity>> {
        let raw = id_of(NodeKind::Activity, &id).map_err(|e| e.extend())?;
        Ok(visible(activities::get(cx_of(ctx)?, raw).await)?.map(Activity))
    }
}

#[derive(Default)]
pub struct ActivityMutation;

#[Object]
impl ActivityMutation {
    /// Creates an activity as a draft.
    async fn create_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CreateActivityInput,
    ) -> GqlResult<ActivityPayload> {
        answer(async {
            let new = NewActivity {
                title: input.title,
                field: input.field,
                unit_code: input.unit_code,
                project_id: opt_id(NodeKind::Project, &input.project_id)?,
                team_id: opt_id(NodeKind::Team, &input.team_id)?,
                place: input.place,
                description: input.description,
                starts_at: input.starts_at.into(),
                ends_at: input.ends_at.into(),
                capacity: input.capacity,
                recruit_from: input.recruit_from.map(Into::into),
                recruit_until: input.recruit_until.map(Into::into),
            };
            let cx = parts(ctx)?;
            activities::create(cx, new).await
        })
        .await
    }
    /// Publishes a draft, or submits it for review where the policy asks for one
    /// (a reviewer's own call publishes).
    async fn publish_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: PublishActivityInput,
    ) -> GqlResult<PublishActivityPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Activity, &input.id)?;
            activities::publish(cx, id).await
        })
        .await
    }
    /// Changes an activity within what its state allows (see `UpdateActivityInput`).
    async fn update_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateActivityInput,
    ) -> GqlResult<ActivityPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Activity, &input.id)?;
            let changes = activities::ActivityChanges {
                title: input.title,
                field: input.field,
                place: input.place,
                description: input.description,
                capacity: input.capacity,
                starts_at: input.starts_at.map(Into::into),
                ends_at: input.ends_at.map(Into::into),
                recruit_from: maybe(input.recruit_from),
                recruit_until: maybe(input.recruit_until),
                reason: input.reason,
            };
            activities::update(cx, id, changes).await
        })
        .await
    }
    /// Sends an activity waiting for review back to its author as a draft, with the
    /// reason (reviewers above the activity's unit only).
    async fn return_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ReturnActivityInput,
    ) -> GqlResult<ActivityPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Activity, &input.id)?;
            activities::return_to_author(cx, id, &input.reason).await
        })
        .await
    }
    /// Cancels an activity before it starts (its sign-ups with it).
    async fn cancel_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CancelActivityInput,
    ) -> GqlResult<ActivityPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Activity, &input.id)?;
            attendance::cancel_activity(cx, id, &input.reason).await
        })
        .await
    }
    /// Closes an activity in progress, recording the people it served.
    async fn close_activity(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CloseActivityInput,
    ) -> GqlResult<ActivityPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Activity, &input.id)?;
            attendance::close_activity(cx, id, input.people_served).await
        })
        .await
    }
}

/// The activity with `id` through the request's loader (none when out of reach).
pub(crate) async fn activity_of(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<Activity>> {
    Ok(loaders::load_opt::<loaders::Activities>(ctx, id)
        .await?
        .map(Activity))
}
