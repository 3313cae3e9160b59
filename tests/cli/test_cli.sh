#!/bin/sh
# The eid CLI end to end: exact command forms of the README, JSON shapes,
# error codes and exit statuses. Run from the repository root by tests/run.sh.
EID=${BUILD:-build}/eid
SHARED=${EID_SHARED:-../shared}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL: $1" >&2; fi; }

png="$SHARED/faces/dev/images/orl/s3/s3_03.png"
out=$("$EID" model info models/human-models/blazeface.json)
ok "model info" 'echo "$out" | grep -q "\"shape\":\[1,256,256,3\]" && echo "$out" | grep -q "\"Identity_3\""'
out=$("$EID" model run models/face-api/face_recognition_model-weights_manifest.json --input "$SHARED/faces/reference-vectors/sample1/chip.f32" --shape 1,150,150,3 --output "$tmp/d" --repeat 2 --threads 2)
ok "model run dlib" '[ "$(stat -c %s "$tmp/d.0.f32")" = 512 ] && echo "$out" | grep -q "\"median_ms\":"'
out=$("$EID" model run models/human-models/faceres.json --input tests/golden/faceres.input.f32 --shape 1,224,224,3 --output "$tmp/r" --bf16)
ok "model run --bf16 runs faceres" '[ "$(stat -c %s "$tmp/r.1.f32")" = 4096 ] && echo "$out" | grep -q "\"backend\":\"fast-bf16\""'
"$EID" model run models/human-models/faceres.json --input tests/golden/faceres.input.f32 --shape 1,224,224,3 --output "$tmp/r" --bf16 --reference 2>"$tmp/err"
ok "model run --bf16 with --reference is a usage error" '[ $? -eq 2 ] && grep -q "usage" "$tmp/err"'
"$EID" model run models/human-models/blazeface.json --input "$png" --shape 1,256,256,3 --output "$tmp/x" 2>"$tmp/err"
ok "model run wrong input size is a usage error" '[ $? -ne 0 ] && grep -q "needs" "$tmp/err"'
printf '{"modelTopology":{"node":[{"name":"x","op":"Placeholder","attr":{"shape":{"shape":{"dim":[{"size":"1"}]}}}},{"name":"y","op":"FancyOp","input":["x"]}]},"weightsManifest":[]}' >"$tmp/bad.json"
"$EID" model info "$tmp/bad.json" 2>"$tmp/err"
ok "unknown op names node and op" '[ $? -eq 1 ] && grep -q "node .y.: unknown op .FancyOp." "$tmp/err"'

out=$("$EID" face embed "$png" "$tmp/bad.json" /nonexistent.jpg)
rc=$?
ok "embed: one line per image" '[ "$(echo "$out" | wc -l)" = 3 ] && [ $rc -eq 1 ]'
ok "embed: 128 values" '[ "$(echo "$out" | head -n 1 | sed "s/.*\"embedding\":\[\([^]]*\)\].*/\1/" | tr "," "\n" | wc -l)" = 128 ]'
ok "embed: bad image error code" 'echo "$out" | sed -n 2p | grep -q "\"code\":\"bad_format\""'
ok "embed: missing file error code" 'echo "$out" | sed -n 3p | grep -q "\"code\":\"io_error\""'
out=$("$EID" face detect models/face-api/sample1.jpg)
ok "detect: three faces, quality reported" 'echo "$out" | grep -q "\"faces_found\":3" && echo "$out" | grep -q "\"quality\":{"'
out=$("$EID" face compare "$png" "$SHARED/faces/dev/images/orl/s3/s3_01.png")
ok "compare same person" 'echo "$out" | grep -q "\"score\":0\.9[5-9]" && echo "$out" | grep -q "\"scorer\":\"fused\"" && echo "$out" | grep -q "\"lightweight\":true"'
out=$("$EID" face compare "$png" "$SHARED/faces/dev/images/orl/s2/s2_01.png")
ok "compare other person: refused at both levels" 'echo "$out" | grep -q "\"accept\":{\"lightweight\":false,\"full\":false}"'
out=$("$EID" face embed --template "$png")
ok "embed --template: 1024 faceres values" '[ "$(echo "$out" | sed "s/.*\"faceres\":\[\([^]]*\)\].*/\1/" | tr "," "\n" | wc -l)" = 1024 ]'
head -n 1 "$SHARED/faces/dev/pairs.csv" >"$tmp/pairs.csv"
grep '/orl/.*,1$' "$SHARED/faces/dev/pairs.csv" | head -n 20 >>"$tmp/pairs.csv"
grep '/orl/.*,0$' "$SHARED/faces/dev/pairs.csv" | head -n 20 >>"$tmp/pairs.csv"
out=$("$EID" face eval "$tmp/pairs.csv" --root "$SHARED/faces/dev" --threads 2)
ok "eval on 40 ORL pairs" 'echo "$out" | grep -q "\"failure_to_acquire\":0" && echo "$out" | grep -q "\"eer\":"'
ok "eval: FAR and FRR at each configured threshold" 'echo "$out" | grep -q "\"fused\":{.*\"levels\":{\"lightweight\":{\"threshold\":[0-9.]*,\"far_target\":0.001,\"far\":0.0000,\"frr\":[0-9.]*},\"full\":{"'
# serve: both listeners come up on ephemeral ports, print their URLs, and stop on TERM
"$EID" serve --data "$tmp/data" --authority-port 0 --platform-port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
for _ in 1 2 3 4 5 6 7 8 9 10; do grep -q "platform listening" "$tmp/serve.out" && break; sleep 0.2; done
ok "serve prints both listeners" 'grep -q "^authority listening on http://127.0.0.1:" "$tmp/serve.out" && grep -q "^platform listening on http://127.0.0.1:" "$tmp/serve.out"'
ok "serve creates private key files" '[ "$(stat -c %a "$tmp/data/authority/keys/sealing.key")" = 600 ] && [ ! -e "$tmp/data/platform/keys/sealing.key" ]'
kill "$pid"; wait "$pid"; rc=$?
ok "serve stops cleanly on TERM" '[ $rc -eq 0 ]'
"$EID" serve --role nobody >/dev/null 2>&1; rc=$?
ok "serve refuses an unknown role" '[ $rc -eq 2 ]'

# the register through the CLI: import, audit chain, revocation of an unknown card
printf 'id_number,name,birth_date,sex,address,photo\n440106199001011235,A,1990-01-01,M,x,%s\n' \
	"$SHARED/faces/dev/images/orl/s3/s3_03.png" >"$tmp/reg.csv"
"$EID" authority import "$tmp/reg.csv" --data "$tmp/data" >"$tmp/import.out" 2>&1; rc=$?
ok "import one row" '[ $rc -eq 0 ] && grep -q "\"imported\":1" "$tmp/import.out"'
"$EID" authority audit-verify --data "$tmp/data" >"$tmp/audit.out"; rc=$?
ok "audit chain intact" '[ $rc -eq 0 ] && grep -q "\"ok\":true" "$tmp/audit.out"'
"$EID" authority revoke nope --data "$tmp/data" 2>"$tmp/revoke.err"; rc=$?
ok "revoke an unknown card fails" '[ $rc -eq 1 ] && grep -q not_found "$tmp/revoke.err"'

# the demo: every flow end to end in one process, and it notices when one goes wrong
"$EID" demo --data "$tmp/demo" --verbose >"$tmp/demo.out" 2>"$tmp/demo.log"; rc=$?
ok "demo: every step as expected" '[ $rc -eq 0 ] && [ "$(grep -c "^  \[ok\]" "$tmp/demo.out")" = 14 ] && ! grep -q FAIL "$tmp/demo.out"'
[ $rc -eq 0 ] || cat "$tmp/demo.out" >&2
ok "demo: the services logged every request" '[ "$(grep -c "\"event\":\"http.request\"" "$tmp/demo.log")" -gt 50 ]'
# privacy: nothing the residents gave is in clear in the data directory or the logs
# (ID numbers, names, mobile, passcode, photo bytes); templates are sealed under the KEK
ok "demo: no ID number, name, mobile or passcode in clear" '! grep -rqa -e 440106 -e "Li Wei" -e "Chen Jing" -e 13800138000 -e 58203174 "$tmp/demo" "$tmp/demo.out" "$tmp/demo.log"'
ok "demo: no photo bytes stored" '! grep -rqaP "\x89PNG|IHDR" "$tmp/demo"'
ok "demo: keys private" '[ "$(stat -c %a "$tmp/demo/authority/keys/sealing.key")" = 600 ]'
"$EID" demo --data "$tmp/demo" >/dev/null 2>&1; rc=$?
ok "demo: refuses an existing directory" '[ $rc -eq 2 ]'
mkdir "$tmp/photos" && cp demo/photos/*.png "$tmp/photos/" && cp demo/photos/resident1-hotel.png "$tmp/photos/impostor.png"
"$EID" demo --data "$tmp/demo2" --photos "$tmp/photos" >"$tmp/demo2.out" 2>&1; rc=$?
ok "demo: a stranger who is not a stranger is reported" '[ $rc -eq 1 ] && grep -q "FAIL.*stranger" "$tmp/demo2.out"'

# the verification benchmark runs (its numbers go in the README, not in a test)
out=$("$EID" bench verify --requests 6 --clients 2 2>"$tmp/bench.err"); rc=$?
ok "bench verify: every verification answered yes" '[ $rc -eq 0 ] && echo "$out" | grep -q "\"yes\":6,\"errors\":0" && echo "$out" | grep -q "\"p99_ms\":"'
"$EID" bench verify --requests 0 >/dev/null 2>&1; rc=$?
ok "bench verify: bad count is a usage error" '[ $rc -eq 2 ]'

"$EID" face nothing >/dev/null 2>&1
ok "unknown command exits 2" '[ $? -eq 2 ]'
echo "tests/cli/test_cli.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
