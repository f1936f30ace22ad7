//! Domain events shared between instances, for subscriptions. An event
//! committed here reaches this instance's subscribers at once, through the
//! in-process bus, and is handed to an outbox without waiting (writes never
//! wait on Redis); one task publishes what has queued up on
//! `{prefix}:events`, several events to a message. The listener hands the
//! other instances' events to the same in-process bus, so a subscriber goes
//! through the same checks whichever instance an event was committed on.
//!
//! Pub/sub keeps nothing: an event published while another instance is not
//! subscribed never reaches that instance's subscribers. A publish that
//! fails is tried again for a while ([`MAX_DELAY`]), then dropped, so that
//! a long outage does not end in a burst of stale events.

use std::{sync::Arc, time::Duration};

use futures_util::stream::BoxStream;
use redis::{AsyncCommands, aio::ConnectionManager};
use tokio::{
    sync::mpsc,
    time::{Instant, sleep},
};
use uuid::Uuid;

use super::message::Events;
use crate::{
    events::{Event, EventBus, LocalBus},
    telemetry::metrics,
};

/// Events waiting to be published; more are dropped.
const QUEUE: usize = 1024;
/// Events in one message at most.
const BATCH: usize = 256;
/// How soon a failed publish is tried again.
const RETRY: Duration = Duration::from_millis(250);
/// How long an event may wait to be published before it is dropped.
const MAX_DELAY: Duration = Duration::from_secs(10);

/// The event bus of an instance linked through Redis.
pub struct SharedBus {
    local: Arc<LocalBus>,
    queue: mpsc::Sender<(Instant, Event)>,
}

/// The publishing end of a [`SharedBus`].
pub struct Outgoing(mpsc::Receiver<(Instant, Event)>);

/// A bus that delivers to `local` and queues for the others, and the end
/// its publisher reads.
pub fn bus(local: Arc<LocalBus>) -> (SharedBus, Outgoing) {
    let (queue, outgoing) = mpsc::channel(QUEUE);
    (SharedBus { local, queue }, Outgoing(outgoing))
}

impl EventBus for SharedBus {
    fn publish(&self, event: Event) {
        self.local.publish(event);
        if self.queue.try_send((Instant::now(), event)).is_err() {
            metrics::redis_error("publish_events");
        }
    }

    fn subscribe(&self) -> BoxStream<'static, Event> {
        self.local.subscribe()
    }
}

/// Publishes what `outgoing` receives on `channel` as `instance`, until
/// the bus is gone.
pub async fn publish(
    mut outgoing: Outgoing,
    mut redis: ConnectionManager,
    channel: String,
    instance: Uuid,
) {
    let mut failing = false;
    let mut batch: Vec<(Instant, Event)> = Vec::new();
    loop {
        if batch.is_empty() {
            let Some(first) = outgoing.0.recv().await else {
                return;
            };
            batch.push(first);
        }
        while batch.len() < BATCH
            && let Ok(next) = outgoing.0.try_recv()
        {
            batch.push(next);
        }
        let message = Events {
            from: instance,
            events: batch.iter().map(|(_, event)| *event).collect(),
        };
        // Ids only: the JSON cannot fail to encode.
        let json = serde_json::to_string(&message).unwrap_or_default();
        match redis.publish::<_, _, ()>(&channel, json).await {
            Ok(()) => {
                if failing {
                    tracing::info!("redis: events are published again");
                    failing = false;
                }
                batch.clear();
            }
            Err(err) => {
                metrics::redis_error("publish_events");
                if !failing {
                    tracing::warn!(
                        error = %err,
                        "redis: events could not be published; other instances' subscribers miss them"
                    );
                    failing = true;
                }
                let before = batch.len();
                batch.retain(|(queued, _)| queued.elapsed() < MAX_DELAY);
                if batch.len() < before {
                    tracing::warn!(dropped = before - batch.len(), "redis: events dropped");
                }
                sleep(RETRY).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use futures_util::StreamExt;

    use super::*;

    #[tokio::test]
    async fn local_subscribers_hear_at_once_and_the_event_is_queued_for_the_others() {
        let (bus, mut outgoing) = bus(Arc::new(LocalBus::default()));
        let mut subscriber = bus.subscribe();
        let event = Event::StockChanged {
            product_id: Uuid::now_v7(),
        };
        bus.publish(event);
        assert_eq!(subscriber.next().await, Some(event));
        assert_eq!(outgoing.0.try_recv().map(|(_, e)| e), Ok(event));
    }

    #[tokio::test]
    async fn a_full_queue_drops_events_for_the_others_but_not_for_local_subscribers() {
        let (bus, _outgoing) = bus(Arc::new(LocalBus::default()));
        let mut subscriber = bus.subscribe();
        for _ in 0..QUEUE + 1 {
            bus.publish(Event::StockChanged {
                product_id: Uuid::nil(),
            });
        }
        assert!(subscriber.next().await.is_some());
        assert!(
            bus.queue
                .try_send((
                    Instant::now(),
                    Event::StockChanged {
                        product_id: Uuid::nil(),
                    }
                ))
                .is_err()
        );
    }
}
