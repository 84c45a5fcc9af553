#!/usr/bin/env bash
# Installs, on a fresh Debian machine, what the ARM cross builds and their
# emulated test runs need: the rustup targets, Debian's cross C compilers with
# musl for the bundled SQLite and ring, and qemu user-mode emulation.
# Idempotent: what is already there is not installed again.
set -euo pipefail

ARMV7="${ARMV7:-0}"   # set ARMV7=1 to prepare the armv7 build too (make cross)
NIGHTLY="$(sed -n 's/^nightly *= *"\(.*\)"/\1/p' "$(dirname "$0")/nightly.toml")"

sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

need_pkgs=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "ok installed"; }
for p in gcc-aarch64-linux-gnu musl-dev:arm64 qemu-user-static; do
  have "$p" || need_pkgs+=("$p")
done
if [ "$ARMV7" = 1 ]; then
  for p in gcc-arm-linux-gnueabihf musl-dev:armhf; do
    have "$p" || need_pkgs+=("$p")
  done
fi
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "cross/setup.sh: installing ${need_pkgs[*]}"
  sudo_ dpkg --add-architecture arm64
  sudo_ dpkg --add-architecture armhf
  # A mirror in the middle of a sync can fail one index; the install below says
  # clearly if a package we need is really missing.
  sudo_ apt-get update -qq || echo "cross/setup.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
fi

rustup target list --installed | grep -qx aarch64-unknown-linux-musl \
  || rustup target add aarch64-unknown-linux-musl

if [ "$ARMV7" = 1 ]; then
  # The linker asks for libunwind; gcc's libgcc_eh.a provides the same symbols.
  unwind_dir="$(cd "$(dirname "$0")/.." && pwd)/target/armv7-unwind"
  eh="$(arm-linux-gnueabihf-gcc -print-file-name=libgcc_eh.a)"
  mkdir -p "$unwind_dir"
  ln -sf "$eh" "$unwind_dir/libunwind.a"
  rustup toolchain list | grep -q "^$NIGHTLY" \
    || rustup toolchain install "$NIGHTLY" --profile minimal
  rustup component list --toolchain "$NIGHTLY" --installed | grep -q '^rust-src' \
    || rustup component add rust-src --toolchain "$NIGHTLY"
fi
