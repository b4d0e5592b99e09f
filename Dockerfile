# syntax=docker/dockerfile:1
# Multi-stage build: compile with the Rust toolchain, run from a small Debian image as a
# non-root user. Migrations run at start when database.migrate_on_start is true (the default).

FROM rust:1.95-bookworm AS build
WORKDIR /src
# Dependencies first, so that code changes do not rebuild them.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src tests/api && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && echo '' > tests/api/main.rs && cargo build --release --locked && rm -rf src
COPY config config
COPY migrations migrations
COPY src src
RUN touch src/main.rs src/lib.rs && cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --user-group --home-dir /app --create-home inquiry
WORKDIR /app
COPY --from=build /src/target/release/inquiry-desk /usr/local/bin/inquiry-desk
COPY config /app/config
RUN mkdir -p /app/data/mail && chown -R inquiry:inquiry /app/data
USER 10001:10001
ENV APP_ENV=production
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["inquiry-desk"]
CMD ["serve"]
