#!/usr/bin/env bash
# Installs whatever this machine lacks to build and test Sightline, then sets PATH. Sourced by
# scripts/serve and scripts/test. Each step is skipped when its tool is already at the right
# version, so a second run takes seconds. Everything comes from Debian's packages, rustup,
# crates.io or npm: nothing is downloaded from anywhere else (Trunk is configured offline).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
export PATH="$ROOT/node_modules/.bin:$HOME/.cargo/bin:$PATH"
# Trunk 0.21 rejects NO_COLOR=1.
if [ -n "${NO_COLOR:-}" ]; then export NO_COLOR=true; fi

TRUNK_VERSION=0.21.14
step() { printf '\n== %s\n' "$*"; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root for: $*" >&2; return 1; fi
}

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  step "Debian packages: chromium, chromium-driver"
  as_root apt-get update -qq
  # This image deletes .debs after each dpkg run; a split install needs a repair and a retry.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver \
    || { as_root apt-get -f install -y -qq; as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; }
fi

# The SQL engine (DataFusion) compiles zstd's C sources, for wasm32 too: that needs clang.
if ! command -v clang >/dev/null; then
  step "Debian package: clang (the SQL engine's zstd, built for wasm32)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang
fi

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "rustup target wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi
for component in clippy rustfmt; do
  rustup component list --installed | grep -q "^$component" || rustup component add "$component"
done

if [ "$(trunk --version 2>/dev/null)" != "trunk $TRUNK_VERSION" ]; then
  step "cargo install trunk $TRUNK_VERSION (about 15 minutes on 2 cores)"
  cargo install --locked trunk --version "$TRUNK_VERSION"
fi

# The wasm-bindgen CLI must equal the library version in Cargo.lock, or the glue mismatches.
WBG_VERSION=$(awk '/^name = "wasm-bindgen"$/ {getline; gsub(/version = |"/, ""); print; exit}' Cargo.lock)
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WBG_VERSION" ]; then
  step "cargo install wasm-bindgen-cli $WBG_VERSION (about 6 minutes)"
  # Its own lockfile may pin a crate the registry no longer serves: fall back to a fresh resolve.
  cargo install --locked wasm-bindgen-cli --version "$WBG_VERSION" \
    || cargo install wasm-bindgen-cli --version "$WBG_VERSION"
fi

# npm ci again only when package-lock.json changed since the last install.
if ! cmp -s package-lock.json node_modules/.installed-lock.json 2>/dev/null; then
  step "npm ci (playwright-core, binaryen for wasm-opt)"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.installed-lock.json
fi

step "cargo fetch"
cargo fetch --quiet
