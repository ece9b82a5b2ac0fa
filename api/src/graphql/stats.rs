//! The figures a unit reports upward.

use async_graphql::{Context, ErrorExtensions, Object, SimpleObject};
use entity::kinds::StationKind;

use crate::graphql::scalars::{Day, Fen};
use crate::graphql::units::Unit;
use crate::graphql::{cx_of, load_unit, GqlResult};
use crate::services::stats;

/// Headline figures of a subtree for a period (whole days, China Standard Time).
#[derive(SimpleObject)]
pub struct Figures {
    /// Volunteers registered at the end of the period.
    pub volunteers: i64,
    /// Volunteers registered during the period (net of moves in and out).
    pub new_volunteers: i64,
    /// Party members among the volunteers (党员志愿者).
    pub party_members: i64,
    /// Party members reporting to a community here (在职党员回社区报到).
    pub party_members_reporting: i64,
    /// Teams at the end of the period.
    pub teams: i64,
    /// Organisations at the end of the period.
    pub organizations: i64,
    /// Activities that started in the period and were closed.
    pub activities_held: i64,
    /// People served by those activities, as their organisers recorded.
    pub people_served: i64,
    /// Approved service hours served in the period.
    pub hours_served: f64,
    /// Approved service records in the period.
    pub service_records: i64,
    /// Hours served per registered volunteer (0 when there are none).
    pub hours_per_volunteer: f64,
    /// Volunteers holding each star rating (1 to 5) at the end of the period.
    pub volunteers_by_star: Vec<StarCount>,
    /// Community charity figures; null unless the caller may read funds at the unit.
    pub charity: Option<CharityFigures>,
}

/// Community charity money of a subtree for a period, from the figures kept with
/// every ledger entry.
#[derive(SimpleObject)]
pub struct CharityFigures {
    /// Funds open at the end of the period.
    pub funds: i64,
    /// Money donated in the period, net of voided receipts, in fen.
    pub raised_fen: Fen,
    /// Money donations in the period, net of voided ones.
    pub donations: i64,
    /// Money paid out in the period, net of reversed payments, in fen.
    pub disbursed_fen: Fen,
    /// What the funds held at the end of the period, in fen.
    pub balance_fen: Fen,
    /// Pledges open at the end of the period (neither fulfilled nor lapsed).
    pub pledges_open: i64,
}

/// How many volunteers hold a star rating.
#[derive(SimpleObject)]
pub struct StarCount {
    /// The rating, 1 to 5 stars (星级).
    pub stars: i32,
    /// Volunteers holding exactly this rating.
    pub count: i64,
}

impl Figures {
    fn of(f: stats::Figures, charity: bool) -> Self {
        let hours = f.half_hours as f64 / 2.0;
        Figures {
            volunteers: f.volunteers,
            new_volunteers: f.new_volunteers,
            party_members: f.party_members,
            party_members_reporting: f.party_members_reporting,
            teams: f.teams as i64,
            organizations: f.organizations as i64,
            activities_held: f.activities_held,
            people_served: f.people_served,
            hours_served: hours,
            service_records: f.records,
            hours_per_volunteer: if f.volunteers > 0 {
                (hours / f.volunteers as f64 * 100.0).round() / 100.0
            } else {
                0.0
            },
            volunteers_by_star: f
                .stars
                .iter()
                .zip(1..)
                .map(|(count, stars)| StarCount {
                    stars,
                    count: *count,
                })
                .collect(),
            charity: charity.then_some(CharityFigures {
                funds: f.funds as i64,
                raised_fen: Fen(f.raised_fen),
                donations: f.donations,
                disbursed_fen: Fen(f.disbursed_fen),
                balance_fen: Fen(f.fund_balance_fen),
                pledges_open: f.pledges_open,
            }),
        }
    }
}

/// Stations of one kind in a subtree and the share of streets and communities that
/// have one (at the unit or below it).
#[derive(SimpleObject)]
pub struct StationCoverage {
    /// The kind of station.
    pub kind: StationKind,
    /// Open stations of that kind in the subtree.
    pub count: i64,
    /// Streets with at least one of them.
    pub streets_covered: i64,
    /// Communities with at least one of them.
    pub communities_covered: i64,
    /// Covered streets / streets in the subtree (0 when there are none).
    pub street_coverage: f64,
    /// Share of communities covered, 0 to 1.
    pub community_coverage: f64,
}

/// One child unit's figures, for league tables.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct ChildStats {
    /// The child unit's division code.
    pub unit_code: String,
    /// The child unit's figures for the same period.
    pub figures: Figures,
    #[graphql(skip)]
    code: policies::UnitCode,
}

#[async_graphql::ComplexObject]
impl ChildStats {
    /// The child unit (batched with the other children).
    async fn unit(&self, ctx: &Context<'_>) -> GqlResult<Option<Unit>> {
        load_unit(ctx, &self.code).await
    }
}

/// The figures a unit reports upward for a period, with a line per child unit.
#[derive(SimpleObject)]
pub struct UnitStats {
    /// The unit's division code.
    pub unit_code: String,
    /// The unit's own figures (its whole subtree).
    pub figures: Figures,
    /// Streets in the subtree.
    pub streets: i64,
    /// Communities in the subtree.
    pub communities: i64,
    /// Station coverage by kind.
    pub stations: Vec<StationCoverage>,
    /// Streets with an open community charity fund at them or below (null unless the
    /// caller may read funds at the unit).
    pub streets_with_fund: Option<i64>,
    /// Communities with an open fund (same rule).
    pub communities_with_fund: Option<i64>,
    /// The same figures for each child unit.
    pub children: Vec<ChildStats>,
}

#[derive(Default)]
pub struct StatsQuery;

#[Object]
impl StatsQuery {
    /// Figures for a unit's subtree and each of its children, for the days `from`
    /// to `to` inclusive (China Standard Time; either end may be open). Requires
    /// reading volunteers at the unit.
    async fn unit_stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The unit's division code.")] code: String,
        #[graphql(
            desc = "First day of the period (China Standard Time); left out, no lower bound."
        )]
        from: Option<Day>,
        #[graphql(desc = "Last day of the period, inclusive; left out, no upper bound.")]
        to: Option<Day>,
    ) -> GqlResult<UnitStats> {
        // Stations are counted only when asked for (their statement is the slowest).
        let with_stations = ctx.look_ahead().field("stations").exists();
        let s = stats::unit_stats(
            cx_of(ctx)?,
            &code,
            from.map(Into::into),
            to.map(Into::into),
            with_stations,
        )
        .await
        .map_err(|e| e.extend())?;
        let share = |n: u64, of: u64| if of == 0 { 0.0 } else { n as f64 / of as f64 };
        Ok(UnitStats {
            unit_code: s.unit.to_string(),
            figures: Figures::of(s.figures, s.charity_visible),
            streets_with_fund: s.charity_visible.then_some(s.streets_with_fund as i64),
            communities_with_fund: s.charity_visible.then_some(s.communities_with_fund as i64),
            streets: s.streets as i64,
            communities: s.communities as i64,
            stations: s
                .stations
                .iter()
                .map(|st| StationCoverage {
                    kind: st.kind,
                    count: st.count as i64,
                    streets_covered: st.streets_covered as i64,
                    communities_covered: st.communities_covered as i64,
                    street_coverage: share(st.streets_covered, s.streets),
                    community_coverage: share(st.communities_covered, s.communities),
                })
                .collect(),
            children: s
                .children
                .into_iter()
                .map(|(u, f)| ChildStats {
                    unit_code: u.to_string(),
                    figures: Figures::of(f, s.charity_visible),
                    code: u,
                })
                .collect(),
        })
    }
}
