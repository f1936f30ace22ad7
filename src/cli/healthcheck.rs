//! `tollgate healthcheck`: asks the server this configuration describes
//! whether it is ready, for container health checks, which need a probe
//! inside an image that has no shell and no curl.

use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    time::Duration,
};

use anyhow::Context;
use bytes::Bytes;
use http_body_util::Empty;
use hyper::{Request, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Within a container engine's own probe timeout (commonly 5 s and more),
/// so that the reason is ours rather than a kill.
const TIMEOUT: Duration = Duration::from_secs(3);

/// GETs `/readyz` from the server bound to `bind_addr`: `Ok` with a line
/// saying so when it answers 200, an error saying why otherwise.
pub async fn check(bind_addr: SocketAddr) -> anyhow::Result<String> {
    let addr = reachable(bind_addr);
    let url = format!("http://{addr}/readyz");
    let status = tokio::time::timeout(TIMEOUT, readiness(addr))
        .await
        .map_err(|_| anyhow::anyhow!("{url} did not answer within {TIMEOUT:?}"))?
        .with_context(|| format!("cannot reach {url}"))?;
    anyhow::ensure!(status == StatusCode::OK, "{url} answered {status}");
    Ok(format!("{url} answered {status}"))
}

/// The address to connect to: a server listening on every address (0.0.0.0
/// or [::]) is asked on the loopback address of the same family.
fn reachable(bind_addr: SocketAddr) -> SocketAddr {
    let ip = match bind_addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, bind_addr.port())
}

async fn readiness(addr: SocketAddr) -> anyhow::Result<StatusCode> {
    let stream = TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    let request = Request::get("/readyz")
        .header(header::HOST, addr.to_string())
        .body(Empty::<Bytes>::new())?;
    Ok(sender.send_request(request).await?.status())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_address_is_asked_on_the_loopback_of_its_family() {
        let asked: Vec<String> = ["0.0.0.0:8080", "[::]:8080", "10.1.2.3:80", "[::1]:9000"]
            .into_iter()
            .map(|bound| reachable(bound.parse().unwrap()).to_string())
            .collect();
        assert_eq!(
            asked,
            ["127.0.0.1:8080", "[::1]:8080", "10.1.2.3:80", "[::1]:9000"]
        );
    }
}
