# The branch's MQTT broker for the approval relay tests: certificates, network
# namespaces and a real mosquitto. Sourced by test files that need it
# (`. "$HERE/broker_lib.sh"`); run.sh only runs test_*.sh files.
#
# The broker runs the shipped packaging/mosquitto/idguard.conf and
# idguard.acl (only their /etc/mosquitto/idguard/ paths are moved into $T)
# under a stand-in for Debian's /etc/mosquitto/mosquitto.conf, in its own
# network namespace, started as root and dropping to the mosquitto user as
# the Debian service does. Workstations and the supervisor's PC are other
# namespaces on a bridge in the broker's namespace, 10.231.0.0/24:
#
#   broker              10.231.0.1:8883   $BROKER_NS
#   supervisor's PC     10.231.0.2        $SUP_NS
#   branch LAN          10.231.0.3        $LAN_NS   (broker_net_lan: many clients)
#   workstation I       10.231.0.(10+I)   ${WS_NS[I]}, I = 1..N (broker_net N)
#
# Everything is made inside the namespaces (no interface in the host's), and
# broker_cleanup, registered in lib.sh's CLEANUP_HOOKS, stops the broker by
# its pid, ends what runs in our namespaces and deletes them, even when the
# test fails.

BROKER_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BROKER_PACKAGING=$(cd "$BROKER_LIB_DIR/../../packaging/mosquitto" && pwd)
IDGUARD_CERTS=$BROKER_PACKAGING/idguard-certs
BROKER_ADDR=10.231.0.1
BROKER_PORT=8883
SUP_ADDR=10.231.0.2
LAN_ADDR=10.231.0.3

# ws_addr I: the address of workstation I's namespace.
ws_addr() {
	echo "10.231.0.$((10 + $1))"
}

# in_ns NAME COMMAND...: runs COMMAND (a program) in network namespace NAME.
# Run in the background, a function's $! is a subshell's pid: for the
# program's own pid, background "ip netns exec NAME COMMAND" itself, as
# broker_start and mqtt_sub_bg do.
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

_broker_register_cleanup() {
	case " ${CLEANUP_HOOKS:-} " in
	*" broker_cleanup "*) ;;
	*) CLEANUP_HOOKS="${CLEANUP_HOOKS:-} broker_cleanup" ;;
	esac
}

# broker_certs [CN...]: the branch's PKI under $BROKER_PKI ($T/pki), made
# with the shipped idguard-certs: the CA, the broker's certificate for
# 10.231.0.1, clients ws-017, ws-018, approver-wang, approver-li and any CN
# given; and a rogue CA in $ROGUE_PKI ($T/pki-rogue) with its own ws-017.
broker_certs() {
	_broker_register_cleanup
	BROKER_PKI=$T/pki
	ROGUE_PKI=$T/pki-rogue
	"$IDGUARD_CERTS" ca "$BROKER_PKI" >/dev/null || fail "idguard-certs ca failed"
	"$IDGUARD_CERTS" broker "$BROKER_PKI" "$BROKER_ADDR" >/dev/null || fail "idguard-certs broker failed"
	broker_client_certs ws-017 ws-018 approver-wang approver-li "$@"
	"$IDGUARD_CERTS" ca "$ROGUE_PKI" >/dev/null || fail "idguard-certs ca (rogue) failed"
	"$IDGUARD_CERTS" client "$ROGUE_PKI" ws-017 >/dev/null || fail "idguard-certs client (rogue) failed"
}

# broker_client_certs CN...: more client certificates from the branch's CA,
# made in parallel (random serial numbers: nothing shared to write).
broker_client_certs() {
	local cn pid pids=() failed=
	for cn in "$@"; do
		"$IDGUARD_CERTS" client "$BROKER_PKI" "$cn" >/dev/null &
		pids+=($!)
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || failed=1
	done
	[ -z "$failed" ] || fail "idguard-certs client failed for some of: $*"
}

_broker_ns_add() { # NAME
	ip netns add "$1" || fail "cannot create network namespace $1"
	BROKER_NETNS="${BROKER_NETNS:-} $1"
	ip -n "$1" link set lo up
}

# The broker's namespace, with the bridge that every client hangs off.
_broker_ns_broker() {
	_broker_register_cleanup
	[ -z "${BROKER_NS:-}" ] || fail "broker_net: the namespaces exist already ($BROKER_NS)"
	BROKER_NS_PREFIX=idgt-$BASHPID
	BROKER_NS=$BROKER_NS_PREFIX-b
	_broker_ns_add "$BROKER_NS"
	ip -n "$BROKER_NS" link add br0 type bridge
	ip -n "$BROKER_NS" addr add "$BROKER_ADDR/24" dev br0
	ip -n "$BROKER_NS" link set br0 up
}

# _broker_ns_client NAME PORT ADDR: a client namespace on a veth pair, its
# end named eth0, the broker's end PORT on the bridge.
_broker_ns_client() {
	_broker_ns_add "$1"
	ip -n "$BROKER_NS" link add "$2" type veth peer name eth0 netns "$1"
	ip -n "$BROKER_NS" link set "$2" master br0 up
	ip -n "$1" addr add "$3/24" dev eth0
	ip -n "$1" link set eth0 up
}

# broker_net N_WS: namespaces for the broker, the supervisor's PC ($SUP_NS)
# and N_WS workstations (${WS_NS[1]} .. ${WS_NS[N_WS]}).
broker_net() {
	local n=${1:?broker_net needs the number of workstations} i
	[ "$n" -ge 1 ] && [ "$n" -le 200 ] || fail "broker_net: 1 to 200 workstations, not $n"
	_broker_ns_broker
	SUP_NS=$BROKER_NS_PREFIX-sup
	_broker_ns_client "$SUP_NS" vsup "$SUP_ADDR"
	WS_NS=()
	for i in $(seq 1 "$n"); do
		WS_NS[i]=$BROKER_NS_PREFIX-ws$i
		_broker_ns_client "${WS_NS[i]}" "vws$i" "$(ws_addr "$i")"
	done
}

# broker_net_lan: for load tests, the broker, the supervisor's PC
# ($SUP_NS) and one "branch LAN" namespace ($LAN_NS) that holds as many
# workstations' clients as a test starts in it.
broker_net_lan() {
	_broker_ns_broker
	SUP_NS=$BROKER_NS_PREFIX-sup
	_broker_ns_client "$SUP_NS" vsup "$SUP_ADDR"
	LAN_NS=$BROKER_NS_PREFIX-lan
	_broker_ns_client "$LAN_NS" vlan "$LAN_ADDR"
}

# broker_add_supervisor LOGIN: an ACL block for approver-LOGIN, copied from
# the shipped one for approver-wang as an administrator would; reloads a
# running broker.
broker_add_supervisor() {
	local acl=$T/broker/etc/idguard.acl
	[ -f "$acl" ] || fail "broker_add_supervisor: no $acl (broker_setup first)"
	{
		echo
		sed -n '/^user approver-wang$/,/^$/p' "$BROKER_PACKAGING/idguard.acl" |
			sed "s/approver-wang/approver-$1/"
	} >>"$acl"
	grep -qx "user approver-$1" "$acl" || fail "broker_add_supervisor: the shipped ACL has no block for approver-wang to copy"
	broker_reload
}

# broker_setup: the broker's files under $T/broker, as a site installs them:
# the shipped drop-in and ACL, the PKI's public files, the broker's key
# readable by the mosquitto group only. Called by broker_start when needed.
broker_setup() {
	local etc=$T/broker/etc
	[ -n "${BROKER_PKI:-}" ] || broker_certs
	mkdir -p "$etc" "$T/broker/conf.d" "$T/broker/data"
	cp "$BROKER_PKI/ca.crt" "$BROKER_PKI/broker.crt" "$BROKER_PKI/broker.key" "$BROKER_PKI/crl.pem" \
		"$BROKER_PACKAGING/idguard.acl" "$etc/"
	chown -R root:mosquitto "$etc"
	chmod 0750 "$etc"
	chmod 0640 "$etc"/*
	chown mosquitto:mosquitto "$T/broker/data"
	chmod 0700 "$T/broker/data"
	: >"$T/mosquitto.log"
	chown mosquitto:mosquitto "$T/mosquitto.log"
	# The shipped drop-in, its paths moved into $T; the sed must change it.
	sed "s|/etc/mosquitto/idguard/|$etc/|g" "$BROKER_PACKAGING/idguard.conf" >"$T/broker/conf.d/idguard.conf"
	grep -q "^cafile $etc/ca.crt$" "$T/broker/conf.d/idguard.conf" ||
		fail "broker_setup: the shipped idguard.conf has no 'cafile /etc/mosquitto/idguard/ca.crt' line"
	# Debian's /etc/mosquitto/mosquitto.conf, with our paths.
	cat >"$T/broker/mosquitto.conf" <<-EOF
	persistence true
	persistence_location $T/broker/data/
	log_dest file $T/mosquitto.log
	log_type all
	include_dir $T/broker/conf.d
	EOF
	broker_add_supervisor li
}

_broker_listening() {
	[ -n "$(in_ns "$BROKER_NS" ss -Hltn "sport = :$BROKER_PORT")" ]
}

# broker_start: starts mosquitto in $BROKER_NS (setting up its files the
# first time), records BROKER_PID and waits until it listens on
# 10.231.0.1:8883 as the unprivileged mosquitto user.
broker_start() {
	local uid
	[ -n "${BROKER_NS:-}" ] || fail "broker_start: no namespaces (broker_net or broker_net_lan first)"
	[ -z "${BROKER_PID:-}" ] || fail "broker_start: the broker runs already (pid $BROKER_PID)"
	_broker_register_cleanup
	[ -f "$T/broker/mosquitto.conf" ] || broker_setup
	# ip netns exec execs mosquitto: $! is the broker's pid.
	ip netns exec "$BROKER_NS" mosquitto -c "$T/broker/mosquitto.conf" >>"$T/broker/stderr" 2>&1 &
	BROKER_PID=$!
	if ! wait_until 10 _broker_listening; then
		fail "mosquitto did not start listening: $(tail -5 "$T/broker/stderr" "$T/mosquitto.log")"
	fi
	kill -0 "$BROKER_PID" 2>/dev/null || fail "mosquitto exited: $(tail -5 "$T/mosquitto.log")"
	uid=$(ps -o uid= -p "$BROKER_PID" | tr -d ' ')
	assert_eq "$uid" "$(id -u mosquitto)" "the broker's user id (it drops root after reading its configuration)"
}

# broker_stop: stops the broker we started, by its pid (mosquitto writes its
# persistence database as it stops).
broker_stop() {
	[ -n "${BROKER_PID:-}" ] || return 0
	if kill -TERM "$BROKER_PID" 2>/dev/null &&
		! wait_until 10 sh -c "! kill -0 $BROKER_PID 2>/dev/null || grep -q zombie /proc/$BROKER_PID/status 2>/dev/null"; then
		echo "    warning: mosquitto (pid $BROKER_PID) did not stop on TERM; killing it" >&2
		kill -KILL "$BROKER_PID" 2>/dev/null || true
	fi
	wait "$BROKER_PID" 2>/dev/null || true
	BROKER_PID=
}

broker_restart() {
	broker_stop
	broker_start
}

# broker_reload: SIGHUP, as "systemctl reload mosquitto" (ACL, CRL and
# certificates are read again; connected clients stay connected).
broker_reload() {
	if [ -n "${BROKER_PID:-}" ]; then
		local lines
		lines=$(wc -l <"$T/mosquitto.log")
		kill -HUP "$BROKER_PID"
		wait_until 10 sh -c "tail -n +$((lines + 1)) '$T/mosquitto.log' | grep -q 'Reloading config'" ||
			fail "mosquitto did not log a reload after SIGHUP"
	fi
}

# _mqtt_tls_args CLIENT: the TLS options for CLIENT, a client name in
# $BROKER_PKI (ws-017), a path without suffix to another pair
# ($ROGUE_PKI/ws-017), or "-" for no client certificate.
_mqtt_tls_args() {
	MQTT_ARGS=(-V 5 -h "$BROKER_ADDR" -p "$BROKER_PORT" --cafile "$BROKER_PKI/ca.crt")
	case $1 in
	-) ;;
	*/*) MQTT_ARGS+=(--cert "$1.crt" --key "$1.key") ;;
	*) MQTT_ARGS+=(--cert "$BROKER_PKI/$1.crt" --key "$BROKER_PKI/$1.key") ;;
	esac
}

# mqtt_pub NS CLIENT ARGS...: mosquitto_pub (MQTT v5, TLS) from namespace NS.
mqtt_pub() {
	local ns=$1
	_mqtt_tls_args "$2"
	shift 2
	in_ns "$ns" mosquitto_pub "${MQTT_ARGS[@]}" "$@"
}

# mqtt_sub NS CLIENT ARGS...: mosquitto_sub likewise (give -C and -W).
mqtt_sub() {
	local ns=$1
	_mqtt_tls_args "$2"
	shift 2
	in_ns "$ns" mosquitto_sub "${MQTT_ARGS[@]}" "$@"
}

# mqtt_sub_bg OUTFILE NS CLIENT ARGS...: mosquitto_sub in the background,
# its output in OUTFILE, its pid (mosquitto_sub's own) in MQTT_SUB_PID.
# Stop it with kill and wait on that pid; broker_cleanup ends it otherwise.
mqtt_sub_bg() {
	local out=$1 ns=$2
	_mqtt_tls_args "$3"
	shift 3
	ip netns exec "$ns" mosquitto_sub "${MQTT_ARGS[@]}" "$@" >"$out" 2>&1 &
	MQTT_SUB_PID=$!
}

# mqtt_retained NS CN COUNT TOPIC...: the retained messages CN may read on
# TOPICs, as "topic payload" lines, when there are COUNT of them. Uses CN's
# sync topic: a marker retained there, subscribed to last in the same
# SUBSCRIBE, arrives after every retained message of the other topics, so
# "nothing" is known without waiting for a timeout. Fails when the marker
# does not come right after COUNT messages.
mqtt_retained() {
	local ns=$1 cn=$2 count=$3 marker out topic args=()
	shift 3
	marker="mark-$RANDOM$RANDOM"
	mqtt_pub "$ns" "$cn" -q 1 -r -t "idguard/sync/$cn/mark" -m "$marker" ||
		fail "$cn could not publish on its sync topic"
	for topic in "$@"; do
		args+=(-t "$topic")
	done
	out=$(mqtt_sub "$ns" "$cn" -q 1 -v -C $((count + 1)) -W 10 "${args[@]}" -t "idguard/sync/$cn/mark" 2>&1) || true
	if [ "$(tail -n 1 <<<"$out")" != "idguard/sync/$cn/mark $marker" ]; then
		fail "$cn expected $count retained message(s) on $*, then its sync marker; got: $out"
	fi
	head -n -1 <<<"$out"
}

# broker_log_has REGEX: whether mosquitto logged a line matching REGEX.
broker_log_has() {
	grep -Eq -- "$1" "$T/mosquitto.log"
}

# broker_cleanup: stops the broker and everything in our namespaces, deletes
# the namespaces (with their veths and bridge). Files go with $T.
broker_cleanup() {
	local ns pid
	broker_stop
	for ns in ${BROKER_NETNS:-}; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null || true
			# Reaps our own children quietly (bash reports a killed job).
			wait "$pid" 2>/dev/null || true
		done
		wait_until 5 sh -c "[ -z \"\$(ip netns pids '$ns' 2>/dev/null)\" ]" ||
			echo "    warning: processes remain in $ns" >&2
		ip netns del "$ns" 2>/dev/null || echo "    warning: could not delete network namespace $ns" >&2
	done
	BROKER_NETNS=
	BROKER_NS=
}
