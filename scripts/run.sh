#!/bin/sh
# The main job of the README: installs what is missing (idempotent), builds, and
# runs `eid demo`: the whole system end to end on a new data directory (exit 1
# if any step's outcome differs). Extra arguments go to `eid demo`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
make -j"$(nproc)" all
exec build/eid demo "$@"
