//! Cursor pagination shared by every list: `first` / `after`, keyset on a sort key.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Reason, ServiceError};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// Which way a list is sorted.
#[derive(async_graphql::Enum, Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OrderDirection {
    /// Smallest first: A to Z, oldest first, fewest first.
    #[default]
    Asc,
    /// Largest first: Z to A, newest first, most first.
    Desc,
}

/// A validated page request: `size` rows after `cursor` (the decoded sort key of the
/// last row seen), or, `backward`, the `size` rows before it (`last` / `before`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageRequest {
    pub size: u64,
    pub cursor: Option<String>,
    pub backward: bool,
    /// Whether every row's cursor is read (`edges { cursor }`); when not, only the
    /// first and last rows' are made, for `pageInfo`. True unless told otherwise.
    pub every_cursor: bool,
}

fn page_size(arg: &'static str, n: Option<i32>) -> Result<u64, ServiceError> {
    match n {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n < 0 || n as u64 > MAX_PAGE_SIZE => Err(Reason::OUT_OF_RANGE
            .at(arg)
            .arg("min", 0)
            .arg("max", MAX_PAGE_SIZE)
            .into()),
        Some(n) => Ok(n as u64),
    }
}

impl PageRequest {
    /// A forward page (`first` / `after`).
    pub fn parse(first: Option<i32>, after: Option<&str>) -> Result<PageRequest, ServiceError> {
        Ok(PageRequest {
            size: page_size("first", first)?,
            cursor: after.map(|c| decode_cursor("after", c)).transpose()?,
            backward: false,
            every_cursor: true,
        })
    }

    /// A page either way, per the Relay connection arguments: `first` / `after`
    /// forward, `last` / `before` backward; mixing the two directions is refused.
    pub fn relay(
        first: Option<i32>,
        after: Option<&str>,
        last: Option<i32>,
        before: Option<&str>,
    ) -> Result<PageRequest, ServiceError> {
        match (
            last.is_some() || before.is_some(),
            first.is_some() || after.is_some(),
        ) {
            (false, _) => PageRequest::parse(first, after),
            (true, false) => Ok(PageRequest {
                size: page_size("last", last)?,
                cursor: before.map(|c| decode_cursor("before", c)).transpose()?,
                backward: true,
                every_cursor: true,
            }),
            (true, true) => Err(Reason::PAGING_BOTH_WAYS.into()),
        }
    }
}

/// One page of rows in list order, each with its cursor, and whether more rows
/// follow or precede it.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub cursors: Vec<String>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
    /// The whole list's count stopped at a cap (a search's): there are at least as
    /// many items as counted.
    pub total_capped: bool,
}

impl<T> Page<T> {
    pub fn empty() -> Page<T> {
        Page {
            rows: Vec::new(),
            cursors: Vec::new(),
            has_next_page: false,
            has_previous_page: false,
            total_capped: false,
        }
    }

    /// Builds a page from a query that fetched up to `size + 1` rows, with their
    /// cursors, in the request's direction (so reversed for a backward page).
    pub fn from_overfetch(mut keyed: Vec<(String, T)>, req: &PageRequest) -> Page<T> {
        let more = keyed.len() as u64 > req.size;
        keyed.truncate(req.size as usize);
        let (cursors, rows) = keyed.into_iter().unzip();
        Page::from_read(rows, cursors, more, req)
    }

    /// Builds a page from the first `size` rows a query read, in the request's
    /// direction (so reversed for a backward page), with their cursors; `more` says
    /// that the query read one more.
    pub fn from_read(
        mut rows: Vec<T>,
        mut cursors: Vec<String>,
        more: bool,
        req: &PageRequest,
    ) -> Page<T> {
        if req.backward {
            rows.reverse();
            cursors.reverse();
        }
        let (has_next_page, has_previous_page) = match req.backward {
            false => (more, req.cursor.is_some()),
            true => (req.cursor.is_some(), more),
        };
        Page {
            rows,
            cursors,
            has_next_page,
            has_previous_page,
            total_capped: false,
        }
    }

    /// The same page with each row converted; the first failure fails it.
    pub fn try_map<U, E>(self, f: impl FnMut(T) -> Result<U, E>) -> Result<Page<U>, E> {
        Ok(Page {
            rows: self.rows.into_iter().map(f).collect::<Result<_, E>>()?,
            cursors: self.cursors,
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
            total_capped: self.total_capped,
        })
    }
}

// Bumped whenever the key inside changes shape, so an old cursor is refused as
// invalid rather than misread.
const CURSOR_PREFIX: &str = "k2:";

pub fn encode_cursor(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{CURSOR_PREFIX}{key}"))
}

/// The sort key inside a cursor; `arg` names the argument it came in.
pub fn decode_cursor(arg: &'static str, cursor: &str) -> Result<String, ServiceError> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(CURSOR_PREFIX).map(str::to_owned))
        .ok_or_else(|| ServiceError::from(Reason::INVALID_CURSOR.at(arg)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trip() {
        assert_eq!(
            decode_cursor("after", &encode_cursor("440104")).unwrap(),
            "440104"
        );
        assert!(decode_cursor("after", "nonsense!").is_err());
        assert!(decode_cursor("after", &URL_SAFE_NO_PAD.encode("440104")).is_err());
    }

    #[test]
    fn page_size_limits() {
        assert_eq!(PageRequest::parse(None, None).unwrap().size, 20);
        assert_eq!(PageRequest::parse(Some(100), None).unwrap().size, 100);
        assert!(PageRequest::relay(None, None, Some(101), None).is_err());
        assert!(PageRequest::relay(Some(5), None, Some(5), None).is_err());
        assert!(
            PageRequest::relay(None, None, Some(5), None)
                .unwrap()
                .backward
        );
        assert!(PageRequest::parse(Some(101), None).is_err());
        assert!(PageRequest::parse(Some(-1), None).is_err());
    }
}
