# syntax=docker/dockerfile:1
# The one `xiaokang` binary; each container runs `xiaokang serve <name>`.
# Stage 1-3: cargo-chef caches the dependency build in its own layer, so a code change
# rebuilds only the workspace crates. Stage 4: a slim, non-root runtime (docker-compose.yml
# also runs it read-only, without capabilities).

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
# The release profile already leaves out debug info (Cargo's default); `strip` also drops
# the symbol table, which the running service never reads. Done here rather than with
# `[profile.release] strip` in Cargo.toml, which `cargo bench` inherits and profilers need.
# The unstripped binary stays in this stage for symbolising a crash.
RUN cargo build --release --bin xiaokang \
    && strip --strip-all -o target/release/xiaokang.stripped target/release/xiaokang

FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/xiaokang --create-home xiaokang
COPY --from=build /src/target/release/xiaokang.stripped /usr/local/bin/xiaokang
USER 10001
WORKDIR /var/lib/xiaokang
ENV XK_LOG_FORMAT=json
ENTRYPOINT ["xiaokang"]
CMD ["--help"]
