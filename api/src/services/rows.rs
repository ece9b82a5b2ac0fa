//! Volunteer rows decoded cell by cell in one pass over the row's columns.
//!
//! sea-orm's derived decoding looks every cell up by name (a hash of the name per
//! cell) and, for every NULL, formats an error message that it then throws away to
//! return `None`: a volunteer row holds six NULLs on a page without personal data,
//! and decoding was the largest cost of a street admin's list (a quarter of the
//! server's samples, `perf` under `bench/compare.sh`'s load). Here each column's name
//! is matched once and its cell read by position with the same sqlx decoding sea-orm
//! uses, so the values are the ones the derived decoding gives (tested:
//! `volunteer_rows_decode_as_the_derived_model_does`, on both databases). A partial
//! row also decodes a narrowed selection — the columns a flat page reads.

use chrono::{DateTime, NaiveDate, Utc};
use entity::kinds::{Gender, IdType, VolunteerStatus};
use entity::volunteer;
use sea_orm::sqlx::{Column as _, ColumnIndex, Decode, Row, Type};
use sea_orm::{ActiveEnum, DbErr, FromQueryResult, QueryResult};

/// A volunteer row holding every column, read by [`decode`] when the connection is
/// sqlx's.
pub struct VolunteerRow(pub volunteer::Model);

/// A volunteer row holding only some columns (a page whose selection reads no others:
/// `VolunteerFilter::columns`); the others are left empty — blank text, zero, false,
/// the epoch, NULL — and must not be read.
pub struct PartialVolunteerRow(pub volunteer::Model);

impl From<VolunteerRow> for volunteer::Model {
    fn from(row: VolunteerRow) -> volunteer::Model {
        row.0
    }
}

impl From<PartialVolunteerRow> for volunteer::Model {
    fn from(row: PartialVolunteerRow) -> volunteer::Model {
        row.0
    }
}

impl FromQueryResult for VolunteerRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        from_result(res, pre, Absent::Refused).map(VolunteerRow)
    }
}

impl FromQueryResult for PartialVolunteerRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        from_result(res, pre, Absent::Empty).map(PartialVolunteerRow)
    }
}

/// What a column the row does not hold becomes.
#[derive(Clone, Copy, PartialEq)]
enum Absent {
    /// An error, as with the derived decoding.
    Refused,
    /// An empty value.
    Empty,
}

fn from_result(res: &QueryResult, pre: &str, absent: Absent) -> Result<volunteer::Model, DbErr> {
    match (pre.is_empty(), res.try_as_pg_row(), res.try_as_sqlite_row()) {
        (true, Some(row), _) => decode(row, absent),
        (true, None, Some(row)) => decode(row, absent),
        // A prefixed (joined) read names its columns differently: the derived way.
        _ => volunteer::Model::from_query_result(res, pre),
    }
}

/// The model's columns, in any order; the row may hold others (ignored).
fn decode<R>(row: &R, absent: Absent) -> Result<volunteer::Model, DbErr>
where
    R: Row,
    usize: ColumnIndex<R>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i16: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> NaiveDate: Decode<'r, R::Database> + Type<R::Database>,
{
    fn cell<'r, R, T>(row: &'r R, i: usize) -> Result<T, DbErr>
    where
        R: Row,
        usize: ColumnIndex<R>,
        T: Decode<'r, R::Database> + Type<R::Database>,
    {
        row.try_get::<T, usize>(i)
            .map_err(|e| DbErr::Type(format!("volunteer column {i}: {e}")))
    }
    fn kind<K: ActiveEnum<Value = String>>(text: Option<String>) -> Result<Option<K>, DbErr> {
        text.map(|s| K::try_from_value(&s)).transpose()
    }
    let mut id = None;
    let mut volunteer_number = None;
    let mut real_name = None;
    let mut id_kind = None;
    let mut id_number = None;
    let mut phone = None;
    let mut gender = None;
    let mut birth_date = None;
    let mut unit_code = None;
    let mut user_id = None;
    let mut party_member = None;
    let mut party_organization = None;
    let mut reported_unit_code = None;
    let mut status = None;
    let mut created_at = None;
    let mut updated_at = None;
    let mut approved_half_hours = None;
    let mut stars = None;
    let mut barred_until = None;
    // Nullable columns land as `Some(None)` when NULL: present, empty.
    for (i, column) in row.columns().iter().enumerate() {
        match column.name() {
            "id" => id = cell(row, i)?,
            "volunteer_number" => volunteer_number = Some(cell(row, i)?),
            "real_name" => real_name = cell(row, i)?,
            "id_kind" => id_kind = kind(cell(row, i)?)?,
            "id_number" => id_number = cell(row, i)?,
            "phone" => phone = Some(cell(row, i)?),
            "gender" => gender = kind(cell(row, i)?)?,
            "birth_date" => birth_date = Some(cell(row, i)?),
            "unit_code" => unit_code = cell(row, i)?,
            "user_id" => user_id = Some(cell(row, i)?),
            "party_member" => party_member = cell(row, i)?,
            "party_organization" => party_organization = Some(cell(row, i)?),
            "reported_unit_code" => reported_unit_code = Some(cell(row, i)?),
            "status" => status = kind(cell(row, i)?)?,
            "created_at" => created_at = cell(row, i)?,
            "updated_at" => updated_at = cell(row, i)?,
            "approved_half_hours" => approved_half_hours = cell(row, i)?,
            "stars" => stars = cell(row, i)?,
            "barred_until" => barred_until = Some(cell(row, i)?),
            _ => {}
        }
    }
    fn or<T>(value: Option<T>, absent: Absent, empty: T, name: &str) -> Result<T, DbErr> {
        match (value, absent) {
            (Some(v), _) => Ok(v),
            (None, Absent::Empty) => Ok(empty),
            (None, Absent::Refused) => {
                Err(DbErr::Type(format!("Missing value for column '{name}'")))
            }
        }
    }
    let a = absent;
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    Ok(volunteer::Model {
        id: or(id, a, 0, "id")?,
        volunteer_number: or(volunteer_number, a, None, "volunteer_number")?,
        real_name: or(real_name, a, String::new(), "real_name")?,
        id_kind: or(id_kind, a, IdType::ResidentId, "id_kind")?,
        id_number: or(id_number, a, String::new(), "id_number")?,
        phone: or(phone, a, None, "phone")?,
        gender: or(gender, a, Gender::Unknown, "gender")?,
        birth_date: or(birth_date, a, None, "birth_date")?,
        unit_code: or(unit_code, a, String::new(), "unit_code")?,
        user_id: or(user_id, a, None, "user_id")?,
        party_member: or(party_member, a, false, "party_member")?,
        party_organization: or(party_organization, a, None, "party_organization")?,
        reported_unit_code: or(reported_unit_code, a, None, "reported_unit_code")?,
        status: or(status, a, VolunteerStatus::Active, "status")?,
        created_at: or(created_at, a, epoch, "created_at")?,
        updated_at: or(updated_at, a, epoch, "updated_at")?,
        approved_half_hours: or(approved_half_hours, a, 0, "approved_half_hours")?,
        stars: or(stars, a, 0, "stars")?,
        barred_until: or(barred_until, a, None, "barred_until")?,
    })
}
