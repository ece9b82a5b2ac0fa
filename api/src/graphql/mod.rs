//! The GraphQL API. Resolvers fetch what they need from the context and call services;
//! they hold no business rules and no SQL.

pub mod connection;
pub mod loaders;
pub mod node;
pub mod units;

use async_graphql::dataloader::DataLoader;
use async_graphql::{EmptyMutation, EmptySubscription, MergedObject, Schema, SchemaBuilder};
use sea_orm::DatabaseConnection;

use crate::config::Config;

#[derive(MergedObject, Default)]
pub struct QueryRoot(units::UnitQuery, node::NodeQuery);

pub type AppSchema = Schema<QueryRoot, EmptyMutation, EmptySubscription>;

fn builder() -> SchemaBuilder<QueryRoot, EmptyMutation, EmptySubscription> {
    Schema::build(QueryRoot::default(), EmptyMutation, EmptySubscription)
}

/// The schema with everything a request needs attached.
pub fn build_schema(db: DatabaseConnection, config: &Config) -> AppSchema {
    builder()
        .limit_depth(config.max_depth)
        .limit_complexity(config.max_complexity)
        .data(DataLoader::new(
            loaders::UnitLoader { db: db.clone() },
            tokio::spawn,
        ))
        .data(db)
        .finish()
}

/// The SDL, for `kapok schema` and the committed `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
