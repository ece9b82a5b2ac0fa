//! The `Node` interface: any record by its global ID (`node`, `nodes`). The IDs
//! themselves are in `ids`, which every type uses; this module uses every type.

use async_graphql::{Context, ErrorExtensions, Interface, Object, ID};

use crate::error::{Reason, ServiceError, Thing};
use crate::graphql::accounts::User;
use crate::graphql::activities::Activity;
use crate::graphql::attendance::Signup;
use crate::graphql::audit::AuditEntry;
use crate::graphql::campaigns::{Campaign, Pledge};
use crate::graphql::certificates::Certificate;
use crate::graphql::community::{
    HelpRequest, Household, StockItem, StockMove, TeamApplication, TimeAccount,
};
use crate::graphql::disbursements::Disbursement;
use crate::graphql::disclosure::DisclosureReport;
use crate::graphql::donations::Donation;
use crate::graphql::funds::Fund;
use crate::graphql::ids::{parse_global_id, NodeKind};
use crate::graphql::organizations::Organization;
use crate::graphql::projects::Project;
use crate::graphql::records::ServiceRecord;
use crate::graphql::roles::RoleAssignment;
use crate::graphql::stars::StarNomination;
use crate::graphql::stations::Station;
use crate::graphql::teams::Team;
use crate::graphql::units::Unit;
use crate::graphql::volunteers::Volunteer;
use crate::graphql::volunteers::VolunteerMove;
use crate::graphql::{cx_of, unit_reader, visible};
use crate::services::{
    activities, attendance, audit, campaigns, certificates, disbursements, disclosure, donations,
    funds, help_requests, organizations, pledges, projects, records, roles, stars, stations,
    supermarkets, team_applications, teams, timebank, users, volunteers,
};

/// Any record with a global ID.
#[derive(Interface)]
#[graphql(field(
    name = "id",
    ty = "ID",
    desc = "The record's global ID (opaque; use it with `node` and `nodes`)."
))]
pub enum Node {
    Unit(Unit),
    User(User),
    RoleAssignment(RoleAssignment),
    AuditEntry(AuditEntry),
    Organization(Organization),
    Station(Station),
    Volunteer(Volunteer),
    Team(Team),
    Project(Project),
    Activity(Activity),
    Signup(Signup),
    ServiceRecord(ServiceRecord),
    StarNomination(StarNomination),
    Certificate(Certificate),
    VolunteerMove(VolunteerMove),
    Fund(Fund),
    Donation(Donation),
    Disbursement(Disbursement),
    Campaign(Campaign),
    Pledge(Pledge),
    DisclosureReport(DisclosureReport),
    HelpRequest(HelpRequest),
    TeamApplication(TeamApplication),
    TimeAccount(TimeAccount),
    Household(Household),
    StockItem(StockItem),
    StockMove(StockMove),
}

#[derive(Default)]
pub struct NodeQuery;

/// How many IDs one `nodes` call may ask for.
pub const MAX_NODES: usize = 100;

#[Object]
impl NodeQuery {
    /// Fetches any record by its global ID (Relay's `node`). Null when the record
    /// does not exist or the caller may not see it: the two cannot be told apart.
    async fn node(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "A global ID from any record.")] id: ID,
    ) -> async_graphql::Result<Option<Node>> {
        resolve(ctx, &id).await
    }

    /// Fetches up to 100 records by global ID, in the order asked; each missing or
    /// unseen record is null in its place (Relay's `nodes`).
    #[graphql(complexity = "ids.len().max(1) * child_complexity + 1")]
    async fn nodes(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Up to 100 global IDs.")] ids: Vec<ID>,
    ) -> async_graphql::Result<Vec<Option<Node>>> {
        if ids.len() > MAX_NODES {
            return Err(
                ServiceError::from(Reason::TOO_MANY_IDS.at("ids").arg("max", MAX_NODES)).extend(),
            );
        }
        // Together, so kinds with a batched loader cost one read per kind, not per ID.
        futures_util::future::try_join_all(ids.iter().map(|id| resolve_batched(ctx, id))).await
    }
}

/// [`resolve`], through the request's loader for kinds that have one, so the IDs of
/// one `nodes` call share their reads.
async fn resolve_batched(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    use super::loaders::{self as l, load};
    let (kind, raw) = parse_global_id(id).map_err(|e| e.extend())?;
    Ok(match kind {
        NodeKind::Volunteer => load::<l::Volunteers>(ctx, raw)
            .await?
            .map(|v| Node::Volunteer(Volunteer::new(v))),
        NodeKind::Activity => load::<l::Activities>(ctx, raw)
            .await?
            .map(|a| Node::Activity(Activity(a))),
        NodeKind::User => load::<l::Users>(ctx, raw)
            .await?
            .map(|u| Node::User(User(u))),
        NodeKind::Team => load::<l::Teams>(ctx, raw)
            .await?
            .map(|t| Node::Team(Team(t))),
        NodeKind::Project => load::<l::Projects>(ctx, raw)
            .await?
            .map(|p| Node::Project(Project(p))),
        NodeKind::Organization => load::<l::Organizations>(ctx, raw)
            .await?
            .map(|o| Node::Organization(Organization(o))),
        NodeKind::Fund => load::<l::Funds>(ctx, raw)
            .await?
            .map(|f| Node::Fund(Fund(f))),
        NodeKind::ServiceRecord => load::<l::ServiceRecords>(ctx, raw)
            .await?
            .map(|r| Node::ServiceRecord(ServiceRecord(r))),
        _ => resolve(ctx, id).await?,
    })
}

/// One record by global ID through its service's scoped `get`; `None` for missing
/// or out of scope, an error for a malformed ID or a refused caller.
async fn resolve(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Node>> {
    let (kind, raw) = parse_global_id(id).map_err(|e| e.extend())?;
    let cx = cx_of(ctx)?;
    let node = match kind {
        NodeKind::Unit => unit_reader(ctx)?
            .by_id(raw)
            .await
            .and_then(|u| u.ok_or(ServiceError::NotFound(Thing::Node)))
            .map(|u| Node::Unit(Unit(u))),
        NodeKind::User => users::get(cx, raw).await.map(|u| Node::User(User(u))),
        NodeKind::RoleAssignment => roles::get(cx, raw)
            .await
            .map(|a| Node::RoleAssignment(RoleAssignment(a))),
        NodeKind::AuditEntry => audit::get(cx, raw)
            .await
            .map(|a| Node::AuditEntry(AuditEntry(a))),
        NodeKind::Organization => organizations::get(cx, raw)
            .await
            .map(|o| Node::Organization(Organization(o))),
        NodeKind::Station => stations::get(cx, raw)
            .await
            .map(|o| Node::Station(Station(o))),
        NodeKind::Volunteer => volunteers::get(cx, raw)
            .await
            .map(|v| Node::Volunteer(Volunteer::new(v))),
        NodeKind::Team => teams::get(cx, raw).await.map(|t| Node::Team(Team(t))),
        NodeKind::Project => projects::get(cx, raw)
            .await
            .map(|p| Node::Project(Project(p))),
        NodeKind::Activity => activities::get(cx, raw)
            .await
            .map(|a| Node::Activity(Activity(a))),
        NodeKind::Signup => attendance::get(cx, raw)
            .await
            .map(|s| Node::Signup(Signup(s))),
        NodeKind::ServiceRecord => records::get(cx, raw)
            .await
            .map(|r| Node::ServiceRecord(ServiceRecord(r))),
        NodeKind::StarNomination => stars::get(cx, raw)
            .await
            .map(|n| Node::StarNomination(StarNomination(n))),
        NodeKind::Certificate => certificates::get(cx, raw)
            .await
            .map(|c| Node::Certificate(Certificate::new(c))),
        NodeKind::VolunteerMove => volunteers::get_move(cx, raw)
            .await
            .map(|m| Node::VolunteerMove(VolunteerMove(m))),
        NodeKind::Fund => funds::get(cx, raw).await.map(|f| Node::Fund(Fund(f))),
        NodeKind::Disbursement => disbursements::get(cx, raw)
            .await
            .map(|d| Node::Disbursement(Disbursement(d))),
        NodeKind::Donation => donations::get(cx, raw)
            .await
            .map(|d| Node::Donation(Donation(d))),
        NodeKind::Campaign => campaigns::get(cx, raw)
            .await
            .map(|c| Node::Campaign(Campaign(c))),
        NodeKind::Pledge => pledges::get(cx, raw).await.map(|p| Node::Pledge(Pledge(p))),
        NodeKind::DisclosureReport => disclosure::get(cx, raw)
            .await
            .map(|r| Node::DisclosureReport(DisclosureReport(r))),
        NodeKind::HelpRequest => help_requests::get(cx, raw)
            .await
            .map(|r| Node::HelpRequest(HelpRequest(r))),
        NodeKind::TeamApplication => team_applications::get(cx, raw)
            .await
            .map(|r| Node::TeamApplication(TeamApplication(r))),
        NodeKind::TimeAccount => timebank::get(cx, raw)
            .await
            .map(|r| Node::TimeAccount(TimeAccount(r))),
        NodeKind::Household => supermarkets::get_household(cx, raw)
            .await
            .map(|r| Node::Household(Household(r))),
        NodeKind::StockItem => supermarkets::get_item(cx, raw)
            .await
            .map(|r| Node::StockItem(StockItem(r))),
        NodeKind::StockMove => supermarkets::get_move(cx, raw)
            .await
            .map(|r| Node::StockMove(StockMove(r))),
    };
    visible(node)
}
