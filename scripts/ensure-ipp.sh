#!/usr/bin/env bash
# The IPP tests (test/ipp-*.test.ts) and `npm run bench:print` drive real IPP servers, never a mock:
# ippeveprinter (Debian cups-ipp-utils) as an IPP Everywhere photo printer, and cupsd (Debian cups)
# with a test backend for the CUPS + Gutenprint path. ippeveprinter needs DNS-SD, so avahi and dbus
# come too; the tests start them themselves, confined to loopback (allow-interfaces=lo).
# This script only makes sure the binaries are there: as is, else Debian's packages (needs root).
set -euo pipefail
need=()
command -v ippeveprinter >/dev/null 2>&1 || need+=(cups-ipp-utils)
command -v ipptool >/dev/null 2>&1 || need+=(cups-ipp-utils)
[ -x /usr/sbin/cupsd ] || need+=(cups-daemon)
[ -x /usr/sbin/avahi-daemon ] || need+=(avahi-daemon)
command -v dbus-daemon >/dev/null 2>&1 || need+=(dbus-daemon)
if [ "${#need[@]}" -eq 0 ]; then
  echo "ipp: $(command -v ippeveprinter), cupsd, avahi-daemon, dbus-daemon present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "IPP test servers missing (${need[*]}); installing them needs root: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
# --no-install-recommends: no printer drivers, no system-wide cups-browsed; only what the tests start.
apt-get install -y --no-install-recommends cups-ipp-utils cups-daemon avahi-daemon dbus-daemon
echo "ipp: $(command -v ippeveprinter), cupsd, avahi-daemon, dbus-daemon installed"
