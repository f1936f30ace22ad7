//! The process-wide shutdown signal. SIGTERM sets it once; readiness turns
//! 503, listeners stop accepting, and connections and WebSockets wind down
//! (`app::serve`, `app::ws_drain`) within `SHUTDOWN_GRACE_SECS`.

use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

/// Shared by every worker: a token works across runtimes, and each worker
/// runs one of its own.
#[derive(Clone, Debug, Default)]
pub struct Shutdown(CancellationToken);

impl Shutdown {
    /// Starts draining; later calls do nothing.
    pub fn begin(&self) {
        self.0.cancel();
    }

    /// Whether draining has begun (readiness answers 503 from then on).
    pub fn is_draining(&self) -> bool {
        self.0.is_cancelled()
    }

    /// Completes once draining has begun (at once if it already has).
    pub fn begun(&self) -> WaitForCancellationFutureOwned {
        self.0.clone().cancelled_owned()
    }
}
