//! Star ratings (星级志愿者). Reaching a threshold of approved hours nominates the
//! volunteer; the nomination is a public notice for the policy's number of working
//! days; then an admin at the level the policy names for that star grants it.
//! A volunteer whose hours were revoked for fraud is barred for the policy's period.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use entity::kinds::NominationState;
use entity::{star_nomination, unit, volunteer};
use policies::{Action, GrantLevel, Level, Resource, UnitCode};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};
use serde_json::json;

use crate::error::{Problem, Reason, ServiceError, ServiceResult, Thing};
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::daily::{self, Delta};
use crate::services::{ranges, scoped, Ctx, Seen};

/// The end of a public notice that starts at `from`: the start (China Standard
/// Time) of the day after `days` full working days (Monday to Friday) following the
/// day of `from`. Public holidays are not known here and count as working days.
pub fn notice_end(from: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    let mut day: NaiveDate = daily::day_of(from);
    let mut left = days;
    while left > 0 {
        day += Duration::days(1);
        if !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    daily::start_of(day + Duration::days(1))
}

#[derive(Debug, Clone)]
pub struct NominationRecord {
    pub id: i64,
    pub volunteer_id: i64,
    pub unit: UnitCode,
    pub stars: i16,
    pub half_hours: i64,
    pub state: NominationState,
    pub nominated_at: DateTime<Utc>,
    pub listed_until: DateTime<Utc>,
    pub granted_by: Option<i64>,
    pub granted_at: Option<DateTime<Utc>>,
}

impl TryFrom<star_nomination::Model> for NominationRecord {
    type Error = ServiceError;
    fn try_from(m: star_nomination::Model) -> ServiceResult<Self> {
        Ok(NominationRecord {
            unit: super::stored_unit(&m.unit_code)?,
            id: m.id,
            volunteer_id: m.volunteer_id,
            stars: m.stars,
            half_hours: m.half_hours,
            state: m.state,
            nominated_at: m.nominated_at,
            listed_until: m.listed_until,
            granted_by: m.granted_by,
            granted_at: m.granted_at,
        })
    }
}

/// Nominates the volunteer for every star its approved total reaches that it
/// neither holds nor was nominated for, unless it is barred.
pub(super) async fn nominate_if_due(
    conn: &(impl ConnectionTrait + TransactionTrait),
    cx: &Ctx,
    volunteer_id: i64,
) -> ServiceResult<()> {
    let Some(v) = scoped::unscoped_by_id::<volunteer::Entity>(
        volunteer_id,
        "the volunteer whose approved hours just changed, to nominate it",
    )
    .one(conn)
    .await?
    else {
        return Ok(());
    };
    let now = cx.now();
    if v.barred_until.is_some_and(|b| b > now) {
        return Ok(());
    }
    let rules = cx.access().policy().star_rules();
    let due = rules.stars_for(v.approved_half_hours as f64 / 2.0);
    let listed_until = notice_end(now, rules.notice_working_days);
    for stars in (v.stars + 1)..=i16::from(due) {
        let inserted = star_nomination::Entity::insert(star_nomination::ActiveModel {
            volunteer_id: Set(v.id),
            user_id: Set(v.user_id),
            unit_code: Set(v.unit_code.clone()),
            stars: Set(stars),
            half_hours: Set(v.approved_half_hours),
            state: Set(NominationState::Listed),
            nominated_at: Set(now),
            listed_until: Set(listed_until),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([
                star_nomination::Column::VolunteerId,
                star_nomination::Column::Stars,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
        if inserted > 0 {
            audit::log(
                conn,
                cx,
                Entry::new("star.nominate", &super::stored_unit(&v.unit_code)?)
                    .target("volunteer", v.id)
                    .summary(json!({
                        "stars": stars,
                        "halfHours": v.approved_half_hours,
                        "listedUntil": listed_until,
                    })),
            )
            .await?;
        }
    }
    Ok(())
}

/// Bars a volunteer after fraud and withdraws its listed nominations; returns the
/// end of the bar.
pub(super) async fn bar(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    volunteer_id: i64,
) -> ServiceResult<DateTime<Utc>> {
    let until =
        cx.now() + Duration::days(i64::from(cx.access().policy().star_rules().fraud_bar_days));
    volunteer::Entity::update_many()
        .col_expr(volunteer::Column::BarredUntil, Expr::value(until))
        .filter(volunteer::Column::Id.eq(volunteer_id))
        .exec(conn)
        .await?;
    star_nomination::Entity::update_many()
        .col_expr(
            star_nomination::Column::State,
            Expr::value(NominationState::Withdrawn),
        )
        .filter(star_nomination::Column::VolunteerId.eq(volunteer_id))
        .filter(star_nomination::Column::State.eq(NominationState::Listed))
        .exec(conn)
        .await?;
    Ok(until)
}

/// The level a grant of `stars` needs at `unit`: "root" is the level of the top unit
/// of the hierarchy above it.
async fn needed_level(
    conn: &impl ConnectionTrait,
    cx: &Ctx,
    stars: i16,
    at: &UnitCode,
) -> ServiceResult<Level> {
    let rules = cx.access().policy().star_rules();
    let level = u8::try_from(stars)
        .ok()
        .and_then(|s| rules.grant_level(s))
        .ok_or_else(|| ServiceError::from(Reason::UNKNOWN_STAR_RATING))?;
    match level {
        GrantLevel::AtLeast(l) => Ok(l),
        GrantLevel::Root => {
            // The shortest loaded code on the chain from the top down to `at`.
            let mut chain = at.ancestors();
            chain.push(at.clone());
            let top: Option<String> =
                scoped::unscoped::<unit::Entity>("the unit whose level decides who grants a star")
                    .select_only()
                    .column(unit::Column::Code)
                    .filter(unit::Column::Code.is_in(chain.iter().map(|c| c.as_str())))
                    .order_by_asc(unit::Column::Code)
                    .into_tuple()
                    .one(conn)
                    .await?;
            Ok(top
                .and_then(|c| UnitCode::parse(&c).ok())
                .map_or(at.level(), |c| c.level()))
        }
    }
}

pub async fn grant(cx: &Ctx, id: i64) -> ServiceResult<NominationRecord> {
    let txn = cx.db().begin().await?;
    let n = cx
        .get::<star_nomination::Entity>(&txn, Action::Read, id)
        .await?;
    let unit = super::stored_unit(&n.unit_code)?;
    let level = needed_level(&txn, cx, n.stars, &unit).await?;
    let decision =
        cx.access()
            .check_from_level(Resource::StarNomination, Action::Grant, &unit, level)?;
    cx.access().enforce(&decision)?;
    let v = scoped::unscoped_by_id::<volunteer::Entity>(
        n.volunteer_id,
        "the nominee of a nomination the caller may grant",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
    let now = cx.now();
    grantable(&n, &v, cx.access().policy().star_rules(), now)?;
    apply_grant(&txn, &n, &v, cx.access().actor(), now).await?;
    audit::log(
        &txn,
        cx,
        Entry::new("star.grant", &unit)
            .target("volunteer", v.id)
            .summary(json!({ "stars": n.stars, "from": v.stars, "decision": decision.reason() })),
    )
    .await?;
    let after = scoped::unscoped_by_id::<star_nomination::Entity>(
        id,
        "the nomination just granted, reloaded",
    )
    .one(&txn)
    .await?
    .ok_or(ServiceError::NotFound(Thing::StarNomination))?;
    txn.commit().await?;
    after.try_into()
}

/// Whether nomination `n` of volunteer `v` may be granted at `now`: still listed,
/// its public notice over, the volunteer not barred, not already holding the stars,
/// and its approved hours still reaching them.
pub(crate) fn grantable(
    n: &star_nomination::Model,
    v: &volunteer::Model,
    rules: &policies::StarRules,
    now: DateTime<Utc>,
) -> Result<(), Problem> {
    if n.state != NominationState::Listed {
        return Err(Reason::NOMINATION_DECIDED.arg("state", n.state.as_str().to_ascii_uppercase()));
    }
    if now < n.listed_until {
        return Err(Reason::NOTICE_PERIOD.arg("until", n.listed_until.to_rfc3339()));
    }
    if v.barred_until.is_some_and(|b| b > now) {
        return Err(Reason::BARRED_FROM_STARS.into());
    }
    if v.stars >= n.stars {
        return Err(Reason::ALREADY_HOLDS_STARS.arg("stars", v.stars));
    }
    if i16::from(rules.stars_for(v.approved_half_hours as f64 / 2.0)) < n.stars {
        return Err(Reason::HOURS_BELOW_STAR.into());
    }
    Ok(())
}

/// The grant's writes: the nomination (only if still listed: CONFLICT when someone
/// decided it meanwhile), lower listed nominations superseded, the volunteer's
/// stars and the day's figures.
async fn apply_grant(
    txn: &impl ConnectionTrait,
    n: &star_nomination::Model,
    v: &volunteer::Model,
    actor: Option<i64>,
    now: DateTime<Utc>,
) -> ServiceResult<()> {
    let id = n.id;
    let done = star_nomination::Entity::update_many()
        .col_expr(
            star_nomination::Column::State,
            Expr::value(NominationState::Granted),
        )
        .col_expr(star_nomination::Column::GrantedBy, Expr::value(actor))
        .col_expr(star_nomination::Column::GrantedAt, Expr::value(now))
        .filter(star_nomination::Column::Id.eq(id))
        .filter(star_nomination::Column::State.eq(NominationState::Listed))
        .exec(txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(Reason::EDIT_CONFLICT.into());
    }
    // Lower nominations still listed are superseded by this grant.
    star_nomination::Entity::update_many()
        .col_expr(
            star_nomination::Column::State,
            Expr::value(NominationState::Superseded),
        )
        .filter(star_nomination::Column::VolunteerId.eq(v.id))
        .filter(star_nomination::Column::State.eq(NominationState::Listed))
        .filter(star_nomination::Column::Stars.lt(n.stars))
        .exec(txn)
        .await?;
    volunteer::Entity::update_many()
        .col_expr(volunteer::Column::Stars, Expr::value(n.stars))
        .filter(volunteer::Column::Id.eq(v.id))
        .exec(txn)
        .await?;
    daily::bump(
        txn,
        &super::stored_unit(&v.unit_code)?,
        daily::day_of(now),
        Delta::star_change(v.stars, n.stars),
    )
    .await?;
    Ok(())
}

#[derive(Debug, Clone, Default)]
pub struct NominationFilter {
    pub under: Option<UnitCode>,
    pub state: Option<NominationState>,
    pub volunteer_id: Option<i64>,
}

pub async fn list(
    cx: &Ctx,
    filter: &NominationFilter,
    order: Option<(super::CreatedOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<NominationRecord>, u64)> {
    let Some(mut q) = cx.find::<star_nomination::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(star_nomination::Column::UnitCode, under));
    }
    if let Some(s) = &filter.state {
        q = q.filter(star_nomination::Column::State.eq(*s));
    }
    if let Some(v) = filter.volunteer_id {
        q = q.filter(star_nomination::Column::VolunteerId.eq(v));
    }
    super::page_by(
        cx,
        q,
        &super::by_created(order, star_nomination::Column::Id, OrderDirection::Desc),
        page,
        want_total,
    )
    .await
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<NominationRecord> {
    cx.get::<star_nomination::Entity>(cx.db(), Action::Read, id)
        .await?
        .try_into()
}

/// The nominee's name as a public notice shows it: in full to callers who may read
/// the volunteer, otherwise with all but the first and last characters hidden.
/// The name and account of nominees, by volunteer id: a public notice names its
/// nominee whether or not the caller may read the volunteer, so this read is not
/// scoped (the name is masked by [`nominee_name`] instead).
#[derive(Debug, Clone)]
pub struct Nominee {
    real_name: String,
    user_id: Option<i64>,
}

/// The nominee of each nomination, keyed by the nomination's id.
pub async fn nominees(
    cx: &Ctx,
    nominations: &[Seen<NominationRecord>],
) -> ServiceResult<std::collections::HashMap<i64, Nominee>> {
    use sea_orm::QuerySelect;
    if nominations.is_empty() {
        return Ok(Default::default());
    }
    let of: Vec<(i64, i64)> = scoped::unscoped::<star_nomination::Entity>(
        "the nominations were read through the scope; only their nominees' ids are read",
    )
    .select_only()
    .column(star_nomination::Column::Id)
    .column(star_nomination::Column::VolunteerId)
    .filter(star_nomination::Column::Id.is_in(Seen::ids(nominations)))
    .into_tuple()
    .all(cx.db())
    .await?;
    let people: std::collections::HashMap<i64, Nominee> = scoped::unscoped::<volunteer::Entity>(
        "nominees' names for published notices, masked by the resolver",
    )
    .filter(volunteer::Column::Id.is_in(of.iter().map(|(_, v)| *v)))
    .all(cx.db())
    .await?
    .into_iter()
    .map(|v| {
        (
            v.id,
            Nominee {
                real_name: v.real_name,
                user_id: v.user_id,
            },
        )
    })
    .collect();
    Ok(of
        .into_iter()
        .filter_map(|(n, v)| Some((n, people.get(&v)?.clone())))
        .collect())
}

/// The nominee's name as the caller may see it: in full for callers who may read
/// the volunteer, masked (`张*丰`) for everyone else.
pub fn nominee_name(cx: &Ctx, n: &NominationRecord, v: &Nominee) -> ServiceResult<String> {
    let readable = cx
        .access()
        .check_for(Resource::Volunteer, Action::Read, &n.unit, v.user_id)?
        .allowed();
    Ok(if readable {
        v.real_name.clone()
    } else {
        crate::codes::mask_name(&v.real_name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn notice_counts_working_days_in_china_time() {
        // Thursday 26 Nov 2026, 10:00 CST: Fri, Mon, Tue, Wed, Thu → ends Fri 4 Dec 00:00 CST.
        assert_eq!(
            notice_end(at("2026-11-26T02:00:00Z"), 5),
            at("2026-12-03T16:00:00Z")
        );
        // Saturday: Mon..Fri of the next week → ends the Saturday after.
        assert_eq!(
            notice_end(at("2026-11-28T02:00:00Z"), 5),
            at("2026-12-04T16:00:00Z")
        );
        // 23:30 UTC on Sunday is already Monday in China.
        assert_eq!(
            notice_end(at("2026-11-29T23:30:00Z"), 1),
            at("2026-12-01T16:00:00Z")
        );
    }
    fn nomination(
        stars: i16,
        state: NominationState,
        listed_until: &str,
    ) -> star_nomination::Model {
        star_nomination::Model {
            id: 1,
            volunteer_id: 7,
            user_id: None,
            unit_code: "440104003108".into(),
            stars,
            half_hours: 0,
            state,
            nominated_at: at("2026-11-01T00:00:00Z"),
            listed_until: at(listed_until),
            granted_by: None,
            granted_at: None,
        }
    }

    fn nominee(stars: i16, hours: i64, barred_until: Option<&str>) -> volunteer::Model {
        volunteer::Model {
            id: 7,
            volunteer_number: None,
            real_name: "张三丰".into(),
            id_kind: entity::kinds::IdType::ResidentId,
            id_number: "440104199001011234".into(),
            phone: None,
            gender: entity::kinds::Gender::Male,
            birth_date: None,
            unit_code: "440104003108".into(),
            user_id: None,
            party_member: false,
            party_organization: None,
            reported_unit_code: None,
            status: entity::kinds::VolunteerStatus::Active,
            created_at: at("2026-01-01T00:00:00Z"),
            updated_at: at("2026-01-01T00:00:00Z"),
            approved_half_hours: hours * 2,
            stars,
            barred_until: barred_until.map(at),
        }
    }

    /// The grant rules as a decision table, decided at a chosen instant: no rows,
    /// no server, no waiting for a notice period to pass.
    #[test]
    fn a_grant_waits_for_the_notice_and_the_hours() {
        let policy = policies::Policy::default_policy().unwrap();
        let rules = policy.star_rules();
        let one_star_hours = (1..10_000)
            .find(|h| rules.stars_for(f64::from(*h)) >= 1)
            .unwrap();
        let listed = NominationState::Listed;
        let until = "2026-12-04T16:00:00Z";
        let cases: [(
            &str,
            star_nomination::Model,
            volunteer::Model,
            Option<Reason>,
        ); 7] = [
            (
                "after the notice",
                nomination(1, listed, until),
                nominee(0, one_star_hours.into(), None),
                None,
            ),
            (
                "one second early",
                nomination(1, listed, "2026-12-04T16:00:01Z"),
                nominee(0, one_star_hours.into(), None),
                Some(Reason::NOTICE_PERIOD),
            ),
            (
                "already granted",
                nomination(1, NominationState::Granted, until),
                nominee(0, one_star_hours.into(), None),
                Some(Reason::NOMINATION_DECIDED),
            ),
            (
                "barred by fraud",
                nomination(1, listed, until),
                nominee(0, one_star_hours.into(), Some("2027-01-01T00:00:00Z")),
                Some(Reason::BARRED_FROM_STARS),
            ),
            (
                "bar over",
                nomination(1, listed, until),
                nominee(0, one_star_hours.into(), Some("2026-12-01T00:00:00Z")),
                None,
            ),
            (
                "holds it already",
                nomination(1, listed, until),
                nominee(1, one_star_hours.into(), None),
                Some(Reason::ALREADY_HOLDS_STARS),
            ),
            (
                "hours revoked since",
                nomination(1, listed, until),
                nominee(0, i64::from(one_star_hours) - 1, None),
                Some(Reason::HOURS_BELOW_STAR),
            ),
        ];
        let now = at("2026-12-04T16:00:00Z");
        for (name, n, v, want) in cases {
            let got = grantable(&n, &v, rules, now).err().map(|p| p.reason);
            assert_eq!(got, want, "{name}");
        }
    }
}
