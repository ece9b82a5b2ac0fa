//! Relations shared by the service types: a record's volunteer, user or activity through the request's loaders.

use async_graphql::Context;

use crate::graphql::accounts::User;
use crate::graphql::activities::Activity;
use crate::graphql::loaders;
use crate::graphql::volunteers::Volunteer;
use crate::graphql::GqlResult;

pub(crate) async fn user_of(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<User>> {
    Ok(loaders::load_opt::<loaders::Users>(ctx, id)
        .await?
        .map(User))
}

pub(crate) async fn volunteer_of(ctx: &Context<'_>, id: i64) -> GqlResult<Option<Volunteer>> {
    Ok(loaders::load::<loaders::Volunteers>(ctx, id)
        .await?
        .map(Volunteer::new))
}

pub(crate) async fn activity_of(ctx: &Context<'_>, id: Option<i64>) -> GqlResult<Option<Activity>> {
    Ok(loaders::load_opt::<loaders::Activities>(ctx, id)
        .await?
        .map(Activity))
}
