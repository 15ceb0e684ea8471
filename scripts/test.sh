#!/usr/bin/env bash
# Runs the whole test suite: unit tests, the store's behavioural suite against the embedded database
# and real etcd, crash tests, and the integration tests that drive a real server with real clients.
# Installs missing system dependencies first (Debian; needs root for that).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-deps.sh
cargo build --workspace --bins
cargo test --workspace --no-fail-fast "$@"
