//! Account mutations of the GraphQL root.

use async_graphql::{Context, ID, Object, ResultExt};

use super::{
    AuthPayload, ChangePasswordInput, LoginInput, RegisterInput, User,
    service::{self, SignedIn as Tokens},
    sessions::MAX_TOKEN_LEN,
};
use crate::{
    auth::{Role, RoleGuard, SignedIn, Viewer},
    error::AppError,
    graphql::{RequestMeta, ids::parse_id},
    state::AppState,
};

#[derive(Default)]
pub struct AccountsMutation;

fn payload(tokens: Tokens) -> AuthPayload {
    AuthPayload {
        access_token: tokens.access_token,
        refresh_token: tokens.refresh_token,
        expires_in: i32::try_from(tokens.expires_in).unwrap_or(i32::MAX),
        user: User::as_self(tokens.user),
    }
}

fn bounded_token(token: &str) -> Result<&str, AppError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(AppError::bad_input(
            "refreshToken",
            "the refresh token is too long",
        ));
    }
    Ok(token)
}

#[Object]
impl AccountsMutation {
    /// Creates a customer account and signs it in.
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let tokens = service::register(
            state,
            &input.email,
            &input.password,
            &input.display_name,
            meta.client_ip,
        )
        .await
        .extend()?;
        Ok(payload(tokens))
    }

    /// Signs in with email and password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let tokens = service::login(state, &input.email, &input.password, meta.client_ip)
            .await
            .extend()?;
        Ok(payload(tokens))
    }

    /// Exchanges a refresh token for new tokens; the old refresh token stops working.
    async fn refresh_token(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        let state = ctx.data::<AppState>()?;
        let token = bounded_token(&refresh_token).extend()?;
        Ok(payload(service::refresh(state, token).await.extend()?))
    }

    /// Signs out the session of a refresh token (all its rotations).
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<bool> {
        let state = ctx.data::<AppState>()?;
        let token = bounded_token(&refresh_token).extend()?;
        service::logout(state, token).await.extend()?;
        Ok(true)
    }

    /// Changes the signed-in user's password and signs out their other sessions.
    #[graphql(guard = "SignedIn")]
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        input: ChangePasswordInput,
    ) -> async_graphql::Result<bool> {
        let (state, meta) = (ctx.data::<AppState>()?, ctx.data::<RequestMeta>()?);
        let Viewer::User { id, session, .. } = meta.viewer else {
            return Err(AppError::Unauthenticated("sign in to do this".into())).extend();
        };
        service::change_password(
            state,
            id,
            session,
            &input.current_password,
            &input.new_password,
        )
        .await
        .extend()?;
        Ok(true)
    }

    /// Gives a user a role (ADMIN only).
    #[graphql(guard = "RoleGuard(Role::Admin)")]
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role: Role,
    ) -> async_graphql::Result<User> {
        let state = ctx.data::<AppState>()?;
        let user_id = parse_id(&user_id, "userId").extend()?;
        Ok(User::from_row(
            service::set_role(state, user_id, role).await.extend()?,
        ))
    }
}
