# syntax=docker/dockerfile:1
# The one `xiaokang` binary; each container runs `xiaokang serve <name>`.
# Stage 1-3: cargo-chef caches the dependency build in its own layer, so a code change
# rebuilds only the workspace crates. Stage 4: a slim, non-root runtime.

FROM rust:1.95-slim-bookworm AS chef
RUN cargo install cargo-chef --locked --version 0.1.73
WORKDIR /src

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
COPY --from=planner /src/recipe.json recipe.json
# Dependencies only: cached until Cargo.toml/Cargo.lock change.
RUN cargo chef cook --release --recipe-path recipe.json
COPY . .
RUN cargo build --release --bin xiaokang

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/xiaokang --create-home xiaokang
COPY --from=build /src/target/release/xiaokang /usr/local/bin/xiaokang
USER 10001
WORKDIR /var/lib/xiaokang
ENV XK_LOG_FORMAT=json
ENTRYPOINT ["xiaokang"]
CMD ["--help"]
