//! Abuse limits: per-operation limits checked after parsing and before any
//! resolver runs (depth, aliases, root fields, directives, size and a
//! connection-aware cost), and per-client cost budgets; with `REDIS_URL`,
//! the budgets and the per-IP request rate are shared by every instance.

pub mod analysis;
pub mod budget;
pub mod ip_rate;
pub mod rate;
mod shared_buckets;

use async_graphql::ServerError;

use crate::{error::AppError, telemetry::metrics};

pub use analysis::{Analysis, analyse};

/// Bracket nesting past which a document is not even parsed: the parser's
/// own recursion limit. Deeper than any real operation (the depth limit is
/// checked exactly after parsing).
pub const MAX_NESTING: u64 = 64;

/// Per-operation limits (DESIGN.md "Abuse limits").
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub depth: usize,
    pub aliases: usize,
    pub root_fields: usize,
    pub directives: usize,
    /// Document size in bytes.
    pub size: usize,
    pub cost: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            depth: 10,
            aliases: 30,
            root_fields: 20,
            directives: 50,
            size: 16 * 1024,
            cost: 1_000,
        }
    }
}

/// QUERY_TOO_COMPLEX naming the limit, its maximum and what was found.
pub fn too_complex(limit: &'static str, max: u64, found: u64) -> ServerError {
    metrics::refusal(limit);
    AppError::TooComplex {
        limit,
        max,
        found,
        message: format!(
            "the operation is too complex: {limit} is {found}, at most {max} is allowed"
        ),
    }
    .to_server_error(None)
}

impl Limits {
    /// Every limit `analysis` breaks, most telling first. Introspection is
    /// exempt from depth and cost so that GraphiQL and code generators work.
    pub fn check(&self, analysis: &Analysis) -> Result<(), Vec<ServerError>> {
        let checks = [
            (
                "depth",
                self.depth as u64,
                analysis.depth as u64,
                !analysis.introspection,
            ),
            (
                "aliases",
                self.aliases as u64,
                analysis.aliases as u64,
                true,
            ),
            (
                "rootFields",
                self.root_fields as u64,
                analysis.root_fields as u64,
                true,
            ),
            (
                "directives",
                self.directives as u64,
                analysis.directives as u64,
                true,
            ),
            ("cost", self.cost, analysis.cost, !analysis.introspection),
        ];
        let broken: Vec<ServerError> = checks
            .into_iter()
            .filter(|(_, max, found, applies)| *applies && found > max)
            .map(|(limit, max, found, _)| too_complex(limit, max, found))
            .collect();
        if broken.is_empty() {
            Ok(())
        } else {
            Err(broken)
        }
    }

    /// Refuses a document too large, or nested too deep to be worth parsing
    /// (a flood of brackets), before the parser sees it; `found` is then the
    /// bracket nesting.
    pub fn check_text(&self, query: &str) -> Result<(), ServerError> {
        if query.len() > self.size {
            return Err(too_complex("size", self.size as u64, query.len() as u64));
        }
        let nesting = nesting(query);
        if nesting > MAX_NESTING {
            return Err(too_complex("depth", self.depth as u64, nesting));
        }
        Ok(())
    }
}

/// The deepest nesting of brackets outside strings and comments.
fn nesting(query: &str) -> u64 {
    let (mut depth, mut deepest, mut in_string, mut in_comment, mut escaped) =
        (0u64, 0u64, false, false, false);
    for c in query.chars() {
        if in_comment {
            in_comment = c != '\n' && c != '\r';
        } else if in_string {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else {
            match c {
                '#' => in_comment = true,
                '"' => in_string = true,
                '{' | '(' | '[' => {
                    depth += 1;
                    deepest = deepest.max(depth);
                }
                '}' | ')' | ']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brace_floods_and_large_documents_are_refused_before_parsing() {
        let limits = Limits::default();
        assert!(
            limits
                .check_text("{ products { edges { node { id } } } }")
                .is_ok()
        );
        assert!(
            limits.check_text(&"{".repeat(64)).is_ok(),
            "parsed, then measured exactly"
        );
        assert!(limits.check_text(&"{".repeat(65)).is_err());
        assert!(
            limits
                .check_text(&format!(
                    "{{ products(filter: {{ search: \"{}\" }}) {{ edges {{ cursor }} }} }}",
                    "{".repeat(200)
                ))
                .is_ok()
        );
        let big = format!("{{ {} }}", "__typename ".repeat(2000));
        let error = limits.check_text(&big).unwrap_err();
        assert_eq!(
            error.extensions.unwrap().get("limit"),
            Some(&async_graphql::Value::from("size"))
        );
    }
}
