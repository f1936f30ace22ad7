//! Who is asking: the viewer of a request and the guards that decide what
//! they may see.

mod guards;

use async_graphql::Enum;
use uuid::Uuid;

pub use guards::SelfOrStaff;

/// Account roles, ordered by privilege: CUSTOMER < STAFF < ADMIN.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// A shopper: sees the public catalog and their own orders.
    Customer,
    /// An employee: manages the catalog and every order.
    Staff,
    /// An administrator: everything STAFF may do, plus managing users.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "CUSTOMER",
            Self::Staff => "STAFF",
            Self::Admin => "ADMIN",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "CUSTOMER" => Some(Self::Customer),
            "STAFF" => Some(Self::Staff),
            "ADMIN" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The identity behind a request.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Viewer {
    /// No credentials were sent.
    #[default]
    Anonymous,
    /// A signed-in user.
    User { id: Uuid, role: Role },
}

impl Viewer {
    pub fn user_id(&self) -> Option<Uuid> {
        match self {
            Self::User { id, .. } => Some(*id),
            Self::Anonymous => None,
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
