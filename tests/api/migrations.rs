//! Migrations applied to a database that already holds data.

use chrono::{SubsecRound, Utc};
use entity::{products, reviews, users};
use migration::{Migrator, MigratorTrait};
use sea_orm::{ActiveModelTrait, ConnectionTrait, Database, EntityTrait, Set, sea_query::Query};
use uuid::Uuid;

use crate::helpers::TestDatabase;

/// Migrations up to (and including) the one creating `identities`: before
/// reviews kept their author's name.
const BEFORE_AUTHOR_NAMES: u32 = 8;

#[tokio::test]
async fn reviews_written_before_they_kept_their_authors_name_are_given_it() {
    let database = TestDatabase::create().await;
    let db = Database::connect(&database.url).await.unwrap();
    Migrator::up(&db, Some(BEFORE_AUTHOR_NAMES)).await.unwrap();
    let now = Utc::now().trunc_subsecs(6);
    let mut authors = Vec::new();
    for name in ["Ada Lovelace", "Grace Hopper"] {
        let id = Uuid::now_v7();
        users::ActiveModel {
            id: Set(id),
            email: Set(format!("{id}@example.com")),
            password_hash: Set("x".into()),
            display_name: Set(name.into()),
            role: Set(users::Role::Customer),
            created_at: Set(now),
            updated_at: Set(now),
        }
        .insert(&db)
        .await
        .unwrap();
        authors.push((id, name));
    }
    let product = Uuid::now_v7();
    products::ActiveModel {
        id: Set(product),
        sku: Set("MUG-1".into()),
        name: Set("Mug".into()),
        description: Set(String::new()),
        price_cents: Set(1000),
        currency: Set("USD".into()),
        stock: Set(1),
        active: Set(true),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&db)
    .await
    .unwrap();
    // The reviews as that version wrote them: without the name.
    use reviews::Column as C;
    for (author, _) in &authors {
        let insert = Query::insert()
            .into_table(reviews::Entity)
            .columns([
                C::Id,
                C::ProductId,
                C::AuthorId,
                C::Rating,
                C::Body,
                C::CreatedAt,
            ])
            .values_panic([
                Uuid::now_v7().into(),
                product.into(),
                (*author).into(),
                5i16.into(),
                "Good".into(),
                now.into(),
            ])
            .to_owned();
        db.execute(&insert).await.unwrap();
    }

    Migrator::up(&db, None).await.unwrap();

    let mut named: Vec<(Uuid, String)> = reviews::Entity::find()
        .all(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.author_id, r.author_name))
        .collect();
    named.sort();
    let mut expected: Vec<(Uuid, String)> = authors
        .iter()
        .map(|(id, name)| (*id, (*name).to_owned()))
        .collect();
    expected.sort();
    assert_eq!(named, expected);
    db.close().await.unwrap();
}
