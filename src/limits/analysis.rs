//! Static analysis of an operation before it runs: depth, aliases, root
//! fields, directives and a connection-aware cost, all following fragments
//! (cycles are refused).
//!
//! Cost follows Shopify's model: an object costs 1, a scalar 0; a connection
//! (a field taking `first`) costs its page size (`first`, or 20 when absent)
//! times its children, so `first: 100` nested three deep is priced honestly.
//! The Relay wrappers `edges` and `pageInfo` cost nothing themselves (each
//! `node` is an object and costs 1).

use std::collections::HashSet;

use async_graphql::{
    Name, Positioned, Value, Variables,
    parser::types::{
        DocumentOperations, ExecutableDocument, OperationDefinition, Selection, SelectionSet,
    },
};

use crate::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};

/// What an operation asks for.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    pub depth: usize,
    pub aliases: usize,
    pub root_fields: usize,
    pub directives: usize,
    pub cost: u64,
    /// Only `__schema`/`__type`/`__typename` at the root: exempt from depth
    /// and cost, so GraphiQL and codegen work.
    pub introspection: bool,
}

/// Why an operation could not be analysed.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A fragment spreads itself, directly or not.
    FragmentCycle(String),
}

pub const WRAPPERS: &[&str] = &["edges", "pageInfo"];
const INTROSPECTION: &[&str] = &["__schema", "__type", "__typename"];

/// The operation a request runs, if it can be told.
pub fn operation<'a>(
    document: &'a ExecutableDocument,
    name: Option<&str>,
) -> Option<&'a Positioned<OperationDefinition>> {
    match (&document.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next(),
        _ => None,
    }
}

/// Analyses the operation `name` of `document` with `variables`.
pub fn analyse(
    document: &ExecutableDocument,
    name: Option<&str>,
    variables: &Variables,
) -> Result<Option<Analysis>, Refusal> {
    let Some(operation) = operation(document, name) else {
        return Ok(None);
    };
    let mut walker = Walker {
        document,
        variables,
        analysis: Analysis::default(),
        spreading: HashSet::new(),
    };
    walker.analysis.directives += operation.node.directives.len();
    let roots = walker.root_names(&operation.node.selection_set)?;
    walker.analysis.root_fields = roots.len();
    walker.analysis.introspection =
        !roots.is_empty() && roots.iter().all(|r| INTROSPECTION.contains(&r.as_str()));
    walker.analysis.cost = walker.walk(&operation.node.selection_set, 1)?;
    Ok(Some(walker.analysis))
}

struct Walker<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    analysis: Analysis,
    /// Fragments being expanded on the current path, to catch cycles.
    spreading: HashSet<Name>,
}

impl<'a> Walker<'a> {
    /// The root field names, through fragments.
    fn root_names(&mut self, set: &'a Positioned<SelectionSet>) -> Result<Vec<Name>, Refusal> {
        let mut names = Vec::new();
        for item in &set.node.items {
            match &item.node {
                Selection::Field(field) => names.push(field.node.name.node.clone()),
                Selection::InlineFragment(inline) => {
                    names.extend(self.root_names(&inline.node.selection_set)?)
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if !self.spreading.insert(name.clone()) {
                        return Err(Refusal::FragmentCycle(name.to_string()));
                    }
                    if let Some(fragment) = self.document.fragments.get(name) {
                        names.extend(self.root_names(&fragment.node.selection_set)?);
                    }
                    self.spreading.remove(name);
                }
            }
        }
        Ok(names)
    }

    /// The cost of a selection set at `depth`, counting depth, aliases and
    /// directives on the way.
    fn walk(&mut self, set: &'a Positioned<SelectionSet>, depth: usize) -> Result<u64, Refusal> {
        let mut cost: u64 = 0;
        for item in &set.node.items {
            self.analysis.directives += match &item.node {
                Selection::Field(f) => f.node.directives.len(),
                Selection::InlineFragment(f) => f.node.directives.len(),
                Selection::FragmentSpread(f) => f.node.directives.len(),
            };
            let item_cost = match &item.node {
                Selection::Field(field) => {
                    let field = &field.node;
                    if field.alias.is_some() {
                        self.analysis.aliases += 1;
                    }
                    if field.selection_set.node.items.is_empty() {
                        self.analysis.depth = self.analysis.depth.max(depth);
                        0
                    } else {
                        let children = self.walk(&field.selection_set, depth + 1)?;
                        let own = u64::from(!WRAPPERS.contains(&field.name.node.as_str()));
                        match self.page_size(field) {
                            Some(first) => own.saturating_add(first.saturating_mul(children)),
                            None => own.saturating_add(children),
                        }
                    }
                }
                Selection::InlineFragment(inline) => {
                    self.walk(&inline.node.selection_set, depth)?
                }
                Selection::FragmentSpread(spread) => {
                    let name = &spread.node.fragment_name.node;
                    if !self.spreading.insert(name.clone()) {
                        return Err(Refusal::FragmentCycle(name.to_string()));
                    }
                    let cost = match self.document.fragments.get(name) {
                        Some(fragment) => self.walk(&fragment.node.selection_set, depth)?,
                        None => 0,
                    };
                    self.spreading.remove(name);
                    cost
                }
            };
            cost = cost.saturating_add(item_cost);
        }
        Ok(cost)
    }

    /// The page size of a connection field (one given `first`, or selecting
    /// `edges`): `first`, 20 when absent or null, 100 when it cannot be read
    /// (it will be refused).
    fn page_size(&self, field: &async_graphql::parser::types::Field) -> Option<u64> {
        let Some((_, value)) = field
            .arguments
            .iter()
            .find(|(name, _)| name.node == "first")
        else {
            let edges = field.selection_set.node.items.iter().any(
                |item| matches!(&item.node, Selection::Field(f) if f.node.name.node == "edges"),
            );
            return edges.then_some(DEFAULT_PAGE_SIZE);
        };
        let value = value.node.clone().into_const_with(|name| {
            Ok::<_, std::convert::Infallible>(
                self.variables.get(&name).cloned().unwrap_or(Value::Null),
            )
        });
        Some(match value {
            Ok(Value::Null) => DEFAULT_PAGE_SIZE,
            Ok(Value::Number(n)) => n
                .as_u64()
                .map_or(MAX_PAGE_SIZE, |n| n.clamp(1, MAX_PAGE_SIZE)),
            _ => MAX_PAGE_SIZE,
        })
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::parse_query;

    use super::*;

    fn analysed(query: &str) -> Analysis {
        analyse(&parse_query(query).unwrap(), None, &Variables::default())
            .unwrap()
            .unwrap()
    }

    #[test]
    fn connections_cost_their_page_times_their_children() {
        let q2 = "{ products(first: 50) { edges { node { id name reviews(first: 5) { edges { node { rating author { displayName } } } } } } } }";
        assert_eq!(analysed(q2).cost, 1 + 50 * (1 + (1 + 5 * (1 + 1))));
        let q1 = "{ orders(first: 50) { edges { node { id customer { id } items { quantity product { id } } } } } }";
        assert_eq!(analysed(q1).cost, 1 + 50 * (1 + 1 + (1 + 1)));
        let default_page = "{ products { edges { node { id } } } }";
        assert_eq!(analysed(default_page).cost, 1 + 20);
        let deep = "{ products(first: 100) { edges { node { reviews(first: 100) { edges { node { author { reviews(first: 100) { edges { node { rating } } } } } } } } } } }";
        assert!(analysed(deep).cost > 1_000_000);
    }

    #[test]
    fn depth_aliases_roots_and_directives_are_counted_through_fragments() {
        let query = "query { a: products { ...F } b: products @include(if: true) { ...F } } fragment F on ProductConnection { edges { node { reviews { edges { node { id } } } } } }";
        let analysis = analysed(query);
        assert_eq!(analysis.aliases, 2);
        assert_eq!(analysis.root_fields, 2);
        assert_eq!(analysis.directives, 1);
        assert_eq!(analysis.depth, 7);
        assert!(!analysis.introspection);
        assert!(analysed("{ __schema { types { name } } }").introspection);
    }

    #[test]
    fn fragment_cycles_are_refused() {
        let query = "{ products { ...A } } fragment A on ProductConnection { ...B } fragment B on ProductConnection { ...A }";
        let document = parse_query(query).unwrap();
        assert!(matches!(
            analyse(&document, None, &Variables::default()),
            Err(Refusal::FragmentCycle(_))
        ));
    }
}
