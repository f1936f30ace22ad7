//! Several instances acting as one through Redis (`REDIS_URL`). Each
//! instance publishes the changes it commits on `{prefix}:invalidations` and
//! applies what the others publish there to its own caches, through the
//! same seams a local write uses (`Caches::apply`: entity rows and their
//! stripe counters, the response cache's generation, session states). Its
//! domain events go out on `{prefix}:events` and the others' reach its
//! subscribers ([`events`]); persisted queries are kept in Redis
//! ([`documents`]).
//!
//! One [`Shared`] per process holds what is shared with Redis: a connection
//! manager for commands (it reconnects by itself) and the pub/sub listener
//! (which subscribes again by itself). Features that share more (limits,
//! events, persisted queries) take the connection from here and their
//! channel and key names from [`message::named`]; the limits, on the
//! request path, ask through [`Shared::attempt`], which gives up within
//! 100 ms so that the instance decides alone.
//!
//! When Redis cannot be reached, nothing wrong is served: while a change
//! may go unheard, the entity and response caches are bypassed, and they
//! are emptied before they are served again ([`link`]). That covers another
//! instance losing Redis too: every instance publishes a heartbeat, and one
//! that goes silent is presumed to be writing unheard ([`peers`]). Without
//! `REDIS_URL` none of this exists and the caches are always on.

mod attempt;
mod documents;
mod events;
mod link;
mod listener;
pub mod message;
mod outbox;
mod peers;
mod thread;

use std::{
    sync::{
        Arc, OnceLock,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use anyhow::Context;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio_util::sync::{CancellationToken, DropGuard};
use uuid::Uuid;

use self::{
    link::Link,
    message::{EVENTS, INVALIDATIONS, PERSISTED_QUERIES},
    thread::Redis,
};
use crate::{
    cache::{Caches, Coherence},
    config::{CacheConfig, RedisConfig},
    events::{EventBus, LocalBus},
};

/// How long a command or a connection attempt may take.
const TIMEOUT: Duration = Duration::from_secs(1);

/// This process's link to the other instances; cloning shares it. Its
/// tasks stop when the last clone is dropped.
#[derive(Clone)]
pub struct Shared(Arc<Inner>);

struct Inner {
    redis: Redis,
    prefix: String,
    link: Arc<Link>,
    events: Arc<dyn EventBus>,
    farewell: Arc<Farewell>,
    /// Stops the link's tasks and its thread, which says goodbye if that
    /// was not done yet.
    _tasks: DropGuard,
}

/// Saying goodbye, once.
struct Farewell {
    redis: Redis,
    /// Where and as whom goodbye is said.
    invalidations: String,
    instance: Uuid,
    /// Stops the heartbeat, before goodbye is said.
    beating: CancellationToken,
    said: AtomicBool,
}

impl Farewell {
    /// Goodbye, the first time it is asked for.
    fn goodbye(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        if self.said.swap(true, Ordering::SeqCst) {
            return None;
        }
        self.beating.cancel();
        Some(peers::goodbye(
            self.redis.connection(),
            self.invalidations.clone(),
            self.instance,
        ))
    }
}

impl Shared {
    /// The caches of an instance, and its link to the others when Redis is
    /// configured. Starts the link's thread and its tasks there; Redis need
    /// not be reachable yet (the caches wait for it).
    pub fn start(
        cache: &CacheConfig,
        redis: Option<&RedisConfig>,
    ) -> anyhow::Result<(Caches, Option<Self>)> {
        let Some(config) = redis else {
            return Ok((Caches::new(cache), None));
        };
        let client = redis::Client::open(config.url.expose())
            .map_err(|_| anyhow::anyhow!("REDIS_URL: not a Redis URL"))?;
        let settings = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(TIMEOUT))
            .set_response_timeout(Some(TIMEOUT))
            .set_number_of_retries(1);
        let stop = CancellationToken::new();
        let tasks = stop.clone().drop_guard();
        let last: Arc<OnceLock<Arc<Farewell>>> = Arc::default();
        let goodbye = last.clone();
        let runtime = thread::start(
            stop.clone(),
            Box::new(move || {
                let goodbye = goodbye.get()?.goodbye()?;
                Some(Box::pin(goodbye) as _)
            }),
        )?;
        let manager = {
            let _on_the_thread = runtime.enter();
            ConnectionManager::new_lazy_with_config(client.clone(), settings.clone())
                .context("REDIS_URL: cannot set up a connection")?
        };
        let redis = Redis::new(manager, runtime, client.clone(), settings);
        let (outbox, outgoing) = outbox::outbox();
        let coherence = Coherence::pending();
        let mut caches = Caches::linked(cache, Arc::new(outbox), coherence.clone());
        let apq = documents::Settings {
            keys: message::named(&config.prefix, PERSISTED_QUERIES) + ":",
            ttl: config.apq_ttl,
            capacity: cache.documents_capacity,
            max_len: cache.max_cached_document_len,
        };
        let (persisted, writes) = documents::store(&apq, redis.clone(), coherence);
        caches.documents.persisted = Arc::new(persisted);
        let longest_ttl = cache.entity_ttl.max(cache.response_ttl);
        let link = Arc::new(Link::new(caches.clone(), longest_ttl));
        let instance = Uuid::new_v4();
        let channel = message::named(&config.prefix, INVALIDATIONS);
        let local = Arc::new(LocalBus::default());
        let (bus, outgoing_events) = events::bus(local.clone());
        let events_channel = message::named(&config.prefix, EVENTS);
        let connection = redis.connection();
        let publisher = outbox::publish(
            outgoing,
            connection.clone(),
            channel.clone(),
            instance,
            link.clone(),
        );
        let events_publisher = events::publish(
            outgoing_events,
            connection.clone(),
            events_channel.clone(),
            instance,
        );
        let writer = documents::write(writes, connection.clone(), apq.keys, apq.ttl);
        let hearing = listener::Hearing {
            instance,
            invalidations: channel.clone(),
            link: link.clone(),
            events: events_channel,
            bus: local,
        };
        let listener = listener::listen(client, hearing);
        let beating = stop.child_token();
        let beat = peers::beat(connection, channel.clone(), instance, link.clone());
        redis.spawn(beating.clone().run_until_cancelled_owned(beat));
        redis.spawn(stop.clone().run_until_cancelled_owned(publisher));
        redis.spawn(stop.clone().run_until_cancelled_owned(events_publisher));
        redis.spawn(stop.clone().run_until_cancelled_owned(writer));
        redis.spawn(stop.clone().run_until_cancelled_owned(listener));
        let farewell = Arc::new(Farewell {
            redis: redis.clone(),
            invalidations: channel,
            instance,
            beating,
            said: AtomicBool::new(false),
        });
        let _ = last.set(farewell.clone());
        let shared = Self(Arc::new(Inner {
            redis,
            prefix: config.prefix.clone(),
            link,
            events: Arc::new(bus),
            farewell,
            _tasks: tasks,
        }));
        Ok((caches, Some(shared)))
    }

    /// Whether this instance's own link hears and tells every invalidation
    /// (else the caches are bypassed): what `/readyz` reports as `redis`.
    pub fn is_up(&self) -> bool {
        self.0.link.is_up()
    }

    /// How many other instances this one has heard and not forgotten
    /// (silent ones included).
    pub fn peers(&self) -> usize {
        self.0.link.peers()
    }

    /// How many instances heard before have gone silent (the caches are
    /// bypassed meanwhile): what `/readyz` reports as `peers`.
    pub fn silent_peers(&self) -> usize {
        self.0.link.silent_peers()
    }

    /// Stops the heartbeat and tells the other instances that this one
    /// stops, so that they forget it at once rather than bypass their
    /// caches while it is silent. Best effort, within half a second; also
    /// done (without waiting) when the last clone is dropped.
    pub async fn farewell(&self) {
        if let Some(goodbye) = self.0.farewell.goodbye() {
            self.0.redis.on_thread(goodbye).await;
        }
    }

    /// The event bus: this instance's subscribers hear every instance's events.
    pub fn events(&self) -> Arc<dyn EventBus> {
        self.0.events.clone()
    }

    /// Commands to Redis, on the link's thread; the connection reconnects
    /// by itself, a command failing meanwhile.
    pub fn redis(&self) -> &Redis {
        &self.0.redis
    }

    /// The full name of this deployment's channel or key `name`.
    pub fn name(&self, name: &str) -> String {
        message::named(&self.0.prefix, name)
    }
}
