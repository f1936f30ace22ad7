//! Domain events for subscriptions. Service functions publish after their
//! transaction commits; subscription resolvers listen. The bus is an interface:
//! the in-process one is the default, and a shared one (Redis pub/sub) can
//! take its place so several instances see each other's events.

use futures_util::stream::{self, BoxStream};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

/// Something that happened, named by ids; listeners load what they show
/// and check, for each subscriber, whether it may see it. Its JSON travels
/// between instances (`shared::message`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// An order's status changed; `user_id` owns the order.
    OrderStatusChanged { order_id: Uuid, user_id: Uuid },
    /// A product's stock changed.
    StockChanged { product_id: Uuid },
}

/// Publishes events to every listener (of every instance, for a shared bus).
pub trait EventBus: Send + Sync {
    fn publish(&self, event: Event);
    fn subscribe(&self) -> BoxStream<'static, Event>;
}

/// Events a subscriber may fall behind by before it misses some.
const QUEUE: usize = 1024;

/// Events within this process.
pub struct LocalBus {
    sender: broadcast::Sender<Event>,
}

impl Default for LocalBus {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(QUEUE).0,
        }
    }
}

impl EventBus for LocalBus {
    fn publish(&self, event: Event) {
        // No listener is not an error.
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> BoxStream<'static, Event> {
        Box::pin(stream::unfold(
            self.sender.subscribe(),
            |mut receiver| async move {
                loop {
                    match receiver.recv().await {
                        Ok(event) => return Some((event, receiver)),
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "a slow subscriber missed events");
                        }
                        Err(RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn every_subscriber_receives_what_is_published_after_it_subscribed() {
        let bus = LocalBus::default();
        bus.publish(Event::StockChanged {
            product_id: Uuid::nil(),
        });
        let (mut a, mut b) = (bus.subscribe(), bus.subscribe());
        let event = Event::StockChanged {
            product_id: Uuid::now_v7(),
        };
        bus.publish(event);
        assert_eq!(a.next().await, Some(event));
        assert_eq!(b.next().await, Some(event));
    }
}
