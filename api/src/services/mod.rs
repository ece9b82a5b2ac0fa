//! Domain services. They take a connection (`&impl ConnectionTrait`, so they also run
//! inside a transaction) and return domain records, never entities.

pub mod ranges;
pub mod units;
