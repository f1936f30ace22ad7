//! Field guards. Authorization is declared on fields with these, never
//! checked ad hoc inside resolvers.

use async_graphql::{Context, ErrorExtensions, Guard, Result};
use uuid::Uuid;

use crate::{error::AppError, graphql::RequestMeta};

/// Lets the user `owner` and STAFF/ADMIN through; anyone else gets FORBIDDEN.
pub struct SelfOrStaff(pub Uuid);

impl Guard for SelfOrStaff {
    async fn check(&self, ctx: &Context<'_>) -> Result<()> {
        let viewer = &ctx.data::<RequestMeta>()?.viewer;
        if viewer.user_id() == Some(self.0) || viewer.is_staff() {
            Ok(())
        } else {
            Err(AppError::Forbidden("only the user and staff may see this field".into()).extend())
        }
    }
}
