# The online approval round trip, across machines as they are deployed: the
# branch's broker (Debian's mosquitto, the shipped TLS and ACL configuration),
# the workstation (idguardd and idguard-relay) and the supervisor's PC
# (idguardctl token inbox / approve / decline) each in a network namespace
# of its own (broker_lib.sh). The relay is untrusted: what it brings is
# checked like a pasted token.
# shellcheck shell=bash

# shellcheck source=broker_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/broker_lib.sh"

MSG_REQUEST_QUEUED=dd4721d2b5ce4d089c8bb7fc8f0077f0
MSG_REQUEST_SENT=277090e489a042a499c8eaef6bbd7496
MSG_REQUEST_ENDED=6480ca48164241e282492125b7ca41b8
MSG_REQUEST_WITHDRAWN=50e5e53e92ee41b7a5582df81980406a
MSG_RELAY_STATE=b11feea1451742669cd5948f443ae147

# relay_conf FILE NAME: a relay.conf for client certificate NAME.
relay_conf() {
	cat >"$1" <<-EOF
	[Broker]
	Address=$BROKER_ADDR
	CA=$BROKER_PKI/ca.crt
	Certificate=$BROKER_PKI/$2.crt
	Key=$BROKER_PKI/$2.key
	Name=$2
	EOF
}

# The branch: broker, supervisor's PC, workstation ws-017 running idguardd
# and its relay; approvers wang and li.
relay_setup() {
	setup_tokens
	broker_net 1
	broker_certs
	broker_start
	relay_conf "$T/ws-017.conf" ws-017
	relay_conf "$T/wang.conf" approver-wang
	relay_conf "$T/li.conf" approver-li
	start_daemon
	start_relay
}

# Stops the relay we started, by its pid, before the namespaces go.
stop_relay() {
	if [ -n "${RELAY_PID:-}" ]; then
		kill -TERM "$RELAY_PID" 2>/dev/null || true
		wait "$RELAY_PID" 2>/dev/null || true
		RELAY_PID=
	fi
}

# The workstation's relay, in its namespace.
start_relay() {
	case " ${CLEANUP_HOOKS:-} " in
	*" stop_relay "*) ;;
	*) CLEANUP_HOOKS="stop_relay ${CLEANUP_HOOKS:-}" ;;
	esac
	ip netns exec "${WS_NS[1]}" "$BUILD/idguard-relay" --config "$T/ws-017.conf" --socket "$SOCK" -v \
		>>"$T/relay.log" 2>&1 &
	RELAY_PID=$!
	wait_until 15 relay_connected || fail "the relay did not connect: $(tail -5 "$T/relay.log")"
}

relay_connected() {
	[ "$(ctl status --json | jq -r .relay.connected)" = true ]
}

# ws_clerk NAME ARGS...: idguardctl run by a clerk on ws-017 (its host
# name, in a UTS namespace of its own; the machine id is this host's).
ws_clerk() {
	local uid
	uid=$(id -u "$1")
	shift
	unshare --uts sh -c 'hostname ws-017 && echo $$ > "$1/cgroup.procs" && echo "$2" > /proc/self/loginuid &&
		shift 2 && exec setpriv --reuid="$0" --regid="$0" --clear-groups "$@"' "$uid" "$CG" "$uid" \
		"$IDGUARDCTL" --socket "$SOCK" "$@"
}

# sup CONF ARGS...: idguardctl on the supervisor's PC.
sup() {
	local conf=$1
	shift
	in_ns "$SUP_NS" "$IDGUARDCTL" "$@" --relay "$T/$conf.conf" --policy-dir "$T/policy" --approvers-dir "$T/approvers"
}

# request ARGS...: alice asks for the scanner through the relay; prints the
# command's output.
request() {
	ws_clerk idgt-alice token request --purpose account-opening --ref CASE-2026-0042 --class scanner \
		--policy-dir "$T/policy" --send "$@"
}

ours() { # MESSAGE_ID [MATCH...]: this daemon's records of this test
	local id=$1
	shift
	journal --since=@"$JOURNAL_SINCE" MESSAGE_ID="$id" _PID="$DPID" "$@"
}

has_ours() { # N MESSAGE_ID [MATCH...]
	local n=$1
	shift
	[ "$(ours "$@" | grep -c .)" -ge "$n" ]
}

wait_ours() { # N MESSAGE_ID [MATCH...]
	wait_until 15 has_ours "$@" || fail "expected $1 record(s) $2 ${*:3}; found $(ours "${@:2}" | grep -c .)"
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

t_relay_counter_day_request_inbox_approve_grant_use_expiry() {
	local out rid short t0 t1 t2 unanswered
	# Requests nobody answers expire after a minute here.
	printf '[Approval]\nMaxRequestAge=1min\n' >"$T/policy/60-approval.conf"
	relay_setup
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "EPERM 1" "alice scans without a token"
	t0=$(now_ms)
	out=$(request --minutes 1)
	assert_match "$out" "Sent to the approval queue on $BROKER_ADDR:$BROKER_PORT" "what the clerk is told"
	assert_match "$out" "^idgreq2?\." "the request code is still printed for the offline path"
	wait_ours 1 $MSG_REQUEST_SENT
	rid=$(ours $MSG_REQUEST_QUEUED | jq -r .IDGUARD_REQUEST_ID)
	short=$(echo "${rid:0:8}" | tr a-f A-F | sed 's/^\(....\)/\1-/')
	t1=$(now_ms)
	# The supervisor sees what waits: the clerk, the workstation its
	# certificate proves, purpose, case, classes, minutes, age.
	out=$(sup wang token inbox)
	assert_match "$out" "^$short +idgt-alice +ws-017 +account-opening +CASE-2026-0042 +scanner +1 +" "the inbox"
	out=$(sup wang token inbox --json)
	assert_eq "$(jq -r '.requests[0] | [.user, .workstation, .purpose, .ref, .classes, .minutes] | @tsv' <<<"$out")" \
		"$(printf 'idgt-alice\tws-017\taccount-opening\tCASE-2026-0042\tscanner\t1')" "the inbox as JSON"
	# He reviews and signs it; the token goes back by itself.
	t2=$(now_ms)
	out=$(sup wang token approve "$short" --key "$T/keys/wang.k4.secret" --yes 2>&1)
	assert_match "$out" "Sent to ws-017 through the broker $BROKER_ADDR:$BROKER_PORT: it is redeemed there for idgt-alice" \
		"approve from the inbox"
	wait_until 15 sh -c "[ \"\$($IDGUARDCTL --socket $SOCK token list --json | jq '.grants | length')\" = 1 ]" ||
		fail "no grant after the approval: $(tail -5 "$T/relay.log")"
	note "round trip: request to queue $((t1 - t0)) ms; approval sent to usable grant $(($(now_ms) - t2)) ms"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "alice scans with the relayed token"
	assert_eq "$(as_clerk idgt-bob "$TRY_OPEN" "$T/scan")" "EPERM 1" "bob on alice's grant"
	# Every step is on the record with the request id.
	wait_ours 1 $MSG_TOKEN_REDEEMED IDGUARD_REQUEST_ID="$rid" IDGUARD_VIA=relay
	wait_ours 1 $MSG_REQUEST_ENDED IDGUARD_REQUEST_ID="$rid" IDGUARD_REQUEST_STATE=granted
	wait_ours 1 $MSG_REQUEST_WITHDRAWN IDGUARD_REQUEST_ID="$rid"
	assert_eq "$(ours $MSG_TOKEN_REDEEMED IDGUARD_REQUEST_ID="$rid" | jq -r '[.IDGUARD_USER, .IDGUARD_APPROVER, .IDGUARD_PURPOSE, .IDGUARD_REF] | @tsv')" \
		"$(printf 'idgt-alice\twang\taccount-opening\tCASE-2026-0042')" "the redeemed record"
	# Answered: withdrawn from the broker, nothing waits.
	mqtt_retained "$SUP_NS" approver-wang 0 "idguard/request/#" "idguard/answer/#" >/dev/null
	assert_match "$(sup wang token inbox)" "nothing waits" "the inbox after the answer"
	# The clerk sees where it stands.
	assert_match "$(ws_clerk idgt-alice token requests)" "^$short +idgt-alice +account-opening +CASE-2026-0042 +scanner +.* granted \(approved by wang\)$" \
		"token requests"
	# Bob asks too, and nobody answers.
	ws_clerk idgt-bob token request --purpose account-opening --ref CASE-2026-0050 --class camera --minutes 5 \
		--policy-dir "$T/policy" --send >/dev/null
	unanswered=$(last_rid)
	wait_ours 1 $MSG_REQUEST_SENT IDGUARD_REQUEST_ID="$unanswered"
	# The minute ends; access closes again.
	wait_until 75 sh -c "[ \"\$($IDGUARDCTL --socket $SOCK token list --json | jq '.grants | length')\" = 0 ]" ||
		fail "the grant did not expire"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "EPERM 1" "alice scans after the expiry"
	# Bob's request expired unanswered: withdrawn from the queue, and he is told.
	wait_until 20 has_ours 1 $MSG_REQUEST_ENDED IDGUARD_REQUEST_ID="$unanswered" IDGUARD_REQUEST_STATE=expired ||
		fail "bob's unanswered request did not expire"
	wait_ours 1 $MSG_REQUEST_WITHDRAWN IDGUARD_REQUEST_ID="$unanswered"
	assert_match "$(sup wang token inbox)" "nothing waits" "the inbox after the expiry"
	assert_match "$(ws_clerk idgt-bob why)" "Request $(short_of "$unanswered") expired unanswered" "what bob is told"
}

# short_of RID: the id people read out ("B4A4-EAE7").
short_of() {
	echo "${1:0:8}" | tr a-f A-F | sed 's/^\(....\)/\1-/'
}

# The newest request id queued by this daemon.
last_rid() {
	ours $MSG_REQUEST_QUEUED | tail -n 1 | jq -r .IDGUARD_REQUEST_ID
}

grants() {
	ctl token list --json | jq '.grants | length'
}

t_relay_broker_down_the_clerk_is_told_the_code_still_works_nothing_is_lost() {
	local out code token rid
	relay_setup
	broker_stop
	wait_until 15 sh -c "[ \"\$($IDGUARDCTL --socket $SOCK status --json | jq -r .relay.connected)\" = false ]" ||
		fail "idguardd still thinks the relay is connected"
	wait_ours 1 $MSG_RELAY_STATE IDGUARD_RELAY_STATE=disconnected
	# The clerk is told, and given the code for the offline path.
	out=$(request --minutes 5)
	assert_match "$out" "Kept for the approval queue, which cannot be reached now" "what the clerk is told"
	code=$(grep '^idgreq' <<<"$out")
	rid=$(last_rid)
	assert_eq "$(ws_clerk idgt-alice token requests --json | jq -r '.requests[0].state')" waiting "the request waits"
	# Offline: the supervisor signs the code; she redeems it by hand.
	token=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/wang.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --yes 2>/dev/null)
	assert_match "$(ws_clerk idgt-alice token redeem "$token")" "^Granted: idgt-alice may use scanner" "offline redeem"
	# A second request waits through the outage, and a daemon restart.
	request --minutes 5 --ref CASE-2026-0043 >/dev/null
	rid=$(last_rid)
	stop_daemon
	start_daemon
	broker_start
	wait_ours 1 $MSG_REQUEST_SENT IDGUARD_REQUEST_ID="$rid"
	assert_match "$(sup wang token inbox)" "$(short_of "$rid") +idgt-alice +ws-017 +account-opening +CASE-2026-0043" \
		"the request that waited reached the inbox"
	# The first one was redeemed by hand: its request is answered, and the
	# broker never shows it as waiting.
	sup wang token inbox | grep -q "CASE-2026-0042" && fail "the request redeemed by hand is still in the inbox"
	sup wang token approve "$(short_of "$rid")" --key "$T/keys/wang.k4.secret" --yes >/dev/null 2>&1
	wait_ours 1 $MSG_TOKEN_REDEEMED IDGUARD_REQUEST_ID="$rid" IDGUARD_VIA=relay
	assert_eq "$(grants)" 2 "grants: one by hand, one through the relay"
}

t_relay_replayed_or_misrouted_tokens_are_refused_and_the_request_keeps_waiting() {
	local rid token other code out
	relay_setup
	request --minutes 5 >/dev/null
	rid=$(last_rid)
	wait_ours 1 $MSG_REQUEST_SENT IDGUARD_REQUEST_ID="$rid"
	# A token for another workstation (another machine id): a request made
	# there, approved, and sent to this workstation's answer topic, under
	# this request's id and under its own.
	printf '0123456789abcdef0123456789abcdef\n' >"$T/other-machine-id"
	code=$(unshare --mount --uts sh -c "mount --bind '$T/other-machine-id' /etc/machine-id && hostname ws-018 &&
		exec setpriv --reuid=$(id -u idgt-alice) --regid=$(id -u idgt-alice) --clear-groups \
		'$IDGUARDCTL' token request --purpose account-opening --ref CASE-2026-0042 --class scanner --minutes 5 \
		--policy-dir '$T/policy' --no-send --json" | jq -r .request)
	other=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/wang.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --yes 2>/dev/null)
	mqtt_pub "$SUP_NS" approver-wang -q 1 -r -t "idguard/answer/ws-017/$rid" -m "$other"
	wait_ours 1 $MSG_TOKEN_REJECTED IDGUARD_VIA=relay IDGUARD_REQUEST_ID="$rid"
	assert_eq "$(ours $MSG_TOKEN_REJECTED IDGUARD_VIA=relay | tail -n 1 | jq -r .IDGUARD_REJECT_REASON)" wrong-host \
		"a token for ws-018 sent to ws-017"
	assert_eq "$(grants)" 0 "grants after the misrouted token"
	assert_eq "$(ws_clerk idgt-alice token requests --json | jq -r '.requests[0].state')" sent "the request still waits"
	# The bogus answer is removed from the broker, so it does not come back.
	wait_until 10 no_answers_on_broker || fail "the refused answer is still on the broker"
	# The real answer comes (watched on its way, to replay it later).
	mqtt_sub_bg "$T/answer.txt" "$SUP_NS" approver-wang -i "watch-$BASHPID" -q 1 -C 1 -W 20 \
		-t "idguard/answer/ws-017/$rid"
	wait_until 10 broker_log_has "Received SUBSCRIBE from watch-$BASHPID" ||
		fail "the watching subscriber did not subscribe"
	sup wang token approve "$(short_of "$rid")" --key "$T/keys/wang.k4.secret" --yes >/dev/null 2>&1
	wait "$MQTT_SUB_PID" || fail "the answer was not seen on the broker"
	token=$(cat "$T/answer.txt")
	assert_match "$token" "^v4\.public\." "the token as it crossed the broker"
	wait_ours 1 $MSG_TOKEN_REDEEMED IDGUARD_REQUEST_ID="$rid" IDGUARD_VIA=relay
	wait_ours 1 $MSG_REQUEST_WITHDRAWN IDGUARD_REQUEST_ID="$rid"
	out=$(sup wang token approve "$(short_of "$rid")" --key "$T/keys/wang.k4.secret" --yes 2>&1) &&
		fail "approving an answered request again from the inbox worked: $out"
	# Replay: the broker is untrusted; someone publishes the old token again.
	mqtt_pub "$SUP_NS" approver-wang -q 1 -r -t "idguard/answer/ws-017/$rid" -m "$token"
	wait_ours 1 $MSG_TOKEN_REJECTED IDGUARD_VIA=relay IDGUARD_REJECT_REASON=replayed
	assert_eq "$(grants)" 1 "one grant: a replay makes none"
	wait_until 10 no_answers_on_broker || fail "the replayed answer is still on the broker"
}

# Whether no answer is retained on the broker (as supervisor wang sees it).
no_answers_on_broker() {
	[ -z "$(mqtt_sub "$SUP_NS" approver-wang -q 1 -v -C 1 -W 2 -t 'idguard/answer/#' 2>/dev/null)" ]
}

t_relay_own_request_rogue_certificate_cancel_and_who_may_hand_in_answers() {
	local out status rid token
	relay_setup
	# Wang is also a clerk here: he may send a request, never approve it.
	ws_clerk idgt-wang token request --purpose account-opening --ref CASE-2026-0099 --class scanner --minutes 5 \
		--policy-dir "$T/policy" --send >/dev/null
	rid=$(last_rid)
	wait_ours 1 $MSG_REQUEST_SENT IDGUARD_REQUEST_ID="$rid"
	out=$(sup wang token approve "$(short_of "$rid")" --key "$T/keys/wang.k4.secret" --yes 2>&1) &&
		status=0 || status=$?
	assert_eq "$status" 1 "wang approving his own request from the inbox"
	assert_match "$out" "this is your own request \(idgt-wang\): nobody may approve their own" "refusal"
	mqtt_retained "$SUP_NS" approver-wang 0 "idguard/answer/#" >/dev/null
	assert_eq "$(ws_clerk idgt-wang token requests --json | jq -r '.requests[0].state')" sent "his request still waits"
	# A client with a certificate from another CA, claiming to be ws-017,
	# cannot even connect; nothing reaches the workstation.
	token=$(request_and_approve idgt-alice li account-opening scanner 5)
	out=$(mqtt_pub "$SUP_NS" "$ROGUE_PKI/ws-017" -q 1 -r -t "idguard/answer/ws-017/$rid" -m "$token" 2>&1) &&
		status=0 || status=$?
	[ "$status" != 0 ] || fail "a client with a rogue certificate published: $out"
	out=$(mqtt_pub "$SUP_NS" - -q 1 -r -t "idguard/answer/ws-017/$rid" -m "$token" 2>&1) && status=0 || status=$?
	[ "$status" != 0 ] || fail "a client without a certificate published: $out"
	assert_eq "$(grants)" 0 "grants after the rogue clients"
	has_ours 1 $MSG_TOKEN_REJECTED IDGUARD_VIA=relay && fail "something reached idguardd from a rogue client"
	# Nor may a clerk hand idguardd an answer as if she were the relay.
	out=$(as_clerk idgt-alice /usr/bin/python3 - "$SOCK" "$rid" "$token" <<-'PY'
	import json, socket, sys
	s = socket.socket(socket.AF_UNIX)
	s.connect(sys.argv[1])
	s.sendall((json.dumps({"command": "relay-answer", "request_id": sys.argv[2], "answer": sys.argv[3]}) + "\n").encode())
	print(s.makefile().readline().strip())
	PY
	)
	assert_eq "$(jq -r .code <<<"$out")" permission-denied "a clerk calling relay-answer"
	assert_eq "$(grants)" 0 "grants after the clerk's try"
	# Wang cancels his request: it is withdrawn from the broker.
	assert_match "$(ws_clerk idgt-wang token cancel "$(short_of "$rid")")" "cancelled" "token cancel"
	wait_ours 1 $MSG_REQUEST_WITHDRAWN IDGUARD_REQUEST_ID="$rid" IDGUARD_REQUEST_STATE=cancelled
	mqtt_retained "$SUP_NS" approver-wang 0 "idguard/request/#" >/dev/null
	# Alice cannot cancel someone else's request (the same answer as for none).
	request --minutes 5 >/dev/null
	out=$(ws_clerk idgt-bob token cancel "$(short_of "$(last_rid)")" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "bob cancelling alice's request"
	assert_match "$out" "no waiting request of yours has id" "refusal"
}

t_relay_decline_is_signed_and_told_to_the_clerk() {
	local out status rid
	relay_setup
	request --minutes 5 >/dev/null
	rid=$(last_rid)
	wait_ours 1 $MSG_REQUEST_SENT IDGUARD_REQUEST_ID="$rid"
	# A reason with an ID number is refused before anything is signed.
	out=$(sup wang token decline "$(short_of "$rid")" --reason "copy of 11010519491231002X kept" \
		--key "$T/keys/wang.k4.secret" 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "a decline reason with an ID number"
	assert_match "$out" "--reason: .*ID number" "refusal"
	out=$(sup wang token decline "$(short_of "$rid")" --reason "no copy is needed for this account type" \
		--key "$T/keys/wang.k4.secret")
	assert_match "$out" "^Declined request $(short_of "$rid") of idgt-alice on ws-017 as wang" "decline output"
	wait_ours 1 $MSG_REQUEST_ENDED IDGUARD_REQUEST_ID="$rid" IDGUARD_REQUEST_STATE=declined
	assert_eq "$(ours $MSG_REQUEST_ENDED IDGUARD_REQUEST_ID="$rid" | jq -r '[.IDGUARD_APPROVER, .IDGUARD_REASON] | @tsv')" \
		"$(printf 'wang\tno copy is needed for this account type')" "the declined record"
	wait_ours 1 $MSG_REQUEST_WITHDRAWN IDGUARD_REQUEST_ID="$rid"
	# What her desktop shows, and `idguardctl why`: the decline and why.
	out=$(ws_clerk idgt-alice why --json)
	assert_eq "$(jq -r '[.notices[] | select(.notice == "request-declined")][0] | [.approver, .reason] | @tsv' <<<"$out")" \
		"$(printf 'wang\tno copy is needed for this account type')" "the clerk's notice"
	assert_match "$(ws_clerk idgt-alice why)" "Request $(short_of "$rid") was declined" "idguardctl why"
	assert_match "$(ws_clerk idgt-alice token requests)" "declined: no copy is needed for this account type" \
		"token requests"
	assert_eq "$(grants)" 0 "grants after a decline"
	# A decline signed by a key nobody registered is ignored.
	request --minutes 5 --ref CASE-2026-0043 >/dev/null
	rid=$(last_rid)
	wait_ours 1 $MSG_REQUEST_SENT IDGUARD_REQUEST_ID="$rid"
	"$IDGUARDCTL" key generate --id mallory --user mallory --dir "$T/keys" >/dev/null
	printf '[Approver mallory]\nUser=mallory\nPublicKey=%s\nPurposes=*\n' "$(cat "$T/keys/mallory.k4.public")" \
		>"$T/mallory-approvers.conf"
	out=$(in_ns "$SUP_NS" "$IDGUARDCTL" token decline "$(short_of "$rid")" --reason "go away" \
		--key "$T/keys/mallory.k4.secret" --relay "$T/wang.conf" --policy-dir "$T/policy" \
		--registry "$T/mallory-approvers.conf")
	wait_ours 1 $MSG_REQUEST_ENDED IDGUARD_REQUEST_ID="$rid" IDGUARD_REQUEST_STATE=decline-refused
	assert_eq "$(ws_clerk idgt-alice token requests --json | jq -r '.requests[0].state')" sent \
		"the request still waits after a decline by an unknown key"
}

t_relay_an_answer_that_comes_while_idguardd_is_down_is_taken_when_it_is_back() {
	local rid
	relay_setup
	request --minutes 5 >/dev/null
	rid=$(last_rid)
	wait_ours 1 $MSG_REQUEST_SENT IDGUARD_REQUEST_ID="$rid"
	stop_daemon
	sup wang token approve "$(short_of "$rid")" --key "$T/keys/wang.k4.secret" --yes >/dev/null 2>&1 ||
		fail "the approval was not sent"
	wait_until 10 grep -q "cannot reach idguardd" "$T/relay.log" || fail "the relay did not try idguardd"
	start_daemon
	wait_ours 1 $MSG_TOKEN_REDEEMED IDGUARD_REQUEST_ID="$rid" IDGUARD_VIA=relay
	assert_eq "$(grants)" 1 "the grant made once idguardd was back"
	wait_ours 1 $MSG_REQUEST_WITHDRAWN IDGUARD_REQUEST_ID="$rid"
	assert_eq "$(ws_clerk idgt-alice token requests --json | jq -r '.requests[0].state')" granted "the request's state"
}

t_relay_configuration_mistakes_are_said_with_file_and_line() {
	local out status
	printf '[Broker]\nAdress=mqtt\n' >"$T/bad.conf"
	out=$("$BUILD/idguard-relay" --config "$T/bad.conf" --socket "$SOCK" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "idguard-relay with a mistyped setting"
	assert_match "$out" "^idguard-relay: $T/bad.conf:2: unknown setting Adress= \(known: Address, CA," "its message"
	out=$("$BUILD/idguard-relay" --config "$T/none.conf" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "idguard-relay without a configuration"
	assert_match "$out" "cannot read $T/none.conf: No such file or directory" "its message"
	out=$("$BUILD/idguard-relay" --bogus 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "idguard-relay with an unknown option"
	printf '[Broker]\nAddress=10.231.0.1\nCA=/nonexistent/ca.crt\nCertificate=/nonexistent/c.crt\nKey=/nonexistent/c.key\nName=ws-017\n' \
		>"$T/missing.conf"
	out=$("$BUILD/idguard-relay" --config "$T/missing.conf" --check)
	assert_match "$out" "topics +idguard/request/ws-017/\+ \(out\), idguard/answer/ws-017/\+ \(in\)" "--check"
	out=$("$BUILD/idguard-relay" --config "$T/missing.conf" --socket "$SOCK" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "idguard-relay with certificate files that do not exist"
	assert_match "$out" "cannot use CA=/nonexistent/ca.crt, Certificate=/nonexistent/c.crt, Key=/nonexistent/c.key" \
		"its message"
	# The inbox with no broker to reach: exit 3, and the way without it.
	broker_net 1
	broker_certs
	relay_conf "$T/wang.conf" approver-wang
	local start=$(date +%s%N)
	out=$(in_ns "$SUP_NS" "$IDGUARDCTL" token inbox --relay "$T/wang.conf" 2>&1) && status=0 || status=$?
	note "token inbox with the broker down answered in $((($(date +%s%N) - start) / 1000000)) ms"
	assert_eq "$status" 3 "token inbox with the broker down"
	assert_match "$out" "cannot reach the broker 10.231.0.1:8883" "its message"
	assert_match "$out" "the clerk's request code still works without the broker" "the way without it"
}

t_relay_a_session_request_is_granted_to_that_login_session_only() {
	local rid grant
	relay_setup
	request --minutes 5 --session >/dev/null
	rid=$(last_rid)
	assert_eq "$(ours $MSG_REQUEST_QUEUED IDGUARD_REQUEST_ID="$rid" | jq -r .IDGUARD_SCOPE)" session "the request's scope"
	wait_ours 1 $MSG_REQUEST_SENT IDGUARD_REQUEST_ID="$rid"
	sup wang token approve "$(short_of "$rid")" --key "$T/keys/wang.k4.secret" --yes >/dev/null 2>&1
	wait_ours 1 $MSG_TOKEN_REDEEMED IDGUARD_REQUEST_ID="$rid"
	grant=$(ctl token list --json | jq -c '.grants[0] | {scope, user}')
	assert_eq "$grant" '{"scope":"session","user":"idgt-alice"}' "the grant made from the relayed token"
	# Another login of hers (another audit session) is not covered.
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "EPERM 1" "alice in another login session"
}
