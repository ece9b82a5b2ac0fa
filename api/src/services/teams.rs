//! Volunteer teams: a tree (e.g. Yuexiu's "1+10+18"), each team at a unit inside its
//! parent's subtree, with service fields, a leader and members.

use chrono::{DateTime, Utc};
use std::collections::HashMap;

use entity::{team, team_field, team_member};
use policies::{Action, Resource, UnitCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, TransactionTrait,
};
use serde_json::json;

use crate::error::{Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::changes::Changes;
use crate::services::{ranges, scoped, units, volunteers, Ctx, Seen};

#[derive(Debug, Clone)]
pub struct TeamRecord {
    pub id: i64,
    pub name: String,
    pub unit: UnitCode,
    pub parent_id: Option<i64>,
    pub leader_id: Option<i64>,
}

impl TryFrom<team::Model> for TeamRecord {
    type Error = ServiceError;
    fn try_from(m: team::Model) -> ServiceResult<Self> {
        Ok(TeamRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            name: m.name,
            parent_id: m.parent_id,
            leader_id: m.leader_id,
        })
    }
}

pub(super) async fn get_in(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    action: Action,
    id: i64,
) -> ServiceResult<TeamRecord> {
    cx.get::<team::Entity>(conn, action, id).await?.try_into()
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<TeamRecord> {
    get_in(cx.db(), cx, Action::Read, id).await
}

/// Many teams by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, TeamRecord>> {
    cx.get_many::<team::Entity, _>(Action::Read, ids, |r: &TeamRecord| r.id)
        .await
}

pub struct NewTeam {
    pub name: String,
    pub unit_code: String,
    pub parent_id: Option<i64>,
    pub fields: Vec<String>,
    pub leader_id: Option<i64>,
}

pub async fn create(cx: &Ctx, input: NewTeam) -> ServiceResult<TeamRecord> {
    let name = super::required_text("name", &input.name, 200)?;
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    let txn = cx.db().begin().await?;
    units::require_exists(&txn, &unit).await?;
    cx.access().require(Resource::Team, Action::Create, &unit)?;
    if let Some(parent) = input.parent_id {
        let parent = get_in(&txn, cx, Action::Read, parent).await?;
        if !parent.unit.contains(&unit) {
            return Err(Reason::SUB_TEAM_OUTSIDE_PARENT
                .at("unitCode")
                .arg("parent", &parent.unit)
                .arg("unit", &unit)
                .into());
        }
    }
    volunteers::check_fields(&txn, &input.fields).await?;
    if let Some(leader) = input.leader_id {
        volunteers::find_scoped(&txn, cx, Action::Read, leader).await?;
    }
    let m = team::ActiveModel {
        name: Set(name.clone()),
        unit_code: Set(unit.to_string()),
        parent_id: Set(input.parent_id),
        leader_id: Set(input.leader_id),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let mut fields = input.fields.clone();
    fields.sort();
    fields.dedup();
    if !fields.is_empty() {
        team_field::Entity::insert_many(fields.iter().map(|f| team_field::ActiveModel {
            team_id: Set(m.id),
            field_code: Set(f.clone()),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    if let Some(leader) = input.leader_id {
        insert_member(&txn, m.id, leader, cx.now()).await?;
    }
    audit::log(
        &txn,
        cx,
        Entry::new("team.create", &unit)
            .target("team", m.id)
            .summary(json!({
                "name": name,
                "parent": input.parent_id,
                "fields": fields,
                "leader": input.leader_id,
            })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// What `updateTeam` changes; `None` leaves a field as it is, `Some(None)` clears
/// the leader or makes the team a root. The unit does not change.
#[derive(Debug, Default)]
pub struct TeamChanges {
    pub name: Option<String>,
    pub fields: Option<Vec<String>>,
    pub leader_id: Option<Option<i64>>,
    pub parent_id: Option<Option<i64>>,
}

/// How far up a chain of parents is followed before a move is refused as too deep.
const MAX_TEAM_DEPTH: usize = 64;

pub async fn update(cx: &Ctx, id: i64, ch: TeamChanges) -> ServiceResult<TeamRecord> {
    let name = super::optional_text("name", ch.name.as_deref(), 200)?;
    let txn = cx.db().begin().await?;
    let t = get_in(&txn, cx, Action::Read, id).await?;
    cx.access()
        .require(Resource::Team, Action::Update, &t.unit)?;
    let mut changes = Changes::<team::Entity>::new();
    changes.set("name", team::Column::Name, &t.name, name);
    if let Some(Some(parent)) = ch.parent_id {
        check_parent(&txn, cx, &t, parent).await?;
    }
    changes.set(
        "parentId",
        team::Column::ParentId,
        &t.parent_id,
        ch.parent_id,
    );
    if let Some(Some(leader)) = ch.leader_id.filter(|l| *l != t.leader_id) {
        volunteers::find_scoped(&txn, cx, Action::Read, leader).await?;
        if !is_member(&txn, id, leader).await? {
            insert_member(&txn, id, leader, cx.now()).await?;
        }
    }
    changes.set(
        "leaderId",
        team::Column::LeaderId,
        &t.leader_id,
        ch.leader_id,
    );
    if let Some(mut fields) = ch.fields {
        fields.sort();
        fields.dedup();
        volunteers::check_fields(&txn, &fields).await?;
        let old = fields_in(&txn, &[id])
            .await?
            .remove(&id)
            .unwrap_or_default();
        if old != fields {
            team_field::Entity::delete_many()
                .filter(team_field::Column::TeamId.eq(id))
                .exec(&txn)
                .await?;
            if !fields.is_empty() {
                team_field::Entity::insert_many(fields.iter().map(|f| team_field::ActiveModel {
                    team_id: Set(id),
                    field_code: Set(f.clone()),
                }))
                .exec_without_returning(&txn)
                .await?;
            }
            changes.note("fields", old, fields);
        }
    }
    changes
        .save(&txn, cx, team::Column::Id, id, "team.update", &t.unit)
        .await?;
    let after = get_in(&txn, cx, Action::Read, id).await?;
    txn.commit().await?;
    Ok(after)
}

/// A new parent must be a team the caller sees, at the team's unit or above it, and
/// not the team itself or one of its sub-teams (no cycles).
async fn check_parent(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    t: &TeamRecord,
    parent: i64,
) -> ServiceResult<()> {
    let p = get_in(conn, cx, Action::Read, parent).await?;
    if !p.unit.contains(&t.unit) {
        return Err(Reason::SUB_TEAM_OUTSIDE_PARENT
            .at("parentId")
            .arg("parent", &p.unit)
            .arg("unit", &t.unit)
            .into());
    }
    // Walk up from the new parent: meeting the team means a cycle. This walk is
    // about the tree's shape, not what the caller may read, so it is unscoped.
    let mut next = Some(parent);
    for _ in 0..MAX_TEAM_DEPTH {
        let Some(current) = next else {
            return Ok(());
        };
        if current == t.id {
            return Err(Reason::TEAM_CYCLE.at("parentId").into());
        }
        next = scoped::unscoped_by_id::<team::Entity>(
            current,
            "walking up from a parent the caller reads, to refuse cycles",
        )
        .one(conn)
        .await?
        .and_then(|m| m.parent_id);
    }
    Err(Reason::TEAM_TREE_TOO_DEEP.at("parentId").into())
}

pub(super) async fn insert_member(
    conn: &impl ConnectionTrait,
    team_id: i64,
    volunteer_id: i64,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    team_member::Entity::insert(team_member::ActiveModel {
        team_id: Set(team_id),
        volunteer_id: Set(volunteer_id),
        joined_at: Set(now),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

pub(super) async fn is_member(
    conn: &impl ConnectionTrait,
    team_id: i64,
    volunteer_id: i64,
) -> ServiceResult<bool> {
    Ok(
        scoped::unscoped::<team_member::Entity>("membership in a team the caller reads")
            .filter(team_member::Column::TeamId.eq(team_id))
            .filter(team_member::Column::VolunteerId.eq(volunteer_id))
            .count(conn)
            .await?
            > 0,
    )
}

/// Adds a volunteer the caller can see to a team the caller manages; a volunteer may
/// be in several teams.
pub async fn add_member(cx: &Ctx, team_id: i64, volunteer_id: i64) -> ServiceResult<TeamRecord> {
    let txn = cx.db().begin().await?;
    let team = get_in(&txn, cx, Action::Update, team_id).await?;
    volunteers::find_scoped(&txn, cx, Action::Read, volunteer_id).await?;
    if is_member(&txn, team_id, volunteer_id).await? {
        return Err(Reason::ALREADY_MEMBER.into());
    }
    insert_member(&txn, team_id, volunteer_id, cx.now()).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("team.add_member", &team.unit)
            .target("team", team_id)
            .summary(json!({ "volunteer": volunteer_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(team)
}

pub async fn remove_member(cx: &Ctx, team_id: i64, volunteer_id: i64) -> ServiceResult<TeamRecord> {
    let txn = cx.db().begin().await?;
    let team = get_in(&txn, cx, Action::Update, team_id).await?;
    if !is_member(&txn, team_id, volunteer_id).await? {
        return Err(ServiceError::NotFound(Thing::TeamMember));
    }
    if team.leader_id == Some(volunteer_id) {
        return Err(Reason::LEADER_CANNOT_LEAVE.into());
    }
    team_member::Entity::delete_many()
        .filter(team_member::Column::TeamId.eq(team_id))
        .filter(team_member::Column::VolunteerId.eq(volunteer_id))
        .exec(&txn)
        .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("team.remove_member", &team.unit)
            .target("team", team_id)
            .summary(json!({ "volunteer": volunteer_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(team)
}

#[derive(Debug, Clone, Default)]
pub struct TeamFilter {
    pub under: Option<UnitCode>,
    pub parent_id: Option<i64>,
}

pub async fn list(
    cx: &Ctx,
    filter: &TeamFilter,
    order: Option<(super::NameOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<TeamRecord>, u64)> {
    let Some(mut q) = cx.find::<team::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(team::Column::UnitCode, under));
    }
    if let Some(parent) = filter.parent_id {
        q = q.filter(team::Column::ParentId.eq(parent));
    }
    super::page_by(
        cx,
        q,
        &super::by_name_or_created(
            order,
            team::Column::Name,
            team::Column::Id,
            OrderDirection::Asc,
        ),
        page,
        want_total,
    )
    .await
}

/// The service fields of many teams in one query.
pub async fn fields_of(
    cx: &Ctx,
    teams: &[Seen<TeamRecord>],
) -> ServiceResult<HashMap<i64, Vec<String>>> {
    fields_in(cx.db(), &Seen::ids(teams)).await
}

/// [`fields_of`] on any connection, so an update reads them in its transaction.
async fn fields_in(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> ServiceResult<HashMap<i64, Vec<String>>> {
    let mut out: HashMap<i64, Vec<String>> = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let rows = scoped::unscoped::<team_field::Entity>("fields of teams the caller already read")
        .filter(team_field::Column::TeamId.is_in(ids.iter().copied()))
        .order_by_asc(team_field::Column::FieldCode)
        .all(conn)
        .await?;
    for f in rows {
        out.entry(f.team_id).or_default().push(f.field_code);
    }
    Ok(out)
}

/// Member counts of many teams in one query.
pub async fn member_counts(
    cx: &Ctx,
    teams: &[Seen<TeamRecord>],
) -> ServiceResult<HashMap<i64, u64>> {
    use sea_orm::QuerySelect;
    let ids = Seen::ids(teams);
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(i64, i64)> =
        scoped::unscoped::<team_member::Entity>("member counts of teams the caller already read")
            .select_only()
            .column(team_member::Column::TeamId)
            .column_as(team_member::Column::VolunteerId.count(), "n")
            .filter(team_member::Column::TeamId.is_in(ids.iter().copied()))
            .group_by(team_member::Column::TeamId)
            .into_tuple()
            .all(cx.db())
            .await?;
    Ok(rows
        .into_iter()
        .map(|(t, n)| (t, u64::try_from(n).unwrap_or(0)))
        .collect())
}
