//! Database access: connecting with sensible pool settings on SQLite and
//! PostgreSQL, migrations, counting SQL statements per request, and reading
//! the rows of the lists the API serves by column position.

pub mod keyset;
mod sqlite_file;
mod statements;
pub mod window;

use std::time::Duration;

use anyhow::Context;
use entity::{ByPosition, Positional};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, FromQueryResult, PartialModelTrait,
    QuerySelect, QueryTrait, Select, SqliteTransactionMode, Statement, TransactionOptions,
    TransactionTrait, Value,
    sea_query::{Func, Query, SimpleExpr},
};
use uuid::Uuid;

use crate::{
    config::Config,
    telemetry::{self, metrics, traces},
};

pub use statements::{StatementCount, StatementCounter};

/// How long a pooled connection may sit idle before it is pinged on checkout.
const IDLE_BEFORE_PING: Duration = Duration::from_secs(10);

/// Opens a pool of `Config::pool_size` connections, installs the statement
/// counter and, on SQLite, switches to WAL so readers never wait for the writer
/// and creates a missing database file (see `sqlite_file`).
pub async fn connect(config: &Config) -> anyhow::Result<DatabaseConnection> {
    let create = config.db.is_sqlite() && sqlite_file::prepare(&config.db.url)?;
    let mut options = ConnectOptions::new(config.db.url.clone());
    options
        .max_connections(config.pool_size())
        .min_connections(1)
        .acquire_timeout(config.db.acquire_timeout)
        .connect_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(300))
        // A connection in steady use is known to be alive; pinging it on
        // every checkout would add a round trip to every statement. Only one
        // that sat idle long enough to have been dropped is checked first.
        .test_before_acquire_if_idle_for(IDLE_BEFORE_PING)
        .sqlx_logging(false);
    if config.telemetry.metrics_addr.is_some() {
        options.map_sqlx_postgres_pool_opts(|pool| {
            pool.acquire_time_level(telemetry::ACQUIRE_TIME_LEVEL)
        });
        options.map_sqlx_sqlite_pool_opts(|pool| {
            pool.acquire_time_level(telemetry::ACQUIRE_TIME_LEVEL)
        });
    }
    let statement_timeout = format!("{}", config.http.request_timeout.as_millis());
    options.map_sqlx_postgres_opts(move |opts| {
        opts.options([("statement_timeout", statement_timeout.as_str())])
    });
    options.map_sqlx_sqlite_opts(move |opts| {
        // Only ever switched on: `mode=rwc` in the URL already asks for it.
        let opts = if create {
            opts.create_if_missing(true)
        } else {
            opts
        };
        opts.journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
            .synchronous(sea_orm::sqlx::sqlite::SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true)
    });
    let mut db = Database::connect(options)
        .await
        .context("DATABASE_URL: cannot connect to the database")?;
    let backend = db.get_database_backend();
    db.set_metric_callback(move |info| {
        statements::record();
        traces::statement(backend, &info.statement.sql, info.elapsed, info.failed);
    });
    metrics::watch_pool(&db);
    Ok(db)
}

/// The rows of `select`, decoded by position rather than by column name
/// (see `entity::Positional`): what the lists and loaders of the API read
/// with ([`rows_as`] for joins, [`partial_rows`] for partial models).
pub async fn rows<E>(select: Select<E>, db: &impl ConnectionTrait) -> Result<Vec<E::Model>, DbErr>
where
    E: EntityTrait,
    E::Model: Positional,
{
    rows_as(select, db).await
}

/// The rows of `select` as `M`, whose values are its select list in order:
/// a join's two models, say.
pub async fn rows_as<M, E>(select: Select<E>, db: &impl ConnectionTrait) -> Result<Vec<M>, DbErr>
where
    E: EntityTrait,
    M: Positional,
{
    let statement = statement(select, db.get_database_backend());
    let rows = ByPosition::<M>::find_by_statement(statement)
        .all(db)
        .await?;
    Ok(rows.into_iter().map(|row| row.0).collect())
}

/// The statement of `select`. On PostgreSQL its trailing `LIMIT` (a page's
/// size) is written into the text rather than sent as a parameter: with a
/// parameter, a prepared statement's generic plan is costed for a tenth of
/// the table, which for a join (the orders with their customers) costs more
/// than planning again, so PostgreSQL planned every run anew (0.29 ms per
/// call against 0.19 with the literal, bench/plans.md). Page sizes are
/// bounded (1 to 101 rows), and so are the texts of a list.
fn statement<E: EntityTrait>(select: Select<E>, backend: DbBackend) -> Statement {
    let mut statement = select.build(backend);
    if backend == DbBackend::Postgres {
        literal_limit(&mut statement);
    }
    statement
}

/// Writes the trailing `LIMIT $n` of `statement` as `LIMIT <value>`, when
/// its last parameter is that limit; leaves any other statement as it is.
fn literal_limit(statement: &mut Statement) {
    let Some(values) = &mut statement.values else {
        return;
    };
    let placeholder = format!(" LIMIT ${}", values.0.len());
    let Some(Value::BigUnsigned(Some(limit))) = values.0.last() else {
        return;
    };
    let Some(sql) = statement.sql.strip_suffix(&placeholder) else {
        return;
    };
    statement.sql = format!("{sql} LIMIT {limit}");
    values.0.pop();
}

/// The rows of `select` as the partial model `M`, decoded by position.
pub async fn partial_rows<M, E>(
    select: Select<E>,
    db: &impl ConnectionTrait,
) -> Result<Vec<M>, DbErr>
where
    E: EntityTrait,
    M: PartialModelTrait + Positional,
{
    rows_as(M::select_cols(select.select_only()), db).await
}

/// `column` is one of `ids`. On PostgreSQL the ids travel as one array,
/// `column IN (SELECT unnest($1))`: the statement's text, and so its prepared
/// plan, stays the same whatever their number, where an `IN` list of n
/// parameters is a statement of its own for each n, planned anew on every
/// run once n is large. SQLite has no arrays and keeps the list.
pub fn one_of<C: ColumnTrait>(
    backend: DbBackend,
    column: C,
    ids: impl IntoIterator<Item = Uuid>,
) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => {
            let ids: Vec<Uuid> = ids.into_iter().collect();
            column.in_subquery(Query::select().expr(Func::cust("unnest").arg(ids)).take())
        }
        _ => column.is_in(ids),
    }
}

/// Applies pending migrations; a no-op when the schema is current.
pub async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    Migrator::up(db, None)
        .await
        .context("failed to apply database migrations")
}

/// Checks that the database answers.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.execute_unprepared("SELECT 1").await.is_ok()
}

/// Starts a transaction that will write. On SQLite it takes the write lock
/// at once (`BEGIN IMMEDIATE`): a deferred transaction that reads and then
/// writes fails with "database is locked" when another writer got there first,
/// where an immediate one simply waits its turn. PostgreSQL ignores the mode.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, sea_orm::DbErr> {
    db.begin_with_options(TransactionOptions {
        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
        ..TransactionOptions::default()
    })
    .await
}

#[cfg(test)]
mod tests {
    use entity::orders;
    use sea_orm::{ColumnTrait, EntityTrait, PartialModelTrait, QueryFilter, QuerySelect};
    use uuid::Uuid;

    use super::*;

    #[test]
    fn a_pages_limit_is_written_into_the_statement_on_postgres_only() {
        let user = Uuid::now_v7();
        let page = || {
            orders::Entity::find()
                .filter(orders::Column::UserId.eq(user))
                .limit(51)
        };
        let postgres = statement(page(), DbBackend::Postgres);
        assert!(
            postgres
                .sql
                .ends_with(r#"WHERE "orders"."user_id" = $1 LIMIT 51"#)
        );
        assert_eq!(postgres.values.map(|v| v.0), Some(vec![Value::from(user)]));
        let sqlite = statement(page(), DbBackend::Sqlite);
        assert!(sqlite.sql.ends_with(" LIMIT ?"), "{}", sqlite.sql);
        assert_eq!(sqlite.values.map(|v| v.0.len()), Some(2));
    }

    #[test]
    fn the_limit_of_a_join_is_written_into_the_statement() {
        let page = orders::Entity::find()
            .inner_join(entity::users::Entity)
            .limit(50);
        let page = entity::users::Profile::select_cols(page);
        let built = statement(page, DbBackend::Postgres);
        assert!(built.sql.ends_with(" LIMIT 50"), "{}", built.sql);
        assert_eq!(built.values.map(|v| v.0.len()), Some(0));
    }

    #[test]
    fn a_statement_without_a_trailing_limit_is_left_as_it_is() {
        let unlimited = orders::Entity::find().filter(orders::Column::TotalCents.eq(51u64));
        let offset = orders::Entity::find().limit(20).offset(40);
        for query in [unlimited, offset] {
            let built = statement(query.clone(), DbBackend::Postgres);
            assert_eq!(built, query.build(DbBackend::Postgres));
        }
    }
}
