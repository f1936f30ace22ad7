//! Short names for every entity.

pub use super::identities::Entity as Identities;
pub use super::order_items::Entity as OrderItems;
pub use super::orders::Entity as Orders;
pub use super::payments::Entity as Payments;
pub use super::products::Entity as Products;
pub use super::reviews::Entity as Reviews;
pub use super::sessions::Entity as Sessions;
pub use super::users::Entity as Users;
