//! The time scalars and money, named and described for front-end developers rather
//! than after the Rust types behind them.

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::{NaiveDate, Utc};

/// An instant, as RFC 3339 text with an offset: `2026-11-30T08:00:00+08:00` or
/// `2026-11-30T00:00:00Z` on input; always UTC (`+00:00`) on output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub chrono::DateTime<Utc>);

/// An instant as RFC 3339 text with an offset, e.g. `2026-11-30T08:00:00+08:00`
/// (input) or `2026-11-30T00:00:00+00:00` (output, always UTC).
#[Scalar(
    name = "DateTime",
    specified_by_url = "https://datatracker.ietf.org/doc/html/rfc3339"
)]
impl ScalarType for Timestamp {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(s) => Ok(Timestamp(
                chrono::DateTime::parse_from_rfc3339(s)?.with_timezone(&Utc),
            )),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.to_rfc3339())
    }
}

impl From<chrono::DateTime<Utc>> for Timestamp {
    fn from(t: chrono::DateTime<Utc>) -> Self {
        Timestamp(t)
    }
}

impl From<Timestamp> for chrono::DateTime<Utc> {
    fn from(t: Timestamp) -> Self {
        t.0
    }
}

/// A calendar day, as `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Day(pub NaiveDate);

/// A calendar day in China Standard Time (UTC+8), as `YYYY-MM-DD`, e.g. `2026-11-30`.
#[Scalar(name = "Date")]
impl ScalarType for Day {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            // chrono also reads signed years past 9999 (to +262142), where the day
            // after the last it holds — a period's end, a day's end — overflows.
            Value::String(s) if !four_digit_year(s) => Err(InputValueError::custom(
                "a date is YYYY-MM-DD, with a four-digit year",
            )),
            Value::String(s) => Ok(Day(NaiveDate::parse_from_str(s, "%Y-%m-%d")?)),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

/// Whether `s` starts with four ASCII digits and a `-`.
fn four_digit_year(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

impl From<NaiveDate> for Day {
    fn from(d: NaiveDate) -> Self {
        Day(d)
    }
}

impl From<Day> for NaiveDate {
    fn from(d: Day) -> Self {
        d.0
    }
}

/// An amount of money in fen (分).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fen(pub i64);

/// An amount of money in fen (分, 1/100 yuan), as a JSON integer: `12345` is ¥123.45.
/// Never a float. GraphQL's `Int` is 32-bit (¥21 million at most), too small for a
/// district's funds; JSON integers are exact far beyond any amount Kapok accepts.
#[Scalar(name = "Fen")]
impl ScalarType for Fen {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::Number(n) => n
                .as_i64()
                .map(Fen)
                .ok_or_else(|| InputValueError::custom("an amount in fen is a whole number")),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::Number(self.0.into())
    }
}
