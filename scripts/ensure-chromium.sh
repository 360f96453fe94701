#!/usr/bin/env bash
# The browser tests (test/e2e/) drive Debian's Chromium through playwright-core, which never downloads
# a browser. This makes sure it is there: /usr/bin/chromium as is, else Debian's package (needs root).
set -euo pipefail
chromium_bin="${VPM_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium_bin" ]; then
  # Debian's wrapper script prints a harmless shell warning on stderr; only the version matters.
  echo "chromium: $("$chromium_bin" --version 2>/dev/null || echo present)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium is missing and installing it needs root: sudo apt-get install chromium" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# Fonts come with it as recommendations, so the screenshots have real glyphs.
apt-get install -y chromium fonts-dejavu-core fonts-liberation
echo "chromium: $("$chromium_bin" --version 2>/dev/null)"
