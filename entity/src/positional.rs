//! Decoding rows by column position.
//!
//! SeaORM's derived models decode each value by column name: a hash of the
//! name and a lookup in the row's column map, for every value of every row.
//! On the lists the API serves that lookup is about a third of decoding. A
//! model listed with [`positional!`] instead reads its values in the order of
//! its fields, which is the order of the select list `Entity::find()` (or a
//! partial model's `select_cols`) builds; each listing comes with a test that
//! its fields follow the entity's columns. A join reads as a pair of models,
//! the first's columns then the second's.
//!
//! Every row is checked to have exactly the columns its row type reads.

use sea_orm::{
    ActiveEnum, DbErr, FromQueryResult, QueryResult, TryGetable,
    sqlx::{Decode, Postgres, Row, Type},
};

/// A row type that decodes from the values of its select list, in order.
pub trait Positional: Sized + Send + Sync {
    /// Decodes from the values at `index` onwards, leaving `index` past them.
    fn from_values(row: &QueryResult, index: &mut usize) -> Result<Self, DbErr>;
}

/// A row of a join: the first model's columns, then the second's.
impl<A: Positional, B: Positional> Positional for (A, B) {
    fn from_values(row: &QueryResult, index: &mut usize) -> Result<Self, DbErr> {
        Ok((A::from_values(row, index)?, B::from_values(row, index)?))
    }
}

/// A value a [`Positional`] row is made of.
pub trait Field: Sized {
    /// The value at `index` of `row`.
    ///
    /// On PostgreSQL a release build decodes it straight from the row's
    /// bytes, skipping sqlx's check that the column's type suits the value (a
    /// comparison of type descriptions, a third of decoding a text value).
    /// Read from a column of another type, a value would then come out wrong,
    /// or decoding could panic. Debug builds keep the check, so the API tests,
    /// which read every listing on PostgreSQL, fail on such a mismatch; the
    /// column count of every row is checked in every build. On SQLite the
    /// value goes through SeaORM.
    fn at(row: &QueryResult, index: usize) -> Result<Self, DbErr>;
}

impl<T> Field for T
where
    T: TryGetable + Type<Postgres> + for<'r> Decode<'r, Postgres>,
{
    fn at(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        let Some(pg) = row.try_as_pg_row() else {
            return row.try_get_by_index(index);
        };
        let value = if cfg!(debug_assertions) {
            pg.try_get(index)
        } else {
            pg.try_get_unchecked(index)
        };
        value.map_err(|e| DbErr::Type(e.to_string()))
    }
}

/// Implements [`Field`] for enums stored as text: the text decodes like any
/// other, then must name a variant. An unknown value (written by a newer
/// version, or by hand) is a decode error, never a default.
macro_rules! text_enum_fields {
    ($($enum:ty),+ $(,)?) => {$(
        impl Field for $enum {
            fn at(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
                <$enum as ActiveEnum>::try_from_value(&String::at(row, index)?)
            }
        }
    )+};
}

text_enum_fields!(
    crate::orders::OrderStatus,
    crate::payments::PaymentStatus,
    crate::users::Role,
);

/// The number of columns of `row`.
fn width(row: &QueryResult) -> Option<usize> {
    match row.try_as_pg_row() {
        Some(pg) => Some(pg.len()),
        None => row.try_as_sqlite_row().map(Row::len),
    }
}

/// `M` decoded by position; what `Select::into_model` and
/// `find_by_statement` are given to skip the lookups by name.
pub struct ByPosition<M>(pub M);

impl<M: Positional> FromQueryResult for ByPosition<M> {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        let mut read = 0;
        let model = M::from_values(row, &mut read)?;
        match width(row) {
            Some(width) if width != read => Err(DbErr::Type(format!(
                "the select list has {width} columns where its row type reads {read}"
            ))),
            _ => Ok(Self(model)),
        }
    }
}

/// Implements [`Positional`] for a model whose fields, in the order given,
/// are its select list. `columns: Entity` also emits a test that the fields
/// are the entity's columns in order (a full model); a partial model is
/// checked by its own test against the statement `select_cols` builds.
#[macro_export]
macro_rules! positional {
    ($model:ident { $($field:ident),+ $(,)? }) => {
        impl $crate::Positional for $model {
            fn from_values(
                row: &sea_orm::QueryResult,
                index: &mut usize,
            ) -> Result<Self, sea_orm::DbErr> {
                let mut next = || {
                    *index += 1;
                    *index - 1
                };
                Ok(Self { $($field: $crate::Field::at(row, next())?),+ })
            }
        }
    };
    ($model:ident { $($field:ident),+ $(,)? }, columns: $entity:ident) => {
        $crate::positional!($model { $($field),+ });

        #[cfg(test)]
        mod positional_order {
            use sea_orm::{Iterable, IdenStatic};

            #[test]
            fn fields_follow_the_entity_columns() {
                let fields = [$(stringify!($field)),+];
                let columns: Vec<&str> = <super::$entity as sea_orm::EntityTrait>::Column::iter()
                    .map(|c| c.as_str())
                    .collect();
                assert_eq!(fields.as_slice(), columns.as_slice());
            }
        }
    };
}
