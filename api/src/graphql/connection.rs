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

/// What counting a whole list costs in query complexity: a count reads every row in
/// scope, so it is priced like a long page, not like one field.
pub const TOTAL_COUNT_COST: usize = 250;

/// The complexity of a list field: each row costs its selection, a page asking for
/// no rows (`first: 0`) still costs one row since the query runs all the same, and
/// `totalCount` costs [`TOTAL_COUNT_COST`] once (not once per row). `field` is the
/// list field as written; a fragment spread in its selection may hide `totalCount`,
/// so it is charged as if it did.
pub fn list_cost(
    first: Option<i32>,
    child_complexity: usize,
    field: &async_graphql::parser::types::Field,
) -> usize {
    cost_with_count(first, child_complexity, field, TOTAL_COUNT_COST)
}

/// A list nested under a list whose counts the loader answers for all parents in one
/// grouped query: counting costs little per parent.
pub fn batched_list_cost(
    first: Option<i32>,
    child_complexity: usize,
    field: &async_graphql::parser::types::Field,
) -> usize {
    cost_with_count(first, child_complexity, field, BATCHED_COUNT_COST)
}

pub const BATCHED_COUNT_COST: usize = 5;

fn cost_with_count(
    first: Option<i32>,
    child_complexity: usize,
    field: &async_graphql::parser::types::Field,
    count_cost: usize,
) -> usize {
    let rows = first
        .unwrap_or(crate::pagination::DEFAULT_PAGE_SIZE as i32)
        .clamp(1, crate::pagination::MAX_PAGE_SIZE as i32) as usize;
    let count = if may_select_total(&field.selection_set.node) {
        count_cost
    } else {
        0
    };
    rows.saturating_mul(child_complexity)
        .saturating_add(1)
        .saturating_add(count)
}

fn may_select_total(set: &async_graphql::parser::types::SelectionSet) -> bool {
    use async_graphql::parser::types::Selection;
    set.items.iter().any(|item| match &item.node {
        Selection::Field(f) => f.node.name.node == "totalCount",
        Selection::FragmentSpread(_) => true,
        Selection::InlineFragment(i) => may_select_total(&i.node.selection_set.node),
    })
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
