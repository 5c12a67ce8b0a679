#!/usr/bin/env bash
# Runs every test: formatting and lints, native Rust tests (SDK core and server), the tests of
# scripts/setup.sh, and the browser tests of the wasm glue in headless Chromium and Firefox ESR.
# Then come the release build with its size report, the end-to-end tests of dist/herogi.min.js
# against the real server in Chromium, and a smoke test of the built script in Firefox ESR.
# Installs what is missing first.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "set-up"
scripts/setup.sh

step "format and lints"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --release --quiet -- -D warnings
# bench/floor builds src/ as its own crate, so a module added to src/ must be added there too.
CARGO_TARGET_DIR=target/floor cargo check --quiet --release --target wasm32-unknown-unknown \
  --manifest-path bench/floor/Cargo.toml

step "native tests: SDK core and local server"
cargo test --workspace --quiet

step "tests of scripts/setup.sh (stand-ins for apt-get and sudo)"
node --test tests/scripts/

step "browser tests of the wasm glue (headless Chromium)"
CHROMEDRIVER=/usr/bin/chromedriver cargo test --lib --target wasm32-unknown-unknown

# With MOZ_DISABLE_NONLOCAL_CONNECTIONS=1, Firefox crashes instead of connecting to an address
# that is neither loopback nor private. The prefs in tests/firefox/webdriver.json turn off the
# services that would try such connections.
step "browser tests of the wasm glue (headless Firefox ESR)"
firefox-esr --version
MOZ_DISABLE_NONLOCAL_CONNECTIONS=1 GECKODRIVER="${CARGO_HOME:-$HOME/.cargo}/bin/geckodriver" \
  WASM_BINDGEN_TEST_WEBDRIVER_JSON="$PWD/tests/firefox/webdriver.json" \
  cargo test --lib --target wasm32-unknown-unknown

step "release build"
npm run --silent build
cargo build --quiet -p herogi-server

step "end-to-end tests (built script, real server, headless Chromium)"
node --test --test-concurrency=1 tests/e2e/

step "end-to-end smoke test (built script, real server, headless Firefox ESR)"
node --test tests/firefox/
