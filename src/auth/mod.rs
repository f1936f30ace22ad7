//! Who is asking: the viewer of a request, the access tokens that prove it
//! (Tollgate's own, and an external identity provider's), the session check
//! that makes revocation reach those tokens, the throttle on login and
//! registration, and the guards that decide what a viewer sees.

pub mod external;
mod guards;
pub mod sessions;
mod shared_counters;
pub mod throttle;
pub mod tokens;

use uuid::Uuid;

pub use entity::users::Role;
pub use guards::{OwnerOrStaff, RoleGuard, SelfOrStaff, SignedIn, unauthenticated};

/// The identity behind a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Viewer {
    /// No credentials were sent.
    #[default]
    Anonymous,
    /// Credentials were sent but grant nothing; the reason is told to fields
    /// that need a viewer.
    Rejected(&'static str),
    /// A valid token whose session could not be checked because the
    /// database is unavailable: it grants nothing now, but fields that need
    /// a viewer answer SERVICE_UNAVAILABLE, so clients keep their tokens.
    Unverifiable,
    /// A valid token whose session could not be read (its user's role is a
    /// value this version does not know): it grants nothing, and fields that
    /// need a viewer answer INTERNAL_SERVER_ERROR; the cause is logged.
    Unreadable,
    /// A signed-in user, in the session (refresh-token family) `session`.
    User { id: Uuid, role: Role, session: Uuid },
}

impl Viewer {
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::User { id, .. } => Some(*id),
            _ => None,
        }
    }

    /// Whether the viewer has at least `role`.
    pub fn has_role(&self, role: Role) -> bool {
        matches!(self, Self::User { role: r, .. } if *r >= role)
    }

    /// STAFF and ADMIN see inactive products and every order.
    pub fn is_staff(&self) -> bool {
        self.has_role(Role::Staff)
    }
}

/// The access token a WebSocket connection was opened with; subscriptions
/// re-check it on every event.
#[derive(Clone, Debug)]
pub enum ConnectionToken {
    /// One of Tollgate's tokens, of a session that may end.
    Own(tokens::AccessClaims),
    /// An identity provider's token: valid until it expires.
    External {
        user: Uuid,
        role: Role,
        expires_at: i64,
    },
}

impl ConnectionToken {
    /// When the token expires (seconds since the epoch).
    pub fn expires_at(&self) -> i64 {
        match self {
            Self::Own(claims) => claims.exp,
            Self::External { expires_at, .. } => *expires_at,
        }
    }
}

/// The viewer of a subscription at the time of an event: anonymous
/// connections stay anonymous; a signed-in one must still hold an unexpired
/// token (of a live session, for Tollgate's own tokens).
pub async fn recheck(
    sessions: &sessions::SessionCheck,
    db: &sea_orm::DatabaseConnection,
    token: Option<&ConnectionToken>,
) -> Result<Viewer, crate::error::AppError> {
    let Some(token) = token else {
        return Ok(Viewer::Anonymous);
    };
    if token.expires_at() <= chrono::Utc::now().timestamp() {
        return Err(crate::error::AppError::Unauthenticated(
            "the access token expired".into(),
        ));
    }
    let claims = match token {
        ConnectionToken::Own(claims) => claims,
        ConnectionToken::External { user, role, .. } => {
            return Ok(Viewer::User {
                id: *user,
                role: *role,
                session: Uuid::nil(),
            });
        }
    };
    match sessions.viewer(db, claims).await {
        viewer @ Viewer::User { .. } => Ok(viewer),
        Viewer::Rejected(reason) => Err(crate::error::AppError::Unauthenticated(reason.into())),
        Viewer::Unverifiable => Err(crate::error::AppError::unavailable()),
        Viewer::Unreadable => Err(crate::error::AppError::unreadable_session()),
        Viewer::Anonymous => Ok(Viewer::Anonymous),
    }
}

/// The viewer an `Authorization` header stands for. No header is anonymous;
/// anything but a valid bearer token (of a live session, for Tollgate's own)
/// grants nothing.
pub async fn authenticate(state: &crate::state::AppState, authorization: Option<&str>) -> Viewer {
    authenticate_keeping(state, authorization).await.0
}

/// The viewer an `Authorization` header stands for, with the token that a
/// subscription re-checks on every event when the viewer is signed in.
pub async fn authenticate_keeping(
    state: &crate::state::AppState,
    authorization: Option<&str>,
) -> (Viewer, Option<ConnectionToken>) {
    let Some(header) = authorization.map(str::trim).filter(|h| !h.is_empty()) else {
        return (Viewer::Anonymous, None);
    };
    match header.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            match verify_bearer(state, token.trim()).await {
                (viewer @ Viewer::User { .. }, kept) => (viewer, kept),
                (viewer, _) => (viewer, None),
            }
        }
        _ => (
            Viewer::Rejected("the Authorization header must be `Bearer <token>`"),
            None,
        ),
    }
}

/// The viewer a bearer token stands for, and what a WebSocket keeps of it to
/// re-check it. Tollgate's own tokens are HS256; with an identity provider
/// configured, tokens signed with a public-key algorithm are the provider's.
pub async fn verify_bearer(
    state: &crate::state::AppState,
    token: &str,
) -> (Viewer, Option<ConnectionToken>) {
    const INVALID: &str = "the access token is invalid or expired";
    if let Some(provider) = &state.identity_provider
        && let Ok(header) = jsonwebtoken::decode_header(token)
        && external::is_external(&header)
    {
        return provider.viewer(state, token, header).await;
    }
    match state.keys.verify(token) {
        Some(claims) => {
            let viewer = state.caches.sessions.viewer(&state.db, &claims).await;
            (viewer, Some(ConnectionToken::Own(claims)))
        }
        None => (Viewer::Rejected(INVALID), None),
    }
}
