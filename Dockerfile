# certyo-queue in a small image: build with the Rust toolchain, run on Debian slim.
# `docker build -t certyo-queue .` then `docker run --rm certyo-queue --help`.
FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src src
COPY migrations migrations
COPY sql sql
COPY benches benches
RUN cargo build --release --locked --bin certyo-queue

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --uid 10001 --no-create-home certyo
COPY --from=build /src/target/release/certyo-queue /usr/local/bin/certyo-queue
USER certyo
ENTRYPOINT ["certyo-queue"]
