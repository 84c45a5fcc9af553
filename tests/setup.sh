#!/usr/bin/env bash
# Installs what the test suite needs beside cargo on a fresh machine: a real SMTP
# server for the mail tests (aiosmtpd), OpenLDAP's slapd for the directory tests, Debian's Chromium with its chromedriver
# for the browser tests, axe-core for their accessibility check, schemathesis for the
# API's document, and QEMU's full-system emulator for the boot test. Idempotent.
set -euo pipefail
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  echo "tests/setup.sh: installing chromium and chromium-driver"
  sudo_ apt-get update -qq || echo "tests/setup.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends chromium chromium-driver >/dev/null
fi
if ! command -v qemu-system-aarch64 >/dev/null; then
  echo "tests/setup.sh: installing qemu-system-arm (the boot test)"
  sudo_ apt-get update -qq || echo "tests/setup.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends qemu-system-arm >/dev/null
fi
if ! command -v slapd >/dev/null && [ ! -x /usr/sbin/slapd ]; then
  echo "tests/setup.sh: installing slapd (the directory tests start their own, on a free port)"
  sudo_ apt-get update -qq || echo "tests/setup.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends slapd >/dev/null
  # The package's own server is not wanted: the tests start theirs.
  sudo_ service slapd stop >/dev/null 2>&1 || true
fi
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
  echo "tests/setup.sh: installing aiosmtpd"
  python3 -m pip install -q --disable-pip-version-check aiosmtpd
fi
if ! command -v schemathesis >/dev/null; then
  echo "tests/setup.sh: installing schemathesis"
  python3 -m pip install -q --disable-pip-version-check "schemathesis==4.32.5"
fi
# axe-core, the accessibility checker the browser tests run on every page
# (tests/accessibility.rs), pinned, into target/ (nothing fetched is committed).
AXE_VERSION=4.14.1
npm_dir="$(cd "$(dirname "$0")/.." && pwd)/target/npm"
if ! grep -qs "\"version\": \"$AXE_VERSION\"" "$npm_dir/node_modules/axe-core/package.json"; then
  echo "tests/setup.sh: installing axe-core $AXE_VERSION"
  if ! command -v npm >/dev/null; then
    sudo_ apt-get update -qq || echo "tests/setup.sh: apt-get update reported errors; going on"
    DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends npm >/dev/null
  fi
  mkdir -p "$npm_dir"
  npm install --prefix "$npm_dir" --no-audit --no-fund --silent "axe-core@$AXE_VERSION"
fi
