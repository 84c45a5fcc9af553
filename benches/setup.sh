#!/usr/bin/env bash
# Installs what `make bench` needs beside cargo: Debian's nginx (the reference the
# pages are measured against), wrk (the HTTP load generator), slapd (the
# directory a phonebook source is synced from), and musl's gcc wrapper with the
# x86_64-unknown-linux-musl target: the memory figures are taken on a native musl
# build too, the board's allocator. Idempotent.
set -euo pipefail
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null; then
  echo "benches/setup.sh: installing nginx-light and wrk"
  sudo_ apt-get update -qq || echo "benches/setup.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends nginx-light wrk >/dev/null
fi
if [ ! -x /usr/sbin/slapd ]; then
  echo "benches/setup.sh: installing slapd"
  sudo_ apt-get update -qq || echo "benches/setup.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends slapd >/dev/null
  sudo_ service slapd stop >/dev/null 2>&1 || true
fi
if ! command -v musl-gcc >/dev/null; then
  echo "benches/setup.sh: installing musl-tools"
  sudo_ apt-get update -qq || echo "benches/setup.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends musl-tools >/dev/null
fi
rustup target list --installed | grep -qx x86_64-unknown-linux-musl \
  || rustup target add x86_64-unknown-linux-musl
