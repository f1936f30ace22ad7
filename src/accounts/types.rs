//! The GraphQL `User` type. The row's password hash has no field here, so it
//! can never leak.

use async_graphql::{ID, Object};
use chrono::{DateTime, Utc};
use entity::users;

use crate::auth::{Role, SelfOrStaff};

/// A person with an account.
pub struct User(pub users::Model);

/// A person with an account.
#[Object]
impl User {
    /// Unique id of the user.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    /// Email address; visible to the user themselves, STAFF and ADMIN only
    /// (others get null with a FORBIDDEN error at this path).
    #[graphql(guard = "SelfOrStaff(self.0.id)")]
    async fn email(&self) -> Option<&str> {
        Some(&self.0.email)
    }

    /// Public name shown with reviews.
    async fn display_name(&self) -> &str {
        &self.0.display_name
    }

    /// What the user may do.
    async fn role(&self) -> Role {
        Role::parse(&self.0.role).unwrap_or(Role::Customer)
    }

    /// When the account was created.
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
