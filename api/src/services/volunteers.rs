//! Real-name registered volunteers. ID numbers and phones are personal data: callers
//! see them masked unless they hold `volunteer.read_personal` over the volunteer, and
//! every unmasked read is audited.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use entity::kinds::{Gender, MoveState, VolunteerStatus};
use entity::{service_field, volunteer, volunteer_field, volunteer_move};
use policies::{Action, Level, Resource, UnitCode};
use sea_orm::sea_query::LikeExpr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DbBackend,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait,
    TransactionTrait,
};
use serde_json::json;

use crate::codes::{mask_id_number, mask_phone, IdDocument, IdKind, Phone};
use crate::error::{Problem, Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::daily::{self, Delta};
use crate::services::rows::VolunteerRows;
use crate::services::{ranges, scoped, units, users, Ctx, Seen};

#[derive(Debug, Clone)]
pub struct VolunteerRecord {
    pub id: i64,
    pub number: String,
    pub real_name: String,
    pub id_kind: IdKind,
    id_number: String,
    phone: Option<String>,
    pub gender: Gender,
    pub birth_date: Option<NaiveDate>,
    pub unit: UnitCode,
    pub user_id: Option<i64>,
    pub party_member: bool,
    pub party_organization: Option<String>,
    pub reported_unit: Option<UnitCode>,
    pub status: VolunteerStatus,
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// Approved service hours, in half hours.
    pub approved_half_hours: i64,
    pub stars: i16,
    pub barred_until: Option<chrono::DateTime<chrono::Utc>>,
    /// False when the record came from a page read without personal data
    /// (`VolunteerFilter::without_personal_data`): the ID number, phone and birth date
    /// are then read by id when asked for.
    personal_loaded: bool,
}

impl TryFrom<volunteer::Model> for VolunteerRecord {
    type Error = ServiceError;
    fn try_from(m: volunteer::Model) -> ServiceResult<Self> {
        Ok(VolunteerRecord {
            unit: super::stored_unit_owned(m.unit_code)?,
            reported_unit: m
                .reported_unit_code
                .as_deref()
                .map(super::stored_unit)
                .transpose()?,
            id_kind: m.id_kind,
            number: m.volunteer_number.unwrap_or_default(),
            id: m.id,
            real_name: m.real_name,
            id_number: m.id_number,
            phone: m.phone,
            gender: m.gender,
            birth_date: m.birth_date,
            user_id: m.user_id,
            party_member: m.party_member,
            party_organization: m.party_organization,
            status: m.status,
            created_at: m.created_at,
            approved_half_hours: m.approved_half_hours,
            stars: m.stars,
            barred_until: m.barred_until,
            personal_loaded: true,
        })
    }
}

/// The ID number, phone and birth date of a volunteer the caller has already read
/// through its scope: from the record, or by id when its page was read without them.
async fn personal_columns(
    cx: &Ctx,
    v: &VolunteerRecord,
) -> ServiceResult<(String, Option<String>, Option<NaiveDate>)> {
    if v.personal_loaded {
        return Ok((v.id_number.clone(), v.phone.clone(), v.birth_date));
    }
    scoped::unscoped_by_id::<volunteer::Entity>(
        v.id,
        "the personal columns of a volunteer read through the caller's scope without them",
    )
    .select_only()
    .columns([
        volunteer::Column::IdNumber,
        volunteer::Column::Phone,
        volunteer::Column::BirthDate,
    ])
    .into_tuple()
    .one(cx.db())
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))
}

/// The volunteer's birth date (read by id when its page was read without it).
pub async fn birth_date(cx: &Ctx, v: &VolunteerRecord) -> ServiceResult<Option<NaiveDate>> {
    Ok(personal_columns(cx, v).await?.2)
}

/// Personal data as the caller may see it.
#[derive(Debug, Clone)]
pub struct PersonalData {
    pub id_number: String,
    pub phone: Option<String>,
    pub masked: bool,
}

/// The volunteer's ID number and phone, unmasked only with `volunteer.read_personal`
/// over the volunteer; an unmasked read is audited.
pub async fn personal_data(cx: &Ctx, v: &VolunteerRecord) -> ServiceResult<PersonalData> {
    let may_read = may_read_personal(
        cx,
        &v.unit,
        v.user_id,
        format!("volunteer:{}", v.id),
        &v.number,
    )
    .await?;
    let (id_number, phone, _) = personal_columns(cx, v).await?;
    if !may_read {
        return Ok(PersonalData {
            id_number: mask_id_number(&id_number),
            phone: phone.as_deref().map(mask_phone),
            masked: true,
        });
    }
    Ok(PersonalData {
        id_number,
        phone,
        masked: false,
    })
}

/// The one rule for a volunteer's personal data wherever it appears (the record,
/// certificates, printable pages): `volunteer.read_personal` over the volunteer (its
/// home unit, or the volunteer itself). A yes is audited, naming what was read.
pub(super) async fn may_read_personal(
    cx: &Ctx,
    unit: &UnitCode,
    owner: Option<i64>,
    target: String,
    volunteer_number: &str,
) -> ServiceResult<bool> {
    let decision = cx
        .access()
        .check_for(Resource::Volunteer, Action::ReadPersonal, unit, owner)?;
    if !decision.allowed() {
        return Ok(false);
    }
    audit::log(
        cx.db(),
        cx,
        Entry::new("volunteer.read_personal", unit)
            .target_text(Some(target))
            .summary(json!({ "volunteer": volunteer_number })),
    )
    .await?;
    Ok(true)
}

pub struct ServiceFieldRecord {
    pub code: String,
    pub name: String,
}

pub async fn service_fields(cx: &Ctx) -> ServiceResult<Vec<ServiceFieldRecord>> {
    Ok(
        scoped::unscoped::<service_field::Entity>("the public list of service fields")
            .order_by_asc(service_field::Column::SortOrder)
            .all(cx.db())
            .await?
            .into_iter()
            .map(|f| ServiceFieldRecord {
                code: f.code,
                name: f.name,
            })
            .collect(),
    )
}

/// The service fields of many volunteers in one query.
pub async fn fields_of(
    cx: &Ctx,
    volunteers: &[Seen<VolunteerRecord>],
) -> ServiceResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if volunteers.is_empty() {
        return Ok(out);
    }
    let rows =
        scoped::unscoped::<volunteer_field::Entity>("fields of volunteers the caller already read")
            .filter(volunteer_field::Column::VolunteerId.is_in(Seen::ids(volunteers)))
            .order_by_asc(volunteer_field::Column::FieldCode)
            .all(cx.db())
            .await?;
    for r in rows {
        out.entry(r.volunteer_id).or_default().push(r.field_code);
    }
    Ok(out)
}

pub(super) async fn check_fields(
    conn: &impl ConnectionTrait,
    fields: &[String],
) -> ServiceResult<()> {
    if fields.is_empty() {
        return Ok(());
    }
    let known = scoped::unscoped::<service_field::Entity>("the public list of service fields")
        .filter(service_field::Column::Code.is_in(fields.iter().map(String::as_str)))
        .count(conn)
        .await?;
    let mut unique = fields.to_vec();
    unique.sort();
    unique.dedup();
    if known as usize != unique.len() {
        return Err(Reason::UNKNOWN_SERVICE_FIELD.at("fields").into());
    }
    Ok(())
}

async fn set_fields(
    conn: &impl ConnectionTrait,
    volunteer_id: i64,
    fields: &[String],
) -> ServiceResult<()> {
    volunteer_field::Entity::delete_many()
        .filter(volunteer_field::Column::VolunteerId.eq(volunteer_id))
        .exec(conn)
        .await?;
    let mut unique = fields.to_vec();
    unique.sort();
    unique.dedup();
    if unique.is_empty() {
        return Ok(());
    }
    volunteer_field::Entity::insert_many(unique.into_iter().map(|f| {
        volunteer_field::ActiveModel {
            volunteer_id: Set(volunteer_id),
            field_code: Set(f),
        }
    }))
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// A home community or grid; volunteers live in one.
fn home_unit(arg: &str, code: &str) -> ServiceResult<UnitCode> {
    let unit = super::parse_unit(arg, code)?;
    if !matches!(unit.level(), Level::Community | Level::Grid) {
        return Err(Reason::NOT_A_COMMUNITY
            .at(arg.to_owned())
            .arg("level", unit.level())
            .into());
    }
    Ok(unit)
}

pub struct NewVolunteer {
    pub real_name: String,
    pub id_kind: IdKind,
    pub id_number: String,
    pub phone: Option<String>,
    /// Required for documents other than the resident ID, which carries them.
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub unit_code: String,
    pub fields: Vec<String>,
    pub party_member: bool,
    pub party_organization: Option<String>,
    pub reported_unit_code: Option<String>,
    /// A user account to link (the volunteer then serves itself through it).
    pub user_id: Option<i64>,
}

pub async fn register(cx: &Ctx, input: NewVolunteer) -> ServiceResult<VolunteerRecord> {
    register_as(cx, input, Registrar::Office).await
}

/// Who registers a volunteer: an office holding `volunteer.create` at the unit, or
/// a resident registering itself through its own account (self-service: no role is
/// needed, the account must be unlinked, and it gets the `volunteer` role at the
/// community in the same transaction).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Registrar {
    Office,
    Resident(i64),
}

pub(super) async fn register_as(
    cx: &Ctx,
    mut input: NewVolunteer,
    by: Registrar,
) -> ServiceResult<VolunteerRecord> {
    if let Registrar::Resident(me) = by {
        input.user_id = Some(me);
        input.reported_unit_code = None;
    }
    let real_name = super::required_text("realName", &input.real_name, 100)?;
    let doc = IdDocument::parse(input.id_kind, &input.id_number)
        .map_err(|e| Problem::from(e).at("idNumber"))?;
    let phone = input
        .phone
        .as_deref()
        .map(Phone::parse)
        .transpose()
        .map_err(|e| Problem::from(e).at("phone"))?;
    let unit = home_unit("unitCode", &input.unit_code)?;
    let reported = input
        .reported_unit_code
        .as_deref()
        .map(|c| home_unit("reportedUnitCode", c))
        .transpose()?;
    if !input.party_member && (reported.is_some() || input.party_organization.is_some()) {
        return Err(Reason::PARTY_FIELDS_NON_MEMBER.into());
    }
    // A resident ID card says gender and birth date; other documents take them as given.
    let (gender, birth_date) = match doc.resident() {
        Some(id) => (
            if id.is_male() {
                Gender::Male
            } else {
                Gender::Female
            },
            Some(id.birth_date()),
        ),
        None => (input.gender.unwrap_or(Gender::Unknown), input.birth_date),
    };
    let txn = cx.db().begin().await?;
    check_registrable(&txn, cx, &unit, reported.as_ref(), &input, &doc, by).await?;
    let now = cx.now();
    let m = volunteer::ActiveModel {
        volunteer_number: Set(None),
        real_name: Set(real_name),
        id_kind: Set(doc.kind),
        id_number: Set(doc.number().to_owned()),
        phone: Set(phone.map(|p| p.as_str().to_owned())),
        gender: Set(gender),
        birth_date: Set(birth_date),
        unit_code: Set(unit.to_string()),
        user_id: Set(input.user_id),
        party_member: Set(input.party_member),
        party_organization: Set(input
            .party_organization
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())),
        reported_unit_code: Set(reported.as_ref().map(|r| r.to_string())),
        status: Set(VolunteerStatus::Active),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let (m, number) = number_volunteer(&txn, m, &unit).await?;
    set_fields(&txn, m.id, &input.fields).await?;
    // Counted in today's figures (at its unit, and where it reports as a party member).
    daily::bump_all(&txn, counted(&m, 1, cx.now())?).await?;
    if let Registrar::Resident(me) = by {
        super::roles::insert_assignment(&txn, me, "volunteer", &unit, None, Some(me)).await?;
    }
    let action = match by {
        Registrar::Office => "volunteer.register",
        Registrar::Resident(_) => "volunteer.register_self",
    };
    audit::log(
        &txn,
        cx,
        Entry::new(action, &unit)
            .target("volunteer", m.id)
            .summary(json!({
                "volunteerNumber": number,
                "idNumber": mask_id_number(doc.number()),
                "fields": input.fields,
            })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// Gives a new volunteer its number, stable and unique: the district of
/// registration and the row id.
async fn number_volunteer(
    txn: &impl ConnectionTrait,
    m: volunteer::Model,
    unit: &UnitCode,
) -> ServiceResult<(volunteer::Model, String)> {
    let number = format!("V{}{:08}", &unit.as_str()[..6], m.id);
    let mut active: volunteer::ActiveModel = m.into();
    active.volunteer_number = Set(Some(number.clone()));
    Ok((active.update(txn).await?, number))
}

/// Whether the caller may register this person here: the units exist and are in
/// reach, the fields are known, a linked account is visible and unlinked, and the
/// person is not registered anywhere yet (the CONFLICT says only that: not where,
/// nor by whom).
async fn check_registrable(
    txn: &impl ConnectionTrait,
    cx: &Ctx,
    unit: &UnitCode,
    reported: Option<&UnitCode>,
    input: &NewVolunteer,
    doc: &IdDocument,
    by: Registrar,
) -> ServiceResult<()> {
    units::require_exists(txn, unit).await?;
    if by == Registrar::Office {
        cx.access()
            .require(Resource::Volunteer, Action::Create, unit)?;
    }
    if let Some(r) = reported {
        units::require_exists(txn, r).await?;
        // The community reported to is a unit like any other: within the caller's reach.
        cx.access()
            .require(Resource::Volunteer, Action::Create, r)?;
    }
    check_fields(txn, &input.fields).await?;
    if let Some(user) = input.user_id {
        if by == Registrar::Office {
            users::find_scoped(txn, cx, Action::Read, user).await?;
        }
        require_unlinked(txn, user).await?;
    }
    let taken = scoped::unscoped::<volunteer::Entity>(
        "ID numbers are unique across the system; the conflict reveals nothing",
    )
    .filter(volunteer::Column::IdNumber.eq(doc.number()))
    .count(txn)
    .await?;
    if taken > 0 {
        return Err(Reason::ALREADY_REGISTERED.into());
    }
    Ok(())
}

/// An account speaks for one person, so it links to at most one volunteer record:
/// otherwise a second record under another document could approve the first's hours.
async fn require_unlinked(conn: &impl ConnectionTrait, user: i64) -> ServiceResult<()> {
    let linked = scoped::unscoped::<volunteer::Entity>(
        "an account links to one volunteer record across the system",
    )
    .filter(volunteer::Column::UserId.eq(user))
    .count(conn)
    .await?;
    if linked > 0 {
        return Err(Reason::ACCOUNT_ALREADY_LINKED.into());
    }
    Ok(())
}

pub(super) async fn find_scoped(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    action: Action,
    id: i64,
) -> ServiceResult<volunteer::Model> {
    cx.get::<volunteer::Entity>(conn, action, id).await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<VolunteerRecord> {
    find_scoped(cx.db(), cx, Action::Read, id).await?.try_into()
}

/// Many volunteers by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, VolunteerRecord>> {
    cx.get_many::<volunteer::Entity, _>(Action::Read, ids, |r: &VolunteerRecord| r.id)
        .await
}

#[derive(Default)]
pub struct VolunteerChanges {
    pub real_name: Option<String>,
    pub phone: Option<String>,
    pub unit_code: Option<String>,
    pub fields: Option<Vec<String>>,
    pub party_member: Option<bool>,
    pub party_organization: Option<String>,
    pub reported_unit_code: Option<String>,
}

/// What `update` did: the record as it is now, and, when the volunteer asked to move
/// itself, the request that now waits for the destination's administrators.
pub struct Updated {
    pub volunteer: VolunteerRecord,
    pub move_request: Option<MoveRecord>,
}

pub async fn update(cx: &Ctx, id: i64, mut changes: VolunteerChanges) -> ServiceResult<Updated> {
    let txn = cx.db().begin().await?;
    // Before: the caller may update the volunteer where it is now.
    let model = find_scoped(&txn, cx, Action::Update, id).await?;
    // A volunteer moving its own record asks; the destination's administrators decide.
    let self_move = match &changes.unit_code {
        Some(code) if model.user_id.is_some() && model.user_id == cx.access().actor() => {
            let to = home_unit("unitCode", code)?;
            units::require_exists(&txn, &to).await?;
            changes.unit_code = None;
            (to.as_str() != model.unit_code).then_some(to)
        }
        _ => None,
    };
    let before_model = model.clone();
    let before = VolunteerRecord::try_from(model.clone())?;
    let mut active: volunteer::ActiveModel = model.into();
    let (mut changed, after_unit) =
        set_changes(&txn, cx, &mut active, &changes, &before.unit).await?;
    let counted_before = model_counted(&before_model);
    // After: nothing moves into a subtree the caller does not hold (a volunteer
    // serving itself moves only within its own record's reach).
    if after_unit != before.unit {
        cx.access().require_for(
            Resource::Volunteer,
            Action::Update,
            &after_unit,
            before.user_id,
        )?;
    }
    active.updated_at = Set(cx.now());
    let m = active.update(&txn).await?;
    if let Some(fields) = &changes.fields {
        check_fields(&txn, fields).await?;
        set_fields(&txn, id, fields).await?;
        changed.push("fields");
    }
    if !m.party_member && (m.reported_unit_code.is_some() || m.party_organization.is_some()) {
        return Err(Reason::PARTY_FIELDS_NON_MEMBER.into());
    }
    if counted_before != model_counted(&m) {
        recount(&txn, &before_model, &m, cx.now()).await?;
    }
    if !changed.is_empty() {
        audit::log(
            &txn,
            cx,
            Entry::new("volunteer.update", &after_unit)
                .target("volunteer", id)
                .summary(json!({ "changed": changed, "from": before.unit, "to": after_unit })),
        )
        .await?;
    }
    let move_request = match self_move {
        Some(to) => Some(request_move(&txn, cx, &m, &to).await?),
        None => None,
    };
    txn.commit().await?;
    Ok(Updated {
        volunteer: m.try_into()?,
        move_request,
    })
}

/// Sets the changed columns on `active` (each checked as on registration) and
/// returns the names of those that changed and the unit the volunteer ends at.
async fn set_changes(
    txn: &impl ConnectionTrait,
    cx: &Ctx,
    active: &mut volunteer::ActiveModel,
    changes: &VolunteerChanges,
    unit: &UnitCode,
) -> ServiceResult<(Vec<&'static str>, UnitCode)> {
    let mut changed = Vec::new();
    if let Some(name) = &changes.real_name {
        active.real_name = Set(super::required_text("realName", name, 100)?);
        changed.push("realName");
    }
    if let Some(phone) = &changes.phone {
        let p = Phone::parse(phone).map_err(|e| Problem::from(e).at("phone"))?;
        active.phone = Set(Some(p.as_str().to_owned()));
        changed.push("phone");
    }
    let mut after_unit = unit.clone();
    if let Some(code) = &changes.unit_code {
        after_unit = home_unit("unitCode", code)?;
        units::require_exists(txn, &after_unit).await?;
        active.unit_code = Set(after_unit.to_string());
        changed.push("unitCode");
    }
    if let Some(pm) = changes.party_member {
        active.party_member = Set(pm);
        if !pm {
            active.party_organization = Set(None);
            active.reported_unit_code = Set(None);
        }
        changed.push("partyMember");
    }
    if let Some(org) = &changes.party_organization {
        active.party_organization = Set(Some(org.trim().to_owned()).filter(|o| !o.is_empty()));
        changed.push("partyOrganization");
    }
    if let Some(code) = &changes.reported_unit_code {
        let r = home_unit("reportedUnitCode", code)?;
        units::require_exists(txn, &r).await?;
        // Checked like every unit: a community outside the caller's reach is refused.
        cx.access()
            .require(Resource::Volunteer, Action::Update, &r)?;
        active.reported_unit_code = Set(Some(r.to_string()));
        changed.push("reportedUnitCode");
    }
    Ok((changed, after_unit))
}

/// A volunteer's request to move its registration to another community.
#[derive(Debug, Clone)]
pub struct MoveRecord {
    pub id: i64,
    pub volunteer_id: i64,
    pub from: UnitCode,
    pub to: UnitCode,
    pub requested_by: Option<i64>,
    pub state: MoveState,
    pub note: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub decision_reason: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl TryFrom<volunteer_move::Model> for MoveRecord {
    type Error = ServiceError;
    fn try_from(m: volunteer_move::Model) -> ServiceResult<Self> {
        Ok(MoveRecord {
            from: super::stored_unit(&m.from_unit_code)?,
            to: super::stored_unit(&m.to_unit_code)?,
            id: m.id,
            volunteer_id: m.volunteer_id,
            requested_by: m.requested_by,
            state: m.state,
            note: m.note,
            decided_by: m.decided_by,
            decided_at: m.decided_at,
            decision_reason: m.decision_reason,
            created_at: m.created_at,
        })
    }
}

/// Files a move request (replacing a pending one), audited where the volunteer is
/// and where it wants to go.
async fn request_move(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    v: &volunteer::Model,
    to: &UnitCode,
) -> ServiceResult<MoveRecord> {
    let from = super::stored_unit(&v.unit_code)?;
    volunteer_move::Entity::update_many()
        .col_expr(volunteer_move::Column::State, MoveState::Withdrawn.into())
        .filter(volunteer_move::Column::VolunteerId.eq(v.id))
        .filter(volunteer_move::Column::State.eq(MoveState::Pending))
        .exec(conn)
        .await?;
    let m = volunteer_move::ActiveModel {
        volunteer_id: Set(v.id),
        from_unit_code: Set(from.to_string()),
        to_unit_code: Set(to.to_string()),
        requested_by: Set(cx.access().actor()),
        state: Set(MoveState::Pending),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    for unit in [&from, to] {
        audit::log(
            conn,
            cx,
            Entry::new("volunteer.move_requested", unit)
                .target("volunteer", v.id)
                .summary(json!({ "move": m.id, "from": from, "to": to })),
        )
        .await?;
    }
    m.try_into()
}

/// Move requests into the caller's reach (and a volunteer's own), newest first.
pub async fn list_moves(
    cx: &Ctx,
    state: Option<&str>,
    order: Option<(super::CreatedOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<MoveRecord>, u64)> {
    let Some(mut q) = cx.find::<volunteer_move::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(state) = state {
        q = q.filter(volunteer_move::Column::State.eq(state));
    }
    super::page_by(
        cx,
        q,
        &super::by_created(order, volunteer_move::Column::Id, OrderDirection::Desc),
        page,
        want_total,
    )
    .await
}

pub async fn get_move(cx: &Ctx, id: i64) -> ServiceResult<MoveRecord> {
    cx.get::<volunteer_move::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

/// Accepts (moving the volunteer) or declines a pending move request: by someone
/// who may update volunteers at the destination, never by the one who asked.
pub async fn decide_move(
    cx: &Ctx,
    id: i64,
    accept: bool,
    reason: Option<String>,
) -> ServiceResult<MoveRecord> {
    let reason = super::optional_text("reason", reason.as_deref(), 500)?;
    if !accept && reason.is_none() {
        return Err(Reason::REASON_REQUIRED.at("reason").into());
    }
    let txn = cx.db().begin().await?;
    let request = cx
        .get::<volunteer_move::Entity>(&txn, Action::Read, id)
        .await?;
    let to = super::stored_unit(&request.to_unit_code)?;
    let from = super::stored_unit(&request.from_unit_code)?;
    cx.access()
        .require(Resource::Volunteer, Action::Update, &to)?;
    let me = cx.access().user_id()?;
    if request.requested_by == Some(me) {
        return Err(Reason::MOVE_SELF_DECISION.into());
    }
    if request.state != MoveState::Pending {
        return Err(Reason::MOVE_DECIDED
            .arg("state", request.state.as_str().to_ascii_uppercase())
            .into());
    }
    let v = scoped::unscoped_by_id::<volunteer::Entity>(
        request.volunteer_id,
        "the volunteer of a move request the caller may decide",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
    let now = cx.now();
    mark_decided(&txn, id, accept, me, now, reason.clone()).await?;
    if accept {
        move_volunteer(&txn, &v, &request, &to, now).await?;
    }
    for unit in [&from, &to] {
        audit::log(
            &txn,
            cx,
            Entry::new(
                if accept {
                    "volunteer.move_accepted"
                } else {
                    "volunteer.move_declined"
                },
                unit,
            )
            .target("volunteer", v.id)
            .summary(json!({ "move": id, "from": from, "to": to, "reason": reason }))
            .by(Some(me)),
        )
        .await?;
    }
    let decided = scoped::unscoped_by_id::<volunteer_move::Entity>(
        id,
        "the move request just decided, reloaded",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::MoveRequest))?;
    txn.commit().await?;
    decided.try_into()
}

/// Marks a pending request decided; CONFLICT when someone decided it meanwhile.
async fn mark_decided(
    txn: &impl ConnectionTrait,
    id: i64,
    accept: bool,
    me: i64,
    now: chrono::DateTime<chrono::Utc>,
    reason: Option<String>,
) -> ServiceResult<()> {
    let state = if accept {
        MoveState::Accepted
    } else {
        MoveState::Declined
    };
    let done = volunteer_move::Entity::update_many()
        .col_expr(volunteer_move::Column::State, state.into())
        .col_expr(volunteer_move::Column::DecidedBy, Some(me).into())
        .col_expr(volunteer_move::Column::DecidedAt, Some(now).into())
        .col_expr(volunteer_move::Column::DecisionReason, reason.into())
        .filter(volunteer_move::Column::Id.eq(id))
        .filter(volunteer_move::Column::State.eq(MoveState::Pending))
        .exec(txn)
        .await?;
    if done.rows_affected != 1 {
        return Err(Reason::EDIT_CONFLICT.into());
    }
    Ok(())
}

/// Moves the volunteer of an accepted request, if it is still where it was asked
/// from, and keeps the daily counts in step.
async fn move_volunteer(
    txn: &impl ConnectionTrait,
    v: &volunteer::Model,
    request: &volunteer_move::Model,
    to: &UnitCode,
    now: chrono::DateTime<chrono::Utc>,
) -> ServiceResult<()> {
    if v.unit_code != request.from_unit_code {
        return Err(Reason::VOLUNTEER_MOVED_SINCE.into());
    }
    let mut active: volunteer::ActiveModel = v.clone().into();
    active.unit_code = Set(to.to_string());
    active.updated_at = Set(now);
    let moved = active.update(txn).await?;
    recount(txn, v, &moved, now).await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct VolunteerFilter {
    pub under: Option<UnitCode>,
    pub order: Option<(VolunteerOrderField, OrderDirection)>,
    /// Name or volunteer number.
    pub search: Option<String>,
    pub field: Option<String>,
    pub party_member: Option<bool>,
    /// Members of this team only.
    pub team_id: Option<i64>,
    /// Volunteers holding exactly this many stars.
    pub stars: Option<i16>,
    /// Leave the ID number, phone and birth date out of the page (when the selection
    /// does not ask for them): they are not read, and not held in memory.
    pub without_personal_data: bool,
    /// Read only these columns (with the id, the unit and the sort keys): the
    /// selection reads nothing else of the records, whose other fields stay empty.
    pub columns: Option<Vec<volunteer::Column>>,
}

/// What volunteers can be sorted by.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq)]
pub enum VolunteerOrderField {
    /// By the unit's division code (the default).
    Unit,
    /// By name, in the database's collation.
    Name,
    /// By approved service hours.
    Hours,
    /// By registration time.
    RegisteredAt,
}

fn sort(order: Option<(VolunteerOrderField, OrderDirection)>) -> super::Sort<volunteer::Entity> {
    use volunteer::Column as C;
    match order {
        None => super::Sort::new([C::UnitCode, C::Id], OrderDirection::Asc),
        Some((VolunteerOrderField::Unit, d)) => super::Sort::new([C::UnitCode, C::Id], d),
        Some((VolunteerOrderField::Name, d)) => super::Sort::new([C::RealName, C::Id], d),
        Some((VolunteerOrderField::Hours, d)) => super::Sort::new([C::ApprovedHalfHours, C::Id], d),
        Some((VolunteerOrderField::RegisteredAt, d)) => super::Sort::new([C::CreatedAt, C::Id], d),
    }
}

pub async fn list(
    cx: &Ctx,
    filter: &VolunteerFilter,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<VolunteerRecord>, u64)> {
    let Some(mut q) = cx.find::<volunteer::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(volunteer::Column::UnitCode, under));
    }
    let search = units::search_text(filter.search.as_deref());
    if let Some(s) = search {
        q = q.filter(search_condition(cx.db(), s).await?);
    }
    if let Some(field) = &filter.field {
        let ids = scoped::unscoped::<volunteer_field::Entity>(
            "a filter subquery inside the caller's scoped list",
        )
        .select_only()
        .column(volunteer_field::Column::VolunteerId)
        .filter(volunteer_field::Column::FieldCode.eq(field.as_str()))
        .into_query();
        q = q.filter(volunteer::Column::Id.in_subquery(ids));
    }
    if let Some(team) = filter.team_id {
        let ids = scoped::unscoped::<entity::team_member::Entity>(
            "a filter subquery inside the caller's scoped list",
        )
        .select_only()
        .column(entity::team_member::Column::VolunteerId)
        .filter(entity::team_member::Column::TeamId.eq(team))
        .into_query();
        q = q.filter(volunteer::Column::Id.in_subquery(ids));
    }
    if let Some(stars) = filter.stars {
        q = q.filter(volunteer::Column::Stars.eq(stars));
    }
    if let Some(pm) = filter.party_member {
        q = q.filter(volunteer::Column::PartyMember.eq(pm));
    }
    // An unfiltered list is counted from the kept daily figures (a few thousand
    // rows for a district) instead of a COUNT over every volunteer in the subtree.
    // A blank search is no search (`search` is the trimmed text).
    let unfiltered = search.is_none()
        && filter.field.is_none()
        && filter.team_id.is_none()
        && filter.stars.is_none()
        && filter.party_member.is_none();
    // That sum is read beside the page's rows, in the page's statement: one round
    // trip instead of two (a street list: 2,875 → 3,240 requests a second).
    let (kept, beside) = match (want_total, unfiltered) {
        (true, true) => match daily::kept_volunteers(cx, filter.under.as_ref())? {
            daily::KeptVolunteers::NotKept => (None, None),
            daily::KeptVolunteers::Zero => (Some(0), None),
            daily::KeptVolunteers::Sum(sum) => (None, Some(*sum)),
        },
        _ => (None, None),
    };
    // A search counts its matches only up to the cap: a common surname matches a
    // tenth of a city, and counting all of them would cost what the index saved.
    let searched = match (want_total, search) {
        (true, Some(_)) => {
            let matched = q
                .clone()
                .select_only()
                .column(volunteer::Column::Id)
                .into_query();
            Some(count_up_to(cx.db(), matched, SEARCH_COUNT_CAP, Plan::ForTheValues).await?)
        }
        _ => None,
    };
    let kept = kept.or(searched.map(|n| n.min(SEARCH_COUNT_CAP)));
    // The columns the page reads: those the selection needs (`columns`), or all but
    // the personal data when it does not ask for it. The records leave the others
    // empty, and read personal data by id if a field asks for it after all.
    use sea_orm::{IdenStatic, Iterable};
    use volunteer::Column as C;
    let sort = sort(filter.order);
    let narrowed: Option<Vec<C>> = match (&filter.columns, filter.without_personal_data) {
        (Some(columns), _) => Some(columns.clone()),
        (None, true) => Some(
            C::iter()
                .filter(|c| !matches!(c, C::IdNumber | C::Phone | C::BirthDate))
                .collect(),
        ),
        (None, false) => None,
    };
    let count = want_total && kept.is_none() && beside.is_none();
    // An unfiltered list in unit order walks the unit index from the scope's start
    // and stops after a page, whatever the scope: the plan does not depend on the
    // values, so it need not be made again for them. (In another order, a street's
    // page is best sorted from its few rows and a city's read along the order's own
    // index; a filter's selectivity decides too: those are planned for their values.)
    let conn = if unfiltered && matches!(sort.keys.first(), Some(C::UnitCode)) {
        cx.steady_db()
    } else {
        cx.db()
    };
    let (mut page, total): (Page<VolunteerRecord>, u64) = match narrowed {
        Some(columns) => {
            // The id and unit make the record (its scope); the sort keys its cursor.
            let read = |c: &C| {
                matches!(c, C::Id | C::UnitCode)
                    || columns
                        .iter()
                        .chain(&sort.keys)
                        .any(|k| k.as_str() == c.as_str())
            };
            q = q.select_only().columns(C::iter().filter(read));
            let (mut page, total) = read_page(
                conn,
                q,
                &sort,
                page,
                count,
                beside,
                VolunteerRows::partial(),
            )
            .await?;
            for v in &mut page.rows {
                v.personal_loaded = false;
            }
            (page, total)
        }
        None => read_page(conn, q, &sort, page, count, beside, VolunteerRows::full()).await?,
    };
    page.total_capped = searched.is_some_and(|n| n > SEARCH_COUNT_CAP);
    Ok((page, kept.unwrap_or(total)))
}

/// A page of volunteers decoded by `rows`, with its total: counted when `count`, read
/// beside the rows when `beside` sums it (alone when the page is empty), else 0.
async fn read_page(
    conn: &impl ConnectionTrait,
    q: sea_orm::Select<volunteer::Entity>,
    sort: &super::Sort<volunteer::Entity>,
    page: &PageRequest,
    count: bool,
    beside: Option<sea_orm::sea_query::SelectStatement>,
    rows: VolunteerRows,
) -> ServiceResult<(Page<VolunteerRecord>, u64)> {
    let counted = if count {
        q.clone().count(conn).await?
    } else {
        0
    };
    let (page, read) = super::page_beside(conn, q, sort, page, beside.clone(), rows).await?;
    let total = match (beside, read) {
        (None, _) => counted,
        (Some(_), Some(sum)) => u64::try_from(sum.unwrap_or(0)).unwrap_or(0),
        // No row to carry it (a cursor past the end, an empty scope): asked alone.
        (Some(sum), None) => daily::kept_sum(conn, &sum).await?,
    };
    Ok((page, total))
}

/// How many matches a search counts at most; past it, `totalCount` says "at least".
pub const SEARCH_COUNT_CAP: u64 = 1_000;

/// How many volunteers' names may contain a searched text before the search stops
/// reading them through the name parts and walks the list instead.
const SEARCH_CANDIDATES: u64 = 2_000;

/// A name containing `text`, or the volunteer number `text`: the same `LIKE` as
/// always decides, so results are those of a scan. What changes is how the database
/// gets there. `volunteer_name_part` (the suffixes of every name, migration 000017)
/// names the only volunteers whose name can contain the text — those with a suffix
/// starting with it. When they are few (a full name, a rare character), the search
/// reads just them; when they are many (a common surname: a fortieth of a city),
/// matches are dense and walking the list in its order finds a page sooner than
/// fetching and sorting them all.
async fn search_condition(
    conn: &(impl ConnectionTrait + TransactionTrait),
    text: &str,
) -> ServiceResult<Condition> {
    use entity::volunteer_name_part as part;
    use sea_orm::sea_query::UnionType;
    let pattern = units::like_contains(text);
    let matches = Condition::any()
        .add(volunteer::Column::RealName.like(LikeExpr::new(pattern).escape('\\')))
        .add(volunteer::Column::VolunteerNumber.eq(text));
    let (lo, hi) = name_part_range(text, conn.get_database_backend());
    let mut parts = scoped::unscoped::<part::Entity>(
        "an index of names inside the caller's scoped list (the list's scope still applies)",
    )
    .select_only()
    .column(part::Column::VolunteerId)
    .filter(part::Column::Part.gte(lo));
    if let Some(hi) = hi {
        parts = parts.filter(part::Column::Part.lt(hi));
    }
    let mut candidates = parts.into_query();
    // One index range whatever the values: any plan serves.
    let found = count_up_to(conn, candidates.clone(), SEARCH_CANDIDATES, Plan::Any).await?;
    if found > SEARCH_CANDIDATES {
        return Ok(matches);
    }
    // One set of ids for both ways to match: with an OR between them the database
    // would scan instead of reading the candidates.
    let by_number = scoped::unscoped::<volunteer::Entity>(
        "the volunteer number's owner inside the caller's scoped list (the scope still applies)",
    )
    .select_only()
    .column(volunteer::Column::Id)
    .filter(volunteer::Column::VolunteerNumber.eq(text))
    .into_query();
    candidates.union(UnionType::All, by_number);
    Ok(Condition::all()
        .add(volunteer::Column::Id.in_subquery(candidates))
        .add(matches))
}

/// The name parts that start with `text`'s first 10 characters, as the range
/// `[lo, hi)` in code-point order (how both databases compare the parts). SQLite
/// keeps its parts ASCII-lowered, as its `LIKE` ignores ASCII case. `hi` is `None`
/// only when no string sorts after every such part.
fn name_part_range(text: &str, backend: DbBackend) -> (String, Option<String>) {
    let key: String = match backend {
        DbBackend::Sqlite => text.to_ascii_lowercase(),
        _ => text.to_owned(),
    }
    .chars()
    .take(10)
    .collect();
    // The smallest string above every extension of `key`: its last character that
    // can be raised, raised, and the rest dropped.
    let mut hi: Vec<char> = key.chars().collect();
    while let Some(last) = hi.pop() {
        let next = match u32::from(last) + 1 {
            0xD800 => Some('\u{E000}'),
            n => char::from_u32(n),
        };
        if let Some(next) = next {
            hi.push(next);
            return (key, Some(hi.into_iter().collect()));
        }
    }
    (key, None)
}

/// Which plan a count may run with on PostgreSQL.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// A cached generic plan will do.
    Any,
    /// Planned for this run's values (costs a transaction and a `SET LOCAL`).
    ForTheValues,
}

/// The number of rows `query` returns, counting no further than `cap + 1`.
async fn count_up_to(
    conn: &(impl ConnectionTrait + TransactionTrait),
    mut query: sea_orm::sea_query::SelectStatement,
    cap: u64,
    plan: Plan,
) -> ServiceResult<u64> {
    use sea_orm::sea_query::{Expr, SelectStatement};
    query.limit(cap + 1);
    let count = SelectStatement::new()
        .expr_as(Expr::cust("COUNT(*)"), "n")
        .from_subquery(query, "matched")
        .to_owned();
    let row = if plan == Plan::ForTheValues && conn.get_database_backend() == DbBackend::Postgres {
        // After five runs PostgreSQL may keep one generic plan for a prepared
        // statement, blind to how much of the table the scope's range and the
        // pattern select: for a city it built a bitmap of all 2 million volunteers
        // (87 ms) where a plan for the values reads 40,000 rows (6 ms). (Leave
        // synchronised scans on: four clients each reading the table's start
        // through their own small buffer rings took 270 ms a count.)
        let txn = conn.begin().await?;
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await?;
        let row = txn.query_one(&count).await?;
        sea_orm::TransactionSession::commit(txn).await?;
        row
    } else {
        conn.query_one(&count).await?
    };
    let n: Option<i64> = match row {
        Some(row) => Some(row.try_get("", "n")?),
        None => None,
    };
    Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
}

/// What of a volunteer the daily figures count.
fn model_counted(m: &volunteer::Model) -> (String, bool, Option<String>, i16) {
    (
        m.unit_code.clone(),
        m.party_member,
        m.reported_unit_code.clone(),
        m.stars,
    )
}

/// Moves a volunteer's count from how it was (`before`) to how it is (`after`), in
/// one [`daily::bump_all`]: a move between two cities locks them in code order.
async fn recount(
    conn: &impl ConnectionTrait,
    before: &volunteer::Model,
    after: &volunteer::Model,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let mut changes = counted(before, -1, now)?;
    changes.extend(counted(after, 1, now)?);
    daily::bump_all(conn, changes).await
}

/// What counting a volunteer in (`sign` 1) or out (-1) changes today: at its home
/// unit, and as a reporting party member at the community it reports to.
fn counted(
    m: &volunteer::Model,
    sign: i64,
    now: DateTime<Utc>,
) -> ServiceResult<Vec<(UnitCode, chrono::NaiveDate, Delta)>> {
    let day = daily::day_of(now);
    let mut d = Delta::star_change(0, m.stars);
    d.volunteers = 1;
    d.party_members = i64::from(m.party_member);
    if sign < 0 {
        d = d.negate();
    }
    let mut changes = vec![(super::stored_unit(&m.unit_code)?, day, d)];
    if let (true, Some(r)) = (m.party_member, &m.reported_unit_code) {
        let d = Delta {
            party_reporting: sign,
            ..Default::default()
        };
        changes.push((super::stored_unit(r)?, day, d));
    }
    Ok(changes)
}
/// The caller's own volunteer record (through its linked user account).
pub(super) async fn own_volunteer(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
) -> ServiceResult<volunteer::Model> {
    let me = cx.access().user_id()?;
    scoped::unscoped::<volunteer::Entity>("the caller's own volunteer record")
        .filter(volunteer::Column::UserId.eq(me))
        .one(conn)
        .await?
        .ok_or_else(|| ServiceError::from(Reason::NOT_A_VOLUNTEER.at("volunteerId")))
}

/// The volunteer named, or the caller's own.
pub(super) async fn volunteer_for(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    id: Option<i64>,
) -> ServiceResult<volunteer::Model> {
    match id {
        Some(id) => find_scoped(conn, cx, Action::Read, id).await,
        None => own_volunteer(conn, cx).await,
    }
}
