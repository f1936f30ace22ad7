//! "The first N rows of each parent" in one statement: a window function
//! numbers each parent's rows newest first, the outer query keeps the first
//! `limit` of each. Used for every has-many connection with a per-parent page.

use std::collections::HashMap;

use entity::{ByPosition, Positional};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbErr, EntityTrait, FromQueryResult, Iterable, Order,
    sea_query::{Alias, Expr, ExprTrait, Query, WindowStatement},
};
use uuid::Uuid;

use super::keyset;
use crate::paging::PageArgs;

/// How to page one has-many relation: the parent column and the
/// `(created_at, id)` columns that order children newest first.
pub struct Relation<E: EntityTrait> {
    pub entity: E,
    pub parent: E::Column,
    pub created_at: E::Column,
    pub id: E::Column,
}

impl<E: EntityTrait> Relation<E> {
    /// A page (plus one row) of each parent's children, newest first, keyed by
    /// parent.
    /// The rows decode by position: the entity's columns.
    pub async fn pages(
        &self,
        db: &impl ConnectionTrait,
        parents: &[Uuid],
        page: &PageArgs,
        parent_of: impl Fn(&E::Model) -> Uuid,
    ) -> Result<HashMap<Uuid, Vec<E::Model>>, DbErr>
    where
        E::Model: Positional,
    {
        let mut inner = Query::select();
        inner
            .columns(E::Column::iter())
            .expr_window_as(
                Expr::cust("ROW_NUMBER()"),
                WindowStatement::partition_by(self.parent)
                    .order_by(self.created_at, Order::Desc)
                    .order_by(self.id, Order::Desc)
                    .take(),
                Alias::new("rn"),
            )
            .from(self.entity)
            .and_where(self.parent.is_in(parents.iter().copied()));
        if let Some(after) = page.after {
            let at = after.time().map_err(|e| DbErr::Custom(e.to_string()))?;
            inner.cond_where(keyset::after(self.created_at, self.id, at, after.id, true));
        }
        let ranked = Alias::new("ranked");
        let outer = Query::select()
            .columns(E::Column::iter().map(|c| (ranked.clone(), c)))
            .from_subquery(inner, ranked.clone())
            .and_where(Expr::col((ranked.clone(), Alias::new("rn"))).lte(page.fetch_limit()))
            .order_by((ranked.clone(), self.created_at), Order::Desc)
            .order_by((ranked, self.id), Order::Desc)
            .to_owned();
        let statement = db.get_database_backend().build(&outer);
        let rows = ByPosition::<E::Model>::find_by_statement(statement)
            .all(db)
            .await?;
        let mut pages: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
        for ByPosition(row) in rows {
            pages.entry(parent_of(&row)).or_default().push(row);
        }
        Ok(pages)
    }
}
