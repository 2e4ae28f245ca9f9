# The daemon's life cycle: fail-closed through crashes and stops, restarts
# without a gap, events from the downtime, floods, policy errors, privileges.
# shellcheck shell=bash

t_kill9_keeps_enforcing_and_restart_delivers_downtime_events() {
	local out
	start_daemon
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "EPERM 1" "refused while the daemon runs"
	wait_records 1 $MSG_DENIED
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null || true
	DPID=
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam1")
	assert_eq "$out" "EPERM 1" "refused after kill -9 of the daemon"
	assert_eq "$(count_records $MSG_DENIED IDGUARD_DEVICE="char $TEST_MAJOR:1")" 0 "records while no daemon runs"
	start_daemon
	assert_match "$(tail -n 3 "$T/daemon.log")" "restart: new program swapped into the pinned link" "restart path"
	wait_records 1 $MSG_DENIED IDGUARD_DEVICE="char $TEST_MAJOR:1"
	assert_eq "$(ctl status --json | jq .link.attached)" true "link attached after the restart"
}

t_sigterm_leaves_enforcement_and_status_says_so() {
	local out status
	start_daemon
	kill -TERM "$DPID"
	wait "$DPID"
	status=$?
	DPID=
	assert_eq "$status" 0 "exit status after SIGTERM"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "EPERM 1" "refused after a clean stop"
	out=$(ctl status --bpffs-dir "$BPFFS" 2>/dev/null) && status=0 || status=$?
	assert_eq "$status" 3 "status exit code with the daemon stopped"
	assert_match "$out" "STILL ENFORCING" "status text with the daemon stopped"
	out=$(ctl status --json --bpffs-dir "$BPFFS" 2>/dev/null) || true
	assert_eq "$(echo "$out" | jq -c '[.running, .link_attached, .counters.denied]')" "[false,true,1]" "status --json"
	assert_match "$(journal MESSAGE_ID=$MSG_STOPPED IDGUARD_CGROUP="$CG" | jq -r .MESSAGE)" \
		"enforcement continues through the programs pinned in" "stopped record"
}

t_flood_of_a_million_refusals_is_counted_exactly() {
	local out records sum lost
	start_daemon
	out=$(as_user $NOBODY "$TRY_OPEN" -n 250000 -P 4 "$T/cam")
	assert_eq "$out" "EPERM 1000000" "outcome of 1,000,000 opens"
	wait_until 30 sh -c "[ \"\$(journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_DENIED IDGUARD_CGROUP_ID=$(cgroup_id) | jq -s 'map(.IDGUARD_COUNT|tonumber)|add')\" = 1000000 ]" ||
		fail "journal counts add up to $(sum_counts $MSG_DENIED), not 1000000"
	records=$(count_records $MSG_DENIED)
	sum=$(sum_counts $MSG_DENIED)
	lost=$(ctl status --json | jq .counters.lost_attempts)
	note "1000000 refused opens -> $records journal records, counts sum to $sum, $lost attempts lost"
	assert_eq "$sum" 1000000 "sum of IDGUARD_COUNT"
	assert_le "$records" 1000 "journal records for the flood"
	assert_eq "$lost" 0 "attempts in lost records"
	assert_eq "$(ctl status --json | jq .counters.denied)" 1000000 "denied counter"
	assert_match "$(journal MESSAGE_ID=$MSG_DENIED IDGUARD_CGROUP_ID="$(cgroup_id)" IDGUARD_EVENT=repeat | head -n 1 | jq -r .MESSAGE)" \
		"more times in [0-9.]+ s: no purpose token$" "repeat record text"
}

t_invalid_policy_at_start_is_refused_with_file_and_line() {
	local status
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Device=char $TEST_MAJOR:banana
	EOF
	"$IDGUARDD" $(daemon_args) >"$T/out" 2>&1 && status=0 || status=$?
	assert_eq "$status" 1 "exit status"
	assert_match "$(cat "$T/out")" "50-test.conf:3: error: minor 'banana' is not a number" "stderr"
	assert_match "$(cat "$T/out")" "not started" "stderr"
	[ ! -e "$BPFFS/link_dev" ] || fail "a link was pinned although the policy was invalid"
	assert_match "$(journal MESSAGE_ID=$MSG_POLICY_REJECTED | jq -r .IDGUARD_POLICY_ERROR | grep -F "$T")" \
		"50-test.conf:3: error: minor 'banana'" "policy-rejected record"
}

t_invalid_policy_on_reload_keeps_the_old_policy() {
	local out status
	start_daemon
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Moed=audit
	EOF
	kill -HUP "$DPID"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_POLICY_REJECTED _PID=$DPID | grep -q ." ||
		fail "no policy-rejected record after SIGHUP"
	assert_match "$(journal MESSAGE_ID=$MSG_POLICY_REJECTED _PID="$DPID" | jq -r .MESSAGE)" \
		"the previous policy stays in force\\): .*50-test.conf:3: error: unknown key 'Moed'" "policy-rejected record"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "EPERM 1" "the old policy still refuses"
	out=$(ctl reload 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "idguardctl reload exit status"
	assert_match "$out" "50-test.conf:3: error: unknown key 'Moed' in \[Class camera\]" "idguardctl reload message"
	assert_eq "$(ctl devices --json | jq '.entries | length')" 3 "watched entries kept"
}

# Issue 13: a FIFO named *.conf in a policy directory hung `idguardctl policy
# check`, and on a reload the daemon, for good (open() waited for a writer).
# Only regular files are read; the FIFO is refused, naming it, at once.
t_policy_fifo_refused_without_hanging() {
	local out status
	start_daemon
	mkfifo "$T/policy/x.conf"
	out=$(timeout 10 "$IDGUARDCTL" policy check --policy-dir "$T/policy" --approvers-dir "$T/approvers" 2>&1) &&
		status=0 || status=$?
	assert_eq "$status" 1 "idguardctl policy check exit status (124: it hung)"
	assert_match "$out" "$T/policy/x.conf: error: is a FIFO, not a regular file" "policy check message"
	out=$(timeout 10 "$IDGUARDCTL" --socket "$SOCK" reload 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "idguardctl reload exit status (124: it hung)"
	assert_match "$out" "$T/policy/x.conf: error: is a FIFO, not a regular file" "idguardctl reload message"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_POLICY_REJECTED _PID=$DPID | grep -q ." ||
		fail "no policy-rejected record after the reload"
	assert_match "$(journal MESSAGE_ID=$MSG_POLICY_REJECTED _PID="$DPID" | jq -r .MESSAGE)" \
		"the previous policy stays in force\\): .*x.conf: error: is a FIFO" "policy-rejected record"
	timeout 10 "$IDGUARDCTL" --socket "$SOCK" status --json >/dev/null || fail "idguardd no longer answers"
	assert_eq "$(ctl devices --json | jq '.entries | length')" 3 "watched entries kept"
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "the previous policy still refuses"
}

t_reload_applies_a_new_policy_exactly() {
	local out
	start_daemon
	write_policy <<-EOF
	[Class scanner]
	Mode=enforce
	Device=char $TEST_MAJOR:1
	EOF
	out=$(ctl reload)
	assert_match "$out" "Policy reloaded: 1 watched device entries" "reload output"
	assert_eq "$(ctl devices --json | jq -c '[.entries[] | [.class, .device]]')" "[[\"scanner\",\"char $TEST_MAJOR:1\"]]" "devices"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "ENXIO 1" "a device no longer listed is not watched"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam1")
	assert_eq "$out" "EPERM 1" "the newly listed device is refused"
	wait_records 1 $MSG_DENIED IDGUARD_CLASS=scanner
}

t_uninstall_removes_enforcement_only_when_asked() {
	local out status
	start_daemon
	out=$(ctl uninstall --bpffs-dir "$BPFFS" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "uninstall while the daemon runs"
	assert_match "$out" "idguardd is running \(pid $DPID\); stop it first" "uninstall refusal"
	stop_daemon
	out=$(ctl uninstall --bpffs-dir "$BPFFS")
	assert_match "$out" "^Detached the kernel gate and removed the pins in $BPFFS" "uninstall output"
	[ ! -e "$BPFFS" ] || fail "$BPFFS still exists"
	out=$(as_user $NOBODY "$TRY_OPEN" "$T/cam")
	assert_eq "$out" "ENXIO 1" "open after uninstall"
}

t_privileges_are_dropped_after_setup() {
	local status
	start_daemon
	status=$(cat /proc/"$DPID"/status)
	assert_match "$status" $'Uid:\t0\t0\t0\t0' "still uid 0 (for journald's OBJECT_PID)"
	# Only what ending a grant's open handles needs: CAP_DAC_READ_SEARCH (2),
	# CAP_KILL (5) and CAP_SYS_PTRACE (19).
	assert_match "$status" $'CapPrm:\t0000000000080024' "permitted capabilities"
	assert_match "$status" $'CapEff:\t0000000000080024' "effective capabilities"
	assert_match "$status" $'CapBnd:\t0000000000080024' "bounding set"
	assert_match "$status" $'CapAmb:\t0000000000000000' "ambient capabilities"
	assert_match "$status" $'NoNewPrivs:\t1' "no_new_privs"
	# Everything still works without capabilities: grants, reload, records.
	ctl grant add --user nobody --class camera --minutes 1 >/dev/null
	ctl reload >/dev/null
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "ENXIO 1" "grant written without capabilities"
}

# The device gate is attached twice: the main program and, after it, a
# standby that decides only what the main one did not see. Detaching one
# link is recorded as tamper, but never leaves a moment unguarded, and no
# open is ever decided (or recorded) twice.
denied_count() {
	ctl status --json --bpffs-dir "$BPFFS" 2>/dev/null | jq .counters.denied
}

t_detached_link_is_tamper_and_the_standby_keeps_enforcing() {
	local link standby status before
	start_daemon
	before=$(denied_count)
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "refused with both links"
	assert_eq "$(denied_count)" "$((before + 1))" "one decision for one open, not two"
	link=$(ctl status --json | jq .link.link_id)
	standby=$(bpftool -j link show pinned "$BPFFS/link_dev_standby" | jq .id)
	bpftool link detach id "$link"
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "refused by the standby with the main link detached"
	assert_eq "$(denied_count)" "$((before + 2))" "the standby decided it, once"
	wait_until 15 sh -c "! kill -0 $DPID 2>/dev/null" || fail "the daemon kept running with its link detached"
	wait "$DPID" && status=0 || status=$?
	DPID=
	assert_eq "$status" 1 "exit status after tamper"
	assert_match "$(journal MESSAGE_ID=$MSG_TAMPER | jq -r .MESSAGE | grep -F "$CG")" \
		"Tamper: the cgroup/dev link was detached from $CG by someone else" "tamper record"
	# What systemd's Restart=always then does: a new start guards again.
	# The standby's link, which kept guarding, takes the main program, and
	# a new standby follows it: no open is decided by an old standby and a
	# new main program both.
	start_daemon
	assert_eq "$(ctl status --json | jq .link.link_id)" "$standby" "the standby's link became the main one"
	assert_match "$(journal MESSAGE_ID=$MSG_STARTED _PID="$DPID" | jq -r .MESSAGE)" \
		"\(pinned enforcement continued without a gap\)" "start record"
	before=$(denied_count)
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "refused again after the restart"
	assert_eq "$(denied_count)" "$((before + 1))" "after the restart, still one decision per open"
	wait_records 3 $MSG_DENIED
	assert_eq "$(count_records $MSG_DENIED)" 3 "one record per refused open"
}

t_detached_standby_link_is_tamper_and_a_new_standby_follows() {
	local standby before
	start_daemon
	standby=$(bpftool -j link show pinned "$BPFFS/link_dev_standby" | jq .id)
	bpftool link detach id "$standby"
	before=$(denied_count)
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "refused by the main program alone"
	assert_eq "$(denied_count)" "$((before + 1))" "decided once"
	wait_until 15 sh -c "! kill -0 $DPID 2>/dev/null" || fail "the daemon kept running with its standby detached"
	DPID=
	assert_match "$(journal MESSAGE_ID=$MSG_TAMPER | jq -r .MESSAGE | grep -F "$CG")" \
		"Tamper: the cgroup/dev \(standby\) link was detached from $CG by someone else" "tamper record"
	start_daemon
	[ "$(bpftool -j link show pinned "$BPFFS/link_dev_standby" | jq .id)" != "$standby" ] ||
		fail "no new standby link"
	before=$(denied_count)
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "refused after the restart"
	assert_eq "$(denied_count)" "$((before + 1))" "decided once, by the main program before the new standby"
}

# The main program's mark of an open is taken away by the standby in the
# same call. A mark left while the standby was detached must not let that
# thread's next open through once the standby is back and the main link
# is detached in turn: a shell (one thread) opens, waits across both, and
# opens again.
t_a_mark_left_while_the_standby_was_detached_stands_for_nothing() {
	local standby out
	start_daemon
	mkfifo "$T/go"
	chmod 666 "$T/go"
	standby=$(bpftool -j link show pinned "$BPFFS/link_dev_standby" | jq .id)
	bpftool link detach id "$standby"
	# The shell itself opens (a builtin's redirection, no subshell), so both
	# opens come from one thread; bash names the error on stderr.
	as_user $NOBODY bash -c '{ true 3<"$0"; } 2>&1; echo first; read -r _ <"$1"
		{ true 3<"$0"; } 2>&1; echo second' "$T/cam" "$T/go" >"$T/out" &
	wait_until 10 grep -q first "$T/out" || fail "the shell did not open"
	wait_until 15 sh -c "! kill -0 $DPID 2>/dev/null" || fail "the daemon kept running with its standby detached"
	DPID=
	start_daemon
	bpftool link detach id "$(ctl status --json | jq .link.link_id)"
	echo go >"$T/go"
	wait_until 10 grep -q second "$T/out" || fail "the shell did not open again"
	out=$(sed 's/.*: //' "$T/out")
	assert_eq "$out" $'Operation not permitted\nfirst\nOperation not permitted\nsecond' "both opens refused"
}

t_grants_survive_a_daemon_restart() {
	local id
	start_daemon
	ctl grant add --user nobody --class camera --minutes 10 >/dev/null
	id=$(ctl grant list --json | jq '.grants[0].id')
	stop_daemon
	start_daemon
	assert_eq "$(ctl grant list --json | jq '.grants[0].id')" "$id" "grant listed after the restart"
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "ENXIO 1" "grant honoured after the restart"
	ctl grant remove "$id" >/dev/null
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "refused at once after grant remove"
	assert_eq "$(journal MESSAGE_ID=$MSG_GRANT_REMOVED _PID="$DPID" | jq -r .IDGUARD_GRANT_ID)" "$id" "grant-removed record"
}

t_background_mode_returns_once_ready() {
	local pid
	# shellcheck disable=SC2046
	"$IDGUARDD" $(daemon_args | sed 's/--foreground//') 2>>"$T/daemon.log" ||
		fail "idguardd in the background failed to start: $(cat "$T/daemon.log")"
	daemon_answers || fail "not answering right after the parent returned"
	pid=$(ctl status --json | jq .pid)
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "refused"
	kill -TERM "$pid"
	wait_until 10 sh -c "! kill -0 $pid 2>/dev/null" || fail "background daemon did not stop"
}

t_systemd_notify_ready_status_and_watchdog() {
	local sink
	"$BUILD/helpers/notify_sink" "$T/notify.sock" "$T/notify.log" &
	sink=$!
	wait_until 5 test -S "$T/notify.sock" || fail "notify sink did not start"
	NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=2000000 start_daemon
	wait_until 10 grep -q '^WATCHDOG=1$' "$T/notify.log" || fail "no WATCHDOG=1: $(cat "$T/notify.log")"
	grep -q '^READY=1$' "$T/notify.log" || fail "no READY=1"
	assert_match "$(grep '^STATUS=' "$T/notify.log" | tail -n 1)" \
		"^STATUS=Watching 3 device entries; [0-9]+ denied, [0-9]+ audited, [0-9]+ granted; 0 records lost$" "STATUS="
	kill -HUP "$DPID"
	wait_until 10 grep -q '^RELOADING=1$' "$T/notify.log" || fail "no RELOADING=1 on SIGHUP"
	stop_daemon
	grep -q '^STOPPING=1$' "$T/notify.log" || fail "no STOPPING=1"
	kill "$sink"
	wait "$sink" 2>/dev/null || true
}

t_folded_and_lost_counts_are_reported_periodically() {
	write_policy <<-EOF
	[Global]
	StatsInterval=1s
	[Class camera]
	Mode=enforce
	Device=char $TEST_MAJOR:0
	EOF
	start_daemon
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" -n 500 "$T/cam")" "EPERM 500" "500 refused opens"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_EVENTS_LOST _PID=$DPID | grep -q ." ||
		fail "no counters report"
	assert_eq "$(journal MESSAGE_ID=$MSG_EVENTS_LOST _PID="$DPID" | jq -s 'map(.IDGUARD_FOLDED | tonumber) | add')" 499 \
		"attempts folded into counts, as reported"
	assert_eq "$(journal MESSAGE_ID=$MSG_EVENTS_LOST _PID="$DPID" | tail -n 1 | jq -r .IDGUARD_LOST_EVENTS)" 0 "records lost"
	assert_match "$(journal MESSAGE_ID=$MSG_EVENTS_LOST _PID="$DPID" | tail -n 1 | jq -r .MESSAGE)" \
		"^Folded 499 repeated attempts into counted records \(see IDGUARD_COUNT\); no records lost$" "report text"
}

t_a_second_daemon_is_refused_before_touching_the_pins() {
	local out status
	start_daemon
	# Same pins, another socket and a policy that would unwatch everything.
	mkdir "$T/other-policy"
	printf '[Global]\nMode=off\n' >"$T/other-policy/50.conf"
	out=$("$IDGUARDD" --foreground --cgroup "$CG" --bpffs-dir "$BPFFS" --policy-dir "$T/other-policy" \
		--state-dir "$T/other-state" --socket "$T/other.sock" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "exit status of the second daemon"
	assert_match "$out" "another idguardd is running with the pins in $BPFFS" "refusal"
	assert_eq "$(as_user $NOBODY "$TRY_OPEN" "$T/cam")" "EPERM 1" "the first daemon's policy still enforced"
	# Same socket: refused too.
	out=$("$IDGUARDD" $(daemon_args) 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "exit status with the socket in use"
	assert_match "$out" "another idguardd already listens on $SOCK" "refusal"
	assert_eq "$(ctl status --json | jq .pid)" "$DPID" "the first daemon still answers"
}
