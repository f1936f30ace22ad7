//! `users`: accounts. `email` is stored lower-cased; `role` is CUSTOMER, STAFF or ADMIN.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub email: String,
    pub password_hash: String,
    pub display_name: String,
    pub role: String,
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
    pub role: String,
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
