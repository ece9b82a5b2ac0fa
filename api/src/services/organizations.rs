//! Social organisations, social-work agencies, partner enterprises and party
//! organisations, each registered at a unit.

use entity::kinds::OrganizationKind;
use entity::organization;
use policies::{Action, Resource, UnitCode};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde_json::json;

use crate::codes::{Phone, SocialCreditCode};
use crate::error::{Problem, Reason, ServiceError, ServiceResult};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::changes::Changes;
use crate::services::{ranges, scoped, units, Ctx};

#[derive(Debug, Clone)]
pub struct OrganizationRecord {
    pub id: i64,
    pub name: String,
    pub kind: OrganizationKind,
    pub credit_code: String,
    pub unit: UnitCode,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

impl TryFrom<organization::Model> for OrganizationRecord {
    type Error = ServiceError;
    fn try_from(m: organization::Model) -> ServiceResult<Self> {
        Ok(OrganizationRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            name: m.name,
            kind: m.kind,
            credit_code: m.credit_code,
            contact_name: m.contact_name,
            contact_phone: m.contact_phone,
        })
    }
}

pub struct NewOrganization {
    pub name: String,
    pub kind: OrganizationKind,
    pub credit_code: String,
    pub unit_code: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

pub async fn create(cx: &Ctx, input: NewOrganization) -> ServiceResult<OrganizationRecord> {
    let name = super::required_text("name", &input.name, 200)?;
    let code = SocialCreditCode::parse(&input.credit_code)
        .map_err(|e| Problem::from(e).at("creditCode"))?;
    let unit = super::parse_unit("unitCode", &input.unit_code)?;
    let phone = input
        .contact_phone
        .as_deref()
        .map(Phone::parse)
        .transpose()
        .map_err(|e| Problem::from(e).at("contactPhone"))?;
    let txn = cx.db().begin().await?;
    units::require_exists(&txn, &unit).await?;
    cx.access()
        .require(Resource::Organization, Action::Create, &unit)?;
    let taken = scoped::unscoped::<organization::Entity>(
        "credit codes are unique across the system, whoever registered them",
    )
    .filter(organization::Column::CreditCode.eq(code.as_str()))
    .count(&txn)
    .await?;
    if taken > 0 {
        return Err(Reason::CREDIT_CODE_TAKEN
            .at("creditCode")
            .arg("code", code.as_str())
            .into());
    }
    let m = organization::ActiveModel {
        name: Set(name.clone()),
        kind: Set(input.kind),
        credit_code: Set(code.as_str().to_owned()),
        unit_code: Set(unit.to_string()),
        contact_name: Set(input
            .contact_name
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())),
        contact_phone: Set(phone.map(|p| p.as_str().to_owned())),
        created_at: Set(cx.now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("organization.create", &unit)
            .target("organization", m.id)
            .summary(json!({ "name": name, "kind": input.kind, "creditCode": code.as_str() })),
    )
    .await?;
    txn.commit().await?;
    m.try_into()
}

/// What `updateOrganization` changes; `None` leaves a field as it is, `Some(None)`
/// clears a contact. The credit code and the unit are the organisation's identity
/// and registration: they do not change here.
#[derive(Debug, Default)]
pub struct OrganizationChanges {
    pub name: Option<String>,
    pub kind: Option<OrganizationKind>,
    pub contact_name: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
}

pub async fn update(
    cx: &Ctx,
    id: i64,
    ch: OrganizationChanges,
) -> ServiceResult<OrganizationRecord> {
    let name = super::optional_text("name", ch.name.as_deref(), 200)?;
    let contact_name = ch
        .contact_name
        .map(|c| c.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()));
    let contact_phone = ch
        .contact_phone
        .map(|p| {
            p.as_deref()
                .map(Phone::parse)
                .transpose()
                .map(|p| p.map(|p| p.as_str().to_owned()))
        })
        .transpose()
        .map_err(|e| Problem::from(e).at("contactPhone"))?;
    let txn = cx.db().begin().await?;
    let o = get_in(&txn, cx, id).await?;
    cx.access()
        .require(Resource::Organization, Action::Update, &o.unit)?;
    let mut changes = Changes::<organization::Entity>::new();
    use organization::Column as C;
    changes.set("name", C::Name, &o.name, name);
    changes.set("kind", C::Kind, &o.kind, ch.kind);
    changes.set("contactName", C::ContactName, &o.contact_name, contact_name);
    changes.set(
        "contactPhone",
        C::ContactPhone,
        &o.contact_phone,
        contact_phone,
    );
    changes
        .save(&txn, cx, C::Id, id, "organization.update", &o.unit)
        .await?;
    let after = get_in(&txn, cx, id).await?;
    txn.commit().await?;
    Ok(after)
}

pub async fn list(
    cx: &Ctx,
    under: Option<&UnitCode>,
    order: Option<(super::NameOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<OrganizationRecord>, u64)> {
    let Some(mut q) = cx.find::<organization::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = under {
        q = q.filter(ranges::subtree(organization::Column::UnitCode, under));
    }
    super::page_by(
        cx,
        q,
        &super::by_name_or_created(
            order,
            organization::Column::Name,
            organization::Column::Id,
            OrderDirection::Asc,
        ),
        page,
        want_total,
    )
    .await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<OrganizationRecord> {
    get_in(cx.db(), cx, id).await
}

/// Many organizations by id in one read, as [`get`] would return each.
pub async fn get_many(
    cx: &Ctx,
    ids: &[i64],
) -> ServiceResult<std::collections::HashMap<i64, OrganizationRecord>> {
    cx.get_many::<organization::Entity, _>(Action::Read, ids, |r: &OrganizationRecord| r.id)
        .await
}

/// [`get`] on a given connection, e.g. inside a transaction (SQLite has one
/// connection: a second one cannot be had while a transaction holds it).
pub(super) async fn get_in(
    conn: &impl sea_orm::ConnectionTrait,
    cx: &Ctx,
    id: i64,
) -> ServiceResult<OrganizationRecord> {
    cx.get::<organization::Entity>(conn, Action::Read, id)
        .await?
        .try_into()
}
