# The bridge, AWS-only (no emulator): docs/BRIDGE.md. The emulator has its own,
# emulator.Dockerfile (docs/PYTHON.md).
#   docker build -t anthropic-bridge .
#   docker run -p 8080:8080 -e AWS_REGION=us-west-2 -e BRIDGE_API_KEYS=... anthropic-bridge
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --locked --release -p bridge --no-default-features

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/bridge /usr/local/bin/bridge
USER 65534:65534
EXPOSE 8080
ENV BRIDGE_LISTEN=0.0.0.0:8080
ENTRYPOINT ["/usr/local/bin/bridge"]
