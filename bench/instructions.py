#!/usr/bin/env python3
"""Instructions the server executes per request of Q1 or Q2, counted by
valgrind's callgrind: unlike CPU time on a shared machine, the count is the
same from one run to the next, so two builds compare to within a fraction of a
percent. Requests are sent one at a time after a warm-up; only the measured
ones are counted (the server's user-space work, not the kernel's).

Needs the `tollgate_bench` database that bench.py seeds, valgrind, and a
server built with `--features bench` (as bench.py builds it), so that the
count is of the build the other figures are of.

Usage: python3 bench/instructions.py [--binary PATH] [--requests 30] [--query Q1|Q2]
                                     [--profile-out FILE] [--floor] [--traces] [NAME=VALUE ...]

NAME=VALUE pairs are extra server settings, e.g. ENTITY_CACHE=true. With
--profile-out the callgrind profile is kept for callgrind_annotate (build with
`cargo build --profile profiling --features bench` for source lines). With --floor it counts
bench/floor's instructions per Q1 instead: async-graphql answering Q1 from
memory. With --traces every request's spans are exported (OTLP/HTTP) to a
receiver in this script: count enough requests for the exports of full
batches (512 spans) to fall among them, with OTEL_BSP_SCHEDULE_DELAY long
enough that no export is timed (valgrind slows the server fifty-fold).
METRICS_ADDR=127.0.0.1:PORT turns metrics on.
"""

import argparse
import glob
import json
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import bench


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--query", choices=["Q1", "Q2"], default="Q1")
    parser.add_argument("--profile-out")
    parser.add_argument("--floor", action="store_true", help="count bench/floor instead of Tollgate")
    parser.add_argument("--traces", action="store_true", help="export every request's spans")
    parser.add_argument("settings", nargs="*", metavar="NAME=VALUE")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        sys.exit("valgrind is missing: apt-get install valgrind")

    out = tempfile.mkdtemp(prefix="tollgate-callgrind-")
    settings = {
        "ENTITY_CACHE": "false",
        "RESPONSE_CACHE": "false",
        # Everything runs about fifty times slower under valgrind.
        "REQUEST_TIMEOUT_SECS": "60",
    }
    if args.traces:
        settings.update(OTEL_EXPORTER_OTLP_ENDPOINT=bench.OtlpReceiver().url)
    settings.update(s.split("=", 1) for s in args.settings)
    wrapper = ("valgrind", "--tool=callgrind", f"--callgrind-out-file={out}/callgrind.out")
    if args.floor:
        args.query = "Q1"
        server = bench.Floor(binary=args.binary, wrapper=wrapper, start_seconds=120)
    else:
        server = bench.Server(settings, binary=args.binary, wrapper=wrapper, start_seconds=120)
    pid = str(server.process.pid)
    url = server.url + "/graphql"
    try:
        token = bench.admin_token(server.url) if args.query == "Q1" and not args.floor else None
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
        subprocess.run(["callgrind_control", "--zero", pid], check=True, capture_output=True)
        for _ in range(args.requests):
            send()
        subprocess.run(["callgrind_control", "--dump", pid], check=True, capture_output=True)
    finally:
        server.stop()
    dump = glob.glob(f"{out}/callgrind.out.1")[0]
    with open(dump) as f:
        total = next(int(line.split()[1]) for line in f if line.startswith(("summary:", "totals:")))
    what = "the floor" if args.floor else " ".join(args.settings + ["traces exported"] * args.traces) or "caches off"
    print(f"{args.query}: {total / args.requests / 1e6:.2f} M instructions per request "
          f"({args.requests} requests, {what})")
    if args.profile_out:
        shutil.copy(dump, args.profile_out)
    shutil.rmtree(out)


if __name__ == "__main__":
    main()
