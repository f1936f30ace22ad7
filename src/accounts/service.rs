//! Account service functions: registration, sign-in, token refresh, sign-out,
//! password changes, roles, and the admin bootstrap.

use std::net::IpAddr;

use chrono::{SubsecRound, Utc};
use entity::users;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};
use uuid::Uuid;

use super::{
    external,
    input::{DisplayName, Email, Password},
    password::Passwords,
    sessions::{self, Rotation},
};
use crate::{
    auth::Role,
    cache::Change,
    db::{self, keyset},
    error::{AppError, OnConflict, Result},
    paging::PageArgs,
    state::AppState,
};

/// Tokens for a user who just signed in.
pub struct SignedIn {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub user: users::Model,
}

fn bad_credentials() -> AppError {
    AppError::Unauthenticated("invalid email or password".into())
}

/// Issues an access token for the session `issued` started or continued.
fn tokens(state: &AppState, user: users::Model, issued: sessions::Issued) -> Result<SignedIn> {
    let access_token = state
        .keys
        .issue(user.id, user.role, issued.session.family_id)?;
    Ok(SignedIn {
        access_token,
        refresh_token: issued.token,
        expires_in: state.keys.ttl().as_secs(),
        user,
    })
}

/// Creates a CUSTOMER account and signs it in.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn register(
    state: &AppState,
    email: &str,
    password: &str,
    display_name: &str,
    ip: IpAddr,
) -> Result<SignedIn> {
    state.throttle.register(ip).await?;
    let email = Email::parse(email, "input.email")?;
    let password = Password::parse_new(password, &email, "input.password")?;
    let display_name = DisplayName::parse(display_name, "input.displayName")?;
    let hash = state.passwords.hash(password.into_inner()).await?;
    let now = Utc::now().trunc_subsecs(6);
    let txn = db::begin_write(&state.db).await?;
    let user = users::ActiveModel {
        id: Set(Uuid::now_v7()),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(hash),
        display_name: Set(display_name.into_inner()),
        role: Set(Role::Customer),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .on_unique_violation("input.email", "an account with this email exists")?;
    let issued = sessions::start(&txn, user.id, state.config.tokens.refresh_ttl).await?;
    txn.commit().await?;
    tokens(state, user, issued)
}

/// Signs a user in. Unknown emails and wrong passwords get the same answer in
/// the same time; failures are throttled per account and per client IP.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn login(state: &AppState, email: &str, password: &str, ip: IpAddr) -> Result<SignedIn> {
    let email = Email::parse(email, "input.email")?;
    let password = Password::parse(password, "input.password").map_err(|_| bad_credentials())?;
    state.throttle.check_login(email.as_str(), ip).await?;
    let user = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(&state.db)
        .await?;
    // An account of an identity provider has no password: it takes the
    // unknown account's path, in the same time.
    let hash = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .filter(|hash| hash != external::NO_PASSWORD);
    let verified = state
        .passwords
        .verify_or_dummy(password.into_inner(), hash)
        .await?;
    let Some(user) = user.filter(|_| verified) else {
        state.throttle.login_failed(email.as_str(), ip).await;
        return Err(bad_credentials());
    };
    state.throttle.login_succeeded(email.as_str()).await;
    let issued = sessions::start(&state.db, user.id, state.config.tokens.refresh_ttl).await?;
    tokens(state, user, issued)
}

/// Rotates a refresh token; reusing a rotated one ends its whole family.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn refresh(state: &AppState, token: &str) -> Result<SignedIn> {
    let txn = db::begin_write(&state.db).await?;
    let rotation = sessions::rotate(&txn, token).await?;
    let issued = match rotation {
        Rotation::Rotated(issued) => issued,
        Rotation::Reused { family_id } => {
            txn.commit().await?;
            state.caches.changed(Change::Session(family_id)).await;
            tracing::warn!(%family_id, "refresh token reused; session family revoked");
            return Err(AppError::Unauthenticated(
                "the refresh token was already used; sign in again".into(),
            ));
        }
    };
    let user = users::Entity::find_by_id(issued.session.user_id)
        .one(&txn)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    txn.commit().await?;
    tokens(state, user, issued)
}

/// Ends the session family of a refresh token.
#[tracing::instrument(level = "debug", skip_all)]
pub async fn logout(state: &AppState, token: &str) -> Result<()> {
    let session = sessions::family_of(&state.db, token)
        .await?
        .ok_or_else(|| {
            AppError::Unauthenticated("the refresh token is invalid or expired".into())
        })?;
    sessions::revoke_family(&state.db, session.family_id).await?;
    state
        .caches
        .changed(Change::Session(session.family_id))
        .await;
    Ok(())
}

/// Changes the viewer's password and ends every other session of theirs.
#[tracing::instrument(level = "debug", skip_all, fields(%user_id))]
pub async fn change_password(
    state: &AppState,
    user_id: Uuid,
    current_session: Uuid,
    current: &str,
    new: &str,
) -> Result<()> {
    let user = users::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    if user.password_hash == external::NO_PASSWORD {
        return Err(AppError::Forbidden(
            "this account signs in through its identity provider".into(),
        ));
    }
    let current = Password::parse(current, "input.currentPassword")?;
    let email = Email::parse(&user.email, "input.newPassword")?;
    let new = Password::parse_new(new, &email, "input.newPassword")?;
    if !state
        .passwords
        .verify(current.into_inner(), user.password_hash.clone())
        .await?
    {
        return Err(AppError::bad_input(
            "input.currentPassword",
            "the current password is wrong",
        ));
    }
    let hash = state.passwords.hash(new.into_inner()).await?;
    let txn = db::begin_write(&state.db).await?;
    let mut row: users::ActiveModel = user.into();
    row.password_hash = Set(hash);
    row.updated_at = Set(Utc::now().trunc_subsecs(6));
    row.update(&txn).await?;
    sessions::revoke_others(&txn, user_id, Some(current_session)).await?;
    txn.commit().await?;
    state.caches.changed(Change::User(user_id)).await;
    Ok(())
}

/// Gives a user a role; their existing access tokens are refused within a
/// second (the session check sees the role changed), refreshing gets new ones.
#[tracing::instrument(level = "debug", skip(state))]
pub async fn set_role(state: &AppState, user_id: Uuid, role: Role) -> Result<users::Model> {
    let user = users::Entity::find_by_id(user_id)
        .one(&state.db)
        .await?
        .ok_or(AppError::NotFound("user"))?;
    let mut row: users::ActiveModel = user.into();
    row.role = Set(role);
    row.updated_at = Set(Utc::now().trunc_subsecs(6));
    let user = row.update(&state.db).await?;
    state.caches.changed(Change::User(user_id)).await;
    Ok(user)
}

/// A user by id.
pub async fn find(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<users::Model>> {
    Ok(users::Entity::find_by_id(id).one(db).await?)
}

/// A page of users, newest first.
pub async fn list(db: &impl ConnectionTrait, page: &PageArgs) -> Result<Vec<users::Model>> {
    let query = users::Entity::find();
    let query = keyset::newest_first(query, users::Column::CreatedAt, users::Column::Id, page)?;
    Ok(query.all(db).await?)
}

/// What `create_or_promote` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Provisioned {
    Created(Uuid),
    Promoted(Uuid),
}

/// Creates a user with `role`, or gives an existing user `role` and the new
/// password, ending their sessions. Used by `tollgate create-admin`.
#[tracing::instrument(level = "debug", skip(db, passwords, password))]
pub async fn create_or_promote(
    db: &DatabaseConnection,
    passwords: &Passwords,
    email: &Email,
    password: Password,
    role: Role,
) -> Result<Provisioned> {
    let hash = passwords.hash(password.into_inner()).await?;
    let now = Utc::now().trunc_subsecs(6);
    let txn = db::begin_write(db).await?;
    let existing = users::Entity::find()
        .filter(users::Column::Email.eq(email.as_str()))
        .one(&txn)
        .await?;
    let outcome = match existing {
        Some(user) => {
            let id = user.id;
            let mut user: users::ActiveModel = user.into();
            user.role = Set(role);
            user.password_hash = Set(hash);
            user.updated_at = Set(now);
            user.update(&txn).await?;
            sessions::revoke_others(&txn, id, None).await?;
            Provisioned::Promoted(id)
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
                role: Set(role),
                created_at: Set(now),
                updated_at: Set(now),
            }
            .insert(&txn)
            .await?;
            Provisioned::Created(id)
        }
    };
    txn.commit().await?;
    Ok(outcome)
}
