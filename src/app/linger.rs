//! Lingering close, as nginx does it: a connection the server closes while
//! the client is still sending (a 413 before the body was read, a WebSocket
//! whose client has yet to answer the close frame) is not dropped at once,
//! since closing a socket with unread data makes the kernel send a reset and
//! the client may lose the answer with it. The socket is shut for writing,
//! and what still arrives is read and thrown away, within bounds so that a
//! client cannot hold it open, before it is closed.

use std::{
    io,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::TcpStream,
    time::{Instant, timeout_at},
};
use tokio_util::task::task_tracker::TaskTrackerToken;

/// The most that is read and discarded after the answer.
const LINGER_BYTES: usize = 64 << 20;
/// What one read takes of it.
const LINGER_BUFFER: usize = 64 << 10;
/// The longest a closing connection is kept open for it.
const LINGER_TIME: Duration = Duration::from_secs(10);
/// The longest wait for the next bytes (nginx's `lingering_timeout`).
const LINGER_IDLE: Duration = Duration::from_secs(5);

/// A served TCP connection that lingers when dropped before the client
/// closed its side. It holds a token of its worker's tracker until closed,
/// so the worker waits for it, WebSockets upgraded from it included.
pub struct Lingering {
    stream: Option<TcpStream>,
    client_closed: bool,
    open: Option<TaskTrackerToken>,
}

impl Lingering {
    pub fn new(stream: TcpStream, open: TaskTrackerToken) -> Self {
        Self {
            stream: Some(stream),
            client_closed: false,
            open: Some(open),
        }
    }

    fn stream(&mut self) -> io::Result<Pin<&mut TcpStream>> {
        self.stream
            .as_mut()
            .map(Pin::new)
            .ok_or_else(|| io::ErrorKind::NotConnected.into())
    }
}

impl Drop for Lingering {
    fn drop(&mut self) {
        let (Some(stream), Some(open)) = (self.stream.take(), self.open.take()) else {
            return;
        };
        if self.client_closed {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(linger(stream, open));
        }
    }
}

/// Shuts the socket for writing, then reads until the client closes its side
/// or the bounds run out.
async fn linger(mut stream: TcpStream, _open: TaskTrackerToken) {
    let _ = stream.shutdown().await;
    let until = Instant::now() + LINGER_TIME;
    // Read into spare capacity: most clients close at once, and zeroing a
    // buffer for them cost more than the rest of a cached answer.
    let mut buffer = Vec::with_capacity(LINGER_BUFFER);
    let mut left = LINGER_BYTES;
    while left > 0 {
        let next = until.min(Instant::now() + LINGER_IDLE);
        buffer.clear();
        match timeout_at(next, stream.read_buf(&mut buffer)).await {
            Ok(Ok(read)) if read > 0 => left = left.saturating_sub(read),
            _ => return,
        }
    }
}

impl AsyncRead for Lingering {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = self.stream()?.poll_read(cx, buf);
        match &polled {
            // A client that closed or broke its side left nothing to wait for.
            Poll::Ready(Ok(())) if buf.filled().len() == before && buf.remaining() > 0 => {
                self.client_closed = true;
            }
            Poll::Ready(Err(_)) => self.client_closed = true,
            _ => {}
        }
        polled
    }
}

impl AsyncWrite for Lingering {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.stream()?.poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.stream()?.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream()?.poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.stream()?.poll_shutdown(cx)
    }
}
