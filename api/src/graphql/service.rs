//! Activities, sign-ups, check-in/out, service records, star nominations and
//! certificates in GraphQL.

use async_graphql::{
    Context, ErrorExtensions, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use chrono::Utc;

use crate::error::{ErrorCode, Reason, ServiceError};
use crate::graphql::accounts::User;
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::loaders;
use crate::graphql::node::{global_id, NodeKind};
use crate::graphql::scalars::{Day, Timestamp};
use crate::graphql::units::Unit;
use crate::graphql::volunteers::{IdType, Project, Team, Volunteer};
use crate::graphql::{
    access, answer, id_of, load_unit, maybe, opt_id, parse_under, parts, store, target, visible,
    GqlResult,
};
use crate::services::activities::ActivityOrderField;
use crate::services::activities::{self, ActivityFilter, ActivityRecord, NewActivity, Published};
use crate::services::certificates::{self, CertificateFilter, CertificateRecord, IssueCertificate};
use crate::services::records::RecordOrderField;
use crate::services::records::{self, LogHours, RecordFilter, ServiceRecord as RecordData};
use crate::services::signups::{
    self, Attendance, AttendanceRecord, Proof, SignupFilter, SignupRecord,
};
use crate::services::stars::{self, NominationFilter, NominationRecord};
use crate::services::CreatedOrderField;
pub use entity::kinds::{
    ActivityState, CheckMethod, NominationState, ServiceRecordSource, ServiceRecordState,
};

pub(crate) async fn user_of(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<User>> {
    Ok(loaders::load_opt::<loaders::Users>(ctx, id)
        .await?
        .map(User))
}

pub(crate) async fn volunteer_of(ctx: &Context<'_>, id: i64) -> GqlResult<Option<Volunteer>> {
    Ok(loaders::load::<loaders::Volunteers>(ctx, id)
        .await?
        .map(Volunteer::new))
}

async fn activity_of(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<Activity>> {
    Ok(loaders::load_opt::<loaders::Activities>(ctx, id)
        .await?
        .map(Activity))
}

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
        match activities::check_in_code(access(ctx)?, &self.0) {
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
        list(
            ctx,
            paging,
            Signup,
            |store, access, page, want_total| async move {
                let filter = SignupFilter {
                    activity_id: Some(self.0.id),
                    ..Default::default()
                };
                signups::list(
                    store,
                    access,
                    &filter,
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
        .await
    }
}

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
        Ok(loaders::children::<loaders::SignupSessions>(ctx, self.0.id)
            .await?
            .into_iter()
            .map(AttendanceSession::from)
            .collect())
    }
}

/// Hours of one volunteer, awaiting or past approval.
pub struct ServiceRecord(pub RecordData);

/// Service hours (服务时长记录) of one volunteer: from an activity's attendance or entered by hand, and their review.
#[Object]
impl ServiceRecord {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::ServiceRecord, self.0.id)
    }
    /// The volunteer who served (null when out of the caller's reach).
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        volunteer_of(ctx, self.0.volunteer_id).await
    }
    /// The activity served in (null when none or out of the caller's reach).
    async fn activity(&self, ctx: &Context<'_>) -> GqlResult<Option<Activity>> {
        activity_of(ctx, self.0.activity_id).await
    }
    /// The unit that recorded the hours (and certifies them).
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// Hours credited; negative for a correction that takes hours away.
    async fn hours(&self) -> f64 {
        f64::from(self.0.half_hours) / 2.0
    }
    /// When the service started.
    async fn started_at(&self) -> Timestamp {
        self.0.started_at.into()
    }
    /// When it ended.
    async fn ended_at(&self) -> Option<Timestamp> {
        self.0.ended_at.map(Into::into)
    }
    /// How the record came about.
    async fn source(&self) -> ServiceRecordSource {
        self.0.source
    }
    /// What was done.
    async fn content(&self) -> &str {
        &self.0.content
    }
    /// Why it was entered by hand, if it was.
    async fn reason(&self) -> Option<&str> {
        self.0.reason.as_deref()
    }
    /// Where it is in review.
    async fn state(&self) -> ServiceRecordState {
        self.0.state
    }
    /// Who entered it (null for attendance or out of the caller's reach).
    async fn recorded_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.recorded_by).await
    }
    /// When it was entered.
    async fn recorded_at(&self) -> Timestamp {
        self.0.recorded_at.into()
    }
    /// Who approved, rejected or revoked it.
    async fn decided_by(&self, ctx: &Context<'_>) -> GqlResult<Option<User>> {
        user_of(ctx, self.0.decided_by).await
    }
    /// When that decision was made.
    async fn decided_at(&self) -> Option<Timestamp> {
        self.0.decided_at.map(Into::into)
    }
    /// The note or reason given with the decision.
    async fn decision_note(&self) -> Option<&str> {
        self.0.decision_note.as_deref()
    }
    /// The approved record this one corrects.
    async fn corrects(&self, ctx: &Context<'_>) -> GqlResult<Option<ServiceRecord>> {
        Ok(
            loaders::load_opt::<loaders::ServiceRecords>(ctx, self.0.corrects_id)
                .await?
                .map(ServiceRecord),
        )
    }
    /// True for hours revoked for fraud.
    async fn fraud(&self) -> bool {
        self.0.fraud
    }
}

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
        let Some(nominee) = loaders::load::<loaders::Nominees>(ctx, self.0.volunteer_id).await?
        else {
            return Ok(None);
        };
        stars::nominee_name(access(ctx)?, &self.0, &nominee)
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

/// One line of a certificate: a kind of service and its hours.
#[derive(SimpleObject)]
pub struct CertificateLine {
    /// What was done.
    pub content: String,
    /// Approved hours of it.
    pub hours: f64,
}

/// A volunteer service record certificate (志愿服务记录证明).
pub struct Certificate {
    record: CertificateRecord,
    personal: tokio::sync::OnceCell<certificates::CertificatePersonal>,
}

impl Certificate {
    pub fn new(record: CertificateRecord) -> Certificate {
        Certificate {
            record,
            personal: tokio::sync::OnceCell::new(),
        }
    }

    /// Decided (and, when unmasked, audited) once per certificate per request.
    async fn personal(&self, ctx: &Context<'_>) -> GqlResult<&certificates::CertificatePersonal> {
        let (store, access) = (store(ctx)?, access(ctx)?);
        self.personal
            .get_or_try_init(|| certificates::personal(store, access, &self.record))
            .await
            .map_err(|e| e.extend())
    }
}

/// A volunteer service certificate (志愿服务证明): the approved hours of one volunteer over a period, as issued.
#[Object]
impl Certificate {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Certificate, self.record.id)
    }
    /// Unique; verify at `GET /certificates/{number}`.
    async fn number(&self) -> &str {
        &self.record.number
    }
    /// The volunteer (null when the caller cannot see the record).
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        volunteer_of(ctx, self.record.volunteer_id).await
    }
    /// The volunteer's name as printed (masked without personal-data permission).
    async fn real_name(&self) -> &str {
        &self.record.real_name
    }
    /// The kind of ID document, as printed.
    async fn id_type(&self) -> Option<IdType> {
        Some(self.record.id_kind)
    }
    /// As printed on the certificate; masked (`440104********1234`) unless the caller
    /// holds `volunteer.read_personal` over the volunteer (each unmasked read is
    /// audited).
    async fn id_number(&self, ctx: &Context<'_>) -> GqlResult<String> {
        Ok(self.personal(ctx).await?.id_number.clone())
    }
    /// Whether `idNumber` (and the printable page) are masked for this caller.
    async fn personal_data_masked(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.personal(ctx).await?.masked)
    }
    /// The volunteer number as printed.
    async fn volunteer_number(&self) -> &str {
        &self.record.volunteer_number
    }
    /// First day of the period covered.
    async fn from(&self) -> Day {
        self.record.period_from.into()
    }
    /// Last day of the period covered.
    async fn to(&self) -> Day {
        self.record.period_to.into()
    }
    /// Approved service hours in the period.
    async fn hours(&self) -> f64 {
        self.record.half_hours as f64 / 2.0
    }
    /// The service done, one line per kind of service with its hours.
    async fn content(&self) -> Vec<CertificateLine> {
        self.record
            .content
            .iter()
            .map(|l| CertificateLine {
                content: l.content.clone(),
                hours: l.half_hours as f64 / 2.0,
            })
            .collect()
    }
    /// The issuing unit.
    async fn unit_code(&self) -> &str {
        self.record.unit.as_str()
    }
    /// Name of the unit that issued it.
    async fn issuing_unit(&self) -> &str {
        &self.record.unit_name
    }
    /// The person who issued it.
    async fn handler(&self) -> &str {
        &self.record.handler_name
    }
    /// When it was issued.
    async fn issued_at(&self) -> Timestamp {
        self.record.issued_at.into()
    }
    /// The certificate as a printable A4 HTML page (the ID number under the same
    /// rule as `idNumber`).
    async fn printable_html(&self, ctx: &Context<'_>) -> GqlResult<String> {
        Ok(certificates::printable_html(
            &self.record,
            self.personal(ctx).await?,
        ))
    }
}

#[derive(Default)]
pub struct ServiceQuery;

// The complexity functions async-graphql generates take every argument.
#[allow(clippy::too_many_arguments)]
#[Object]
impl ServiceQuery {
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
        list(
            ctx,
            paging,
            Activity,
            |store, access, page, want_total| async move {
                let filter = ActivityFilter {
                    under: parse_under(under.as_deref())?,
                    order: OrderBy::pair(order_by),
                    state,
                    from: from.map(Into::into),
                    to: to.map(Into::into),
                    project_id: opt_id(NodeKind::Project, &project_id)?,
                    team_id: opt_id(NodeKind::Team, &team_id)?,
                };
                activities::list(store, access, &filter, &page, want_total).await
            },
        )
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
        Ok(visible(activities::get(store(ctx)?, access(ctx)?, raw).await)?.map(Activity))
    }

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
        list(
            ctx,
            paging,
            Signup,
            |store, access, page, want_total| async move {
                let filter = SignupFilter {
                    under: parse_under(under.as_deref())?,
                    activity_id: opt_id(NodeKind::Activity, &activity_id)?,
                    volunteer_id: opt_id(NodeKind::Volunteer, &volunteer_id)?,
                    active,
                };
                signups::list(
                    store,
                    access,
                    &filter,
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
        .await
    }

    /// Service records the caller may see (a volunteer: its own), by recording unit
    /// and newest first within a unit.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn service_records(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only this volunteer's records.")] volunteer_id: Option<ID>,
        #[graphql(desc = "Only records of this activity.")] activity_id: Option<ID>,
        #[graphql(desc = "Only records in this state.")] state: Option<ServiceRecordState>,
        #[graphql(desc = "Only service that started at or after this time.")] from: Option<
            Timestamp,
        >,
        #[graphql(desc = "Only service that started before this time.")] to: Option<Timestamp>,
        #[graphql(desc = "Sort order; left out, by recording unit, newest first within a unit.")]
        order_by: Option<OrderBy<RecordOrderField>>,
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
    ) -> GqlResult<Connection<ServiceRecord>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            ServiceRecord,
            |store, access, page, want_total| async move {
                let filter = RecordFilter {
                    under: parse_under(under.as_deref())?,
                    volunteer_id: opt_id(NodeKind::Volunteer, &volunteer_id)?,
                    activity_id: opt_id(NodeKind::Activity, &activity_id)?,
                    state,
                    from: from.map(Into::into),
                    to: to.map(Into::into),
                    order: OrderBy::pair(order_by),
                };
                records::list(store, access, &filter, &page, want_total).await
            },
        )
        .await
    }

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
            |store, access, page, want_total| async move {
                let filter = NominationFilter {
                    under: parse_under(under.as_deref())?,
                    state,
                    volunteer_id: opt_id(NodeKind::Volunteer, &volunteer_id)?,
                };
                stars::list(
                    store,
                    access,
                    &filter,
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
        .await
    }

    /// Certificates the caller may see, newest first (a volunteer: its own).
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn certificates(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only this volunteer's certificates.")] volunteer_id: Option<ID>,
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
    ) -> GqlResult<Connection<Certificate>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            Certificate::new,
            |store, access, page, want_total| async move {
                let filter = CertificateFilter {
                    under: parse_under(under.as_deref())?,
                    volunteer_id: opt_id(NodeKind::Volunteer, &volunteer_id)?,
                };
                certificates::list(
                    store,
                    access,
                    &filter,
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
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

/// Hours logged by the volunteer, back-filled (补录) by an organiser (`reason`
/// required), or a correction of an approved record (`correctsId`; `hours` is the
/// difference, negative to take hours away).
#[derive(InputObject)]
pub struct LogHoursInput {
    /// Default: the caller's own volunteer record.
    pub volunteer_id: Option<ID>,
    /// The activity the hours were served in, if any.
    pub activity_id: Option<ID>,
    /// Where the hours were served, for hours outside an activity.
    pub unit_code: Option<String>,
    /// When the service started.
    pub started_at: Option<Timestamp>,
    /// A multiple of 0.5.
    pub hours: f64,
    /// What was done (for hours outside an activity).
    pub content: Option<String>,
    /// Why the hours are entered by hand (补录原因).
    pub reason: Option<String>,
    /// The service record this one corrects, if it is a correction.
    pub corrects_id: Option<ID>,
}

/// The result of a service-record mutation.
#[derive(SimpleObject)]
pub struct ServiceRecordPayload {
    /// The service record as it is now.
    pub service_record: ServiceRecord,
}

/// Approve a pending service record so its hours count.
#[derive(InputObject)]
pub struct ApproveServiceRecordInput {
    /// The service record's global ID.
    pub id: ID,
    /// An optional note kept with the decision.
    pub note: Option<String>,
}

/// Reject a pending service record.
#[derive(InputObject)]
pub struct RejectServiceRecordInput {
    /// The service record's global ID.
    pub id: ID,
    /// Why, shown to the volunteer.
    pub reason: String,
}

/// Takes away an approved record's hours for fraud.
#[derive(InputObject)]
pub struct RevokeServiceRecordInput {
    /// The service record's global ID.
    pub id: ID,
    /// What was found; kept in the audit log and on the revocation record.
    pub reason: String,
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

/// Issue a service certificate for a volunteer.
#[derive(InputObject)]
pub struct IssueCertificateInput {
    /// The volunteer's global ID.
    pub volunteer_id: ID,
    /// First day of the period (China Standard Time), included.
    pub from: Day,
    /// Last day of the period, included.
    pub to: Day,
    /// The issuing unit; default: the unit where the caller issues certificates.
    pub unit_code: Option<String>,
}

/// The result of `issueCertificate`.
#[derive(SimpleObject)]
pub struct CertificatePayload {
    /// The issued certificate.
    pub certificate: Certificate,
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

impl From<RecordData> for ServiceRecordPayload {
    fn from(r: RecordData) -> Self {
        ServiceRecordPayload {
            service_record: ServiceRecord(r),
        }
    }
}

impl From<NominationRecord> for GrantStarPayload {
    fn from(n: NominationRecord) -> Self {
        GrantStarPayload {
            nomination: StarNomination(n),
        }
    }
}

impl From<CertificateRecord> for CertificatePayload {
    fn from(c: CertificateRecord) -> Self {
        CertificatePayload {
            certificate: Certificate::new(c),
        }
    }
}

#[derive(Default)]
pub struct ServiceMutation;

#[Object]
impl ServiceMutation {
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
            let (store, access) = parts(ctx)?;
            activities::create(store, access, new).await
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
            let (store, access, id) = target(ctx, NodeKind::Activity, &input.id)?;
            activities::publish(store, access, id).await
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
            let (store, access, id) = target(ctx, NodeKind::Activity, &input.id)?;
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
            activities::update(store, access, id, changes).await
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
            let (store, access, id) = target(ctx, NodeKind::Activity, &input.id)?;
            activities::return_to_author(store, access, id, &input.reason).await
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
            let (store, access, id) = target(ctx, NodeKind::Activity, &input.id)?;
            activities::cancel(store, access, id, &input.reason).await
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
            let (store, access, id) = target(ctx, NodeKind::Activity, &input.id)?;
            activities::close(store, access, id, input.people_served).await
        })
        .await
    }

    /// Signs a volunteer up; signing up twice returns the same sign-up. CONFLICT
    /// when the activity is full or not recruiting.
    async fn sign_up(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: SignUpInput,
    ) -> GqlResult<SignUpPayload> {
        answer(async {
            let (store, access, activity) = target(ctx, NodeKind::Activity, &input.activity_id)?;
            let volunteer = opt_id(NodeKind::Volunteer, &input.volunteer_id)?;
            signups::sign_up(store, access, activity, volunteer).await
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
            let (store, access, id) = target(ctx, NodeKind::Signup, &input.signup_id)?;
            signups::cancel(store, access, id).await
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
            let (store, access) = parts(ctx)?;
            signups::check_in(store, access, input).await
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
            let (store, access) = parts(ctx)?;
            signups::check_out(store, access, input).await
        })
        .await
    }

    /// Enter service hours by hand (补录), or a correction of a record; they wait for approval.
    async fn log_hours(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: LogHoursInput,
    ) -> GqlResult<ServiceRecordPayload> {
        answer(async {
            let log = LogHours {
                volunteer_id: opt_id(NodeKind::Volunteer, &input.volunteer_id)?,
                activity_id: opt_id(NodeKind::Activity, &input.activity_id)?,
                unit_code: input.unit_code,
                started_at: input.started_at.map(Into::into),
                hours: input.hours,
                content: input.content,
                reason: input.reason,
                corrects_id: opt_id(NodeKind::ServiceRecord, &input.corrects_id)?,
            };
            let (store, access) = parts(ctx)?;
            records::log_hours(store, access, log).await
        })
        .await
    }

    /// Approves recorded hours: by a holder of `service_record.approve` who neither
    /// recorded nor served them.
    async fn approve_service_record(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: ApproveServiceRecordInput,
    ) -> GqlResult<ServiceRecordPayload> {
        answer(async {
            let (store, access, id) = target(ctx, NodeKind::ServiceRecord, &input.id)?;
            records::approve(store, access, id, input.note).await
        })
        .await
    }

    /// Reject a pending service record with a reason.
    async fn reject_service_record(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RejectServiceRecordInput,
    ) -> GqlResult<ServiceRecordPayload> {
        answer(async {
            let (store, access, id) = target(ctx, NodeKind::ServiceRecord, &input.id)?;
            records::reject(store, access, id, &input.reason).await
        })
        .await
    }

    /// Takes away an approved record's hours for fraud (a linked revocation record)
    /// and bars the volunteer from stars for the policy's period.
    async fn revoke_service_record(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RevokeServiceRecordInput,
    ) -> GqlResult<ServiceRecordPayload> {
        answer(async {
            let (store, access, id) = target(ctx, NodeKind::ServiceRecord, &input.id)?;
            records::revoke_for_fraud(store, access, id, &input.reason).await
        })
        .await
    }

    /// Grants a nominated star after its public notice, by an admin at the level
    /// the policy names for that star.
    async fn grant_star(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: GrantStarInput,
    ) -> GqlResult<GrantStarPayload> {
        answer(async {
            let (store, access, id) = target(ctx, NodeKind::StarNomination, &input.nomination_id)?;
            stars::grant(store, access, id).await
        })
        .await
    }

    /// Certifies the approved hours recorded by a unit for a volunteer in a period.
    async fn issue_certificate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: IssueCertificateInput,
    ) -> GqlResult<CertificatePayload> {
        answer(async {
            let issue = IssueCertificate {
                volunteer_id: id_of(NodeKind::Volunteer, &input.volunteer_id)?,
                from: input.from.into(),
                to: input.to.into(),
                unit_code: input.unit_code,
            };
            let (store, access) = parts(ctx)?;
            certificates::issue(store, access, issue).await
        })
        .await
    }
}
