//! Accounts: users, their roles, and password hashing.

pub mod input;
pub mod loaders;
pub mod password;
pub mod service;
mod types;

pub use types::User;
