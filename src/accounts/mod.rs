//! Accounts: registration, sign-in with rotating refresh tokens, roles, and
//! password hashing.

pub mod external;
pub mod input;
pub mod loaders;
mod mutation;
pub mod password;
pub mod prime;
mod query;
pub mod service;
pub mod sessions;
mod types;

pub use mutation::AccountsMutation;
pub use query::AccountsQuery;
pub use types::{AuthPayload, ChangePasswordInput, LoginInput, RegisterInput, User};
