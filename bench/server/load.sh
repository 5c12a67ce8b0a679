#!/usr/bin/env bash
# Builds herogi-server and its load client in release mode, prints the machine, and runs the
# load client: identify throughput and latency, then the SIGKILL-under-load check. The client
# starts its own server on 127.0.0.1 with a temporary database, and every phase stops after a
# fixed number of requests or seconds. Arguments go to the client (`--help` lists them).
set -euo pipefail
cd "$(dirname "$0")/../.."

cargo build --quiet --release -p herogi-server --bin herogi-server --example load

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr)"
echo "toolchain: $(rustc --version)"
exec target/release/examples/load --server target/release/herogi-server "$@"
