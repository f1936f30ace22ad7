//! Rows decoded by position (`entity::ByPosition`) on PostgreSQL: a column
//! whose type does not suit its field is an error, in the first row of a
//! statement or in a later statement whose rows have other column types;
//! rows of the same types decode.

use entity::{ByPosition, products};
use sea_orm::{Database, DbBackend, DbErr, FromQueryResult, Statement};

use crate::helpers::TestDatabase;

/// Products as a statement gives them, `stock` as the SQL type `stock_type`.
fn products(stock_type: &str) -> Statement {
    let row = |sku: &str| {
        format!(
            "SELECT '0190f8c4-0000-7000-8000-00000000000{}'::uuid AS id, '{sku}' AS sku, \
             'Mug' AS name, '' AS description, 1200::int8 AS price_cents, 'EUR' AS currency, \
             7::{stock_type} AS stock, true AS active, \
             '2026-01-01T00:00:00Z'::timestamptz AS created_at, \
             '2026-01-01T00:00:00Z'::timestamptz AS updated_at",
            sku.len()
        )
    };
    Statement::from_string(
        DbBackend::Postgres,
        format!("{} UNION ALL {}", row("A"), row("BB")),
    )
}

#[tokio::test]
async fn a_column_of_another_type_is_an_error_however_many_rows_were_read_before() {
    let database = TestDatabase::postgres().await;
    let db = Database::connect(&database.url).await.unwrap();
    let read = |stock_type: &'static str| {
        let db = db.clone();
        async move {
            ByPosition::<products::Model>::find_by_statement(products(stock_type))
                .all(&db)
                .await
                .map(|rows| {
                    rows.into_iter()
                        .map(|row| (row.0.sku, row.0.stock))
                        .collect::<Vec<_>>()
                })
        }
    };

    let first = read("int4").await;
    let other_type = read("int8").await;
    let again = read("int4").await;

    assert_eq!(first.unwrap(), [("A".to_owned(), 7), ("BB".to_owned(), 7)]);
    assert!(
        matches!(&other_type, Err(DbErr::Type(message)) if message.contains("column 6 is of type INT8")),
        "{other_type:?}"
    );
    assert_eq!(again.unwrap(), [("A".to_owned(), 7), ("BB".to_owned(), 7)]);
    db.close().await.unwrap();
}
