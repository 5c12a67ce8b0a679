#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine, idempotently:
# the wasm32 target, wasm-bindgen-cli at the version in Cargo.lock, Chromium with its driver,
# Firefox ESR with geckodriver, and the npm packages. Each step is skipped when its tool is
# already there. The browsers are installed with apt-get, which runs through sudo for a user other
# than root. tests/scripts/setup.test.mjs checks that part.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '[setup] %s\n' "$*"; }

# The wasm target of the machine's one Rust toolchain.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The browsers come from Debian, never as a browser download of a test tool's own: Chromium and
# ChromeDriver, and Firefox ESR for the browser tests and the smoke test in Firefox.
packages=()
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  packages+=(chromium chromium-driver)
fi
if ! command -v firefox-esr >/dev/null; then
  packages+=(firefox-esr)
fi

# Runs apt-get as root: directly when this user is root, through sudo otherwise.
apt_get() {
  if [ "$(id -u)" -eq 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get "$@"
  else
    sudo DEBIAN_FRONTEND=noninteractive apt-get "$@"
  fi
}

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    printf '[setup] error: the Debian packages %s are missing, and installing them needs root, but
this user is not root and sudo is not installed. Install them as root with
  apt-get install %s
or run scripts/setup.sh as root.\n' "${packages[*]}" "${packages[*]}" >&2
    exit 1
  fi
  log "installing Debian's ${packages[*]}"
  apt_get update -qq
  apt_get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
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
