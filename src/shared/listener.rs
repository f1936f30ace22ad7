//! The subscription through which this instance hears the others: one
//! pub/sub connection per process (every worker shares the caches and the
//! event bus it feeds), to the invalidations and events channels, subscribed
//! again with a growing delay whenever it is lost. It is live from the
//! moment Redis confirms the subscription until the connection closes or a
//! ping goes unanswered; [`Link`] gates the caches on that.

use std::{sync::Arc, time::Duration};

use futures_util::StreamExt;
use redis::{
    Msg, RedisError, RedisResult,
    aio::{PubSubSink, PubSubStream},
};
use tokio::time::{Instant, MissedTickBehavior, interval_at, sleep, timeout};
use uuid::Uuid;

use super::{
    link::Link,
    message::{Events, Invalidation},
};
use crate::{
    events::{EventBus, LocalBus},
    telemetry::metrics,
};

/// How often an idle subscription is checked, and how long a check or a
/// connection attempt may take: a Redis that hangs is noticed within twice this.
const HEARTBEAT: Duration = Duration::from_secs(1);
/// Delays between attempts to subscribe, doubling from the first to the last.
const FIRST_RETRY: Duration = Duration::from_millis(50);
const LAST_RETRY: Duration = Duration::from_secs(2);

/// What the listener hears, and what it hands it to.
pub struct Hearing {
    /// This instance, whose own messages are ignored.
    pub instance: Uuid,
    /// The channel of invalidations, applied to the caches of `link`.
    pub invalidations: String,
    pub link: Arc<Link>,
    /// The channel of events, handed to this instance's subscribers.
    pub events: String,
    pub bus: Arc<LocalBus>,
}

/// Subscribes to the channels of `hearing` and hands on what the others
/// publish there, for as long as the task runs.
pub async fn listen(client: redis::Client, hearing: Hearing) {
    let link = &hearing.link;
    let channels = [hearing.invalidations.as_str(), hearing.events.as_str()];
    let mut retry = FIRST_RETRY;
    let mut failing = false;
    loop {
        match subscribe(&client, &channels).await {
            Ok((sink, stream)) => {
                retry = FIRST_RETRY;
                failing = false;
                link.subscribed(true);
                let lost = hear(sink, stream, &hearing).await;
                link.subscribed(false);
                metrics::redis_error("subscription");
                tracing::warn!("redis: the subscription was lost: {lost}");
            }
            Err(err) => {
                metrics::redis_error("subscribe");
                if !failing {
                    tracing::warn!(error = %err, "redis: cannot subscribe; retrying");
                    failing = true;
                }
            }
        }
        sleep(retry).await;
        retry = (retry * 2).min(LAST_RETRY);
    }
}

async fn subscribe(
    client: &redis::Client,
    channels: &[&str],
) -> RedisResult<(PubSubSink, PubSubStream)> {
    let subscribing = async {
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(channels).await?;
        Ok(pubsub.split())
    };
    timeout(HEARTBEAT, subscribing)
        .await
        .unwrap_or_else(|_| Err(timed_out("subscribing")))
}

fn timed_out(what: &str) -> RedisError {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!("{what} took over {HEARTBEAT:?}"),
    )
    .into()
}

/// Hands on messages until the subscription is lost; why it was.
async fn hear(mut sink: PubSubSink, mut stream: PubSubStream, hearing: &Hearing) -> String {
    let mut heartbeat = interval_at(Instant::now() + HEARTBEAT, HEARTBEAT);
    heartbeat.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            message = stream.next() => match message {
                Some(message) if message.get_channel_name() == hearing.events => {
                    deliver(&message, hearing);
                }
                Some(message) => apply(&message, hearing.instance, &hearing.link).await,
                None => return "the connection closed".into(),
            },
            _ = heartbeat.tick() => {
                let ping = timeout(HEARTBEAT, sink.ping::<redis::Value>()).await;
                match ping {
                    Ok(Ok(_)) => {}
                    Ok(Err(err)) => return format!("a ping failed: {err}"),
                    Err(_) => return timed_out("a ping").to_string(),
                }
            }
        }
    }
}

/// Applies another instance's invalidation to this instance's caches, and
/// notes that it was heard (a heartbeat is an invalidation of nothing).
async fn apply(message: &Msg, instance: Uuid, link: &Link) {
    let invalidation: Invalidation = match serde_json::from_slice(message.get_payload_bytes()) {
        Ok(invalidation) => invalidation,
        Err(err) => {
            // A newer instance's message, say: everything may be stale.
            metrics::redis_error("decode");
            tracing::warn!(error = %err, "redis: an invalidation could not be read");
            link.caches().forget_all();
            return;
        }
    };
    let from = invalidation.from();
    if from == instance {
        return;
    }
    let caches = link.caches();
    match invalidation {
        Invalidation::Changes { changes, .. } => {
            let beat = changes.is_empty();
            for change in changes {
                caches.apply(change).await;
            }
            link.heard(from, beat);
        }
        Invalidation::Everything { .. } => {
            caches.forget_all();
            link.heard(from, false);
        }
        Invalidation::Goodbye { .. } => link.left(from),
    }
}

/// Hands another instance's events to this instance's subscribers, who
/// check each as they check a local one.
fn deliver(message: &Msg, hearing: &Hearing) {
    let events: Events = match serde_json::from_slice(message.get_payload_bytes()) {
        Ok(events) => events,
        Err(err) => {
            metrics::redis_error("decode");
            tracing::warn!(error = %err, "redis: events could not be read");
            return;
        }
    };
    if events.from == hearing.instance {
        return;
    }
    for event in events.events {
        hearing.bus.publish(event);
    }
}
