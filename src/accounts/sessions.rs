//! Refresh tokens: opaque 256-bit random values, stored only as SHA-256
//! hashes, grouped in families with an absolute expiry. Every use rotates the
//! token; presenting a token that was already rotated revokes its whole family
//! (RFC 9700), and of two concurrent uses of one token at most one succeeds.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, SubsecRound, Utc};
use entity::sessions;
use rand::RngExt;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set, sea_query::Expr,
};
use uuid::Uuid;

use crate::{
    digest::sha256_hex,
    error::{AppError, Result},
};

/// The longest refresh token accepted (a real one is 43 characters).
pub const MAX_TOKEN_LEN: usize = 128;

/// A new refresh token and the session row behind it.
pub struct Issued {
    pub token: String,
    pub session: sessions::Model,
}

fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash(&token);
    (token, hash)
}

fn hash(token: &str) -> String {
    sha256_hex(token)
}

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn invalid() -> AppError {
    AppError::Unauthenticated("the refresh token is invalid or expired".into())
}

async fn insert(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    family_id: Uuid,
    expires_at: DateTime<Utc>,
) -> Result<Issued> {
    let (token, token_hash) = new_token();
    let session = sessions::ActiveModel {
        id: Set(Uuid::now_v7()),
        user_id: Set(user_id),
        family_id: Set(family_id),
        token_hash: Set(token_hash),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        created_at: Set(now()),
    }
    .insert(db)
    .await?;
    Ok(Issued { token, session })
}

/// Starts a new family for `user_id`, valid for `ttl`.
pub async fn start(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    ttl: std::time::Duration,
) -> Result<Issued> {
    let ttl = chrono::Duration::from_std(ttl).map_err(|e| AppError::Internal(e.into()))?;
    insert(db, user_id, Uuid::now_v7(), now() + ttl).await
}

/// What presenting a refresh token led to.
pub enum Rotation {
    /// The token was current: here is its successor.
    Rotated(Issued),
    /// The token had been used already: its family is now revoked.
    Reused { family_id: Uuid },
}

/// Exchanges `token` for its successor in the same family (same absolute
/// expiry). Run it in a transaction: the conditional update makes concurrent
/// uses of one token race for a single row, and the loser is a reuse.
pub async fn rotate(db: &impl ConnectionTrait, token: &str) -> Result<Rotation> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid());
    }
    let session = sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(hash(token)))
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let at = now();
    if session.revoked_at.is_some() {
        revoke_family(db, session.family_id).await?;
        return Ok(Rotation::Reused {
            family_id: session.family_id,
        });
    }
    if session.expires_at <= at {
        return Err(invalid());
    }
    let claimed = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(at))
        .filter(sessions::Column::Id.eq(session.id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    if claimed.rows_affected != 1 {
        revoke_family(db, session.family_id).await?;
        return Ok(Rotation::Reused {
            family_id: session.family_id,
        });
    }
    let next = insert(db, session.user_id, session.family_id, session.expires_at).await?;
    Ok(Rotation::Rotated(next))
}

/// The family of a current (not yet used) refresh token.
pub async fn family_of(db: &impl ConnectionTrait, token: &str) -> Result<Option<sessions::Model>> {
    if token.len() > MAX_TOKEN_LEN {
        return Ok(None);
    }
    Ok(sessions::Entity::find()
        .filter(sessions::Column::TokenHash.eq(hash(token)))
        .one(db)
        .await?)
}

/// Ends every session of a family.
pub async fn revoke_family(db: &impl ConnectionTrait, family_id: Uuid) -> Result<()> {
    sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now()))
        .filter(sessions::Column::FamilyId.eq(family_id))
        .filter(sessions::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(())
}

/// Ends every session of `user_id` except those of the family `keep`.
pub async fn revoke_others(
    db: &impl ConnectionTrait,
    user_id: Uuid,
    keep: Option<Uuid>,
) -> Result<()> {
    let mut update = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(now()))
        .filter(sessions::Column::UserId.eq(user_id))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(keep) = keep {
        update = update.filter(sessions::Column::FamilyId.ne(keep));
    }
    update.exec(db).await?;
    Ok(())
}
