//! Relay connection plumbing shared by every list.

use async_graphql::connection::{self, CursorType};
use async_graphql::Context;

use crate::pagination::{decode_cursor, encode_cursor, Page};

/// An opaque cursor: the sort key of a row, wrapped so clients cannot rely on it.
#[derive(Debug, Clone)]
pub struct Cursor(pub String);

impl CursorType for Cursor {
    type Error = crate::error::ServiceError;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        decode_cursor("after", s).map(Cursor)
    }

    fn encode_cursor(&self) -> String {
        encode_cursor(&self.0)
    }
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

type Edge<T> = connection::Edge<Cursor, T, connection::EmptyFields>;

/// A page of a list, per the Relay cursor connection specification. Its GraphQL name
/// is the item's name + `Connection` (`ActivityConnection`). Kapok's own rather than
/// async-graphql's so the type carries a description like every other type.
pub struct Connection<T: async_graphql::OutputType> {
    edges: Vec<Edge<T>>,
    has_previous_page: bool,
    has_next_page: bool,
    total_count: i64,
    total_count_capped: bool,
}

impl<T: async_graphql::OutputType> async_graphql::TypeName for Connection<T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        format!("{}Connection", T::type_name()).into()
    }
}

/// One page of a list: its items (`nodes`, or `edges` with a cursor each), where the
/// page sits in the list (`pageInfo`) and how long the whole list is (`totalCount`).
/// Ask for the next page with `after: pageInfo.endCursor`.
#[async_graphql::Object(name_type)]
impl<T: async_graphql::OutputType> Connection<T> {
    /// Where this page sits: whether more pages follow or precede it, and the
    /// cursors of its first and last items.
    async fn page_info(&self) -> connection::PageInfo {
        connection::PageInfo {
            has_previous_page: self.has_previous_page,
            has_next_page: self.has_next_page,
            start_cursor: self.edges.first().map(|e| e.cursor.encode_cursor()),
            end_cursor: self.edges.last().map(|e| e.cursor.encode_cursor()),
        }
    }

    /// The page's items, each with its cursor.
    async fn edges(&self) -> &[Edge<T>] {
        &self.edges
    }

    /// The page's items, without cursors.
    async fn nodes(&self) -> Vec<&T> {
        self.edges.iter().map(|e| &e.node).collect()
    }

    /// Number of items in the whole list, across all pages. A volunteer search stops
    /// counting at 1,000 matches (`totalCountCapped`).
    async fn total_count(&self) -> i64 {
        self.total_count
    }

    /// True when `totalCount` stopped at its cap: the list holds at least that many
    /// items (show "1,000+"); the pages still reach every item.
    async fn total_count_capped(&self) -> bool {
        self.total_count_capped
    }
}

/// True when the client selected `totalCount` on the connection being resolved, so
/// the count query runs only when someone reads it.
pub fn wants_total(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("totalCount").exists()
}

/// Builds a connection from a page of records, with the cursors the service gave.
pub fn from_page<R, T>(page: Page<R>, total_count: u64, node: impl Fn(R) -> T) -> Connection<T>
where
    T: async_graphql::OutputType,
{
    Connection {
        total_count_capped: page.total_capped,
        edges: page
            .cursors
            .into_iter()
            .zip(page.rows)
            .map(|(key, r)| connection::Edge::new(Cursor(key), node(r)))
            .collect(),
        has_previous_page: page.has_previous_page,
        has_next_page: page.has_next_page,
        total_count: total_count as i64,
    }
}

/// How to sort a list: by which field, and which way (ascending when left out).
/// Every order is served by an index and pages by cursor like the default one.
#[derive(async_graphql::InputObject)]
#[graphql(
    concrete(
        name = "ActivityOrder",
        params(crate::services::activities::ActivityOrderField)
    ),
    concrete(
        name = "ServiceRecordOrder",
        params(crate::services::records::RecordOrderField)
    ),
    concrete(
        name = "VolunteerOrder",
        params(crate::services::volunteers::VolunteerOrderField)
    ),
    concrete(
        name = "AuditLogOrder",
        params(crate::services::audit::AuditOrderField)
    ),
    concrete(name = "NameOrder", params(crate::services::NameOrderField)),
    concrete(name = "UnitOrder", params(crate::services::units::UnitOrderField)),
    concrete(name = "CreationOrder", params(crate::services::CreatedOrderField))
)]
pub struct OrderBy<F: async_graphql::InputType> {
    /// The field to sort by.
    pub field: F,
    /// Which way; ascending when left out.
    #[graphql(default)]
    pub direction: crate::pagination::OrderDirection,
}

impl<F: async_graphql::InputType + Copy> OrderBy<F> {
    /// The order as the services take it.
    pub fn pair(order: Option<OrderBy<F>>) -> Option<(F, crate::pagination::OrderDirection)> {
        order.map(|o| (o.field, o.direction))
    }
}

/// The Relay paging arguments of a list field, as the resolver received them.
pub struct Paging {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

/// What every list resolver does around its service call: validate the paging
/// arguments, hand the service the request's context, the page and whether
/// `totalCount` was selected, and turn its page of records into a connection of
/// `node`s (errors mapped once, with their codes).
pub async fn list<'a, R, T, Fut>(
    ctx: &'a Context<'_>,
    paging: Paging,
    node: impl Fn(R) -> T,
    fetch: impl FnOnce(&'a crate::services::Ctx, crate::pagination::PageRequest, bool) -> Fut,
) -> async_graphql::Result<Connection<T>>
where
    T: async_graphql::OutputType,
    Fut: std::future::Future<Output = crate::error::ServiceResult<(Page<R>, u64)>>,
{
    use async_graphql::ErrorExtensions;
    let run = async {
        let page = crate::pagination::PageRequest::relay(
            paging.first,
            paging.after.as_deref(),
            paging.last,
            paging.before.as_deref(),
        )?;
        let cx = crate::graphql::parts(ctx)?;
        fetch(cx, page, wants_total(ctx)).await
    };
    let (page, total) = run.await.map_err(|e| e.extend())?;
    Ok(from_page(page, total, node))
}

#[cfg(test)]
mod tests {
    /// async-graphql prices a field only by its own `complexity` attribute, so each
    /// list must name [`super::list_cost`] (or `batched_list_cost`); a list without
    /// it would cost one row however many it returns, and an anonymous caller could
    /// ask for pages of pages. This walks the resolvers and fails on such a list.
    #[test]
    fn every_list_field_is_priced_by_its_page() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/graphql");
        let mut lists = 0;
        let mut unpriced = Vec::new();
        for entry in std::fs::read_dir(dir).expect("graphql dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("source");
            let lines: Vec<&str> = text.lines().collect();
            for (i, line) in lines.iter().enumerate() {
                if !line.trim_start().starts_with(") -> GqlResult<Connection<") {
                    continue;
                }
                lists += 1;
                // Back to the `async fn`, then over its attributes and doc comment.
                let start = (0..i)
                    .rev()
                    .find(|&j| lines[j].trim_start().starts_with("async fn "))
                    .expect("a resolver");
                let head = (0..start)
                    .rev()
                    .take_while(|&j| {
                        let l = lines[j].trim();
                        !(l.is_empty() || l == "}" || l.ends_with('{'))
                    })
                    .map(|j| lines[j])
                    .collect::<Vec<_>>()
                    .join("\n");
                if !head.contains("list_cost(") {
                    unpriced.push(format!("{}:{}", path.display(), start + 1));
                }
            }
        }
        assert!(lists >= 18, "found only {lists} list resolvers");
        assert!(unpriced.is_empty(), "lists without list_cost: {unpriced:?}");
    }
}
