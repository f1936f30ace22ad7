//! Accounts of an external identity provider's users, created the first
//! time one of their tokens arrives and found again by (issuer, subject).
//!
//! The account gets the token's email, but an email that belongs to another
//! account is never merged into it: a provider's say-so is not proof that
//! its user owns the local account, so such a token is refused until an
//! administrator resolves it. The account has no password (local sign-in
//! never matches it), and its role follows the provider's tokens.

use chrono::{SubsecRound, Utc};
use entity::{identities, users};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QuerySelect, RelationTrait, Set,
};
use uuid::Uuid;

use super::input::{DisplayName, Email};
use crate::{
    auth::{Role, external::ExternalIdentity},
    cache::Change,
    db,
    error::{AppError, OnConflict},
    state::AppState,
};

/// The password hash of accounts without a password: not a PHC string, so
/// no password ever verifies against it.
pub const NO_PASSWORD: &str = "!external";

/// Why a provider's user gets no account.
#[derive(Debug)]
pub enum SignInError {
    /// The token cannot stand for an account; the reason is told to fields
    /// that need a viewer.
    Refused(&'static str),
    /// The database failed.
    Failed(AppError),
}

impl From<AppError> for SignInError {
    fn from(err: AppError) -> Self {
        Self::Failed(err)
    }
}

impl From<sea_orm::DbErr> for SignInError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Failed(err.into())
    }
}

/// The account of `identity`, created on first sight, with the role the
/// token gives.
#[tracing::instrument(skip_all)]
pub async fn sign_in(
    state: &AppState,
    issuer: &str,
    identity: &ExternalIdentity,
) -> Result<Uuid, SignInError> {
    if let Some(user) = linked(&state.db, issuer, &identity.subject).await? {
        return Ok(keep_role(state, user, identity.role).await?);
    }
    let email = identity
        .email
        .as_deref()
        .and_then(|email| Email::parse(email, "email").ok())
        .ok_or(SignInError::Refused(
            "the access token carries no usable email",
        ))?;
    if !identity.email_verified {
        return Err(SignInError::Refused(
            "the access token's email is not verified",
        ));
    }
    match create(state, issuer, identity, &email).await {
        Ok(id) => Ok(id),
        // Another request created the account first, or the email is taken.
        Err(AppError::Conflict { .. }) => match linked(&state.db, issuer, &identity.subject).await?
        {
            Some(user) => Ok(keep_role(state, user, identity.role).await?),
            None => Err(SignInError::Refused(
                "the access token's email belongs to another account",
            )),
        },
        Err(err) => Err(err.into()),
    }
}

/// The user linked to the provider's `subject`. The user is the selected
/// model, not a related one, so a row that does not decode (a role this
/// version does not know) is an error instead of reading as no user.
async fn linked(
    db: &impl ConnectionTrait,
    issuer: &str,
    subject: &str,
) -> Result<Option<users::Model>, sea_orm::DbErr> {
    users::Entity::find()
        .join(JoinType::InnerJoin, identities::Relation::User.def().rev())
        .filter(identities::Column::Issuer.eq(issuer))
        .filter(identities::Column::Subject.eq(subject))
        .one(db)
        .await
}

/// Creates the user and the link in one transaction; a unique violation on
/// either is CONFLICT.
async fn create(
    state: &AppState,
    issuer: &str,
    identity: &ExternalIdentity,
    email: &Email,
) -> Result<Uuid, AppError> {
    let display_name = identity
        .name
        .as_deref()
        .and_then(|name| DisplayName::parse(name, "name").ok())
        .map(DisplayName::into_inner)
        .unwrap_or_else(|| {
            email
                .as_str()
                .split('@')
                .next()
                .unwrap_or("user")
                .to_owned()
        });
    let now = Utc::now().trunc_subsecs(6);
    let id = Uuid::now_v7();
    let txn = db::begin_write(&state.db).await?;
    users::ActiveModel {
        id: Set(id),
        email: Set(email.as_str().to_owned()),
        password_hash: Set(NO_PASSWORD.to_owned()),
        display_name: Set(display_name),
        role: Set(identity.role),
        created_at: Set(now),
        updated_at: Set(now),
    }
    .insert(&txn)
    .await
    .on_unique_violation("email", "an account with this email exists")?;
    identities::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(id),
        issuer: Set(issuer.to_owned()),
        subject: Set(identity.subject.clone()),
        created_at: Set(now),
    }
    .insert(&txn)
    .await
    .on_unique_violation("subject", "this subject has an account")?;
    txn.commit().await?;
    tracing::info!(user_id = %id, "created the account of an identity provider's user");
    Ok(id)
}

/// Gives the account the role the provider's token states, when it differs.
async fn keep_role(state: &AppState, user: users::Model, role: Role) -> Result<Uuid, AppError> {
    let id = user.id;
    if user.role != role {
        let mut row: users::ActiveModel = user.into();
        row.role = Set(role);
        row.updated_at = Set(Utc::now().trunc_subsecs(6));
        row.update(&state.db).await?;
        state.caches.changed(Change::User(id)).await;
    }
    Ok(id)
}
