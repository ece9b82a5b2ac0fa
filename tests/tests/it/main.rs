//! The end-to-end tests, as one binary: one link instead of one per file.

mod abuse;
mod auth;
mod charity;
mod community;
mod conventions;
mod demo;
mod disbursements;
mod funds;
mod http;
mod import;
mod leak;
mod ledger;
mod operations;
mod outside;
mod policy_edges;
mod pools;
mod scoping;
mod service;
mod units;
mod volunteers;
