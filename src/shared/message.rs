//! Names and messages on Redis. Every channel and key of a deployment
//! starts with its prefix (`REDIS_PREFIX`) and a colon, then the feature:
//! `{prefix}:invalidations` and `{prefix}:events` (channels),
//! `{prefix}:apq:{sha256}` (persisted queries); limits take names of their
//! own beside them. Messages are JSON, each naming the instance that sent
//! it, so that an instance ignores its own and knows whom it has heard.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{cache::Change, events::Event};

/// The channel of cache invalidations.
pub const INVALIDATIONS: &str = "invalidations";
/// The channel of domain events, for subscriptions.
pub const EVENTS: &str = "events";
/// What the keys of persisted queries start with (then a colon and the hash).
pub const PERSISTED_QUERIES: &str = "apq";

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
    /// `from` stops: it sends nothing more and need not be heard.
    Goodbye { from: Uuid },
}

impl Invalidation {
    /// The heartbeat of `from`: no changes, which is all an instance that
    /// knows nothing of heartbeats reads in it (and only heartbeats are
    /// empty: changes are published as they come, at least one a message).
    pub fn heartbeat(from: Uuid) -> Self {
        Self::Changes {
            from,
            changes: Vec::new(),
        }
    }

    /// The instance that sent it.
    pub fn from(&self) -> Uuid {
        match self {
            Self::Changes { from, .. } | Self::Everything { from } | Self::Goodbye { from } => {
                *from
            }
        }
    }
}

/// What an instance tells the others on [`EVENTS`]: events committed by
/// `from`, in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Events {
    pub from: Uuid,
    pub events: Vec<Event>,
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
        let heartbeat = serde_json::to_string(&Invalidation::heartbeat(from)).unwrap();
        assert_eq!(
            heartbeat,
            format!(r#"{{"what":"changes","from":"{from}","changes":[]}}"#)
        );
        let goodbye = serde_json::to_string(&Invalidation::Goodbye { from }).unwrap();
        assert_eq!(goodbye, format!(r#"{{"what":"goodbye","from":"{from}"}}"#));
    }

    #[test]
    fn events_read_back_as_written() {
        let (from, order_id, user_id) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let events = Events {
            from,
            events: vec![
                Event::OrderStatusChanged { order_id, user_id },
                Event::StockChanged {
                    product_id: order_id,
                },
            ],
        };
        let json = serde_json::to_string(&events).unwrap();
        assert_eq!(
            json,
            format!(
                r#"{{"from":"{from}","events":[{{"order_status_changed":{{"order_id":"{order_id}","user_id":"{user_id}"}}}},{{"stock_changed":{{"product_id":"{order_id}"}}}}]}}"#
            )
        );
        assert_eq!(serde_json::from_str::<Events>(&json).unwrap(), events);
    }
}
