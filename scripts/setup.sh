#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine, idempotently:
# the wasm32 target, wasm-bindgen-cli at the version in Cargo.lock, Chromium with its driver,
# Firefox ESR with geckodriver, and the npm packages. Each step is skipped when its tool is
# already there.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# The wasm target of the machine's one Rust toolchain.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# Chromium and ChromeDriver from Debian; never a browser download of a test tool's own.
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  log "installing Debian's chromium and chromium-driver"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi

# Firefox ESR from Debian, for the browser tests and the smoke test in Firefox.
if ! command -v firefox-esr >/dev/null; then
  log "installing Debian's firefox-esr"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends firefox-esr >/dev/null
fi

# geckodriver, Firefox's WebDriver server, is not packaged by Debian, so it is built from source
# with the lock file it ships. scripts/test.sh and tests/firefox/ look for it where cargo puts it.
geckodriver_version=0.37.1
geckodriver="${CARGO_HOME:-$HOME/.cargo}/bin/geckodriver"
have=$("$geckodriver" --version 2>/dev/null | awk 'NR == 1 { print $2 }' || true)
if [ "$have" != "$geckodriver_version" ]; then
  log "installing geckodriver $geckodriver_version (about 3 to 4 minutes)"
  cargo install --locked geckodriver --version "$geckodriver_version"
fi

# wasm-bindgen-cli must match the wasm-bindgen crate version exactly. Its own lock file pins a
# crate that the registry does not serve, so it is installed without --locked.
if [ ! -f Cargo.lock ]; then
  cargo generate-lockfile
fi
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  log "installing wasm-bindgen-cli $want (about 2 minutes)"
  cargo install wasm-bindgen-cli --version "$want"
fi

# npm packages: esbuild, binaryen's wasm-opt (Debian's wasm-opt miscompiles externref tables),
# playwright-core.
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "installing npm packages"
  npm ci --no-audit --no-fund
fi
log "done"
