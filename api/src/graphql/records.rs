//! Service records: hours logged, reviewed, corrected and revoked.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use entity::kinds::ServiceRecordSource;
use entity::kinds::ServiceRecordState;

use crate::graphql::accounts::user_of;
use crate::graphql::accounts::User;
use crate::graphql::activities::activity_of;
use crate::graphql::activities::Activity;
use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::scalars::Timestamp;
use crate::graphql::units::Unit;
use crate::graphql::volunteers::volunteer_of;
use crate::graphql::volunteers::Volunteer;
use crate::graphql::{answer, load_unit, opt_id, parse_under, parts, target, GqlResult};
use crate::services::records::RecordOrderField;
use crate::services::records::{self, LogHours, RecordFilter, ServiceRecord as RecordData};

/// Hours of one volunteer, awaiting or past approval.
pub struct ServiceRecord(pub RecordData);

// A street's list of records (`bench/volunteers.sh`: 0.72 ms of server CPU per
// 100-row page through the executor) resolves these one row after another.
crate::graphql::connection::flat_fields!(ServiceRecord {
    "id" => id,
    "unitCode" => unit_code,
    "hours" => hours,
    "startedAt" => started_at,
    "endedAt" => ended_at,
    "source" => source,
    "content" => content,
    "reason" => reason,
    "state" => state,
    "recordedAt" => recorded_at,
    "decidedAt" => decided_at,
    "decisionNote" => decision_note,
    "fraud" => fraud,
});

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

impl From<RecordData> for ServiceRecordPayload {
    fn from(r: RecordData) -> Self {
        ServiceRecordPayload {
            service_record: ServiceRecord(r),
        }
    }
}

#[derive(Default)]
pub struct RecordQuery;

#[Object]
impl RecordQuery {
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
            |cx, page, want_total| async move {
                let filter = RecordFilter {
                    under: parse_under(under.as_deref())?,
                    volunteer_id: opt_id(NodeKind::Volunteer, &volunteer_id)?,
                    activity_id: opt_id(NodeKind::Activity, &activity_id)?,
                    state,
                    from: from.map(Into::into),
                    to: to.map(Into::into),
                    order: OrderBy::pair(order_by),
                };
                records::list(cx, &filter, &page, want_total).await
            },
        )
        .await
    }
}

#[derive(Default)]
pub struct RecordMutation;

#[Object]
impl RecordMutation {
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
            let cx = parts(ctx)?;
            records::log_hours(cx, log).await
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
            let (cx, id) = target(ctx, NodeKind::ServiceRecord, &input.id)?;
            records::approve(cx, id, input.note).await
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
            let (cx, id) = target(ctx, NodeKind::ServiceRecord, &input.id)?;
            records::reject(cx, id, &input.reason).await
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
            let (cx, id) = target(ctx, NodeKind::ServiceRecord, &input.id)?;
            records::revoke_for_fraud(cx, id, &input.reason).await
        })
        .await
    }
}
