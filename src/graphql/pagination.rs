//! Relay connections: a page of rows as edges with opaque cursors (see
//! `paging` for the arguments and the cursors themselves).

use async_graphql::{ComplexObject, Context, Lookahead, OutputType, SimpleObject};

use crate::{
    accounts::User,
    catalog::Product,
    error::Result,
    orders::Order,
    paging::{Cursor, PageArgs},
    reviews::Review,
};

/// The paging arguments of the connection field being resolved.
pub fn page_of(
    ctx: &Context<'_>,
    first: Option<i32>,
    after: Option<&str>,
    tag: &str,
) -> Result<PageArgs> {
    Ok(PageArgs::parse(first, after, tag)?.peeking(asks_next_page(&ctx.look_ahead())))
}

/// Whether `connection` (a connection's selection) asks whether a next page
/// exists: only then is a row read past the page.
pub fn asks_next_page(connection: &Lookahead<'_>) -> bool {
    connection.field("pageInfo").field("hasNextPage").exists()
}

/// Information to continue paging.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct PageInfo {
    /// Whether more items follow this page.
    pub has_next_page: bool,
    /// Whether items precede this page (true when `after` was given).
    pub has_previous_page: bool,
    /// Positions of the first and last edges; encoded only when selected.
    #[graphql(skip)]
    pub ends: Option<(Cursor, Cursor)>,
    /// The list and ordering the positions belong to.
    #[graphql(skip)]
    pub tag: &'static str,
}

#[ComplexObject]
impl PageInfo {
    /// The cursor of the first edge, to page from.
    async fn start_cursor(&self) -> Option<String> {
        self.ends.map(|(start, _)| start.encode(self.tag))
    }

    /// The cursor of the last edge; pass it as `after` to get the next page.
    async fn end_cursor(&self) -> Option<String> {
        self.ends.map(|(_, end)| end.encode(self.tag))
    }
}

/// An item of a page together with its cursor.
#[derive(SimpleObject)]
#[graphql(
    complex,
    serial,
    concrete(name = "OrderEdge", params(Order)),
    concrete(name = "ProductEdge", params(Product)),
    concrete(name = "ReviewEdge", params(Review)),
    concrete(name = "UserEdge", params(User))
)]
pub struct Edge<T: OutputType> {
    /// The item.
    pub node: T,
    /// Where the item is in its list; encoded only when `cursor` is selected.
    #[graphql(skip)]
    pub position: Cursor,
    /// The list and ordering the position belongs to.
    #[graphql(skip)]
    pub tag: &'static str,
}

#[ComplexObject]
impl<T: OutputType> Edge<T> {
    /// Opaque position of this item; pass it as `after` to continue after it.
    async fn cursor(&self) -> String {
        self.position.encode(self.tag)
    }
}

/// One page of a list, in Relay connection form.
#[derive(SimpleObject)]
#[graphql(
    concrete(name = "OrderConnection", params(Order)),
    concrete(name = "ProductConnection", params(Product)),
    concrete(name = "ReviewConnection", params(Review)),
    concrete(name = "UserConnection", params(User))
)]
pub struct Connection<T: OutputType>
where
    Edge<T>: OutputType,
{
    /// The items of this page, in order.
    pub edges: Vec<Edge<T>>,
    /// Whether there is more, and where to continue.
    pub page_info: PageInfo,
}

impl<T: OutputType> Connection<T>
where
    Edge<T>: OutputType,
{
    /// Builds a page from up to `page.fetch_limit()` rows.
    pub fn build<R>(
        mut rows: Vec<R>,
        page: &PageArgs,
        tag: &'static str,
        cursor: impl Fn(&R) -> Cursor,
        node: impl Fn(R) -> T,
    ) -> Self {
        let has_next_page = rows.len() as u64 > page.first;
        rows.truncate(page.first as usize);
        let edges: Vec<Edge<T>> = rows
            .into_iter()
            .map(|row| Edge {
                position: cursor(&row),
                tag,
                node: node(row),
            })
            .collect();
        let page_info = PageInfo {
            has_next_page,
            has_previous_page: page.after.is_some(),
            ends: edges
                .first()
                .zip(edges.last())
                .map(|(first, last)| (first.position, last.position)),
            tag,
        };
        Self { edges, page_info }
    }
}
