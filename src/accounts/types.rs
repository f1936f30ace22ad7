//! GraphQL types of accounts. A `User` holds a `users::Profile`, which has no
//! password hash: reads for the API never load it, so it can never leak. A
//! review's author starts with the name the review keeps, and loads the
//! profile only for a field that needs it.

use std::sync::{Arc, OnceLock};

use async_graphql::{Context, ID, InputObject, Object, ResultExt, SimpleObject};
use chrono::{DateTime, Utc};
use entity::users;
use uuid::Uuid;

use crate::{
    auth::{Role, SelfOrStaff},
    graphql::{
        Loaders,
        loaders::many,
        paged::PageKey,
        pagination::{Connection, page_of},
    },
    orders::{self, Order},
    paging::Cursor,
    reviews::{self, Review},
};

/// A person with an account.
pub struct User {
    id: Uuid,
    /// The display name, when it came without the profile (a review's author).
    name: Option<String>,
    /// The profile: given, or loaded by the first field that needs it.
    profile: OnceLock<Arc<users::Profile>>,
    /// Seen as themselves although the request carries no token for them
    /// (the user who just signed in).
    as_self: bool,
}

impl User {
    pub fn new(row: Arc<users::Profile>) -> Self {
        Self {
            id: row.id,
            name: None,
            profile: OnceLock::from(row),
            as_self: false,
        }
    }

    /// A review's author: the id and display name the review keeps. Fields
    /// beyond those load the profile (primed when a list selects them).
    pub fn author(id: Uuid, name: String) -> Self {
        Self {
            id,
            name: Some(name),
            profile: OnceLock::new(),
            as_self: false,
        }
    }

    /// A full row, read for another purpose; its password hash is dropped.
    pub fn from_row(row: users::Model) -> Self {
        Self::new(Arc::new(row.into()))
    }

    pub fn as_self(row: users::Model) -> Self {
        Self {
            as_self: true,
            ..Self::from_row(row)
        }
    }

    async fn profile(&self, ctx: &Context<'_>) -> async_graphql::Result<&users::Profile> {
        if let Some(profile) = self.profile.get() {
            return Ok(profile);
        }
        let loaders = ctx.data::<Loaders>()?;
        let profile = loaders.users.one(self.id, "user").await.extend()?;
        Ok(self.profile.get_or_init(|| profile))
    }
}

/// A person with an account.
#[Object(serial)]
impl User {
    /// Unique id of the user.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// Email address; visible to the user themselves, STAFF and ADMIN only
    /// (others get null with a FORBIDDEN error at this path).
    #[graphql(guard = "SelfOrStaff { owner: self.id, granted: self.as_self }")]
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<&str>> {
        Ok(Some(&self.profile(ctx).await?.email))
    }

    /// Public name shown with reviews.
    async fn display_name(&self, ctx: &Context<'_>) -> async_graphql::Result<&str> {
        match &self.name {
            Some(name) => Ok(name),
            None => Ok(&self.profile(ctx).await?.display_name),
        }
    }

    /// What the user may do.
    async fn role(&self, ctx: &Context<'_>) -> async_graphql::Result<Role> {
        Ok(self.profile(ctx).await?.role)
    }

    /// When the account was created.
    async fn created_at(&self, ctx: &Context<'_>) -> async_graphql::Result<DateTime<Utc>> {
        Ok(self.profile(ctx).await?.created_at)
    }

    /// The user's orders, newest first; visible to the user themselves, STAFF
    /// and ADMIN only (others get null with a FORBIDDEN error at this path).
    #[graphql(guard = "SelfOrStaff { owner: self.id, granted: self.as_self }")]
    async fn orders(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100; 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last order already seen.")] after: Option<String>,
    ) -> async_graphql::Result<Option<Connection<Order>>> {
        let page = page_of(ctx, first, after.as_deref(), orders::CURSOR_TAG).extend()?;
        let key = PageKey {
            parent: self.id,
            page,
        };
        let rows = many(&ctx.data::<Loaders>()?.orders_by_user, key)
            .await
            .extend()?;
        Ok(Some(Connection::build(
            rows,
            &page,
            orders::CURSOR_TAG,
            |o| Cursor::from_time(o.created_at, o.id),
            Order,
        )))
    }

    /// The user's reviews, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100; 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last review already seen.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<Review>> {
        let page = page_of(ctx, first, after.as_deref(), reviews::AUTHOR_CURSOR_TAG).extend()?;
        let key = PageKey {
            parent: self.id,
            page,
        };
        let rows = many(&ctx.data::<Loaders>()?.reviews_by_author, key)
            .await
            .extend()?;
        Ok(Connection::build(
            rows,
            &page,
            reviews::AUTHOR_CURSOR_TAG,
            |r| Cursor::from_time(r.created_at, r.id),
            Review,
        ))
    }
}

/// The result of signing in: tokens and the signed-in user.
#[derive(SimpleObject)]
pub struct AuthPayload {
    /// Bearer token for the Authorization header; short-lived.
    pub access_token: String,
    /// Opaque token that `refreshToken` exchanges for new tokens; single use.
    pub refresh_token: String,
    /// Seconds until the access token expires.
    pub expires_in: i32,
    /// The signed-in user.
    pub user: User,
}

/// A new account.
#[derive(InputObject)]
pub struct RegisterInput {
    /// Email address; becomes the sign-in name (stored lower-cased).
    pub email: String,
    /// 8 to 128 characters; not a common password, not the email.
    pub password: String,
    /// Public name, 1 to 100 characters.
    pub display_name: String,
}

/// Credentials to sign in with.
#[derive(InputObject)]
pub struct LoginInput {
    /// Email address of the account.
    pub email: String,
    /// The account's password.
    pub password: String,
}

/// A password change of the signed-in user.
#[derive(InputObject)]
pub struct ChangePasswordInput {
    /// The password in use now.
    pub current_password: String,
    /// The new password: 8 to 128 characters, not a common password, not the email.
    pub new_password: String,
}
