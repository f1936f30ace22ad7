//! `tollgate healthcheck`, the container's probe: exit 0 when the server
//! it is configured for answers GET /readyz with 200, 1 with one line
//! saying why otherwise. It runs as the container does (production) with a
//! database URL nothing answers, which it must never try.

use std::{
    net::{SocketAddr, TcpListener, TcpStream},
    process::Output,
};

use crate::{binary::tollgate, helpers::TestApp};

const SECRET: &str = "a production secret of more than 32 bytes";
const UNREACHABLE_DATABASE: &str = "postgres://postgres@127.0.0.1:1/none";

/// Runs `tollgate healthcheck` for a server bound to `bind_addr`, off the
/// test's runtime, which serves the in-process servers it asks.
async fn healthcheck(bind_addr: String) -> Output {
    tokio::task::spawn_blocking(move || {
        let envs = [
            ("BIND_ADDR", bind_addr.as_str()),
            ("TOLLGATE_ENV", "production"),
            ("JWT_SECRET", SECRET),
            ("DATABASE_URL", UNREACHABLE_DATABASE),
        ];
        tollgate(&["healthcheck"], &envs, None)
    })
    .await
    .unwrap()
}

/// The exit code, standard output and standard error.
fn outcome(output: &Output) -> (Option<i32>, String, String) {
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn failure(message: String) -> (Option<i32>, String, String) {
    (Some(1), String::new(), format!("error: {message}\n"))
}

#[tokio::test]
async fn a_ready_server_passes_also_when_bound_to_every_address() {
    let app = TestApp::spawn().await;
    let addr = app.serve().await;
    let wildcard = SocketAddr::from(([0, 0, 0, 0], addr.port()));
    let expected = (
        Some(0),
        format!("http://{addr}/readyz answered 200 OK\n"),
        String::new(),
    );

    assert_eq!(outcome(&healthcheck(addr.to_string()).await), expected);
    assert_eq!(outcome(&healthcheck(wildcard.to_string()).await), expected);
}

#[tokio::test]
async fn nothing_listening_fails_saying_the_server_cannot_be_reached() {
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let refused = TcpStream::connect(addr).unwrap_err();

    let output = healthcheck(addr.to_string()).await;

    assert_eq!(
        outcome(&output),
        failure(format!("cannot reach http://{addr}/readyz: {refused}"))
    );
}

#[tokio::test]
async fn a_server_whose_database_is_down_fails_with_its_503() {
    let app = TestApp::spawn().await;
    app.state.db.close_by_ref().await.unwrap();
    let addr = app.serve().await;

    let output = healthcheck(addr.to_string()).await;

    assert_eq!(
        outcome(&output),
        failure(format!(
            "http://{addr}/readyz answered 503 Service Unavailable"
        ))
    );
}

#[tokio::test]
async fn a_server_that_never_answers_fails_after_the_timeout() {
    // Connections wait in the backlog of a listener that never accepts.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = silent.local_addr().unwrap();

    let output = healthcheck(addr.to_string()).await;

    assert_eq!(
        outcome(&output),
        failure(format!("http://{addr}/readyz did not answer within 3s"))
    );
}
