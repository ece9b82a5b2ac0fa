//! Service projects on the published list: a field, a unit, an owning team or
//! organisation, dates.

use chrono::NaiveDate;
use entity::project;
use policies::{Action, Resource, UnitCode};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter, TransactionTrait};
use serde_json::json;

use crate::error::{Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::changes::Changes;
use crate::services::{organizations, ranges, teams, units, volunteers, Ctx};

#[derive(Debug, Clone)]
pub struct ProjectRecord {
    pub id: i64,
    pub name: String,
    pub field: String,
    pub unit: UnitCode,
    pub team_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub description: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

impl TryFrom<project::Model> for ProjectRecord {
    type Error = ServiceError;
    fn try_from(m: project::Model) -> ServiceResult<Self> {
        Ok(ProjectRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            name: m.name,
            field: m.field_code,
            team_id: m.team_id,
            organization_id: m.organization_id,
            description: m.description,
            starts_on: m.starts_on,
            ends_on: m.ends_on,
        })
    }
}

pub struct NewProject {
    pub name: String,
    pub field: String,
    pub unit_code: String,
    pub team_id: Option<i64>,
    pub organization_id: Option<i64>,
    pub description: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
}

pub async fn create(cx: &Ctx, input: NewProject) -> ServiceResult<ProjectRecord> {
    let name = super::required_text("name", &input.name, 200)?;
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    if let (Some(a), Some(b)) = (input.starts_on, input.ends_on) {
        if b < a {
            return Err(Reason::RANGE_REVERSED
                .at("endsOn")
                .arg("start", "startsOn")
                .into());
        }
    }
    if input.team_id.is_none() && input.organization_id.is_none() {
        return Err(Reason::PROJECT_NEEDS_OWNER.into());
    }
    let txn = cx.db().begin().await?;
    units::require_exists(&txn, &unit).await?;
    cx.access()
        .require(Resource::Project, Action::Create, &unit)?;
    volunteers::check_fields(&txn, std::slice::from_ref(&input.field)).await?;
    if let Some(team) = input.team_id {
        teams::get_in(&txn, cx, Action::Read, team).await?;
    }
    if let Some(org) = input.organization_id {
        organizations::get_in(&txn, cx, org).await?;
    }
    let m = project::ActiveModel {
        name: Set(name.clone()),
        field_code: Set(input.field.clone()),
        unit_code: Set(unit.to_string()),
        team_id: Set(input.team_id),
        organization_id: Set(input.organization_id),
        description: Set(input.description.trim().to_owned()),
        starts_on: Set(input.starts_on),
        ends_on: Set(input.ends_on),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("project.create", &unit)
            .target("project", m.id)
            .summary(json!({ "name": name, "field": input.field })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// What `updateProject` changes; `None` leaves a field as it is, `Some(None)`
/// clears it. A project keeps an owner: a team or an organisation.
#[derive(Debug, Default)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub field: Option<String>,
    pub description: Option<String>,
    pub starts_on: Option<Option<NaiveDate>>,
    pub ends_on: Option<Option<NaiveDate>>,
    pub team_id: Option<Option<i64>>,
    pub organization_id: Option<Option<i64>>,
}

pub async fn update(cx: &Ctx, id: i64, ch: ProjectChanges) -> ServiceResult<ProjectRecord> {
    let name = super::optional_text("name", ch.name.as_deref(), 200)?;
    let txn = cx.db().begin().await?;
    let p = get_in(&txn, cx, id).await?;
    cx.access()
        .require(Resource::Project, Action::Update, &p.unit)?;
    let starts_on = ch.starts_on.unwrap_or(p.starts_on);
    let ends_on = ch.ends_on.unwrap_or(p.ends_on);
    if let (Some(a), Some(b)) = (starts_on, ends_on) {
        if b < a {
            return Err(Reason::RANGE_REVERSED
                .at("endsOn")
                .arg("start", "startsOn")
                .into());
        }
    }
    let team_id = ch.team_id.unwrap_or(p.team_id);
    let organization_id = ch.organization_id.unwrap_or(p.organization_id);
    if team_id.is_none() && organization_id.is_none() {
        return Err(Reason::PROJECT_NEEDS_OWNER.into());
    }
    if let Some(f) = ch.field.as_ref().filter(|f| **f != p.field) {
        volunteers::check_fields(&txn, std::slice::from_ref(f)).await?;
    }
    if let Some(team) = team_id.filter(|t| Some(*t) != p.team_id) {
        teams::get_in(&txn, cx, Action::Read, team).await?;
    }
    if let Some(org) = organization_id.filter(|o| Some(*o) != p.organization_id) {
        organizations::get_in(&txn, cx, org).await?;
    }
    let mut changes = Changes::<project::Entity>::new();
    use project::Column as C;
    changes.set("name", C::Name, &p.name, name);
    changes.set("field", C::FieldCode, &p.field, ch.field);
    changes.set_text(
        "description",
        C::Description,
        &p.description,
        ch.description.map(|d| d.trim().to_owned()),
    );
    changes.set("startsOn", C::StartsOn, &p.starts_on, Some(starts_on));
    changes.set("endsOn", C::EndsOn, &p.ends_on, Some(ends_on));
    changes.set("teamId", C::TeamId, &p.team_id, Some(team_id));
    changes.set(
        "organizationId",
        C::OrganizationId,
        &p.organization_id,
        Some(organization_id),
    );
    changes
        .save(&txn, cx, C::Id, id, "project.update", &p.unit)
        .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list(
    cx: &Ctx,
    under: Option<&UnitCode>,
    field: Option<&str>,
    order: Option<(super::NameOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<ProjectRecord>, u64)> {
    let Some(mut q) = cx.find::<project::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = under {
        q = q.filter(ranges::subtree(project::Column::UnitCode, under));
    }
    if let Some(field) = field {
        q = q.filter(project::Column::FieldCode.eq(field));
    }
    super::page_by(
        cx,
        q,
        &super::by_name_or_created(
            order,
            project::Column::Name,
            project::Column::Id,
            OrderDirection::Asc,
        ),
        page,
        want_total,
    )
    .await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<ProjectRecord> {
    get_in(cx.db(), cx, id).await
}

/// Many projects by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, ProjectRecord>> {
    cx.get_many::<project::Entity, _>(Action::Read, ids, |r: &ProjectRecord| r.id)
        .await
}

pub(super) async fn get_in(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<ProjectRecord> {
    cx.get::<project::Entity>(conn, Action::Read, id)
        .await?
        .try_into()
}
