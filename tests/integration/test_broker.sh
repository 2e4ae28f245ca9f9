# The branch's broker for the approval relay: Debian's mosquitto running the
# shipped packaging/mosquitto/idguard.conf and idguard.acl, with certificates
# from the shipped idguard-certs, the broker, the workstations and the
# supervisor's PC each in their own network namespace. These tests check
# that the configuration does what docs/relay.md says, with mosquitto_pub
# and mosquitto_sub as clients (MQTT v5, QoS 1, as the relay).

# shellcheck source=broker_lib.sh
. "$HERE/broker_lib.sh"

REQ1=idgreq2.test-request-one
TOKEN1=v4.public.test-token-one

# A request a workstation leaves on the broker reaches a supervisor who
# connects later from his own PC; his answer reaches the workstation, the
# other supervisor sees that it was answered, and the workstation clears
# both when it is done.
t_broker_request_waits_for_supervisor() {
	local out err
	broker_net 1
	broker_start
	err=$(mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/r1 -m "$REQ1" 2>&1)
	assert_eq "$err" "" "what the workstation's publish printed"
	out=$(mqtt_retained "$SUP_NS" approver-wang 1 'idguard/request/+/+')
	assert_eq "$out" "idguard/request/ws-017/r1 $REQ1" "what the supervisor found waiting"
	err=$(mqtt_pub "$SUP_NS" approver-wang -q 1 -r -t idguard/answer/ws-017/r1 -m "$TOKEN1" 2>&1)
	assert_eq "$err" "" "what the supervisor's publish printed"
	out=$(mqtt_retained "${WS_NS[1]}" ws-017 1 'idguard/answer/ws-017/+')
	assert_eq "$out" "idguard/answer/ws-017/r1 $TOKEN1" "what the workstation got back"
	out=$(mqtt_retained "$SUP_NS" approver-li 2 'idguard/request/+/+' 'idguard/answer/+/+')
	assert_eq "$out" "idguard/request/ws-017/r1 $REQ1"$'\n'"idguard/answer/ws-017/r1 $TOKEN1" \
		"what the other supervisor sees"
	# Answered: the workstation withdraws its request and the answer.
	mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -n -t idguard/request/ws-017/r1
	mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -n -t idguard/answer/ws-017/r1
	out=$(mqtt_retained "$SUP_NS" approver-wang 0 'idguard/request/+/+' 'idguard/answer/+/+')
	assert_eq "$out" "" "what a supervisor finds after the workstation cleared both"
	# Each came from its own machine, under its certificate's name.
	broker_log_has "New client connected from $(ws_addr 1):[0-9]+ as .* u'ws-017'" ||
		fail "no connection of ws-017 from $(ws_addr 1) in the broker's log"
	broker_log_has "New client connected from $SUP_ADDR:[0-9]+ as .* u'approver-wang'" ||
		fail "no connection of approver-wang from $SUP_ADDR in the broker's log"
}

# A supervisor who was away gets what waited, even when the broker was
# restarted in between.
t_broker_requests_survive_restart() {
	local out
	broker_net 1
	broker_start
	mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/r1 -m "$REQ1"
	broker_restart
	[ -s "$T/broker/data/mosquitto.db" ] || fail "no persistence database in $T/broker/data"
	out=$(mqtt_retained "$SUP_NS" approver-wang 1 'idguard/request/+/+')
	assert_eq "$out" "idguard/request/ws-017/r1 $REQ1" "what the supervisor found after the restart"
}

# A workstation can touch nothing under another's name: not read its
# requests or answers, not write, answer or clear them. Its MQTT user name
# is its certificate's, whatever it claims. A v5 publisher is told.
t_broker_workstation_confined() {
	local out err
	broker_net 2
	broker_start
	mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/r1 -m "$REQ1"
	mqtt_pub "$SUP_NS" approver-wang -q 1 -r -t idguard/answer/ws-017/r1 -m "$TOKEN1"

	out=$(mqtt_retained "${WS_NS[2]}" ws-018 0 'idguard/answer/ws-017/+' 'idguard/request/ws-017/+' \
		'idguard/request/#' 'idguard/answer/#')
	assert_eq "$out" "" "what ws-018 reads of ws-017's topics"

	err=$(mqtt_pub "${WS_NS[2]}" ws-018 -q 1 -r -t idguard/request/ws-017/r2 -m idgreq2.forged 2>&1)
	assert_eq "$err" "Warning: Publish 1 failed: Not authorized." "a request under another workstation's name"
	err=$(mqtt_pub "${WS_NS[2]}" ws-018 -q 1 -r -n -t idguard/request/ws-017/r1 2>&1)
	assert_eq "$err" "Warning: Publish 1 failed: Not authorized." "clearing another workstation's request"
	err=$(mqtt_pub "${WS_NS[2]}" ws-018 -q 1 -r -t idguard/answer/ws-017/r1 -m v4.public.forged 2>&1)
	assert_eq "$err" "Warning: Publish 1 failed: Not authorized." "an answer from a workstation"
	err=$(mqtt_pub "${WS_NS[2]}" ws-018 -u approver-wang -q 1 -r -t idguard/answer/ws-017/r1 \
		-m v4.public.forged 2>&1)
	assert_eq "$err" "Warning: Publish 1 failed: Not authorized." "an answer from a workstation claiming approver-wang"
	out=$(mqtt_retained "${WS_NS[2]}" ws-018 0 'idguard/request/#')
	assert_eq "$out" "" "what ws-018 reads of the requests claiming to be approver-wang"

	# The broker logged the refusals; the supervisor sees only what is genuine.
	broker_log_has "Denied PUBLISH from .*'idguard/request/ws-017/r2'" ||
		fail "the broker did not log the refused request"
	out=$(mqtt_retained "$SUP_NS" approver-wang 2 'idguard/request/+/+' 'idguard/answer/+/+')
	assert_eq "$out" "idguard/request/ws-017/r1 $REQ1"$'\n'"idguard/answer/ws-017/r1 $TOKEN1" \
		"what the supervisor sees after ws-018's attempts"
}

# Only a certificate from the branch's CA gets in: a certificate with the
# right name from another CA, no certificate, or the broker's own
# (server-only) certificate are refused, and nothing they sent arrives.
t_broker_refuses_clients_without_branch_certificate() {
	local out err rc
	broker_net 1
	broker_start
	rc=0
	err=$(mqtt_pub "${WS_NS[1]}" "$ROGUE_PKI/ws-017" -q 1 -r -t idguard/request/ws-017/r9 -m idgreq2.rogue 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "a client with another CA's ws-017 certificate published (exit 0)"
	assert_match "$err" '^Error: (Protocol error|The connection was lost\.)$' "what the rogue client printed"
	broker_log_has 'OpenSSL Error.*certificate verify failed' || fail "the broker did not log the failed verification"

	rc=0
	err=$(mqtt_pub "${WS_NS[1]}" - -q 1 -r -t idguard/request/ws-017/r9 -m idgreq2.anonymous 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "a client without a certificate published (exit 0)"
	assert_match "$err" '^Error: (Protocol error|The connection was lost\.)$' "what the client without certificate printed"
	broker_log_has 'OpenSSL Error.*peer did not return a certificate' ||
		fail "the broker did not log the missing certificate"

	rc=0
	err=$(mqtt_sub "${WS_NS[1]}" - -q 1 -t 'idguard/#' -C 1 -W 5 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "a client without a certificate subscribed (exit 0)"
	assert_match "$err" '^Error: (Protocol error|The connection was lost\.)$' "what the subscriber without certificate printed"

	rc=0
	err=$(mqtt_pub "${WS_NS[1]}" "$BROKER_PKI/broker" -q 1 -t idguard/sync/10.231.0.1/x -m x 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "a client with the broker's server certificate published (exit 0)"

	out=$(mqtt_retained "$SUP_NS" approver-wang 0 'idguard/request/+/+')
	assert_eq "$out" "" "what the supervisor finds after the refused clients"
}

# The request goes when the workstation clears it (answered, expired or
# cancelled): a supervisor who connects afterwards finds nothing.
t_broker_workstation_clears_request() {
	local out err
	broker_net 1
	broker_start
	mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/r1 -m "$REQ1"
	mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/r2 -m idgreq2.test-request-two
	out=$(mqtt_retained "$SUP_NS" approver-wang 2 'idguard/request/+/+')
	assert_match "$out" "^idguard/request/ws-017/r1 $REQ1\$" "the first request, waiting"
	err=$(mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -n -t idguard/request/ws-017/r1 2>&1)
	assert_eq "$err" "" "what clearing the request printed"
	out=$(mqtt_retained "$SUP_NS" approver-wang 1 'idguard/request/+/+')
	assert_eq "$out" "idguard/request/ws-017/r2 idgreq2.test-request-two" "what remains after clearing r1"
	broker_restart
	out=$(mqtt_retained "$SUP_NS" approver-wang 1 'idguard/request/+/+')
	assert_eq "$out" "idguard/request/ws-017/r2 idgreq2.test-request-two" "what remains after a restart"
}

# message_size_limit: 4096 bytes pass, 4097 are refused (the v5 publisher is
# told) and not stored.
t_broker_message_size_limit() {
	local out err
	broker_net 1
	broker_start
	head -c 4096 /dev/zero | tr '\0' a >"$T/4096"
	head -c 4097 /dev/zero | tr '\0' b >"$T/4097"
	err=$(mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/big -f "$T/4097" 2>&1)
	assert_eq "$err" "Warning: Publish 1 failed: Packet too large." "what publishing 4097 bytes printed"
	err=$(mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/limit -f "$T/4096" 2>&1)
	assert_eq "$err" "" "what publishing 4096 bytes printed"
	broker_log_has "Dropped too large PUBLISH from .*'idguard/request/ws-017/big'" ||
		fail "the broker did not log the dropped message"
	out=$(mqtt_retained "$SUP_NS" approver-wang 1 'idguard/request/+/+')
	assert_eq "$out" "idguard/request/ws-017/limit $(cat "$T/4096")" "what the supervisor gets"
}

# A new supervisor: his certificate alone lets him in but shows him nothing
# (the patterns give him only his own name's topics); his ACL block and a
# reload (systemctl reload mosquitto) show him what waits.
t_broker_supervisor_added_by_reload() {
	local out
	broker_net 1
	broker_certs approver-zhao
	broker_start
	mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/r1 -m "$REQ1"
	out=$(mqtt_retained "$SUP_NS" approver-zhao 0 'idguard/request/+/+')
	assert_eq "$out" "" "what a supervisor without an ACL block reads"
	grep -qx "user approver-zhao" "$T/broker/etc/idguard.acl" && fail "approver-zhao is in the ACL already"
	broker_add_supervisor zhao
	out=$(mqtt_retained "$SUP_NS" approver-zhao 1 'idguard/request/+/+')
	assert_eq "$out" "idguard/request/ws-017/r1 $REQ1" "what the new supervisor reads after the reload"
}

# A stolen workstation: its certificate revoked with idguard-certs and the
# new crl.pem installed, the broker refuses it on reload; a connection made
# before stays until the broker restarts, as docs/relay.md says.
t_broker_revoked_certificate() {
	local out err rc sub_pid lines
	broker_net 2
	broker_start
	cp "$BROKER_PKI/ws-018.crt" "$BROKER_PKI/ws-018.key" "$T/"
	mqtt_sub_bg "$T/stolen.out" "${WS_NS[2]}" "$T/ws-018" -q 1 -v -t 'idguard/answer/ws-018/+' -C 2 -W 60
	sub_pid=$MQTT_SUB_PID
	wait_until 10 broker_log_has "Received SUBSCRIBE from" || fail "ws-018 did not subscribe"

	"$IDGUARD_CERTS" revoke "$BROKER_PKI" ws-018 >/dev/null
	[ ! -e "$BROKER_PKI/ws-018.crt" ] || fail "idguard-certs revoke left ws-018.crt in place"
	install -o root -g mosquitto -m 0640 "$BROKER_PKI/crl.pem" "$T/broker/etc/crl.pem"
	broker_reload

	rc=0
	err=$(mqtt_pub "${WS_NS[2]}" "$T/ws-018" -q 1 -t idguard/sync/ws-018/x -m x 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "the revoked certificate connected after the reload"
	assert_match "$err" '^Error: (Protocol error|The connection was lost\.)$' "what the revoked client printed"
	err=$(mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -t idguard/sync/ws-017/x -m x 2>&1)
	assert_eq "$err" "" "what a valid workstation's publish printed after the reload"

	# Already connected: still served after a reload ...
	mqtt_pub "$SUP_NS" approver-wang -q 1 -t idguard/answer/ws-018/r1 -m v4.public.after-reload
	wait_until 10 grep -q after-reload "$T/stolen.out" || fail "the connected subscriber got nothing: $(cat "$T/stolen.out")"
	# ... cut off by a restart, and refused when it tries again.
	lines=$(wc -l <"$T/mosquitto.log")
	broker_restart
	wait_until 20 sh -c "tail -n +$((lines + 1)) '$T/mosquitto.log' | grep -q 'certificate verify failed'" ||
		fail "the revoked subscriber did not try to reconnect after the restart: $(cat "$T/stolen.out")"
	if tail -n +$((lines + 1)) "$T/mosquitto.log" | grep -q "u'ws-018'"; then
		fail "ws-018 connected again after the restart"
	fi
	kill "$sub_pid" 2>/dev/null || true
	wait "$sub_pid" 2>/dev/null || true
	out=$(mqtt_retained "${WS_NS[1]}" ws-017 0 'idguard/answer/ws-017/+')
	assert_eq "$out" "" "ws-017 after the restart"
}

# The revocation list has an end: once it has passed, the broker refuses
# every client, as idguard.conf and relay.md warn.
t_broker_expired_crl_refuses_everyone() {
	local err rc
	broker_net 1
	broker_start
	faketime -f '-3d' "$IDGUARD_CERTS" --days 1 crl "$BROKER_PKI" >/dev/null
	install -o root -g mosquitto -m 0640 "$BROKER_PKI/crl.pem" "$T/broker/etc/crl.pem"
	broker_restart
	rc=0
	err=$(mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -t idguard/sync/ws-017/x -m x 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "ws-017 connected with an expired revocation list on the broker"
	assert_match "$err" '^Error: (Protocol error|The connection was lost\.)$' "what ws-017 printed"
	"$IDGUARD_CERTS" crl "$BROKER_PKI" >/dev/null
	install -o root -g mosquitto -m 0640 "$BROKER_PKI/crl.pem" "$T/broker/etc/crl.pem"
	broker_reload
	err=$(mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -t idguard/sync/ws-017/x -m x 2>&1)
	assert_eq "$err" "" "what ws-017 printed once the list was renewed"
}

# On a broker that also serves others: the drop-in's settings stay on its
# listener, and an anonymous listener configured after it keeps working,
# with an ACL that keeps its clients out of idguard/# as relay.md advises.
# A security setting before per_listener_settings stops mosquitto with the
# error the drop-in's comment quotes.
t_broker_shared_with_other_listener() {
	local out rc
	broker_net 1
	broker_setup
	cat >"$T/broker/conf.d/zz-site.conf" <<-EOF
	listener 1883 127.0.0.1
	allow_anonymous true
	acl_file $T/broker/site.acl
	EOF
	printf 'topic deny idguard/#\ntopic readwrite #\n' >"$T/broker/site.acl"
	chown root:mosquitto "$T/broker/site.acl"
	chmod 0640 "$T/broker/site.acl"
	broker_start
	mqtt_pub "${WS_NS[1]}" ws-017 -q 1 -r -t idguard/request/ws-017/r1 -m "$REQ1"
	in_ns "$BROKER_NS" mosquitto_pub -V 5 -h 127.0.0.1 -p 1883 -q 1 -r -t site/temperature -m 21
	# The site's topic is subscribed to last: its retained message comes
	# after anything the idguard/ filters would deliver.
	out=$(in_ns "$BROKER_NS" mosquitto_sub -V 5 -h 127.0.0.1 -p 1883 -q 1 -v -C 1 -W 10 \
		-t 'idguard/#' -t site/temperature 2>&1)
	assert_eq "$out" "site/temperature 21" "what an anonymous client of the site's listener reads"
	out=$(mqtt_retained "$SUP_NS" approver-wang 1 'idguard/request/+/+')
	assert_eq "$out" "idguard/request/ws-017/r1 $REQ1" "what the supervisor reads"

	broker_stop
	mv "$T/broker/conf.d/zz-site.conf" "$T/broker/conf.d/00-site.conf"
	rc=0
	out=$(in_ns "$BROKER_NS" timeout 10 mosquitto -c "$T/broker/mosquitto.conf" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "mosquitto started (or hung) with a security setting before the drop-in (exit $rc)"
	assert_match "$out$(cat "$T/mosquitto.log")" "per_listener_settings must be set before any other security settings" \
		"why mosquitto refused the configuration"
}

# The load-test rig: 200 workstations' clients in one LAN namespace publish
# at once, and a supervisor finds every request.
t_broker_lan_200_workstations() {
	local i pids=() out start took
	local -a names=()
	broker_net_lan
	for i in $(seq -w 1 200); do
		names+=("lan-$i")
	done
	broker_certs "${names[@]}"
	broker_start
	start=$(date +%s%N)
	for i in "${names[@]}"; do
		mqtt_pub "$LAN_NS" "$i" -q 1 -r -t "idguard/request/$i/r1" -m "idgreq2.$i" &
		pids+=($!)
	done
	for i in "${pids[@]}"; do
		wait "$i" || fail "a publish from the LAN namespace failed"
	done
	out=$(mqtt_retained "$SUP_NS" approver-wang 200 'idguard/request/+/+')
	took=$(( ($(date +%s%N) - start) / 1000000 ))
	assert_eq "$(sort <<<"$out" | uniq | wc -l)" 200 "distinct requests the supervisor found"
	assert_eq "$(grep -c '^idguard/request/lan-[0-9]*/r1 idgreq2.lan-[0-9]*$' <<<"$out")" 200 "well-formed requests"
	note "200 workstations published and a supervisor read all requests in ${took} ms"
	[ "$(in_ns "$LAN_NS" ip -br -4 addr show dev eth0 | awk '{ print $3 }')" = "$LAN_ADDR/24" ] ||
		fail "the LAN namespace does not have $LAN_ADDR"
}
