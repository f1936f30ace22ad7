//! Field guards. Authorization is declared on fields with these, never
//! checked ad hoc inside resolvers: anonymous (or a rejected token) is
//! UNAUTHENTICATED, signed in without the role is FORBIDDEN.

use async_graphql::{Context, ErrorExtensions, Guard, Result};
use sea_orm::ActiveEnum;
use uuid::Uuid;

use super::{Role, Viewer};
use crate::{error::AppError, graphql::RequestMeta};

fn viewer<'a>(ctx: &'a Context<'_>) -> Result<&'a Viewer> {
    Ok(&ctx.data::<RequestMeta>()?.viewer)
}

/// The error for a field that needs a signed-in viewer.
pub fn unauthenticated(viewer: &Viewer) -> AppError {
    match viewer {
        Viewer::Rejected(reason) => AppError::Unauthenticated((*reason).to_owned()),
        Viewer::Unverifiable => AppError::unavailable(),
        Viewer::Unreadable => AppError::unreadable_session(),
        _ => AppError::Unauthenticated("sign in to do this".to_owned()),
    }
}

/// Any signed-in user.
pub struct SignedIn;

impl Guard for SignedIn {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match viewer(ctx)? {
            Viewer::User { .. } => Ok(()),
            other => Err(unauthenticated(other).extend()),
        }
    }
}

/// A signed-in user with at least `role` (STAFF < ADMIN).
pub struct RoleGuard(pub Role);

impl Guard for RoleGuard {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match viewer(ctx)? {
            v @ Viewer::User { .. } if v.has_role(self.0) => Ok(()),
            Viewer::User { .. } => Err(AppError::Forbidden(format!(
                "only {} and above may do this",
                self.0.to_value()
            ))
            .extend()),
            other => Err(unauthenticated(other).extend()),
        }
    }
}

/// For objects fetched by id that belong to one user: the owner and
/// STAFF/ADMIN get them; another signed-in user gets NOT_FOUND, exactly as
/// for an id that does not exist, so nothing leaks about its existence.
pub struct OwnerOrStaff {
    pub owner: Option<Uuid>,
}

impl OwnerOrStaff {
    /// The guard for an object whose owner is named by the id argument `id`.
    pub fn by_id(id: &async_graphql::ID) -> Self {
        Self {
            owner: Uuid::parse_str(id.as_str()).ok(),
        }
    }
}

impl Guard for OwnerOrStaff {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        match viewer(ctx)? {
            v @ Viewer::User { id, .. } if v.is_staff() || self.owner == Some(*id) => Ok(()),
            Viewer::User { .. } => Err(AppError::NotFound("object").extend()),
            other => Err(unauthenticated(other).extend()),
        }
    }
}

/// For fields hidden from everyone but the user `owner` and STAFF/ADMIN:
/// others get null with FORBIDDEN at the field, so the parent survives.
/// `granted` marks a user seen as themselves without a token yet (the user
/// who just signed in, in `AuthPayload.user`).
pub struct SelfOrStaff {
    pub owner: Uuid,
    pub granted: bool,
}

impl Guard for SelfOrStaff {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = viewer(ctx)?;
        if self.granted || viewer.user_id() == Some(self.owner) || viewer.is_staff() {
            Ok(())
        } else {
            Err(AppError::Forbidden("only the user and staff may see this field".into()).extend())
        }
    }
}
