//! Donors, as donations and pledges share them: the name and contact kept (none for
//! an anonymous donor), shown masked unless the caller holds
//! `donation.read_personal` at the record's unit (and then audited), and the bounds
//! of an amount of money.

use policies::{Action, Resource, UnitCode};

use crate::codes::mask_name;
use crate::error::{Reason, ServiceResult};
use crate::services::audit::{self, Entry};
use crate::services::Ctx;
use entity::kinds::DonorKind;

/// The most any amount may be: ¥100,000,000, in fen.
pub const MAX_AMOUNT_FEN: i64 = 100_000_000 * 100;

/// The donor as the caller may see it.
pub struct Donor {
    /// The name, masked (`王*明`) without `donation.read_personal`; "匿名" for an
    /// anonymous donor.
    pub name: String,
    pub contact: Option<String>,
    pub masked: bool,
}

/// An amount of money: more than nothing, at most [`MAX_AMOUNT_FEN`].
pub(super) fn amount(arg: &str, fen: i64) -> ServiceResult<i64> {
    if !(1..=MAX_AMOUNT_FEN).contains(&fen) {
        return Err(Reason::OUT_OF_RANGE
            .at(arg.to_owned())
            .arg("min", 1)
            .arg("max", MAX_AMOUNT_FEN)
            .into());
    }
    Ok(fen)
}

/// The donor's name and contact to keep: none for an anonymous donor.
pub(super) fn donor_fields(
    kind: DonorKind,
    name: Option<&str>,
    contact: Option<&str>,
) -> ServiceResult<(Option<String>, Option<String>)> {
    if kind == DonorKind::Anonymous {
        return Ok((None, None));
    }
    let name = super::required_text("donorName", name.unwrap_or(""), 100)?;
    let contact = super::optional_text("donorContact", contact, 100)?;
    Ok((Some(name), contact))
}

/// A donor's name and contact as the caller may see them (shared by donations and
/// pledges): the full read needs `donation.read_personal` and is audited.
pub(super) async fn reveal(
    cx: &Ctx,
    unit: &UnitCode,
    (thing, id): (&'static str, i64),
    name: Option<&str>,
    contact: Option<&str>,
) -> ServiceResult<Donor> {
    let Some(name) = name else {
        return Ok(Donor {
            name: "匿名".into(),
            contact: None,
            masked: false,
        });
    };
    let open = cx
        .access()
        .check(Resource::Donation, Action::ReadPersonal, unit)?
        .allowed();
    if !open {
        return Ok(Donor {
            name: mask_name(name),
            contact: contact.map(|_| "***".to_owned()),
            masked: true,
        });
    }
    let action = format!("{thing}.read_personal");
    audit::log(cx.db(), cx, Entry::new(&action, unit).target(thing, id)).await?;
    Ok(Donor {
        name: name.to_owned(),
        contact: contact.map(str::to_owned),
        masked: false,
    })
}
