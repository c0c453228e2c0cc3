#!/bin/sh
# Before a build: say in a few lines which Debian packages are missing,
# instead of a page of pkg-config errors.  Arguments: the pkg-config
# modules the build links with.  Exit 1 if anything is missing.
set -u
missing=""
for c in cc pkg-config; do
	command -v "$c" >/dev/null 2>&1 || case $c in
		cc) missing="$missing gcc" ;;
		*) missing="$missing $c" ;;
	esac
done
if command -v pkg-config >/dev/null 2>&1; then
	for m in "$@"; do
		pkg-config --exists "$m" 2>/dev/null && continue
		case $m in
		libcurl) missing="$missing libcurl4-openssl-dev" ;;
		libcjson) missing="$missing libcjson-dev" ;;
		libwebsockets) missing="$missing libwebsockets-dev" ;;
		libnats) missing="$missing libnats-dev" ;;
		zlib) missing="$missing zlib1g-dev" ;;
		xgboost) missing="$missing libxgboost-dev" ;;
		cmocka) missing="$missing libcmocka-dev" ;;
		*) missing="$missing $m(pkg-config module)" ;;
		esac
	done
fi
[ -z "$missing" ] && exit 0
echo "cmt: cannot build, missing:$missing" >&2
echo "cmt: 'make deps' installs them (as root; 'make demo' does too)" >&2
exit 1
