# The print gate end to end: a real cupsd of the test's own (its own
# ServerRoot, spool, logs and ServerBin, reached only through a socket in
# $T), a queue testq through the idguard backend to tcp_sink standing in for
# a network printer, and idguardd answering the backend. Each test checks
# what people see: lp's answer, the job's state and message, the bytes that
# reached the printer, and the daemon's record.
# shellcheck shell=bash
TCP_SINK=$BUILD/helpers/tcp_sink
BACKEND=$BUILD/idguard-backend
ID_NUMBER=11010519491231002X # GB 11643's worked example: its checksum holds
DENIED_SENTENCE="idguard: printing needs a purpose token for the printer class; idgt-alice holds none (ask a supervisor, then 'idguardctl token redeem')"

# Stops what start_print started, by pid, then cleans up as every test does.
stop_print() {
	local pid
	for pid in ${CUPSD_PID:-} ${SINK_PID:-}; do
		kill -TERM "$pid" 2>/dev/null || continue
		wait_until 10 sh -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	CUPSD_PID='' SINK_PID=''
}

# The printer (tcp_sink on a port the kernel picks, appending to $PRINTED),
# a private cupsd on the socket $CUPS, and queue testq: idguard in front of
# socket://. The backend finds the daemon through SetEnv IDGUARD_SOCKET,
# which CUPS 2.4 honours in cups-files.conf only.
start_print() {
	local root=$T/cups dir port attr
	trap 'stop_print; cleanup_env' EXIT
	CUPS=$root/cups.sock
	PRINTED=$T/printed
	"$TCP_SINK" 0 "$PRINTED" >"$T/sink.out" 2>&1 &
	SINK_PID=$!
	wait_until 5 grep -q '^listening ' "$T/sink.out" || fail "tcp_sink did not start: $(cat "$T/sink.out")"
	port=$(awk '{ print $2 }' "$T/sink.out")
	# ServerBin mirrors the system's, plus our backend: root's and mode 0700,
	# as cupsd demands of a backend it runs as root.
	mkdir -p "$root/serverbin/backend" "$root/spool/tmp" "$root/cache" "$root/state" "$root/log"
	for dir in /usr/lib/cups/*; do
		[ "${dir##*/}" = backend ] || ln -s "$dir" "$root/serverbin/"
	done
	ln -s /usr/lib/cups/backend/* "$root/serverbin/backend/"
	install -m 0700 -o root -g root "$BACKEND" "$root/serverbin/backend/idguard"
	cat >"$root/cups-files.conf" <<-EOF
	ServerRoot $root
	ServerBin $root/serverbin
	DataDir /usr/share/cups
	RequestRoot $root/spool
	TempDir $root/spool/tmp
	CacheDir $root/cache
	StateDir $root/state
	AccessLog $root/log/access_log
	ErrorLog $root/log/error_log
	PageLog $root/log/page_log
	User lp
	Group lp
	SystemGroup root
	FileDevice No
	SetEnv IDGUARD_SOCKET $SOCK
	EOF
	# No TCP listener: nothing to collide with. A job held for a retry is
	# due again after 1 second instead of 30. The policy we ship is there
	# for the queue to use.
	cat - "$BUILD/../packaging/cupsd-idguard-policy.conf" >"$root/cupsd.conf" <<-EOF
	LogLevel debug
	Listen $CUPS
	Browsing No
	BrowseLocalProtocols none
	WebInterface No
	JobRetryInterval 1
	JobRetryLimit 100
	<Location />
	Order allow,deny
	Allow localhost
	</Location>
	<Policy default>
	<Limit All>
	Order deny,allow
	</Limit>
	</Policy>
	EOF
	cupsd -f -c "$root/cupsd.conf" -s "$root/cups-files.conf" >"$root/log/cupsd.out" 2>&1 &
	CUPSD_PID=$!
	wait_until 15 cupsd_answers ||
		fail "cupsd did not start: $(tail -5 "$root/log/cupsd.out" "$root/log/error_log" 2>/dev/null)"
	# Raw queues still work in CUPS 2.4; lpadmin only warns that they are deprecated.
	lpadmin -h "$CUPS" -p testq -E -v "idguard:/socket://127.0.0.1:$port" -m raw 2>"$T/lpadmin.err" ||
		fail "lpadmin: $(cat "$T/lpadmin.err")"
	# ipptool does not expand variables in DISPLAY: a request per attribute.
	for attr in job-state job-printer-state-message; do
		cat >"$T/$attr.ipp" <<-EOF
		{
			OPERATION Get-Job-Attributes
			GROUP operation-attributes-tag
			ATTR charset attributes-charset utf-8
			ATTR naturalLanguage attributes-natural-language en
			ATTR uri printer-uri \$uri
			ATTR integer job-id \$job
			ATTR keyword requested-attributes $attr
			STATUS successful-ok
			DISPLAY $attr
		}
		EOF
	done
}

cupsd_answers() {
	[ "$(lpstat -h "$CUPS" -r 2>/dev/null)" = "scheduler is running" ]
}

# print_as USER TITLE TEXT: submits TEXT as a job with lp, as USER in the
# guarded cgroup; prints lp's output. The job id is in $T/job.
print_as() {
	local out
	out=$(printf '%s' "$3" | as_clerk "$1" lp -h "$CUPS" -d testq -t "$2" 2>&1) ||
		fail "lp as $1 failed: $out"
	assert_match "$out" '^request id is testq-[0-9]+ \(0 file\(s\)\)$' "lp's answer"
	sed -E 's/^request id is testq-([0-9]+) .*/\1/' <<<"$out" >"$T/job"
	echo "$out"
}

# job_attr JOB ATTRIBUTE: the job's job-state or job-printer-state-message, from cupsd.
job_attr() {
	ipptool -c -d job="$1" "ipp://${CUPS//\//%2F}/printers/testq" "$T/$2.ipp" | sed -n 2p |
		sed -E 's/^"(.*)"$/\1/; s/""/"/g'
}

job_in_state() { # JOB REGEX
	grep -Eqx "$2" <<<"$(job_attr "$1" job-state)"
}

# wait_job_done JOB: until cupsd has finished with the job, one way or the other.
wait_job_done() {
	wait_until 20 job_in_state "$1" 'completed|canceled|aborted' ||
		fail "job $1 is still $(job_attr "$1" job-state): $(job_attr "$1" job-printer-state-message)"
}

# The daemon's print records: print_records MESSAGE_ID [MATCH...].
print_records() {
	local id=$1
	shift
	journal MESSAGE_ID="$id" _PID="$DPID" IDGUARD_GATE=print "$@"
}

has_print_record() {
	[ -n "$(print_records "$@")" ]
}

# print_record MESSAGE_ID JOB: waits for the job's record and prints it.
print_record() {
	wait_until 10 has_print_record "$1" IDGUARD_PRINT_JOB="$2" ||
		fail "no record with MESSAGE_ID=$1 for job $2; the daemon wrote: $(journal _PID="$DPID" | jq -r .MESSAGE)"
	print_records "$1" IDGUARD_PRINT_JOB="$2" | tail -n 1
}

t_print_enforce_cancels_the_job_and_keeps_the_queue() {
	local job rec uid out since
	since=$(date +%s)
	write_policy <<-EOF
	[Class printer]
	Mode=enforce
	EOF
	start_daemon
	start_print
	print_as idgt-alice "Account form" "PAGE-1 card copy" >/dev/null
	job=$(cat "$T/job")
	wait_job_done "$job"
	assert_eq "$(job_attr "$job" job-state)" canceled "the refused job"
	assert_eq "$(job_attr "$job" job-printer-state-message)" "$DENIED_SENTENCE" "the job's message"
	# The queue goes on (CUPS_BACKEND_CANCEL, not STOP) and says why.
	out=$(lpstat -h "$CUPS" -p testq)
	assert_match "$(head -n 1 <<<"$out")" '^printer testq is idle\.  enabled since ' "the printer's state"
	assert_eq "$(sed -n 2p <<<"$out")" "	$DENIED_SENTENCE" "the printer's state message"
	assert_eq "$(stat -c %s "$PRINTED")" 0 "bytes that reached the printer"
	uid=$(id -u idgt-alice)
	rec=$(print_record "$MSG_DENIED" "$job")
	assert_eq "$(jq -c '[.IDGUARD_GATE, .IDGUARD_VERDICT, .IDGUARD_CLASS, .IDGUARD_PRINT_QUEUE, .IDGUARD_PRINT_TITLE, .IDGUARD_USER, .IDGUARD_UID, .IDGUARD_REASON]' <<<"$rec")" \
		"[\"print\",\"denied\",\"printer\",\"testq\",\"Account form\",\"idgt-alice\",\"$uid\",\"no-grant\"]" "denied record"
	assert_eq "$(jq -r .MESSAGE <<<"$rec")" \
		"Refused printing job $job \"Account form\" of idgt-alice (uid $uid) on printer queue testq: no purpose token" \
		"denied record's sentence"
	# The auditor's summary counts it as a print job, not a nameless
	# program (the journal holds the other tests' records too).
	assert_eq "$("$IDGUARDCTL" audit --directory "$JOURNAL_DIR" --since "@$since" --class printer --summary --json |
		jq -c '[.refused.by_program[].name]')" '["(print job)"]' "the refusal in the summary"
}

t_print_audit_delivers_and_records() {
	local job rec
	write_policy <<-EOF
	[Class printer]
	Mode=audit
	EOF
	start_daemon
	start_print
	print_as idgt-alice "Account form" $'PAGE-1\n\x1b%-12345X raw bytes\n' >/dev/null
	job=$(cat "$T/job")
	wait_job_done "$job"
	assert_eq "$(job_attr "$job" job-state)" completed "the audited job"
	assert_eq "$(od -An -c "$PRINTED")" "$(printf 'PAGE-1\n\x1b%%-12345X raw bytes\n' | od -An -c)" \
		"bytes that reached the printer"
	rec=$(print_record "$MSG_AUDITED" "$job")
	assert_eq "$(jq -c '[.IDGUARD_VERDICT, .IDGUARD_PRINT_QUEUE, .IDGUARD_USER, .IDGUARD_PRINT_TITLE]' <<<"$rec")" \
		'["audited","testq","idgt-alice","Account form"]' "audited record"
	assert_match "$(jq -r .MESSAGE <<<"$rec")" "^Audit only: printed job $job \"Account form\" of idgt-alice \(uid [0-9]+\) on printer queue testq although it would be refused: no purpose token$" \
		"audited record's sentence"
}

t_print_enforce_with_a_grant_delivers_for_that_user_only() {
	local job grant rec
	write_policy <<-EOF
	[Class printer]
	Mode=enforce
	EOF
	start_daemon
	start_print
	grant=$(ctl --json grant add --user idgt-alice --class printer --minutes 5 | jq -r .grant.id)
	assert_match "$grant" '^[0-9]+$' "grant id"
	print_as idgt-alice "Account form" "PAGE-1 under a grant" >/dev/null
	job=$(cat "$T/job")
	wait_job_done "$job"
	assert_eq "$(job_attr "$job" job-state)" completed "alice's job under her grant"
	assert_eq "$(cat "$PRINTED")" "PAGE-1 under a grant" "bytes that reached the printer"
	rec=$(print_record "$MSG_GRANTED" "$job")
	assert_eq "$(jq -c '[.IDGUARD_VERDICT, .IDGUARD_REASON, .IDGUARD_GRANT_ID, .IDGUARD_GRANT_SOURCE, .IDGUARD_USER]' <<<"$rec")" \
		"[\"granted\",\"uid-grant\",\"$grant\",\"admin\",\"idgt-alice\"]" "granted record"
	assert_match "$(jq -r .MESSAGE <<<"$rec")" " under grant $grant: administrator grant$" "granted record's sentence"
	# Alice's grant is hers: Bob's job is refused.
	print_as idgt-bob "Bob's form" "PAGE-1 of bob" >/dev/null
	job=$(cat "$T/job")
	wait_job_done "$job"
	assert_eq "$(job_attr "$job" job-state)" canceled "bob's job"
	assert_eq "$(cat "$PRINTED")" "PAGE-1 under a grant" "bytes that reached the printer"
	print_record "$MSG_DENIED" "$job" >/dev/null
}

t_print_held_while_the_daemon_is_down_then_printed() {
	local job
	write_policy <<-EOF
	[Class printer]
	Mode=audit
	EOF
	start_print
	print_as idgt-alice "Account form" "PAGE-1 waits" >/dev/null
	job=$(cat "$T/job")
	# Held for a retry (CUPS_BACKEND_RETRY), not printed, not lost.
	wait_until 20 job_in_state "$job" pending-held || fail "job $job is $(job_attr "$job" job-state), not held"
	assert_eq "$(job_attr "$job" job-printer-state-message)" \
		"idguard: idguardd is not running; printing through this queue is held" "the held job's message"
	assert_match "$(lpstat -h "$CUPS" -W not-completed -o testq)" "^testq-$job " "the job is still queued"
	assert_eq "$(stat -c %s "$PRINTED")" 0 "bytes that reached the printer"
	# The daemon is back: the next try prints it.
	start_daemon
	wait_job_done "$job"
	assert_eq "$(job_attr "$job" job-state)" completed "the job once the daemon is back"
	assert_eq "$(cat "$PRINTED")" "PAGE-1 waits" "bytes that reached the printer"
	print_record "$MSG_AUDITED" "$job" >/dev/null
}

t_print_title_with_an_id_number_is_withheld() {
	local job rec
	write_policy <<-EOF
	[Class printer]
	Mode=enforce
	EOF
	start_daemon
	start_print
	# As people write it: grouped by spaces.
	print_as idgt-alice "copy of card 110105 19491231 002X.pdf" "PAGE-1" >/dev/null
	job=$(cat "$T/job")
	wait_job_done "$job"
	assert_eq "$(job_attr "$job" job-state)" canceled "the refused job"
	rec=$(print_record "$MSG_DENIED" "$job")
	assert_eq "$(jq -c '[.IDGUARD_WITHHELD, .IDGUARD_PRINT_TITLE]' <<<"$rec")" \
		'["MESSAGE IDGUARD_PRINT_TITLE","copy of card [withheld].pdf"]' "withheld title"
	if journalctl --no-pager --directory="$JOURNAL_DIR" -o export | grep -aqF "19491231"; then
		fail "the ID number is in the journal"
	fi
}

# The backend on its own, as cupsd would run it, in front of fake real
# backends that show how they were run: the argument checks, the exit
# codes cupsd acts on, the privilege drop, and long titles.
t_print_backend_contract() {
	local sb=$T/serverbin out status rec
	mkdir -p "$sb/backend"
	# shellcheck disable=SC2016
	printf '#!/bin/sh\necho "$(id -u):$(id -g):$(id -G) $0|$DEVICE_URI|$*"\n' >"$sb/backend/show"
	chmod 0755 "$sb/backend/show" # others may run it: cupsd would run it as lp
	install -m 0700 "$sb/backend/show" "$sb/backend/showroot"
	write_policy <<-EOF
	[Class printer]
	Mode=audit
	EOF
	backend() { # URI ARGS...: the backend with cupsd's environment; prints stdout+stderr
		local uri=$1
		shift
		env -i PATH=/usr/bin:/bin DEVICE_URI="$uri" PRINTER=testq CUPS_SERVERBIN="$sb" \
			CUPS_SERVERROOT="$T/nonexistent" IDGUARD_SOCKET="$SOCK" "$BACKEND" "$@" 2>&1
	}
	# Discovery lists nothing; a wrong call is a usage error.
	out=$(env -i "$BACKEND") && status=0 || status=$?
	assert_eq "$status:$out" "0:" "the backend without arguments"
	out=$(backend idguard:/show:/x 1 alice) && status=0 || status=$?
	assert_eq "$status" 1 "too few arguments"
	assert_match "$out" "^Usage: " "too few arguments"
	# A queue set up wrongly stops (4): its jobs wait for the administrator.
	out=$(backend socket://127.0.0.1:9 1 idgt-alice t 1 "") && status=0 || status=$?
	assert_eq "$status" 4 "a device URI that is not idguard's"
	assert_eq "$out" "ERROR: idguard: the device URI 'socket://127.0.0.1:9' is not idguard:/REAL-URI (for example idguard:/socket://192.0.2.10:9100)" "message"
	out=$(backend idguard:/nope://x 1 idgt-alice t 1 "") && status=0 || status=$?
	assert_eq "$status:$out" "4:ERROR: idguard: no CUPS backend for 'nope:' URIs: $sb/backend/nope: No such file or directory" \
		"a scheme without a backend"
	out=$(backend idguard:/idguard:/show:/x 1 idgt-alice t 1 "") && status=0 || status=$?
	assert_eq "$status:$out" "4:ERROR: idguard: the device URI 'idguard:/idguard:/show:/x' wraps idguard itself" \
		"idguard in front of idguard"
	# No daemon: held for a retry (6).
	out=$(backend idguard:/show:/x 1 idgt-alice t 1 "") && status=0 || status=$?
	assert_eq "$status" 6 "no daemon"
	assert_match "$out" "^ERROR: idguard: idguardd is not running; printing through this queue is held$" "message"
	start_daemon
	# The real backend runs as cupsd would run it, with its own URI.
	out=$(backend idguard:/show:/x?a=1 7 idgt-alice "a title" 1 "opt=1" /etc/hostname) && status=0 || status=$?
	assert_eq "$status" 0 "printing through show"
	assert_eq "$(grep -v '^DEBUG: ' <<<"$out")" \
		"$(id -u lp):$(id -g lp):$(id -g lp) $sb/backend/show|show:/x?a=1|7 idgt-alice a title 1 opt=1 /etc/hostname" \
		"a backend others may run runs as lp, with one group"
	assert_eq "$(grep '^DEBUG: ' <<<"$out")" "DEBUG: idguard: printer class in audit mode" "debug line"
	# idguard://REAL-URI is taken too; a backend only root may run runs as root.
	out=$(backend idguard://showroot:/x 8 idgt-alice "t" 1 "") && status=0 || status=$?
	assert_eq "$status:$(grep -v '^DEBUG: ' <<<"$out" | cut -d' ' -f1)" "0:0:0:0" "a 0700 backend runs as root"
	# A title longer than print-check takes is cut at a character boundary.
	out=$(backend idguard:/show:/x 9 idgt-alice "$(printf '證%.0s' $(seq 400))" 1 "") && status=0 || status=$?
	assert_eq "$status" 0 "a 1200-byte title"
	rec=$(print_record "$MSG_AUDITED" 9)
	assert_eq "$(jq -r .IDGUARD_PRINT_TITLE <<<"$rec")" "$(printf '證%.0s' $(seq 341))" "the title, cut to 1023 bytes"
	# A user name print-check cannot carry whole is refused, not cut into another's.
	out=$(backend idguard:/show:/x 10 "$(printf 'a%.0s' $(seq 257))" t 1 "") && status=0 || status=$?
	assert_eq "$status:$out" "5:ERROR: idguard: refused the job: its user name is longer than 256 bytes" "a 257-byte user"
	# Denied: the job is cancelled (5) with the daemon's sentence.
	write_policy <<-EOF
	[Class printer]
	Mode=enforce
	EOF
	ctl reload >/dev/null
	out=$(backend idguard:/show:/x 11 idgt-alice t 1 "") && status=0 || status=$?
	assert_eq "$status:$out" "5:ERROR: $DENIED_SENTENCE" "denied"
	# What it quotes cannot add lines of its own to what cupsd reads (PPD:, ATTR:).
	out=$(backend idguard:/show:/x 12 $'idgt-x\nPPD: *cupsFilter2: "x"' t 1 "") && status=0 || status=$?
	assert_eq "$status:$(wc -l <<<"$out")" "5:1" "a user name with a newline"
	assert_match "$out" '^ERROR: idguard: printing needs .*; idgt-x PPD: \*cupsFilter2: "x" holds none' "the refusal"
}

# CUPS takes a job's user name from the client (lp -U anyone) unless the
# queue's policy asks for authentication: packaging/cupsd-idguard-policy.conf
# does, and a local clerk is then authenticated by the socket without a
# password and cannot borrow the name of a colleague who holds a grant.
t_print_with_the_idguard_policy_a_clerk_cannot_print_as_another() {
	local out status job rec
	write_policy <<-EOF
	[Class printer]
	Mode=enforce
	EOF
	start_daemon
	start_print
	lpadmin -h "$CUPS" -p testq -o printer-op-policy=idguard
	ctl grant add --user idgt-bob --class printer --minutes 5 >/dev/null
	out=$(printf 'PAGE-1' | as_clerk idgt-alice lp -h "$CUPS" -d testq -U idgt-bob -t "Account form" 2>&1) &&
		status=0 || status=$?
	assert_eq "$status:$out" "1:lp: Unauthorized" "alice printing as bob"
	# As herself she is who she is, and has no grant.
	print_as idgt-alice "Account form" "PAGE-1 of alice" >/dev/null
	job=$(cat "$T/job")
	wait_job_done "$job"
	assert_eq "$(job_attr "$job" job-state)" canceled "alice's job"
	assert_eq "$(print_record "$MSG_DENIED" "$job" | jq -r .IDGUARD_USER)" idgt-alice "the refused job's user"
	print_as idgt-bob "Bob's form" "PAGE-1 of bob" >/dev/null
	job=$(cat "$T/job")
	wait_job_done "$job"
	assert_eq "$(job_attr "$job" job-state)" completed "bob's job under his grant"
	assert_eq "$(cat "$PRINTED")" "PAGE-1 of bob" "bytes that reached the printer"
	rec=$(print_record "$MSG_GRANTED" "$job")
	assert_eq "$(jq -r .IDGUARD_USER <<<"$rec")" idgt-bob "the printed job's user"
}
