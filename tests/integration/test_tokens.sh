# Purpose tokens end to end: the counter scenario with two clerks and two
# approvers, expiry and revocation ending held descriptors, replay across a
# restart, tokens for another host or user, clock jumps, bad input.
# shellcheck shell=bash
MINT=$BUILD/helpers/mint_token

t_counter_scenario_two_clerks_two_approvers() {
	local token_alice token_bob out status jti
	setup_tokens
	# The approver's secret key is private; the pair is never overwritten.
	assert_eq "$(stat -c %a "$T/keys/wang.k4.secret")" 600 "mode of the secret key file"
	assert_match "$(cat "$T/keys/wang.k4.secret")" '^k4\.secret\.[A-Za-z0-9_-]{86}$' "PASERK secret key file"
	assert_match "$(cat "$T/keys/wang.k4.public")" '^k4\.public\.[A-Za-z0-9_-]{43}$' "PASERK public key file"
	out=$("$IDGUARDCTL" key generate --id wang --dir "$T/keys" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "generating over an existing key"
	assert_match "$out" "cannot create $T/keys/wang.k4.secret: File exists" "refusal"
	start_daemon
	# Alice's scan is refused: no token.
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "EPERM 1" "alice scans without a token"
	# She asks; the summary is what the supervisor hears.
	out=$(clerk_ctl idgt-alice token request --purpose account-opening --ref CASE-2026-0042 --class scanner \
		--minutes 10 --policy-dir "$T/policy")
	assert_match "$out" "^Request [0-9A-F]{4}-[0-9A-F]{4}: idgt-alice on .* asks to use scanner for 10 minutes for account-opening \(Account opening where a copy of the ID card must be kept on file\), case CASE-2026-0042\.$" \
		"request summary"
	# Wang approves; Alice redeems; now she, and only she, may scan.
	token_alice=$(request_and_approve idgt-alice wang account-opening scanner 10)
	assert_match "$token_alice" "^v4\.public\." "approved token"
	out=$(clerk_ctl idgt-alice token redeem "$token_alice")
	assert_match "$out" "^Granted: idgt-alice may use scanner on this workstation until " "redeem output"
	assert_match "$out" "Purpose account-opening, case CASE-2026-0042, approved by wang" "redeem output"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "alice scans with her token"
	assert_eq "$(as_clerk idgt-bob "$TRY_OPEN" "$T/scan")" "EPERM 1" "bob scans on alice's token"
	# Bob needs the camera for a SIM registration: wang may not approve that.
	out=$(clerk_ctl idgt-bob token request --purpose telecom-real-name --ref SIM-7731 --class camera --minutes 5 \
		--policy-dir "$T/policy" --json | jq -r .request)
	out=$("$IDGUARDCTL" token approve "$out" --key "$T/keys/wang.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "wang approving telecom-real-name"
	assert_match "$out" "wang may not approve purpose telecom-real-name" "refusal"
	# Nor may an approver approve their own request.
	out=$(setpriv --reuid=idgt-wang --regid=idgt-wang --clear-groups "$IDGUARDCTL" token request \
		--purpose account-opening --ref CASE-1 --class scanner --minutes 5 --policy-dir "$T/policy" --json |
		jq -r .request)
	out=$("$IDGUARDCTL" token approve "$out" --key "$T/keys/wang.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "self-approval"
	assert_match "$out" "this is your own request \(idgt-wang\): nobody may approve their own" "refusal"
	# Li may; Bob redeems; Alice cannot use Bob's token.
	token_bob=$(request_and_approve idgt-bob li telecom-real-name camera 5)
	out=$(clerk_ctl idgt-alice token redeem "$token_bob" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "alice redeeming bob's token"
	assert_match "$out" "this token was approved for idgt-bob; you are idgt-alice" "refusal"
	clerk_ctl idgt-bob token redeem "$token_bob" >/dev/null
	assert_eq "$(as_clerk idgt-bob "$TRY_OPEN" "$T/cam")" "ENXIO 1" "bob's camera with his token"
	assert_eq "$(as_clerk idgt-bob "$TRY_OPEN" "$T/scan")" "EPERM 1" "bob's token does not cover the scanner"
	# Every step is on the record, with purpose, case and approver.
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_TOKEN_REDEEMED _PID=$DPID | grep -c . | grep -qx 2" ||
		fail "expected 2 token-redeemed records"
	jti=$(journal MESSAGE_ID=$MSG_TOKEN_REDEEMED _PID="$DPID" IDGUARD_USER=idgt-alice | jq -r .IDGUARD_TOKEN_ID)
	assert_eq "$(journal MESSAGE_ID=$MSG_TOKEN_REDEEMED _PID="$DPID" IDGUARD_USER=idgt-alice | jq -c '[.IDGUARD_PURPOSE, .IDGUARD_REF, .IDGUARD_APPROVER, .IDGUARD_CLASS]')" \
		'["account-opening","CASE-2026-0042","wang","scanner"]' "alice's redeemed record"
	wait_records 1 $MSG_GRANTED IDGUARD_USER=idgt-alice
	assert_eq "$(field_of $MSG_GRANTED IDGUARD_TOKEN_ID IDGUARD_USER=idgt-alice)" "$jti" "access record names the token"
	assert_eq "$(field_of $MSG_GRANTED IDGUARD_PURPOSE IDGUARD_USER=idgt-alice)" account-opening "access record purpose"
	assert_eq "$(journal MESSAGE_ID=$MSG_TOKEN_REJECTED _PID="$DPID" | jq -r '.IDGUARD_REJECT_REASON')" wrong-user \
		"rejected record reason"
	journal MESSAGE_ID=$MSG_TOKEN_REJECTED _PID="$DPID" | grep -qF "${token_bob:10:60}" &&
		fail "the rejected record contains the token itself"
	# Li, an approver-administrator, ends Bob's access early.
	out=$(setpriv --reuid=idgt-li --regid=idgt-li --clear-groups "$IDGUARDCTL" --socket "$SOCK" token list --json)
	assert_eq "$(echo "$out" | jq '.grants | length')" 2 "an approver-administrator lists every token"
	jti=$(echo "$out" | jq -r '.grants[] | select(.user == "idgt-bob") | .token_id')
	setpriv --reuid=idgt-li --regid=idgt-li --clear-groups "$IDGUARDCTL" --socket "$SOCK" token revoke "$jti" >/dev/null
	assert_eq "$(as_clerk idgt-bob "$TRY_OPEN" "$T/cam")" "EPERM 1" "bob's camera after li revoked his token"
	assert_eq "$(journal MESSAGE_ID=$MSG_TOKEN_REVOKED _PID="$DPID" | jq -r .MESSAGE)" \
		"idgt-li (uid $(id -u idgt-li), approver-administrator) revoked token $jti of idgt-bob (uid $(id -u idgt-bob)) for telecom-real-name, case CASE-2026-0042: camera is refused again" \
		"revoked record"
}

t_expiry_closes_access_and_ends_the_held_descriptor() {
	local token holder job out
	setup_tokens
	# The scanner here is 1:5 (it has a driver), so a descriptor can be held.
	write_policy <<-EOF
	[Class scanner]
	Mode=enforce
	Device=char 1:5
	EOF
	start_daemon
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/zero")" "EPERM 1" "before the token"
	token=$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --exp-in 3)
	clerk_ctl idgt-alice token redeem "$token" >/dev/null
	# The scanning program opens the device and keeps it open.
	as_clerk idgt-alice sh -c 'exec 3<"$1"; echo "opened $$"; exec sleep 60' sh "$T/zero" >"$T/holder.out" 2>"$T/holder.err" &
	job=$!
	wait_until 5 grep -q opened "$T/holder.out" || fail "the holder could not open the scanner under the token"
	holder=$(awk '{ print $2 }' "$T/holder.out")
	# Expiry: the kernel refuses new opens, the daemon ends the holder.
	wait_until 10 sh -c "! kill -0 $holder 2>/dev/null" || fail "the process holding the scanner was not ended"
	wait "$job" 2>/dev/null || true
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/zero")" "EPERM 1" "after expiry"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_HANDLE_ENDED _PID=$DPID | grep -q ." ||
		fail "no handle-ended record"
	out=$(journal MESSAGE_ID=$MSG_HANDLE_ENDED _PID="$DPID")
	assert_eq "$(echo "$out" | jq -c '[.IDGUARD_ACTION, .IDGUARD_PID, .IDGUARD_COMM, .IDGUARD_DEVICE, .IDGUARD_NODE, .IDGUARD_GRANT_END]')" \
		"[\"terminated\",\"$holder\",\"sleep\",\"char 1:5\",\"/dev/zero\",\"expired\"]" "handle-ended record"
	assert_match "$(echo "$out" | jq -r .MESSAGE)" "^Ended sleep \(pid $holder\) of idgt-alice \(uid [0-9]+\): it still held scanner /dev/zero when grant [0-9]+ ended \(expired\)$" "message"
}

t_revoke_ends_access_at_once_and_on_grant_end_log_leaves_the_holder() {
	local token holder job out status id other
	setup_tokens
	write_policy <<-EOF
	[Global]
	OnGrantEnd=log
	[Class scanner]
	Mode=enforce
	Device=char 1:5
	EOF
	start_daemon
	token=$(request_and_approve idgt-alice wang account-opening scanner 10)
	clerk_ctl idgt-alice token redeem "$token" >/dev/null
	as_clerk idgt-alice sh -c 'exec 3<"$1"; echo "opened $$"; exec sleep 60' sh "$T/zero" >"$T/holder.out" 2>"$T/holder.err" &
	job=$!
	wait_until 5 grep -q opened "$T/holder.out" || fail "the holder could not open the scanner"
	holder=$(awk '{ print $2 }' "$T/holder.out")
	id=$(clerk_ctl idgt-alice token list --json | jq -r '.grants[0].token_id')
	# Bob may not revoke Alice's token; Alice may. Bob cannot tell her id
	# from one that does not exist: same exit status, same words.
	out=$(clerk_ctl idgt-bob token revoke "$id" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "bob revoking alice's token"
	assert_match "$out" "no live token grant that you may revoke has id $id" "refusal"
	other=$(clerk_ctl idgt-bob token revoke 0123456789abcdef0123456789abcdef 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "bob revoking an id that does not exist"
	assert_eq "${other//0123456789abcdef0123456789abcdef/$id}" "$out" "refusal of a missing id, the id aside"
	out=$(clerk_ctl idgt-alice token revoke "$id")
	assert_match "$out" "^Token $id revoked" "revoke output"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/zero")" "EPERM 1" "refused at once after revoke"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_HANDLE_ENDED _PID=$DPID | grep -q ." ||
		fail "no handle-ended record"
	assert_eq "$(journal MESSAGE_ID=$MSG_HANDLE_ENDED _PID="$DPID" | jq -r .IDGUARD_ACTION)" logged "OnGrantEnd=log"
	kill -0 "$holder" || fail "OnGrantEnd=log ended the holder"
	kill "$holder"
	wait "$job" 2>/dev/null || true
	assert_eq "$(journal MESSAGE_ID=$MSG_TOKEN_REVOKED _PID="$DPID" | jq -c '[.IDGUARD_TOKEN_ID, .IDGUARD_REVOKED_BY]')" \
		"[\"$id\",\"idgt-alice\"]" "revoked record"
}

t_replay_is_refused_after_a_daemon_restart() {
	local token out status code first second
	setup_tokens
	start_daemon
	token=$(request_and_approve idgt-alice wang account-opening scanner 10)
	clerk_ctl idgt-alice token redeem "$token" >/dev/null
	stop_daemon
	start_daemon
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "the grant survived the restart"
	out=$(clerk_ctl idgt-alice token redeem "$token" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "replayed token"
	assert_match "$out" "was already redeemed; a token works once, ask for a new one" "refusal"
	assert_eq "$(journal MESSAGE_ID=$MSG_TOKEN_REJECTED _PID="$DPID" | jq -r .IDGUARD_REJECT_REASON)" replayed "record"
	# One request approved twice gives two tokens: only one of them works.
	code=$(clerk_ctl idgt-bob token request --purpose account-opening --ref CASE-9 --class scanner --minutes 5 \
		--policy-dir "$T/policy" --json | jq -r .request)
	first=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/wang.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --yes 2>/dev/null)
	second=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/li.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --yes 2>/dev/null)
	clerk_ctl idgt-bob token redeem "$first" >/dev/null
	out=$(clerk_ctl idgt-bob token redeem "$second" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "a second token from the same request"
	assert_match "$out" "or another approved from the same request, was already redeemed" "refusal"
}

t_tokens_for_another_host_or_user_or_time_are_refused() {
	local token out status
	setup_tokens
	start_daemon
	check_refused() { # WHAT REASON MESSAGE_REGEX TOKEN
		out=$(clerk_ctl idgt-alice token redeem "$4" 2>&1) && status=0 || status=$?
		assert_eq "$status" 1 "$1: exit status"
		assert_match "$out" "$3" "$1: message"
		wait_until 5 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_TOKEN_REJECTED _PID=$DPID IDGUARD_REJECT_REASON=$2 | grep -q ." ||
			fail "$1: no token-rejected record with reason $2"
	}
	check_refused "another host" wrong-host "this token is for another workstation \(machine id 0123456789abcdef0123456789abcdef\)" \
		"$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --host 0123456789abcdef0123456789abcdef)"
	check_refused "another user" wrong-user "this token was approved for idgt-bob; you are idgt-alice" \
		"$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-bob --pur account-opening --cls scanner)"
	check_refused "expired" expired "this token expired at [0-9:]+; ask for a new one" \
		"$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --nbf-in -900 --exp-in -60)"
	check_refused "too long" too-long "this token is valid for 60 minutes, but purpose account-opening allows at most 15" \
		"$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --exp-in 3600)"
	check_refused "class" class-not-allowed "purpose account-opening does not allow card-reader" \
		"$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls card-reader)"
	check_refused "ID number as ref" ref-id-number "case reference looks like a resident ID number" \
		"$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --ref 11010519491231002X)"
	journal MESSAGE_ID=$MSG_TOKEN_REJECTED _PID="$DPID" | grep -q 11010519491231002X &&
		fail "an ID number reached the journal"
	check_refused "garbage" malformed "this is not a valid purpose token" "v4.public.not-a-token"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "EPERM 1" "nothing was granted"
}

t_wall_clock_jumps_never_lengthen_a_grant() {
	local token start took
	setup_tokens
	echo "+0" >"$T/clock-offset"
	# The daemon's wall clock is ours to move (libfaketime); the kernel's and
	# the daemon's boot clock are not touched.
	LD_PRELOAD=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -n 1) FAKETIME_TIMESTAMP_FILE="$T/clock-offset" \
		FAKETIME_NO_CACHE=1 FAKETIME_DONT_FAKE_MONOTONIC=1 start_daemon
	token=$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --exp-in 4)
	clerk_ctl idgt-alice token redeem "$token" >/dev/null
	start=$(date +%s)
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "allowed under the token"
	# Back by an hour, then forward by a day: the grant ends on time anyway.
	echo "-3600" >"$T/clock-offset"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "still allowed after the clock went back"
	wait_until 15 refused_now_scan || fail "the grant outlived its 4 seconds after the clock went back"
	took=$(( $(date +%s) - start ))
	assert_le "$took" 6 "seconds until the grant ended"
	echo "+86400" >"$T/clock-offset"
	token=$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --nbf-in 86400 --exp-in 87000)
	# A token "from tomorrow" is fine for a daemon whose clock says tomorrow,
	# but its grant still lasts at most the token's own ten minutes.
	clerk_ctl idgt-alice token redeem "$token" >/dev/null || fail "redeem with the clock a day ahead"
	assert_le "$(( ($(ctl token list --json | jq '.grants[-1].expires_usec') / 1000000) - $(date +%s) - 86400 ))" 600 \
		"grant length with the clock a day ahead (seconds)"
}

refused_now_scan() {
	[ "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" = "EPERM 1" ]
}

t_session_scoped_token_and_oversized_input() {
	local token out
	setup_tokens
	start_daemon
	mkdir -m 1777 "$T/shared"
	token=$(request_and_approve idgt-alice wang account-opening scanner 10)
	# Redeemed for one login session: that session may scan, another may not.
	as_clerk idgt-alice sh -c '"$1" --socket "$2" token redeem --session "$3" >/dev/null && "$4" "$5"' sh \
		"$IDGUARDCTL" "$SOCK" "$token" "$TRY_OPEN" "$T/scan" >"$T/session.out"
	assert_eq "$(cat "$T/session.out")" "ENXIO 1" "the redeeming session"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "EPERM 1" "another session of the same clerk"
	# A token far over the size limit is refused before anything parses it.
	out=$(printf '{"command":"token-redeem","token":"v4.public.%s"}\n' "$(head -c 12000 /dev/zero | tr '\0' A)" |
		"$BUILD/helpers/sockcat" "$SOCK")
	assert_match "$out" "field 'token' of 'token-redeem' is longer than 8192 characters" "oversized token"
	kill -0 "$DPID" || fail "the daemon died"
}

# Alice passes her scanner descriptor to processes of other users over a
# unix socket. When her grant ends, every holder without a grant of its own
# is ended, with a record that says how it came by the descriptor; a holder
# with its own grant, and a process outside the gated cgroup, are not.
t_a_grants_end_ends_every_holder_of_a_passed_descriptor() {
	local token bob wang bystander jobs= out
	setup_tokens
	write_policy <<-EOF
	[Class scanner]
	Mode=enforce
	Device=char 1:5
	EOF
	start_daemon
	mkdir -m 1777 "$T/pass"
	sh -c 'exec 3</dev/zero; exec sleep 60' &
	bystander=$!
	ctl grant add --user idgt-wang --class scanner --minutes 5 >/dev/null
	as_clerk idgt-bob /usr/bin/python3 "$HERE/fd_pass.py" receive "$T/pass/bob" >"$T/bob.out" 2>&1 &
	jobs="$jobs $!"
	as_clerk idgt-wang /usr/bin/python3 "$HERE/fd_pass.py" receive "$T/pass/wang" >"$T/wang.out" 2>&1 &
	jobs="$jobs $!"
	wait_until 5 test -S "$T/pass/bob" -a -S "$T/pass/wang" || fail "the receivers did not start"
	assert_eq "$(as_clerk idgt-bob "$TRY_OPEN" "$T/zero")" "EPERM 1" "bob opening the scanner himself"
	token=$("$MINT" --key "$T/keys/wang.k4.secret" --sub idgt-alice --pur account-opening --cls scanner --exp-in 4)
	clerk_ctl idgt-alice token redeem "$token" >/dev/null
	as_clerk idgt-alice /usr/bin/python3 "$HERE/fd_pass.py" send "$T/pass/bob" "$T/zero" ||
		fail "alice could not pass her scanner to bob"
	as_clerk idgt-alice /usr/bin/python3 "$HERE/fd_pass.py" send "$T/pass/wang" "$T/zero" ||
		fail "alice could not pass her scanner to wang"
	wait_until 5 grep -q "read 16" "$T/bob.out" || fail "bob could not read through the passed descriptor: $(cat "$T/bob.out")"
	wait_until 5 grep -q "read 16" "$T/wang.out" || fail "wang could not read: $(cat "$T/wang.out")"
	bob=$(awk '{ print $2 }' "$T/bob.out")
	wang=$(awk '{ print $2 }' "$T/wang.out")
	wait_until 15 sh -c "! kill -0 $bob 2>/dev/null" || fail "bob's process still holds alice's scanner after her grant ended"
	kill -0 "$wang" || fail "wang's process was ended, though his own grant covers the scanner"
	kill -0 "$bystander" || fail "a process outside the gated cgroup was ended"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_HANDLE_ENDED IDGUARD_PID=$bob | grep -q ." ||
		fail "no handle-ended record for bob's process"
	out=$(journal MESSAGE_ID=$MSG_HANDLE_ENDED IDGUARD_PID="$bob")
	assert_eq "$(jq -c '[.IDGUARD_ACTION, .IDGUARD_HOLDER_USER, .IDGUARD_OBTAINED, .IDGUARD_USER, .IDGUARD_GRANT_END]' <<<"$out")" \
		'["terminated","idgt-bob","passed","idgt-alice","expired"]' "handle-ended record of the passed descriptor"
	assert_match "$(jq -r .MESSAGE <<<"$out")" \
		"^Ended sleep \(pid $bob\) of idgt-bob \(uid [0-9]+\): it still held scanner /dev/zero when grant [0-9]+ of idgt-alice \(uid [0-9]+\) ended \(expired\); it did not open it under a grant of its own: the descriptor was passed to it by another process" \
		"message"
	assert_eq "$(journal MESSAGE_ID=$MSG_HANDLE_ENDED IDGUARD_PID="$wang" | wc -l)" 0 "records for wang's covered process"
	kill "$wang" "$bystander"
	# shellcheck disable=SC2086
	wait $jobs "$bystander" 2>/dev/null || true
}
