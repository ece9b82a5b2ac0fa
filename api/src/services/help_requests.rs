//! Help requests (困难群众求助, 微心愿): a need filed at a community, verified at home
//! by a community worker (入户核实), published without anything identifying the
//! person, claimed by a volunteer, a team or a fund, fulfilled with what was done
//! (hours, goods, or a paid disbursement), and closed with the beneficiary's
//! feedback — or declined with a reason. The beneficiary is personal data
//! (`help_request.read_personal`).

use chrono::{DateTime, Utc};
use entity::kinds::{DisbursementState, HelpState, RequestedBy, Urgency};
use entity::{disbursement, help_request, team, team_field, volunteer, volunteer_field};
use policies::{Action, Level, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, TransactionTrait,
};
use serde_json::json;

use crate::codes::Phone;
use crate::error::{Problem, Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::{funds, ranges, records, scoped, teams, volunteers, Ctx, Person, Seen};

/// The category of a material need (anything else is a service field's code).
pub const MATERIAL: &str = "material";

#[derive(Debug, Clone)]
pub struct HelpRequestRecord {
    pub id: i64,
    pub unit: UnitCode,
    pub category: String,
    pub urgency: Urgency,
    pub description: String,
    pub requested_by: RequestedBy,
    pub attachments: Vec<String>,
    pub state: HelpState,
    pub decline_reason: Option<String>,
    pub claimed_volunteer_id: Option<i64>,
    pub claimed_team_id: Option<i64>,
    pub claimed_fund_id: Option<i64>,
    pub fulfilment_note: Option<String>,
    pub fulfilment_half_hours: Option<i32>,
    pub fulfilment_goods: Option<String>,
    pub disbursement_id: Option<i64>,
    pub feedback: Option<String>,
    pub feedback_rating: Option<i16>,
    pub submitted_at: DateTime<Utc>,
    pub verified_at: Option<DateTime<Utc>>,
    pub verified_by: Option<i64>,
    pub published_at: Option<DateTime<Utc>>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub fulfilled_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub created_by: Option<i64>,
}

impl TryFrom<help_request::Model> for HelpRequestRecord {
    type Error = ServiceError;
    fn try_from(m: help_request::Model) -> ServiceResult<Self> {
        Ok(HelpRequestRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            category: m.category,
            urgency: m.urgency,
            description: m.description,
            requested_by: m.requested_by,
            attachments: serde_json::from_str(&m.attachments).unwrap_or_default(),
            state: m.state,
            decline_reason: m.decline_reason,
            claimed_volunteer_id: m.claimed_volunteer_id,
            claimed_team_id: m.claimed_team_id,
            claimed_fund_id: m.claimed_fund_id,
            fulfilment_note: m.fulfilment_note,
            fulfilment_half_hours: m.fulfilment_half_hours,
            fulfilment_goods: m.fulfilment_goods,
            disbursement_id: m.disbursement_id,
            feedback: m.feedback,
            feedback_rating: m.feedback_rating,
            submitted_at: m.submitted_at,
            verified_at: m.verified_at,
            verified_by: m.verified_by,
            published_at: m.published_at,
            claimed_at: m.claimed_at,
            fulfilled_at: m.fulfilled_at,
            closed_at: m.closed_at,
            created_by: m.created_by,
        })
    }
}

/// What anyone may see of a published need: never who it is for.
#[derive(Debug, Clone)]
pub struct PublishedNeed {
    pub id: i64,
    pub unit: UnitCode,
    pub category: String,
    pub urgency: Urgency,
    pub description: String,
    pub published_at: Option<DateTime<Utc>>,
}

impl TryFrom<help_request::Model> for PublishedNeed {
    type Error = ServiceError;
    fn try_from(m: help_request::Model) -> ServiceResult<Self> {
        Ok(PublishedNeed {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            category: m.category,
            urgency: m.urgency,
            description: m.description,
            published_at: m.published_at,
        })
    }
}

/// The beneficiaries of requests the caller has read, as it may see them (see
/// [`super::reveal_people`]: full with `help_request.read_personal`, audited once
/// per unit).
pub async fn beneficiaries(
    cx: &Ctx,
    of: &[Seen<HelpRequestRecord>],
) -> ServiceResult<std::collections::HashMap<i64, Person>> {
    use help_request::Column as C;
    let rows: Vec<super::PersonRow> = scoped::unscoped::<help_request::Entity>(
        "the beneficiaries of requests the caller has read (Seen)",
    )
    .select_only()
    .columns([
        C::Id,
        C::UnitCode,
        C::BeneficiaryName,
        C::BeneficiaryPhone,
        C::BeneficiaryAddress,
    ])
    .filter(C::Id.is_in(Seen::ids(of)))
    .into_tuple()
    .all(cx.db())
    .await?;
    super::reveal_people(cx, Resource::HelpRequest, "help_request", rows).await
}

pub struct NewHelpRequest {
    pub unit_code: String,
    pub beneficiary_name: String,
    pub beneficiary_phone: Option<String>,
    pub beneficiary_address: Option<String>,
    pub category: String,
    pub urgency: Urgency,
    pub description: String,
    pub requested_by: RequestedBy,
    pub attachments: Vec<String>,
}

fn attachments(names: &[String]) -> ServiceResult<String> {
    if names.len() > 10 {
        return Err(Reason::ATTACHMENTS.at("attachments").into());
    }
    let mut clean = Vec::with_capacity(names.len());
    for n in names {
        let n = n.trim();
        if n.is_empty() || n.chars().count() > 100 {
            return Err(Reason::ATTACHMENTS.at("attachments").into());
        }
        clean.push(n.to_owned());
    }
    serde_json::to_string(&clean)
        .map_err(|e| ServiceError::Database(sea_orm::DbErr::Custom(e.to_string())))
}

/// Files a request at a community (`help_request.create` there).
pub async fn file(cx: &Ctx, input: NewHelpRequest) -> ServiceResult<HelpRequestRecord> {
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    if !matches!(unit.level(), Level::Community | Level::Grid) {
        return Err(Reason::NOT_A_COMMUNITY
            .at("unitCode")
            .arg("level", unit.level())
            .into());
    }
    let name = super::required_text("beneficiaryName", &input.beneficiary_name, 100)?;
    let phone = input
        .beneficiary_phone
        .as_deref()
        .map(Phone::parse)
        .transpose()
        .map_err(|e| Problem::from(e).at("beneficiaryPhone"))?;
    let address = super::optional_text(
        "beneficiaryAddress",
        input.beneficiary_address.as_deref(),
        200,
    )?;
    let description = super::required_text("description", &input.description, 2000)?;
    let attachments = attachments(&input.attachments)?;
    let category = input.category.trim().to_owned();
    cx.access()
        .require(Resource::HelpRequest, Action::Create, &unit)?;
    let txn = cx.db().begin().await?;
    super::units::require_exists(&txn, &unit).await?;
    if category != MATERIAL {
        volunteers::check_fields(&txn, std::slice::from_ref(&category))
            .await
            .map_err(|_| ServiceError::from(Reason::HELP_CATEGORY.at("category")))?;
    }
    let now = cx.now();
    let m = help_request::ActiveModel {
        unit_code: Set(unit.to_string()),
        beneficiary_name: Set(name),
        beneficiary_phone: Set(phone.map(|p| p.as_str().to_owned())),
        beneficiary_address: Set(address),
        category: Set(category.clone()),
        urgency: Set(input.urgency),
        description: Set(description),
        requested_by: Set(input.requested_by),
        attachments: Set(attachments),
        state: Set(HelpState::Submitted),
        submitted_at: Set(now),
        created_by: Set(cx.access().actor()),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    // Never the beneficiary in the log: the category and urgency say enough.
    audit::log(
        &txn,
        cx,
        Entry::new("help_request.file", &unit)
            .target("help_request", m.id)
            .summary(json!({ "category": category, "urgency": input.urgency, "requestedBy": input.requested_by })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

fn state_conflict(state: HelpState, action: &str) -> ServiceError {
    Reason::HELP_STATE
        .arg("state", state.as_str())
        .arg("action", action.to_owned())
        .into()
}

/// Moves a request from one of `from` to `to` with the extra columns, refusing
/// (CONFLICT) when someone else moved it first.
async fn transition(
    conn: &impl ConnectionTrait,
    id: i64,
    from: &[HelpState],
    to: HelpState,
    action: &str,
    set: Vec<(help_request::Column, sea_orm::sea_query::SimpleExpr)>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut u = help_request::Entity::update_many()
        .col_expr(help_request::Column::State, Expr::value(to))
        .col_expr(help_request::Column::UpdatedAt, Expr::value(now));
    for (c, e) in set {
        u = u.col_expr(c, e);
    }
    let done = u
        .filter(help_request::Column::Id.eq(id))
        .filter(help_request::Column::State.is_in(from.iter().copied()))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(state_conflict(to, action));
    }
    Ok(())
}

/// Ends a step on a request: its audit entry, the commit, and the request as it is
/// now.
async fn finish(
    txn: sea_orm::DatabaseTransaction,
    cx: &Ctx,
    unit: &UnitCode,
    id: i64,
    action: &str,
    summary: serde_json::Value,
) -> ServiceResult<HelpRequestRecord> {
    audit::log(
        &txn,
        cx,
        Entry::new(action, unit)
            .target("help_request", id)
            .summary(summary),
    )
    .await?;
    let after = reload(&txn, id).await?;
    txn.commit().await?;
    Ok(after)
}

async fn reload(conn: &impl ConnectionTrait, id: i64) -> ServiceResult<HelpRequestRecord> {
    scoped::unscoped_by_id::<help_request::Entity>(id, "the request just changed, read back")
        .one(conn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::HelpRequest))?
        .try_into()
}

/// A review step by a community worker (`help_request.approve`): verify, publish
/// or decline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Review {
    Verify,
    Publish,
    Decline,
}

pub async fn review(
    cx: &Ctx,
    id: i64,
    step: Review,
    reason: Option<&str>,
) -> ServiceResult<HelpRequestRecord> {
    let txn = cx.db().begin().await?;
    let m = cx
        .get::<help_request::Entity>(&txn, Action::Read, id)
        .await?;
    let unit = super::stored_unit(&m.unit_code)?;
    cx.access()
        .require(Resource::HelpRequest, Action::Approve, &unit)?;
    let now = cx.now();
    let (from, to, action, set): (&[HelpState], _, _, Vec<_>) = match step {
        Review::Verify => (
            &[HelpState::Submitted],
            HelpState::Verified,
            "verify",
            vec![
                (help_request::Column::VerifiedAt, Expr::value(now)),
                (
                    help_request::Column::VerifiedBy,
                    Expr::value(cx.access().actor()),
                ),
            ],
        ),
        Review::Publish => (
            &[HelpState::Verified],
            HelpState::Published,
            "publish",
            vec![(help_request::Column::PublishedAt, Expr::value(now))],
        ),
        Review::Decline => {
            let reason = super::required_text("reason", reason.unwrap_or(""), 500)?;
            (
                &[
                    HelpState::Submitted,
                    HelpState::Verified,
                    HelpState::Published,
                ],
                HelpState::Declined,
                "decline",
                vec![
                    (help_request::Column::DeclineReason, Expr::value(reason)),
                    (help_request::Column::ClosedAt, Expr::value(now)),
                ],
            )
        }
    };
    if !from.contains(&m.state) {
        return Err(state_conflict(m.state, action));
    }
    transition(&txn, id, from, to, action, set, now).await?;
    finish(
        txn,
        cx,
        &unit,
        id,
        &format!("help_request.{action}"),
        json!({ "reason": reason }),
    )
    .await
}

/// Who takes a published request on.
#[derive(Debug, Clone, Copy)]
pub enum Claimant {
    /// A volunteer: the caller's own record when `None`.
    Volunteer(Option<i64>),
    Team(i64),
    Fund(i64),
}

/// Claims a published request. A volunteer claims for itself (`help_request.update`
/// "own": the claim makes it the owner); an office with `help_request.update` at
/// the request's unit claims for a volunteer, a team or a fund it can read.
pub async fn claim(cx: &Ctx, id: i64, who: Claimant) -> ServiceResult<HelpRequestRecord> {
    let txn = cx.db().begin().await?;
    let m = scoped::unscoped_by_id::<help_request::Entity>(
        id,
        "a published need is public (help_request.browse); anything else is refused as not found below",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::HelpRequest))?;
    if m.state != HelpState::Published {
        // Only what the caller could read may answer with its state.
        cx.get::<help_request::Entity>(&txn, Action::Read, id)
            .await?;
        return Err(state_conflict(m.state, "claim"));
    }
    let unit = super::stored_unit(&m.unit_code)?;
    let (mut v_id, mut t_id, mut f_id, mut owner) = (None, None, None, None);
    match who {
        Claimant::Volunteer(vid) => {
            let v = volunteers::volunteer_for(&txn, cx, vid).await?;
            cx.access()
                .require_for(Resource::HelpRequest, Action::Update, &unit, v.user_id)?;
            v_id = Some(v.id);
            owner = v.user_id;
        }
        Claimant::Team(tid) => {
            cx.access()
                .require(Resource::HelpRequest, Action::Update, &unit)?;
            t_id = Some(teams::get_in(&txn, cx, Action::Read, tid).await?.id);
        }
        Claimant::Fund(fid) => {
            cx.access()
                .require(Resource::HelpRequest, Action::Update, &unit)?;
            f_id = Some(funds::get_in(&txn, cx, fid).await?.id);
        }
    }
    let now = cx.now();
    use help_request::Column as C;
    transition(
        &txn,
        id,
        &[HelpState::Published],
        HelpState::Claimed,
        "claim",
        vec![
            (C::ClaimedVolunteerId, Expr::value(v_id)),
            (C::ClaimedTeamId, Expr::value(t_id)),
            (C::ClaimedFundId, Expr::value(f_id)),
            (C::OwnerUserId, Expr::value(owner)),
            (C::ClaimedAt, Expr::value(now)),
        ],
        now,
    )
    .await?;
    finish(
        txn,
        cx,
        &unit,
        id,
        "help_request.claim",
        json!({ "volunteer": v_id, "team": t_id, "fund": f_id }),
    )
    .await
}

pub struct Fulfilment {
    /// Hours the claiming volunteer gave (recorded for approval).
    pub hours: Option<f64>,
    pub goods: Option<String>,
    /// A paid disbursement of the claiming fund.
    pub disbursement_id: Option<i64>,
    pub note: String,
}

/// Records what was done (`help_request.update`: the claiming volunteer, or an
/// office in scope). Hours become a service record of the claiming volunteer
/// waiting for approval; approved, they deposit in its time-bank account.
pub async fn fulfil(cx: &Ctx, id: i64, f: Fulfilment) -> ServiceResult<HelpRequestRecord> {
    let note = super::required_text("note", &f.note, 1000)?;
    let goods = super::optional_text("goods", f.goods.as_deref(), 500)?;
    let half = f.hours.map(records::half_hours_of).transpose()?;
    if half.is_none() && goods.is_none() && f.disbursement_id.is_none() {
        return Err(Reason::HELP_FULFILMENT.at("hours").into());
    }
    let txn = cx.db().begin().await?;
    let m = cx
        .get::<help_request::Entity>(&txn, Action::Read, id)
        .await?;
    let unit = super::stored_unit(&m.unit_code)?;
    cx.access().require_for(
        Resource::HelpRequest,
        Action::Update,
        &unit,
        m.owner_user_id,
    )?;
    if m.state != HelpState::Claimed {
        return Err(state_conflict(m.state, "fulfil"));
    }
    if let Some(h) = half {
        let Some(vid) = m.claimed_volunteer_id else {
            return Err(Reason::HELP_FULFILMENT.at("hours").into());
        };
        let v = scoped::unscoped_by_id::<volunteer::Entity>(
            vid,
            "the volunteer who claimed a request the caller may update",
        )
        .one(&txn)
        .await?
        .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
        let started = m.claimed_at.unwrap_or(m.submitted_at);
        let content: String = format!("微心愿：{}", m.description)
            .chars()
            .take(200)
            .collect();
        records::record_for_help(&txn, cx, &v, &unit, h, started, content).await?;
    }
    if let Some(did) = f.disbursement_id {
        let d = cx
            .get::<disbursement::Entity>(&txn, Action::Read, did)
            .await?;
        if d.state != DisbursementState::Paid || Some(d.fund_id) != m.claimed_fund_id {
            return Err(Reason::HELP_FULFILMENT.at("disbursementId").into());
        }
    }
    let now = cx.now();
    use help_request::Column as C;
    transition(
        &txn,
        id,
        &[HelpState::Claimed],
        HelpState::Fulfilled,
        "fulfil",
        vec![
            (C::FulfilmentNote, Expr::value(note)),
            (C::FulfilmentHalfHours, Expr::value(half)),
            (C::FulfilmentGoods, Expr::value(goods)),
            (C::DisbursementId, Expr::value(f.disbursement_id)),
            (C::FulfilledAt, Expr::value(now)),
        ],
        now,
    )
    .await?;
    finish(
        txn,
        cx,
        &unit,
        id,
        "help_request.fulfil",
        json!({ "halfHours": half, "disbursement": f.disbursement_id }),
    )
    .await
}

/// Closes a fulfilled request with the beneficiary's feedback, taken down by a
/// community worker (`help_request.approve`).
pub async fn close(
    cx: &Ctx,
    id: i64,
    feedback: &str,
    rating: i16,
) -> ServiceResult<HelpRequestRecord> {
    let feedback = super::required_text("feedback", feedback, 1000)?;
    if !(1..=5).contains(&rating) {
        return Err(Reason::HELP_RATING.at("rating").into());
    }
    let txn = cx.db().begin().await?;
    let m = cx
        .get::<help_request::Entity>(&txn, Action::Read, id)
        .await?;
    let unit = super::stored_unit(&m.unit_code)?;
    cx.access()
        .require(Resource::HelpRequest, Action::Approve, &unit)?;
    if m.state != HelpState::Fulfilled {
        return Err(state_conflict(m.state, "close"));
    }
    let now = cx.now();
    use help_request::Column as C;
    transition(
        &txn,
        id,
        &[HelpState::Fulfilled],
        HelpState::Closed,
        "close",
        vec![
            (C::Feedback, Expr::value(feedback)),
            (C::FeedbackRating, Expr::value(rating)),
            (C::ClosedAt, Expr::value(now)),
        ],
        now,
    )
    .await?;
    finish(
        txn,
        cx,
        &unit,
        id,
        "help_request.close",
        json!({ "rating": rating }),
    )
    .await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<HelpRequestRecord> {
    cx.get::<help_request::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, HelpRequestRecord>> {
    cx.get_many::<help_request::Entity, _>(Action::Read, ids, |r: &HelpRequestRecord| r.id)
        .await
}

#[derive(Debug, Clone, Default)]
pub struct HelpFilter {
    pub under: Option<UnitCode>,
    pub state: Option<HelpState>,
    pub urgency: Option<Urgency>,
}

/// Requests the caller may read, newest first within each unit.
pub async fn list(
    cx: &Ctx,
    filter: &HelpFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<HelpRequestRecord>, u64)> {
    let Some(mut q) = cx.find::<help_request::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    use help_request::Column as C;
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(C::UnitCode, under));
    }
    if let Some(s) = filter.state {
        q = q.filter(C::State.eq(s));
    }
    if let Some(u) = filter.urgency {
        q = q.filter(C::Urgency.eq(u));
    }
    let sort = super::Sort::new([C::UnitCode, C::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// Published needs at `under` or below, newest first. Public by `help_request.browse`:
/// only the need leaves the service, never who it is for.
pub async fn browse(
    cx: &Ctx,
    under: &UnitCode,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<PublishedNeed>, u64)> {
    cx.access()
        .require(Resource::HelpRequest, Action::Browse, under)?;
    use help_request::Column as C;
    let q = scoped::unscoped::<help_request::Entity>(
        "help_request.browse: published needs are public; only PublishedNeed's columns leave the service",
    )
    .filter(C::State.eq(HelpState::Published))
    .filter(ranges::subtree(C::UnitCode, under));
    let sort = super::Sort::new([C::State, C::UnitCode, C::Id], OrderDirection::Desc);
    super::page_by(cx, q, &sort, page, want_total).await
}

/// A helper `suggestedHelpers` proposes.
#[derive(Debug, Clone)]
pub enum Helper {
    Volunteer(volunteers::VolunteerRecord),
    Team(teams::TeamRecord),
}

#[derive(Debug, Clone)]
pub struct Suggestion {
    pub helper: Helper,
    /// Whether the helper serves the request's category.
    pub field_match: bool,
    /// 0: the request's community; 1: its street; 2: its district.
    pub distance: u8,
    pub score: i32,
}

/// How far a helper's unit is from the request's: 0 at or below its community, 1 in
/// its street, 2 in its district; `None` further away.
fn distance(tiers: &[UnitCode; 3], helper: &str) -> Option<u8> {
    let helper = UnitCode::parse(helper).ok()?;
    tiers
        .iter()
        .position(|t| t.contains(&helper))
        .map(|d| d as u8)
}

/// Teams and volunteers the caller may read within the request's district, ranked:
/// those serving the request's field first, then by hierarchy distance (same
/// community, then street, then district); at most `limit`.
pub async fn suggested_helpers(cx: &Ctx, id: i64, limit: usize) -> ServiceResult<Vec<Suggestion>> {
    let r = get(cx, id).await?;
    let above = |level: Level| {
        r.unit
            .ancestors()
            .into_iter()
            .find(|u| u.level() == level)
            .unwrap_or_else(|| r.unit.clone())
    };
    let tiers = [r.unit.clone(), above(Level::Street), above(Level::District)];
    let [_, street, district] = &tiers;
    let scan = 200u64;
    let mut out = Vec::new();
    // Volunteers serving the field come first within each distance.
    if let Some(q) = cx.find::<volunteer::Entity>(Action::Read)? {
        use sea_orm::sea_query::Query;
        let q = q
            .filter(ranges::subtree(volunteer::Column::UnitCode, district))
            .filter(volunteer::Column::Status.eq(entity::kinds::VolunteerStatus::Active));
        let mut with_field = Vec::new();
        if r.category != MATERIAL {
            // The field narrows the scoped read in SQL: every volunteer of the
            // district serving it is a candidate, however many serve it elsewhere.
            with_field = q
                .clone()
                .filter(
                    volunteer::Column::Id.in_subquery(
                        Query::select()
                            .column(volunteer_field::Column::VolunteerId)
                            .from(volunteer_field::Entity)
                            .and_where(volunteer_field::Column::FieldCode.eq(r.category.as_str()))
                            .to_owned(),
                    ),
                )
                .order_by_asc(volunteer::Column::UnitCode)
                .limit(scan)
                .all(cx.db())
                .await?;
        }
        let others = q
            .filter(ranges::subtree(volunteer::Column::UnitCode, street))
            .order_by_asc(volunteer::Column::Id)
            .limit(scan)
            .all(cx.db())
            .await?;
        let matched: std::collections::HashSet<i64> = with_field.iter().map(|v| v.id).collect();
        for (m, field_match) in with_field.into_iter().map(|m| (m, true)).chain(
            others
                .into_iter()
                .filter(|m| !matched.contains(&m.id))
                .map(|m| (m, false)),
        ) {
            if let Some(d) = distance(&tiers, &m.unit_code) {
                out.push(Suggestion {
                    score: i32::from(field_match) * 10 - i32::from(d) * 3,
                    helper: Helper::Volunteer(m.try_into()?),
                    field_match,
                    distance: d,
                });
            }
        }
    }
    if let Some(q) = cx.find::<team::Entity>(Action::Read)? {
        let teams: Vec<team::Model> = q
            .filter(ranges::subtree(team::Column::UnitCode, district))
            .order_by_asc(team::Column::Id)
            .limit(scan)
            .all(cx.db())
            .await?;
        let ids: Vec<i64> = teams.iter().map(|t| t.id).collect();
        let serving: std::collections::HashSet<i64> = if r.category == MATERIAL {
            Default::default()
        } else {
            scoped::unscoped::<team_field::Entity>("fields of teams the caller has read")
                .filter(team_field::Column::TeamId.is_in(ids))
                .filter(team_field::Column::FieldCode.eq(r.category.as_str()))
                .all(cx.db())
                .await?
                .into_iter()
                .map(|f| f.team_id)
                .collect()
        };
        for t in teams {
            if let Some(d) = distance(&tiers, &t.unit_code) {
                let field_match = serving.contains(&t.id);
                out.push(Suggestion {
                    score: i32::from(field_match) * 10 - i32::from(d) * 3 + 1,
                    helper: Helper::Team(t.try_into()?),
                    field_match,
                    distance: d,
                });
            }
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.score));
    out.truncate(limit);
    Ok(out)
}

/// Help-request figures for a unit's subtree.
#[derive(Debug, Clone, Default)]
pub struct HelpStats {
    pub by_state: Vec<(HelpState, i64)>,
    /// Median seconds from submission to fulfilment of the fulfilled or closed ones.
    pub median_seconds_to_fulfil: Option<i64>,
    pub fulfilled_by_volunteers: i64,
    pub fulfilled_by_teams: i64,
    pub fulfilled_by_funds: i64,
}

/// Figures over the requests at `under` or below the caller may read (all of
/// them: refused without `help_request.read` at the unit).
pub async fn stats(cx: &Ctx, under: &UnitCode) -> ServiceResult<HelpStats> {
    cx.access()
        .require(Resource::HelpRequest, Action::Read, under)?;
    use help_request::Column as C;
    let base = || {
        scoped::unscoped::<help_request::Entity>(
            "figures of a subtree the caller holds help_request.read over (checked above)",
        )
        .filter(ranges::subtree(C::UnitCode, under))
    };
    let rows: Vec<(HelpState, i64)> = base()
        .select_only()
        .column(C::State)
        .column_as(Expr::cust("COUNT(*)"), "n")
        .group_by(C::State)
        .into_tuple()
        .all(cx.db())
        .await?;
    let done = || base().filter(C::State.is_in([HelpState::Fulfilled, HelpState::Closed]));
    let count = |q: sea_orm::Select<help_request::Entity>| async move {
        use sea_orm::PaginatorTrait;
        q.count(cx.db()).await.map(|n| n as i64)
    };
    let by_volunteers = count(done().filter(C::ClaimedVolunteerId.is_not_null())).await?;
    let by_teams = count(done().filter(C::ClaimedTeamId.is_not_null())).await?;
    let by_funds = count(done().filter(C::ClaimedFundId.is_not_null())).await?;
    let n = by_volunteers + by_teams + by_funds;
    let median = if n == 0 {
        None
    } else {
        // The middle row by time to fulfil: read two timestamps of one row.
        let times: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = done()
            .select_only()
            .column(C::SubmittedAt)
            .column(C::FulfilledAt)
            .into_tuple()
            .all(cx.db())
            .await?;
        let mut secs: Vec<i64> = times
            .into_iter()
            .filter_map(|(s, f)| f.map(|f| (f - s).num_seconds()))
            .collect();
        secs.sort_unstable();
        secs.get(secs.len() / 2).copied()
    };
    Ok(HelpStats {
        by_state: rows,
        median_seconds_to_fulfil: median,
        fulfilled_by_volunteers: by_volunteers,
        fulfilled_by_teams: by_teams,
        fulfilled_by_funds: by_funds,
    })
}
