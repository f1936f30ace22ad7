//! One GET of the key set, over a connection of its own (fetches are rare:
//! at most one per `JWKS_REFRESH_SECS`), with a deadline and a size limit so
//! that a slow or hostile provider cannot hold a request or fill memory.
//! TLS is rustls with the Mozilla roots; redirects are not followed.

use std::{sync::Arc, time::Duration};

use anyhow::{Context, anyhow, bail};
use axum::http::{Request, Uri, header};
use bytes::Bytes;
use http_body_util::{BodyExt, Empty, Limited};
use hyper::rt::{Read, Write};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio_rustls::{
    TlsConnector,
    rustls::{ClientConfig, RootCertStore, crypto::ring, pki_types::ServerName},
};

/// The longest a fetch may take, connection and TLS included.
const DEADLINE: Duration = Duration::from_secs(5);
/// The largest key set accepted (real ones are a few KiB).
const MAX_BYTES: usize = 256 * 1024;

/// Fetches documents from one URL.
pub struct Fetcher {
    url: Uri,
    tls: TlsConnector,
}

impl Fetcher {
    pub fn new(url: Uri) -> anyhow::Result<Self> {
        let roots = RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        let config = ClientConfig::builder_with_provider(Arc::new(ring::default_provider()))
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(Self {
            url,
            tls: TlsConnector::from(Arc::new(config)),
        })
    }

    /// The body of a successful GET.
    pub async fn get(&self) -> anyhow::Result<Bytes> {
        tokio::time::timeout(DEADLINE, self.fetch())
            .await
            .map_err(|_| anyhow!("no answer within {DEADLINE:?}"))?
    }

    async fn fetch(&self) -> anyhow::Result<Bytes> {
        let host = self.url.host().context("the URL names no host")?;
        let https = self.url.scheme_str() == Some("https");
        let port = self.url.port_u16().unwrap_or(if https { 443 } else { 80 });
        let bare_host = host.trim_matches(['[', ']']);
        let tcp = TcpStream::connect((bare_host, port)).await?;
        let request = Request::get(self.url.path_and_query().map_or("/", |p| p.as_str()))
            .header(
                header::HOST,
                self.url.authority().map_or(host, |a| a.as_str()),
            )
            .header(header::ACCEPT, "application/json")
            .header(header::USER_AGENT, "tollgate")
            .body(Empty::<Bytes>::new())?;
        if https {
            let name = ServerName::try_from(bare_host.to_owned())?;
            let tls = self.tls.connect(name, tcp).await?;
            send(TokioIo::new(tls), request).await
        } else {
            send(TokioIo::new(tcp), request).await
        }
    }
}

async fn send<T>(io: T, request: Request<Empty<Bytes>>) -> anyhow::Result<Bytes>
where
    T: Read + Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await?;
    let driver = tokio::spawn(connection);
    let answer = async {
        let response = sender.send_request(request).await?;
        if !response.status().is_success() {
            bail!("answered {}", response.status());
        }
        Limited::new(response.into_body(), MAX_BYTES)
            .collect()
            .await
            .map(|body| body.to_bytes())
            .map_err(|err| anyhow!("reading the body: {err}"))
    }
    .await;
    driver.abort();
    answer
}
