//! `users`: accounts. `email` is stored lower-cased; `role` is CUSTOMER, STAFF or ADMIN.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

/// Account roles, ordered by privilege: CUSTOMER < STAFF < ADMIN.
//
// Stored as its GraphQL name (also its name in access tokens); a stored value
// that names no variant fails to decode instead of reading as some default.
// (Doc comments here are the GraphQL descriptions.)
#[derive(
    async_graphql::Enum,
    Copy,
    Clone,
    Debug,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    EnumIter,
    DeriveActiveEnum,
)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum Role {
    /// A shopper: sees the public catalog and their own orders.
    #[sea_orm(string_value = "CUSTOMER")]
    Customer,
    /// An employee: manages the catalog and every order.
    #[sea_orm(string_value = "STAFF")]
    Staff,
    /// An administrator: everything STAFF may do, plus managing users.
    #[sea_orm(string_value = "ADMIN")]
    Admin,
}

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

/// What the API shows of a user: every column but the password hash, so
/// reads for GraphQL (and the entity cache) never load or hold it.
#[derive(Clone, Debug, PartialEq, Eq, DerivePartialModel)]
#[sea_orm(entity = "Entity")]
pub struct Profile {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub created_at: DateTimeUtc,
}

impl From<Model> for Profile {
    fn from(row: Model) -> Self {
        Self {
            id: row.id,
            email: row.email,
            display_name: row.display_name,
            role: row.role,
            created_at: row.created_at,
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::sessions::Entity")]
    Sessions,
    #[sea_orm(has_many = "super::orders::Entity")]
    Orders,
    #[sea_orm(has_many = "super::reviews::Entity")]
    Reviews,
}

impl Related<super::sessions::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Sessions.def()
    }
}

impl Related<super::orders::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Orders.def()
    }
}

impl Related<super::reviews::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Reviews.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}

crate::positional!(Profile {
    id,
    email,
    display_name,
    role,
    created_at
});

#[cfg(test)]
mod tests {
    use sea_orm::{DbBackend, PartialModelTrait, QuerySelect, QueryTrait};

    use super::*;

    #[test]
    fn a_profile_selects_its_fields_in_order() {
        let select = Profile::select_cols(Entity::find().select_only());
        let sql = select.build(DbBackend::Postgres).to_string();
        assert_eq!(
            sql,
            concat!(
                r#"SELECT "users"."id" AS "id", "users"."email" AS "email", "#,
                r#""users"."display_name" AS "display_name", "users"."role" AS "role", "#,
                r#""users"."created_at" AS "created_at" FROM "users""#
            )
        );
    }
}
