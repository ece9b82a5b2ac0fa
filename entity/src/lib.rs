//! sea-orm entities: the tables as the database holds them. Not the API: the GraphQL
//! types in `api` are built from these, never derived from them.

pub mod unit;
