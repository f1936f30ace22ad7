//! The other instances this one hears. Each instance publishes a heartbeat
//! on the invalidations channel every [`BEAT`]; an instance that has heard
//! another and then hears nothing from it for [`SILENCE`] may be missing
//! its invalidations (the other may have lost Redis and be writing all the
//! same), so it bypasses its caches until it hears that instance again
//! (then empties them first), or until that instance has been silent for
//! longer than the longest cache lifetime, when it is forgotten. An instance
//! that stops cleanly says goodbye, and is forgotten at once.

use std::{collections::HashMap, sync::Arc, time::Duration};

use redis::{AsyncCommands, aio::ConnectionManager};
use tokio::time::{Instant, MissedTickBehavior, interval, timeout};
use uuid::Uuid;

use super::{link::Link, message::Invalidation};
use crate::telemetry::metrics;

/// How often an instance says it is there.
pub const BEAT: Duration = Duration::from_millis(500);
/// How long an instance heard before may go unheard before its
/// invalidations are presumed missed.
pub const SILENCE: Duration = Duration::from_millis(1500);
/// How often silences are looked for.
const CHECK: Duration = Duration::from_millis(100);
/// How long a goodbye may take to publish.
pub const GOODBYE_TIMEOUT: Duration = Duration::from_millis(500);

/// The instances heard, and those that said goodbye.
pub struct Peers {
    /// When each instance was last heard.
    heard: HashMap<Uuid, Instant>,
    /// When each instance that said goodbye did; its later messages are
    /// applied but do not make it a peer again.
    departed: HashMap<Uuid, Instant>,
    /// How many of `heard` have gone silent.
    silent: usize,
    /// A silence this long is forgotten: nothing cached before it began can
    /// still be served.
    forget_after: Duration,
}

impl Peers {
    pub fn new(forget_after: Duration) -> Self {
        Self {
            heard: HashMap::new(),
            departed: HashMap::new(),
            silent: 0,
            forget_after: forget_after.max(SILENCE),
        }
    }

    /// How many instances are heard (silent ones included).
    pub fn known(&self) -> usize {
        self.heard.len()
    }

    /// How many instances are silent.
    pub fn silent(&self) -> usize {
        self.silent
    }

    /// `from` was heard at `now`, a heartbeat when `beat`. Only an instance
    /// that sends heartbeats becomes a peer (one of a version without them
    /// would seem silent between its writes); any message of a peer counts.
    pub fn heard(&mut self, from: Uuid, now: Instant, beat: bool) {
        if self.departed.contains_key(&from) {
            return;
        }
        match self.heard.get_mut(&from) {
            Some(heard) => *heard = now,
            None if beat => {
                self.heard.insert(from, now);
            }
            None => return,
        }
        self.count(now);
    }

    /// `from` said goodbye at `now`.
    pub fn left(&mut self, from: Uuid, now: Instant) {
        self.heard.remove(&from);
        self.departed.insert(from, now);
        self.count(now);
    }

    /// This instance hears again from `now` (its subscription is back):
    /// every instance gets a full [`SILENCE`] to be heard again.
    pub fn listen_again(&mut self, now: Instant) {
        for heard in self.heard.values_mut() {
            *heard = now;
        }
        self.silent = 0;
        self.publish_counts();
    }

    /// Forgets the instances silent for too long, and counts the silent ones.
    pub fn check(&mut self, now: Instant) {
        let forget_after = self.forget_after;
        self.heard.retain(|peer, heard| {
            let kept = now.duration_since(*heard) <= forget_after;
            if !kept {
                tracing::warn!(%peer, "redis: an instance silent for {forget_after:?} is forgotten");
            }
            kept
        });
        self.departed
            .retain(|_, left| now.duration_since(*left) <= forget_after);
        self.count(now);
    }

    fn count(&mut self, now: Instant) {
        let silent = self
            .heard
            .values()
            .filter(|heard| now.duration_since(**heard) > SILENCE)
            .count();
        if silent > self.silent {
            metrics::redis_error("peer_silent");
        }
        self.silent = silent;
        self.publish_counts();
    }

    fn publish_counts(&self) {
        metrics::redis_peers(self.heard.len() - self.silent, self.silent);
    }
}

/// Publishes this instance's heartbeat on `channel` every [`BEAT`], and
/// looks for silent instances every [`CHECK`], for as long as the task runs.
pub async fn beat(mut redis: ConnectionManager, channel: String, instance: Uuid, link: Arc<Link>) {
    let json = serde_json::to_string(&Invalidation::heartbeat(instance)).unwrap_or_default();
    let checking = async {
        let mut check = interval(CHECK);
        check.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            check.tick().await;
            link.check_peers();
        }
    };
    let beating = async {
        let mut beat = interval(BEAT);
        beat.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            beat.tick().await;
            let published = timeout(BEAT, redis.publish::<_, _, ()>(&channel, &json)).await;
            if !matches!(published, Ok(Ok(()))) {
                metrics::redis_error("heartbeat");
            }
        }
    };
    tokio::join!(checking, beating);
}

/// Tells the others on `channel` that `instance` stops: they forget it
/// rather than bypass their caches while it is silent. Best effort, within
/// [`GOODBYE_TIMEOUT`].
pub async fn goodbye(mut redis: ConnectionManager, channel: String, instance: Uuid) {
    let json = serde_json::to_string(&Invalidation::Goodbye { from: instance }).unwrap_or_default();
    match timeout(GOODBYE_TIMEOUT, redis.publish::<_, _, ()>(&channel, json)).await {
        Ok(Ok(())) => tracing::info!("redis: said goodbye to the other instances"),
        _ => {
            metrics::redis_error("goodbye");
            tracing::warn!("redis: could not say goodbye; the others bypass their caches a while");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_silent_peer_counts_until_heard_again_or_forgotten() {
        let start = Instant::now();
        let mut peers = Peers::new(Duration::from_secs(10));
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        peers.heard(a, start, true);
        peers.heard(b, start, true);
        peers.check(start + SILENCE);
        assert_eq!(peers.silent(), 0);
        peers.heard(b, start + SILENCE, true);
        peers.check(start + SILENCE + CHECK);
        assert_eq!(peers.silent(), 1, "a is silent");
        peers.heard(a, start + SILENCE + CHECK, false);
        assert_eq!(peers.silent(), 0, "a is heard again");
        peers.check(start + Duration::from_secs(12));
        assert_eq!(peers.silent(), 0, "both are forgotten");
        assert!(peers.heard.is_empty());
    }

    #[test]
    fn an_instance_becomes_a_peer_by_its_heartbeat_only() {
        let start = Instant::now();
        let mut peers = Peers::new(Duration::from_secs(10));
        let a = Uuid::now_v7();
        peers.heard(a, start, false);
        peers.check(start + SILENCE * 2);
        assert_eq!((peers.known(), peers.silent()), (0, 0));
        peers.heard(a, start + SILENCE * 2, true);
        assert_eq!(peers.known(), 1);
    }

    #[test]
    fn a_peer_that_said_goodbye_is_not_a_peer_any_more() {
        let start = Instant::now();
        let mut peers = Peers::new(Duration::from_secs(10));
        let a = Uuid::now_v7();
        peers.heard(a, start, true);
        peers.left(a, start);
        peers.heard(a, start, true);
        peers.check(start + SILENCE * 2);
        assert_eq!(peers.silent(), 0);
        assert!(peers.heard.is_empty());
    }

    #[test]
    fn listening_again_gives_every_peer_a_full_silence() {
        let start = Instant::now();
        let mut peers = Peers::new(Duration::from_secs(10));
        let a = Uuid::now_v7();
        peers.heard(a, start, true);
        peers.listen_again(start + SILENCE * 2);
        peers.check(start + SILENCE * 3);
        assert_eq!(peers.silent(), 0);
        peers.check(start + SILENCE * 3 + CHECK);
        assert_eq!(peers.silent(), 1);
    }
}
