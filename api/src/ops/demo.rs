//! `kapok demo-data`: a realistic, reproducible data set for a subtree at the volumes
//! of the source reports (Yuexiu: ~180,000 volunteers, ~1,400 teams, 227 social
//! organisations), for trying the API and for benchmarks. Same seed, same data.

use std::time::Instant;

use entity::{organization, station, team, team_member, unit, volunteer, volunteer_field};
use indicatif::{ProgressBar, ProgressStyle};
use migration::SERVICE_FIELDS;
use policies::{Level, UnitCode};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection, DbErr,
    EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use crate::services::ranges;

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub under: UnitCode,
    pub volunteers: u64,
    pub teams: u64,
    pub organizations: u64,
    /// Closed activities over the past year.
    pub activities: u64,
    /// Approved service records from those activities (about 2 million for Yuexiu).
    pub records: u64,
    /// Money donations over the past year to the subtree's funds (about 200,000 for
    /// Yuexiu); 0 loads no charity data.
    pub donations: u64,
    pub seed: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("unit {0} is not loaded")]
    NoUnit(String),
    #[error("unit {0} has no communities to place volunteers in")]
    NoCommunities(String),
    #[error("demo data (or real volunteers) already exist under {0}; use an empty subtree")]
    AlreadyThere(String),
    #[error("database error: {0}")]
    Database(#[from] DbErr),
}

#[derive(Debug, Default)]
pub struct DemoReport {
    pub organizations: u64,
    pub stations: u64,
    pub teams: u64,
    pub volunteers: u64,
    pub memberships: u64,
    pub activities: u64,
    pub records: u64,
    pub funds: u64,
    pub donations: u64,
    pub pledges: u64,
    pub disbursements: u64,
    pub reports: u64,
    pub help_requests: u64,
    pub time_accounts: u64,
    pub supermarkets: u64,
    pub stock_moves: u64,
    pub seconds: f64,
}

pub(super) const SURNAMES: [&str; 40] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "郑", "梁", "谢", "宋", "唐", "许", "邓", "冯", "韩", "曹", "曾", "彭",
    "萧", "蔡", "潘", "田", "董", "袁", "于", "余",
];
pub(super) const GIVEN: [&str; 40] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "文", "华", "红", "玲", "志强", "晓燕", "海燕",
    "嘉怡", "子轩", "梓涵", "浩然", "雨欣", "俊杰", "欣怡", "宇航", "思琪", "家豪",
];

pub(super) const BATCH: usize = 1_000;

pub(super) fn bar(progress: bool, len: u64, what: &str) -> ProgressBar {
    if !progress {
        return ProgressBar::hidden();
    }
    let b = ProgressBar::new(len);
    b.set_style(
        ProgressStyle::with_template(&format!(
            "{{spinner}} {what} [{{bar:40}}] {{pos}}/{{len}} ({{per_sec}}, eta {{eta}})"
        ))
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    b
}

/// A valid 18-character resident ID: area code, birth date, sequence, check digit.
fn resident_id(area: &str, rng: &mut StdRng, seq: u64) -> String {
    let year = rng.random_range(1950..=2006);
    let month = rng.random_range(1..=12);
    let day = rng.random_range(1..=28);
    // The sequence (3 digits, last one the gender) comes from the counter so that
    // numbers are unique; the date varies it further.
    let body = format!("{area}{year:04}{month:02}{day:02}{:03}", seq % 1000);
    let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

/// A valid unified social credit code for a social organisation registered in `area`.
fn credit_code(area: &str, n: u64) -> String {
    const CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    let weights = [
        1u32, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let body = format!("51{area}MJ{n:07}");
    let sum: u32 = body
        .bytes()
        .zip(weights)
        .map(|(b, w)| CHARS.iter().position(|c| *c == b).unwrap_or(0) as u32 * w)
        .sum();
    format!("{body}{}", CHARS[((31 - sum % 31) % 31) as usize] as char)
}

pub async fn generate(
    db: &DatabaseConnection,
    opts: &DemoOptions,
    progress: bool,
) -> Result<DemoReport, DemoError> {
    let started = Instant::now();
    let root = opts.under.clone();
    let units: Vec<(String, String, String)> = unit::Entity::find()
        .filter(ranges::subtree(unit::Column::Code, &root))
        .order_by_asc(unit::Column::Code)
        .all(db)
        .await?
        .into_iter()
        .map(|u| (u.code, u.level, u.name))
        .collect();
    if units.is_empty() {
        return Err(DemoError::NoUnit(root.to_string()));
    }
    let named = |l: Level| -> Vec<(String, String)> {
        units
            .iter()
            .filter(|(_, lv, _)| lv == l.as_str())
            .map(|(c, _, n)| (c.clone(), n.clone()))
            .collect()
    };
    let of_level = |l: Level| -> Vec<String> { named(l).into_iter().map(|(c, _)| c).collect() };
    let communities = of_level(Level::Community);
    let streets = of_level(Level::Street);
    if communities.is_empty() {
        return Err(DemoError::NoCommunities(root.to_string()));
    }
    let existing = volunteer::Entity::find()
        .filter(ranges::subtree(volunteer::Column::UnitCode, &root))
        .count(db)
        .await?;
    if existing > 0 {
        return Err(DemoError::AlreadyThere(root.to_string()));
    }
    let mut rng = StdRng::seed_from_u64(opts.seed);
    let now = crate::services::now();
    let mut report = DemoReport::default();
    let area = &root.as_str()[..root.as_str().len().min(6)];
    let area = format!("{area:0<6}");

    // Organisations, spread over the streets (or the root when it has none).
    let org_units: Vec<String> = if streets.is_empty() {
        vec![root.to_string()]
    } else {
        streets.clone()
    };
    let txn = db.begin().await?;
    let mut orgs = Vec::new();
    for i in 0..opts.organizations {
        use entity::kinds::OrganizationKind as K;
        let kind = [
            K::SocialOrganization,
            K::SocialWorkAgency,
            K::SocialWorkAgency,
            K::Enterprise,
            K::PartyOrganization,
        ][i as usize % 5];
        orgs.push(organization::ActiveModel {
            name: Set(format!(
                "{}社会服务中心{}号",
                SURNAMES[i as usize % SURNAMES.len()],
                i + 1
            )),
            kind: Set(kind),
            // The seed in the code keeps data sets of different seeds apart.
            credit_code: Set(credit_code(&area, opts.seed % 100 * 100_000 + i)),
            unit_code: Set(org_units[i as usize % org_units.len()].clone()),
            contact_name: Set(None),
            contact_phone: Set(None),
            created_at: Set(now),
            ..Default::default()
        });
    }
    for chunk in orgs.chunks(BATCH) {
        organization::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    report.organizations = opts.organizations;

    // Stations: a social-work station and a charity workstation per street, a
    // social-work point per community, a donation point in every third community.
    let mut stations = Vec::new();
    use entity::kinds::StationKind as SK;
    let mut station = |kind: SK, name: String, unit: &str| {
        stations.push(station::ActiveModel {
            kind: Set(kind),
            name: Set(name),
            unit_code: Set(unit.to_owned()),
            address: Set(None),
            opened_on: Set(None),
            closed_on: Set(None),
            organization_id: Set(None),
            created_at: Set(now),
            ..Default::default()
        });
    };
    for s in &streets {
        station(SK::SocialWorkStation, format!("{s}社工站"), s);
        station(SK::CharityWorkstation, format!("{s}慈善工作站"), s);
    }
    for (i, c) in communities.iter().enumerate() {
        station(SK::SocialWorkPoint, format!("{c}社工点"), c);
        if i % 3 == 0 {
            station(SK::DonationPoint, format!("{c}捐赠点"), c);
        }
    }
    report.stations = stations.len() as u64;
    for chunk in stations.chunks(BATCH) {
        station::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;

    // Volunteers, in batches, each batch one transaction.
    let b = bar(progress, opts.volunteers, "volunteers");
    let mut seq: u64 = 0;
    let mut remaining = opts.volunteers;
    while remaining > 0 {
        let n = remaining.min(BATCH as u64);
        let txn = db.begin().await?;
        let mut rows = Vec::with_capacity(n as usize);
        let mut numbers = Vec::with_capacity(n as usize);
        for _ in 0..n {
            seq += 1;
            let community = communities.choose(&mut rng).cloned().unwrap_or_default();
            // Unique per seed up to ten million: the counter fills the sequence digits
            // and, past 1,000, the area code's last four.
            let id_area = format!(
                "{}{:04}",
                &area[..2],
                (seq / 1000 + opts.seed * 1000) % 10_000
            );
            let id = resident_id(&id_area, &mut rng, seq);
            let male = (id.as_bytes()[16] - b'0') % 2 == 1;
            let birth = chrono::NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").ok();
            let party = rng.random_bool(0.15);
            let number = format!("D{}{:02}{seq:08}", &area, opts.seed % 100);
            numbers.push(number.clone());
            rows.push(volunteer::ActiveModel {
                volunteer_number: Set(Some(number)),
                real_name: Set(format!(
                    "{}{}",
                    SURNAMES.choose(&mut rng).unwrap_or(&"王"),
                    GIVEN.choose(&mut rng).unwrap_or(&"伟")
                )),
                id_kind: Set(entity::kinds::IdType::ResidentId),
                id_number: Set(id),
                phone: Set(Some(format!(
                    "13{}{:08}",
                    rng.random_range(0..10),
                    rng.random_range(0..100_000_000u64)
                ))),
                gender: Set(if male {
                    entity::kinds::Gender::Male
                } else {
                    entity::kinds::Gender::Female
                }),
                birth_date: Set(birth),
                unit_code: Set(community.clone()),
                user_id: Set(None),
                party_member: Set(party),
                party_organization: Set(party.then(|| "在职党员".to_owned())),
                reported_unit_code: Set(party.then_some(community)),
                status: Set(entity::kinds::VolunteerStatus::Active),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            });
        }
        volunteer::Entity::insert_many(rows)
            .exec_without_returning(&txn)
            .await?;
        let ids: Vec<i64> = volunteer::Entity::find()
            .filter(volunteer::Column::VolunteerNumber.is_in(numbers))
            .all(&txn)
            .await?
            .into_iter()
            .map(|v| v.id)
            .collect();
        let mut fields = Vec::new();
        for id in ids {
            let k = rng.random_range(1..=3);
            for (code, _) in SERVICE_FIELDS.choose_multiple(&mut rng, k) {
                fields.push(volunteer_field::ActiveModel {
                    volunteer_id: Set(id),
                    field_code: Set((*code).to_owned()),
                });
            }
        }
        for chunk in fields.chunks(BATCH * 2) {
            volunteer_field::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        remaining -= n;
        b.inc(n);
    }
    b.finish_and_clear();
    report.volunteers = opts.volunteers;

    // Teams: the root team, ten field teams under it, one team per street, then the
    // rest spread over streets and communities; members drawn from the team's subtree.
    let txn = db.begin().await?;
    let root_team = insert_team(&txn, format!("{}志愿服务总队", root), root.as_str(), None).await?;
    let mut made = 1;
    for (code, name) in SERVICE_FIELDS {
        if made >= opts.teams {
            break;
        }
        let t = insert_team(
            &txn,
            format!("{name}专业分队"),
            root.as_str(),
            Some(root_team),
        )
        .await?;
        entity::team_field::Entity::insert(entity::team_field::ActiveModel {
            team_id: Set(t),
            field_code: Set(code.to_owned()),
        })
        .exec_without_returning(&txn)
        .await?;
        made += 1;
    }
    let mut street_teams = Vec::new();
    for s in &streets {
        if made >= opts.teams {
            break;
        }
        street_teams.push((
            insert_team(&txn, format!("{s}志愿服务分队"), s, Some(root_team)).await?,
            s.clone(),
        ));
        made += 1;
    }
    let mut team_units: Vec<(i64, String)> = street_teams.clone();
    while made < opts.teams {
        let c = communities.choose(&mut rng).cloned().unwrap_or_default();
        let parent = street_teams
            .iter()
            .find(|(_, s)| c.starts_with(s.as_str()))
            .map(|(id, _)| *id);
        let id = insert_team(
            &txn,
            format!("{c}志愿服务队{made}"),
            &c,
            parent.or(Some(root_team)),
        )
        .await?;
        team_units.push((id, c));
        made += 1;
    }
    txn.commit().await?;
    report.teams = made;

    // Memberships: about 20 per team, volunteers of the team's own subtree.
    let b = bar(progress, team_units.len() as u64, "team members");
    for chunk in team_units.chunks(50) {
        let txn = db.begin().await?;
        let mut members = Vec::new();
        for (team_id, unit_code) in chunk {
            let code = UnitCode::parse(unit_code).map_err(|e| DbErr::Custom(e.to_string()))?;
            let pool: Vec<i64> = volunteer::Entity::find()
                .filter(ranges::subtree(volunteer::Column::UnitCode, &code))
                .order_by_asc(volunteer::Column::Id)
                .paginate(&txn, 200)
                .fetch_page(0)
                .await?
                .into_iter()
                .map(|v| v.id)
                .collect();
            for v in pool.choose_multiple(&mut rng, 20) {
                members.push(team_member::ActiveModel {
                    team_id: Set(*team_id),
                    volunteer_id: Set(*v),
                    joined_at: Set(now),
                });
            }
        }
        report.memberships += members.len() as u64;
        for c in members.chunks(BATCH) {
            team_member::Entity::insert_many(c.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
        b.inc(chunk.len() as u64);
    }
    b.finish_and_clear();

    activities_and_records(
        db,
        opts,
        &mut rng,
        &team_units,
        root_team,
        &mut report,
        progress,
    )
    .await?;
    // Stars follow the default thresholds, as if every nomination had been granted.
    let star_sql = "UPDATE volunteer SET stars = CASE \
        WHEN approved_half_hours >= 3000 THEN 5 WHEN approved_half_hours >= 2000 THEN 4 \
        WHEN approved_half_hours >= 1200 THEN 3 WHEN approved_half_hours >= 600 THEN 2 \
        WHEN approved_half_hours >= 200 THEN 1 ELSE 0 END";
    db.execute_unprepared(&format!(
        "{star_sql} WHERE unit_code >= '{root}' AND unit_code < '{}'",
        root.subtree_upper_bound().unwrap_or_else(|| "~".into())
    ))
    .await?;
    if opts.donations > 0 {
        super::demo_charity::generate(
            db,
            &root,
            &named(Level::Street),
            &named(Level::Community),
            opts.donations,
            &mut rng,
            &mut report,
            progress,
        )
        .await?;
    }
    super::demo_community::generate(
        db,
        &root,
        &named(Level::Street),
        &named(Level::Community),
        &mut rng,
        &mut report,
        progress,
    )
    .await?;
    let b = bar(progress, 1, "daily figures");
    crate::services::daily::rebuild(db)
        .await
        .map_err(|e| DbErr::Custom(e.to_string()))?;
    b.finish_and_clear();
    if db.get_database_backend() == DatabaseBackend::Postgres {
        // Volunteers are rewritten after insertion (hours, stars). A plain VACUUM
        // frees the first versions' space for reuse but leaves it in the file: two
        // thirds of it at 2,000,000 volunteers, empty pages that a scan still reads
        // (a surname search's capped count ran 0.2 s instead of 8 ms when it started
        // there). VACUUM FULL writes the table again, compact. Then the whole
        // database: visibility maps, so index-only scans (the name parts a search
        // counts) need not visit the tables, and statistics for the new volumes.
        db.execute_unprepared("VACUUM (FULL) volunteer").await?;
        db.execute_unprepared("VACUUM (ANALYZE)").await?;
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

/// Closed activities spread over the past year at the subtree's streets and
/// communities, each with approved service records of volunteers from its street.
/// Busy volunteers serve much more than others (a skewed pick), as in real data.
async fn activities_and_records(
    db: &DatabaseConnection,
    opts: &DemoOptions,
    rng: &mut StdRng,
    team_units: &[(i64, String)],
    root_team: i64,
    report: &mut DemoReport,
    progress: bool,
) -> Result<(), DemoError> {
    if opts.activities == 0 {
        return Ok(());
    }
    let root = &opts.under;
    let now = crate::services::now();
    // Volunteers by street (the first 9 digits), for picking participants.
    let mut pools: std::collections::BTreeMap<String, Vec<i64>> = Default::default();
    let rows: Vec<(i64, String)> = volunteer::Entity::find()
        .select_only()
        .column(volunteer::Column::Id)
        .column(volunteer::Column::UnitCode)
        .filter(ranges::subtree(volunteer::Column::UnitCode, root))
        .into_tuple()
        .all(db)
        .await?;
    for (id, unit) in rows {
        // Activities sit at streets, or at the root when it is below a street.
        let key = unit
            .chars()
            .take(root.as_str().len().max(9))
            .collect::<String>();
        pools.entry(key).or_default().push(id);
    }
    let streets: Vec<String> = pools.keys().cloned().collect();
    if streets.is_empty() {
        return Ok(());
    }
    let per_activity = (opts.records / opts.activities).max(1);
    let titles = [
        "长者饭堂助餐",
        "社区义诊",
        "垃圾分类宣传",
        "青少年课业辅导",
        "独居老人探访",
        "反诈宣传进社区",
        "文明交通劝导",
        "社区环境清洁",
        "助残康复陪伴",
        "法律咨询服务日",
    ];
    let b = bar(progress, opts.records, "service records");
    let mut made_records = 0u64;
    let mut left = opts.activities;
    while left > 0 {
        let n = left.min(200);
        left -= n;
        let txn = db.begin().await?;
        let mut acts = Vec::new();
        let mut plans = Vec::new();
        for _ in 0..n {
            let street = streets.choose(rng).cloned().unwrap_or_default();
            let team = team_units
                .iter()
                .filter(|(_, u)| u.starts_with(street.as_str()))
                .map(|(id, _)| *id)
                .collect::<Vec<_>>()
                .choose(rng)
                .copied()
                .unwrap_or(root_team);
            let (title, field) = {
                let i = rng.random_range(0..titles.len());
                (titles[i], SERVICE_FIELDS[i % SERVICE_FIELDS.len()].0)
            };
            let start = now - chrono::Duration::minutes(rng.random_range(60 * 24..60 * 24 * 365));
            let minutes = rng.random_range(60..=240);
            let count = rng
                .random_range(per_activity / 2..=per_activity * 3 / 2)
                .max(1);
            acts.push(entity::activity::ActiveModel {
                title: Set(title.to_owned()),
                field_code: Set(field.to_owned()),
                unit_code: Set(street.clone()),
                project_id: Set(None),
                team_id: Set(Some(team)),
                place: Set(format!("{street}党群服务中心")),
                starts_at: Set(start),
                ends_at: Set(start + chrono::Duration::minutes(minutes)),
                recruit_from: Set(None),
                recruit_until: Set(None),
                capacity: Set(i32::try_from(count).unwrap_or(i32::MAX)),
                signed_up: Set(i32::try_from(count).unwrap_or(i32::MAX)),
                state: Set(entity::kinds::ActivityState::Closed),
                people_served: Set(Some(rng.random_range(10..300))),
                checkin_secret: Set(format!("{:032x}", rng.random::<u128>())),
                created_by: Set(None),
                state_changed_by: Set(None),
                state_changed_at: Set(start + chrono::Duration::minutes(minutes)),
                created_at: Set(start - chrono::Duration::days(7)),
                ..Default::default()
            });
            plans.push((street, start, minutes, count, title));
        }
        // The new rows are those past the largest id before the insert, in order.
        let before: Option<i64> = entity::activity::Entity::find()
            .select_only()
            .column_as(sea_orm::sea_query::Expr::cust("MAX(id)"), "m")
            .into_tuple()
            .one(&txn)
            .await?
            .flatten();
        entity::activity::Entity::insert_many(acts)
            .exec_without_returning(&txn)
            .await?;
        let ids: Vec<i64> = entity::activity::Entity::find()
            .select_only()
            .column(entity::activity::Column::Id)
            .filter(entity::activity::Column::Id.gt(before.unwrap_or(0)))
            .order_by_asc(entity::activity::Column::Id)
            .into_tuple()
            .all(&txn)
            .await?;
        let mut records = Vec::new();
        for (i, (street, start, minutes, count, title)) in plans.into_iter().enumerate() {
            let pool = &pools[&street];
            for _ in 0..count {
                // Skewed towards the front of the pool: a few volunteers do much.
                let k = (rng.random::<f64>().powi(3) * pool.len() as f64) as usize;
                let v = pool[k.min(pool.len() - 1)];
                let served = rng.random_range(30..=minutes);
                let half = crate::services::records::credited_half_hours(served);
                if half == 0 {
                    continue;
                }
                records.push(entity::service_record::ActiveModel {
                    volunteer_id: Set(v),
                    user_id: Set(None),
                    activity_id: Set(ids.get(i).copied()),
                    attendance_id: Set(None),
                    unit_code: Set(street.clone()),
                    half_hours: Set(i32::try_from(half).unwrap_or(0)),
                    started_at: Set(start),
                    ended_at: Set(Some(start + chrono::Duration::minutes(served))),
                    source: Set(entity::kinds::ServiceRecordSource::Backfill),
                    content: Set(title.to_owned()),
                    reason: Set(Some("demo data".into())),
                    state: Set(entity::kinds::ServiceRecordState::Approved),
                    recorded_by: Set(None),
                    recorded_at: Set(start + chrono::Duration::minutes(minutes)),
                    decided_by: Set(None),
                    decided_at: Set(Some(start + chrono::Duration::days(1))),
                    decision_note: Set(None),
                    corrects_id: Set(None),
                    fraud: Set(false),
                    ..Default::default()
                });
            }
        }
        made_records += records.len() as u64;
        b.inc(records.len() as u64);
        for c in records.chunks(BATCH) {
            entity::service_record::Entity::insert_many(c.to_vec())
                .exec_without_returning(&txn)
                .await?;
        }
        txn.commit().await?;
    }
    b.finish_and_clear();
    report.activities = opts.activities;
    report.records = made_records;
    // Each volunteer's ledger total, from its approved records.
    db.execute_unprepared(&format!(
        "UPDATE volunteer SET approved_half_hours = COALESCE((SELECT SUM(half_hours) FROM service_record r \
         WHERE r.volunteer_id = volunteer.id AND r.state = 'approved'), 0) \
         WHERE unit_code >= '{root}' AND unit_code < '{}'",
        root.subtree_upper_bound().unwrap_or_else(|| "~".into())
    ))
    .await?;
    Ok(())
}

async fn insert_team(
    conn: &impl ConnectionTrait,
    name: String,
    unit: &str,
    parent: Option<i64>,
) -> Result<i64, DbErr> {
    let r = team::Entity::insert(team::ActiveModel {
        name: Set(name),
        unit_code: Set(unit.to_owned()),
        parent_id: Set(parent),
        leader_id: Set(None),
        created_at: Set(crate::services::now()),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(r.last_insert_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identifiers_are_valid() {
        let mut rng = StdRng::seed_from_u64(7);
        for seq in 0..200 {
            let id = resident_id("440104", &mut rng, seq);
            assert!(crate::codes::ResidentId::parse(&id).is_ok(), "{id}");
        }
        for n in 0..50 {
            let c = credit_code("440104", n);
            assert!(crate::codes::SocialCreditCode::parse(&c).is_ok(), "{c}");
        }
    }
}
