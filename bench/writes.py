#!/usr/bin/env python3
"""The write path: placeOrder under load, beside pgbench running the same
SQL transaction on the same data as its ceiling.

32 customers place orders of two lines (quantity 1) as fast as they are
answered, over 500 products of one currency: "spread" picks both lines at
random among them; "hot" puts one product in every order, so every order
waits for that row's lock. Each scenario runs on a fresh copy of the
benchmark database (bench.py seeds it; `--skip-seed` there keeps it), with
the 500 products for sale, their stock raised so that none runs out. Tollgate runs as in
production (caches on), with the per-client limits lifted as in bench.py.

For each: orders/s (orders committed, counted in the database), latency,
the server's and PostgreSQL's CPU per order, and pgbench's orders/s and
PostgreSQL CPU per order for bench/writes/place_order.pgbench, the same
statements in one transaction, with the same 32 clients; Tollgate's share
of that ceiling is the last column.

Needs: wrk (`apt-get install wrk`), pgbench, a seeded `tollgate_bench`
(run bench.py once). Appends a table to bench/README.md unless --no-write.

Usage: python3 bench/writes.py [--duration 10] [--warmup 2] [--binary PATH] [--no-write]
"""

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile

import bench
from bench import DATABASE, TICKS, Server, cpu_ticks, post, postgres_ticks, psql, run

HERE = os.path.join(bench.ROOT, "bench", "writes")
COPY = DATABASE + "_writes"
COPY_URL = bench.DATABASE_URL.replace("/" + DATABASE + "?", "/" + COPY + "?")
CUSTOMERS = 32
PRODUCTS = 500

PREPARE = f"""
CREATE TABLE bench_products AS
  SELECT row_number() OVER (ORDER BY id) AS n, id
  FROM (SELECT id FROM products WHERE currency = 'EUR' ORDER BY id LIMIT {PRODUCTS}) p;
CREATE UNIQUE INDEX ON bench_products (n);
UPDATE products SET stock = 1000000000, active = true WHERE id IN (SELECT id FROM bench_products);
"""


def fresh_copy():
    """A copy of the benchmark database holding the 500 products."""
    psql(f"DROP DATABASE IF EXISTS {COPY} WITH (FORCE)")
    psql(f"CREATE DATABASE {COPY} TEMPLATE {DATABASE}")
    run(["psql", COPY_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c", PREPARE])


def count_orders():
    return int(run(["psql", COPY_URL, "-Atc", "SELECT count(*) FROM orders"]).stdout)


def customers(url):
    """Registers the customers; their tokens, and bench_users for pgbench."""
    tokens = []
    for i in range(CUSTOMERS):
        _, body = post(url + "/graphql", {
            "query": "mutation($input: RegisterInput!) { register(input: $input) { accessToken } }",
            "variables": {"input": {
                "email": f"bench-writer-{i}@example.com",
                "password": "bench writer password",
                "displayName": f"Writer {i}",
            }},
        })
        tokens.append(json.loads(body)["data"]["register"]["accessToken"])
    run(["psql", COPY_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c",
         "CREATE TABLE bench_users AS SELECT row_number() OVER (ORDER BY id) - 1 AS n, id "
         "FROM users WHERE email LIKE 'bench-writer-%'"])
    return tokens


def lua_data(path, tokens, hot):
    products = run(["psql", COPY_URL, "-Atc", "SELECT id FROM bench_products ORDER BY n"]).stdout.split()
    with open(path, "w") as f:
        f.write("return {\n  hot = %s,\n" % ("true" if hot else "false"))
        f.write("  tokens = {%s},\n" % ", ".join(f'"{t}"' for t in tokens))
        f.write("  products = {%s},\n}\n" % ", ".join(f'"{p}"' for p in products))


def wrk(url, data, seconds):
    out = run(
        ["wrk", "-t", "2", "-c", str(CUSTOMERS), "-d", f"{seconds}s",
         "-s", os.path.join(HERE, "place_order.lua"), url],
        env=dict(os.environ, PLACE_ORDER_DATA=data),
    ).stdout
    match = re.search(r"RESULT (\d+) (\d+) ([\d.]+) ([\d.]+)", out)
    if not match:
        sys.exit(f"wrk said:\n{out}")
    requests, failed, p50, p99 = match.groups()
    return int(requests), int(failed), float(p50), float(p99)


def tollgate(binary, hot, args):
    fresh_copy()
    bench.DATABASE_URL = COPY_URL
    server = Server({"REGISTER_PER_HOUR": "1000000"}, binary)
    try:
        tokens = customers(server.url)
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "data.lua")
            lua_data(data, tokens, hot)
            wrk(server.url + "/graphql", data, args.warmup)
            before = count_orders()
            server_cpu, pg_cpu = cpu_ticks([server.process.pid]), postgres_ticks()
            _, failed, p50, p99 = wrk(server.url + "/graphql", data, args.duration)
            server_cpu = cpu_ticks([server.process.pid]) - server_cpu
            pg_cpu = postgres_ticks() - pg_cpu
            orders = count_orders() - before
    finally:
        server.stop()
    per = max(orders, 1)
    return {
        "orders": orders / args.duration, "failed": failed, "p50": p50, "p99": p99,
        "server_cpu": server_cpu / TICKS * 1000 / per, "pg_cpu": pg_cpu / TICKS * 1000 / per,
    }


def pgbench(hot, args):
    """pgbench's orders/s and PostgreSQL CPU per order, on a fresh copy
    holding the same customers."""
    fresh_copy()
    run(["psql", COPY_URL, "-v", "ON_ERROR_STOP=1", "-q", "-c",
         f"CREATE TABLE bench_users AS SELECT n - 1 AS n, id FROM "
         f"(SELECT row_number() OVER (ORDER BY id) AS n, id FROM users LIMIT {CUSTOMERS}) u"])
    script = os.path.join(HERE, "place_order.pgbench")
    common = ["pgbench", "-n", "-M", "prepared", "-c", str(CUSTOMERS), "-j", "2",
              "-D", f"hot={int(hot)}", "-f", script, COPY_URL]
    run(common[:1] + ["-T", str(args.warmup)] + common[1:])
    before = count_orders()
    pg_cpu = postgres_ticks()
    out = run(common[:1] + ["-T", str(args.duration), "-r"] + common[1:]).stdout
    pg_cpu = postgres_ticks() - pg_cpu
    orders = count_orders() - before
    failed = int(re.search(r"number of failed transactions: (\d+)", out).group(1))
    return {"orders": orders / args.duration, "failed": failed,
            "pg_cpu": pg_cpu / TICKS * 1000 / max(orders, 1)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--binary", help="measure this tollgate binary instead of building target/dist/tollgate")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    for tool in ("wrk", "pgbench"):
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing (wrk: apt-get install wrk; pgbench: postgresql-client)")
    binary = bench.build(args.binary)

    rows = []
    for name, hot in (("spread over 500 products", False), ("one hot product in every order", True)):
        print(f"measuring placeOrder, {name} ...", flush=True)
        ours = tollgate(binary, hot, args)
        print(f"measuring pgbench, {name} ...", flush=True)
        ceiling = pgbench(hot, args)
        rows.append((name, ours, ceiling))
    psql(f"DROP DATABASE IF EXISTS {COPY} WITH (FORCE)")

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "",
        f"### {date}: placeOrder, {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"PostgreSQL on the same host, {CUSTOMERS} customers, {args.duration} s after {args.warmup} s warm-up",
        "",
        "| orders | Tollgate orders/s | p50 ms | p99 ms | failed (Tollgate / pgbench) | server CPU ms/order | PostgreSQL CPU ms/order "
        "| pgbench orders/s | pgbench PostgreSQL CPU ms/order | Tollgate / pgbench |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, ours, ceiling in rows:
        lines.append(
            f"| {name} | {ours['orders']:.0f} | {ours['p50']:.2f} | {ours['p99']:.2f} | "
            f"{ours['failed']} / {ceiling['failed']} | {ours['server_cpu']:.3f} | {ours['pg_cpu']:.3f} | "
            f"{ceiling['orders']:.0f} | {ceiling['pg_cpu']:.3f} | {ours['orders'] / max(ceiling['orders'], 1):.0%} |"
        )
    table = "\n".join(lines) + "\n"
    print(table)
    if not args.no_write:
        with open(os.path.join(bench.ROOT, "bench", "README.md"), "a") as f:
            f.write(table)


if __name__ == "__main__":
    main()
