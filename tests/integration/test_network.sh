# The network gate: connections from users' programs to policy endpoints,
# with real clients on loopback. saned runs as a trusted service in an
# exempt cgroup below the test cgroup; scanimage runs as a clerk in the test
# cgroup. Also: a connection elsewhere is untouched, IPv4-mapped IPv6 is the
# same address, an exempt unit that restarts stays exempt, and broker
# sockets (unix-socket connect hook) where the kernel has them.
# shellcheck shell=bash

SANED_PORT=6566

# The shipped network endpoints, and services/ below the test cgroup exempt.
setup_network() {
	cp "$BUILD/../policy/30-network.conf" "$T/policy/"
	mkdir -p "$CG/services"
	cat >>"$T/policy/50-test.conf" <<-EOF
	[Exempt]
	CGroup=${CG#"$CG2"}/services
	EOF
}

# saned with SANE's test backend on 127.0.0.1, as a trusted service.
start_saned() {
	mkdir -p "$T/saned" "$T/client"
	echo test >"$T/saned/dll.conf"
	echo 127.0.0.1 >"$T/saned/saned.conf"
	echo net >"$T/client/dll.conf"
	printf 'connect_timeout = 5\n127.0.0.1\n' >"$T/client/net.conf"
	chmod -R a+rX "$T/client"
	in_cgroup "$CG/services" env SANE_CONFIG_DIR="$T/saned" saned -l -e -b 127.0.0.1 -p $SANED_PORT \
		>"$T/saned.log" 2>&1 &
	SANED_PID=$!
	wait_until 10 sh -c "grep -q ':$(printf %04X $SANED_PORT) ' /proc/net/tcp" ||
		fail "saned did not listen on 127.0.0.1:$SANED_PORT: $(cat "$T/saned.log")"
}

stop_saned() {
	if [ -n "${SANED_PID:-}" ] && kill -0 "$SANED_PID" 2>/dev/null; then
		kill "$SANED_PID"
		wait "$SANED_PID" 2>/dev/null || true
	fi
	SANED_PID=
}

# scan AS_WHAT...: scanimage through saned; its exit status, the image in
# $T/scan.png, its messages in $T/scan.err.
scan_as_clerk() {
	as_clerk idgt-alice env SANE_CONFIG_DIR="$T/client" scanimage -d net:127.0.0.1:test:0 --format=png \
		-x 20 -y 20 >"$T/scan.png" 2>"$T/scan.err"
}

# start_sink PORT FILE: a loopback listener (tcp_sink) that keeps what it gets.
start_sink() {
	"$BUILD/helpers/tcp_sink" "$1" "$2" >"$T/sink.port" 2>&1 &
	SINK_PID=$!
	wait_until 5 grep -q listening "$T/sink.port" || fail "tcp_sink did not listen on $1: $(cat "$T/sink.port")"
	SINK_PORT=$(awk '/listening/ { print $2 }' "$T/sink.port")
}

is_png() {
	[ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '211PNG' ]
}

network_record() { # MESSAGE_ID FIELD [MATCH...]: FIELD of our cgroup's last network record
	local id=$1 field=$2
	shift 2
	field_of "$id" "$field" IDGUARD_GATE=network "$@"
}

t_network_saned_refused_without_grant_and_scans_with_one() {
	local status
	setup_network
	start_daemon
	trap 'stop_saned; cleanup_env' EXIT
	start_saned

	scan_as_clerk && status=0 || status=$?
	[ "$status" -ne 0 ] || fail "scanimage through saned succeeded without a grant"
	[ ! -s "$T/scan.png" ] || fail "an image came through without a grant"
	wait_records 1 $MSG_DENIED IDGUARD_GATE=network
	assert_eq "$(network_record $MSG_DENIED IDGUARD_ENDPOINT)" saned "IDGUARD_ENDPOINT"
	assert_eq "$(network_record $MSG_DENIED IDGUARD_ADDRESS)" 127.0.0.1 "IDGUARD_ADDRESS"
	assert_eq "$(network_record $MSG_DENIED IDGUARD_PORT)" $SANED_PORT "IDGUARD_PORT"
	assert_eq "$(network_record $MSG_DENIED IDGUARD_CLASS)" scanner "IDGUARD_CLASS"
	assert_eq "$(network_record $MSG_DENIED IDGUARD_COMM)" scanimage "IDGUARD_COMM"
	assert_eq "$(network_record $MSG_DENIED IDGUARD_USER)" idgt-alice "IDGUARD_USER"
	assert_match "$(network_record $MSG_DENIED IDGUARD_POLICY_SOURCE)" '30-network.conf:[0-9]+$' "IDGUARD_POLICY_SOURCE"
	assert_match "$(network_record $MSG_DENIED MESSAGE)" \
		"^Refused idgt-alice \(uid [0-9]+\) connecting to scanner endpoint saned at 127.0.0.1:$SANED_PORT with scanimage \(pid [0-9]+\): no purpose token$" \
		"MESSAGE"

	ctl grant add --user idgt-alice --class scanner --minutes 5 >/dev/null || fail "grant add"
	scan_as_clerk || fail "scanimage with a scanner grant failed: $(cat "$T/scan.err")"
	is_png "$T/scan.png" || fail "no PNG image from saned with a grant"
	wait_records 1 $MSG_GRANTED IDGUARD_GATE=network
	assert_eq "$(network_record $MSG_GRANTED IDGUARD_ENDPOINT)" saned "granted record"
	assert_match "$(network_record $MSG_GRANTED IDGUARD_GRANT_ID)" '^[0-9]+$' "the grant is named"

	# The trusted service and the exempt cgroup work throughout.
	in_cgroup "$CG/services" env SANE_CONFIG_DIR="$T/client" scanimage -d net:127.0.0.1:test:0 --format=png \
		-x 20 -y 20 >"$T/service.png" 2>"$T/service.err" || fail "scanning from the exempt cgroup: $(cat "$T/service.err")"
	is_png "$T/service.png" || fail "no image for the exempt cgroup"
}

t_network_other_ports_untouched_and_mapped_ipv6_is_the_same_address() {
	local port out
	setup_network
	start_daemon
	trap 'stop_saned; [ -z "${SINK_PID:-}" ] || kill "$SINK_PID" 2>/dev/null || true; cleanup_env' EXIT
	start_saned
	start_sink 47631 "$T/sink.out"
	port=$SINK_PORT

	# A port no endpoint lists: untouched, no record.
	as_clerk idgt-alice bash -c "echo hello >/dev/tcp/127.0.0.1/$port" || fail "connection to an unlisted port refused"
	wait_until 5 grep -q hello "$T/sink.out" || fail "the unlisted port did not get the data"
	assert_eq "$(count_records $MSG_DENIED IDGUARD_PORT="$port")" 0 "no record for an unlisted port"

	# saned's port, by IPv4, IPv4-mapped IPv6, another loopback address, and
	# 0.0.0.0 (which connect() takes as this host).
	for addr in 127.0.0.1 ::ffff:127.0.0.1 127.0.0.2 0.0.0.0; do
		out=$(as_clerk idgt-alice bash -c "echo >/dev/tcp/$addr/$SANED_PORT" 2>&1) && fail "connection to $addr:$SANED_PORT allowed"
		assert_match "$out" "Operation not permitted" "connect to $addr:$SANED_PORT"
	done
	wait_records 1 $MSG_DENIED IDGUARD_GATE=network IDGUARD_FAMILY=ipv6
	assert_eq "$(network_record $MSG_DENIED IDGUARD_ADDRESS IDGUARD_FAMILY=ipv6)" 127.0.0.1 "mapped address recorded as IPv4"
	wait_records 1 $MSG_DENIED IDGUARD_GATE=network IDGUARD_ADDRESS=127.0.0.2

	# A copier the site lists (here on loopback): its eSCL port is gated,
	# the same port on an address not listed is not (nothing listens
	# there, so the kernel says "Connection refused", not EPERM).
	printf '[Endpoint copier-scan]\nAddress=127.0.0.5\n' >"$T/policy/60-site.conf"
	ctl reload >/dev/null || fail "reload"
	out=$(as_clerk idgt-alice bash -c "echo >/dev/tcp/127.0.0.5/8080" 2>&1) && fail "listed copier reached"
	assert_match "$out" "Operation not permitted" "listed copier"
	wait_records 1 $MSG_DENIED IDGUARD_GATE=network IDGUARD_ADDRESS=127.0.0.5
	assert_eq "$(network_record $MSG_DENIED IDGUARD_ENDPOINT IDGUARD_ADDRESS=127.0.0.5)" copier-scan "copier record"
	out=$(as_clerk idgt-alice bash -c "echo >/dev/tcp/127.0.0.6/8080" 2>&1) && fail "nothing listens on 127.0.0.6:8080"
	assert_match "$out" "Connection refused" "an address not listed is untouched"
	assert_eq "$(count_records $MSG_DENIED IDGUARD_ADDRESS=127.0.0.6)" 0 "no record for an address not listed"
}

t_network_exempt_unit_stays_exempt_across_restarts() {
	local out
	UNIT=idgt-svc-$$.service
	local unit=$UNIT
	setup_network
	printf '[Exempt]\nUnit=%s\n' "$unit" >"$T/policy/60-unit.conf"
	start_daemon
	trap 'stop_saned; kill_cgroup_procs "$CG/$UNIT"; rmdir "$CG/$UNIT" 2>/dev/null || true; cleanup_env' EXIT
	start_saned
	# The unit starts after the daemon: its cgroup is exempt within a second.
	mkdir "$CG/$unit"
	wait_until 5 in_cgroup "$CG/$unit" bash -c "echo >/dev/tcp/127.0.0.1/$SANED_PORT" ||
		fail "the unit's new cgroup was not exempted: $(tail -5 "$T/daemon.log")"
	# The service restarts: a new cgroup, a new id.
	rmdir "$CG/$unit"
	mkdir "$CG/$unit"
	wait_until 5 in_cgroup "$CG/$unit" bash -c "echo >/dev/tcp/127.0.0.1/$SANED_PORT" ||
		fail "the restarted unit's cgroup was not exempted"
	assert_match "$(cat "$T/daemon.log")" "exempt: .*$unit" "the daemon says so"
	# A clerk is still refused.
	out=$(as_clerk idgt-alice bash -c "echo >/dev/tcp/127.0.0.1/$SANED_PORT" 2>&1) && fail "clerk allowed"
	assert_match "$out" "Operation not permitted" "clerk refused"
}

t_network_broker_socket_gated_where_the_kernel_has_the_hook() {
	local out status major minor
	write_policy <<-EOF
	[Broker control]
	Class=scanner
	Path=$SOCK
	EOF
	start_daemon
	major=$(uname -r | cut -d. -f1)
	minor=$(uname -r | cut -d. -f2)
	if [ "$major" -lt 6 ] || { [ "$major" -eq 6 ] && [ "$minor" -lt 7 ]; }; then
		assert_eq "$(ctl status --json | jq -r .gates.broker)" false "no broker gate before Linux 6.7"
		assert_match "$(cat "$T/daemon.log")" "no unix-socket connect hook" "the daemon says so"
		return 0
	fi
	assert_eq "$(ctl status --json | jq -r .gates.broker)" true "broker gate on Linux $(uname -r)"
	# The clerk's idguardctl connects to the broker path given: refused.
	out=$(as_clerk idgt-alice "$IDGUARDCTL" --socket "$SOCK" status 2>&1) && status=0 || status=$?
	assert_eq "$status" 3 "idguardctl cannot reach a gated broker socket"
	assert_match "$out" "Operation not permitted" "the clerk sees EPERM"
	wait_records 1 $MSG_DENIED IDGUARD_GATE=broker
	assert_eq "$(field_of $MSG_DENIED IDGUARD_BROKER IDGUARD_GATE=broker)" control "IDGUARD_BROKER"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_SOCKET_PATH IDGUARD_GATE=broker)" "$SOCK" "IDGUARD_SOCKET_PATH"
	# With a grant of its class: through.
	ctl grant add --user idgt-alice --class scanner --minutes 5 >/dev/null || fail "grant add"
	as_clerk idgt-alice "$IDGUARDCTL" --socket "$SOCK" status >/dev/null || fail "clerk with a grant still refused"
}

# ipp-usb shares a USB scanner on a loopback port from 60000 up; a stand-in
# listener there is what a scanning program (sane-airscan) would reach.
t_network_ipp_usb_ports_need_a_scanner_grant() {
	local out
	setup_network
	start_daemon
	trap '[ -z "${SINK_PID:-}" ] || kill "$SINK_PID" 2>/dev/null || true; cleanup_env' EXIT
	start_sink 60631 "$T/escl.out"
	out=$(as_clerk idgt-alice bash -c "echo GET /eSCL/ScannerStatus >/dev/tcp/127.0.0.1/60631" 2>&1) &&
		fail "a clerk reached the ipp-usb port without a grant"
	assert_match "$out" "Operation not permitted" "refused"
	wait_records 1 $MSG_DENIED IDGUARD_GATE=network IDGUARD_PORT=60631
	assert_eq "$(network_record $MSG_DENIED IDGUARD_ENDPOINT IDGUARD_PORT=60631)" ipp-usb "IDGUARD_ENDPOINT"
	ctl grant add --user idgt-alice --class scanner --minutes 5 >/dev/null || fail "grant add"
	as_clerk idgt-alice bash -c "echo GET /eSCL/ScannerStatus >/dev/tcp/127.0.0.1/60631" ||
		fail "a clerk with a scanner grant was refused"
	wait_until 5 grep -q eSCL "$T/escl.out" || fail "the request did not arrive"
}
