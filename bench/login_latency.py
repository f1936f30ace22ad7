#!/usr/bin/env python3
"""Login latency: sequential (about one Argon2id verification each) and under
20 concurrent logins. Starts the dist build of Tollgate on a fresh SQLite
file, registers one user, and prints p50/p95 in milliseconds.

Usage: python3 bench/login_latency.py [--concurrency 20] [--rounds 10]
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PASSWORD = "violet staircase umbrella"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, query, variables):
    body = json.dumps({"query": query, "variables": variables}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def login(url):
    started = time.perf_counter()
    body = post(
        url,
        "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
        {"i": {"email": "bench@example.com", "password": PASSWORD}},
    )
    elapsed = (time.perf_counter() - started) * 1000
    if "errors" in body:
        raise RuntimeError(body)
    return elapsed


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()

    subprocess.run(["cargo", "build", "--profile", "dist", "--quiet"], cwd=ROOT, check=True)
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ)
        env.update(
            DATABASE_URL=f"sqlite://{tmp}/bench.db?mode=rwc",
            BIND_ADDR=f"127.0.0.1:{port}",
            RUST_LOG="warn",
            LOGIN_MAX_FAILURES_PER_IP="100000",
        )
        server = subprocess.Popen(
            [os.path.join(ROOT, "target", "dist", "tollgate"), "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
        )
        try:
            url = f"http://127.0.0.1:{port}/graphql"
            for _ in range(100):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            post(
                url,
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                {"i": {"email": "bench@example.com", "password": PASSWORD, "displayName": "Bench"}},
            )
            sequential = [login(url) for _ in range(20)]
            concurrent = []
            lock = threading.Lock()

            def worker():
                elapsed = login(url)
                with lock:
                    concurrent.append(elapsed)

            for _ in range(args.rounds):
                threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
                for t in threads:
                    t.start()
                for t in threads:
                    t.join()
        finally:
            server.terminate()
            server.wait()

    cores = os.cpu_count()
    print(f"cores: {cores}")
    print(
        f"sequential login (~ one Argon2id verification): p50 {statistics.median(sequential):.1f} ms, "
        f"p95 {percentile(sequential, 95):.1f} ms"
    )
    print(
        f"{args.concurrency} concurrent logins x {args.rounds} rounds: p50 {statistics.median(concurrent):.1f} ms, "
        f"p95 {percentile(concurrent, 95):.1f} ms, max {max(concurrent):.1f} ms"
    )


if __name__ == "__main__":
    sys.exit(main())
