#!/usr/bin/env bash
# Builds the SDK and starts the local Identify API server with the example page. Installs what
# is missing first. Stop it with Ctrl-C; the profiles stay in target/example.db.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

scripts/build.sh

listen="${HEROGI_LISTEN:-127.0.0.1:8080}"
echo
echo "Example page: the URL on the 'listening on' line below (app id demo-app, secret"
echo "demo-secret). Another address: HEROGI_LISTEN=127.0.0.1:PORT scripts/example.sh"
echo
exec target/release/herogi-server --listen "$listen" --db "${HEROGI_DB:-target/example.db}" \
  --static www-example --static dist
