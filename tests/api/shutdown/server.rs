//! The `tollgate` binary as a child process on a database of its own, so a
//! test can send it SIGTERM.

use std::{
    net::SocketAddr,
    process::{ExitStatus, Stdio},
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
    process::{Child, Command},
    task::JoinHandle,
    time::timeout,
};

/// A running server process, killed if the test ends before it exits.
pub struct Server {
    child: Child,
    pub addr: SocketAddr,
    /// Where it serves GET /metrics, when `METRICS_ADDR` says so.
    metrics: Option<SocketAddr>,
    stderr: JoinHandle<String>,
}

impl Server {
    /// Starts `serve` on port 0 and waits until it prints its address.
    pub async fn start(database_url: &str, grace_secs: u64) -> Self {
        Self::start_with(database_url, grace_secs, &[]).await
    }

    /// Starts `serve` as [`Server::start`] does, with `envs` besides.
    pub async fn start_with(database_url: &str, grace_secs: u64, envs: &[(&str, &str)]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tollgate"))
            .arg("serve")
            .env_remove("TOLLGATE_ENV")
            .env_remove("JWT_SECRET")
            .env("DATABASE_URL", database_url)
            .env("BIND_ADDR", "127.0.0.1:0")
            .env("WORKERS", "2")
            .env("SHUTDOWN_GRACE_SECS", grace_secs.to_string())
            .env("RATE_LIMIT_RPS", "1000000")
            .env("RATE_LIMIT_BURST", "1000000")
            .env("COST_BUCKET_SIZE", "1000000000")
            .env("COST_RESTORE_RATE", "1000000")
            .env("RUST_LOG", "warn")
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let stderr = tokio::spawn(async move {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text).await;
            text
        });
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (addr, metrics) = timeout(Duration::from_secs(60), async {
            let mut metrics = None;
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(url) = line.strip_prefix("Metrics: http://") {
                    metrics = url.trim_end_matches("/metrics").parse().ok();
                }
                if let Some(url) = line.strip_prefix("GraphiQL: http://") {
                    return (url.trim_end_matches("/graphql").parse().unwrap(), metrics);
                }
            }
            panic!("the server exited before printing its address")
        })
        .await
        .expect("the server prints its address");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self {
            child,
            addr,
            metrics,
            stderr,
        }
    }

    /// The body of GET /metrics.
    pub async fn metrics(&self) -> String {
        let addr = self.metrics.expect("metrics are served");
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let request = format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
        stream.write_all(request.as_bytes()).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let pid = self.child.id().expect("the server is running");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit status and how long after `since` it came, within `limit`;
    /// with the server's log for failure messages.
    pub async fn exit(mut self, since: Instant, limit: Duration) -> (ExitStatus, Duration, String) {
        let status = timeout(limit, self.child.wait()).await;
        let took = since.elapsed();
        if status.is_err() {
            let _ = self.child.kill().await;
        }
        let log = self.stderr.await.unwrap_or_default();
        let status = status.unwrap_or_else(|_| panic!("no exit within {limit:?}; log:\n{log}"));
        (status.unwrap(), took, log)
    }
}
