#!/bin/sh
# make bench: every model in eid (XNNPACK backend, 1 and 2 threads) side by side
# with TF.js 4.22 wasm (SIMD, 1 thread) on the same inputs, then the whole face
# pipeline per photo, stage by stage. The TF.js side needs the pinned tools of
# tools/ (installed here by scripts/setup.sh --dev when missing); if they cannot
# be installed, its columns are left out.
set -eu
BUILD=${BUILD:-build}
EID="$BUILD/eid"
SHARED=${EID_SHARED:-../shared}
REPEAT=${REPEAT:-30}
RV="$SHARED/faces/reference-vectors/sample1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# model|file|input|shape; file "@NAME": no eid run of its own, the eid times of
# row NAME are reused (dlib-faceapi: face-api's own TF.js dlib vs the same eid dlib)
MODELS="blazeface|models/human-models/blazeface.json|$RV/det_input_pad0.f32|1,256,256,3
facemesh|models/human-models/facemesh.json|$RV/mesh_input_pass1.f32|1,192,192,3
faceres|models/human-models/faceres.json|tests/golden/faceres.input.f32|1,224,224,3
antispoof|models/human-models/antispoof.json|tests/golden/antispoof.input.f32|1,128,128,3
liveness|models/human-models/liveness.json|tests/golden/liveness.input.f32|1,32,32,3
dlib|models/face-api/face_recognition_model-weights_manifest.json|$RV/chip.f32|1,150,150,3
dlib-faceapi|@dlib||"

tfjs_ok=0
if [ ! -d tools/node_modules/@vladmandic/face-api ]; then
	sh scripts/setup.sh --dev >&2 || echo "bench: cannot install the TF.js tools; eid only" >&2
fi
if [ -d tools/node_modules/@tensorflow/tfjs-backend-wasm ] && command -v node >/dev/null; then
	(cd tools && node bench-tfjs.mjs --repeat "$REPEAT") > "$tmp/tfjs.jsonl" 2>"$tmp/tfjs.err" && tfjs_ok=1 ||
		echo "bench: TF.js benchmark failed: $(tail -n 1 "$tmp/tfjs.err")" >&2
fi
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
# medians, and the speed-up of the best runs too: on a shared host noise only
# ever adds time, so the minimum is the steadier comparison
printf '%-12s %12s %12s %12s %10s %12s %14s\n' model tfjs_wasm_ms eid_1t_ms eid_2t_ms speedup best_speedup 2t_per_second
echo "$MODELS" | while IFS='|' read -r name file input shape; do
	case $file in
	@*) read -r one onemin two < "$tmp/eid.${file#@}" ;;
	*)
		out1=$("$EID" model run "$file" --input "$input" --shape "$shape" --output "$tmp/o" --repeat "$REPEAT" --threads 1)
		one=$(echo "$out1" | field median_ms)
		onemin=$(echo "$out1" | field min_ms)
		two=$("$EID" model run "$file" --input "$input" --shape "$shape" --output "$tmp/o" --repeat "$REPEAT" --threads 2 | field median_ms)
		echo "$one $onemin $two" > "$tmp/eid.$name"
		;;
	esac
	tf=- tfmin=-
	if [ $tfjs_ok = 1 ]; then
		line=$(grep "\"model\":\"$name\"" "$tmp/tfjs.jsonl")
		tf=$(echo "$line" | field median_ms)
		tfmin=$(echo "$line" | field min_ms)
	fi
	speed=- best=-
	[ "$tf" != - ] && speed=$(awk -v a="$tf" -v b="$one" 'BEGIN { printf "%.1fx", a / b }')
	[ "$tfmin" != - ] && best=$(awk -v a="$tfmin" -v b="$onemin" 'BEGIN { printf "%.1fx", a / b }')
	tput=$(awk -v b="$two" 'BEGIN { printf "%.0f", 1000 / b }')
	printf '%-12s %12s %12s %12s %10s %12s %14s\n' "$name" "$tf" "$one" "$two" "$speed" "$best" "$tput"
done
if [ $tfjs_ok = 1 ]; then grep '^dlib-faceapi check:' "$tmp/tfjs.err" || true; fi

echo
echo "whole pipeline per photo (decode, detect, 2x FaceMesh, chip, 2x dlib), median ms:"
for img in "$SHARED/faces/dev/images/orl/s3/s3_03.png" models/face-api/sample1.jpg; do
	for t in 1 2; do "$EID" face bench "$img" --repeat 20 --threads "$t"; done
done
