//! The GraphQL API. Resolvers fetch the caller and services from the context and
//! call services; they hold no business rules, no SQL and no database handle.

// A resolver takes one Rust argument per GraphQL argument, and list fields carry
// filters, an order and four paging arguments.
#![allow(clippy::too_many_arguments)]

pub mod accounts;
pub mod activities;
pub mod attendance;
pub mod audit;
pub mod campaigns;
pub mod certificates;
pub mod community;
pub mod connection;
pub mod disbursements;
pub mod disclosure;
pub mod donations;
pub mod funds;
pub mod guard;
pub mod ids;
pub mod loaders;
pub mod node;
pub mod organizations;
pub mod projects;
pub mod records;
pub mod roles;
pub mod scalars;
pub mod stars;
pub mod stations;
pub mod stats;
pub mod teams;
pub mod units;
pub mod volunteers;

pub(crate) use ids::{id_of, maybe_id, opt_id};

use std::sync::Arc;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, EmptySubscription, MergedObject, Schema, SchemaBuilder};

use crate::auth::TokenKeys;
use crate::config::Config;
use crate::services::access::Access;
use crate::services::units::{UnitLoader, UnitReader};
use crate::services::{Ctx, Store};

/// Every read, one root field per resource list or record.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct QueryRoot(
    units::UnitQuery,
    node::NodeQuery,
    accounts::AccountQuery,
    roles::RoleQuery,
    audit::AuditQuery,
    organizations::OrganizationQuery,
    stations::StationQuery,
    volunteers::VolunteerQuery,
    teams::TeamQuery,
    projects::ProjectQuery,
    stats::StatsQuery,
    activities::ActivityQuery,
    attendance::AttendanceQuery,
    records::RecordQuery,
    stars::StarQuery,
    certificates::CertificateQuery,
    funds::FundQuery,
    donations::DonationQuery,
    disbursements::DisbursementQuery,
    campaigns::CampaignQuery,
    disclosure::DisclosureQuery,
    community::CommunityQuery,
);

/// Every change; each mutation takes one `input` and returns a payload.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    accounts::AccountMutation,
    roles::RoleMutation,
    units::UnitMutation,
    organizations::OrganizationMutation,
    stations::StationMutation,
    volunteers::VolunteerMutation,
    teams::TeamMutation,
    projects::ProjectMutation,
    activities::ActivityMutation,
    attendance::AttendanceMutation,
    records::RecordMutation,
    stars::StarMutation,
    certificates::CertificateMutation,
    funds::FundMutation,
    donations::DonationMutation,
    disbursements::DisbursementMutation,
    campaigns::CampaignMutation,
    disclosure::DisclosureMutation,
    community::CommunityMutation,
);

pub type AppSchema = Schema<QueryRoot, MutationRoot, EmptySubscription>;

type GqlResult<T> = async_graphql::Result<T>;

fn builder() -> SchemaBuilder<QueryRoot, MutationRoot, EmptySubscription> {
    Schema::build(
        QueryRoot::default(),
        MutationRoot::default(),
        EmptySubscription,
    )
}

/// Validation outcomes kept (see `http::documents::Validations`): a few dozen bytes
/// each.
const VALIDATIONS_KEPT: usize = 10_000;

/// The schema twice over, sharing one store of validation outcomes. `checked` runs
/// every validation rule (through [`KeptValidations`](crate::http::documents::KeptValidations),
/// which keeps each success) and answers a document, operation and variables the first
/// time they are seen; `validated` answers them afterwards with async-graphql's fast
/// validation — depth, complexity and fragment cycles, so the limits still bite — and
/// no extension at all. Any extension sends every field of every object down
/// async-graphql's slow path (a `ResolveInfo` with a registry lookup, and the type's
/// name formatted, per field), which cost more on a 100-row page than validating saved.
pub struct Schemas {
    pub checked: AppSchema,
    pub validated: AppSchema,
    validations: Arc<crate::http::documents::Validations>,
}

impl Schemas {
    /// The schema to run a request on: `validated` once its key has passed `checked`.
    pub fn for_key(&self, key: Option<&crate::http::documents::ValidationKey>) -> &AppSchema {
        match key {
            Some(k) if self.validations.passed(&k.0) => &self.validated,
            _ => &self.checked,
        }
    }
}

/// The schemas with what every request shares attached; the caller's context
/// (store, `Access`, clock) and its loaders are attached per request by
/// [`request_data`] — resolvers reach the store only through it.
pub fn build_schemas(config: &Config) -> Schemas {
    let validations = Arc::new(crate::http::documents::Validations::new(VALIDATIONS_KEPT));
    let keys = Arc::new(TokenKeys::new(config));
    let configured = || {
        let mut b = builder()
            .limit_depth(config.limits.max_depth)
            .limit_complexity(config.limits.max_complexity);
        if !config.introspection {
            // Production: no schema to map out and no "did you mean …" hints.
            b = b.disable_introspection().disable_suggestions();
        }
        b.data(keys.clone())
            .data(crate::services::throttle::ThrottleRules {
                pair_max: config.login_max_failures,
                address_max: config.login_address_max_failures,
                account_slowdown: config.login_account_slowdown,
                first_wait_ms: config.login_first_wait_ms,
            })
    };
    Schemas {
        checked: configured()
            .extension(crate::http::documents::KeptValidations(validations.clone()))
            .finish(),
        validated: configured()
            .validation_mode(async_graphql::ValidationMode::Fast)
            .finish(),
        validations,
    }
}

/// Attaches the caller's context and its loaders (units, relations of list items)
/// to a request.
pub fn request_data(
    request: async_graphql::Request,
    store: &Store,
    access: Access,
) -> async_graphql::Request {
    let cx = Ctx::new(store.clone(), access.clone());
    let request = request.data(loaders::Relations::new(cx.clone()));
    let request = match UnitReader::new(&cx) {
        Ok(reader) => request
            .data(DataLoader::new(UnitLoader(reader.clone()), tokio::spawn))
            .data(reader),
        // A refused token: resolvers report it through `Access`.
        Err(_) => request,
    };
    request.data(cx)
}

/// The SDL, for `kapok schema` and the committed `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}

/// The request's service context: the store, the caller and the clock.
pub(crate) fn cx_of<'a>(ctx: &'a Context<'_>) -> GqlResult<&'a Ctx> {
    ctx.data::<Ctx>()
}

pub(crate) fn access<'a>(ctx: &'a Context<'_>) -> GqlResult<&'a Access> {
    Ok(cx_of(ctx)?.access())
}

/// The request's unit reader; absent only when the caller's token was refused, in
/// which case the refusal is the error.
pub(crate) fn unit_reader<'a>(ctx: &'a Context<'_>) -> GqlResult<&'a UnitReader> {
    use async_graphql::ErrorExtensions;
    match ctx.data_opt::<UnitReader>() {
        Some(r) => Ok(r),
        None => {
            access(ctx)?.principal().map_err(|e| e.extend())?;
            Err(async_graphql::Error::new("no unit reader"))
        }
    }
}

pub(crate) fn unit_loader<'a>(ctx: &'a Context<'_>) -> GqlResult<&'a DataLoader<UnitLoader>> {
    unit_reader(ctx)?;
    ctx.data::<DataLoader<UnitLoader>>()
}

/// An optional `under` argument as a unit code.
pub(crate) fn parse_under(
    under: Option<&str>,
) -> Result<Option<policies::UnitCode>, crate::error::ServiceError> {
    under
        .map(|c| crate::services::parse_unit("under", c))
        .transpose()
}

/// The request's service context, for code that reports errors as
/// `ServiceError`s (a missing context entry is a bug: INTERNAL).
pub(crate) fn parts<'a>(ctx: &'a Context<'_>) -> Result<&'a Ctx, crate::error::ServiceError> {
    cx_of(ctx).map_err(|e| crate::error::ServiceError::Database(sea_orm::DbErr::Custom(e.message)))
}

/// A unit through the request's loader.
pub(crate) async fn load_unit(
    ctx: &Context<'_>,
    code: &policies::UnitCode,
) -> GqlResult<Option<units::Unit>> {
    use crate::services::units::ByCode;
    Ok(unit_loader(ctx)?
        .load_one(ByCode(code.to_string()))
        .await?
        .map(units::Unit))
}

/// A clearable input field: left out is `None` (unchanged), `null` is `Some(None)`
/// (cleared), a value is `Some(Some(v))`.
pub(crate) fn maybe<T, U: From<T>>(v: async_graphql::MaybeUndefined<T>) -> Option<Option<U>> {
    match v {
        async_graphql::MaybeUndefined::Undefined => None,
        async_graphql::MaybeUndefined::Null => Some(None),
        async_graphql::MaybeUndefined::Value(v) => Some(Some(v.into())),
    }
}

/// `Some` for a record the caller may see, `None` for one it may not (or that is gone).
pub(crate) fn visible<T>(r: Result<T, crate::error::ServiceError>) -> GqlResult<Option<T>> {
    use async_graphql::ErrorExtensions;
    match r {
        Ok(t) => Ok(Some(t)),
        Err(crate::error::ServiceError::NotFound(_)) => Ok(None),
        Err(e) => Err(e.extend()),
    }
}

/// A mutation's service call turned into its payload, with errors mapped once.
pub(crate) async fn answer<T, P: From<T>>(
    run: impl std::future::Future<Output = Result<T, crate::error::ServiceError>>,
) -> GqlResult<P> {
    use async_graphql::ErrorExtensions;
    run.await.map(P::from).map_err(|e| e.extend())
}

/// The request's context and the record a mutation's `id` names.
pub(crate) fn target<'a>(
    ctx: &'a Context<'_>,
    kind: ids::NodeKind,
    id: &async_graphql::ID,
) -> Result<(&'a Ctx, i64), crate::error::ServiceError> {
    Ok((parts(ctx)?, id_of(kind, id)?))
}
