//! Relations of reviews paged per parent (see `graphql::paged`).

use std::collections::HashMap;

use entity::reviews;
use sea_orm::{DatabaseConnection, DbErr};
use uuid::Uuid;

use super::service;
use crate::{graphql::paged::PagedRelation, paging::PageArgs};

/// A product's reviews, newest first.
pub struct ReviewsByProduct;

impl PagedRelation for ReviewsByProduct {
    type Row = reviews::Model;

    async fn pages(
        db: &DatabaseConnection,
        parents: &[Uuid],
        page: &PageArgs,
    ) -> Result<HashMap<Uuid, Vec<reviews::Model>>, DbErr> {
        service::pages_by_product(db, parents, page).await
    }
}

/// An author's reviews, newest first.
pub struct ReviewsByAuthor;

impl PagedRelation for ReviewsByAuthor {
    type Row = reviews::Model;

    async fn pages(
        db: &DatabaseConnection,
        parents: &[Uuid],
        page: &PageArgs,
    ) -> Result<HashMap<Uuid, Vec<reviews::Model>>, DbErr> {
        service::pages_by_author(db, parents, page).await
    }
}
