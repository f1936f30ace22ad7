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
//! Every row is checked to have exactly the columns its row type reads, and
//! on PostgreSQL that their types suit its fields: a column's type is
//! checked once for all the rows of a statement, which share their columns
//! (see [`Field::at`]), identically in every build.

use std::{
    any::TypeId,
    cell::{Cell, RefCell},
};

use sea_orm::{
    ActiveEnum, DbErr, FromQueryResult, QueryResult, TryGetable,
    sqlx::{
        Column, Decode, Postgres, Row, Type, TypeInfo,
        postgres::{PgRow, PgTypeInfo},
    },
};

thread_local! {
    /// Whether the row being decoded on this thread has the column types
    /// of a row already decoded with checks into the same row type.
    static SHAPE_CHECKED: Cell<bool> = const { Cell::new(false) };
    /// The row type and column types of the last row decoded with checks
    /// on this thread; the rows of one statement are decoded one after
    /// the other, so only the first of them is checked.
    static CHECKED_SHAPE: RefCell<Option<(TypeId, Vec<PgTypeInfo>)>> = const { RefCell::new(None) };
}

/// A row type that decodes from the values of its select list, in order.
pub trait Positional: Sized + Send + Sync + 'static {
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
    /// On PostgreSQL the value is decoded straight from the row's bytes
    /// once its column's type is known to suit it. sqlx's `try_get` checks
    /// that for every value (a comparison of type descriptions, a third of
    /// decoding a text value); here, within [`ByPosition`], it is checked
    /// for the first row of a statement, and the rows after it whose column
    /// types are the same (a comparison of type ids) skip it. A column of
    /// the wrong type is an error, whatever the value (even null). On
    /// SQLite the value goes through SeaORM.
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
        if !SHAPE_CHECKED.get() {
            check_column::<T>(pg, index)?;
        }
        pg.try_get_unchecked(index)
            .map_err(|e| DbErr::Type(e.to_string()))
    }
}

/// Whether the column at `index` of `row` may be decoded as `T`.
fn check_column<T: Type<Postgres>>(row: &PgRow, index: usize) -> Result<(), DbErr> {
    let column = row
        .try_column(index)
        .map_err(|e| DbErr::Type(e.to_string()))?;
    let ty = column.type_info();
    if ty.is_null() || T::compatible(ty) {
        Ok(())
    } else {
        Err(DbErr::Type(format!(
            "column {index} is of type {}, which {} (SQL type {}) cannot be decoded from",
            ty.name(),
            std::any::type_name::<T>(),
            T::type_info().name()
        )))
    }
}

/// Whether `row`'s column types are those of the last row decoded with
/// checks into `M` on this thread.
fn shape_checked<M: 'static>(row: &PgRow) -> bool {
    CHECKED_SHAPE.with_borrow(|checked| {
        checked.as_ref().is_some_and(|(model, types)| {
            *model == TypeId::of::<M>()
                && types.len() == row.len()
                && types
                    .iter()
                    .zip(row.columns())
                    .all(|(ty, column)| ty.type_eq(column.type_info()))
        })
    })
}

/// Notes `row`'s column types as checked for `M`.
fn remember_shape<M: 'static>(row: &PgRow) {
    let types = row
        .columns()
        .iter()
        .map(|c| c.type_info().clone())
        .collect();
    CHECKED_SHAPE.set(Some((TypeId::of::<M>(), types)));
}

/// Runs `decode` with the column checks of [`Field::at`] skipped or not.
fn with_shape_checked<T>(checked: bool, decode: impl FnOnce() -> T) -> T {
    let before = SHAPE_CHECKED.replace(checked);
    let decoded = decode();
    SHAPE_CHECKED.set(before);
    decoded
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
        let pg = row.try_as_pg_row();
        let checked = pg.is_some_and(shape_checked::<M>);
        let mut read = 0;
        let model = with_shape_checked(checked, || M::from_values(row, &mut read))?;
        match width(row) {
            Some(width) if width != read => Err(DbErr::Type(format!(
                "the select list has {width} columns where its row type reads {read}"
            ))),
            _ => {
                if let Some(pg) = pg
                    && !checked
                {
                    remember_shape::<M>(pg);
                }
                Ok(Self(model))
            }
        }
    }
}

/// Implements [`Positional`] for a model whose fields, in the order given,
/// are its select list. `columns: Entity` also emits a test that the fields
/// are the entity's columns in order (a full model), and `select: COLUMNS`
/// that they are the columns a join selects for it; a partial model is
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
    ($model:ident { $($field:ident),+ $(,)? }, select: $columns:expr) => {
        $crate::positional!($model { $($field),+ });

        #[cfg(test)]
        mod positional_select {
            use sea_orm::IdenStatic;

            #[test]
            fn fields_follow_the_selected_columns() {
                let fields = [$(stringify!($field)),+];
                let columns: Vec<&str> = $columns.iter().map(|c| c.as_str()).collect();
                assert_eq!(fields.as_slice(), columns.as_slice());
            }
        }
    };
}
