#!/bin/sh
# Runs every test binary given, from the repository root, and prints one
# closing line "N passed, N failed" over all of them.
passed=0 failed=0 bad=""
for t in "$@"; do
	out=$("$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -v '^  ' | tail -n 1
	[ $rc -ne 0 ] && printf '%s\n' "$out" | grep '^  \|^FAIL' | head -n 40
	p=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' | tail -n 1)
	f=$(printf '%s\n' "$out" | sed -n 's/.*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' | tail -n 1)
	[ -n "$p" ] || { p=0; f=1; echo "$t: crashed or printed no result (exit $rc)"; }
	[ $rc -ne 0 ] && [ "$f" = 0 ] && f=1
	passed=$((passed + p)); failed=$((failed + f))
	[ "$f" != 0 ] && bad="$bad $t"
done
[ -n "$bad" ] && echo "failing:$bad"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
