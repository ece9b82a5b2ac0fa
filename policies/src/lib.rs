//! Kapok's permission engine and the hierarchy vocabulary it reasons over.
//!
//! The policy is data ([`Policy`], loaded from TOML and validated); decisions are pure
//! functions of the policy, the principal and the target, and carry their reasons.

pub mod casefile;
pub mod engine;
pub mod model;
pub mod unit;

pub use engine::{
    can_grant, can_manage, can_revoke, check, check_from_level, check_owned, field_allowed,
    grantable_roles, plan, Assignment, Decision, Denial, Grant, Outcome, Principal, Scope,
};
pub use model::{
    Action, ActivityRules, ApprovalStep, CharityRules, DisclosureRules, FieldRule, GrantLevel,
    Policy, PolicyError, Reach, Resource, Role, StarRules, SupermarketRules, TimeBankRules,
    DEFAULT_POLICY,
};
pub use unit::{CodeError, Level, UnitCode};
