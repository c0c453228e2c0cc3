#!/bin/sh
# make web-vendor: fetch TradingView lightweight-charts from the npm registry
# (npm pack, no install, no build) and copy its standalone production build
# and licence into web/vendor/, where cmt-sse embeds them.
# LWC_VERSION picks the release (default: the one vendored now; "latest").
set -eu
version=${LWC_VERSION:-5.2.1}
out=web/vendor
command -v npm >/dev/null || { echo "web-vendor: npm is needed (apt-get install npm)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && npm pack --silent "lightweight-charts@$version" >/dev/null )
tar -xzf "$tmp"/lightweight-charts-*.tgz -C "$tmp"
mkdir -p "$out"
cp "$tmp/package/dist/lightweight-charts.standalone.production.js" \
	"$out/lightweight-charts.js"
cp "$tmp/package/LICENSE" "$out/lightweight-charts.LICENSE"
v=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$tmp/package/package.json" | head -1)
echo "lightweight-charts $v (npm), dist/lightweight-charts.standalone.production.js" \
	> "$out/lightweight-charts.VERSION"
wc -c "$out/lightweight-charts.js" >&2
