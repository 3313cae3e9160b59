#!/bin/sh
# The test command of the README: installs what is missing (idempotent), builds,
# and runs every test in the normal and in the sanitizer (ASan + UBSan) build,
# then the web pages end to end in headless Chromium.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh --browser
export EID_SHARED="${EID_SHARED:-$(cd .. && pwd)/shared}"
[ -d "$EID_SHARED/faces" ] || { echo "test: shared data not found at $EID_SHARED" >&2; exit 1; }
make -j"$(nproc)" all
make -j"$(nproc)" test
make -j"$(nproc)" test-san
make test-web
