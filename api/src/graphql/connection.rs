//! Relay connection plumbing shared by every list.

use async_graphql::connection::{self, CursorType};
use async_graphql::{Context, SimpleObject};

use crate::pagination::{decode_cursor, encode_cursor, Page};

/// An opaque cursor: the sort key of a row, wrapped so clients cannot rely on it.
#[derive(Debug, Clone)]
pub struct Cursor(pub String);

impl CursorType for Cursor {
    type Error = crate::error::ServiceError;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        decode_cursor(s).map(Cursor)
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(&self.0)
    }
}

#[derive(SimpleObject, Debug, Clone, Copy, Default)]
pub struct TotalCount {
    /// Number of items in the whole list, across all pages.
    pub total_count: i64,
}

pub type Connection<T> = connection::Connection<Cursor, T, TotalCount>;

/// True when the client selected `totalCount` on the connection being resolved, so
/// the count query runs only when someone reads it.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Builds a connection from a page of records.
pub fn from_page<R, T>(
    page: Page<R>,
    total_count: u64,
    key: impl Fn(&R) -> String,
    node: impl Fn(R) -> T,
) -> Connection<T>
where
    T: async_graphql::OutputType,
{
    let mut conn = connection::Connection::with_additional_fields(
        page.has_previous_page,
        page.has_next_page,
        TotalCount {
            total_count: total_count as i64,
        },
    );
    conn.edges.extend(page.rows.into_iter().map(|r| {
        let cursor = Cursor(key(&r));
        connection::Edge::new(cursor, node(r))
    }));
    conn
}
