//! Relay connection plumbing shared by every list.

use async_graphql::connection::{self, CursorType};
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::{
    ContainerType, Context, ContextSelectionSet, OutputType, Positioned, ServerResult, Value,
};

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

/// A node type's fields that answer from the node alone: resolvers that take no
/// arguments and no context and never wait (no loader, no database), like `id` or
/// `name`. A page whose selection holds only these (with `__typename` and `cursor`)
/// is written as JSON text in one loop over its rows (see [`RawJson`]), where
/// async-graphql's executor makes a future per row and per field, a map per object
/// and a value per field, then serialises them — most of the server's time on a
/// 100-row page. The values come from the same resolvers either way, and a selection
/// with anything else (a fragment, a directive, a nested object, a field not listed)
/// takes the executor's path. Declare them with [`flat_fields!`];
/// `flat_fields_take_nothing_but_self` checks each list against the resolvers'
/// signatures.
pub trait FlatFields {
    const FLAT: &'static [&'static str] = &[];

    /// Writes the JSON of the field `FLAT[i]`, from its resolver called directly —
    /// without the executor's lookup of the field by name, its guard and its future
    /// per row — and says whether it did: `false` (nothing written) when the resolver
    /// did not answer at once or failed; the field then runs the executor's way.
    fn flat_json(&self, _ctx: &Context<'_>, _i: usize, _out: &mut Vec<u8>) -> bool {
        false
    }
}

/// Declares a node type's flat fields (see [`FlatFields`]): each GraphQL name with
/// the resolver of the type's `#[Object]` block that answers it.
macro_rules! flat_fields {
    ($t:ty { $($name:literal => $resolver:ident),+ $(,)? }) => {
        impl $crate::graphql::connection::FlatFields for $t {
            const FLAT: &'static [&'static str] = &[$($name),+];

            fn flat_json(
                &self,
                ctx: &async_graphql::Context<'_>,
                i: usize,
                out: &mut Vec<u8>,
            ) -> bool {
                let mut at = 0usize;
                $(
                    if i == at {
                        return $crate::graphql::connection::write_now(self.$resolver(ctx), out);
                    }
                    at += 1;
                )+
                let _ = at;
                false
            }
        }
    };
}
pub(crate) use flat_fields;

/// What a flat resolver returned, written as JSON the way async-graphql's executor
/// would answer it (`OutputType::resolve` of a scalar or an enum is its `to_value`).
pub trait FlatValue {
    fn write_json(self, out: &mut Vec<u8>);
}

/// A value's JSON as `serde_json` writes it (it writes the response too): strings
/// escaped alike, numbers and booleans, async-graphql's values.
fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing to a `Vec` cannot fail, and none of these fails to serialise (a `Value`
    // has no non-string map keys).
    let _ = serde_json::to_writer(&mut *out, value);
}

impl FlatValue for &str {
    fn write_json(self, out: &mut Vec<u8>) {
        write_json(self, out)
    }
}

impl FlatValue for async_graphql::ID {
    fn write_json(self, out: &mut Vec<u8>) {
        write_json(self.as_str(), out)
    }
}

impl<T: FlatValue> FlatValue for Option<T> {
    fn write_json(self, out: &mut Vec<u8>) {
        match self {
            Some(v) => v.write_json(out),
            None => out.extend_from_slice(b"null"),
        }
    }
}

/// Numbers and booleans: their JSON as `serde_json` writes them.
macro_rules! flat_as_json {
    ($($t:ty),* $(,)?) => {
        $(impl FlatValue for $t {
            fn write_json(self, out: &mut Vec<u8>) {
                write_json(&self, out)
            }
        })*
    };
}

flat_as_json!(bool, i32, f64);

/// Enums: the name of their item, as their `to_value` gives it.
macro_rules! flat_as_enum {
    ($($t:ty),* $(,)?) => {
        $(impl FlatValue for $t {
            fn write_json(self, out: &mut Vec<u8>) {
                use async_graphql::resolver_utils::EnumType;
                match <$t as EnumType>::items().iter().find(|item| item.value == self) {
                    Some(item) => write_json(item.name, out),
                    None => write_json(&async_graphql::InputType::to_value(&self), out),
                }
            }
        })*
    };
}

flat_as_enum!(
    super::units::UnitLevel,
    entity::kinds::Gender,
    entity::kinds::IdType,
    entity::kinds::VolunteerStatus,
    entity::kinds::ServiceRecordSource,
    entity::kinds::ServiceRecordState,
);

/// Other scalars: their value is their input value.
impl FlatValue for super::scalars::Timestamp {
    fn write_json(self, out: &mut Vec<u8>) {
        write_json(&async_graphql::InputType::to_value(&self), out)
    }
}

/// Writes a flat resolver's answer when it is ready at once (they never wait) and not
/// an error (they never fail; the executor's way would report one).
pub fn write_now<F, T>(resolver: F, out: &mut Vec<u8>) -> bool
where
    F: std::future::Future<Output = async_graphql::Result<T>>,
    T: FlatValue,
{
    match futures_util::FutureExt::now_or_never(resolver) {
        Some(Ok(v)) => {
            v.write_json(out);
            true
        }
        _ => false,
    }
}

/// Node types whose pages always take the executor's path (none of their lists is hot
/// enough to be worth a list of flat fields yet).
macro_rules! executor_only {
    ($($t:ty),* $(,)?) => { $(impl FlatFields for $t {})* };
}

executor_only!(
    super::activities::Activity,
    super::audit::AuditEntry,
    super::campaigns::Campaign,
    super::campaigns::Pledge,
    super::certificates::Certificate,
    super::disbursements::Disbursement,
    super::disclosure::DisclosureReport,
    super::disclosure::ListedDonor,
    super::donations::Donation,
    super::funds::Fund,
    super::community::HelpRequest,
    super::community::Household,
    super::community::PublicActivity,
    super::community::PublishedNeed,
    super::community::StockItem,
    super::community::StockMove,
    super::community::TeamApplication,
    super::community::TimeAccount,
    super::community::TimeStatementLine,
    super::organizations::Organization,
    super::projects::Project,
    super::roles::RoleAssignment,
    super::attendance::Signup,
    super::stars::StarNomination,
    super::stations::Station,
    super::teams::Team,
    super::accounts::User,
    super::volunteers::VolunteerMove,
);

/// True when every selection is a field named in `flat` (or `__typename`), without a
/// directive, an argument or a selection of its own.
fn is_flat(set: &SelectionSet, flat: &[&str]) -> bool {
    set.items.iter().all(|s| match &s.node {
        Selection::Field(f) => {
            let f = &f.node;
            f.directives.is_empty()
                && f.arguments.is_empty()
                && f.selection_set.node.items.is_empty()
                && (f.name.node == "__typename" || flat.contains(&f.name.node.as_str()))
        }
        _ => false,
    })
}

/// True when an edge's selection is `cursor`, `__typename` and a flat `node`.
fn edges_are_flat<T: FlatFields>(set: &SelectionSet) -> bool {
    set.items.iter().all(|s| match &s.node {
        Selection::Field(f) => {
            f.node.directives.is_empty()
                && match f.node.name.node.as_str() {
                    "node" => is_flat(&f.node.selection_set.node, T::FLAT),
                    "cursor" | "__typename" => f.node.selection_set.node.items.is_empty(),
                    _ => false,
                }
        }
        _ => false,
    })
}

/// The node fields a connection's selection reads when every object of its page takes
/// the flat path: `Some` when each of its selections is `totalCount`,
/// `totalCountCapped`, `pageInfo` or `__typename`, or `edges` / `nodes` without a
/// directive and flat as [`Edges`] and [`Nodes`] decide; `None` for anything else (a
/// fragment, a directive on a list, another field). A list service may then read only
/// the columns of those fields: nothing else of the rows is resolved.
pub fn flat_node_fields<'s, T: FlatFields>(set: &'s SelectionSet) -> Option<Vec<&'s str>> {
    let mut fields = Vec::new();
    let mut add = |node: &'s SelectionSet| {
        fields.extend(node.items.iter().filter_map(|s| match &s.node {
            Selection::Field(f) => Some(f.node.name.node.as_str()),
            _ => None,
        }))
    };
    for s in &set.items {
        let Selection::Field(f) = &s.node else {
            return None;
        };
        let f = &f.node;
        match f.name.node.as_str() {
            "totalCount" | "totalCountCapped" | "pageInfo" | "__typename" => {}
            "edges" if f.directives.is_empty() && edges_are_flat::<T>(&f.selection_set.node) => {
                for e in &f.selection_set.node.items {
                    if let Selection::Field(e) = &e.node {
                        if e.node.name.node == "node" {
                            add(&e.node.selection_set.node);
                        }
                    }
                }
            }
            "nodes" if f.directives.is_empty() && is_flat(&f.selection_set.node, T::FLAT) => {
                add(&f.selection_set.node)
            }
            _ => return None,
        }
    }
    fields.retain(|f| *f != "__typename");
    fields.sort_unstable();
    fields.dedup();
    Some(fields)
}

/// The pages of one request written as JSON text by the flat loop. async-graphql's
/// values have no variant for ready JSON, so each page travels through its executor
/// as a `Value::Binary` of the text, registered here; the HTTP layer writes the
/// response with [`RawJson::formatter`], which copies a registered buffer as it is
/// and writes any other binary value as `serde_json` always does (an array of
/// numbers). Without a `RawJson` in the request's data, pages take the executor's
/// path.
#[derive(Clone, Default)]
pub struct RawJson(std::sync::Arc<std::sync::Mutex<Vec<bytes::Bytes>>>);

impl RawJson {
    fn pages(&self) -> std::sync::MutexGuard<'_, Vec<bytes::Bytes>> {
        // A panic elsewhere while holding the lock: the pages stay usable.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn register(&self, text: Vec<u8>) -> Value {
        let bytes = bytes::Bytes::from(text);
        self.pages().push(bytes.clone());
        Value::Binary(bytes)
    }

    /// A `serde_json` formatter for this request's response (compact, as
    /// `serde_json::to_vec` writes it).
    pub fn formatter(&self) -> RawJsonFormatter {
        RawJsonFormatter {
            pages: self.pages().clone(),
        }
    }
}

/// See [`RawJson::formatter`].
pub struct RawJsonFormatter {
    pages: Vec<bytes::Bytes>,
}

impl RawJsonFormatter {
    /// The pages' length in all: what they add to the response.
    pub fn len(&self) -> usize {
        self.pages.iter().map(|p| p.len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.pages.is_empty()
    }
}

impl serde_json::ser::Formatter for RawJsonFormatter {
    fn write_byte_array<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        value: &[u8],
    ) -> std::io::Result<()> {
        // The same buffer (not merely the same bytes): a page this request wrote.
        let page = self
            .pages
            .iter()
            .any(|p| p.as_ptr() == value.as_ptr() && p.len() == value.len());
        if page {
            writer.write_all(value)
        } else {
            serde_json::ser::CompactFormatter.write_byte_array(writer, value)
        }
    }
}

/// The response key of each field of a flat selection, for the fields the object
/// answers: a repeated key is answered by its first field, as the executor does.
/// Response keys are GraphQL names (`[_A-Za-z][_0-9A-Za-z]*`): no escaping needed.
fn write_key(out: &mut Vec<u8>, first: bool, key: &str) {
    if !first {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

/// One object of a flat selection as JSON, built as async-graphql's executor builds
/// it: the fields in selection order, the first value of a repeated response key
/// kept, a field's error recorded on the request with the field left out, and null
/// when no field is left.
struct JsonObject<'k> {
    start: usize,
    keys: Vec<&'k str>,
}

impl<'k> JsonObject<'k> {
    fn begin(out: &mut Vec<u8>, keys: Vec<&'k str>) -> JsonObject<'k> {
        let start = out.len();
        out.push(b'{');
        JsonObject { start, keys }
    }

    /// Whether `key` is still to be answered.
    fn open(&self, key: &str) -> bool {
        !self.keys.contains(&key)
    }

    /// The key, before its value is written; [`JsonObject::retract`] takes it back.
    fn key(&mut self, out: &mut Vec<u8>, key: &'k str) -> usize {
        let at = out.len();
        write_key(out, self.keys.is_empty(), key);
        self.keys.push(key);
        at
    }

    fn retract(&mut self, out: &mut Vec<u8>, at: usize) {
        out.truncate(at);
        self.keys.pop();
    }

    /// Closes the object and hands back its list of keys for the next one.
    fn end(mut self, out: &mut Vec<u8>) -> Vec<&'k str> {
        if self.keys.is_empty() {
            out.truncate(self.start);
            out.extend_from_slice(b"null");
        } else {
            out.push(b'}');
        }
        self.keys.clear();
        self.keys
    }
}

/// One field of `item` by its own resolver (`__typename` by its type), written after
/// its key; the key taken back when the field failed (its error recorded on the
/// request).
async fn write_field<'k, T: ContainerType>(
    ctx: &ContextSelectionSet<'_>,
    item: &T,
    field: &'k Positioned<Field>,
    object: &mut JsonObject<'k>,
    out: &mut Vec<u8>,
) {
    let key = field.node.response_key().node.as_str();
    if field.node.name.node == "__typename" {
        object.key(out, key);
        write_json(&*item.introspection_type_name(), out);
        return;
    }
    match item.resolve_field(&ctx.with_field(field)).await {
        Ok(v) => {
            object.key(out, key);
            write_json(&v.unwrap_or_default(), out);
        }
        Err(e) => ctx.add_error(e),
    }
}

/// Where each selection of a flat object is answered: `Some(i)` for the flat field
/// `FLAT[i]`, worked out once per page rather than once per row.
fn plan<T: FlatFields>(set: &SelectionSet) -> Vec<Option<usize>> {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => T::FLAT.iter().position(|n| *n == f.node.name.node.as_str()),
            _ => None,
        })
        .collect()
}

/// Every field of a flat selection on `item`, one after another, as a JSON object;
/// `items` are the selection's (`ctx`'s), `plan` is its [`plan`], `keys` an empty
/// list to reuse.
async fn write_flat<'k, T: ContainerType + FlatFields>(
    ctx: &ContextSelectionSet<'_>,
    items: &'k [Positioned<Selection>],
    item: &T,
    plan: &[Option<usize>],
    keys: Vec<&'k str>,
    out: &mut Vec<u8>,
) -> Vec<&'k str> {
    let mut object = JsonObject::begin(out, keys);
    for (s, at) in items.iter().zip(plan) {
        let Selection::Field(field) = &s.node else {
            continue;
        };
        let key = field.node.response_key().node.as_str();
        if !object.open(key) {
            continue;
        }
        if let Some(i) = at {
            let mark = object.key(out, key);
            if item.flat_json(&ctx.with_field(field), *i, out) {
                continue;
            }
            object.retract(out, mark);
        }
        write_field(ctx, item, field, &mut object, out).await;
    }
    object.end(out)
}

/// A page's edges as GraphQL sees them (`[XEdge!]!`), written as JSON in one loop
/// when the selection is flat (see [`FlatFields`]).
pub struct Edges<'a, T: OutputType>(&'a [Edge<T>]);

impl<T: OutputType + ContainerType + FlatFields> OutputType for Edges<'_, T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        <&[Edge<T>] as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <&[Edge<T>] as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <&[Edge<T>] as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let raw = ctx.data_opt::<RawJson>();
        let Some(raw) = raw.filter(|_| edges_are_flat::<T>(&ctx.item.node)) else {
            return async_graphql::resolver_utils::resolve_list(
                ctx,
                field,
                self.0.iter(),
                Some(self.0.len()),
            )
            .await;
        };
        // The plan of each `node` selection (there may be several, aliased).
        let plans: Vec<Vec<Option<usize>>> = ctx
            .item
            .node
            .items
            .iter()
            .map(|s| match &s.node {
                Selection::Field(f) if f.node.name.node == "node" => {
                    plan::<T>(&f.node.selection_set.node)
                }
                _ => Vec::new(),
            })
            .collect();
        let mut out = Vec::with_capacity(64 + self.0.len() * 160);
        let mut edge_keys = Vec::new();
        let mut node_keys = Vec::new();
        out.push(b'[');
        for (i, edge) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let ctx_edge = ctx.with_index(i);
            let mut object = JsonObject::begin(&mut out, edge_keys);
            for (s, node_plan) in ctx.item.node.items.iter().zip(&plans) {
                let Selection::Field(f) = &s.node else {
                    continue;
                };
                let key = f.node.response_key().node.as_str();
                if !object.open(key) {
                    continue;
                }
                if f.node.name.node == "node" {
                    object.key(&mut out, key);
                    let ctx_node = ctx_edge.with_field(f);
                    node_keys = write_flat(
                        &ctx_node.with_selection_set(&f.node.selection_set),
                        &f.node.selection_set.node.items,
                        &edge.node,
                        node_plan,
                        node_keys,
                        &mut out,
                    )
                    .await;
                } else {
                    write_field(&ctx_edge, edge, f, &mut object, &mut out).await;
                }
            }
            edge_keys = object.end(&mut out);
        }
        out.push(b']');
        Ok(raw.register(out))
    }
}

/// A page's nodes (`[X!]!`), written as JSON in one loop when the selection is flat.
pub struct Nodes<'a, T: OutputType>(&'a [Edge<T>]);

impl<T: OutputType + ContainerType + FlatFields> OutputType for Nodes<'_, T> {
    fn type_name() -> std::borrow::Cow<'static, str> {
        <&[T] as OutputType>::type_name()
    }

    fn qualified_type_name() -> String {
        <&[T] as OutputType>::qualified_type_name()
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        <&[T] as OutputType>::create_type_info(registry)
    }

    async fn resolve(
        &self,
        ctx: &ContextSelectionSet<'_>,
        field: &Positioned<Field>,
    ) -> ServerResult<Value> {
        let nodes = self.0.iter().map(|e| &e.node);
        let raw = ctx.data_opt::<RawJson>();
        let Some(raw) = raw.filter(|_| is_flat(&ctx.item.node, T::FLAT)) else {
            return async_graphql::resolver_utils::resolve_list(
                ctx,
                field,
                nodes,
                Some(self.0.len()),
            )
            .await;
        };
        let plan = plan::<T>(&ctx.item.node);
        let mut out = Vec::with_capacity(64 + self.0.len() * 140);
        let mut keys = Vec::new();
        out.push(b'[');
        for (i, node) in nodes.enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let items = &ctx.item.node.items;
            keys = write_flat(&ctx.with_index(i), items, node, &plan, keys, &mut out).await;
        }
        out.push(b']');
        Ok(raw.register(out))
    }
}

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
impl<T: OutputType + ContainerType + FlatFields> Connection<T> {
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
    async fn edges(&self) -> Edges<'_, T> {
        Edges(&self.edges)
    }

    /// The page's items, without cursors.
    async fn nodes(&self) -> Nodes<'_, T> {
        Nodes(&self.edges)
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

/// True when the client may read the cursor of every edge (`edges { cursor }`,
/// through fragments too); otherwise only `pageInfo`'s two cursors are read.
pub fn wants_cursors(ctx: &Context<'_>) -> bool {
    ctx.look_ahead().field("edges").field("cursor").exists()
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
        let mut page = crate::pagination::PageRequest::relay(
            paging.first,
            paging.after.as_deref(),
            paging.last,
            paging.before.as_deref(),
        )?;
        page.every_cursor = wants_cursors(ctx);
        let cx = crate::graphql::parts(ctx)?;
        fetch(cx, page, wants_total(ctx)).await
    };
    let (page, total) = run.await.map_err(|e| e.extend())?;
    Ok(from_page(page, total, node))
}

#[cfg(test)]
mod tests {
    /// A page the flat loop registered is copied into the response as it is; any
    /// other binary value — the same bytes in another buffer included — is written
    /// as `serde_json` always writes bytes.
    #[test]
    fn only_registered_pages_are_copied_as_json() {
        use super::RawJson;
        use async_graphql::{Name, Value};
        use serde::Serialize;
        let raw = RawJson::default();
        let page = raw.register(br#"[{"id":"A"}]"#.to_vec());
        let other = Value::Binary(bytes::Bytes::from_static(br#"[{"id":"A"}]"#));
        let data = Value::Object(
            [(Name::new("page"), page), (Name::new("other"), other)]
                .into_iter()
                .collect(),
        );
        let formatter = raw.formatter();
        assert_eq!(formatter.len(), 12);
        let mut out = Vec::new();
        data.serialize(&mut serde_json::Serializer::with_formatter(
            &mut out, formatter,
        ))
        .expect("serialises");
        let text = String::from_utf8(out).expect("UTF-8");
        assert!(
            text.starts_with(r#"{"page":[{"id":"A"}],"other":[91,123,"#),
            "{text}"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(parsed["page"][0]["id"], "A");
    }

    fn snake(camel: &str) -> String {
        let mut out = String::new();
        for c in camel.chars() {
            if c.is_ascii_uppercase() {
                out.push('_');
                out.push(c.to_ascii_lowercase());
            } else {
                out.push(c);
            }
        }
        out
    }

    /// The selection set of `edges` in a document.
    fn edges_selection(q: &str) -> async_graphql::parser::types::SelectionSet {
        use async_graphql::parser::types::{DocumentOperations, Selection};
        let doc = async_graphql::parser::parse_query(q).expect("parses");
        let DocumentOperations::Single(op) = doc.operations else {
            panic!("one operation")
        };
        let Selection::Field(list) = &op.node.selection_set.node.items[0].node else {
            panic!("a field")
        };
        let edges = list
            .node
            .selection_set
            .node
            .items
            .iter()
            .find_map(|s| match &s.node {
                Selection::Field(f) if f.node.name.node == "edges" => Some(f),
                _ => None,
            });
        edges.expect("edges").node.selection_set.node.clone()
    }

    /// Which pages take the loop: only fields of the list (aliased or repeated, with
    /// `__typename` and `cursor`); a directive, a fragment, a nested object or any
    /// other field sends the page through the executor. The end-to-end tests
    /// (`a_flat_page_of_*`) compare the two paths' answers.
    #[test]
    fn flat_selections_are_told_apart() {
        use super::{edges_are_flat, FlatFields};
        use crate::graphql::volunteers::Volunteer;
        assert!(Volunteer::FLAT.contains(&"realName"));
        let flat = |q: &str| edges_are_flat::<Volunteer>(&edges_selection(q));
        assert!(flat(
            "{ v { edges { cursor node { id realName n: realName realName __typename } } } }"
        ));
        assert!(flat("{ v { edges { __typename node { gender } } } }"));
        assert!(!flat("{ v { edges { node { id @include(if: true) } } } }"));
        assert!(!flat(
            "{ v { edges { node { ... on Volunteer { id } } } } }"
        ));
        assert!(!flat("{ v { edges { node { unit { code } } } } }"));
        assert!(!flat("{ v { edges { node { idNumber } } } }"));
        assert!(!flat(
            "{ v { edges { cursor @skip(if: false) node { id } } } }"
        ));
        assert!(!flat(
            "{ v { edges { ...E } } } fragment E on VolunteerEdge { cursor }"
        ));
    }

    /// The node fields a list service may read only the columns of: the union over
    /// `edges` and `nodes` when the whole connection's selection is flat, and none at
    /// all (read everything) when any part of it is not.
    #[test]
    fn flat_node_fields_are_those_of_a_wholly_flat_connection() {
        use super::flat_node_fields;
        use crate::graphql::volunteers::Volunteer;
        let fields = |q: &str| {
            use async_graphql::parser::types::{DocumentOperations, Selection};
            let doc = async_graphql::parser::parse_query(q).expect("parses");
            let DocumentOperations::Single(op) = doc.operations else {
                panic!("one operation")
            };
            let Selection::Field(list) = &op.node.selection_set.node.items[0].node else {
                panic!("a field")
            };
            flat_node_fields::<Volunteer>(&list.node.selection_set.node)
                .map(|f| f.into_iter().map(str::to_owned).collect::<Vec<_>>())
        };
        assert_eq!(
            fields(
                "{ v { totalCount totalCountCapped __typename pageInfo { endCursor ...P }
                   edges { cursor node { realName __typename n: id } }
                   nodes { gender realName } } }
                 fragment P on PageInfo { hasNextPage }"
            ),
            Some(vec!["gender".into(), "id".into(), "realName".into()])
        );
        assert_eq!(fields("{ v { totalCount } }"), Some(vec![]));
        assert_eq!(fields("{ v { edges { cursor } } }"), Some(vec![]));
        // Not flat: a nested object, a personal field, a directive, a fragment.
        assert_eq!(
            fields("{ v { edges { node { id unit { code } } } } }"),
            None
        );
        assert_eq!(fields("{ v { nodes { id phone } } }"), None);
        assert_eq!(
            fields("{ v { edges { node { id } } nodes { idNumber } } }"),
            None
        );
        assert_eq!(fields("{ v { nodes @include(if: true) { id } } }"), None);
        assert_eq!(
            fields("{ v { ... on VolunteerConnection { nodes { id } } } }"),
            None
        );
        assert_eq!(
            fields("{ v { edges { node { ...N } } } } fragment N on Volunteer { id }"),
            None
        );
    }

    /// A field in a `FlatFields` list is resolved one row after another, by calling
    /// its resolver directly, so it must not wait on anything shared by the rows (a
    /// loader) — which needs the context — nor carry attributes the executor would
    /// apply (a guard). This reads each `flat_fields!` list and the type's resolvers:
    /// every listed field is answered by the resolver of its own name, an
    /// `async fn name(&self)` of the type's `#[Object]` block with nothing but a doc
    /// comment above it.
    #[test]
    fn flat_fields_take_nothing_but_self() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/graphql");
        let mut lists = 0;
        let mut wrong = Vec::new();
        for entry in std::fs::read_dir(dir).expect("graphql dir") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("source");
            let mut rest = text.as_str();
            while let Some(at) = rest.find("flat_fields!(") {
                let after = &rest[at + "flat_fields!(".len()..];
                let ty: String = after
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let body = &after[..after.find("});").unwrap_or(0)];
                rest = &after[body.len()..];
                if ty.is_empty() || !body.contains("=>") {
                    continue; // the macro's own definition and uses in docs
                }
                lists += 1;
                let block_start = text
                    .find(&format!("#[Object]\nimpl {ty} {{"))
                    .unwrap_or_else(|| panic!("no #[Object] block for {ty}"));
                let block = &text[block_start..];
                let block = &block[..block.find("\n}\n").unwrap_or(block.len())];
                let pairs: Vec<(String, String)> = body
                    .lines()
                    .filter_map(|l| {
                        let (name, resolver) = l.split_once("=>")?;
                        Some((
                            name.trim().trim_matches('"').to_owned(),
                            resolver.trim().trim_end_matches(',').to_owned(),
                        ))
                    })
                    .collect();
                assert!(!pairs.is_empty(), "{ty}: an empty list");
                for (name, resolver) in pairs {
                    if snake(&name) != resolver {
                        wrong.push(format!("{ty}.{name}: answered by `{resolver}`"));
                    }
                    let sig = format!("async fn {resolver}(&self)");
                    let Some(at) = block.find(&sig) else {
                        wrong.push(format!("{ty}.{name}: no `{sig}`"));
                        continue;
                    };
                    let line = block[..at].rfind('\n').unwrap_or(0);
                    let above = block[..line].trim_end().lines().last().unwrap_or("");
                    if !above.trim_start().starts_with("///") {
                        wrong.push(format!("{ty}.{name}: `{}` above it", above.trim()));
                    }
                }
            }
        }
        assert!(lists >= 2, "found only {lists} flat lists");
        assert!(wrong.is_empty(), "{wrong:?}");
    }

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
