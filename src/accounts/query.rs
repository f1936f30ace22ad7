//! Account queries of the GraphQL root.

use async_graphql::{Context, ID, Object, ResultExt};

use super::{User, service};
use crate::{
    auth::{OwnerOrStaff, Role, RoleGuard, Viewer, unauthenticated},
    error::AppError,
    graphql::{
        Loaders, RequestMeta,
        ids::parse_id,
        pagination::{Connection, page_of},
    },
    paging::Cursor,
    state::AppState,
};

const USERS_CURSOR: &str = "u";

#[derive(Default)]
pub struct AccountsQuery;

#[Object]
impl AccountsQuery {
    /// The signed-in user; null when anonymous. An invalid or expired token
    /// gives null with an UNAUTHENTICATED error, so clients know to refresh.
    async fn viewer(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match &ctx.data::<RequestMeta>()?.viewer {
            Viewer::Anonymous => Ok(None),
            Viewer::User { id, .. } => {
                match ctx.data::<Loaders>()?.users.find(*id).await.extend()? {
                    Some(user) => Ok(Some(User::new(user))),
                    None => Err(AppError::Unauthenticated(
                        "the access token is invalid or expired".into(),
                    ))
                    .extend(),
                }
            }
            other => Err(unauthenticated(other)).extend(),
        }
    }

    /// A user by id: yourself, or anyone for STAFF and ADMIN. Others' ids are NOT_FOUND.
    #[graphql(guard = "OwnerOrStaff::by_id(&id)")]
    async fn user(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<User>> {
        let state = ctx.data::<AppState>()?;
        let id = parse_id(&id, "id").extend()?;
        Ok(service::find(&state.db, id)
            .await
            .extend()?
            .map(User::from_row))
    }

    /// Every user, newest first (ADMIN only).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Page size, 1 to 100; 20 when absent.")] first: Option<i32>,
        #[graphql(desc = "Cursor of the last user already seen.")] after: Option<String>,
    ) -> async_graphql::Result<Connection<User>> {
        let state = ctx.data::<AppState>()?;
        let page = page_of(ctx, first, after.as_deref(), USERS_CURSOR).extend()?;
        let rows = service::list(&state.db, &page).await.extend()?;
        Ok(Connection::build(
            rows,
            &page,
            USERS_CURSOR,
            |u| Cursor::from_time(u.created_at, u.id),
            User::from_row,
        ))
    }
}
