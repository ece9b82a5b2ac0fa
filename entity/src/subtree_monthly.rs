use sea_orm::entity::prelude::*;

/// The sums of `unit_monthly` over one unit's subtree, itself included, for one month:
/// kept for cities and districts, so a statistic of a city reads one row per child and
/// month instead of every unit's.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subtree_monthly")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub unit_code: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub month: Date,
    pub volunteers: i64,
    pub party_members: i64,
    pub party_reporting: i64,
    pub stars1: i64,
    pub stars2: i64,
    pub stars3: i64,
    pub stars4: i64,
    pub stars5: i64,
    pub half_hours: i64,
    pub records: i64,
    pub activities_held: i64,
    pub people_served: i64,
    /// Money donated (net of voids), in fen.
    pub raised_fen: i64,
    /// Money donations (net of voids).
    pub donations: i64,
    /// Money paid out (net of reversed payments), in fen.
    pub disbursed_fen: i64,
    /// The change in what the unit's funds hold, in fen: its running sum is the balance.
    pub fund_net_fen: i64,
    /// Pledges open (a stock: +1 when made, -1 when fulfilled or lapsed).
    pub pledges_open: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
