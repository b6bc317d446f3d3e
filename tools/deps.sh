#!/bin/sh
# Install the Debian packages pcts needs to build and test, if missing.
# Run as root it installs them (apt-get); otherwise it says what to install.
set -u
need=""
pkgs="build-essential pkg-config libpcap-dev zlib1g-dev libzstd-dev libcmocka-dev libpsl-dev publicsuffix libssl-dev python3 gzip zstd"
# ISA-L's inflate for gzip input (src/capture/source.c); zlib elsewhere
case "$(dpkg --print-architecture 2>/dev/null)" in amd64 | arm64) pkgs="$pkgs libisal-dev" ;; esac
# `deps.sh bench`: also ISA-L's igzip, make bench's floor for gzip input
# (bench/bench.py times gzip -dc where it is missing)
if [ "${1:-}" = bench ]; then
    case "$(dpkg --print-architecture 2>/dev/null)" in amd64 | arm64) pkgs="$pkgs isal" ;; esac
fi
for p in $pkgs; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need="$need $p"
done
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ]; then
    echo "pcts: installing Debian packages:$need" >&2
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends $need; } >/tmp/pcts-apt.log 2>&1 || {
        echo "pcts: apt-get failed (log: /tmp/pcts-apt.log)" >&2; tail -5 /tmp/pcts-apt.log >&2; exit 1; }
else
    echo "pcts: missing Debian packages:$need" >&2
    echo "pcts: install them with: sudo apt-get install$need" >&2
    exit 1
fi
