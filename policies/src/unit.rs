//! Administrative unit codes and levels.
//!
//! Codes nest by prefix with a fixed length per level (the national statistical division
//! scheme, extended by grids), so "is X in the subtree of Y" is a prefix test and a
//! subtree is one contiguous range of codes. Everything that scopes data relies on that.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Province,
    City,
    District,
    Street,
    Community,
    Grid,
}

impl Level {
    pub const ALL: [Level; 6] = [
        Level::Province,
        Level::City,
        Level::District,
        Level::Street,
        Level::Community,
        Level::Grid,
    ];

    /// Digits in a code of this level.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::City => 4,
            Level::District => 6,
            Level::Street => 9,
            Level::Community => 12,
            Level::Grid => 15,
        }
    }

    pub fn from_code_len(len: usize) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.code_len() == len)
    }

    /// The level directly above, if any.
    pub fn parent(self) -> Option<Level> {
        let i = Level::ALL.iter().position(|l| *l == self)?;
        i.checked_sub(1).map(|p| Level::ALL[p])
    }

    /// The level directly below, if any.
    pub fn child(self) -> Option<Level> {
        let i = Level::ALL.iter().position(|l| *l == self)?;
        Level::ALL.get(i + 1).copied()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::City => "city",
            Level::District => "district",
            Level::Street => "street",
            Level::Community => "community",
            Level::Grid => "grid",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("unit code {0:?} must contain digits only")]
    NotDigits(String),
    #[error("unit code {0:?} has {1} digits; codes have 2, 4, 6, 9, 12 or 15 digits")]
    BadLength(String, usize),
    #[error("unknown unit level {0:?}")]
    UnknownLevel(String),
}

impl FromStr for Level {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Level::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| CodeError::UnknownLevel(s.to_owned()))
    }
}

/// A validated unit code: digits only, of a length that names its level.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct UnitCode(String);

impl UnitCode {
    pub fn parse(s: &str) -> Result<UnitCode, CodeError> {
        Self::check(s)?;
        Ok(UnitCode(s.to_owned()))
    }

    /// [`UnitCode::parse`] keeping the string it is given (a code read from a row,
    /// which needs no copy).
    pub fn parse_owned(s: String) -> Result<UnitCode, CodeError> {
        Self::check(&s)?;
        Ok(UnitCode(s))
    }

    fn check(s: &str) -> Result<(), CodeError> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CodeError::NotDigits(s.to_owned()));
        }
        if Level::from_code_len(s.len()).is_none() {
            return Err(CodeError::BadLength(s.to_owned(), s.len()));
        }
        Ok(())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn level(&self) -> Level {
        // parse() admits only lengths that map to a level.
        Level::from_code_len(self.0.len()).unwrap_or(Level::Grid)
    }

    /// The code of the unit directly above, derived from the code alone.
    pub fn parent(&self) -> Option<UnitCode> {
        let p = self.level().parent()?;
        Some(UnitCode(self.0[..p.code_len()].to_owned()))
    }

    /// Codes of every level above this one, root first.
    pub fn ancestors(&self) -> Vec<UnitCode> {
        let len = self.0.len();
        Level::ALL
            .iter()
            .map(|l| l.code_len())
            .filter(|l| *l < len)
            .map(|l| UnitCode(self.0[..l].to_owned()))
            .collect()
    }

    /// True when `other` is this unit or lies below it.
    pub fn contains(&self, other: &UnitCode) -> bool {
        other.0.starts_with(&self.0)
    }

    /// True when `self` may be the parent of a unit with code `child`.
    pub fn is_parent_of(&self, child: &UnitCode) -> bool {
        child.parent().as_ref() == Some(self)
    }

    /// Exclusive upper bound of the subtree's code range: every code that starts with
    /// this one sorts in `[self, bound)`. Built from digits only (the last non-9 digit
    /// incremented, the rest cut), so the range holds under any collation that orders
    /// digits naturally. `None` when every digit is 9: the range is unbounded above.
    pub fn subtree_upper_bound(&self) -> Option<String> {
        let bytes = self.0.as_bytes();
        let last = bytes.iter().rposition(|b| *b != b'9')?;
        let mut out = bytes[..=last].to_vec();
        out[last] += 1;
        String::from_utf8(out).ok()
    }
}

impl fmt::Display for UnitCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for UnitCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        UnitCode::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_levels_by_length() {
        assert_eq!(UnitCode::parse("44").unwrap().level(), Level::Province);
        assert_eq!(UnitCode::parse("4401").unwrap().level(), Level::City);
        assert_eq!(UnitCode::parse("440104").unwrap().level(), Level::District);
        assert_eq!(UnitCode::parse("440104003").unwrap().level(), Level::Street);
        assert_eq!(
            UnitCode::parse("440104003108").unwrap().level(),
            Level::Community
        );
        assert_eq!(
            UnitCode::parse("440104003108001").unwrap().level(),
            Level::Grid
        );
    }

    #[test]
    fn rejects_bad_codes() {
        assert!(matches!(UnitCode::parse(""), Err(CodeError::NotDigits(_))));
        assert!(matches!(
            UnitCode::parse("44a1"),
            Err(CodeError::NotDigits(_))
        ));
        assert!(matches!(
            UnitCode::parse("440"),
            Err(CodeError::BadLength(_, 3))
        ));
        assert!(matches!(
            UnitCode::parse("４４"),
            Err(CodeError::NotDigits(_))
        ));
        // Owned or borrowed, the same rules.
        for bad in ["", "44a1", "440", "４４"] {
            assert_eq!(
                UnitCode::parse_owned(bad.to_owned()).err(),
                UnitCode::parse(bad).err()
            );
        }
        assert_eq!(
            UnitCode::parse_owned("440104003".to_owned()).unwrap(),
            UnitCode::parse("440104003").unwrap()
        );
    }

    #[test]
    fn ancestors_root_first() {
        let c = UnitCode::parse("440104003108").unwrap();
        let a: Vec<_> = c.ancestors().into_iter().map(|c| c.0).collect();
        assert_eq!(a, ["44", "4401", "440104", "440104003"]);
        assert_eq!(c.parent().unwrap().as_str(), "440104003");
        assert!(UnitCode::parse("44").unwrap().parent().is_none());
    }

    #[test]
    fn upper_bound_covers_exactly_the_subtree() {
        let b = |s: &str| UnitCode::parse(s).unwrap().subtree_upper_bound();
        assert_eq!(b("4401").as_deref(), Some("4402"));
        assert_eq!(b("4409").as_deref(), Some("441"));
        assert_eq!(b("440199").as_deref(), Some("4402"));
        assert_eq!(b("99"), None);
        let root = UnitCode::parse("4409").unwrap();
        let ub = root.subtree_upper_bound().unwrap();
        for inside in ["4409", "440901", "440999999999"] {
            assert!(inside >= root.as_str() && inside < ub.as_str());
        }
        for outside in ["4408", "441001", "4410"] {
            assert!(!(outside >= root.as_str() && outside < ub.as_str()));
        }
    }
}
