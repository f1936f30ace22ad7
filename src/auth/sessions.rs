//! Makes revocation reach access tokens without a database round trip per
//! request: the state of each session (refresh-token family) is cached for
//! one second, so logout, a password change or a role change refuses the
//! session's access tokens within a second, at most one query per session
//! and second. The changes this instance makes, or hears of from another
//! (`cache::Change::Session`, `Change::User`), drop the state at once.

use std::time::Duration;

use chrono::Utc;
use entity::{sessions, users};
use moka::future::Cache;
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use super::{Role, Viewer, tokens::AccessClaims};

const FRESHNESS: Duration = Duration::from_secs(1);
/// Sessions whose state is kept at most (each for `FRESHNESS`).
const MAX_SESSIONS: u64 = 100_000;

/// The user and role of each live session; `None` once the session has ended.
#[derive(Clone)]
pub struct SessionCheck {
    cache: Cache<Uuid, Option<(Uuid, Role)>>,
}

impl Default for SessionCheck {
    fn default() -> Self {
        Self {
            cache: Cache::builder()
                .max_capacity(MAX_SESSIONS)
                .time_to_live(FRESHNESS)
                .build(),
        }
    }
}

impl SessionCheck {
    /// The viewer a verified token stands for, or why it stands for nobody.
    pub async fn viewer(&self, db: &DatabaseConnection, claims: &AccessClaims) -> Viewer {
        let state = self
            .cache
            .try_get_with(claims.sid, live_role(db, claims.sid))
            .await;
        match state {
            // A token signed for one user naming another user's session
            // stands for nobody.
            Ok(Some((user, _))) if user != claims.sub => {
                Viewer::Rejected("the access token is invalid or expired")
            }
            Ok(Some((_, role))) if role == claims.role => Viewer::User {
                id: claims.sub,
                role,
                session: claims.sid,
            },
            Ok(Some(_)) => Viewer::Rejected("the access token is out of date; refresh it"),
            Ok(None) => Viewer::Rejected("the session has ended; sign in again"),
            Err(err) if matches!(*err, DbErr::Type(_)) => {
                tracing::error!(error = %err, "a session could not be read");
                Viewer::Unreadable
            }
            Err(err) => {
                tracing::warn!(error = %err, "a session could not be checked");
                Viewer::Unverifiable
            }
        }
    }

    /// Forgets what is known of `session`, after it changed.
    pub async fn forget(&self, session: Uuid) {
        self.cache.invalidate(&session).await;
    }

    /// Forgets every session, after a user changed (a role, a password):
    /// each live session costs one more query, as after its second is up.
    pub fn forget_all(&self) {
        self.cache.invalidate_all();
    }
}

/// The user, and their role, of a family that still has a live session.
async fn live_role(db: &DatabaseConnection, family: Uuid) -> Result<Option<(Uuid, Role)>, DbErr> {
    // Two columns as a tuple: a role that does not decode is an error here,
    // where a related model that does not decode would read as no user.
    sessions::Entity::find()
        .select_only()
        .column(users::Column::Id)
        .column(users::Column::Role)
        .inner_join(users::Entity)
        .filter(sessions::Column::FamilyId.eq(family))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(Utc::now()))
        .into_tuple()
        .one(db)
        .await
}
