#!/usr/bin/env bash
# Installs the peer SDKs that `node bench/run.mjs --peers` measures into bench/peers/node_modules,
# at the exact versions pinned in bench/peers/package.json. Their code is never committed
# (bench/.gitignore). Runs no install scripts of the packages.
set -euo pipefail
cd "$(dirname "$0")"
npm install --prefix . --no-audit --no-fund --no-package-lock --ignore-scripts
