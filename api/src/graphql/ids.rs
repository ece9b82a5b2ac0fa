//! Opaque global IDs (`base64("Kind:id")`): every record type names its own with
//! [`global_id`], and inputs are read back with [`id_of`] and friends.

use async_graphql::ID;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use crate::error::{Reason, ServiceError};

/// The kinds of record `node(id)` can return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeKind {
    Unit,
    User,
    RoleAssignment,
    AuditEntry,
    Organization,
    Station,
    Volunteer,
    Team,
    Project,
    Activity,
    Signup,
    ServiceRecord,
    StarNomination,
    Certificate,
    VolunteerMove,
    Fund,
    Donation,
    Disbursement,
    Campaign,
    Pledge,
    DisclosureReport,
    HelpRequest,
    TeamApplication,
    TimeAccount,
    Household,
    StockItem,
    StockMove,
}

impl NodeKind {
    const ALL: [NodeKind; 27] = [
        NodeKind::Unit,
        NodeKind::User,
        NodeKind::RoleAssignment,
        NodeKind::AuditEntry,
        NodeKind::Organization,
        NodeKind::Station,
        NodeKind::Volunteer,
        NodeKind::Team,
        NodeKind::Project,
        NodeKind::Activity,
        NodeKind::Signup,
        NodeKind::ServiceRecord,
        NodeKind::StarNomination,
        NodeKind::Certificate,
        NodeKind::VolunteerMove,
        NodeKind::Fund,
        NodeKind::Donation,
        NodeKind::Disbursement,
        NodeKind::Campaign,
        NodeKind::Pledge,
        NodeKind::DisclosureReport,
        NodeKind::HelpRequest,
        NodeKind::TeamApplication,
        NodeKind::TimeAccount,
        NodeKind::Household,
        NodeKind::StockItem,
        NodeKind::StockMove,
    ];

    fn tag(self) -> &'static str {
        match self {
            NodeKind::Unit => "Unit",
            NodeKind::User => "User",
            NodeKind::RoleAssignment => "RoleAssignment",
            NodeKind::AuditEntry => "AuditEntry",
            NodeKind::Organization => "Organization",
            NodeKind::Station => "Station",
            NodeKind::Volunteer => "Volunteer",
            NodeKind::Team => "Team",
            NodeKind::Project => "Project",
            NodeKind::Activity => "Activity",
            NodeKind::Signup => "Signup",
            NodeKind::ServiceRecord => "ServiceRecord",
            NodeKind::StarNomination => "StarNomination",
            NodeKind::Certificate => "Certificate",
            NodeKind::VolunteerMove => "VolunteerMove",
            NodeKind::Fund => "Fund",
            NodeKind::Donation => "Donation",
            NodeKind::Disbursement => "Disbursement",
            NodeKind::Campaign => "Campaign",
            NodeKind::Pledge => "Pledge",
            NodeKind::DisclosureReport => "DisclosureReport",
            NodeKind::HelpRequest => "HelpRequest",
            NodeKind::TeamApplication => "TeamApplication",
            NodeKind::TimeAccount => "TimeAccount",
            NodeKind::Household => "Household",
            NodeKind::StockItem => "StockItem",
            NodeKind::StockMove => "StockMove",
        }
    }

    fn from_tag(tag: &str) -> Option<NodeKind> {
        NodeKind::ALL.into_iter().find(|k| k.tag() == tag)
    }
}

pub fn global_id(kind: NodeKind, id: i64) -> ID {
    // Put together on the stack and encoded into one allocation: a page of 100 rows
    // makes 100 of these ("DisclosureReport:" and an i64: 37 bytes at most), and
    // `write!` through `fmt` was half of their cost.
    let tag = kind.tag().as_bytes();
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(id).as_bytes();
    let mut plain = [0u8; 48];
    let len = tag.len() + 1 + digits.len();
    match plain.get_mut(..len) {
        Some(out) => {
            out[..tag.len()].copy_from_slice(tag);
            out[tag.len()] = b':';
            out[tag.len() + 1..].copy_from_slice(digits);
            ID(URL_SAFE_NO_PAD.encode(out))
        }
        None => ID(URL_SAFE_NO_PAD.encode(format!("{}:{id}", kind.tag()))),
    }
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
        .ok_or_else(|| Reason::INVALID_ID.arg("value", id).into())
}

/// The numeric id inside a global ID, which must name a `kind` record.
pub(crate) fn id_of(kind: NodeKind, id: &ID) -> Result<i64, ServiceError> {
    match parse_global_id(id)? {
        (k, raw) if k == kind => Ok(raw),
        _ => Err(Reason::WRONG_KIND_OF_ID.arg("value", id.as_str()).into()),
    }
}

/// An optional ID argument, which must name a `kind` record when given.
pub(crate) fn opt_id(kind: NodeKind, id: &Option<ID>) -> Result<Option<i64>, ServiceError> {
    id.as_ref().map(|id| id_of(kind, id)).transpose()
}

/// A clearable ID input: left out, `null` or an ID of `kind`.
pub(crate) fn maybe_id(
    kind: NodeKind,
    v: async_graphql::MaybeUndefined<ID>,
) -> Result<Option<Option<i64>>, ServiceError> {
    crate::graphql::maybe(v)
        .map(|v| v.map(|id| id_of(kind, &id)).transpose())
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_round_trip_and_reject_garbage() {
        let id = global_id(NodeKind::Unit, 42);
        assert_eq!(parse_global_id(&id).unwrap(), (NodeKind::Unit, 42));
        for kind in NodeKind::ALL {
            for n in [0, 7, -1, i64::MIN, i64::MAX] {
                let id = global_id(kind, n);
                assert_eq!(id.0, URL_SAFE_NO_PAD.encode(format!("{}:{n}", kind.tag())));
                assert_eq!(parse_global_id(&id).unwrap(), (kind, n));
            }
        }
        for bad in ["", "42", "VW5pdDo", "!!", &URL_SAFE_NO_PAD.encode("Nope:1")] {
            assert!(parse_global_id(bad).is_err(), "{bad}");
        }
    }
}
