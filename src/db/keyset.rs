//! Keyset pagination conditions: "rows after (key, id) in this order".

use std::{collections::HashMap, hash::Hash};

use sea_orm::{
    ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect, Select, Value,
};
use uuid::Uuid;

use crate::{error::Result, paging::PageArgs};

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

/// One page (plus one row) of `query` newest first: ordered by
/// `(created_at, id)` descending, after the page's cursor.
pub fn newest_first<E: EntityTrait>(
    query: Select<E>,
    created_at: E::Column,
    id: E::Column,
    page: &PageArgs,
) -> Result<Select<E>> {
    let query = match page.after {
        Some(after) => query.filter(self::after(created_at, id, after.time()?, after.id, true)),
        None => query,
    };
    Ok(query
        .order_by(created_at, Order::Desc)
        .order_by(id, Order::Desc)
        .limit(page.fetch_limit()))
}

/// Rows grouped by parent, with an (empty) entry for every parent asked for,
/// so that a loader answers every key and the answer is cached.
pub fn group_by_parent<K, V>(
    parents: &[K],
    rows: Vec<V>,
    parent: impl Fn(&V) -> K,
) -> HashMap<K, Vec<V>>
where
    K: Hash + Eq + Clone,
{
    let mut groups: HashMap<K, Vec<V>> = parents.iter().map(|k| (k.clone(), Vec::new())).collect();
    for row in rows {
        groups.entry(parent(&row)).or_default().push(row);
    }
    groups
}
