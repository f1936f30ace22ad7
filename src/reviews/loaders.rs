//! Relations of reviews paged per parent (see `graphql::paged`).

use entity::reviews::{Column, Entity};

use crate::{db::window::Relation, graphql::paged::PagedRelation};

/// A product's reviews, newest first.
pub struct ReviewsByProduct;

impl PagedRelation for ReviewsByProduct {
    type Entity = Entity;
    const RELATION: Relation<Entity> = newest_first(Column::ProductId);
}

/// An author's reviews, newest first.
pub struct ReviewsByAuthor;

impl PagedRelation for ReviewsByAuthor {
    type Entity = Entity;
    const RELATION: Relation<Entity> = newest_first(Column::AuthorId);
}

/// The reviews of each `parent`, newest first.
const fn newest_first(parent: Column) -> Relation<Entity> {
    Relation {
        entity: Entity,
        parent,
        created_at: Column::CreatedAt,
        id: Column::Id,
    }
}
