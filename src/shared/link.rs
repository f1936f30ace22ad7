//! The state of this instance's link to the others: whether its
//! subscription is live and whether every change it made has been
//! published. Only when both hold are the caches served; when the link comes
//! back they are emptied first (a change may have gone unheard meanwhile).

use std::sync::{Mutex, PoisonError};

use crate::{cache::Caches, telemetry::metrics};

/// Shared by the listener, the publisher and the readiness probe.
pub struct Link {
    caches: Caches,
    state: Mutex<State>,
}

#[derive(Clone, Copy, Default)]
struct State {
    /// The subscription is confirmed and answers pings.
    subscribed: bool,
    /// A change of this instance could not be published; the others have
    /// yet to be told that anything may be stale.
    unpublished: bool,
}

impl State {
    fn up(self) -> bool {
        self.subscribed && !self.unpublished
    }
}

impl Link {
    /// The link of an instance that has yet to subscribe: `caches` are not
    /// served until it has.
    pub fn new(caches: Caches) -> Self {
        metrics::redis_up(false);
        Self {
            caches,
            state: Mutex::default(),
        }
    }

    /// The caches the link gates (and the listener applies changes to).
    pub fn caches(&self) -> &Caches {
        &self.caches
    }

    /// Whether every change is heard and told: caches are served.
    pub fn is_up(&self) -> bool {
        self.lock().up()
    }

    pub fn subscribed(&self, subscribed: bool) {
        self.update(|state| state.subscribed = subscribed);
    }

    pub fn unpublished(&self, unpublished: bool) {
        self.update(|state| state.unpublished = unpublished);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Changes the state; the caches follow while the lock is held, so two
    /// changes cannot resume and suspend out of order.
    fn update(&self, change: impl FnOnce(&mut State)) {
        let mut state = self.lock();
        let was = state.up();
        change(&mut state);
        match (was, state.up()) {
            (false, true) => {
                self.caches.resume();
                metrics::redis_up(true);
                tracing::info!("redis: invalidations are shared; caches are on");
            }
            (true, false) => {
                self.caches.suspend();
                metrics::redis_up(false);
                metrics::redis_outage();
                tracing::warn!(
                    subscribed = state.subscribed,
                    unpublished = state.unpublished,
                    "redis: invalidations may go unheard; entity and response caches are bypassed"
                );
            }
            _ => {}
        }
    }
}
