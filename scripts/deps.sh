#!/bin/sh
# Install the Debian packages cmt needs to build and test, if any is missing.
# As root it runs apt-get; otherwise it prints the command and exits 1.
# --check installs nothing: it names what is missing, says 'make deps' and
# exits 1 (make check runs it so).
set -u
check=0
[ "${1:-}" = "--check" ] && check=1
pkgs="gcc make pkg-config libcurl4-openssl-dev libcjson-dev libcmocka-dev
bats bats-assert bats-support python3 curl chromium chromium-driver
librsvg2-bin libwebsockets-dev python3-websockets libnats-dev nats-server
openssl zlib1g-dev libxgboost-dev
${CMT_EXTRA_PKGS:-}"
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$check" -eq 1 ]; then
	echo "cmt: cannot build and test, missing:$missing" >&2
	echo "cmt: 'make deps' installs them (as root; 'make demo' does too)" >&2
	exit 1
fi
echo "deps: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: run as root: apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2 && apt-get install -y -qq $missing >&2
