//! Decoding rows by column position.
//!
//! SeaORM's derived models decode each value by column name: a hash of the
//! name and a lookup in the row's column map, for every value of every row.
//! On the lists the API serves that lookup is about a third of decoding. A
//! model listed with [`positional!`] instead reads its values in the order of
//! its fields, which is the order of the select list `Entity::find()` (or a
//! partial model's `select_cols`) builds; each listing comes with a test that
//! its fields follow the entity's columns.

use sea_orm::{
    DbErr, FromQueryResult, QueryResult, TryGetable,
    sqlx::{Decode, Postgres, Row, Type},
};

/// A row type that decodes from the values of its select list, in order.
pub trait Positional: Sized + Send + Sync {
    /// Decodes from the values at `index` onwards, leaving `index` past them.
    fn from_values(row: &QueryResult, index: &mut usize) -> Result<Self, DbErr>;

    fn from_row(row: &QueryResult) -> Result<Self, DbErr> {
        Self::from_values(row, &mut 0)
    }
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
    /// On PostgreSQL it is decoded straight from the row's bytes. sqlx would
    /// first check that the column's type suits the value (a comparison of
    /// type descriptions, a third of decoding a text value). The positions and
    /// types here are fixed by the entity and checked by the tests of each
    /// listing and of every API query on PostgreSQL; a mismatch would still be
    /// an error (a value of the wrong length or encoding), never a panic. On
    /// SQLite the value goes through SeaORM.
    fn at(row: &QueryResult, index: usize) -> Result<Self, DbErr>;
}

impl<T> Field for T
where
    T: TryGetable + Type<Postgres> + for<'r> Decode<'r, Postgres>,
{
    fn at(row: &QueryResult, index: usize) -> Result<Self, DbErr> {
        match row.try_as_pg_row() {
            Some(pg) => pg
                .try_get_unchecked(index)
                .map_err(|e| DbErr::Type(e.to_string())),
            None => row.try_get_by_index(index),
        }
    }
}

/// `M` decoded by position; what `Select::into_model` and
/// `find_by_statement` are given to skip the lookups by name.
pub struct ByPosition<M>(pub M);

impl<M: Positional> FromQueryResult for ByPosition<M> {
    fn from_query_result(row: &QueryResult, _prefix: &str) -> Result<Self, DbErr> {
        M::from_row(row).map(Self)
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
