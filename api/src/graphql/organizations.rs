//! Organisations working with the units: type, list and changes.

use async_graphql::{
    Context, ErrorExtensions, InputObject, MaybeUndefined, Object, SimpleObject, ID,
};
use entity::kinds::OrganizationKind;

use crate::graphql::connection::{list, Connection, OrderBy, Paging};
use crate::graphql::ids::{global_id, NodeKind};
use crate::graphql::units::Unit;
use crate::graphql::{answer, cx_of, load_unit, maybe, parse_under, target, GqlResult};
use crate::services::organizations::{self, NewOrganization, OrganizationRecord};
use crate::services::NameOrderField;

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

#[derive(Default)]
pub struct OrganizationQuery;

#[Object]
impl OrganizationQuery {
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
            |cx, page, want_total| async move {
                organizations::list(
                    cx,
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
}

#[derive(Default)]
pub struct OrganizationMutation;

#[Object]
impl OrganizationMutation {
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
        organizations::create(cx_of(ctx)?, new)
            .await
            .map(|o| CreateOrganizationPayload {
                organization: Organization(o),
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
            let (cx, id) = target(ctx, NodeKind::Organization, &input.id)?;
            let changes = organizations::OrganizationChanges {
                name: input.name,
                kind: input.kind,
                contact_name: maybe(input.contact_name),
                contact_phone: maybe(input.contact_phone),
            };
            organizations::update(cx, id, changes).await
        })
        .await
    }
}
