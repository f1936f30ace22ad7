//! Names and messages on Redis. Every channel and key of a deployment
//! starts with its prefix (`REDIS_PREFIX`) and a colon, then the feature:
//! `{prefix}:invalidations` now; events, limits and persisted queries take
//! names of their own beside it. Messages are JSON, each naming the instance
//! that sent it, so that an instance ignores its own.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::cache::Change;

/// The channel of cache invalidations.
pub const INVALIDATIONS: &str = "invalidations";

/// The full name of channel or key `name` under `prefix`.
pub fn named(prefix: &str, name: &str) -> String {
    format!("{prefix}:{name}")
}

/// What an instance tells the others on [`INVALIDATIONS`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "what", rename_all = "snake_case")]
pub enum Invalidation {
    /// Changes committed by `from`, in order.
    Changes { from: Uuid, changes: Vec<Change> },
    /// Changes of `from` may have gone unheard: anything may be stale.
    Everything { from: Uuid },
}

impl Invalidation {
    /// The instance that sent it.
    pub fn from(&self) -> Uuid {
        match self {
            Self::Changes { from, .. } | Self::Everything { from } => *from,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidations_read_back_as_written() {
        let from = Uuid::now_v7();
        let id = Uuid::now_v7();
        let changes = Invalidation::Changes {
            from,
            changes: vec![
                Change::Product(id),
                Change::User(id),
                Change::Reviews { product_id: id },
                Change::Session(id),
            ],
        };
        let json = serde_json::to_string(&changes).unwrap();
        assert!(json.starts_with(r#"{"what":"changes","from":"#), "{json}");
        assert!(json.contains(&format!(r#"{{"product":"{id}"}}"#)), "{json}");
        assert_eq!(
            serde_json::from_str::<Invalidation>(&json).unwrap(),
            changes
        );
        let everything = Invalidation::Everything { from };
        let json = serde_json::to_string(&everything).unwrap();
        assert_eq!(json, format!(r#"{{"what":"everything","from":"{from}"}}"#));
        assert_eq!(
            serde_json::from_str::<Invalidation>(&json).unwrap(),
            everything
        );
    }
}
