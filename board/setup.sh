#!/usr/bin/env bash
# Installs what the service itself needs from the machine it runs on, beside its
# binary: the time zone database (Debian's tzdata, /usr/share/zoneinfo), which
# webcti reads rather than carries built in. The board image has it; a fresh
# development machine or container may not. Idempotent.
set -euo pipefail
sudo_() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if [ -z "${TZDIR:-}" ] && [ ! -e /usr/share/zoneinfo/Europe/Warsaw ]; then
  echo "board/setup.sh: installing tzdata"
  sudo_ apt-get update -qq || echo "board/setup.sh: apt-get update reported errors; going on"
  DEBIAN_FRONTEND=noninteractive sudo_ apt-get install -y -qq --no-install-recommends tzdata >/dev/null
fi
