//! "The first N rows of each parent" in one statement, for every has-many
//! connection with a per-parent page.
//!
//! PostgreSQL reads each parent's page straight off its
//! `(parent, created_at DESC, id …)` index: a `LATERAL` subquery with a
//! `LIMIT`, once per element of the parents' array. It reads only the rows it
//! returns, where numbering every child of every parent with a window
//! function (and sorting them) cost Q2's reviews page four to seven times as
//! much; and one array parameter keeps the statement's text (and its prepared
//! plan) the same whatever the number of parents. SQLite has no `LATERAL`:
//! there a window function numbers each parent's rows newest first and the
//! outer query keeps the first `limit` of each. Both answer the same rows.

use std::collections::HashMap;

use entity::{ByPosition, Positional};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, DbErr, EntityTrait, FromQueryResult, Iterable,
    ModelTrait, Order, Value,
    sea_query::{
        Alias, Condition, Expr, ExprTrait, Func, JoinType, Query, SelectStatement, WindowStatement,
    },
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
    /// parent. The rows decode by position: the entity's columns.
    pub async fn pages(
        &self,
        db: &impl ConnectionTrait,
        parents: &[Uuid],
        page: &PageArgs,
    ) -> Result<HashMap<Uuid, Vec<E::Model>>, DbErr>
    where
        E::Model: Positional,
    {
        let after = self.after(page)?;
        let backend = db.get_database_backend();
        let query = match backend {
            DbBackend::Postgres => self.lateral(parents, page, after),
            _ => self.windowed(parents, page, after),
        };
        let rows = ByPosition::<E::Model>::find_by_statement(backend.build(&query))
            .all(db)
            .await?;
        let mut pages: HashMap<Uuid, Vec<E::Model>> = HashMap::new();
        for ByPosition(row) in rows {
            let Value::Uuid(Some(parent)) = row.get(self.parent) else {
                return Err(DbErr::Custom("a parent column is not a uuid".into()));
            };
            pages.entry(parent).or_default().push(row);
        }
        Ok(pages)
    }

    /// The children past the page's cursor, if it has one.
    fn after(&self, page: &PageArgs) -> Result<Option<Condition>, DbErr> {
        page.after
            .map(|after| {
                let at = after.time().map_err(|e| DbErr::Custom(e.to_string()))?;
                Ok(keyset::after(self.created_at, self.id, at, after.id, true))
            })
            .transpose()
    }

    /// PostgreSQL: `unnest($parents) AS parent JOIN LATERAL (the parent's
    /// children newest first, LIMIT n) AS page`. No outer `ORDER BY`: a
    /// lateral subquery can only be joined by a nested loop, which yields
    /// each parent's rows in the subquery's order, and rows are grouped by
    /// parent afterwards.
    fn lateral(
        &self,
        parents: &[Uuid],
        page: &PageArgs,
        after: Option<Condition>,
    ) -> SelectStatement {
        let (parent, children) = (Alias::new("parent"), Alias::new("page"));
        let mut inner = Query::select();
        inner
            .columns(E::Column::iter())
            .from(self.entity)
            .and_where(
                Expr::col((self.entity, self.parent)).equals((parent.clone(), parent.clone())),
            );
        if let Some(after) = after {
            inner.cond_where(after);
        }
        inner
            .order_by(self.created_at, Order::Desc)
            .order_by(self.id, Order::Desc)
            .limit(page.fetch_limit());
        Query::select()
            .columns(E::Column::iter().map(|c| (children.clone(), c)))
            .from_function(Func::cust("unnest").arg(parents.to_vec()), parent)
            .join_lateral(
                JoinType::InnerJoin,
                inner.take(),
                children,
                Condition::all(),
            )
            .to_owned()
    }

    /// SQLite: every child of the parents numbered newest first by a window
    /// function, the first `limit` of each kept.
    fn windowed(
        &self,
        parents: &[Uuid],
        page: &PageArgs,
        after: Option<Condition>,
    ) -> SelectStatement {
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
        if let Some(after) = after {
            inner.cond_where(after);
        }
        let ranked = Alias::new("ranked");
        Query::select()
            .columns(E::Column::iter().map(|c| (ranked.clone(), c)))
            .from_subquery(inner.take(), ranked.clone())
            .and_where(Expr::col((ranked.clone(), Alias::new("rn"))).lte(page.fetch_limit()))
            .order_by((ranked.clone(), self.created_at), Order::Desc)
            .order_by((ranked, self.id), Order::Desc)
            .to_owned()
    }
}
