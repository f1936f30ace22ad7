//! The `tollgate` binary as a child process: a command run to completion, or
//! `serve` kept running until the test drops it.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Output, Stdio},
    sync::{Arc, Mutex, mpsc},
    thread,
    time::{Duration, Instant},
};

/// Settings a test must not inherit from the shell that runs it.
const INHERITED: [&str; 12] = [
    "METRICS_ADDR",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_SERVICE_NAME",
    "SLOW_OPERATION_MS",
    "DATABASE_URL",
    "TOLLGATE_ENV",
    "JWT_SECRET",
    "BIND_ADDR",
    "WORKERS",
    "TRUSTED_DOCUMENTS",
    "TRUSTED_DOCUMENTS_MANIFEST",
    "ADMIN_PASSWORD",
];

/// How long `serve` may take to migrate, seed and bind.
const START_TIMEOUT: Duration = Duration::from_secs(120);

fn command(args: &[&str], envs: &[(&str, &str)]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    command.args(args);
    for name in INHERITED {
        command.env_remove(name);
    }
    command
        .envs(envs.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Runs a command to completion, `stdin` written to it.
pub fn tollgate(args: &[&str], envs: &[(&str, &str)], stdin: Option<&str>) -> Output {
    tollgate_in(None, args, envs, stdin)
}

/// Runs a command to completion in the folder `dir`; one that is still
/// running after `START_TIMEOUT` (a `serve` that should have stopped) is
/// killed, so a regression fails the test instead of hanging it.
pub fn tollgate_in(
    dir: Option<&Path>,
    args: &[&str],
    envs: &[(&str, &str)],
    stdin: Option<&str>,
) -> Output {
    let mut command = command(args, envs);
    if let Some(dir) = dir {
        command.current_dir(dir);
    }
    let mut child = command.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let deadline = Instant::now() + START_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("tollgate {args:?} still ran after {START_TIMEOUT:?}");
        }
        thread::sleep(Duration::from_millis(20));
    };
    Output {
        status,
        stdout: stdout.join().unwrap(),
        stderr: stderr.join().unwrap(),
    }
}

fn drain(mut pipe: impl Read + Send + 'static) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).trim().to_owned()
}

/// Asserts that the command failed with one line naming `variable`.
pub fn assert_fails_naming(output: &Output, variable: &str) {
    let message = stderr(output);
    assert!(
        !output.status.success(),
        "expected a failure naming {variable}"
    );
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(message.contains(variable), "{message}");
}

/// `tollgate serve`, running; killed when dropped.
pub struct Server {
    child: Child,
    addr: String,
    /// Where it serves GET /metrics, when it does.
    pub metrics: Option<String>,
    /// Its standard output so far, line by line (logs, in production).
    stdout: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `serve` on a free port and waits until it prints its URL; the
    /// error is its standard error when it stops first.
    /// Metrics are off unless `envs` sets METRICS_ADDR.
    pub fn start(given: &[(&str, &str)]) -> Result<Self, String> {
        let mut envs = vec![("METRICS_ADDR", "off")];
        envs.extend(given.iter().copied());
        envs.extend([("BIND_ADDR", "127.0.0.1:0"), ("WORKERS", "1")]);
        let mut child = command(&["serve"], &envs).spawn().unwrap();
        drop(child.stdin.take());
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (found, url) = mpsc::channel();
        let kept = Arc::clone(&lines);
        // Keeps reading after the URL so the server never blocks on a full pipe.
        thread::spawn(move || {
            let mut metrics = None;
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("Metrics: http://") {
                    metrics = Some(rest.trim_end_matches("/metrics").to_owned());
                }
                if let Some(rest) = line.strip_prefix("GraphiQL: http://") {
                    let addr = rest.trim_end_matches("/graphql").to_owned();
                    let _ = found.send((addr, metrics.take()));
                }
                kept.lock().unwrap().push(line);
            }
        });
        match url.recv_timeout(START_TIMEOUT) {
            Ok((addr, metrics)) => Ok(Self {
                child,
                addr,
                metrics,
                stdout: lines,
            }),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let mut message = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut message);
                Err(message.trim().to_owned())
            }
        }
    }

    /// POSTs a GraphQL query and returns the raw HTTP response.
    pub fn query(&self, query: &str) -> String {
        self.post(&serde_json::json!({ "query": query }), &[])
    }

    /// POSTs a GraphQL request body with extra `headers`; the raw HTTP response.
    pub fn post(&self, body: &serde_json::Value, headers: &[(&str, &str)]) -> String {
        let body = body.to_string();
        let headers: String = headers
            .iter()
            .map(|(name, value)| format!("{name}: {value}\r\n"))
            .collect();
        exchange(
            &self.addr,
            &format!(
                "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
                 {headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                self.addr,
                body.len()
            ),
        )
    }

    /// GET `path` of the API listener; the raw HTTP response.
    pub fn get(&self, path: &str) -> String {
        exchange(
            &self.addr,
            &format!(
                "GET {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                self.addr
            ),
        )
    }

    /// The body of GET /metrics.
    pub fn metrics(&self) -> String {
        let addr = self.metrics.as_deref().expect("metrics are served");
        let response = exchange(
            addr,
            &format!("GET /metrics HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"),
        );
        assert!(response.starts_with("HTTP/1.1 200"), "{response}");
        response
            .split_once("\r\n\r\n")
            .map(|(_, body)| body.to_owned())
            .unwrap_or_default()
    }

    /// Where it serves the API (host:port).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// The lines it has written to standard output so far.
    pub fn stdout(&self) -> Vec<String> {
        self.stdout.lock().unwrap().clone()
    }
}

/// Sends a raw HTTP/1.1 request and reads the whole response.
fn exchange(addr: &str, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
