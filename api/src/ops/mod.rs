//! Operator tools run from the command line (`kapok audit …`, `kapok backup`,
//! `kapok import-divisions`, `kapok demo-data`), apart from request handling.

pub mod audit;
pub mod backup;
pub mod demo;
mod demo_charity;
mod demo_community;
pub mod divisions;
