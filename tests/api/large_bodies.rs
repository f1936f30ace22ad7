//! A client streaming a body far over the limit over a real socket gets the
//! 413 answer, not a reset connection, however the body is framed.

use std::{io::Write, net::SocketAddr, time::Duration};

use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    time::timeout,
};

use crate::helpers::TestApp;

const BODY_BYTES: usize = 10 * 1024 * 1024;
const ATTEMPTS: usize = 20;

/// A JSON body of `len` bytes: one huge string variable of letters that
/// compress about as badly as real data (so a gzip body stays large too).
fn json_body(len: usize) -> Vec<u8> {
    let mut body = br#"{"query":"{ __typename }","variables":{"pad":""#.to_vec();
    let mut seed = 0x2545_f491_u32;
    while body.len() < len - 3 {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        body.push(b'a' + (seed % 26) as u8);
    }
    body.extend_from_slice(br#""}}"#);
    body
}

fn chunked(body: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(body.len() + body.len() / 1000);
    for chunk in body.chunks(64 * 1024) {
        framed.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
    }
    framed.extend_from_slice(b"0\r\n\r\n");
    framed
}

fn gzipped(body: &[u8]) -> Vec<u8> {
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(body).unwrap();
    gzip.finish().unwrap()
}

/// Sends the request as a plain client would (all of it, then reads the
/// answer); the status and JSON body, or what went wrong.
async fn send(addr: SocketAddr, headers: &str, body: &[u8]) -> Result<(u16, Value), String> {
    let mut stream = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let head = format!(
        "POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n{headers}\r\n"
    );
    stream
        .write_all(head.as_bytes())
        .await
        .map_err(|e| format!("writing the head: {e}"))?;
    stream
        .write_all(body)
        .await
        .map_err(|e| format!("writing the body: {e}"))?;
    let mut answer = Vec::new();
    timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .map_err(|_| "no answer within 10 s".to_owned())?
        .map_err(|e| format!("reading the answer: {e}"))?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or(format!("no head: {text:?}"))?;
    let status = head
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .ok_or(format!("{head:?}"))?;
    let body = serde_json::from_str(body).map_err(|e| format!("{e}: {body:?}"))?;
    Ok((status, body))
}

/// Sends the request `ATTEMPTS` times; every answer must be 413 PAYLOAD_TOO_LARGE.
async fn assert_refused_every_time(headers: &str, body: &[u8]) {
    let app = TestApp::spawn().await;
    let addr = app.serve().await;
    let mut outcomes = Vec::new();
    for _ in 0..ATTEMPTS {
        outcomes.push(match send(addr, headers, body).await {
            Ok((413, body)) if body["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE" => {
                "413".to_owned()
            }
            Ok((status, body)) => format!("{status} {body}"),
            Err(failure) => failure,
        });
    }
    let refused = outcomes.iter().filter(|o| *o == "413").count();
    println!("{headers:?}: {refused} of {ATTEMPTS} answered 413; {outcomes:?}");
    assert_eq!(refused, ATTEMPTS, "{outcomes:?}");
}

#[tokio::test]
async fn a_ten_megabyte_body_with_content_length_is_answered_413() {
    let body = json_body(BODY_BYTES);
    assert_refused_every_time(&format!("content-length: {}\r\n", body.len()), &body).await;
}

#[tokio::test]
async fn a_ten_megabyte_chunked_body_is_answered_413() {
    let body = chunked(&json_body(BODY_BYTES));
    assert_refused_every_time("transfer-encoding: chunked\r\n", &body).await;
}

#[tokio::test]
async fn a_gzip_body_over_the_limit_once_decompressed_is_answered_413() {
    let body = gzipped(&json_body(BODY_BYTES));
    let headers = format!(
        "content-encoding: gzip\r\ncontent-length: {}\r\n",
        body.len()
    );
    assert_refused_every_time(&headers, &body).await;
}
