# syntax=docker/dockerfile:1
#
# Tollgate's image: the shipped build (`--profile dist`, whole-program LTO)
# on distroless, running as a non-root user. From the repository root:
#
#     docker build -t tollgate .
#
# The cache mounts keep cargo's registry and target folder from one build to
# the next, so a change to the code recompiles the workspace's crates, not
# the dependencies; a build from nothing takes 10-15 minutes on two cores.
# deploy/ runs the image with PostgreSQL, Redis and a proxy.

FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
# The target folder is a cache mount, gone after this step: the binary is
# copied out of it in the same step.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    --mount=type=cache,target=/src/target \
    cargo build --profile dist --locked --bin tollgate \
    && cp target/dist/tollgate /usr/local/bin/tollgate

# glibc and libgcc, which the binary links, and nothing else (no shell): the
# same Debian release as the build image.
FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/tollgate /usr/local/bin/tollgate
USER nonroot
WORKDIR /home/nonroot
ENV TOLLGATE_ENV=production \
    BIND_ADDR=0.0.0.0:8080 \
    METRICS_ADDR=0.0.0.0:9464
# The API, and Prometheus metrics.
EXPOSE 8080 9464
# GET /readyz on BIND_ADDR's port, with the container's own environment; it
# answers 503 while the database is unreachable and once SIGTERM has begun
# the drain. Its own timeout is 3 s.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/tollgate", "healthcheck"]
# `docker stop` sends SIGTERM, which drains within SHUTDOWN_GRACE_SECS (20 s
# by default): give it longer than its default 10 s (`--time 25`, or
# compose's stop_grace_period).
ENTRYPOINT ["/usr/local/bin/tollgate"]
CMD ["serve"]
