//! Account service functions.

use chrono::{SubsecRound, Utc};
use entity::users;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use uuid::Uuid;

use super::{
    input::{Email, Password},
    password::Passwords,
};
use crate::{auth::Role, error::Result};

/// What `create_or_promote` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Provisioned {
    Created(Uuid),
    Promoted(Uuid),
}

/// Creates a user with `role`, or gives an existing user `role` and the new
/// password. Used by `tollgate create-admin`.
#[tracing::instrument(skip(db, passwords, password))]
pub async fn create_or_promote(
    db: &impl ConnectionTrait,
    passwords: &Passwords,
    email: &Email,
    password: Password,
    role: Role,
) -> Result<Provisioned> {
    let hash = passwords.hash(password.into_inner()).await?;
    let now = Utc::now().trunc_subsecs(6);
    let existing = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(db)
        .await?;
    match existing {
        Some(user) => {
            let id = user.id;
            let mut user: users::ActiveModel = user.into();
            user.role = Set(role.as_str().to_owned());
            user.password_hash = Set(hash);
            user.updated_at = Set(now);
            user.update(db).await?;
            Ok(Provisioned::Promoted(id))
        }
        None => {
            let id = Uuid::now_v7();
            let display_name = email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("admin")
                .to_owned();
            users::ActiveModel {
                id: Set(id),
                email: Set(email.as_str().to_owned()),
                password_hash: Set(hash),
                display_name: Set(display_name),
                role: Set(role.as_str().to_owned()),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(db)
            .await?;
            Ok(Provisioned::Created(id))
        }
    }
}
