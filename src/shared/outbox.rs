//! This instance's changes on their way to the others. A write hands its
//! change to the [`Outbox`] without waiting (writes never wait on Redis);
//! one task publishes what has queued up, several changes to a message.
//! When a publish fails, or the queue overflows, those changes are lost to
//! the others: this instance stops serving its caches, and once Redis takes
//! a message again it publishes [`Invalidation::Everything`] instead, after
//! which every instance has dropped what the lost changes made stale.

use std::{
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use redis::{AsyncCommands, aio::ConnectionManager};
use tokio::sync::mpsc;
use uuid::Uuid;

use super::{link::Link, message::Invalidation};
use crate::{
    cache::{Change, InvalidationBus},
    telemetry::metrics,
};

/// Changes waiting to be published; more are lost (and made up for).
const QUEUE: usize = 10_000;
/// Changes in one message at most.
const BATCH: usize = 256;
/// How soon a failed publish is tried again.
const RETRY: Duration = Duration::from_millis(250);

/// The invalidation bus of an instance linked through Redis.
pub struct Outbox {
    queue: mpsc::Sender<Change>,
    overflowed: Arc<AtomicBool>,
}

/// The publishing end of an [`Outbox`].
pub struct Outgoing {
    queue: mpsc::Receiver<Change>,
    overflowed: Arc<AtomicBool>,
}

/// An outbox and the end its publisher reads.
pub fn outbox() -> (Outbox, Outgoing) {
    let (sender, receiver) = mpsc::channel(QUEUE);
    let overflowed = Arc::new(AtomicBool::new(false));
    (
        Outbox {
            queue: sender,
            overflowed: overflowed.clone(),
        },
        Outgoing {
            queue: receiver,
            overflowed,
        },
    )
}

impl InvalidationBus for Outbox {
    fn broadcast(&self, change: Change) {
        if self.queue.try_send(change).is_err() {
            self.overflowed.store(true, Ordering::SeqCst);
        }
    }
}

/// Publishes what `outgoing` receives on `channel` as `instance`, until
/// every outbox is gone.
pub async fn publish(
    mut outgoing: Outgoing,
    mut redis: ConnectionManager,
    channel: String,
    instance: Uuid,
    link: Arc<Link>,
) {
    let mut owed = false;
    loop {
        let Some(changes) = next_batch(&mut outgoing.queue, owed).await else {
            return;
        };
        owed |= outgoing.overflowed.swap(false, Ordering::SeqCst);
        let message = if owed {
            Invalidation::Everything { from: instance }
        } else {
            Invalidation::Changes {
                from: instance,
                changes,
            }
        };
        // Ids and names only: the JSON cannot fail to encode.
        let json = serde_json::to_string(&message).unwrap_or_default();
        match redis.publish::<_, _, ()>(&channel, json).await {
            Ok(()) if owed => {
                owed = false;
                link.unpublished(false);
            }
            Ok(()) => {}
            Err(err) => {
                metrics::redis_error("publish");
                if !owed {
                    tracing::warn!(error = %err, "redis: changes could not be published");
                    owed = true;
                }
                link.unpublished(true);
            }
        }
    }
}

/// The changes queued next (waiting for one), up to [`BATCH`]; when a
/// publish is owed, whatever has come after [`RETRY`], maybe nothing.
/// `None` once every outbox is gone.
async fn next_batch(queue: &mut mpsc::Receiver<Change>, owed: bool) -> Option<Vec<Change>> {
    let mut changes = Vec::new();
    let first = if owed {
        match tokio::time::timeout(RETRY, queue.recv()).await {
            Ok(None) => return None,
            Ok(Some(change)) => Some(change),
            Err(_) => None,
        }
    } else {
        Some(queue.recv().await?)
    };
    changes.extend(first);
    while changes.len() < BATCH
        && let Ok(change) = queue.try_recv()
    {
        changes.push(change);
    }
    Some(changes)
}
