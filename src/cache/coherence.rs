//! Whether this instance hears every invalidation. A lone instance always
//! does. With Redis, an instance that may be missing other instances'
//! invalidations (its subscription is down, or one of its own could not be
//! published) reads the entity and response caches neither from nor into,
//! until it hears again and has dropped what it held.

use std::sync::{
    Arc,
    atomic::{AtomicBool, Ordering},
};

/// Shared by the caches it gates; cloning shares the flag.
#[derive(Clone)]
pub struct Coherence(Arc<AtomicBool>);

impl Coherence {
    /// A lone instance's: never anything to miss.
    pub fn always() -> Self {
        Self(Arc::new(AtomicBool::new(true)))
    }

    /// An instance that has yet to hear from the others.
    pub fn pending() -> Self {
        Self(Arc::new(AtomicBool::new(false)))
    }

    /// Whether cached values may be served and stored.
    pub fn holds(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    pub(super) fn set(&self, coherent: bool) {
        self.0.store(coherent, Ordering::Release);
    }
}
