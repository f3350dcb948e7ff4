#!/usr/bin/env bash
# Installs every Debian 12 package Peregrine needs to build, test and
# benchmark, then builds it into ./build.  Idempotent and non-interactive.
#
#   scripts/setup.sh            install + build
#   scripts/setup.sh --no-build install only
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(
	# build
	gcc clang libclang-rt-14-dev meson ninja-build pkg-config
	libdpdk-dev dpdk-dev libconfig-dev libcunit1-dev libhiredis-dev libpq-dev
	# tests: real clients and the reference server, in network namespaces
	iproute2 isc-dhcp-client kea-dhcp4-server kea-dhcp6-server kea-admin python3-scapy tcpdump
	# PostgreSQL backend tests: the server, and psql (kea-admin db-init pgsql runs it)
	postgresql-15 postgresql-client-15
	# Redis backend tests (scripts/redistest.sh): the server, its CLI, Sentinel
	redis-server redis-tools redis-sentinel
	valgrind procps
	# control channel: JSON, HTTP server, HTTP client (peregrinectl -u, curl in tests)
	libjansson-dev libmicrohttpd-dev libcurl4-openssl-dev curl
	jq	# control-channel integration tests read answers with it
	# RADIUS: MD5 / HMAC-MD5 for the packets, FreeRADIUS and radclient for
	# tests and the benchmark's ceiling, radcli for the library measurement
	nettle-dev freeradius freeradius-utils libradcli-dev
)

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	# Package scripts must not start Kea (or anything) on this host's
	# interfaces: every DHCP server we run lives in a test namespace.
	created_policy=0
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
		$SUDO chmod +x /usr/sbin/policy-rc.d
		created_policy=1
	fi
	$SUDO apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
	[ "$created_policy" -eq 0 ] || $SUDO rm -f /usr/sbin/policy-rc.d
fi

[ "${1:-}" = "--no-build" ] && exit 0
if [ ! -f build/build.ninja ]; then
	meson setup build --buildtype=debugoptimized
fi
ninja -C build
