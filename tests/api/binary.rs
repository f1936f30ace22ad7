//! The `tollgate` binary as a child process: a command run to completion, or
//! `serve` kept running until the test drops it.

use std::{
    io::{BufRead, BufReader, Read, Write},
    net::TcpStream,
    path::Path,
    process::{Child, Command, Output, Stdio},
    sync::mpsc,
    thread,
    time::{Duration, Instant},
};

/// Settings a test must not inherit from the shell that runs it.
const INHERITED: [&str; 8] = [
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
}

impl Server {
    /// Starts `serve` on a free port and waits until it prints its URL; the
    /// error is its standard error when it stops first.
    pub fn start(envs: &[(&str, &str)]) -> Result<Self, String> {
        let mut envs = envs.to_vec();
        envs.extend([("BIND_ADDR", "127.0.0.1:0"), ("WORKERS", "1")]);
        let mut child = command(&["serve"], &envs).spawn().unwrap();
        drop(child.stdin.take());
        let stdout = child.stdout.take().unwrap();
        let (found, url) = mpsc::channel();
        // Keeps reading after the URL so the server never blocks on a full pipe.
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("GraphiQL: http://") {
                    let _ = found.send(rest.trim_end_matches("/graphql").to_owned());
                }
            }
        });
        match url.recv_timeout(START_TIMEOUT) {
            Ok(addr) => Ok(Self { child, addr }),
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
        let body = serde_json::json!({ "query": query }).to_string();
        let mut stream = TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "POST /graphql HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
