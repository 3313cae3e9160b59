#!/bin/sh
# The main job of the README: installs what is missing (idempotent), builds, and
# runs the face engine over the labelled dev pairs (failure to acquire, EER,
# TAR at FAR 1e-2 and 1e-3). Extra arguments go to `eid face eval`.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh
make -j"$(nproc)" all
shared="${EID_SHARED:-$(cd .. && pwd)/shared}"
exec build/eid face eval "$shared/faces/dev/pairs.csv" --threads "$(nproc)" "$@"
