//! Operator tools run from the command line (`kapok audit …`, `kapok backup`), apart
//! from request handling.

pub mod audit;
pub mod backup;
