# The control socket under bad input, and who may do what.
# shellcheck shell=bash
SOCKCAT=$BUILD/helpers/sockcat

t_control_socket_answers_garbage_and_survives() {
	local out
	start_daemon
	out=$(printf 'hello there\n' | "$SOCKCAT" "$SOCK")
	assert_match "$out" '"ok":false' "reply to garbage"
	assert_match "$out" 'request is not JSON' "reply to garbage"
	out=$(printf '{"command":"status","evil":1}\n' | "$SOCKCAT" "$SOCK")
	assert_match "$out" "unknown field 'evil' for 'status'" "reply to an unknown field"
	out=$(printf '{"command":"grant-add","user":"nobody","uid":-5,"classes":"camera","seconds":1}\n' | "$SOCKCAT" "$SOCK")
	assert_match "$out" "field 'uid' of 'grant-add' must be an integer" "reply to a negative uid"
	out=$(head -c 20000 /dev/zero | tr '\0' 'x' | "$SOCKCAT" "$SOCK")
	assert_match "$out" '"code":"too-large"' "reply to an oversized request"
	out=$(printf '{"command":"sta' | "$SOCKCAT" -c "$SOCK")
	assert_match "$out" '"code":"incomplete"' "reply to a half-written request, then EOF"
	out=$(printf '{"command":"sta' | "$SOCKCAT" -t 9000 "$SOCK")
	assert_match "$out" '"code":"timeout"' "reply to a half-written request left hanging"
	kill -0 "$DPID" || fail "the daemon died"
	assert_eq "$(ctl status --json | jq .ok)" true "status still answers"
}

t_idle_connections_neither_block_nor_exhaust_the_daemon() {
	local i clients=
	start_daemon
	# Clients that connect and say nothing: the loop keeps serving others.
	for i in $(seq 60); do
		"$SOCKCAT" -t 8000 "$SOCK" </dev/null >/dev/null 2>&1 &
		clients="$clients $!"
	done
	wait_until 5 sh -c "[ \$(ls /proc/$DPID/fd | wc -l) -ge 60 ]" || fail "the idle clients did not connect"
	assert_eq "$(ctl status --json | jq .ok)" true "status while 60 clients idle"
	# Past the limit a client is told at once, instead of hanging.
	for i in $(seq 10); do
		"$SOCKCAT" -t 8000 "$SOCK" </dev/null >/dev/null 2>&1 &
		clients="$clients $!"
	done
	wait_until 5 sh -c "printf '{\"command\":\"ping\"}\n' | '$SOCKCAT' -t 2000 '$SOCK' | grep -q busy" ||
		fail "no 'busy' reply with every slot taken"
	# Idle clients are dropped after the request timeout; service resumes.
	wait_until 15 daemon_answers || fail "status did not recover after the idle clients timed out"
	# shellcheck disable=SC2086
	wait $clients || true # they end without a reply, by design
}

t_staff_can_read_but_not_grant() {
	local out status
	start_daemon
	out=$(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$IDGUARDCTL" --socket "$SOCK" \
		grant add --user nobody --class camera --minutes 5 2>&1) && status=0 || status=$?
	assert_eq "$status" 4 "exit status of grant add as nobody"
	assert_match "$out" "'grant-add' is for administrators: run it as root" "message"
	out=$(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$IDGUARDCTL" --socket "$SOCK" reload 2>&1) &&
		status=0 || status=$?
	assert_eq "$status" 4 "exit status of reload as nobody"
	ctl grant add --user root --class camera --minutes 5 >/dev/null
	ctl grant add --user nobody --class scanner --minutes 5 >/dev/null
	out=$(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$IDGUARDCTL" --socket "$SOCK" grant list --json)
	assert_eq "$(echo "$out" | jq -c '[.grants[].user]')" '["nobody"]' "staff see only their own grants"
	assert_eq "$(ctl grant list --json | jq '.grants | length')" 2 "root sees all grants"
	out=$(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$IDGUARDCTL" --socket "$SOCK" status --json)
	assert_eq "$(echo "$out" | jq .link.attached)" true "status as staff"
}

t_cli_errors_are_precise() {
	local out status
	start_daemon
	out=$(ctl grant add --user nobody --class kamera --minutes 5 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "unknown class exit status"
	assert_match "$out" "unknown class 'kamera' \(known: scanner, camera" "unknown class message"
	out=$(ctl grant add --user no-such-user-here --class camera --minutes 5 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "unknown user exit status"
	assert_match "$out" "no user 'no-such-user-here'" "unknown user message"
	out=$(ctl grant remove 999 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "removing a grant that does not exist"
	assert_match "$out" "no live grant has id 999" "message"
	out=$("$IDGUARDCTL" --socket "$T/nowhere.sock" devices 2>&1) && status=0 || status=$?
	assert_eq "$status" 3 "no daemon at the socket"
	assert_match "$out" "cannot reach idguardd at $T/nowhere.sock" "message"
	out=$(ctl frobnicate 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "unknown command"
}

t_policy_check_and_show_work_without_the_daemon() {
	local out status
	printf '[Class camera]\nMode=enforce\nDevice=char 81:*\n[Class scanner]\nMode=sometimes\nDevice=/dev/../etc/passwd\n' \
		>"$T/bad.conf"
	out=$(ctl policy check "$T/bad.conf") && status=0 || status=$?
	assert_eq "$status" 1 "policy check exit status with errors"
	assert_match "$out" "$T/bad.conf:5: error: mode 'sometimes' is not one of off, audit, enforce" "first error"
	assert_match "$out" "$T/bad.conf:6: error: device path '/dev/../etc/passwd' must be a plain absolute path" "second error"
	assert_match "$out" "2 errors, 0 warnings in 1 file: the policy would be refused" "summary"
	out=$(ctl policy check --json "$T/bad.conf") || true
	assert_eq "$(echo "$out" | jq -c '[.ok, .errors, [.diagnostics[].line]]')" "[false,2,[5,6]]" "policy check --json"
	out=$(ctl policy check --policy-dir "$T/policy")
	assert_match "$out" "^1 file checked: no errors, 0 warnings$" "a good policy"
	out=$(ctl policy show --policy-dir "$T/policy")
	assert_match "$out" "Device=char $TEST_MAJOR:0-15  ; $T/policy/50-test.conf:5" "policy show names the source line"
	assert_eq "$(ctl policy show --json --policy-dir "$T/policy" | jq -r .classes.camera.effective_mode)" enforce "policy show --json"
}

t_one_user_cannot_lock_administrators_out() {
	local i clients=
	start_daemon
	# A staff member opens many idle connections: capped per user.
	for i in $(seq 20); do
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$SOCKCAT" -t 8000 "$SOCK" </dev/null >"$T/idle.$i" 2>&1 &
		clients="$clients $!"
	done
	wait_until 5 sh -c "[ \$(grep -l busy $T/idle.* 2>/dev/null | wc -l) -ge 4 ]" ||
		fail "expected 4 of 20 connections by one user to be turned away, got $(grep -l busy "$T"/idle.* | wc -l)"
	# The administrator is still served at once.
	assert_eq "$(ctl status --json | jq .ok)" true "status as root while one user holds 16 connections"
	# shellcheck disable=SC2086
	wait $clients || true
}

t_no_policy_file_is_an_error_for_check_and_a_warning_at_start() {
	local out status rec
	mkdir "$T/empty"
	out=$(ctl policy check --policy-dir "$T/empty" --policy-dir "$T/missing") && status=0 || status=$?
	assert_eq "$status" 1 "policy check of directories without a policy file"
	assert_match "$out" "error: no policy file \(\*\.conf\) was found in $T/empty, $T/missing: no device would be guarded" \
		"policy check names the directories"
	# The daemon starts (a policy of nothing is still a policy) but says so
	# loudly: in the start record, at warning priority, and in status.
	"$IDGUARDD" --foreground --cgroup "$CG" --bpffs-dir "$BPFFS" --policy-dir "$T/empty" \
		--approvers-dir "$T/approvers" --state-dir "$T/state" --socket "$SOCK" >>"$T/daemon.log" 2>&1 &
	DPID=$!
	wait_until 15 daemon_answers || fail "idguardd did not start: $(tail -5 "$T/daemon.log")"
	rec=$(journal MESSAGE_ID=$MSG_STARTED _PID="$DPID" | tail -n 1)
	assert_match "$(jq -r .MESSAGE <<<"$rec")" "WARNING: no policy file was found, so no device is guarded" "start record"
	assert_eq "$(jq -r .PRIORITY <<<"$rec")" 4 "start record priority"
	assert_eq "$(jq -r .IDGUARD_POLICY_FILES_COUNT <<<"$rec")" 0 "IDGUARD_POLICY_FILES_COUNT"
	assert_match "$(ctl status)" "warning: no policy file \(\*\.conf\) was found in $T/empty" "status lists the warning"
}

t_check_status_and_reload_agree_on_the_warnings() {
	local check status reload
	# Two warnings of two kinds: an exempt unit that does not run, and an
	# approver registry entry naming a purpose that does not exist.
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Device=char $TEST_MAJOR:0
	[Exempt]
	Unit=idguard-test-absent.service
	EOF
	start_daemon
	check=$(ctl policy check --json --policy-dir "$T/policy" --approvers-dir "$T/approvers" |
		jq -c '[.diagnostics[] | select(.severity == "warning") | .message]')
	status=$(ctl status --json | jq -c '[.policy_warning_list[] | sub("^[^ ]* warning: "; "")]')
	reload=$(ctl reload --json | jq -c '[.warning_list[] | sub("^[^ ]* warning: "; "")]')
	assert_match "$check" "idguard-test-absent.service is not running now" "policy check has the warning"
	assert_eq "$status" "$check" "status lists the warnings policy check lists"
	assert_eq "$reload" "$check" "reload lists the warnings policy check lists"
	assert_eq "$(ctl status --json | jq .policy_warnings)" "$(jq length <<<"$check")" "status counts them"
	assert_match "$(ctl reload)" "^Policy reloaded: 1 watched device entries, 0 exempt cgroups, 1 warnings:" "reload says so"
}

# Peak resident memory of the daemon, in KiB.
daemon_peak_kib() {
	awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status"
}

# A user's clients pipeline requests and never read: the daemon stops reading
# them, its memory stays bounded, root and the kernel's records are served,
# and the stalled connections are closed with one (folded) record.
t_clients_that_do_not_read_cannot_grow_or_starve_the_daemon() {
	local before peak out i
	start_daemon
	before=$(daemon_peak_kib)
	setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		/usr/bin/python3 "$HERE/control_stress.py" flood "$SOCK" 16 20 >"$T/flood.json" 2>&1 &
	local flood=$!
	sleep 3
	for i in 1 2 3; do
		out=$(ctl status --json) || fail "root's status failed during the flood (round $i)"
		assert_eq "$(jq .ok <<<"$out")" true "root's status during the flood"
		sleep 1
	done
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "the gate during the flood"
	wait_records 1 $MSG_DENIED
	wait $flood || fail "the flooding client failed: $(cat "$T/flood.json")"
	peak=$(daemon_peak_kib)
	note "daemon peak memory: $before KiB before, $peak KiB after 16 flooding connections for 20 s"
	assert_le $((peak - before)) $((24 * 1024)) "growth of the daemon's peak memory (KiB)"
	for i in $(jq '.accepted[]' "$T/flood.json"); do
		assert_le "$i" $((1024 * 1024)) "bytes one flooding connection got the daemon to take"
	done
	assert_eq "$(jq .closed "$T/flood.json")" 16 "flooding connections closed by the daemon"
	out=$(journal MESSAGE_ID=$MSG_CLIENT_CLOSED IDGUARD_CLIENT_UID=$NOBODY _PID="$DPID")
	assert_eq "$(jq -s length <<<"$out")" 1 "records of closed connections (folded per user)"
	assert_eq "$(jq -r .IDGUARD_CLOSE_REASON <<<"$out")" stalled "IDGUARD_CLOSE_REASON"
	assert_match "$(jq -r .MESSAGE <<<"$out")" "closed a control connection of uid $NOBODY .*took none of its replies" "MESSAGE"
	assert_eq "$(ctl status --json | jq .ok)" true "status after the flood"
}

# The connection state machine itself: requests split at random places,
# pipelined, mixed with garbage; replies read in random pieces. Every line
# gets exactly one reply, in order.
t_control_connections_keep_order_under_random_splits_and_pipelining() {
	local seed
	start_daemon
	for seed in 1 2 3; do
		setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
			/usr/bin/python3 "$HERE/control_stress.py" pipeline "$SOCK" 6 300 "$seed" >"$T/pipe.out" 2>&1 ||
			fail "seed $seed: $(cat "$T/pipe.out")"
	done
	kill -0 "$DPID" || fail "the daemon died"
}

# A client that stops reading is not read either: it can push at most a
# bounded amount, and is closed once it has taken nothing for 10 s.
t_a_slow_reader_is_not_read_and_then_closed() {
	local out
	start_daemon
	out=$(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups \
		/usr/bin/python3 "$HERE/control_stress.py" slow-reader "$SOCK" 12) || fail "slow-reader: $out"
	note "a client that does not read: $out"
	assert_le "$(jq .accepted <<<"$out")" $((512 * 1024)) "bytes the daemon took from a client that does not read"
	assert_eq "$(jq .closed <<<"$out")" true "the daemon closed the stalled connection"
	wait_until 5 sh -c "journalctl --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_CLIENT_CLOSED _PID=$DPID -q | grep -q ." ||
		fail "no record of the closed connection"
}
