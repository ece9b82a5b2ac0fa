//! Volunteer rows decoded cell by cell, by position, with the columns matched once.
//!
//! sea-orm's derived decoding looks every cell up by name (a hash of the name per
//! cell) and, for every NULL, formats an error message that it then throws away to
//! return `None`: a volunteer row holds six NULLs on a page without personal data,
//! and decoding was the largest cost of a street admin's list (a quarter of the
//! server's samples, `perf` under `bench/compare.sh`'s load). Here each column's name
//! is matched once — once a page with [`VolunteerRows`], which a page's rows share —
//! and its cell read by position with the same sqlx decoding sea-orm uses, so the
//! values are the ones the derived decoding gives (tested:
//! `volunteer_rows_decode_as_the_derived_model_does`, on both databases). On
//! PostgreSQL, whose rows carry their columns' types, each column's type is also
//! checked once a page instead of once a cell (sqlx's `try_get` checks it per cell:
//! a tenth of a street list's server time went to decoding after the names were
//! matched once). A partial row also decodes a narrowed selection — the columns a flat
//! page reads.

use chrono::{DateTime, NaiveDate, Utc};
use entity::kinds::{Gender, IdType, VolunteerStatus};
use entity::volunteer;
use sea_orm::sqlx::{Column as _, ColumnIndex, Database, Decode, Row, Type, TypeInfo as _};
use sea_orm::{DbErr, FromQueryResult, QueryResult};

/// A volunteer row holding every column, read by [`VolunteerRows`] when the connection
/// is sqlx's.
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
        VolunteerRows::full().read(res, pre).map(VolunteerRow)
    }
}

impl FromQueryResult for PartialVolunteerRow {
    fn from_query_result(res: &QueryResult, pre: &str) -> Result<Self, DbErr> {
        VolunteerRows::partial()
            .read(res, pre)
            .map(PartialVolunteerRow)
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

/// The model's fields, one per column.
#[derive(Clone, Copy)]
enum Field {
    Id,
    VolunteerNumber,
    RealName,
    IdKind,
    IdNumber,
    Phone,
    Gender,
    BirthDate,
    UnitCode,
    UserId,
    PartyMember,
    PartyOrganization,
    ReportedUnitCode,
    Status,
    CreatedAt,
    UpdatedAt,
    ApprovedHalfHours,
    Stars,
    BarredUntil,
}

/// Every field with its column's name, in the model's order.
const FIELDS: [(Field, &str); 19] = [
    (Field::Id, "id"),
    (Field::VolunteerNumber, "volunteer_number"),
    (Field::RealName, "real_name"),
    (Field::IdKind, "id_kind"),
    (Field::IdNumber, "id_number"),
    (Field::Phone, "phone"),
    (Field::Gender, "gender"),
    (Field::BirthDate, "birth_date"),
    (Field::UnitCode, "unit_code"),
    (Field::UserId, "user_id"),
    (Field::PartyMember, "party_member"),
    (Field::PartyOrganization, "party_organization"),
    (Field::ReportedUnitCode, "reported_unit_code"),
    (Field::Status, "status"),
    (Field::CreatedAt, "created_at"),
    (Field::UpdatedAt, "updated_at"),
    (Field::ApprovedHalfHours, "approved_half_hours"),
    (Field::Stars, "stars"),
    (Field::BarredUntil, "barred_until"),
];

/// Where a statement's columns go: (position, field, column name) for each column the
/// model has (a column named twice: the last one, as the row is read in order), and
/// whether cells must still be type-checked one by one.
struct Plan {
    cells: Vec<(usize, Field, &'static str)>,
    checked: bool,
}

/// Decodes the rows of one statement: the first row's columns make the plan the
/// others follow (a statement's rows share their columns).
pub struct VolunteerRows {
    absent: Absent,
    plan: Option<Plan>,
}

impl VolunteerRows {
    /// Rows that must hold every column.
    pub fn full() -> VolunteerRows {
        VolunteerRows {
            absent: Absent::Refused,
            plan: None,
        }
    }

    /// Rows that may hold only some columns (see [`PartialVolunteerRow`]).
    pub fn partial() -> VolunteerRows {
        VolunteerRows {
            absent: Absent::Empty,
            plan: None,
        }
    }

    /// The next row of the statement.
    pub fn read(&mut self, res: &QueryResult, pre: &str) -> Result<volunteer::Model, DbErr> {
        match (pre.is_empty(), res.try_as_pg_row(), res.try_as_sqlite_row()) {
            (true, Some(row), _) => self.decode(row, Types::Declared),
            (true, None, Some(row)) => self.decode(row, Types::PerValue),
            // A prefixed (joined) read names its columns differently: the derived way.
            _ => volunteer::Model::from_query_result(res, pre),
        }
    }

    /// One row by the plan, made from the first row. A NULL in a column that holds
    /// none (the derived decoding's `Option` of a non-null field) counts as the column
    /// missing.
    fn decode<R>(&mut self, row: &R, types: Types) -> Result<volunteer::Model, DbErr>
    where
        R: Row,
        usize: ColumnIndex<R>,
        for<'r> &'r str: Decode<'r, R::Database> + Type<R::Database>,
        for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
        for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
        for<'r> i16: Decode<'r, R::Database> + Type<R::Database>,
        for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
        for<'r> DateTime<Utc>: Decode<'r, R::Database> + Type<R::Database>,
        for<'r> NaiveDate: Decode<'r, R::Database> + Type<R::Database>,
    {
        let absent = self.absent;
        let plan = match &self.plan {
            Some(plan) => plan,
            None => self.plan.insert(plan(row, types, absent)?),
        };
        let mut m = empty();
        for &(i, field, name) in &plan.cells {
            use Field as F;
            let c = Cell {
                row,
                i,
                name,
                checked: plan.checked,
                absent,
            };
            match field {
                F::Id => m.id = c.required(m.id)?,
                F::VolunteerNumber => m.volunteer_number = c.get()?,
                F::RealName => m.real_name = c.required(m.real_name)?,
                F::IdKind => m.id_kind = c.kind(m.id_kind, IdType::from_stored)?,
                F::IdNumber => m.id_number = c.required(m.id_number)?,
                F::Phone => m.phone = c.get()?,
                F::Gender => m.gender = c.kind(m.gender, Gender::from_stored)?,
                F::BirthDate => m.birth_date = c.get()?,
                F::UnitCode => m.unit_code = c.required(m.unit_code)?,
                F::UserId => m.user_id = c.get()?,
                F::PartyMember => m.party_member = c.required(m.party_member)?,
                F::PartyOrganization => m.party_organization = c.get()?,
                F::ReportedUnitCode => m.reported_unit_code = c.get()?,
                F::Status => m.status = c.kind(m.status, VolunteerStatus::from_stored)?,
                F::CreatedAt => m.created_at = c.required(m.created_at)?,
                F::UpdatedAt => m.updated_at = c.required(m.updated_at)?,
                F::ApprovedHalfHours => {
                    m.approved_half_hours = c.required(m.approved_half_hours)?
                }
                F::Stars => m.stars = c.required(m.stars)?,
                F::BarredUntil => m.barred_until = c.get()?,
            }
        }
        Ok(m)
    }
}

impl super::DecodeRows<volunteer::Model> for VolunteerRows {
    fn next_row(&mut self, row: &QueryResult) -> Result<volunteer::Model, DbErr> {
        self.read(row, "")
    }
}

/// Whether a column's type tells its cells' types.
#[derive(Clone, Copy)]
enum Types {
    /// PostgreSQL: every cell of a column has the column's type.
    Declared,
    /// SQLite: each value has its own type, whatever the column declares.
    PerValue,
}

fn plan<R>(row: &R, types: Types, absent: Absent) -> Result<Plan, DbErr>
where
    R: Row,
    String: Type<R::Database>,
    i64: Type<R::Database>,
    i16: Type<R::Database>,
    bool: Type<R::Database>,
    DateTime<Utc>: Type<R::Database>,
    NaiveDate: Type<R::Database>,
{
    let mut cells = Vec::with_capacity(FIELDS.len());
    let mut held = [false; FIELDS.len()];
    for (i, column) in row.columns().iter().enumerate() {
        let Some(at) = FIELDS.iter().position(|(_, name)| *name == column.name()) else {
            continue;
        };
        let (field, name) = FIELDS[at];
        if let Types::Declared = types {
            let ty = column.type_info();
            if !ty.is_null() && !compatible::<R::Database>(field, ty) {
                return Err(DbErr::Type(format!(
                    "volunteer column {i}: mismatched types; column `{}` is of type {}",
                    column.name(),
                    ty.name()
                )));
            }
        }
        held[at] = true;
        cells.push((i, field, name));
    }
    if absent == Absent::Refused {
        if let Some(at) = held.iter().position(|h| !h) {
            return Err(DbErr::Type(format!(
                "Missing value for column '{}'",
                FIELDS[at].1
            )));
        }
    }
    Ok(Plan {
        cells,
        checked: matches!(types, Types::PerValue),
    })
}

/// Whether a column of type `ty` decodes as the field's Rust type.
fn compatible<DB>(field: Field, ty: &DB::TypeInfo) -> bool
where
    DB: Database,
    String: Type<DB>,
    i64: Type<DB>,
    i16: Type<DB>,
    bool: Type<DB>,
    DateTime<Utc>: Type<DB>,
    NaiveDate: Type<DB>,
{
    use Field as F;
    match field {
        F::Id | F::UserId | F::ApprovedHalfHours => <i64 as Type<DB>>::compatible(ty),
        F::Stars => <i16 as Type<DB>>::compatible(ty),
        F::PartyMember => <bool as Type<DB>>::compatible(ty),
        F::CreatedAt | F::UpdatedAt | F::BarredUntil => <DateTime<Utc> as Type<DB>>::compatible(ty),
        F::BirthDate => <NaiveDate as Type<DB>>::compatible(ty),
        F::VolunteerNumber
        | F::RealName
        | F::IdKind
        | F::IdNumber
        | F::Phone
        | F::Gender
        | F::UnitCode
        | F::PartyOrganization
        | F::ReportedUnitCode
        | F::Status => <String as Type<DB>>::compatible(ty),
    }
}

/// A volunteer with every field empty: what a partial row leaves unread.
fn empty() -> volunteer::Model {
    let epoch = DateTime::<Utc>::UNIX_EPOCH;
    volunteer::Model {
        id: 0,
        volunteer_number: None,
        real_name: String::new(),
        id_kind: IdType::ResidentId,
        id_number: String::new(),
        phone: None,
        gender: Gender::Unknown,
        birth_date: None,
        unit_code: String::new(),
        user_id: None,
        party_member: false,
        party_organization: None,
        reported_unit_code: None,
        status: VolunteerStatus::Active,
        created_at: epoch,
        updated_at: epoch,
        approved_half_hours: 0,
        stars: 0,
        barred_until: None,
    }
}

/// One cell of a row: its position, its column's name and how it is read.
struct Cell<'a, R> {
    row: &'a R,
    i: usize,
    name: &'static str,
    checked: bool,
    absent: Absent,
}

impl<'a, R> Cell<'a, R>
where
    R: Row,
    usize: ColumnIndex<R>,
{
    fn get<T>(&self) -> Result<T, DbErr>
    where
        T: Decode<'a, R::Database> + Type<R::Database>,
    {
        let read = if self.checked {
            self.row.try_get::<T, usize>(self.i)
        } else {
            // The plan checked the column's type.
            self.row.try_get_unchecked::<T, usize>(self.i)
        };
        read.map_err(|e| DbErr::Type(format!("volunteer column {}: {e}", self.i)))
    }

    /// A field that holds no NULL: one read as NULL is missing.
    fn required<T>(&self, empty: T) -> Result<T, DbErr>
    where
        Option<T>: Decode<'a, R::Database> + Type<R::Database>,
    {
        or(self.get::<Option<T>>()?, self.absent, empty, self.name)
    }

    /// A kind from its stored text, read in place (no string is made for it).
    fn kind<K>(&self, empty: K, from_stored: fn(&str) -> Option<K>) -> Result<K, DbErr>
    where
        Option<&'a str>: Decode<'a, R::Database> + Type<R::Database>,
    {
        let value = match self.get::<Option<&str>>()? {
            None => None,
            Some(s) => Some(from_stored(s).ok_or_else(|| {
                DbErr::Type(format!("unexpected value {s:?} for column '{}'", self.name))
            })?),
        };
        or(value, self.absent, empty, self.name)
    }
}

fn or<T>(value: Option<T>, absent: Absent, empty: T, name: &str) -> Result<T, DbErr> {
    match (value, absent) {
        (Some(v), _) => Ok(v),
        (None, Absent::Empty) => Ok(empty),
        (None, Absent::Refused) => Err(DbErr::Type(format!("Missing value for column '{name}'"))),
    }
}
