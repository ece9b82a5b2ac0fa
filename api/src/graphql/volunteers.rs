//! Volunteers: registration, records, moves between units and the service-field list.

use async_graphql::{Context, ErrorExtensions, InputObject, Object, SimpleObject, ID};
use entity::kinds::Gender;
use entity::kinds::IdType;
use entity::kinds::MoveState;
use entity::kinds::VolunteerStatus;
use entity::volunteer;
use tokio::sync::OnceCell;

use crate::graphql::connection::{
    flat_fields, flat_node_fields, list, Connection, OrderBy, Paging,
};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::loaders;
use crate::graphql::scalars::{Day, Timestamp};
use crate::graphql::units::Unit;
use crate::graphql::{
    answer, cx_of, id_of, load_unit, opt_id, parse_under, target, visible, GqlResult,
};
use crate::services::volunteers::VolunteerOrderField;
use crate::services::volunteers::{
    self, NewVolunteer, PersonalData, VolunteerChanges, VolunteerFilter, VolunteerRecord,
};
use crate::services::CreatedOrderField;

/// A field of volunteer service (服务领域), e.g. elderly care or environmental protection.
#[derive(SimpleObject)]
pub struct ServiceField {
    /// Its code, as inputs take it.
    pub code: String,
    /// Its name.
    pub name: String,
}

/// A real-name registered volunteer.
pub struct Volunteer {
    record: VolunteerRecord,
    personal: OnceCell<PersonalData>,
}

impl Volunteer {
    pub fn new(record: VolunteerRecord) -> Volunteer {
        Volunteer {
            record,
            personal: OnceCell::new(),
        }
    }

    /// Decided (and, when unmasked, audited) once per volunteer per request.
    async fn personal(&self, ctx: &Context<'_>) -> GqlResult<&PersonalData> {
        let cx = cx_of(ctx)?;
        self.personal
            .get_or_try_init(|| volunteers::personal_data(cx, &self.record))
            .await
            .map_err(|e| e.extend())
    }
}

flat_fields!(Volunteer {
    "id" => id,
    "volunteerNumber" => volunteer_number,
    "realName" => real_name,
    "idType" => id_type,
    "gender" => gender,
    "unitCode" => unit_code,
    "partyMember" => party_member,
    "partyOrganization" => party_organization,
    "reportedUnitCode" => reported_unit_code,
    "status" => status,
    "registeredAt" => registered_at,
    "approvedHours" => approved_hours,
    "stars" => stars,
    "barredUntil" => barred_until,
});

/// The column each flat field is read from: a page whose selection holds only flat
/// fields reads only their columns (`VolunteerFilter::columns`).
fn column_of(field: &str) -> Option<volunteer::Column> {
    use volunteer::Column as C;
    Some(match field {
        "id" => C::Id,
        "volunteerNumber" => C::VolunteerNumber,
        "realName" => C::RealName,
        "idType" => C::IdKind,
        "gender" => C::Gender,
        "unitCode" => C::UnitCode,
        "partyMember" => C::PartyMember,
        "partyOrganization" => C::PartyOrganization,
        "reportedUnitCode" => C::ReportedUnitCode,
        "status" => C::Status,
        "registeredAt" => C::CreatedAt,
        "approvedHours" => C::ApprovedHalfHours,
        "stars" => C::Stars,
        "barredUntil" => C::BarredUntil,
        _ => return None,
    })
}

/// The columns a volunteers connection's selection needs, when it reads flat fields
/// only; `None` (every column) otherwise.
fn columns_of(ctx: &Context<'_>) -> Option<Vec<volunteer::Column>> {
    flat_node_fields::<Volunteer>(&ctx.item.node.selection_set.node)?
        .into_iter()
        .map(column_of)
        .collect()
}

/// A registered volunteer (注册志愿者) at a unit. Personal data is masked without permission to read it.
#[Object]
impl Volunteer {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Volunteer, self.record.id)
    }
    /// Unique, stable volunteer number.
    async fn volunteer_number(&self) -> &str {
        &self.record.number
    }
    /// Legal name (masked, e.g. 张*明, without personal-data permission).
    async fn real_name(&self) -> &str {
        &self.record.real_name
    }
    /// The kind of ID document registered.
    async fn id_type(&self) -> IdType {
        self.record.id_kind
    }
    /// Masked (`440104********1234`) unless the caller holds `volunteer.read_personal`
    /// over this volunteer; unmasked reads are audited.
    async fn id_number(&self, ctx: &Context<'_>) -> GqlResult<String> {
        Ok(self.personal(ctx).await?.id_number.clone())
    }
    /// Masked (`138****5678`) under the same rule as `idNumber`.
    async fn phone(&self, ctx: &Context<'_>) -> GqlResult<Option<String>> {
        Ok(self.personal(ctx).await?.phone.clone())
    }
    /// Whether `idNumber` and `phone` are masked for this caller.
    async fn personal_data_masked(&self, ctx: &Context<'_>) -> GqlResult<bool> {
        Ok(self.personal(ctx).await?.masked)
    }
    /// Gender, from the ID number where it says.
    async fn gender(&self) -> Gender {
        self.record.gender
    }
    /// Date of birth, from the ID number where it says (null without personal-data permission).
    async fn birth_date(&self, ctx: &Context<'_>) -> GqlResult<Option<Day>> {
        let cx = cx_of(ctx)?;
        Ok(volunteers::birth_date(cx, &self.record)
            .await
            .map_err(|e| e.extend())?
            .map(Into::into))
    }
    /// The home community (or grid).
    async fn unit_code(&self) -> &str {
        self.record.unit.as_str()
    }
    /// The unit the volunteer is registered at.
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.record.unit).await
    }
    /// Codes of the service fields the volunteer is interested in.
    async fn fields(&self, ctx: &Context<'_>) -> GqlResult<Vec<String>> {
        loaders::children::<loaders::VolunteerFields>(ctx, &self.record).await
    }
    /// Whether the volunteer is a Communist Party member.
    async fn party_member(&self) -> bool {
        self.record.party_member
    }
    /// A party member's party organisation.
    async fn party_organization(&self) -> Option<&str> {
        self.record.party_organization.as_deref()
    }
    /// The community a working party member reports to (在职党员回社区报到).
    async fn reported_unit_code(&self) -> Option<&str> {
        self.record.reported_unit.as_ref().map(|u| u.as_str())
    }
    /// Whether the volunteer is active.
    async fn status(&self) -> VolunteerStatus {
        self.record.status
    }
    /// When the volunteer registered.
    async fn registered_at(&self) -> Timestamp {
        self.record.created_at.into()
    }
    /// Approved service hours: the sum of the volunteer's approved service records.
    async fn approved_hours(&self) -> f64 {
        self.record.approved_half_hours as f64 / 2.0
    }
    /// Stars granted (0 to 5).
    async fn stars(&self) -> i32 {
        i32::from(self.record.stars)
    }
    /// Set when hours were revoked for fraud: no star nominations or grants until then.
    async fn barred_until(&self) -> Option<Timestamp> {
        self.record.barred_until.map(Into::into)
    }
}

/// Register a person as a volunteer (志愿者注册) at a unit.
#[derive(InputObject)]
pub struct RegisterVolunteerInput {
    /// The person's legal name.
    pub real_name: String,
    /// The kind of ID document.
    pub id_type: IdType,
    /// The ID number (a resident ID card's check digit is verified); unique across the system.
    pub id_number: String,
    /// A mobile number (11 digits).
    pub phone: Option<String>,
    /// Only for documents other than the resident ID (which carries it).
    pub gender: Option<Gender>,
    /// Only for documents other than the resident ID (which carries it).
    pub birth_date: Option<Day>,
    /// The home community or grid.
    pub unit_code: String,
    /// Codes of the service fields the volunteer offers (see `serviceFields`).
    #[graphql(default)]
    pub fields: Vec<String>,
    /// Whether the volunteer is a Communist Party member.
    #[graphql(default)]
    pub party_member: bool,
    /// A party member's party organisation.
    pub party_organization: Option<String>,
    /// The community a serving party member reports to (在职党员回社区报到).
    pub reported_unit_code: Option<String>,
    /// A user account to link, so the volunteer can serve itself.
    pub user_id: Option<ID>,
}

/// The result of `registerVolunteer`.
#[derive(SimpleObject)]
pub struct RegisterVolunteerPayload {
    /// The new volunteer.
    pub volunteer: Volunteer,
}

/// Change a volunteer's record; fields left out stay as they are.
#[derive(InputObject)]
pub struct UpdateVolunteerInput {
    /// The volunteer's global ID.
    pub volunteer_id: ID,
    /// A corrected legal name.
    pub real_name: Option<String>,
    /// A new mobile number; null clears it.
    pub phone: Option<String>,
    /// A new unit: within the caller's scope a direct move, otherwise a move request the receiving unit decides.
    pub unit_code: Option<String>,
    /// The service fields, replacing the old ones.
    pub fields: Option<Vec<String>>,
    /// Whether the volunteer is a party member.
    pub party_member: Option<bool>,
    /// The party organisation; null clears it.
    pub party_organization: Option<String>,
    /// The community a serving party member reports to; null clears it.
    pub reported_unit_code: Option<String>,
}

/// The result of `updateVolunteer`.
#[derive(SimpleObject)]
pub struct UpdateVolunteerPayload {
    /// The volunteer as it is now.
    pub volunteer: Volunteer,
    /// When a volunteer changed its own `unitCode`: the request now waiting for the
    /// destination's administrators (the record has not moved yet).
    pub move_request: Option<VolunteerMove>,
}

/// A volunteer's request to move its registration to another community, decided
/// by the destination's administrators.
pub struct VolunteerMove(pub volunteers::MoveRecord);

/// A request to move a volunteer to a unit outside the requester's scope, decided by the receiving unit.
#[Object]
impl VolunteerMove {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::VolunteerMove, self.0.id)
    }
    /// The volunteer (null when out of the caller's reach).
    async fn volunteer(&self, ctx: &Context<'_>) -> GqlResult<Option<Volunteer>> {
        volunteer_of(ctx, self.0.volunteer_id).await
    }
    /// The destination: the unit whose administrators decide.
    async fn unit_code(&self) -> &str {
        self.0.to.as_str()
    }
    /// Division code of the unit the volunteer leaves.
    async fn from_unit_code(&self) -> &str {
        self.0.from.as_str()
    }
    /// Division code of the unit the volunteer joins.
    async fn to_unit_code(&self) -> &str {
        self.0.to.as_str()
    }
    /// Where the request is.
    async fn state(&self) -> MoveState {
        self.0.state
    }
    /// The reason given with the decision.
    async fn decision_reason(&self) -> Option<&str> {
        self.0.decision_reason.as_deref()
    }
    /// When it was decided.
    async fn decided_at(&self) -> Option<Timestamp> {
        self.0.decided_at.map(Into::into)
    }
    /// When it was asked for.
    async fn created_at(&self) -> Timestamp {
        self.0.created_at.into()
    }
}

/// Accept or decline a volunteer's move to another unit.
#[derive(InputObject)]
pub struct DecideVolunteerMoveInput {
    /// The move request's global ID.
    pub id: ID,
    /// Required when declining.
    pub reason: Option<String>,
}

/// The result of deciding a move request.
#[derive(SimpleObject)]
pub struct DecideVolunteerMovePayload {
    /// The move request as decided.
    pub move_request: VolunteerMove,
}

async fn decide_move(
    ctx: &Context<'_>,
    input: DecideVolunteerMoveInput,
    accept: bool,
) -> GqlResult<DecideVolunteerMovePayload> {
    answer(async {
        let (cx, id) = target(ctx, NodeKind::VolunteerMove, &input.id)?;
        volunteers::decide_move(cx, id, accept, input.reason)
            .await
            .map(|m| DecideVolunteerMovePayload {
                move_request: VolunteerMove(m),
            })
    })
    .await
}

#[derive(Default)]
pub struct VolunteerQuery;

#[Object]
impl VolunteerQuery {
    /// The managed list of service fields.
    async fn service_fields(&self, ctx: &Context<'_>) -> GqlResult<Vec<ServiceField>> {
        Ok(volunteers::service_fields(cx_of(ctx)?)
            .await
            .map_err(|e| e.extend())?
            .into_iter()
            .map(|f| ServiceField {
                code: f.code,
                name: f.name,
            })
            .collect())
    }
    /// Volunteers the caller may see; `search` matches names (containing the text)
    /// and volunteer numbers (exactly). A search counts up to 1,000 matches.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn volunteers(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only volunteers whose name or volunteer number contains this text.")]
        search: Option<String>,
        #[graphql(desc = "Only volunteers offering this service field (its code).")] field: Option<
            String,
        >,
        #[graphql(desc = "Volunteers holding exactly this many stars (0 to 5).")] stars: Option<
            i32,
        >,
        #[graphql(desc = "Only party members (true) or non-members (false).")] party_member: Option<
            bool,
        >,
        #[graphql(desc = "Sort order; left out, by unit.")] order_by: Option<
            OrderBy<VolunteerOrderField>,
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
                let stars = stars
                    .map(|s| {
                        i16::try_from(s)
                            .ok()
                            .filter(|s| (0..=5).contains(s))
                            .ok_or_else(|| {
                                crate::error::ServiceError::Refused(
                                    crate::error::Reason::OUT_OF_RANGE
                                        .at("stars")
                                        .arg("min", 0)
                                        .arg("max", 5),
                                )
                            })
                    })
                    .transpose()?;
                let filter = VolunteerFilter {
                    under: parse_under(under.as_deref())?,
                    order: OrderBy::pair(order_by),
                    search,
                    field,
                    party_member,
                    team_id: None,
                    stars,
                    without_personal_data: !selects_personal_data(ctx),
                    columns: columns_of(ctx),
                };
                volunteers::list(cx, &filter, &page, want_total).await
            },
        )
        .await
    }
    /// Requests to move into the caller's reach (and the caller's own), newest first.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn volunteer_moves(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only requests in this state.")] state: Option<MoveState>,
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
    ) -> GqlResult<Connection<VolunteerMove>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            VolunteerMove,
            |cx, page, want_total| async move {
                volunteers::list_moves(
                    cx,
                    state.map(|s| s.as_str()),
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
        .await
    }
    /// The volunteer with this ID; null when it does not exist or the caller may
    /// not see it.
    async fn volunteer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The volunteer's global ID.")] id: ID,
    ) -> GqlResult<Option<Volunteer>> {
        let raw = id_of(NodeKind::Volunteer, &id).map_err(|e| e.extend())?;
        Ok(visible(volunteers::get(cx_of(ctx)?, raw).await)?.map(Volunteer::new))
    }
}

#[derive(Default)]
pub struct VolunteerMutation;

#[Object]
impl VolunteerMutation {
    /// Registers a person once across the whole system: a second registration of the
    /// same ID number is CONFLICT, without saying where the first one is.
    async fn register_volunteer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: RegisterVolunteerInput,
    ) -> GqlResult<RegisterVolunteerPayload> {
        let user_id = opt_id(NodeKind::User, &input.user_id).map_err(|e| e.extend())?;
        let new = NewVolunteer {
            real_name: input.real_name,
            id_kind: input.id_type,
            id_number: input.id_number,
            phone: input.phone,
            gender: input.gender,
            birth_date: input.birth_date.map(Into::into),
            unit_code: input.unit_code,
            fields: input.fields,
            party_member: input.party_member,
            party_organization: input.party_organization,
            reported_unit_code: input.reported_unit_code,
            user_id,
        };
        volunteers::register(cx_of(ctx)?, new)
            .await
            .map(|v| RegisterVolunteerPayload {
                volunteer: Volunteer::new(v),
            })
            .map_err(|e| e.extend())
    }
    /// Change a volunteer's record; moving to a unit outside the caller's scope creates a move request.
    async fn update_volunteer(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateVolunteerInput,
    ) -> GqlResult<UpdateVolunteerPayload> {
        let id = id_of(NodeKind::Volunteer, &input.volunteer_id).map_err(|e| e.extend())?;
        let changes = VolunteerChanges {
            real_name: input.real_name,
            phone: input.phone,
            unit_code: input.unit_code,
            fields: input.fields,
            party_member: input.party_member,
            party_organization: input.party_organization,
            reported_unit_code: input.reported_unit_code,
        };
        volunteers::update(cx_of(ctx)?, id, changes)
            .await
            .map(|u| UpdateVolunteerPayload {
                volunteer: Volunteer::new(u.volunteer),
                move_request: u.move_request.map(VolunteerMove),
            })
            .map_err(|e| e.extend())
    }
    /// Moves the volunteer as it asked (an administrator of the destination, not the
    /// volunteer itself).
    async fn accept_volunteer_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DecideVolunteerMoveInput,
    ) -> GqlResult<DecideVolunteerMovePayload> {
        decide_move(ctx, input, true).await
    }
    /// Declines a move request, with a reason.
    async fn decline_volunteer_move(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: DecideVolunteerMoveInput,
    ) -> GqlResult<DecideVolunteerMovePayload> {
        decide_move(ctx, input, false).await
    }
}

/// The volunteer with `id` through the request's loader (none when out of reach).
pub(crate) async fn volunteer_of(ctx: &Context<'_>, id: i64) -> GqlResult<Option<Volunteer>> {
    Ok(loaders::load::<loaders::Volunteers>(ctx, id)
        .await?
        .map(Volunteer::new))
}

/// Whether a volunteers connection's selection reads a volunteer's personal data
/// (ID number, phone, birth date). Those columns are read with the page only then;
/// otherwise, a field that needs them after all reads them by id.
fn selects_personal_data(ctx: &Context<'_>) -> bool {
    const PERSONAL: [&str; 4] = ["idNumber", "phone", "personalDataMasked", "birthDate"];
    let node_reads = |node: async_graphql::SelectionField<'_>| {
        node.selection_set().any(|f| PERSONAL.contains(&f.name()))
    };
    ctx.field().selection_set().any(|f| match f.name() {
        "edges" => f
            .selection_set()
            .any(|e| e.name() == "node" && node_reads(e)),
        "nodes" => node_reads(f),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::{column_of, Volunteer};
    use crate::graphql::connection::FlatFields;

    /// A flat field without a column would send every flat page back to reading all
    /// columns; each column is read by one field.
    #[test]
    fn every_flat_field_names_its_own_column() {
        let mut columns: Vec<&str> = Volunteer::FLAT
            .iter()
            .map(|f| {
                let c = column_of(f).unwrap_or_else(|| panic!("{f}: no column"));
                sea_orm::IdenStatic::as_str(&c)
            })
            .collect();
        columns.sort_unstable();
        columns.dedup();
        assert_eq!(columns.len(), Volunteer::FLAT.len());
        assert_eq!(column_of("idNumber").map(|_| ()), None);
    }
}
