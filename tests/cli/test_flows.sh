#!/bin/sh
# Every party from the command line against `eid serve` on loopback: an
# administrator registers a terminal and a hotel, the terminal opens a full
# enrolment, the app enrols (passcode on stdin) and later answers the hotel,
# whose CLI checks the authority's signature. Run from the repository root.
EID=${BUILD:-build}/eid
SHARED=$(cd "${EID_SHARED:-../shared}" && pwd)
ORL="$SHARED/faces/dev/images/orl"
pass=0 fail=0
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
ok() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "  FAIL: $1" >&2; fi; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
# s1's photos posed as the session's liveness challenge asks (front, movement,
# front, movement), as --frames wants them: frames STATE_DIR QR
frames() {
	list=""
	for m in $("$EID" app challenge --state "$1" --qr "$2" | sed 's/.*\[\(.*\)\].*/\1/; s/[",]/ /g'); do
		case $m in left) f=s1_02 ;; right) f=s1_04 ;; up) f=s1_09 ;; down) f=s1_03 ;; *) f=none ;; esac
		list="$list${list:+,}$ORL/s1/s1_08.png,$ORL/s1/$f.png"
	done
	echo "$list"
}

D="$tmp/data"
# two invented residents; the check characters are right (GB 11643)
id1=440106199001011235 id2=440106198512312449 id3=440106199203154429
EA="$SHARED/faces/dev/images/af"
printf 'id_number,name,birth_date,sex,address,photo\n%s,A,1990-01-01,M,x,%s\n%s,B,1985-12-31,F,x,%s\n%s,C,1992-03-15,F,x,%s\n' \
	"$id1" "$ORL/s1/s1_01.png" "$id2" "$ORL/s3/s3_03.png" "$id3" "$EA/korean/park-bo-young/park-bo-young-1.jpg" >"$tmp/reg.csv"
"$EID" authority import "$tmp/reg.csv" --data "$D" >"$tmp/import.out" 2>&1
ok "register imported" 'grep -q "\"imported\":3" "$tmp/import.out"'

# the score-normalisation cohort the calibration was set with; no other
"$EID" authority cohort-import "$SHARED/faces/cohort" --data "$D" >"$tmp/cohort.out" 2>"$tmp/cohort.err"
ok "cohort imported" 'grep -q "\"faces\":291" "$tmp/cohort.out"'
ok "cohort kept under the KEK, private" '[ "$(stat -c %a "$D/authority/cohort.bin")" = 600 ] && ! grep -q EFC1 "$D/authority/cohort.bin"'
mkdir "$tmp/cohort2" && printf 'file\ns1_01.png\n' >"$tmp/cohort2/manifest.csv" && cp "$ORL/s1/s1_01.png" "$tmp/cohort2/"
"$EID" authority cohort-import "$tmp/cohort2" --data "$D" >/dev/null 2>"$tmp/cohort2.err"; rc=$?
ok "a cohort the calibration was not set with is refused" '[ $rc -eq 1 ] && grep -q "not the one calibration" "$tmp/cohort2.err"'

"$EID" serve --data "$D" --authority-port 0 --platform-port 0 >"$tmp/serve.out" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 50); do grep -q "platform listening" "$tmp/serve.out" && break; sleep 0.1; done
export EID_PLATFORM
EID_PLATFORM=$(sed -n 's/^platform listening on \(http[^ ]*\).*/\1/p' "$tmp/serve.out")
ok "platform up" '[ -n "$EID_PLATFORM" ]'

# the administrator registers a terminal and a hotel while the services run
"$EID" terminal keygen --key "$tmp/term.key" >"$tmp/keygen.out"
pub=$(field public_key <"$tmp/keygen.out")
ok "terminal key private" '[ "$(stat -c %a "$tmp/term.key")" = 600 ] && [ -n "$pub" ]'
term=$("$EID" platform add-terminal --name "Desk 3" --key "$pub" --data "$D" | field terminal_id)
cred=$("$EID" platform add-rp --name "Hotel Canton" --level full --data "$D" | field credential)
ok "terminal and hotel registered" '[ -n "$term" ] && [ -n "$cred" ]'

# flow 3: full enrolment, the terminal's QR read by the app
qr=$("$EID" terminal enrol --terminal-id "$term" --key "$tmp/term.key" --id-number "$id1" 2>/dev/null | field qr)
ok "terminal prints a QR payload" '[ -n "$qr" ]'
echo 58203174 | "$EID" app enrol --state "$tmp/phone1" --qr "$qr" --mobile 13800138000 \
	--photo "$ORL/s1/s1_02.png" >"$tmp/still.json" 2>"$tmp/still.err"
ok "full enrolment without the liveness challenge: refused" '[ ! -s "$tmp/still.json" ] && grep -q liveness_no_burst "$tmp/still.err"'
qr=$("$EID" terminal enrol --terminal-id "$term" --key "$tmp/term.key" --id-number "$id1" 2>/dev/null | field qr)
echo 58203174 | "$EID" app enrol --state "$tmp/phone1" --qr "$qr" --mobile 13800138000 \
	--photo "$ORL/s1/s1_02.png" --frames "$(frames "$tmp/phone1" "$qr")" >"$tmp/card1.json" 2>"$tmp/enrol.err"
ok "full card issued" 'grep -q "\"level\":\"full\"" "$tmp/card1.json"'
ok "app state private" '[ "$(stat -c %a "$tmp/phone1")" = 700 ] && [ "$(stat -c %a "$tmp/phone1/device.key")" = 600 ] && [ "$(stat -c %a "$tmp/phone1/card.json")" = 600 ]'

# flow 4: lightweight, in the app alone
"$EID" app enrol --state "$tmp/phone2" --id-number "$id2" --photo "$ORL/s3/s3_01.png" >"$tmp/card2.json"
ok "lightweight card issued" 'grep -q "\"level\":\"lightweight\"" "$tmp/card2.json"'

# flow 5: the hotel asks, the resident consents with face and passcode
EID_RP_CREDENTIAL=$cred "$EID" rp request --purpose "check-in, room 1208" --level full >"$tmp/req.json" 2>/dev/null
sid=$(field sid <"$tmp/req.json") rqr=$(field qr <"$tmp/req.json")
ok "hotel request" '[ -n "$sid" ] && [ -n "$rqr" ]'
EID_RP_CREDENTIAL=$cred "$EID" rp result "$sid" 2>"$tmp/early.err"; rc=$?
ok "no result before the answer" '[ $rc -eq 1 ] && grep -q not_found "$tmp/early.err"'
"$EID" app answer --state "$tmp/phone1" --qr "$rqr" --photo "$ORL/s1/s1_06.png" </dev/null 2>"$tmp/noconsent.err"; rc=$?
ok "no consent, nothing sent" '[ $rc -eq 1 ] && grep -q "Hotel Canton asks" "$tmp/noconsent.err" && grep -q "check-in, room 1208" "$tmp/noconsent.err"'
echo 58203174 | "$EID" app answer --state "$tmp/phone1" --qr "$rqr" --photo "$ORL/s1/s1_06.png" --yes \
	--frames "$(frames "$tmp/phone1" "$rqr")" >"$tmp/ans.json" 2>/dev/null
ok "the app hears yes" 'grep -q "\"result\":\"yes\"" "$tmp/ans.json"'
EID_RP_CREDENTIAL=$cred "$EID" rp result "$sid" >"$tmp/result.json"; rc=$?
ok "the hotel gets a signed yes" '[ $rc -eq 0 ] && grep -q "\"result\":\"yes\"" "$tmp/result.json" && grep -q "\"sig\"" "$tmp/result.json"'
ok "and no more than it should" '! grep -q -e "$id1" -e 13800138000 -e "\"name\"" "$tmp/result.json"'
"$EID" rp result "$sid" 2>/dev/null; rc=$?
ok "no credential, usage error" '[ $rc -eq 2 ]'

# the lightweight card cannot pass the hotel
EID_RP_CREDENTIAL=$cred "$EID" rp request --purpose check-in --level full >"$tmp/req2.json" 2>/dev/null
sid=$(field sid <"$tmp/req2.json") rqr=$(field qr <"$tmp/req2.json")
echo 11111111 | "$EID" app answer --state "$tmp/phone2" --qr "$rqr" --photo "$ORL/s3/s3_01.png" --yes >"$tmp/ans2.json" 2>/dev/null
ok "a lightweight card at the hotel: no" 'grep -q "\"result\":\"no\"" "$tmp/ans2.json"'

# flow 5: the resident's own history, newest first, with the relying party's name
"$EID" app history --state "$tmp/phone1" >"$tmp/history.out" 2>"$tmp/history.err"
ok "history lists the hotel's check" '[ "$(wc -l <"$tmp/history.out")" = 1 ] && grep -q "\"name\":\"Hotel Canton\"" "$tmp/history.out" && grep -q "check-in, room 1208" "$tmp/history.out" && grep -q "\"result\":\"yes\"" "$tmp/history.out"'
"$EID" app history --state "$tmp/phone2" >"$tmp/history2.out"
ok "resident 2's history is their own" '[ "$(wc -l <"$tmp/history2.out")" = 1 ] && grep -q "\"result\":\"no\"" "$tmp/history2.out"'
# another device with a copy of the card but not its key
mkdir -m 700 "$tmp/copy" && cp "$tmp/phone1/card.json" "$tmp/copy/"
"$EID" app history --state "$tmp/copy" 2>"$tmp/copy.err"; rc=$?
ok "a copied card without the device key learns nothing" '[ $rc -eq 1 ] && grep -q denied "$tmp/copy.err"'

# flow 5: a new phone; enrolling again revokes the old card
qr=$("$EID" terminal enrol --terminal-id "$term" --key "$tmp/term.key" --id-number "$id1" 2>/dev/null | field qr)
echo 11223344 | "$EID" app enrol --state "$tmp/phone1b" --qr "$qr" --mobile 13800138000 \
	--photo "$ORL/s1/s1_06.png" --frames "$(frames "$tmp/phone1b" "$qr")" >"$tmp/card1b.json" 2>/dev/null
ok "re-enrolled on a new phone" 'grep -q "\"level\":\"full\"" "$tmp/card1b.json"'
"$EID" app history --state "$tmp/phone1" 2>"$tmp/old.err"; rc=$?
ok "the old phone's card is revoked" '[ $rc -eq 1 ] && grep -q "card is revoked" "$tmp/old.err"'
EID_RP_CREDENTIAL=$cred "$EID" rp request --purpose check-in --level full >"$tmp/req3.json" 2>/dev/null
rqr=$(field qr <"$tmp/req3.json")
echo 58203174 | "$EID" app answer --state "$tmp/phone1" --qr "$rqr" --photo "$ORL/s1/s1_06.png" --yes >"$tmp/ans3.json" 2>/dev/null
ok "the old phone answers no" 'grep -q "\"result\":\"no\"" "$tmp/ans3.json"'
EID_RP_CREDENTIAL=$cred "$EID" rp request --purpose check-in --level full >"$tmp/req4.json" 2>/dev/null
rqr=$(field qr <"$tmp/req4.json")
echo 11223344 | "$EID" app answer --state "$tmp/phone1b" --qr "$rqr" --photo "$ORL/s1/s1_06.png" --yes \
	--frames "$(frames "$tmp/phone1b" "$rqr")" >"$tmp/ans4.json" 2>/dev/null
ok "the new phone, new passcode: yes" 'grep -q "\"result\":\"yes\"" "$tmp/ans4.json"'
EID_RP_CREDENTIAL=$cred "$EID" rp request --purpose check-in --level full >"$tmp/req4b.json" 2>/dev/null
rqr=$(field qr <"$tmp/req4b.json")
echo 11223344 | "$EID" app answer --state "$tmp/phone1b" --qr "$rqr" --photo "$ORL/s1/s1_06.png" --yes \
	--frames "$ORL/s1/s1_04.png,$ORL/s1/s1_04.png,$ORL/s1/s1_04.png,$ORL/s1/s1_04.png" >"$tmp/ans4b.json" 2>/dev/null
ok "a still photo instead of the challenge: no" 'grep -q "\"result\":\"no\"" "$tmp/ans4b.json"'

# flow 5: a new passcode, with the old one and the face
printf '99999999\n55667788\n' | "$EID" app passcode --state "$tmp/phone1b" --photo "$ORL/s1/s1_06.png" >/dev/null 2>"$tmp/pc1.err"; rc=$?
ok "a wrong old passcode changes nothing" '[ $rc -eq 1 ] && grep -q "wrong passcode" "$tmp/pc1.err"'
printf '11223344\n1234abcd\n' | "$EID" app passcode --state "$tmp/phone1b" --photo "$ORL/s1/s1_06.png" >/dev/null 2>"$tmp/pc2.err"; rc=$?
ok "a new passcode that is not eight digits is refused" '[ $rc -eq 1 ] && grep -q invalid_argument "$tmp/pc2.err"'
printf '11223344\n55667788\n' | "$EID" app passcode --state "$tmp/phone1b" --photo "$ORL/s2/s2_01.png" >/dev/null 2>"$tmp/pc3.err"; rc=$?
ok "someone else's face changes nothing" '[ $rc -eq 1 ] && grep -q "face does not match" "$tmp/pc3.err"'
printf '11223344\n55667788\n' | "$EID" app passcode --state "$tmp/phone1b" --photo "$ORL/s1/s1_06.png" >"$tmp/pc4.out" 2>"$tmp/pc4.err"
ok "passcode changed" 'grep -q "\"changed\":true" "$tmp/pc4.out"'
for pc in 11223344 55667788; do
	EID_RP_CREDENTIAL=$cred "$EID" rp request --purpose check-in --level full >"$tmp/req5.json" 2>/dev/null
	rqr=$(field qr <"$tmp/req5.json")
	echo $pc | "$EID" app answer --state "$tmp/phone1b" --qr "$rqr" --photo "$ORL/s1/s1_06.png" --yes \
		--frames "$(frames "$tmp/phone1b" "$rqr")" >"$tmp/ans.$pc" 2>/dev/null
done
ok "the old passcode no longer works, the new one does" 'grep -q "\"result\":\"no\"" "$tmp/ans.11223344" && grep -q "\"result\":\"yes\"" "$tmp/ans.55667788"'

# SQL-looking text is data: a relying party named like an injection works and shows verbatim
evil="Bobby'); DROP TABLE relying_parties;--"
cred2=$("$EID" platform add-rp --name "$evil" --level lightweight --data "$D" | field credential)
EID_RP_CREDENTIAL=$cred2 "$EID" rp request --purpose "x' OR '1'='1" --level lightweight >"$tmp/req6.json" 2>/dev/null
"$EID" app answer --state "$tmp/phone2" --qr "$(field qr <"$tmp/req6.json")" --photo "$ORL/s3/s3_01.png" --yes >"$tmp/ans6.json" 2>"$tmp/consent6.err"
ok "injection-shaped names and purposes are only text" 'grep -q "\"result\":\"yes\"" "$tmp/ans6.json" && grep -qF "$evil asks" "$tmp/consent6.err" && grep -qF "x'"'"' OR '"'"'1'"'"'='"'"'1" "$tmp/consent6.err"'
EID_RP_CREDENTIAL=$cred "$EID" rp request --purpose check-in --level full >/dev/null 2>&1; rc=$?
ok "and the other relying parties are still there" '[ $rc -eq 0 ]'

# East-Asian faces are scored against the cohort; the ORL scans, far from
# every face of it, with the fused scorer (docs/calibration.md)
"$EID" app enrol --state "$tmp/phone3" --id-number "$id3" --photo "$EA/korean/park-bo-young/park-bo-young-2.jpg" >"$tmp/card3.json" 2>"$tmp/card3.err"
ok "an East-Asian resident enrols" 'grep -q "\"level\":\"lightweight\"" "$tmp/card3.json"'
"$EID" app enrol --state "$tmp/phone4" --id-number "$id3" --photo "$EA/japanese/haruka-ayase/haruka-ayase-2.jpg" >/dev/null 2>"$tmp/card4.err"; rc=$?
ok "another East-Asian face with that ID number is refused" '[ $rc -eq 1 ] && grep -q "does not match" "$tmp/card4.err"'
ok "normalised decisions for East-Asian faces" '[ "$(grep -c "\"event\":\"face.decision\".*\"flow\":\"enrol\".*\"scorer\":\"fused_norm\"" "$tmp/serve.log")" = 2 ]'
ok "fused decisions for the ORL scans" 'grep -q "\"event\":\"face.decision\".*\"flow\":\"verify\".*\"scorer\":\"fused\"" "$tmp/serve.log" && ! grep -q "\"flow\":\"verify\".*\"scorer\":\"fused_norm\"" "$tmp/serve.log"'
ok "decisions name their calibration" 'grep -q "\"calibration\":\"east-asian-" "$tmp/serve.log"'

ok "no ID number, mobile or passcode in the service log" '! grep -q -e "$id1" -e "$id2" -e "$id3" -e 13800138000 -e 58203174 -e 11223344 -e 55667788 -e 99999999 "$tmp/serve.log"'
[ $fail -eq 0 ] || { cat "$tmp"/*.err; tail -5 "$tmp/serve.log"; } >&2
kill "$pid"; wait "$pid"; pid=
echo "tests/cli/test_flows.sh: $pass passed, $fail failed"
[ $fail -eq 0 ]
