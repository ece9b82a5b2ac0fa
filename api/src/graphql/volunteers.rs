//! Organisations, stations, service fields and volunteers in GraphQL.

use async_graphql::{
    Context, ErrorExtensions, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use tokio::sync::OnceCell;

use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::loaders;
use crate::graphql::node::{global_id, NodeKind};
use crate::graphql::scalars::{Day, Timestamp};
use crate::graphql::units::Unit;
use crate::graphql::{
    access, answer, id_of, load_unit, maybe, maybe_id, opt_id, parse_under, parts, store, target,
    visible, GqlResult,
};
use crate::services::organizations::{self, NewOrganization, OrganizationRecord};
use crate::services::projects::{self, NewProject, ProjectRecord};
use crate::services::stations::{self, NewStation, StationRecord};
use crate::services::stats;
use crate::services::teams::{self, NewTeam, TeamFilter, TeamRecord};
use crate::services::volunteers::VolunteerOrderField;
use crate::services::volunteers::{
    self, NewVolunteer, PersonalData, VolunteerChanges, VolunteerFilter, VolunteerRecord,
};
use crate::services::CreatedOrderField;
use crate::services::NameOrderField;
pub use entity::kinds::{
    Gender, IdType, MoveState, OrganizationKind, StationKind, VolunteerStatus,
};

pub struct Organization(pub OrganizationRecord);

/// An organisation working with the units: a social organisation, social-work agency, enterprise or party organisation.
#[Object]
impl Organization {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Organization, self.0.id)
    }
    /// Its registered name.
    async fn name(&self) -> &str {
        &self.0.name
    }
    /// What kind of body it is.
    async fn kind(&self) -> OrganizationKind {
        self.0.kind
    }
    /// Unified social credit code (统一社会信用代码).
    async fn credit_code(&self) -> &str {
        &self.0.credit_code
    }
    /// Division code of the unit the record belongs to.
    async fn unit_code(&self) -> &str {
        self.0.unit.as_str()
    }
    /// The unit the record belongs to (null when the caller cannot see it).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.0.unit).await
    }
    /// A contact person (personal data: null without permission to read it).
    async fn contact_name(&self) -> Option<&str> {
        self.0.contact_name.as_deref()
    }
    /// The contact's phone number (personal data: null without permission to read it).
    async fn contact_phone(&self) -> Option<&str> {
        self.0.contact_phone.as_deref()
    }
}

pub struct Station(pub StationRecord);

/// A place where community service happens: a social-work station, charity workstation, donation point and so on.
#[Object]
impl Station {
    /// The record's global ID (opaque; use it with `node` and `nodes`).
    pub async fn id(&self) -> ID {
        global_id(NodeKind::Station, self.0.id)
    }
    /// What kind of station it is.
    async fn kind(&self) -> StationKind {
        self.0.kind
    }
    /// Its name.
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
    /// Its street address.
    async fn address(&self) -> Option<&str> {
        self.0.address.as_deref()
    }
    /// The day it opened.
    async fn opened_on(&self) -> Option<Day> {
        self.0.opened_on.map(Into::into)
    }
    /// The day it closed, if it has.
    async fn closed_on(&self) -> Option<Day> {
        self.0.closed_on.map(Into::into)
    }
    /// The operating organisation, when the caller may see it.
    async fn organization(&self, ctx: &Context<'_>) -> GqlResult<Option<Organization>> {
        Ok(
            loaders::load_opt::<loaders::Organizations>(ctx, self.0.organization_id)
                .await?
                .map(Organization),
        )
    }
}

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
        let (store, access) = (store(ctx)?, access(ctx)?);
        self.personal
            .get_or_try_init(|| volunteers::personal_data(store, access, &self.record))
            .await
            .map_err(|e| e.extend())
    }
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
    async fn birth_date(&self) -> Option<Day> {
        self.record.birth_date.map(Into::into)
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
        loaders::children::<loaders::VolunteerFields>(ctx, self.record.id).await
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

#[derive(Default)]
pub struct VolunteerQuery;

#[Object]
impl VolunteerQuery {
    /// Organisations the caller may see.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn organizations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
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
    ) -> GqlResult<Connection<Organization>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            Organization,
            |store, access, page, want_total| async move {
                organizations::list(
                    store,
                    access,
                    parse_under(under.as_deref())?.as_ref(),
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
        .await
    }

    /// Stations the caller may see.
    #[graphql(
        complexity = "crate::graphql::connection::list_cost(first.or(last), child_complexity, __field)"
    )]
    async fn stations(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Only records at this unit or below it (its division code, e.g. `440104`); left out, everything the caller may read."
        )]
        under: Option<String>,
        #[graphql(desc = "Only stations of this kind.")] kind: Option<StationKind>,
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
    ) -> GqlResult<Connection<Station>> {
        let paging = Paging {
            first,
            after,
            last,
            before,
        };
        list(
            ctx,
            paging,
            Station,
            |store, access, page, want_total| async move {
                stations::list(
                    store,
                    access,
                    parse_under(under.as_deref())?.as_ref(),
                    kind,
                    OrderBy::pair(order_by),
                    &page,
                    want_total,
                )
                .await
            },
        )
        .await
    }

    /// The managed list of service fields.
    async fn service_fields(&self, ctx: &Context<'_>) -> GqlResult<Vec<ServiceField>> {
        Ok(volunteers::service_fields(store(ctx)?)
            .await
            .map_err(|e| e.extend())?
            .into_iter()
            .map(|f| ServiceField {
                code: f.code,
                name: f.name,
            })
            .collect())
    }

    /// Volunteers the caller may see; `search` matches names and volunteer numbers.
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
            |store, access, page, want_total| async move {
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
                };
                volunteers::list(store, access, &filter, &page, want_total).await
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
            |store, access, page, want_total| async move {
                volunteers::list_moves(
                    store,
                    access,
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
        Ok(visible(volunteers::get(store(ctx)?, access(ctx)?, raw).await)?.map(Volunteer::new))
    }
}

/// Volunteers are listed by (home unit, id): the cursor carries both.
/// A new organisation at a unit.
#[derive(InputObject)]
pub struct CreateOrganizationInput {
    /// The organisation's registered name.
    pub name: String,
    /// What kind of body it is.
    pub kind: OrganizationKind,
    /// Its unified social credit code (统一社会信用代码, 18 characters, check digit verified).
    pub credit_code: String,
    /// Division code of the unit it works at.
    pub unit_code: String,
    /// A contact person.
    pub contact_name: Option<String>,
    /// The contact's phone number.
    pub contact_phone: Option<String>,
}

/// The result of `createOrganization`.
#[derive(SimpleObject)]
pub struct CreateOrganizationPayload {
    /// The new organisation.
    pub organization: Organization,
}

/// A new station (a place where community service happens) at a unit.
#[derive(InputObject)]
pub struct CreateStationInput {
    /// What kind of station it is.
    pub kind: StationKind,
    /// The station's name.
    pub name: String,
    /// Division code of the street or community it serves.
    pub unit_code: String,
    /// Its street address.
    pub address: Option<String>,
    /// The day it opened.
    pub opened_on: Option<Day>,
    /// The day it closed, if it has.
    pub closed_on: Option<Day>,
    /// The organisation that runs it, if any.
    pub organization_id: Option<ID>,
}

/// The result of `createStation`.
#[derive(SimpleObject)]
pub struct CreateStationPayload {
    /// The new station.
    pub station: Station,
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
        crate::graphql::relations::volunteer_of(ctx, self.0.volunteer_id).await
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

#[derive(Default)]
pub struct VolunteerMutation;

#[Object]
impl VolunteerMutation {
    /// Register an organisation at a unit.
    async fn create_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CreateOrganizationInput,
    ) -> GqlResult<CreateOrganizationPayload> {
        let new = NewOrganization {
            name: input.name,
            kind: input.kind,
            credit_code: input.credit_code,
            unit_code: input.unit_code,
            contact_name: input.contact_name,
            contact_phone: input.contact_phone,
        };
        organizations::create(store(ctx)?, access(ctx)?, new)
            .await
            .map(|o| CreateOrganizationPayload {
                organization: Organization(o),
            })
            .map_err(|e| e.extend())
    }

    /// Register a station at a street or community.
    async fn create_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: CreateStationInput,
    ) -> GqlResult<CreateStationPayload> {
        let organization_id =
            opt_id(NodeKind::Organization, &input.organization_id).map_err(|e| e.extend())?;
        let new = NewStation {
            kind: input.kind,
            name: input.name,
            unit_code: input.unit_code,
            address: input.address,
            opened_on: input.opened_on.map(Into::into),
            closed_on: input.closed_on.map(Into::into),
            organization_id,
        };
        stations::create(store(ctx)?, access(ctx)?, new)
            .await
            .map(|s| CreateStationPayload {
                station: Station(s),
            })
            .map_err(|e| e.extend())
    }

    /// Changes an organisation (`organization.update` at its unit).
    async fn update_organization(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateOrganizationInput,
    ) -> GqlResult<UpdateOrganizationPayload> {
        answer(async {
            let (store, access, id) = target(ctx, NodeKind::Organization, &input.id)?;
            let changes = organizations::OrganizationChanges {
                name: input.name,
                kind: input.kind,
                contact_name: maybe(input.contact_name),
                contact_phone: maybe(input.contact_phone),
            };
            organizations::update(store, access, id, changes).await
        })
        .await
    }

    /// Changes or closes a station (`station.update` at its unit).
    async fn update_station(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateStationInput,
    ) -> GqlResult<UpdateStationPayload> {
        answer(async {
            let (store, access, id) = target(ctx, NodeKind::Station, &input.id)?;
            let changes = stations::StationChanges {
                kind: input.kind,
                name: input.name,
                address: maybe(input.address),
                opened_on: maybe(input.opened_on),
                closed_on: maybe(input.closed_on),
                organization_id: maybe_id(NodeKind::Organization, input.organization_id)?,
            };
            stations::update(store, access, id, changes).await
        })
        .await
    }

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
        volunteers::register(store(ctx)?, access(ctx)?, new)
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
        volunteers::update(store(ctx)?, access(ctx)?, id, changes)
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

async fn decide_move(
    ctx: &Context<'_>,
    input: DecideVolunteerMoveInput,
    accept: bool,
) -> GqlResult<DecideVolunteerMovePayload> {
    answer(async {
        let (store, access, id) = target(ctx, NodeKind::VolunteerMove, &input.id)?;
        volunteers::decide_move(store, access, id, accept, input.reason)
            .await
            .map(|m| DecideVolunteerMovePayload {
                move_request: VolunteerMove(m),
            })
    })
    .await
}

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
        loaders::children::<loaders::TeamFields>(ctx, self.0.id).await
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
        let n = loaders::children::<loaders::TeamMemberCounts>(ctx, self.0.id).await?;
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
            |store, access, page, want_total| async move {
                let filter = VolunteerFilter {
                    team_id: Some(self.0.id),
                    ..Default::default()
                };
                volunteers::list(store, access, &filter, &page, want_total).await
            },
        )
        .await
    }
}

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
        list(
            ctx,
            paging,
            Team,
            |store, access, page, want_total| async move {
                let parent_id = opt_id(NodeKind::Team, &parent_id)?;
                let filter = TeamFilter {
                    under: parse_under(under.as_deref())?,
                    parent_id,
                };
                teams::list(
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
        list(
            ctx,
            paging,
            Project,
            |store, access, page, want_total| async move {
                projects::list(
                    store,
                    access,
                    parse_under(under.as_deref())?.as_ref(),
                    field.as_deref(),
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

/// Changes to an organisation; fields left out stay as they are. The credit code and
/// the unit it is registered at do not change.
#[derive(InputObject)]
pub struct UpdateOrganizationInput {
    /// The organisation's global ID.
    pub id: ID,
    /// A new name.
    pub name: Option<String>,
    /// A new kind.
    pub kind: Option<OrganizationKind>,
    /// `null` removes the contact.
    pub contact_name: MaybeUndefined<String>,
    /// `null` removes the contact phone.
    pub contact_phone: MaybeUndefined<String>,
}

/// The result of `updateOrganization`.
#[derive(SimpleObject)]
pub struct UpdateOrganizationPayload {
    /// The organisation as it is now.
    pub organization: Organization,
}

impl From<OrganizationRecord> for UpdateOrganizationPayload {
    fn from(o: OrganizationRecord) -> Self {
        UpdateOrganizationPayload {
            organization: Organization(o),
        }
    }
}

/// Changes to a station; fields left out stay as they are, `null` clears one.
/// Closing a station is setting `closedOn`.
#[derive(InputObject)]
pub struct UpdateStationInput {
    /// The station's global ID.
    pub id: ID,
    /// A new kind.
    pub kind: Option<StationKind>,
    /// A new name.
    pub name: Option<String>,
    /// A new address; null clears it.
    pub address: MaybeUndefined<String>,
    /// A new opening day; null clears it.
    pub opened_on: MaybeUndefined<Day>,
    /// The day the station closed (关闭); not before `openedOn`.
    pub closed_on: MaybeUndefined<Day>,
    /// The operating organisation, which the caller must see.
    pub organization_id: MaybeUndefined<ID>,
}

/// The result of `updateStation`.
#[derive(SimpleObject)]
pub struct UpdateStationPayload {
    /// The station as it is now.
    pub station: Station,
}

impl From<StationRecord> for UpdateStationPayload {
    fn from(s: StationRecord) -> Self {
        UpdateStationPayload {
            station: Station(s),
        }
    }
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

impl From<ProjectRecord> for CreateProjectPayload {
    fn from(p: ProjectRecord) -> Self {
        CreateProjectPayload {
            project: Project(p),
        }
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
            let (store, access) = parts(ctx)?;
            teams::create(store, access, new).await
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
            let (store, access, id) = target(ctx, NodeKind::Team, &input.id)?;
            let changes = teams::TeamChanges {
                name: input.name,
                fields: input.fields,
                leader_id: maybe_id(NodeKind::Volunteer, input.leader_id)?,
                parent_id: maybe_id(NodeKind::Team, input.parent_id)?,
            };
            teams::update(store, access, id, changes).await
        })
        .await
    }

    /// Changes a project (`project.update` at its unit).
    async fn update_project(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "What to do; each field is described on the input type.")]
        input: UpdateProjectInput,
    ) -> GqlResult<UpdateProjectPayload> {
        answer(async {
            let (store, access, id) = target(ctx, NodeKind::Project, &input.id)?;
            let changes = projects::ProjectChanges {
                name: input.name,
                field: input.field,
                description: input.description,
                starts_on: maybe(input.starts_on),
                ends_on: maybe(input.ends_on),
                team_id: maybe_id(NodeKind::Team, input.team_id)?,
                organization_id: maybe_id(NodeKind::Organization, input.organization_id)?,
            };
            projects::update(store, access, id, changes).await
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
            let (store, access, team) = target(ctx, NodeKind::Team, &input.team_id)?;
            let volunteer = id_of(NodeKind::Volunteer, &input.volunteer_id)?;
            teams::add_member(store, access, team, volunteer).await
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
            let (store, access, team) = target(ctx, NodeKind::Team, &input.team_id)?;
            let volunteer = id_of(NodeKind::Volunteer, &input.volunteer_id)?;
            teams::remove_member(store, access, team, volunteer).await
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
            let (store, access) = parts(ctx)?;
            projects::create(store, access, new).await
        })
        .await
    }
}

/// Headline figures of a subtree for a period (whole days, China Standard Time).
#[derive(SimpleObject)]
pub struct Figures {
    /// Volunteers registered at the end of the period.
    pub volunteers: i64,
    /// Volunteers registered during the period (net of moves in and out).
    pub new_volunteers: i64,
    /// Party members among the volunteers (党员志愿者).
    pub party_members: i64,
    /// Party members reporting to a community here (在职党员回社区报到).
    pub party_members_reporting: i64,
    /// Teams at the end of the period.
    pub teams: i64,
    /// Organisations at the end of the period.
    pub organizations: i64,
    /// Activities that started in the period and were closed.
    pub activities_held: i64,
    /// People served by those activities, as their organisers recorded.
    pub people_served: i64,
    /// Approved service hours served in the period.
    pub hours_served: f64,
    /// Approved service records in the period.
    pub service_records: i64,
    /// Hours served per registered volunteer (0 when there are none).
    pub hours_per_volunteer: f64,
    /// Volunteers holding each star rating (1 to 5) at the end of the period.
    pub volunteers_by_star: Vec<StarCount>,
}

/// How many volunteers hold a star rating.
#[derive(SimpleObject)]
pub struct StarCount {
    /// The rating, 1 to 5 stars (星级).
    pub stars: i32,
    /// Volunteers holding exactly this rating.
    pub count: i64,
}

impl From<stats::Figures> for Figures {
    fn from(f: stats::Figures) -> Self {
        let hours = f.half_hours as f64 / 2.0;
        Figures {
            volunteers: f.volunteers,
            new_volunteers: f.new_volunteers,
            party_members: f.party_members,
            party_members_reporting: f.party_members_reporting,
            teams: f.teams as i64,
            organizations: f.organizations as i64,
            activities_held: f.activities_held,
            people_served: f.people_served,
            hours_served: hours,
            service_records: f.records,
            hours_per_volunteer: if f.volunteers > 0 {
                (hours / f.volunteers as f64 * 100.0).round() / 100.0
            } else {
                0.0
            },
            volunteers_by_star: f
                .stars
                .iter()
                .zip(1..)
                .map(|(count, stars)| StarCount {
                    stars,
                    count: *count,
                })
                .collect(),
        }
    }
}

/// Stations of one kind in a subtree and the share of streets and communities that
/// have one (at the unit or below it).
#[derive(SimpleObject)]
pub struct StationCoverage {
    /// The kind of station.
    pub kind: StationKind,
    /// Open stations of that kind in the subtree.
    pub count: i64,
    /// Streets with at least one of them.
    pub streets_covered: i64,
    /// Communities with at least one of them.
    pub communities_covered: i64,
    /// Covered streets / streets in the subtree (0 when there are none).
    pub street_coverage: f64,
    /// Share of communities covered, 0 to 1.
    pub community_coverage: f64,
}

/// One child unit's figures, for league tables.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ChildStats {
    /// The child unit's division code.
    pub unit_code: String,
    /// The child unit's figures for the same period.
    pub figures: Figures,
    #[graphql(skip)]
    code: policies::UnitCode,
}

#[async_graphql::ComplexObject]
impl ChildStats {
    /// The child unit (batched with the other children).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.code).await
    }
}

/// The figures a unit reports upward for a period, with a line per child unit.
#[derive(SimpleObject)]
pub struct UnitStats {
    /// The unit's division code.
    pub unit_code: String,
    /// The unit's own figures (its whole subtree).
    pub figures: Figures,
    /// Streets in the subtree.
    pub streets: i64,
    /// Communities in the subtree.
    pub communities: i64,
    /// Station coverage by kind.
    pub stations: Vec<StationCoverage>,
    /// The same figures for each child unit.
    pub children: Vec<ChildStats>,
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// Figures for a unit's subtree and each of its children, for the days `from`
    /// to `to` inclusive (China Standard Time; either end may be open). Requires
    /// reading volunteers at the unit.
    async fn unit_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit's division code.")] code: String,
        #[graphql(
            desc = "First day of the period (China Standard Time); left out, no lower bound."
        )]
        from: Option<Day>,
        #[graphql(desc = "Last day of the period, inclusive; left out, no upper bound.")]
        to: Option<Day>,
    ) -> GqlResult<UnitStats> {
        let s = stats::unit_stats(
            store(ctx)?,
            access(ctx)?,
            &code,
            from.map(Into::into),
            to.map(Into::into),
        )
        .await
        .map_err(|e| e.extend())?;
        let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        Ok(UnitStats {
            unit_code: s.unit.to_string(),
            figures: s.figures.into(),
            streets: s.streets as i64,
            communities: s.communities as i64,
            stations: s
                .stations
                .iter()
                .map(|st| StationCoverage {
                    kind: st.kind,
                    count: st.count as i64,
                    streets_covered: st.streets_covered as i64,
                    communities_covered: st.communities_covered as i64,
                    street_coverage: share(st.streets_covered, s.streets),
                    community_coverage: share(st.communities_covered, s.communities),
                })
                .collect(),
            children: s
                .children
                .into_iter()
                .map(|(u, f)| ChildStats {
                    unit_code: u.to_string(),
                    figures: f.into(),
                    code: u,
                })
                .collect(),
        })
    }
}
