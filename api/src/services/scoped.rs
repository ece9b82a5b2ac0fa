//! The one place reads are restricted to what the caller may see: the policy's plan
//! for (resource, action) becomes a condition on the row's unit code — one index
//! range per subtree, no joins through the hierarchy — or on its owner.

use entity::{
    activity, audit_log, campaign, certificate, disbursement, disclosure_report, donation, fund,
    help_request, household, organization, pledge, project, role_assignment, service_record,
    signup, star_nomination, station, stock_item, stock_move, team, team_application, time_account,
    unit, user, volunteer, volunteer_move,
};
use policies::{Action, Resource};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, Select};

use crate::error::{ServiceError, Thing};

use crate::error::ServiceResult;
use crate::services::ranges;
use crate::services::Ctx;

/// A table whose rows live at a unit (and may belong to a user).
pub(super) trait ScopedEntity: EntityTrait {
    const RESOURCE: Resource;
    /// What a NOT_FOUND for one of its rows names.
    const THING: Thing;
    fn unit_column() -> Self::Column;
    /// The id every row is looked up by.
    fn id_column() -> Self::Column;
    fn owner_column() -> Option<Self::Column> {
        None
    }
}

impl ScopedEntity for unit::Entity {
    const RESOURCE: Resource = Resource::Unit;
    const THING: Thing = Thing::Unit;
    fn unit_column() -> unit::Column {
        unit::Column::Code
    }
    fn id_column() -> unit::Column {
        unit::Column::Id
    }
}

impl ScopedEntity for user::Entity {
    const RESOURCE: Resource = Resource::User;
    const THING: Thing = Thing::User;
    fn unit_column() -> user::Column {
        user::Column::HomeUnitCode
    }
    fn id_column() -> user::Column {
        user::Column::Id
    }
    fn owner_column() -> Option<user::Column> {
        Some(user::Column::Id)
    }
}

impl ScopedEntity for role_assignment::Entity {
    const RESOURCE: Resource = Resource::RoleAssignment;
    const THING: Thing = Thing::RoleAssignment;
    fn unit_column() -> role_assignment::Column {
        role_assignment::Column::UnitCode
    }
    fn id_column() -> role_assignment::Column {
        role_assignment::Column::Id
    }
    fn owner_column() -> Option<role_assignment::Column> {
        Some(role_assignment::Column::UserId)
    }
}

impl ScopedEntity for audit_log::Entity {
    const RESOURCE: Resource = Resource::AuditLog;
    const THING: Thing = Thing::AuditEntry;
    fn unit_column() -> audit_log::Column {
        audit_log::Column::UnitCode
    }
    fn id_column() -> audit_log::Column {
        audit_log::Column::Id
    }
}

impl ScopedEntity for organization::Entity {
    const RESOURCE: Resource = Resource::Organization;
    const THING: Thing = Thing::Organization;
    fn unit_column() -> organization::Column {
        organization::Column::UnitCode
    }
    fn id_column() -> organization::Column {
        organization::Column::Id
    }
}

impl ScopedEntity for station::Entity {
    const RESOURCE: Resource = Resource::Station;
    const THING: Thing = Thing::Station;
    fn unit_column() -> station::Column {
        station::Column::UnitCode
    }
    fn id_column() -> station::Column {
        station::Column::Id
    }
}

impl ScopedEntity for volunteer::Entity {
    const RESOURCE: Resource = Resource::Volunteer;
    const THING: Thing = Thing::Volunteer;
    fn unit_column() -> volunteer::Column {
        volunteer::Column::UnitCode
    }
    fn id_column() -> volunteer::Column {
        volunteer::Column::Id
    }
    fn owner_column() -> Option<volunteer::Column> {
        Some(volunteer::Column::UserId)
    }
}

/// Move requests are read where they lead (the destination decides) and by the
/// volunteer who asked.
impl ScopedEntity for volunteer_move::Entity {
    const RESOURCE: Resource = Resource::Volunteer;
    const THING: Thing = Thing::MoveRequest;
    fn unit_column() -> volunteer_move::Column {
        volunteer_move::Column::ToUnitCode
    }
    fn id_column() -> volunteer_move::Column {
        volunteer_move::Column::Id
    }
    fn owner_column() -> Option<volunteer_move::Column> {
        Some(volunteer_move::Column::RequestedBy)
    }
}

impl ScopedEntity for team::Entity {
    const RESOURCE: Resource = Resource::Team;
    const THING: Thing = Thing::Team;
    fn unit_column() -> team::Column {
        team::Column::UnitCode
    }
    fn id_column() -> team::Column {
        team::Column::Id
    }
}

impl ScopedEntity for fund::Entity {
    const RESOURCE: Resource = Resource::Fund;
    const THING: Thing = Thing::Fund;
    fn unit_column() -> fund::Column {
        fund::Column::UnitCode
    }
    fn id_column() -> fund::Column {
        fund::Column::Id
    }
}

impl ScopedEntity for disbursement::Entity {
    const RESOURCE: Resource = Resource::Disbursement;
    const THING: Thing = Thing::Disbursement;
    fn unit_column() -> disbursement::Column {
        disbursement::Column::UnitCode
    }
    fn id_column() -> disbursement::Column {
        disbursement::Column::Id
    }
}

impl ScopedEntity for donation::Entity {
    const RESOURCE: Resource = Resource::Donation;
    const THING: Thing = Thing::Donation;
    fn unit_column() -> donation::Column {
        donation::Column::UnitCode
    }
    fn id_column() -> donation::Column {
        donation::Column::Id
    }
}

/// Help requests: read in the subtree by offices, and by the volunteer whose
/// account claimed one (its owner).
impl ScopedEntity for help_request::Entity {
    const RESOURCE: Resource = Resource::HelpRequest;
    const THING: Thing = Thing::HelpRequest;
    fn unit_column() -> help_request::Column {
        help_request::Column::UnitCode
    }
    fn id_column() -> help_request::Column {
        help_request::Column::Id
    }
    fn owner_column() -> Option<help_request::Column> {
        Some(help_request::Column::OwnerUserId)
    }
}

/// Applications to join a team are read where the team is, and by the applicant.
impl ScopedEntity for team_application::Entity {
    const RESOURCE: Resource = Resource::Team;
    const THING: Thing = Thing::TeamApplication;
    fn unit_column() -> team_application::Column {
        team_application::Column::UnitCode
    }
    fn id_column() -> team_application::Column {
        team_application::Column::Id
    }
    fn owner_column() -> Option<team_application::Column> {
        Some(team_application::Column::UserId)
    }
}

impl ScopedEntity for time_account::Entity {
    const RESOURCE: Resource = Resource::TimeAccount;
    const THING: Thing = Thing::TimeAccount;
    fn unit_column() -> time_account::Column {
        time_account::Column::UnitCode
    }
    fn id_column() -> time_account::Column {
        time_account::Column::Id
    }
    fn owner_column() -> Option<time_account::Column> {
        Some(time_account::Column::UserId)
    }
}

/// Households in difficulty are kept by the supermarkets' offices.
impl ScopedEntity for household::Entity {
    const RESOURCE: Resource = Resource::Supermarket;
    const THING: Thing = Thing::Household;
    fn unit_column() -> household::Column {
        household::Column::UnitCode
    }
    fn id_column() -> household::Column {
        household::Column::Id
    }
}

impl ScopedEntity for stock_item::Entity {
    const RESOURCE: Resource = Resource::Supermarket;
    const THING: Thing = Thing::StockItem;
    fn unit_column() -> stock_item::Column {
        stock_item::Column::UnitCode
    }
    fn id_column() -> stock_item::Column {
        stock_item::Column::Id
    }
}

impl ScopedEntity for stock_move::Entity {
    const RESOURCE: Resource = Resource::Supermarket;
    const THING: Thing = Thing::StockMove;
    fn unit_column() -> stock_move::Column {
        stock_move::Column::UnitCode
    }
    fn id_column() -> stock_move::Column {
        stock_move::Column::Id
    }
}

/// Campaigns are part of running a fund: `fund` permissions.
impl ScopedEntity for campaign::Entity {
    const RESOURCE: Resource = Resource::Fund;
    const THING: Thing = Thing::Campaign;
    fn unit_column() -> campaign::Column {
        campaign::Column::UnitCode
    }
    fn id_column() -> campaign::Column {
        campaign::Column::Id
    }
}

/// A pledge names its donor like a donation does: `donation` permissions.
impl ScopedEntity for pledge::Entity {
    const RESOURCE: Resource = Resource::Donation;
    const THING: Thing = Thing::Pledge;
    fn unit_column() -> pledge::Column {
        pledge::Column::UnitCode
    }
    fn id_column() -> pledge::Column {
        pledge::Column::Id
    }
}

/// Published reports: `disclosure.read` is public in the default policy.
impl ScopedEntity for disclosure_report::Entity {
    const RESOURCE: Resource = Resource::Disclosure;
    const THING: Thing = Thing::DisclosureReport;
    fn unit_column() -> disclosure_report::Column {
        disclosure_report::Column::UnitCode
    }
    fn id_column() -> disclosure_report::Column {
        disclosure_report::Column::Id
    }
}

impl ScopedEntity for project::Entity {
    const RESOURCE: Resource = Resource::Project;
    const THING: Thing = Thing::Project;
    fn unit_column() -> project::Column {
        project::Column::UnitCode
    }
    fn id_column() -> project::Column {
        project::Column::Id
    }
}

impl ScopedEntity for activity::Entity {
    const RESOURCE: Resource = Resource::Activity;
    const THING: Thing = Thing::Activity;
    fn unit_column() -> activity::Column {
        activity::Column::UnitCode
    }
    fn id_column() -> activity::Column {
        activity::Column::Id
    }
}

impl ScopedEntity for signup::Entity {
    const RESOURCE: Resource = Resource::Signup;
    const THING: Thing = Thing::Signup;
    fn unit_column() -> signup::Column {
        signup::Column::UnitCode
    }
    fn id_column() -> signup::Column {
        signup::Column::Id
    }
    fn owner_column() -> Option<signup::Column> {
        Some(signup::Column::UserId)
    }
}

impl ScopedEntity for service_record::Entity {
    const RESOURCE: Resource = Resource::ServiceRecord;
    const THING: Thing = Thing::ServiceRecord;
    fn unit_column() -> service_record::Column {
        service_record::Column::UnitCode
    }
    fn id_column() -> service_record::Column {
        service_record::Column::Id
    }
    fn owner_column() -> Option<service_record::Column> {
        Some(service_record::Column::UserId)
    }
}

impl ScopedEntity for star_nomination::Entity {
    const RESOURCE: Resource = Resource::StarNomination;
    const THING: Thing = Thing::StarNomination;
    fn unit_column() -> star_nomination::Column {
        star_nomination::Column::UnitCode
    }
    fn id_column() -> star_nomination::Column {
        star_nomination::Column::Id
    }
    fn owner_column() -> Option<star_nomination::Column> {
        Some(star_nomination::Column::UserId)
    }
}

impl ScopedEntity for certificate::Entity {
    const RESOURCE: Resource = Resource::Certificate;
    const THING: Thing = Thing::Certificate;
    fn unit_column() -> certificate::Column {
        certificate::Column::UnitCode
    }
    fn id_column() -> certificate::Column {
        certificate::Column::Id
    }
    fn owner_column() -> Option<certificate::Column> {
        Some(certificate::Column::UserId)
    }
}

impl Ctx {
    /// The condition selecting rows the caller may `action`; `None` when no row can
    /// be reached, so callers answer without touching the database.
    pub(super) fn condition<E: ScopedEntity>(
        &self,
        action: Action,
    ) -> ServiceResult<Option<Condition>> {
        let scope = self.access().plan(E::RESOURCE, action)?;
        if scope.is_everything() {
            return Ok(Some(Condition::all()));
        }
        let mut any = Condition::any();
        let mut terms = 0;
        for (code, _) in &scope.subtrees {
            any = any.add(ranges::subtree(E::unit_column(), code));
            terms += 1;
        }
        if let (Some((me, _)), Some(col)) = (scope.own, E::owner_column()) {
            any = any.add(col.eq(me));
            terms += 1;
        }
        Ok((terms > 0).then_some(any))
    }

    /// `E::find()` restricted to what the caller may `action`, or `None` for
    /// nothing: the start of every list.
    pub(super) fn find<E: ScopedEntity>(&self, action: Action) -> ServiceResult<Option<Select<E>>> {
        Ok(self.condition::<E>(action)?.map(|c| E::find().filter(c)))
    }

    /// The row with `id` if the caller may `action` it; NOT_FOUND (naming
    /// `E::THING`) when it is missing or out of reach alike, so the two cannot be told apart.
    /// `conn` is the store's connection or a transaction on it.
    pub(super) async fn get<E: ScopedEntity>(
        &self,
        conn: &impl ConnectionTrait,
        action: Action,
        id: i64,
    ) -> ServiceResult<E::Model> {
        let Some(q) = self.find::<E>(action)? else {
            return Err(ServiceError::NotFound(E::THING));
        };
        q.filter(E::id_column().eq(id))
            .one(conn)
            .await?
            .ok_or(ServiceError::NotFound(E::THING))
    }

    /// The rows among `ids` that the caller may `action`, converted and keyed by id,
    /// in one statement. Ids that are missing or out of reach are simply absent, as
    /// a batched relation shows them as null.
    pub(super) async fn get_many<E, R>(
        &self,
        action: Action,
        ids: &[i64],
        key: impl Fn(&R) -> i64,
    ) -> ServiceResult<std::collections::HashMap<i64, R>>
    where
        E: ScopedEntity,
        R: TryFrom<E::Model, Error = ServiceError>,
    {
        if ids.is_empty() {
            return Ok(Default::default());
        }
        let Some(q) = self.find::<E>(action)? else {
            return Ok(Default::default());
        };
        q.filter(E::id_column().is_in(ids.iter().copied()))
            .all(self.db())
            .await?
            .into_iter()
            .map(|m| {
                let r = R::try_from(m)?;
                Ok((key(&r), r))
            })
            .collect()
    }
}

/// Every row of `E`, around the caller's scope: the one way services read without
/// it, so `grep unscoped` lists every such read. `why` says what makes the read safe
/// (the parent was read through the scope, the row is the caller's own, a system-wide
/// uniqueness check whose conflict reveals nothing, signing in before there is a
/// caller…); it is logged at trace level.
pub(crate) fn unscoped<E: EntityTrait>(why: &'static str) -> Select<E> {
    tracing::trace!(table = E::default().table_name(), why, "unscoped read");
    E::find()
}

/// [`unscoped`] for one row by primary key.
pub(crate) fn unscoped_by_id<E: EntityTrait>(
    id: impl Into<<E::PrimaryKey as sea_orm::PrimaryKeyTrait>::ValueType>,
    why: &'static str,
) -> Select<E> {
    tracing::trace!(table = E::default().table_name(), why, "unscoped read");
    E::find_by_id(id)
}

#[cfg(test)]
mod tests {
    /// Services read rows only through this module: a scoped `find`, or `unscoped`
    /// with its reason. A bare `Entity::find()` anywhere else in `services` fails here.
    #[test]
    fn services_read_only_through_the_scope_or_unscoped() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/services");
        let mut bare = Vec::new();
        for entry in std::fs::read_dir(dir).expect("services dir") {
            let path = entry.expect("entry").path();
            if path.file_name().is_some_and(|n| n == "scoped.rs") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            for (i, line) in text.lines().enumerate() {
                if line.contains("::Entity::find()")
                    || line.contains("::find_by_id(")
                    || line.contains("Entity::find_by_")
                {
                    bare.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
        assert!(
            bare.is_empty(),
            "reads around the scope without `unscoped`:\n{}",
            bare.join("\n")
        );
    }
}
