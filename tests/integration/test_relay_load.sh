# The approval relay under load: a branch network's worth of workstations
# (200 by default, IDGUARD_RELAY_LOAD_WORKSTATIONS=N for another number),
# each a real idguardd with its own gate cgroup, pins, state database and
# socket, and its own idguard-relay with its own certificate, all on one
# "branch LAN" namespace; the broker and the supervisor's PC in theirs.
# Every clerk asks at once; supervisors answer from the inbox; every
# request must be answered and granted on its own workstation. The times
# are reported (docs/performance.md), not asserted: a test is no
# benchmark.
# shellcheck shell=bash

# shellcheck source=broker_lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/broker_lib.sh"

LOAD_PIDS=()

load_cleanup() {
	local pid dir
	for pid in "${LOAD_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${LOAD_PIDS[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	LOAD_PIDS=()
	for dir in "$T"/bpffs/ws-*; do
		[ -d "$dir" ] && "$IDGUARDCTL" uninstall --force --bpffs-dir "$dir" >/dev/null 2>&1
	done
	return 0
}

ws_name() { # I -> ws-001
	printf 'ws-%03d' "$1"
}

# One workstation: idguardd for a gate cgroup of its own, and its relay.
load_start_workstation() {
	local i=$1 name
	name=$(ws_name "$i")
	mkdir -p "$CG/$name" "$T/state/$name"
	"$IDGUARDD" --foreground --cgroup "$CG/$name" --bpffs-dir "$T/bpffs/$name" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --state-dir "$T/state/$name" --socket "$T/sock/$name" \
		>>"$T/log/$name.daemon" 2>&1 &
	LOAD_PIDS+=($!)
}

load_start_relay() {
	local i=$1 name
	name=$(ws_name "$i")
	cat >"$T/relay/$name.conf" <<-EOF
	[Broker]
	Address=$BROKER_ADDR
	CA=$BROKER_PKI/ca.crt
	Certificate=$BROKER_PKI/$name.crt
	Key=$BROKER_PKI/$name.key
	Name=$name
	EOF
	ip netns exec "$LAN_NS" "$BUILD/idguard-relay" --config "$T/relay/$name.conf" --socket "$T/sock/$name" \
		>>"$T/log/$name.relay" 2>&1 &
	LOAD_PIDS+=($!)
}

daemons_answer() {
	local i
	for i in $(seq 1 "$LOAD_N"); do
		"$IDGUARDCTL" --socket "$T/sock/$(ws_name "$i")" status --json >/dev/null 2>&1 || return 1
	done
}

relays_connected() {
	local i
	for i in $(seq 1 "$LOAD_N"); do
		[ "$("$IDGUARDCTL" --socket "$T/sock/$(ws_name "$i")" status --json | jq -r .relay.connected)" = true ] ||
			return 1
	done
}

records_since() { # MESSAGE_ID [MATCH...]: how many, from every workstation
	local id=$1
	shift
	journal --since=@"$LOAD_SINCE" MESSAGE_ID="$id" "$@" | grep -c . || true
}

all_records() { # N MESSAGE_ID [MATCH...]
	local n=$1
	shift
	[ "$(records_since "$@")" -ge "$n" ]
}

inbox_holds() { # N
	[ "$(in_ns "$SUP_NS" "$IDGUARDCTL" token inbox --json --relay "$T/wang.conf" --policy-dir "$T/policy" |
		jq '.requests | length')" -ge "$1" ]
}

ms_since() { # START_NS
	echo $((($(date +%s%N) - $1) / 1000000))
}

# Median, 95th percentile and maximum of numbers on stdin.
spread() {
	sort -n | awk '{ v[NR] = $1 } END { if (NR) printf "median %d, p95 %d, max %d", v[int((NR + 1) / 2)], v[int(NR * 0.95 + 0.999)], v[NR] }'
}

t_relay_load_every_request_of_a_branch_network_is_answered() {
	local i name start t_queue t_answer t_all ids pids=() failed=0 certs=()
	LOAD_N=${IDGUARD_RELAY_LOAD_WORKSTATIONS:-200}
	CLEANUP_HOOKS="load_cleanup ${CLEANUP_HOOKS:-}"
	setup_tokens
	mkdir -p "$T/sock" "$T/relay" "$T/log"
	broker_net_lan
	for i in $(seq 1 "$LOAD_N"); do
		# broker_certs makes ws-017 and ws-018 anyway.
		case $(ws_name "$i") in ws-017 | ws-018) ;; *) certs+=("$(ws_name "$i")") ;; esac
	done
	broker_certs "${certs[@]}"
	broker_start
	cat >"$T/wang.conf" <<-EOF
	[Broker]
	Address=$BROKER_ADDR
	CA=$BROKER_PKI/ca.crt
	Certificate=$BROKER_PKI/approver-wang.crt
	Key=$BROKER_PKI/approver-wang.key
	Name=approver-wang
	EOF
	# The first daemon mounts the bpf filesystem the others share.
	load_start_workstation 1
	wait_until 30 "$IDGUARDCTL" --socket "$T/sock/ws-001" status --json >/dev/null 2>&1 || fail "ws-001's idguardd did not start"
	for i in $(seq 2 "$LOAD_N"); do
		load_start_workstation "$i"
	done
	wait_until 600 daemons_answer || fail "not every idguardd started"
	for i in $(seq 1 "$LOAD_N"); do
		load_start_relay "$i"
	done
	wait_until 300 relays_connected || fail "not every relay connected"
	note "$LOAD_N workstations up: $LOAD_N idguardd and $LOAD_N relays on the broker"

	# Every clerk asks at once, each on her own workstation.
	LOAD_SINCE=$(date +%s.%N | cut -c1-17)
	start=$(date +%s%N)
	for i in $(seq 1 "$LOAD_N"); do
		name=$(ws_name "$i")
		unshare --uts sh -c 'hostname "$1" && shift && exec setpriv --reuid="$0" --regid="$0" --clear-groups "$@"' \
			"$(id -u idgt-alice)" "$name" "$IDGUARDCTL" --socket "$T/sock/$name" token request \
			--purpose account-opening --ref "CASE-2026-$i" --class scanner --minutes 10 --policy-dir "$T/policy" \
			--send --json >"$T/log/$name.request" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || failed=$((failed + 1))
	done
	assert_eq "$failed" 0 "requests that failed"
	wait_until 300 all_records "$LOAD_N" "$MSG_REQUEST_SENT" ||
		fail "only $(records_since "$MSG_REQUEST_SENT") of $LOAD_N requests reached the broker"
	t_queue=$(ms_since "$start")
	wait_until 60 inbox_holds "$LOAD_N" || fail "the inbox does not show all $LOAD_N requests"

	# Two supervisors' PCs' worth of approvals, four at a time.
	ids=$(in_ns "$SUP_NS" "$IDGUARDCTL" token inbox --json --relay "$T/wang.conf" --policy-dir "$T/policy" |
		jq -r '.requests[].request_id')
	start=$(date +%s%N)
	# shellcheck disable=SC2016
	xargs -P 4 -I{} sh -c 's=$(date +%s%N) && ip netns exec "$0" "$1" token approve {} --key "$2" --relay "$3" \
		--policy-dir "$4" --approvers-dir "$5" --yes >/dev/null 2>>"$6" && echo "{} $s" >>"$7"' \
		"$SUP_NS" "$IDGUARDCTL" "$T/keys/wang.k4.secret" "$T/wang.conf" "$T/policy" "$T/approvers" \
		"$T/log/approve.err" "$T/approved" <<<"$ids" || true
	t_answer=$(ms_since "$start")
	assert_eq "$(wc -l <"$T/approved")" "$LOAD_N" "approvals sent ($(head -3 "$T/log/approve.err" 2>/dev/null))"
	wait_until 300 all_records "$LOAD_N" "$MSG_TOKEN_REDEEMED" IDGUARD_VIA=relay ||
		fail "only $(records_since "$MSG_TOKEN_REDEEMED" IDGUARD_VIA=relay) of $LOAD_N tokens were redeemed"
	t_all=$(ms_since "$start")
	# Each workstation holds exactly its clerk's grant, and nothing waits.
	for i in $(seq 1 "$LOAD_N"); do
		name=$(ws_name "$i")
		assert_eq "$("$IDGUARDCTL" --socket "$T/sock/$name" token list --json | jq -r '.grants | map(.ref) | join(",")')" \
			"CASE-2026-$i" "$name's grants"
	done
	wait_until 120 all_records "$LOAD_N" "$MSG_REQUEST_WITHDRAWN" ||
		fail "only $(records_since "$MSG_REQUEST_WITHDRAWN") of $LOAD_N answered requests were withdrawn"
	assert_match "$(in_ns "$SUP_NS" "$IDGUARDCTL" token inbox --relay "$T/wang.conf" --policy-dir "$T/policy")" \
		"nothing waits" "the inbox at the end"

	# Per request: from the supervisor's `token approve` starting (connect,
	# read the queue, sign, send) to the token redeemed on its workstation.
	journal --since=@"$LOAD_SINCE" MESSAGE_ID="$MSG_TOKEN_REDEEMED" IDGUARD_VIA=relay |
		jq -r '[.IDGUARD_REQUEST_ID, .__REALTIME_TIMESTAMP] | @tsv' | sort >"$T/redeemed"
	sort "$T/approved" | join "$T/redeemed" - | awk '{ print int(($2 * 1000 - $3) / 1000000) }' >"$T/latency"
	# Per request: idguardd took it -> the broker confirmed it holds it.
	journal --since=@"$LOAD_SINCE" MESSAGE_ID="$MSG_REQUEST_QUEUED" |
		jq -r '[.IDGUARD_REQUEST_ID, .__REALTIME_TIMESTAMP] | @tsv' | sort >"$T/queued"
	journal --since=@"$LOAD_SINCE" MESSAGE_ID="$MSG_REQUEST_SENT" |
		jq -r '[.IDGUARD_REQUEST_ID, .__REALTIME_TIMESTAMP] | @tsv' | sort | join "$T/queued" - |
		awk '{ print int(($3 - $2) / 1000) }' >"$T/queue_latency"
	note "$LOAD_N requests at once (as many idguardctl processes started together): all on the broker after $t_queue ms"
	note "request taken by idguardd -> held by the broker, ms: $(spread <"$T/queue_latency")"
	note "approvals: $LOAD_N sent in $t_answer ms (4 at a time); the last token redeemed $t_all ms after the first approval started"
	note "token approve started -> token redeemed on its workstation, ms: $(spread <"$T/latency")"
}
