//! Cursor pagination shared by every list: `first` / `after`, keyset on a sort key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Reason, ServiceError};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// A validated page request. `after` is the decoded sort key of the last row seen.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub first: u64,
    pub after: Option<String>,
}

impl PageRequest {
    pub fn parse(first: Option<i32>, after: Option<&str>) -> Result<PageRequest, ServiceError> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => {
                return Err(Reason::OUT_OF_RANGE
                    .at("first")
                    .arg("min", 0)
                    .arg("max", MAX_PAGE_SIZE)
                    .into());
            }
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(Reason::OUT_OF_RANGE
                    .at("first")
                    .arg("min", 0)
                    .arg("max", MAX_PAGE_SIZE)
                    .into());
            }
            Some(n) => n as u64,
        };
        let after = after.map(decode_cursor).transpose()?;
        Ok(PageRequest { first, after })
    }
}

/// One page of rows: `rows` holds at most `first`; `has_next_page` says whether more follow.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// Builds a page from a query that fetched `first + 1` rows.
    pub fn from_overfetch(mut rows: Vec<T>, req: &PageRequest) -> Page<T> {
        let has_next_page = rows.len() as u64 > req.first;
        rows.truncate(req.first as usize);
        Page {
            rows,
            has_next_page,
            has_previous_page: req.after.is_some(),
        }
    }
}

const CURSOR_PREFIX: &str = "k1:";

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{key}"))
}

pub fn decode_cursor(cursor: &str) -> Result<String, ServiceError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(CURSOR_PREFIX).map(str::to_owned))
        .ok_or_else(|| ServiceError::from(Reason::INVALID_CURSOR.at("after")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor("440104")).unwrap(), "440104");
        assert!(decode_cursor("nonsense!").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("440104")).is_err());
    }

    #[test]
    fn page_size_limits() {
        assert_eq!(PageRequest::parse(None, None).unwrap().first, 20);
        assert_eq!(PageRequest::parse(Some(100), None).unwrap().first, 100);
        assert!(PageRequest::parse(Some(101), None).is_err());
        assert!(PageRequest::parse(Some(-1), None).is_err());
    }
}
