//! The client's IP address: the socket peer, unless the peer is a trusted
//! proxy, in which case the nearest untrusted address of X-Forwarded-For.
//! X-Forwarded-For is never trusted from anyone else.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::{
    extract::{ConnectInfo, connect_info::MockConnectInfo},
    http::{HeaderMap, request::Parts},
};

/// The socket peer of a request, when the server knows it.
pub fn peer(parts: &Parts) -> Option<IpAddr> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .or_else(|| {
            parts
                .extensions
                .get::<MockConnectInfo<SocketAddr>>()
                .map(|c| c.0.ip())
        })
}

/// The client address under the trusted-proxy rule.
pub fn client_ip(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|ip| ip.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|ip| !trusted.contains(ip))
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", xff.parse().unwrap());
        headers
    }

    #[test]
    fn forwarded_for_is_ignored_unless_the_peer_is_a_trusted_proxy() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let spoofed = headers("198.51.100.1");
        assert_eq!(client_ip(Some(peer), &spoofed, &[]), peer);
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        assert_eq!(
            client_ip(Some(proxy), &headers("198.51.100.1, 192.0.2.7"), &[proxy]),
            "192.0.2.7".parse::<IpAddr>().unwrap(),
            "the nearest untrusted hop, not the client-written first one"
        );
        assert_eq!(client_ip(Some(proxy), &HeaderMap::new(), &[proxy]), proxy);
    }
}
