//! The GraphQL schema: the merged roots of every domain, per-request data, and
//! the extension that gives request errors their codes.

mod error_codes;
pub mod guard;
pub mod ids;
pub mod loaders;
pub mod paged;
pub mod pagination;
pub mod persisted;
pub mod prime;
pub mod shape;
pub mod trusted;

use std::net::IpAddr;

use async_graphql::{MergedObject, MergedSubscription, Schema};

use crate::{
    accounts::{AccountsMutation, AccountsQuery},
    auth::Viewer,
    catalog::{CatalogMutation, CatalogQuery, CatalogSubscription},
    limits,
    orders::{OrdersMutation, OrdersQuery, OrdersSubscription},
    payments::PaymentsMutation,
    reviews::ReviewsMutation,
    state::AppState,
};

pub use error_codes::finalize_errors;
pub use loaders::Loaders;

/// The root query type, merged from every domain.
#[derive(MergedObject, Default)]
#[graphql(name = "Query")]
pub struct Query(AccountsQuery, CatalogQuery, OrdersQuery);

/// The root mutation type, merged from every domain.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct Mutation(
    AccountsMutation,
    CatalogMutation,
    OrdersMutation,
    PaymentsMutation,
    ReviewsMutation,
);

/// The root subscription type, merged from every domain.
#[derive(MergedSubscription, Default)]
#[graphql(name = "Subscription")]
pub struct Subscription(OrdersSubscription, CatalogSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// Per-request facts resolvers and guards rely on.
#[derive(Clone, Debug)]
pub struct RequestMeta {
    /// The id under which the request is logged; errors carry it.
    pub request_id: String,
    /// Who is asking.
    pub viewer: Viewer,
    /// The client's address (the socket peer, or from X-Forwarded-For when
    /// the peer is a trusted proxy).
    pub client_ip: IpAddr,
}

/// Builds the schema, with the application state available to every
/// resolver and the limits of the configuration; production hides the schema
/// (no introspection unless enabled, no field suggestions).
pub fn build_schema(state: AppState) -> AppSchema {
    let config = state.config.clone();
    let mut builder = Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    // Depth is measured exactly by the guard; the executor's own check
    // only needs to stay above the pre-parse bracket check.
    .limit_recursive_depth(limits::MAX_NESTING as usize + 8)
    .data(state);
    if !config.limits.introspection {
        builder = builder.disable_introspection();
    }
    if config.is_production() {
        builder = builder.disable_suggestions();
    }
    builder.finish()
}

/// The schema's SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .finish()
    .sdl()
}
