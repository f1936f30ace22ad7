//! Integration tests: GraphQL requests over the real router, on a fresh
//! database per test (SQLite by default; PostgreSQL when TEST_DATABASE_URL
//! points at one).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod accounts;
mod any_input;
mod bench_hooks;
mod binary;
mod caching;
mod catalog;
mod cli;
mod client_results;
mod commerce;
mod config_reference;
mod contract;
mod decoding;
mod graphiql;
mod guards;
mod healthcheck;
mod helpers;
mod http_rules;
mod identity_provider;
mod large_bodies;
mod migrations;
mod outage;
mod proxy;
mod scale_out;
mod schema;
mod security;
mod shared_limits;
mod shutdown;
mod sse;
mod startup;
mod statements;
mod stored_values;
mod telemetry;
mod tokens;
mod workers;
