#!/usr/bin/env bash
# Installs what is missing, then builds the SDK (dist/) and the release herogi-server, which
# scripts/example.sh and scripts/bench.sh run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/setup.sh
npm run --silent build
cargo build --quiet --release -p herogi-server
