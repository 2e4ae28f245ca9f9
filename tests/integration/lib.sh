# Helpers for the root integration tests. Sourced by run.sh.
#
# Every test runs in its own subshell with its own throwaway cgroup v2 child,
# bpffs, state directory, socket and mknod'd nodes, all removed by
# cleanup_env even when the test fails. The daemon under test is started by
# us and stopped by its pid. Decisions are read back from a real journald
# (started by run.sh in a private mount namespace) with journalctl.

: "${BUILD:?BUILD must point at the build directory}"
IDGUARDD=$BUILD/idguardd
IDGUARDCTL=$BUILD/idguardctl
TRY_OPEN=$BUILD/helpers/try_open
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
TEST_MAJOR=240          # "local/experimental use" char major: no driver here
NOBODY=65534

fail() {
	echo "    FAIL: $*" >&2
	exit 1
}

note() {
	echo "    $*" >&2
}

assert_eq() { # ACTUAL EXPECTED WHAT
	[ "$1" = "$2" ] || fail "$3: expected '$2', got '$1'"
}

assert_match() { # TEXT REGEX WHAT
	# A here-string, not a pipe: grep -q may stop reading early.
	grep -Eq -- "$2" <<<"$1" || fail "$3: '$1' does not match /$2/"
}

assert_le() { # ACTUAL LIMIT WHAT
	[ "$1" -le "$2" ] || fail "$3: $1 is more than $2"
}

# wait_until SECONDS COMMAND...: polls a condition, never a bare sleep.
wait_until() {
	local limit=$1 start
	shift
	start=$(date +%s%N)
	until "$@"; do
		if [ $(( ($(date +%s%N) - start) / 1000000000 )) -ge "$limit" ]; then
			return 1
		fi
		sleep 0.05
	done
}

setup_env() {
	T=$(mktemp -d /tmp/idguard-test.XXXXXX)
	CG=$CG2/idguard-test-$$-$BASHPID
	mkdir "$CG"
	mkdir -p "$T/policy" "$T/state" "$T/bpffs" "$T/approvers"
	BPFFS=$T/bpffs/idguard
	SOCK=$T/ctl.sock
	mknod "$T/cam" c $TEST_MAJOR 0
	mknod "$T/cam1" c $TEST_MAJOR 1
	mknod "$T/scan" c $TEST_MAJOR 16
	mknod "$T/zero" c 1 5
	mknod "$T/null" c 1 3
	chmod 666 "$T/cam" "$T/cam1" "$T/scan" "$T/zero" "$T/null"
	chmod 755 "$T"
	# Records are matched by our cgroup's id, and a removed cgroup's inode
	# number is given again: only what the journal gets from here on counts.
	# (--after-cursor would be exact, but journalctl 252 finds nothing with
	# it once matches are given.)
	JOURNAL_SINCE=$(date +%s.%N | cut -c1-17)
	DPID=
	write_policy <<-EOF
	[Global]
	RepeatWindow=1s
	[Class camera]
	Mode=enforce
	Device=char $TEST_MAJOR:0-15
	[Class scanner]
	Mode=enforce
	Device=char $TEST_MAJOR:16
	[Class card-reader]
	Mode=audit
	Device=char 1:5
	EOF
}

# Approvers wang (account-opening only) and li (any purpose, and an
# approver-administrator), their keys in $T/keys, and the shipped purposes.
setup_tokens() {
	mkdir -p "$T/approvers" "$T/keys"
	"$IDGUARDCTL" key generate --id wang --user idgt-wang --dir "$T/keys" >/dev/null
	"$IDGUARDCTL" key generate --id li --user idgt-li --dir "$T/keys" >/dev/null
	printf '[Approver wang]\nUser=idgt-wang\nPublicKey=%s\nPurposes=account-opening\n' \
		"$(cat "$T/keys/wang.k4.public")" >"$T/approvers/wang.conf"
	printf '[Approver li]\nUser=idgt-li\nPublicKey=%s\nPurposes=*\nAdmin=yes\n' \
		"$(cat "$T/keys/li.k4.public")" >"$T/approvers/li.conf"
	cp "$BUILD/../policy/20-purposes.conf" "$T/policy/"
}

# as_clerk NAME COMMAND...: as_user, by login name.
as_clerk() {
	local name=$1
	shift
	as_user "$(id -u "$name")" "$@"
}

# clerk_ctl NAME ARGS...: idguardctl run by a clerk in the guarded cgroup.
clerk_ctl() {
	local name=$1
	shift
	as_clerk "$name" "$IDGUARDCTL" --socket "$SOCK" "$@"
}

# request_and_approve CLERK APPROVER PURPOSE CLASSES MINUTES: prints a token.
request_and_approve() {
	local code
	code=$(clerk_ctl "$1" token request --purpose "$3" --ref CASE-2026-0042 --class "$4" --minutes "$5" \
		--policy-dir "$T/policy" --json | jq -r .request)
	"$IDGUARDCTL" token approve "$code" --key "$T/keys/$2.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --yes 2>/dev/null
}

# holder_camera_policy WARN_BEFORE: the camera class on 1:5, which has a
# driver (so a program can hold it open past a grant's end), and the
# warning before a grant ends.
holder_camera_policy() {
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Device=char 1:5
	[Notify]
	WarnBefore=$1
	EOF
}

# Replaces the test policy with stdin.
write_policy() {
	cat > "$T/policy/50-test.conf"
}

kill_cgroup_procs() { # CGROUP
	local pid
	[ -d "$1" ] || return 0
	for pid in $(cat "$1/cgroup.procs" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null || true
	done
	wait_until 5 sh -c "[ -z \"\$(cat '$1/cgroup.procs' 2>/dev/null)\" ]" || true
}

# Closing its input makes the umockdev testbed helper remove the testbed.
stop_testbed() {
	if [ -n "${TESTBED_PID:-}" ]; then
		eval "exec ${TESTBED[1]}>&-" 2>/dev/null || true
		wait_until 5 sh -c "! kill -0 $TESTBED_PID 2>/dev/null" || kill "$TESTBED_PID" 2>/dev/null || true
	fi
}

cleanup_env() {
	local sub
	for hook in ${CLEANUP_HOOKS:-}; do "$hook" || true; done
	stop_daemon
	stop_testbed
	if [ -n "${LOOP_DEVICE:-}" ]; then
		"$BUILD/helpers/loopdev" remove "$LOOP_DEVICE" || echo "    warning: could not remove loop$LOOP_DEVICE" >&2
	fi
	# Child cgroups at any depth, the deepest first.
	for sub in $(find "$CG" -mindepth 1 -depth -type d 2>/dev/null); do
		kill_cgroup_procs "$sub"
		rmdir "$sub" 2>/dev/null || true
	done
	kill_cgroup_procs "$CG"
	rmdir "$CG" 2>/dev/null || echo "    warning: could not remove $CG" >&2
	if [ -d "$BPFFS" ]; then
		"$IDGUARDCTL" --socket "$SOCK" uninstall --force --bpffs-dir "$BPFFS" >/dev/null ||
			echo "    warning: uninstall of $BPFFS failed" >&2
	fi
	mountpoint -q "$T/bpffs" && umount "$T/bpffs"
	rm -rf "$T"
}

daemon_args() {
	echo --foreground --cgroup "$CG" --bpffs-dir "$BPFFS" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --state-dir "$T/state" --socket "$SOCK"
}

ctl() {
	"$IDGUARDCTL" --socket "$SOCK" "$@"
}

daemon_answers() {
	ctl status --json >/dev/null 2>&1
}

start_daemon() {
	# shellcheck disable=SC2046
	"$IDGUARDD" $(daemon_args) "$@" >>"$T/daemon.log" 2>&1 &
	DPID=$!
	wait_until 15 daemon_answers || fail "idguardd did not start: $(tail -5 "$T/daemon.log")"
}

# Stops the daemon we started, by its pid.
stop_daemon() {
	if [ -n "${DPID:-}" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		wait "$DPID" 2>/dev/null || true
	fi
	DPID=
}

# as_user UID COMMAND...: runs COMMAND in the test cgroup as UID, with a
# login uid (so it gets an audit session, as a logged-in clerk would).
as_user() {
	local uid=$1
	shift
	sh -c 'echo $$ > "$1/cgroup.procs" && echo "$2" > /proc/self/loginuid && shift 2 &&
		exec setpriv --reuid="$0" --regid="$0" --clear-groups "$@"' "$uid" "$CG" "$uid" "$@"
}

# in_cgroup CGROUP COMMAND...: runs COMMAND as root in another cgroup.
in_cgroup() {
	local cg=$1
	shift
	sh -c 'echo $$ > "$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# journal [MATCH...]: this test's records as JSON lines.
journal() {
	journalctl --no-pager --directory="$JOURNAL_DIR" -o json "$@" 2>/dev/null
}

# The cgroup id of our test cgroup, as IDGUARD_CGROUP_ID records it.
cgroup_id() {
	stat -c %i "${1:-$CG}"
}

# count_records MESSAGE_ID [MATCH...]: records for our cgroup.
count_records() {
	local id=$1
	shift
	journal ${JOURNAL_SINCE:+--since=@$JOURNAL_SINCE} MESSAGE_ID="$id" IDGUARD_CGROUP_ID="$(cgroup_id)" "$@" | wc -l
}

# sum_counts MESSAGE_ID [MATCH...]: sum of IDGUARD_COUNT over records.
sum_counts() {
	local id=$1
	shift
	journal ${JOURNAL_SINCE:+--since=@$JOURNAL_SINCE} MESSAGE_ID="$id" IDGUARD_CGROUP_ID="$(cgroup_id)" "$@" |
		jq -s 'map(.IDGUARD_COUNT | tonumber) | add // 0'
}

# field_of MESSAGE_ID FIELD [MATCH...]: FIELD of the last matching record.
field_of() {
	local id=$1 field=$2
	shift 2
	journal ${JOURNAL_SINCE:+--since=@$JOURNAL_SINCE} MESSAGE_ID="$id" IDGUARD_CGROUP_ID="$(cgroup_id)" "$@" |
		tail -n 1 | jq -r ".$field // empty"
}

# The message ids (bpf/../agent/lib/journal.h).
MSG_DENIED=4388eff3830246b8a36ebe694f645030
MSG_AUDITED=79c9602e7c0149ce93c13e57dc3441a4
MSG_GRANTED=692a64ee623e423a889a20bd512f4228
MSG_TOKEN_EXPIRED=f234d5a927d14f4880f834d2d1cf5459
MSG_EVENTS_LOST=ebf8d6be1a6e4b009ac6aa2721645cc9
MSG_STARTED=41bfc5007ccc48cf8eb0ea6d6f4b932f
MSG_STOPPED=8aebb73e4c4a43e8b2f1232c254ff24d
MSG_POLICY_LOADED=ee1405e71e7045818a345b660630a407
MSG_POLICY_REJECTED=33a70e7e572f46e3a158f7ea84dd8e61
MSG_TAMPER=9248df4902834102b2dedf4a8ee85ec9
MSG_GRANT_ADDED=03ea3c7821fe46ccbc3481e0af3a7056
MSG_GRANT_REMOVED=6ff8a0ea10164df3ac950645b286e001
MSG_TOKEN_REDEEMED=60fe6864156b4b3d9c5e283412ab4291
MSG_TOKEN_REJECTED=3c277bfaf5874c46b82fc59a6661218e
MSG_TOKEN_REVOKED=4d479a24989b408eba3130061aef94cf
MSG_HANDLE_ENDED=9d1b644607994bbc93c38b2518339e29
MSG_CLIENT_CLOSED=841bbcb0a4cc4e00956a9f1970f63dd4

has_records() { # N MESSAGE_ID [MATCH...]
	local n=$1
	shift
	[ "$(count_records "$@")" -ge "$n" ]
}

# wait_records N MESSAGE_ID [MATCH...]: waits (bounded) for our cgroup's records.
wait_records() {
	wait_until 10 has_records "$@" ||
		fail "expected at least $1 record(s) with MESSAGE_ID=$2 ${*:3}; found $(count_records "${@:2}")"
}
