#!/usr/bin/env bash
# Builds the release script and the release server, then runs the browser benchmark
# (bench/run.mjs) with the options given: `npm run bench -- --peers --split`. Installs what is
# missing first, and with --peers the pinned peer SDKs too. bench/README.md explains the numbers.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/build.sh
for option in "$@"; do
  if [ "$option" = "--peers" ]; then bench/peers/install.sh; fi
done
exec node bench/run.mjs "$@"
