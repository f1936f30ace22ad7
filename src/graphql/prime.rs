//! Helpers shared by the domains' priming functions.

use std::collections::{HashMap, HashSet};

use async_graphql::{Lookahead, SelectionField};
use uuid::Uuid;

use crate::{graphql::pagination::asks_next_page, paging::PageArgs};

/// Whether any selection of `node` reads a field not in `answered`: the
/// fields an object answers from what it was built with. A field added to
/// the type later counts as needing more.
pub fn selects_beyond(node: &Lookahead<'_>, answered: &[&str]) -> bool {
    node.selection_fields().iter().any(|object| {
        object
            .selection_set()
            .any(|field| !answered.contains(&field.name()))
    })
}

/// The distinct ids `key` picks from `rows`, in first-seen order.
pub fn unique<R>(rows: &[R], key: impl Fn(&R) -> Uuid) -> Vec<Uuid> {
    let mut seen = HashSet::with_capacity(rows.len());
    rows.iter().map(key).filter(|id| seen.insert(*id)).collect()
}

/// The pages of connection `name` selected under `node`, each with the node
/// selections of the aliases that ask for it, so that aliases of one page
/// share one load. Invalid paging is left for the field's resolver to report.
pub fn pages<'a>(
    node: &Lookahead<'a>,
    name: &str,
    tag: &str,
) -> Vec<(PageArgs, Vec<Lookahead<'a>>)> {
    let mut pages: Vec<(PageArgs, Vec<Lookahead<'a>>)> = Vec::new();
    for field in node.field(name).selection_fields() {
        let Some(page) = page_args(&field, tag) else {
            continue;
        };
        let connection = Lookahead::from(field);
        let page = page.peeking(asks_next_page(&connection));
        let item = connection.field("edges").field("node");
        match pages.iter_mut().find(|(seen, _)| *seen == page) {
            Some((_, items)) => items.push(item),
            None => pages.push((page, vec![item])),
        }
    }
    pages
}

/// The paging arguments of a selected connection field, when they are valid;
/// invalid ones are left for the field's resolver to report.
fn page_args(field: &SelectionField<'_>, tag: &str) -> Option<PageArgs> {
    let arguments = field.arguments().ok()?;
    let mut first = None;
    let mut after = None;
    for (name, value) in &arguments {
        match (name.as_str(), value) {
            ("first", async_graphql::Value::Number(n)) => {
                first = Some(i32::try_from(n.as_i64()?).ok()?)
            }
            ("after", async_graphql::Value::String(s)) => after = Some(s.as_str()),
            ("first" | "after", async_graphql::Value::Null) => {}
            ("first" | "after", _) => return None,
            _ => {}
        }
    }
    PageArgs::parse(first, after, tag).ok()
}

/// Every child row of a to-many load, whatever its parent.
pub fn children<K, V>(by_parent: HashMap<K, Vec<V>>) -> Vec<V> {
    by_parent.into_values().flatten().collect()
}

/// The rows shown of each parent's page: not the one read past it to learn
/// whether a next page exists, whose relations nothing shows.
pub fn shown<K, V>(pages: HashMap<K, Vec<V>>, page: &PageArgs) -> Vec<V> {
    pages
        .into_values()
        .flat_map(|rows| rows.into_iter().take(page.first as usize))
        .collect()
}
