//! Subtree conditions: a unit's subtree is one contiguous range of codes, so any table
//! that stores its row's unit code can be restricted to a subtree with an index range.

use policies::UnitCode;
use sea_orm::{ColumnTrait, Condition};

/// Rows whose unit (in `col`) is `code` or lies below it.
pub fn subtree<C: ColumnTrait>(col: C, code: &UnitCode) -> Condition {
    let cond = Condition::all().add(col.gte(code.as_str()));
    match code.subtree_upper_bound() {
        Some(ub) => cond.add(col.lt(ub)),
        None => cond,
    }
}

/// Rows strictly below `code`.
pub fn descendants<C: ColumnTrait>(col: C, code: &UnitCode) -> Condition {
    subtree(col, code).add(col.ne(code.as_str()))
}
