# The offline AgentCore Code Interpreter (and Bedrock Runtime) emulator, for teams
# that test their AgentCore code without a Rust toolchain: docs/PYTHON.md.
#   docker build -f emulator.Dockerfile -t agentcore-emulator .
#   docker run --rm -p 127.0.0.1:8000:8000 agentcore-emulator
# It prints the lines that point boto3 at it (the endpoint is http://127.0.0.1:8000
# through the published port). Set EMULATOR_SECRET_ACCESS_KEY for fixed credentials.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --locked --release -p emulator --bin agentcore-emulator

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates python3 python3-venv bubblewrap \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/agentcore-emulator /usr/local/bin/agentcore-emulator
RUN useradd --create-home --uid 10001 emulator
USER emulator
WORKDIR /home/emulator
# The sandbox's Python with the commonly used pre-installed packages, made now so
# that a container starts at once and needs no network.
RUN agentcore-emulator --provision-only
EXPOSE 8000
# The port is published on the host's loopback only (see the run line above); the
# container's own loopback is out of the host's reach, hence --allow-remote.
ENV EMULATOR_LISTEN=0.0.0.0:8000 \
    EMULATOR_ALLOW_REMOTE=true \
    RUST_LOG=emulator=warn
ENTRYPOINT ["agentcore-emulator"]
