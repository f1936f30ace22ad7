//! Tollgate: a GraphQL API server for a commerce backend.
//!
//! Each domain (`accounts`, `catalog`, `reviews`) holds its GraphQL types,
//! query roots, loaders and service functions; the shared plumbing (`app`,
//! `graphql`, `db`, `config`, `error`, `auth`) sits beside them. The
//! application `state` is apart from the HTTP layer (`app`), so that the
//! schema and the domains never depend on the router.

pub mod accounts;
pub mod app;
pub mod auth;
pub mod cache;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod db;
pub mod digest;
pub mod error;
pub mod events;
pub mod graphql;
pub mod limits;
pub mod orders;
pub mod paging;
pub mod payments;
pub mod reviews;
pub mod seed;
pub mod shared;
pub mod shutdown;
pub mod state;
pub mod telemetry;

pub use app::Application;
pub use config::Config;
pub use error::{AppError, Result};
pub use state::AppState;
