#!/usr/bin/env bash
# Installs what the test suite needs beside cargo on a fresh machine: a real SMTP
# server for the mail tests (aiosmtpd). Idempotent.
set -euo pipefail
if ! python3 -c "import aiosmtpd" 2>/dev/null; then
  echo "tests/setup.sh: installing aiosmtpd"
  python3 -m pip install -q --disable-pip-version-check aiosmtpd
fi
