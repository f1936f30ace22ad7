//! Decoding rows by column position.
//!
//! SeaORM's derived models decode each value by column name: a hash of the
//! name and a lookup in the row's column map, for every value of every row.
//! On the lists the API serves that lookup is about a third of decoding. A
//! model listed with [`positional!`] instead reads its values in the order of
//! its fields, which is the order of the select list `Entity::find()` (or a
//! partial model's `select_cols`) builds; each listing comes with a test that
//! its fields follow the entity's columns.

use sea_orm::{DbErr, FromQueryResult, QueryResult};

/// A row type that decodes from the values of its select list, in order.
pub trait Positional: Sized + Send + Sync {
    fn from_row(row: &QueryResult) -> Result<Self, DbErr>;
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
            fn from_row(row: &sea_orm::QueryResult) -> Result<Self, sea_orm::DbErr> {
                let mut index = 0..;
                let mut next = || index.next().unwrap_or_default();
                Ok(Self { $($field: row.try_get_by_index(next())?),+ })
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
