//! Volunteer service record certificates (志愿服务记录证明). "Who records,
//! certifies": a unit certifies the approved hours recorded in its subtree for a
//! period. A certificate is a snapshot — later corrections do not change an issued
//! one — with a unique, unguessable number anyone can verify publicly.

use chrono::{DateTime, NaiveDate, Utc};
use entity::{certificate, service_record, unit, volunteer};
use policies::{Action, Resource, UnitCode};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, QueryFilter, QueryOrder, QuerySelect,
    TransactionTrait,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::codes::{mask_id_number, mask_name};
use crate::error::{Reason, ServiceError, ServiceResult, Thing};
use crate::html::escape;
use crate::pagination::{OrderDirection, Page, PageRequest};
use crate::services::audit::{self, Entry};
use crate::services::{daily, ranges, scoped, users, volunteers, Ctx};

/// One line of service content: what was done and the hours it earned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContentLine {
    pub content: String,
    pub half_hours: i64,
}

#[derive(Debug, Clone)]
pub struct CertificateRecord {
    pub id: i64,
    pub number: String,
    pub volunteer_id: i64,
    pub unit: UnitCode,
    pub unit_name: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub half_hours: i64,
    pub content: Vec<ContentLine>,
    pub real_name: String,
    pub id_kind: entity::kinds::IdType,
    /// Personal data: reach it through [`personal`].
    id_number: String,
    pub volunteer_number: String,
    pub handler_name: String,
    pub issued_at: DateTime<Utc>,
}

impl CertificateRecord {
    fn from_model(m: certificate::Model, unit_name: String) -> ServiceResult<Self> {
        Ok(CertificateRecord {
            unit: super::stored_unit(&m.unit_code)?,
            content: serde_json::from_str(&m.content).map_err(|e| {
                ServiceError::Database(sea_orm::DbErr::Custom(format!(
                    "stored certificate content is invalid: {e}"
                )))
            })?,
            unit_name,
            id: m.id,
            number: m.number,
            volunteer_id: m.volunteer_id,
            period_from: m.period_from,
            period_to: m.period_to,
            half_hours: m.half_hours,
            real_name: m.real_name,
            id_kind: m.id_kind,
            id_number: m.id_number,
            volunteer_number: m.volunteer_number,
            handler_name: m.handler_name,
            issued_at: m.issued_at,
        })
    }
}

async fn unit_name(conn: &impl sea_orm::ConnectionTrait, code: &str) -> ServiceResult<String> {
    Ok(scoped::unscoped::<unit::Entity>(
        "the issuing unit's name printed on a certificate the caller reads",
    )
    .filter(unit::Column::Code.eq(code))
    .one(conn)
    .await?
    .map(|u| u.name)
    .unwrap_or_default())
}

/// 20 characters: `ZY`, the issuing district, the date, and 6 random characters
/// so numbers cannot be enumerated.
fn new_number(unit: &UnitCode, now: DateTime<Utc>) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let district: String = unit.as_str().chars().take(6).collect();
    let random: String = (0..6)
        .map(|_| ALPHABET[usize::from(rand::random::<u8>()) % ALPHABET.len()] as char)
        .collect();
    format!(
        "ZY{district:0<6}{}{random}",
        daily::day_of(now).format("%Y%m%d")
    )
}

pub struct IssueCertificate {
    pub volunteer_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The issuing unit; by default the unit of the caller's certificate role.
    pub unit_code: Option<String>,
}

pub async fn issue(cx: &Ctx, input: IssueCertificate) -> ServiceResult<CertificateRecord> {
    if input.to < input.from {
        return Err(Reason::RANGE_REVERSED.at("to").arg("start", "from").into());
    }
    let unit = issuing_unit(cx, input.unit_code.as_deref())?;
    let txn = cx.db().begin().await?;
    super::units::require_exists(&txn, &unit).await?;
    cx.access()
        .require(Resource::Certificate, Action::Create, &unit)?;
    let v = volunteers::find_scoped(&txn, cx, Action::Read, input.volunteer_id).await?;
    let content = approved_lines(&txn, &unit, v.id, input.from, input.to).await?;
    let half_hours: i64 = content.iter().map(|l| l.half_hours).sum();
    if half_hours <= 0 {
        return Err(Reason::NO_APPROVED_HOURS.arg("unit", unit).into());
    }
    let handler = users::me_in(&txn, cx).await?;
    let now = cx.now();
    let m = certificate::ActiveModel {
        number: Set(new_number(&unit, now)),
        volunteer_id: Set(v.id),
        user_id: Set(v.user_id),
        unit_code: Set(unit.to_string()),
        period_from: Set(input.from),
        period_to: Set(input.to),
        half_hours: Set(half_hours),
        content: Set(serde_json::to_string(&content).unwrap_or_else(|_| "[]".into())),
        real_name: Set(v.real_name.clone()),
        id_kind: Set(v.id_kind),
        id_number: Set(v.id_number.clone()),
        volunteer_number: Set(v.volunteer_number.clone().unwrap_or_default()),
        handler_id: Set(handler.id),
        handler_name: Set(if handler.display_name.is_empty() {
            handler.username
        } else {
            handler.display_name
        }),
        issued_at: Set(now),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::log(
        &txn,
        cx,
        Entry::new("certificate.issue", &unit)
            .target("certificate", m.id)
            .summary(json!({
                "number": m.number,
                "volunteer": v.id,
                "halfHours": half_hours,
                "from": input.from,
                "to": input.to,
            })),
    )
    .await?;
    let name = unit_name(&txn, &m.unit_code).await?;
    txn.commit().await?;
    CertificateRecord::from_model(m, name)
}

/// The unit a certificate is issued for: the one named, or the caller's only unit
/// where it may issue.
fn issuing_unit(cx: &Ctx, named: Option<&str>) -> ServiceResult<UnitCode> {
    Ok(match named {
        Some(code) => super::parse_unit("unitCode", code)?,
        None => {
            let scope = cx.access().plan(Resource::Certificate, Action::Create)?;
            match scope.subtrees.as_slice() {
                [(code, _)] => (*code).clone(),
                [] => {
                    cx.access().user_id()?;
                    return Err(Reason::NOT_PERMITTED
                        .arg("permission", "certificate.create")
                        .into());
                }
                _ => return Err(Reason::NAME_ISSUING_UNIT.at("unitCode").into()),
            }
        }
    })
}

/// A volunteer's approved hours at `unit` (and below) between two China Standard
/// Time days, both included, one line per kind of service.
async fn approved_lines(
    txn: &impl sea_orm::ConnectionTrait,
    unit: &UnitCode,
    volunteer_id: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> ServiceResult<Vec<ContentLine>> {
    // The period in China Standard Time days, both ends included.
    let start = daily::start_of(from);
    let end = daily::start_of(to + chrono::Duration::days(1));
    let rows: Vec<(String, Option<i64>)> = scoped::unscoped::<service_record::Entity>(
        "the hours of a volunteer the caller was allowed to certify (checked by issue)",
    )
    .select_only()
    .column(service_record::Column::Content)
    .column_as(Expr::cust("SUM(half_hours)"), "h")
    .filter(service_record::Column::VolunteerId.eq(volunteer_id))
    .filter(service_record::Column::State.eq(entity::kinds::ServiceRecordState::Approved))
    .filter(ranges::subtree(service_record::Column::UnitCode, unit))
    .filter(service_record::Column::StartedAt.gte(start))
    .filter(service_record::Column::StartedAt.lt(end))
    .group_by(service_record::Column::Content)
    .order_by_asc(service_record::Column::Content)
    .into_tuple()
    .all(txn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(content, h)| ContentLine {
            content,
            half_hours: h.unwrap_or(0),
        })
        .filter(|l| l.half_hours > 0)
        .collect())
}

#[derive(Debug, Clone, Default)]
pub struct CertificateFilter {
    pub under: Option<UnitCode>,
    pub volunteer_id: Option<i64>,
}

pub async fn list(
    cx: &Ctx,
    filter: &CertificateFilter,
    order: Option<(super::CreatedOrderField, OrderDirection)>,
    page: &PageRequest,
    want_total: bool,
) -> ServiceResult<(Page<CertificateRecord>, u64)> {
    let Some(mut q) = cx.find::<certificate::Entity>(Action::Read)? else {
        return Ok((Page::empty(), 0));
    };
    if let Some(under) = &filter.under {
        q = q.filter(ranges::subtree(certificate::Column::UnitCode, under));
    }
    if let Some(v) = filter.volunteer_id {
        q = q.filter(certificate::Column::VolunteerId.eq(v));
    }
    let (page, total): (Page<certificate::Model>, u64) = super::page_by(
        cx,
        q,
        &super::by_created(order, certificate::Column::Id, OrderDirection::Desc),
        page,
        want_total,
    )
    .await?;
    // The issuing units' names for the whole page in one read.
    let codes: Vec<String> = page.rows.iter().map(|m| m.unit_code.clone()).collect();
    let names: std::collections::HashMap<String, String> = scoped::unscoped::<unit::Entity>(
        "the issuing units' names printed on certificates the caller reads",
    )
    .filter(unit::Column::Code.is_in(codes))
    .all(cx.db())
    .await?
    .into_iter()
    .map(|u| (u.code, u.name))
    .collect();
    let page = page.try_map(|m| {
        let name = names.get(&m.unit_code).cloned().unwrap_or_default();
        CertificateRecord::from_model(m, name)
    })?;
    Ok((page, total))
}

/// A listed row as a full record (with its issuing unit's name).
pub async fn complete(cx: &Ctx, m: certificate::Model) -> ServiceResult<CertificateRecord> {
    let name = unit_name(cx.db(), &m.unit_code).await?;
    CertificateRecord::from_model(m, name)
}

pub async fn get(cx: &Ctx, id: i64) -> ServiceResult<CertificateRecord> {
    let m = cx
        .get::<certificate::Entity>(cx.db(), Action::Read, id)
        .await?;
    complete(cx, m).await
}

/// A certificate's ID number as this caller may see it.
#[derive(Debug, Clone)]
pub struct CertificatePersonal {
    pub id_number: String,
    pub masked: bool,
}

/// The ID number on a certificate follows the volunteer's rule: unmasked only with
/// `volunteer.read_personal` over the volunteer (where it is registered now), and
/// every unmasked read is audited.
pub async fn personal(cx: &Ctx, c: &CertificateRecord) -> ServiceResult<CertificatePersonal> {
    // The certificate was readable; its volunteer is read only to decide the rule.
    let v = scoped::unscoped_by_id::<volunteer::Entity>(
        c.volunteer_id,
        "the volunteer of a certificate the caller reads, to decide masking",
    )
    .one(cx.db())
    .await?
    .ok_or(ServiceError::NotFound(Thing::Volunteer))?;
    let unit = super::stored_unit(&v.unit_code)?;
    let open = volunteers::may_read_personal(
        cx,
        &unit,
        v.user_id,
        format!("certificate:{}", c.id),
        &c.volunteer_number,
    )
    .await?;
    Ok(CertificatePersonal {
        id_number: if open {
            c.id_number.clone()
        } else {
            mask_id_number(&c.id_number)
        },
        masked: !open,
    })
}

/// What public verification shows: enough to confirm a paper certificate, with
/// the name and ID number masked.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Verification {
    pub number: String,
    pub valid: bool,
    pub name: String,
    pub id_number: String,
    pub volunteer_number: String,
    pub hours: f64,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub issuing_unit_code: String,
    pub issuing_unit: String,
    pub issued_at: DateTime<Utc>,
}

/// Public verification by number. Deliberately not scoped: anyone holding a paper
/// certificate may check it, and the number is unguessable; only masked data leaves.
pub async fn verify(cx: &Ctx, number: &str) -> ServiceResult<Verification> {
    let number = number.trim().to_ascii_uppercase();
    if number.len() > 40 || !number.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ServiceError::NotFound(Thing::Certificate));
    }
    let m = scoped::unscoped::<certificate::Entity>(
        "the public check of a certificate number, which answers masked",
    )
    .filter(certificate::Column::Number.eq(number.as_str()))
    .one(cx.db())
    .await?
    .ok_or(ServiceError::NotFound(Thing::Certificate))?;
    let c = complete(cx, m).await?;
    Ok(Verification {
        valid: true,
        name: mask_name(&c.real_name),
        id_number: mask_id_number(&c.id_number),
        volunteer_number: c.volunteer_number,
        hours: c.half_hours as f64 / 2.0,
        period_from: c.period_from,
        period_to: c.period_to,
        issuing_unit_code: c.unit.to_string(),
        issuing_unit: c.unit_name,
        issued_at: c.issued_at,
        number: c.number,
    })
}

fn hours_text(half_hours: i64) -> String {
    if half_hours % 2 == 0 {
        format!("{}", half_hours / 2)
    } else {
        format!("{}.5", half_hours / 2)
    }
}

/// The printable certificate (A4, for the browser's print dialog), with the full
/// name and ID number: only for callers who may read the certificate.
pub fn printable_html(c: &CertificateRecord, personal: &CertificatePersonal) -> String {
    let rows: String = c
        .content
        .iter()
        .map(|l| {
            format!(
                "<tr><td>{}</td><td class=\"n\">{}</td></tr>",
                escape(&l.content),
                hours_text(l.half_hours)
            )
        })
        .collect();
    format!(
        r#"<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>志愿服务记录证明 {number}</title>
<style>@page {{ size: A4; margin: 20mm }} body {{ font-family: serif; max-width: 170mm; margin: auto }}
h1 {{ text-align: center; letter-spacing: .3em }} table {{ width: 100%; border-collapse: collapse }}
td, th {{ border: 1px solid #000; padding: 4px 8px }} .n {{ text-align: right }} .meta td {{ border: none }}</style></head>
<body><h1>志愿服务记录证明</h1>
<p>证明编号：{number}</p>
<table class="meta">
<tr><td>姓名：{name}</td><td>证件：{kind} {id}</td></tr>
<tr><td>志愿者编号：{vnum}</td><td>服务期间：{from} 至 {to}</td></tr>
</table>
<p>兹证明该志愿者在上述期间参加志愿服务，经本单位记录并审核，累计服务时长 <strong>{hours}</strong> 小时。服务内容如下：</p>
<table><tr><th>服务内容</th><th>时长（小时）</th></tr>{rows}</table>
<p>出具单位：{unit}（{unit_code}）</p>
<p>经办人：{handler}　　出具日期：{date}</p>
<p>本证明可在 /certificates/{number} 核验。</p>
</body></html>
"#,
        number = escape(&c.number),
        name = escape(&c.real_name),
        kind = escape(c.id_kind.as_str()),
        id = escape(&personal.id_number),
        vnum = escape(&c.volunteer_number),
        from = c.period_from,
        to = c.period_to,
        hours = hours_text(c.half_hours),
        unit = escape(&c.unit_name),
        unit_code = c.unit,
        handler = escape(&c.handler_name),
        date = daily::day_of(c.issued_at),
    )
}
