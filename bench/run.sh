#!/bin/bash
# make bench: what idguard costs per open, and under a flood, measured side
# by side with no agent and with an auditd watch on the same node, in one
# interleaved run. Needs root.
#
#   BUILD=build bench/run.sh [HARNESS OPTIONS]     (bench/run.sh --help)
#
# Prepares, inside a private mount namespace:
#   - a journald of our own (tests/private-journald.sh);
#   - a throwaway cgroup $CG2/idguard-bench-PID with guarded/ (where idguardd
#     attaches) and plain/ (no program: "no agent" and "auditd");
#   - nodes: unwatched (mknod char 1:3), file (a regular file) and watched
#     (mknod char 10:229, the fuse device: it opens and closes without side
#     effects, so a granted open really opens a device);
#   - the shipped policy, plus the watched node and 999 more Device= entries
#     in the scanner class: 1,000 watched devices;
#   - idguardd attached to guarded/, and 1,000 uid grants for the scanner
#     class, one of them the granted clerk's;
# then runs build/idguard-bench and removes all of it again, even when
# something fails. Every process it stops, it stops by pid.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
HARNESS=$BUILD/idguard-bench
IDGUARDD=$BUILD/idguardd
IDGUARDCTL=$BUILD/idguardctl
REFUSED_UID=65534           # nobody: a clerk with no grant
GRANT_UID_BASE=300000       # the 1,000 grant holders; the last one is the granted clerk
GRANTS=1000
EXTRA_DEVICES=999

case "${1:-}" in
-h | --help)
	sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'
	echo
	exec "$HARNESS" --help
	;;
esac

die() {
	echo "bench: $*" >&2
	exit 1
}

[ "$(id -u)" = 0 ] || die "needs root (it loads BPF programs and starts auditd)"
for file in "$HARNESS" "$IDGUARDD" "$IDGUARDCTL"; do
	[ -x "$file" ] || die "$file is missing: run 'make bench'"
done
command -v auditctl >/dev/null || die "auditctl is missing: run 'make deps-bench'"

if [ -z "${IDG_BENCH_IN_NAMESPACE:-}" ]; then
	export IDG_BENCH_IN_NAMESPACE=1
	exec unshare --mount --propagation private "$0" "$@"
fi

RUN=$(mktemp -d /tmp/idguard-bench.XXXXXX)
chmod 755 "$RUN"
CG2=$(awk '$9 == "cgroup2" { print $5; exit }' /proc/self/mountinfo)
[ -n "$CG2" ] || die "no cgroup2 mount"
BASE=$CG2/idguard-bench-$$
BPFFS=$RUN/bpffs/idguard
SOCK=$RUN/ctl.sock
DPID=
# shellcheck source=../tests/private-journald.sh
. "$ROOT/tests/private-journald.sh"

kill_cgroup_procs() { # CGROUP: only our harness's workers can be there
	local pid
	for pid in $(cat "$1/cgroup.procs" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null || true
	done
	for _ in $(seq 50); do
		[ -z "$(cat "$1/cgroup.procs" 2>/dev/null)" ] && return
		sleep 0.1
	done
}

cleanup() {
	local cg
	if [ -n "$DPID" ] && kill -0 "$DPID" 2>/dev/null; then
		kill -TERM "$DPID"
		wait "$DPID" 2>/dev/null || true
	fi
	# Deepest first: the harness's leaves, then guarded/ and plain/, then BASE.
	for cg in "$BASE"/*/*/ "$BASE"/*/ "$BASE"; do
		[ -d "$cg" ] || continue
		kill_cgroup_procs "$cg"
		rmdir "$cg" 2>/dev/null || echo "bench: warning: could not remove $cg" >&2
	done
	if [ -d "$BPFFS" ]; then
		"$IDGUARDCTL" --socket "$SOCK" uninstall --force --bpffs-dir "$BPFFS" >/dev/null ||
			echo "bench: warning: could not remove the pinned programs in $BPFFS" >&2
	fi
	mountpoint -q "$RUN/bpffs" && umount "$RUN/bpffs"
	# What a harness killed outright (SIGKILL) could not put back itself: its
	# audit rules, the auditd it started, audit's switch and backlog limit.
	auditctl -W "$RUN/nodes/watched" -p r -k idguard-bench >/dev/null 2>&1 || true
	auditctl -d task,never -F fsgid=2147483646 >/dev/null 2>&1 || true
	if [ -f "$RUN/auditd.state" ]; then
		# shellcheck disable=SC1091
		. "$RUN/auditd.state"
		if [ "$(cat "/proc/$AUDITD_PID/comm" 2>/dev/null)" = auditd ]; then
			kill -TERM "$AUDITD_PID"
			for _ in $(seq 50); do kill -0 "$AUDITD_PID" 2>/dev/null || break; sleep 0.1; done
		fi
		[ "${AUDIT_BACKLOG:-0}" -gt 0 ] && auditctl -b "$AUDIT_BACKLOG" >/dev/null 2>&1
		[ "${AUDIT_WAS_ENABLED:-1}" = 0 ] && auditctl -e 0 >/dev/null 2>&1
	fi
	stop_private_journald
	rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_private_journald "$RUN" || die "journald did not start: $JOURNALD_ERROR"
mkdir "$BASE" "$BASE/guarded" "$BASE/plain" || die "cannot create cgroups under $CG2"

mkdir "$RUN/nodes" "$RUN/policy" "$RUN/state" "$RUN/approvers"
mknod "$RUN/nodes/unwatched" c 1 3
mknod "$RUN/nodes/watched" c 10 229
printf 'not a card\n' > "$RUN/nodes/file"
chmod 666 "$RUN/nodes/unwatched" "$RUN/nodes/watched" "$RUN/nodes/file"
chmod 755 "$RUN/nodes"

cp "$ROOT"/policy/*.conf "$RUN/policy/"
{
	echo "# The benchmark's scanner: the watched node and 999 more entries."
	echo "[Class scanner]"
	echo "Device=char 10:229"
	for minor in $(seq 0 $((EXTRA_DEVICES - 1))); do
		echo "Device=char 241:$minor"
	done
} > "$RUN/policy/90-bench.conf"

echo "bench: starting idguardd (policy: shipped + $((EXTRA_DEVICES + 1)) scanner nodes)" >&2
"$IDGUARDD" --foreground --cgroup "$BASE/guarded" --bpffs-dir "$BPFFS" --policy-dir "$RUN/policy" \
	--approvers-dir "$RUN/approvers" --state-dir "$RUN/state" --socket "$SOCK" >"$RUN/idguardd.log" 2>&1 &
DPID=$!
for _ in $(seq 150); do
	"$IDGUARDCTL" --socket "$SOCK" status --json >/dev/null 2>&1 && break
	kill -0 "$DPID" 2>/dev/null || die "idguardd stopped: $(tail -5 "$RUN/idguardd.log")"
	sleep 0.1
done
"$IDGUARDCTL" --socket "$SOCK" status --json >/dev/null 2>&1 || die "idguardd did not answer: $(tail -5 "$RUN/idguardd.log")"

echo "bench: adding $GRANTS scanner grants" >&2
for i in $(seq 0 $((GRANTS - 1))); do
	"$IDGUARDCTL" --socket "$SOCK" grant add --user $((GRANT_UID_BASE + i)) --class scanner --minutes 120 \
		>/dev/null || die "grant $i failed"
done

"$HARNESS" --cgroup "$BASE" --nodes "$RUN/nodes" --work-dir "$RUN" --bpffs-dir "$BPFFS" \
	--journal-dir "$JOURNAL_DIR" --daemon-pid "$DPID" --journald-pid "$JOURNALD_PID" --refused-uid "$REFUSED_UID" \
	--granted-uid $((GRANT_UID_BASE + GRANTS - 1)) "$@"
