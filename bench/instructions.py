#!/usr/bin/env python3
"""Instructions the server executes per request of Q1 or Q2, counted by
valgrind's callgrind: unlike CPU time on a shared machine, the count is the
same from one run to the next, so two builds compare to within a fraction of a
percent. Requests are sent one at a time after a warm-up; only the measured
ones are counted (the server's user-space work, not the kernel's).

Needs the `tollgate_bench` database that bench.py seeds, and valgrind.

Usage: python3 bench/instructions.py [--binary PATH] [--requests 30] [--query Q1|Q2]
                                     [--profile-out FILE] [NAME=VALUE ...]

NAME=VALUE pairs are extra server settings, e.g. ENTITY_CACHE=true. With
--profile-out the callgrind profile is kept for callgrind_annotate (build with
`cargo build --profile profiling` for source lines).
"""

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

import bench


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=bench.BINARY)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--query", choices=["Q1", "Q2"], default="Q1")
    parser.add_argument("--profile-out")
    parser.add_argument("settings", nargs="*", metavar="NAME=VALUE")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is missing: apt-get install valgrind")

    out = tempfile.mkdtemp(prefix="tollgate-callgrind-")
    port = bench.free_port()
    env = dict(
        os.environ,
        DATABASE_URL=bench.DATABASE_URL,
        BIND_ADDR=f"127.0.0.1:{port}",
        TOLLGATE_ENV="development",
        JWT_SECRET="bench-secret-bench-secret-bench-secret",
        RUST_LOG="warn",
        RATE_LIMIT_RPS="1000000",
        RATE_LIMIT_BURST="1000000",
        COST_BUCKET_SIZE="1000000000",
        COST_RESTORE_RATE="1000000000",
        ENTITY_CACHE="false",
        RESPONSE_CACHE="false",
        # Everything runs about fifty times slower under valgrind.
        REQUEST_TIMEOUT_SECS="60",
    )
    env.update(dict(s.split("=", 1) for s in args.settings))
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.out", args.binary, "serve"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/graphql"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5)
                break
            except OSError:
                time.sleep(0.2)
        _, login = bench.post(url, {"query": 'mutation { login(input: { email: "bench-admin@example.com", '
                                              'password: "bench admin password" }) { accessToken } }'})
        token = json.loads(login)["data"]["login"]["accessToken"] if args.query == "Q1" else None
        query = {"query": getattr(bench, args.query)}

        def send():
            headers = {"content-type": "application/json", "accept-encoding": "gzip, deflate, br"}
            if token:
                headers["authorization"] = f"Bearer {token}"
            request = urllib.request.Request(url, json.dumps(query).encode(), headers)
            with urllib.request.urlopen(request, timeout=60) as response:
                response.read()

        for _ in range(20):
            send()
        subprocess.run(["callgrind_control", "--zero", str(server.pid)], check=True, capture_output=True)
        for _ in range(args.requests):
            send()
        subprocess.run(["callgrind_control", "--dump", str(server.pid)], check=True, capture_output=True)
    finally:
        server.terminate()
        server.wait()
    dump = glob.glob(f"{out}/callgrind.out.1")[0]
    with open(dump) as f:
        total = next(int(line.split()[1]) for line in f if line.startswith(("summary:", "totals:")))
    print(f"{args.query}: {total / args.requests / 1e6:.2f} M instructions per request "
          f"({args.requests} requests, {' '.join(args.settings) or 'caches off'})")
    if args.profile_out:
        shutil.copy(dump, args.profile_out)
    shutil.rmtree(out)


if __name__ == "__main__":
    main()
