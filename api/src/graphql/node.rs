//! Opaque global IDs and the `Node` interface.

use async_graphql::{Context, ErrorExtensions, Interface, Object, ID};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sea_orm::DatabaseConnection;

use crate::error::ServiceError;
use crate::graphql::units::Unit;
use crate::services::units;

/// The kinds of record `node(id)` can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Unit,
}

impl NodeKind {
    fn tag(self) -> &'static str {
        match self {
            NodeKind::Unit => "Unit",
        }
    }

    fn from_tag(tag: &str) -> Option<NodeKind> {
        match tag {
            "Unit" => Some(NodeKind::Unit),
            _ => None,
        }
    }
}

pub fn global_id(kind: NodeKind, id: i64) -> ID {
    ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.tag())))
}

pub fn parse_global_id(id: &str) -> Result<(NodeKind, i64), ServiceError> {
    URL_SAFE_NO_PAD
        .decode(id)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (tag, raw) = s.split_once(':')?;
            Some((NodeKind::from_tag(tag)?, raw.parse::<i64>().ok()?))
        })
        .ok_or_else(|| ServiceError::bad_input("`id` is not a valid ID"))
}

/// Any record with a global ID.
#[derive(Interface)]
#[graphql(field(name = "id", ty = "ID"))]
pub enum Node {
    Unit(Unit),
}

#[derive(Default)]
pub struct NodeQuery;

#[Object]
impl NodeQuery {
    /// Fetches any record by its global ID. A missing record is NOT_FOUND.
    async fn node(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Node> {
        let db = ctx.data::<DatabaseConnection>()?;
        let (kind, raw) = parse_global_id(&id).map_err(|e| e.extend())?;
        match kind {
            NodeKind::Unit => units::by_id(db, raw)
                .await
                .map_err(|e| e.extend())?
                .map(|u| Node::Unit(Unit(u)))
                .ok_or_else(|| ServiceError::NotFound("node").extend()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_reject_garbage() {
        let id = global_id(NodeKind::Unit, 42);
        assert_eq!(parse_global_id(&id).unwrap(), (NodeKind::Unit, 42));
        for bad in ["", "42", "VW5pdDo", "!!", &URL_SAFE_NO_PAD.encode("Nope:1")] {
            assert!(parse_global_id(bad).is_err(), "{bad}");
        }
    }
}
