//! Keyset pagination conditions: "rows after (key, id) in this order".

use sea_orm::{ColumnTrait, Condition, Value};
use uuid::Uuid;

/// Rows strictly after the row `(key, id)` when ordered by `(key_col, id_col)`
/// both ascending or both descending.
pub fn after<C: ColumnTrait>(
    key_col: C,
    id_col: C,
    key: impl Into<Value>,
    id: Uuid,
    descending: bool,
) -> Condition {
    let key = key.into();
    let (past_key, past_id) = if descending {
        (key_col.lt(key.clone()), id_col.lt(id))
    } else {
        (key_col.gt(key.clone()), id_col.gt(id))
    };
    Condition::any()
        .add(past_key)
        .add(Condition::all().add(key_col.eq(key)).add(past_id))
}
