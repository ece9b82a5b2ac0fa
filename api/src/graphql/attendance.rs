//! Attendance: sign-ups, check-in and check-out sessions.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use entity::kinds::CheckMethod;

use crate::error::{Reason, ServiceError};
use crate::graphql::activities::activity_of;
use crate::graphql::activities::Activity;
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::records::ServiceRecord;
use crate::graphql::scalars::Timestamp;
use crate::graphql::volunteers::volunteer_of;
use crate::graphql::volunteers::Volunteer;
use crate::graphql::{answer, id_of, opt_id, parse_under, parts, target, GqlResult};
use crate::services::attendance::{
    self, Attendance, AttendanceRecord, Proof, SignupFilter, SignupRecord,
};
use crate::services::records::ServiceRecord as RecordData;
use crate::services::CreatedOrderField;

/// One check-in session.
#[derive(SimpleObject)]
pub struct AttendanceSession {
    /// When the volunteer checked in.
    pub check_in_at: Timestamp,
    /// When the volunteer checked out; null while still on site.
    pub check_out_at: Option<Timestamp>,
    /// How the check-in was made.
    pub check_in_method: CheckMethod,
    /// How the check-out was made.
    pub check_out_method: Option<CheckMethod>,
    /// Why a manual check-in was entered.
    pub check_in_reason: Option<String>,
    /// Why a manual check-out was entered.
    pub check_out_reason: Option<String>,
}

impl From<AttendanceRecord> for AttendanceSession {
    fn from(a: AttendanceRecord) -> Self {
        AttendanceSession {
            check_in_at: a.check_in_at.into(),
            check_out_at: a.check_out_at.map(Into::into),
            check_in_method: a.check_in_method,
            check_out_method: a.check_out_method,
            check_in_reason: a.check_in_reason,
            check_out_reason: a.check_out_reason,
        }
    }
}

/// A volunteer's sign-up for an activity.
pub struct Signup(pub SignupRecord);

/// A volunteer's place on an activity (报名), with its attendance.
#[Object]
impl Signup {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Signup, self.0.id)
    }
    /// The activity (null when out of the caller's reach).
    async fn activity(&self, ctx: &Context<'_>) -> GqlResult<Option<Activity>> {
        activity_of(ctx, Some(self.0.activity_id)).await
    }
    /// The volunteer (null when out of the caller's reach).
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        volunteer_of(ctx, self.0.volunteer_id).await
    }
    /// The activity's unit.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// False once cancelled.
    async fn active(&self) -> bool {
        self.0.active
    }
    /// When the volunteer signed up.
    async fn signed_up_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
    /// When the sign-up was cancelled, if it was.
    async fn cancelled_at(&self) -> Option<Timestamp> {
        self.0.cancelled_at.map(Into::into)
    }
    /// Check-in sessions, oldest first.
    async fn sessions(&self, ctx: &Context<'_>) -> GqlResult<Vec<AttendanceSession>> {
        Ok(loaders::children::<loaders::SignupSessions>(ctx, &self.0)
            .await?
            .into_iter()
            .map(AttendanceSession::from)
            .collect())
    }
}

/// Sign up for an activity that is recruiting.
#[derive(InputObject)]
pub struct SignUpInput {
    /// The activity's global ID.
    pub activity_id: ID,
    /// Default: the caller's own volunteer record.
    pub volunteer_id: Option<ID>,
}

/// Give up a place on an activity.
#[derive(InputObject)]
pub struct CancelSignupInput {
    /// The sign-up's global ID.
    pub signup_id: ID,
}

/// The result of `signUp`.
#[derive(SimpleObject)]
pub struct SignUpPayload {
    /// The new sign-up.
    pub signup: Signup,
}

/// The result of `cancelSignup`.
#[derive(SimpleObject)]
pub struct CancelSignupPayload {
    /// The sign-up, now cancelled.
    pub signup: Signup,
}

impl From<SignupRecord> for CancelSignupPayload {
    fn from(s: SignupRecord) -> Self {
        CancelSignupPayload { signup: Signup(s) }
    }
}

/// Check-in or check-out: with the activity's `code` (the volunteer itself), or
/// manually by an organiser with a `reason` (and optionally when it happened).
#[derive(InputObject)]
pub struct AttendanceInput {
    /// The activity's global ID.
    pub activity_id: ID,
    /// Default: the caller's own volunteer record.
    pub volunteer_id: Option<ID>,
    /// The activity's check-in code shown on site (签到码); give this or `reason`.
    pub code: Option<String>,
    /// For a manual entry by an organiser: why the code was not used.
    pub reason: Option<String>,
    /// Manual entries only; default now.
    pub at: Option<Timestamp>,
}

impl AttendanceInput {
    fn into_service(self) -> Result<Attendance, ServiceError> {
        let proof = match (self.code, self.reason) {
            (Some(code), None) => {
                if self.at.is_some() {
                    return Err(Reason::AT_ONLY_FOR_MANUAL.at("at").into());
                }
                Proof::Code(code)
            }
            (None, Some(reason)) => Proof::Manual {
                reason,
                at: self.at.map(Into::into),
            },
            _ => return Err(Reason::CODE_OR_REASON.into()),
        };
        Ok(Attendance {
            activity_id: id_of(NodeKind::Activity, &self.activity_id)?,
            volunteer_id: opt_id(NodeKind::Volunteer, &self.volunteer_id)?,
            proof,
        })
    }
}

/// The result of `checkIn`.
#[derive(SimpleObject)]
pub struct CheckInPayload {
    /// The attendance session opened.
    pub session: AttendanceSession,
}

/// The result of `checkOut`.
#[derive(SimpleObject)]
pub struct CheckOutPayload {
    /// The attendance session closed.
    pub session: AttendanceSession,
    /// The hours credited for the session (awaiting approval); null when it lasted
    /// under 15 minutes.
    pub service_record: Option<ServiceRecord>,
}

impl From<SignupRecord> for SignUpPayload {
    fn from(s: SignupRecord) -> Self {
        SignUpPayload { signup: Signup(s) }
    }
}

impl From<AttendanceRecord> for CheckInPayload {
    fn from(s: AttendanceRecord) -> Self {
        CheckInPayload { session: s.into() }
    }
}

impl From<(AttendanceRecord, Option<RecordData>)> for CheckOutPayload {
    fn from((s, r): (AttendanceRecord, Option<RecordData>)) -> Self {
        CheckOutPayload {
            session: s.into(),
            service_record: r.map(ServiceRecord),
        }
    }
}

#[derive(Default)]
pub struct AttendanceQuery;

#[Object]
impl AttendanceQuery {
    /// Sign-ups the caller may see (a volunteer: its own).
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn signups(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only sign-ups for this activity.")] activity_id: Option<ID>,
        #[graphql(desc = "Only this volunteer's sign-ups.")] volunteer_id: Option<ID>,
        #[graphql(desc = "Only sign-ups still held (true) or cancelled ones (false).")]
        active: Option<bool>,
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
                under: parse_under(under.as_deref())?,
                activity_id: opt_id(NodeKind::Activity, &activity_id)?,
                volunteer_id: opt_id(NodeKind::Volunteer, &volunteer_id)?,
                active,
                starts_after: None,
            };
            attendance::list(cx, &filter, OrderBy::pair(order_by), &page, want_total).await
        })
        .await
    }
}

#[derive(Default)]
pub struct AttendanceMutation;

#[Object]
impl AttendanceMutation {
    /// Signs a volunteer up; signing up twice returns the same sign-up. CONFLICT
    /// when the activity is full or not recruiting.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: SignUpInput,
    ) -> GqlResult<SignUpPayload> {
        answer(async {
            let (cx, activity) = target(ctx, NodeKind::Activity, &input.activity_id)?;
            let volunteer = opt_id(NodeKind::Volunteer, &input.volunteer_id)?;
            attendance::sign_up(cx, activity, volunteer).await
        })
        .await
    }
    /// Cancels a sign-up before the activity starts.
    async fn cancel_signup(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CancelSignupInput,
    ) -> GqlResult<CancelSignupPayload> {
        answer(async {
            let (cx, id) = target(ctx, NodeKind::Signup, &input.signup_id)?;
            attendance::cancel(cx, id).await
        })
        .await
    }
    /// Checks in; checking in again while checked in returns the open session.
    async fn check_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: AttendanceInput,
    ) -> GqlResult<CheckInPayload> {
        answer(async {
            let input = input.into_service()?;
            let cx = parts(ctx)?;
            attendance::check_in(cx, input).await
        })
        .await
    }
    /// Checks out and records the session's hours, rounded by the rule.
    async fn check_out(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: AttendanceInput,
    ) -> GqlResult<CheckOutPayload> {
        answer(async {
            let input = input.into_service()?;
            let cx = parts(ctx)?;
            attendance::check_out(cx, input).await
        })
        .await
    }
}
