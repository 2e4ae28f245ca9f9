# Kernel gate decisions, as the process and the journal see them.
# shellcheck shell=bash

t_enforce_refuses_with_eperm_and_logs_denied() {
	local out msg
	start_daemon
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "EPERM 1" "open of a watched camera in enforce mode"
	wait_records 1 $MSG_DENIED
	assert_eq "$(field_of $MSG_DENIED IDGUARD_VERDICT)" denied "IDGUARD_VERDICT"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_REASON)" no-grant "IDGUARD_REASON"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_CLASS)" camera "IDGUARD_CLASS"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_DEVICE)" "char $TEST_MAJOR:0" "IDGUARD_DEVICE"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_UID)" $NOBODY "IDGUARD_UID"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_USER)" nobody "IDGUARD_USER"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_LOGINUID)" $NOBODY "IDGUARD_LOGINUID"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_COMM)" try_open "IDGUARD_COMM"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_COUNT)" 1 "IDGUARD_COUNT"
	assert_eq "$(field_of $MSG_DENIED PRIORITY)" 4 "PRIORITY"
	# Not OBJECT_PID: journald would add the command line unfiltered.
	assert_eq "$(field_of $MSG_DENIED OBJECT_PID)" "" "OBJECT_PID"
	assert_match "$(field_of $MSG_DENIED IDGUARD_SESSION)" '^[0-9]+$' "IDGUARD_SESSION"
	msg=$(field_of $MSG_DENIED MESSAGE)
	assert_match "$msg" "^Refused nobody \(uid $NOBODY\) opening camera char $TEST_MAJOR:0 with try_open \(pid [0-9]+\): no purpose token$" "MESSAGE"
}

t_audit_mode_allows_and_logs_audited() {
	local out
	start_daemon
	# A node with no driver: allowed by the gate, then ENXIO from the kernel.
	write_policy <<-EOF
	[Class camera]
	Mode=audit
	Device=char $TEST_MAJOR:0
	[Class card-reader]
	Mode=audit
	Device=char 1:5
	EOF
	ctl reload >/dev/null
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "ENXIO 1" "driverless camera node in audit mode"
	# A real driver (1:5, zero): the data arrives.
	out=$(as_user $NOBODY "$TRY_OPEN" -r 16 "$T/zero")
	assert_eq "$out" "$(printf 'OK 1\nREAD 16')" "card-reader 1:5 in audit mode"
	wait_records 2 $MSG_AUDITED
	assert_eq "$(field_of $MSG_AUDITED IDGUARD_VERDICT IDGUARD_CLASS=card-reader)" audited "verdict"
	# Named after the kernel's node for 1:5 (sysfs), not our mknod'd copy.
	assert_eq "$(field_of $MSG_AUDITED IDGUARD_NODE IDGUARD_CLASS=card-reader)" /dev/zero "IDGUARD_NODE"
	assert_eq "$(field_of $MSG_AUDITED IDGUARD_NODE IDGUARD_CLASS=camera)" "" "IDGUARD_NODE of a node sysfs does not know"
	assert_eq "$(count_records $MSG_DENIED)" 0 "denied records in audit mode"
}

t_uid_grant_allows_and_record_names_the_grant() {
	local out id
	start_daemon
	out=$(ctl grant add --user nobody --class camera --minutes 5)
	assert_match "$out" "^Grant [0-9]+: nobody \(uid $NOBODY\) may use camera until " "grant add output"
	id=$(ctl grant list --json | jq -r '.grants[0].id')
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "ENXIO 1" "camera with a grant (allowed, then no driver)"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/scan")
	assert_eq "$out" "EPERM 1" "scanner with a camera-only grant"
	wait_records 1 $MSG_GRANTED
	assert_eq "$(field_of $MSG_GRANTED IDGUARD_GRANT_ID)" "$id" "IDGUARD_GRANT_ID"
	assert_eq "$(field_of $MSG_GRANTED IDGUARD_REASON)" uid-grant "IDGUARD_REASON"
	assert_eq "$(field_of $MSG_GRANTED IDGUARD_GRANT_SOURCE)" admin "IDGUARD_GRANT_SOURCE"
	assert_match "$(field_of $MSG_GRANTED MESSAGE)" "under grant $id: administrator grant, until " "MESSAGE"
	wait_records 1 $MSG_DENIED
	assert_eq "$(field_of $MSG_DENIED IDGUARD_REASON)" grant-other-class "reason for the scanner"
	assert_match "$(field_of $MSG_DENIED MESSAGE)" "the grants held do not cover scanner$" "MESSAGE"
	assert_eq "$(journal MESSAGE_ID=$MSG_GRANT_ADDED IDGUARD_GRANT_ID="$id" _PID="$DPID" | jq -r .IDGUARD_ADMIN)" root "grant-added record"
}

t_session_grant_covers_only_that_session() {
	local session out pid
	start_daemon
	# One login reports its audit session, waits for the grant, then opens.
	mkdir -m 1777 "$T/shared"
	as_user $NOBODY sh -c 'cat /proc/self/sessionid > "$1/shared/sid.tmp" && mv "$1/shared/sid.tmp" "$1/shared/sid"
		while [ ! -e "$1/shared/granted" ]; do sleep 0.05; done
		exec "$2" "$1/cam"' sh "$T" "$TRY_OPEN" > "$T/session.out" &
	pid=$!
	wait_until 10 test -s "$T/shared/sid" || fail "the session did not report its id"
	session=$(cat "$T/shared/sid")
	ctl grant add --user nobody --class camera --seconds 300 --session "$session" >/dev/null
	touch "$T/shared/granted"
	wait "$pid"
	assert_eq "$(cat "$T/session.out")" "ENXIO 1" "open in the granted session"
	# Same user, another login (a new audit session): refused.
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "EPERM 1" "open in another session of the same user"
	wait_records 1 $MSG_GRANTED
	assert_eq "$(field_of $MSG_GRANTED IDGUARD_REASON)" session-grant "IDGUARD_REASON"
	assert_eq "$(field_of $MSG_GRANTED IDGUARD_SESSION)" "$session" "IDGUARD_SESSION"
}

t_grant_expires_in_the_kernel_with_the_daemon_stopped() {
	local out
	start_daemon
	ctl grant add --user nobody --class camera --seconds 2 >/dev/null
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "ENXIO 1" "camera while the grant lives"
	stop_daemon
	# Nobody is left to remove the grant: the kernel must refuse by itself.
	wait_until 10 refused_now || fail "still allowed after the grant expired (daemon stopped)"
	start_daemon
	wait_records 1 $MSG_DENIED IDGUARD_REASON=grant-expired
	assert_match "$(field_of $MSG_DENIED MESSAGE IDGUARD_REASON=grant-expired)" "the grant expired at [0-9:]+$" "MESSAGE"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_TOKEN_EXPIRED _PID=$DPID | grep -q ." ||
		fail "no 'expired' record from the restarted daemon"
}

refused_now() {
	[ "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" = "EPERM 1" ]
}

t_exempt_cgroup_is_allowed_without_records() {
	local out
	mkdir "$CG/trusted"
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Device=char $TEST_MAJOR:0
	[Exempt]
	CGroup=${CG#"$CG2"}/trusted
	EOF
	start_daemon
	out=$(in_cgroup "$CG/trusted" "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "ENXIO 1" "open from the exempt cgroup"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "EPERM 1" "open from the guarded cgroup"
	wait_records 1 $MSG_DENIED
	assert_eq "$(journal IDGUARD_CGROUP_ID="$(cgroup_id "$CG/trusted")" | wc -l)" 0 "records from the exempt cgroup"
	assert_eq "$(ctl status --json | jq .counters.exempt)" 1 "exempt counter"
}

t_unwatched_device_is_allowed_without_records() {
	local out before
	start_daemon
	before=$(ctl status --json | jq .counters.decisions)
	out=$(as_user $NOBODY "$TRY_OPEN" -r 1 "$T/null")
	assert_eq "$out" "$(printf 'OK 1\nREAD 0')" "open of an unwatched 1:3 node"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam1")
	assert_eq "$out" "EPERM 1" "a watched node, as a marker that records flow"
	wait_records 1 $MSG_DENIED
	assert_eq "$(journal IDGUARD_CGROUP_ID="$(cgroup_id)" IDGUARD_DEVICE="char 1:3" | wc -l)" 0 "records for 1:3"
	assert_eq "$(ctl status --json | jq .counters.decisions)" $((before + 1)) "decisions counted"
}

t_mode_off_and_global_audit_cap() {
	local out
	write_policy <<-EOF
	[Global]
	Mode=audit
	[Class camera]
	Mode=enforce
	Device=char $TEST_MAJOR:0
	[Class scanner]
	Mode=off
	Device=char $TEST_MAJOR:16
	EOF
	start_daemon
	assert_eq "$(ctl status --json | jq -r .modes.camera)" audit "camera capped by [Global] Mode=audit"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "ENXIO 1" "camera under a global audit cap"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/scan")
	assert_eq "$out" "ENXIO 1" "scanner with Mode=off"
	wait_records 1 $MSG_AUDITED
	assert_eq "$(journal IDGUARD_CGROUP_ID="$(cgroup_id)" IDGUARD_CLASS=scanner | wc -l)" 0 "records for a class that is off"
}

# Where a kernel gives cgroup/dev programs no pid, comm or ancestor cgroup
# helpers (Linux 5.10), the programs read the same from the current task:
# --bpf-helpers=none takes that path here, and every fact must come out
# the same.
t_without_helpers_the_task_is_read_for_the_same_facts() {
	local out pid
	mkdir -p "$CG/trusted/worker"
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Device=char $TEST_MAJOR:0
	[Exempt]
	CGroup=${CG#"$CG2"}/trusted
	EOF
	start_daemon --bpf-helpers=none
	assert_eq "$(ctl status --json | jq -c .kernel.helpers)" '{"device":[],"connect":[]}' "helpers given to the programs"
	out=$(in_cgroup "$CG/trusted/worker" "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "ENXIO 1" "open from a child of the exempt cgroup"
	# The shell opens the node itself, so the record must name its pid.
	out=$(as_user $NOBODY sh -c 'echo "pid $$"; exec 3<"$0"' "$T/cam" 2>&1 || true)
	pid=$(sed -n 's/^pid //p' <<<"$out")
	assert_match "$out" "Operation not permitted" "open from the guarded cgroup"
	wait_records 1 $MSG_DENIED
	assert_eq "$(field_of $MSG_DENIED IDGUARD_PID)" "$pid" "IDGUARD_PID"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_TID)" "$pid" "IDGUARD_TID"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_COMM)" sh "IDGUARD_COMM"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_UID)" $NOBODY "IDGUARD_UID"
	assert_eq "$(ctl status --json | jq .counters.exempt)" 1 "exempt counter"
}

# A task deep below an exempt cgroup (here at level 20) is exempt whether
# the programs ask the kernel for the ancestors or walk up to them: both
# look at the same levels, 1 to 15, not at the nearest 15.
t_deep_cgroup_below_an_exempt_one_is_exempt_with_and_without_helpers() {
	local deep=$CG/trusted mode
	for i in $(seq 18); do deep=$deep/d$i; done
	mkdir -p "$deep"
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Device=char $TEST_MAJOR:0
	[Exempt]
	CGroup=${CG#"$CG2"}/trusted
	EOF
	for mode in auto none; do
		start_daemon --bpf-helpers=$mode
		assert_eq "$(in_cgroup "$deep" "$TRY_OPEN" "$T/cam")" "ENXIO 1" "open from level 20 below the exempt cgroup ($mode)"
		assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "open from the guarded cgroup ($mode)"
		stop_daemon
	done
}
