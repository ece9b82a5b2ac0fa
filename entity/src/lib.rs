//! sea-orm entities: the tables as the database holds them. Not the API: the GraphQL
//! types in `api` are built from domain records, never derived from these.

pub mod activity;
pub mod attendance;
pub mod audit_anchor;
pub mod audit_log;
pub mod certificate;
pub mod disbursement;
pub mod donation;
pub mod fund;
pub mod kinds;
pub mod ledger_entry;
pub mod ledger_line;
pub mod login_known_address;
pub mod login_throttled;
pub mod organization;
pub mod project;
pub mod receipt_counter;
pub mod refresh_token;
pub mod role_assignment;
pub mod service_field;
pub mod service_record;
pub mod session;
pub mod signup;
pub mod star_nomination;
pub mod station;
pub mod team;
pub mod team_field;
pub mod team_member;
pub mod unit;
pub mod unit_daily;
pub mod user;
pub mod volunteer;
pub mod volunteer_field;
pub mod volunteer_move;
