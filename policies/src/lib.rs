//! Kapok's permission engine and the hierarchy vocabulary it reasons over.

pub mod unit;

pub use unit::{CodeError, Level, UnitCode};
