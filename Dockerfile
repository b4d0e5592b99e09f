# syntax=docker/dockerfile:1
# Multi-stage build: compile with the Rust toolchain, run from a small Debian image as a
# non-root user. Migrations run at start when database.migrate_on_start is true (the default).
# scripts/container-check replays this recipe without Docker (see docs/OPERATIONS.md, "Deploying").

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, so that code changes do not rebuild them. Cargo wants the file of every
# target Cargo.toml declares, so each gets a stub: the library, the binary, the `api` test and
# the [[bench]] targets. A target added to Cargo.toml needs a stub here too.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src tests/api benches && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo '' > tests/api/main.rs \
    && for bench in burst notify staff suite; do echo 'fn main() {}' > "benches/$bench.rs"; done \
    && cargo build --release --locked && rm -rf src
COPY config config
COPY migrations migrations
COPY src src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
# curl is for the HEALTHCHECK below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --create-home inquiry
WORKDIR /app
COPY --from=build /src/target/release/inquiry-desk /usr/local/bin/inquiry-desk
COPY config /app/config
RUN mkdir -p /app/data/mail && chown -R inquiry:inquiry /app/data
USER 10001:10001
ENV APP_ENV=production
EXPOSE 8080
# Alive: the process answers (8080 is server.port). Not /readyz: a database outage must not
# mark every container unhealthy (an orchestrator would restart them all for nothing).
HEALTHCHECK --interval=10s --timeout=3s CMD curl -fsS --max-time 2 http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["inquiry-desk"]
CMD ["serve"]
