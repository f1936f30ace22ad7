//! The state of this instance's link to the others: whether its
//! subscription is live, whether every change it made has been published,
//! and whether every instance it has heard is still heard ([`Peers`]). Only
//! when all hold are the caches served; when they hold again the caches
//! are emptied first (a change may have gone unheard meanwhile). Only the
//! first two make up this instance's own link, which `/readyz` reports.

use std::{
    sync::{Mutex, MutexGuard, PoisonError},
    time::Duration,
};

use tokio::time::Instant;
use uuid::Uuid;

use super::peers::Peers;
use crate::{cache::Caches, telemetry::metrics};

/// Shared by the listener, the publishers and the readiness probe.
pub struct Link {
    caches: Caches,
    state: Mutex<State>,
}

struct State {
    /// The subscription is confirmed and answers pings.
    subscribed: bool,
    /// A change of this instance could not be published; the others have
    /// yet to be told that anything may be stale.
    unpublished: bool,
    /// The other instances heard, some perhaps silent.
    peers: Peers,
}

impl State {
    fn linked(&self) -> bool {
        self.subscribed && !self.unpublished
    }

    fn coherent(&self) -> bool {
        self.linked() && self.peers.silent() == 0
    }
}

impl Link {
    /// The link of an instance that has yet to subscribe: `caches` are not
    /// served until it has. An instance silent for `forget_after` (the
    /// longest cache lifetime) is forgotten.
    pub fn new(caches: Caches, forget_after: Duration) -> Self {
        metrics::redis_up(false);
        Self {
            caches,
            state: Mutex::new(State {
                subscribed: false,
                unpublished: false,
                peers: Peers::new(forget_after),
            }),
        }
    }

    /// The caches the link gates (and the listener applies changes to).
    pub fn caches(&self) -> &Caches {
        &self.caches
    }

    /// Whether this instance's own link carries every change both ways.
    pub fn is_up(&self) -> bool {
        self.lock().linked()
    }

    /// How many other instances have been heard (silent ones included).
    pub fn peers(&self) -> usize {
        self.lock().peers.known()
    }

    /// How many instances heard before are silent now.
    pub fn silent_peers(&self) -> usize {
        self.lock().peers.silent()
    }

    pub fn subscribed(&self, subscribed: bool) {
        self.update(|state| {
            state.subscribed = subscribed;
            if subscribed {
                state.peers.listen_again(Instant::now());
            }
        });
    }

    pub fn unpublished(&self, unpublished: bool) {
        self.update(|state| state.unpublished = unpublished);
    }

    /// Another instance was heard on the invalidations channel (its
    /// heartbeat when `beat`).
    pub fn heard(&self, from: Uuid, beat: bool) {
        self.update(|state| state.peers.heard(from, Instant::now(), beat));
    }

    /// Another instance said goodbye.
    pub fn left(&self, from: Uuid) {
        self.update(|state| state.peers.left(from, Instant::now()));
    }

    /// Looks for instances gone silent while this one listens.
    pub fn check_peers(&self) {
        self.update(|state| {
            if state.subscribed {
                state.peers.check(Instant::now());
            }
        });
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the state; the caches follow while the lock is held, so two
    /// changes cannot resume and suspend out of order.
    fn update(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.lock();
        let (was_linked, was_coherent, was_silent) =
            (state.linked(), state.coherent(), state.peers.silent());
        change(&mut state);
        match (was_linked, state.linked()) {
            (false, true) => {
                metrics::redis_up(true);
                tracing::info!("redis: invalidations are shared");
            }
            (true, false) => {
                metrics::redis_up(false);
                metrics::redis_outage();
                tracing::warn!(
                    subscribed = state.subscribed,
                    unpublished = state.unpublished,
                    "redis: invalidations may go unheard"
                );
            }
            _ => {}
        }
        let silent = state.peers.silent();
        if silent != was_silent && state.subscribed {
            if silent > 0 {
                tracing::warn!(
                    silent,
                    "redis: an instance has gone silent; its invalidations may go unheard"
                );
            } else {
                tracing::info!("redis: every instance is heard again");
            }
        }
        match (was_coherent, state.coherent()) {
            (false, true) => {
                self.caches.resume();
                tracing::info!("redis: caches are on (emptied first)");
            }
            (true, false) => {
                self.caches.suspend();
                tracing::warn!("redis: entity and response caches are bypassed");
            }
            _ => {}
        }
    }
}
