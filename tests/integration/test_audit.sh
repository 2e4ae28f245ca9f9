# The auditor's view: idguardctl audit on a journal the tests produce
# (never hand-written text): exact counts, filters, the three formats (the
# CSV read back by Python's csv module), the summary, ID numbers withheld,
# a clear refusal for someone who may not read the journal, and central
# collection through systemd-journal-upload and systemd-journal-remote on
# loopback.
# shellcheck shell=bash

# Records of this test only: from the next whole second on.
audit_window_start() {
	local t0
	t0=$(date +%s)
	wait_until 2 sh -c "[ \$(date +%s) -gt $t0 ]"
	AUDIT_SINCE=@$((t0 + 1))
}

audit() {
	"$IDGUARDCTL" audit --since "$AUDIT_SINCE" "$@"
}

counts_arrived() { # MESSAGE_ID N
	[ "$(sum_counts "$1")" = "$2" ]
}

# The records the scenario below makes, once all have arrived.
make_audit_records() {
	setup_tokens
	start_daemon
	audit_window_start
	as_user $NOBODY "$TRY_OPEN" -n 500 -P 2 "$T/cam" >/dev/null
	as_user $NOBODY "$TRY_OPEN" -n 10 "$T/zero" >/dev/null
	TOKEN=$(request_and_approve idgt-alice wang account-opening scanner 10)
	clerk_ctl idgt-alice token redeem "$TOKEN" >/dev/null || fail "redeem"
	JTI=$(clerk_ctl idgt-alice token list --json | jq -r '.grants[0].token_id')
	as_clerk idgt-alice "$TRY_OPEN" -n 5 "$T/scan" >/dev/null
	wait_until 15 counts_arrived $MSG_DENIED 1000 || fail "the 1000 refusals did not all arrive: $(sum_counts $MSG_DENIED)"
	wait_until 15 counts_arrived $MSG_AUDITED 10 || fail "the 10 audited opens did not all arrive"
	wait_until 15 counts_arrived $MSG_GRANTED 5 || fail "the 5 granted opens did not all arrive"
}

t_audit_counts_filters_and_formats() {
	local json summary out status
	make_audit_records

	summary=$(audit --directory "$JOURNAL_DIR" --summary --json)
	assert_eq "$(jq -c .verdicts <<<"$summary")" '{"denied":1000,"audited":10,"granted":5}' "attempts by verdict"
	assert_eq "$(jq -r '.users.nobody.denied' <<<"$summary")" 1000 "nobody's refusals"
	assert_eq "$(jq -r '.classes.camera.denied' <<<"$summary")" 1000 "refusals by class"
	assert_eq "$(jq -r '.classes["card-reader"].audited' <<<"$summary")" 10 "audited by class"
	assert_eq "$(jq -r --arg h "$(uname -n)" '.hosts[$h].granted' <<<"$summary")" 5 "by host"
	assert_eq "$(jq -c .tokens_redeemed <<<"$summary")" '{"by_purpose":{"account-opening":1},"by_approver":{"wang":1}}' "tokens"
	assert_eq "$(jq -c '.most_refused_users[0]' <<<"$summary")" '{"name":"nobody","count":1000}' "most refused user"
	assert_match "$(jq -r '.most_refused_devices[0].name' <<<"$summary")" "char $TEST_MAJOR:0|$T/cam" "most refused device"

	# Filters; the counts of the records shown add up exactly.
	json=$(audit --directory "$JOURNAL_DIR" --verdict denied --json)
	assert_eq "$(jq -s 'map(.count|tonumber)|add' <<<"$json")" 1000 "denied attempts in --json"
	assert_eq "$(jq -r .event <<<"$json" | sort -u)" access-denied "only refusals"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --class card-reader --verdict audited --json | jq -s 'map(.count|tonumber)|add')" \
		10 "--class and --verdict together"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --user idgt-alice --json | jq -r .event | sort -u | tr '\n' ' ')" \
		"access-granted token-redeemed " "--user"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --token "$JTI" --json | jq -r .token_id | sort -u)" "$JTI" "--token"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --purpose account-opening --verdict granted --json | jq -s 'map(.count|tonumber)|add')" \
		5 "--purpose"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --user nobody --user idgt-alice --verdict granted --json | jq -s length)" \
		"$(audit --directory "$JOURNAL_DIR" --user idgt-alice --verdict granted --json | jq -s length)" "repeated --user is 'or'"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --until "$AUDIT_SINCE" --verdict denied --json | jq -s length)" 0 \
		"--until before the records"

	# The table: a header and aligned rows.
	out=$(audit --directory "$JOURNAL_DIR" --verdict denied)
	assert_match "$(head -n 1 <<<"$out")" '^TIME +HOST +EVENT +USER +CLASS +PROGRAM +COUNT +WHAT$' "table header"
	assert_match "$(sed -n 2p <<<"$out")" "^[0-9-]{10} [0-9:]{8}  $(uname -n) +access-denied +nobody +camera " "table row"

	# CSV, read back with a real CSV parser: the same rows as --json.
	audit --directory "$JOURNAL_DIR" --csv >"$T/audit.csv"
	audit --directory "$JOURNAL_DIR" --json >"$T/audit.json"
	python3 - "$T/audit.csv" "$T/audit.json" <<-'EOF' || fail "the CSV does not match the JSON"
	import csv, json, sys
	with open(sys.argv[1], newline="") as f:
	    rows = list(csv.DictReader(f))
	with open(sys.argv[2]) as f:
	    objs = [json.loads(line) for line in f]
	assert len(rows) == len(objs) > 0, (len(rows), len(objs))
	for row, obj in zip(rows, objs):
	    for key, value in obj.items():
	        if key == "redacted":
	            assert row[key] == ("yes" if value else "no")
	        else:
	            want = str(value)
	            if want[:1] in ("=", "+", "-", "@"):
	                want = "'" + want
	            assert row[key] == want, (key, row[key], value)
	pass
	EOF

	# Someone outside idguard-auditors (most often a clerk) is pointed to
	# her own record, not to the auditors' group (Article 8).
	out=$(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$IDGUARDCTL" audit --directory "$JOURNAL_DIR" 2>&1) &&
		status=0 || status=$?
	assert_eq "$status" 4 "exit status without permission"
	assert_match "$out" "idguardctl why" "the clerk's own record"
}

t_audit_withholds_id_numbers() {
	local out
	audit_window_start
	# A record that should never exist: card data in an idguard record.
	printf 'MESSAGE_ID=%s\nMESSAGE=token for 11010519491231002X refused\nIDGUARD_REF=11010519491231002X\nIDGUARD_USER=idgt-bob\n' \
		"$MSG_TOKEN_REJECTED" >"$T/bad-record"
	logger --journald="$T/bad-record" || fail "logger --journald"
	wait_until 10 sh -c "journalctl --no-pager --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_TOKEN_REJECTED IDGUARD_USER=idgt-bob | grep -q refused" ||
		fail "the record did not arrive"
	out=$(audit --directory "$JOURNAL_DIR" --user idgt-bob --json; audit --directory "$JOURNAL_DIR" --user idgt-bob;
	      audit --directory "$JOURNAL_DIR" --user idgt-bob --csv)
	assert_match "$out" '\[withheld\]' "shown withheld"
	assert_match "$out" '"redacted": *true' "flagged in JSON"
	assert_match "$out" 'REDACTED' "flagged in the table"
	if grep -q 11010519491231002X <<<"$out"; then
		fail "the ID number was printed"
	fi
	# The same written by an ordinary user is not idguard's record at all.
	sed -i 's/idgt-bob/idgt-alice/' "$T/bad-record"
	setpriv --reuid="$(id -u idgt-alice)" --regid="$(id -u idgt-alice)" --clear-groups logger --journald="$T/bad-record" ||
		fail "logger as a user"
	wait_until 10 sh -c "journalctl --no-pager --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_TOKEN_REJECTED IDGUARD_USER=idgt-alice | grep -q refused" ||
		fail "the user's record did not arrive"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --user idgt-alice --json | jq -s length)" 0 "a user's forged record is not shown"
}

t_audit_central_collection_through_journal_remote() {
	local port=$((20000 + $$ % 10000)) summary
	make_audit_records
	mkdir -p "$T/remote"
	/lib/systemd/systemd-journal-remote --listen-http=127.0.0.1:$port --output="$T/remote/" --split-mode=host \
		>"$T/remote.log" 2>&1 &
	REMOTE_PID=$!
	trap 'kill $REMOTE_PID 2>/dev/null || true; wait $REMOTE_PID 2>/dev/null || true; cleanup_env' EXIT
	wait_until 10 sh -c "grep -q ':$(printf %04X $port) ' /proc/net/tcp" ||
		fail "systemd-journal-remote did not listen: $(cat "$T/remote.log")"
	/lib/systemd/systemd-journal-upload --url=http://127.0.0.1:$port --save-state="$T/upload.state" --follow=no \
		>"$T/upload.log" 2>&1 || fail "systemd-journal-upload failed: $(tail -3 "$T/upload.log")"
	summary=$(audit --directory "$T/remote" --summary --json)
	assert_eq "$(jq -c .verdicts <<<"$summary")" '{"denied":1000,"audited":10,"granted":5}' "counts on the collector"
	# The host is the sender as the collector filed it (remote-ADDRESS.journal):
	# the address the connection came from, not what the sender wrote.
	assert_eq "$(jq -r 'keys[]' <<<"$(jq .hosts <<<"$summary")")" 127.0.0.1 "the sender, as the collector filed it"
	assert_eq "$(audit --directory "$T/remote" --verdict denied --json | jq -r .claimed_host | sort -u)" "$(uname -n)" \
		"the host name the sender wrote, beside it"
	assert_eq "$(audit --directory "$T/remote" --host 127.0.0.1 --verdict denied --json | jq -s 'map(.count|tonumber)|add')" \
		1000 "--host on the collector"
	assert_eq "$(audit --directory "$T/remote" --host '127.*' --verdict denied --json | jq -s 'map(.count|tonumber)|add')" \
		1000 "--host glob on the collector"
	assert_eq "$(audit --directory "$T/remote" --host no-such-host --json | jq -s length)" 0 "another host"
	assert_eq "$(jq -r .host_source <<<"$summary")" collector "the summary says where the hosts come from"

	# The site's list of which address is which workstation (/etc/hosts form).
	printf '# ADDRESS      NAME\n127.0.0.1   ws-017   # the counter by the door\n10.0.0.9 ws-099\n' >"$T/names"
	summary=$(audit --directory "$T/remote" --names "$T/names" --summary --json)
	assert_eq "$(jq -r '.hosts|keys[]' <<<"$summary")" ws-017 "the sender by the site's name for its address"
	assert_eq "$(jq -r .host_source <<<"$summary")" collector-named "named by the list"
	assert_eq "$(jq -c '.claimed_host_differs[]|[.host,.claimed_host]' <<<"$summary" | sort -u)" "[\"ws-017\",\"$(uname -n)\"]" \
		"a sender that wrote another host name is pointed out"
	assert_eq "$(jq '[.claimed_host_differs[].records]|add' <<<"$summary")" "$(jq .records <<<"$summary")" \
		"in each of its records"
	assert_match "$(audit --directory "$T/remote" --names "$T/names" --summary)" \
		"Workstations: named by $T/names from the address the collector received" "the text summary says so"
	assert_eq "$(audit --directory "$T/remote" --names "$T/names" --host 'ws-0*' --verdict denied --json |
		jq -s 'map(.count)|add'),$(audit --directory "$T/remote" --names "$T/names" --verdict denied --json | jq -r .sender_address | sort -u)" \
		1000,127.0.0.1 "--host by the name, the address beside it"
	assert_eq "$(audit --directory "$T/remote" --names "$T/names" --host 127.0.0.1 --json | jq -s length)" 0 \
		"a named sender is asked for by its name"
	assert_eq "$(audit --file "$T/remote/remote-127.0.0.1.journal" --names "$T/names" --verdict denied --json |
		jq -r '[.host, .sender_address, .claimed_host] | join(" ")' | sort -u)" "ws-017 127.0.0.1 $(uname -n)" \
		"one of the collector's files, given by --file, is read the same way"

	# A mistake in the list: FILE:LINE, and nothing printed by a half-read list.
	printf '127.0.0.1 ws-017\n\n127.0.0.1 ws-018\n' >"$T/names-twice"
	printf '127.0.0.1\n' >"$T/names-short"
	local out rc
	out=$(audit --directory "$T/remote" --names "$T/names-twice" --json 2>&1) && rc=0 || rc=$?
	assert_eq "$rc:$out" "1:idguardctl audit: $T/names-twice:3: 127.0.0.1 is already named ws-017 (line 1)" \
		"an address named twice"
	out=$(audit --directory "$T/remote" --names "$T/names-short" --json 2>&1) && rc=0 || rc=$?
	assert_match "$rc:$out" "^1:idguardctl audit: $T/names-short:1: expected \"ADDRESS NAME\"" "a line without a name"
	out=$(audit --directory "$T/remote" --names "$T/no-such-names" --json 2>&1) && rc=0 || rc=$?
	assert_match "$rc:$out" "^1:idguardctl audit: cannot read the names file $T/no-such-names: No such file" \
		"a names file asked for must exist"
	out=$(audit --names "$T/names" --json 2>&1) && rc=0 || rc=$?
	assert_match "$rc:$out" "^2:idguardctl audit: --names names a collector's senders" "--names without a collector"

	# Someone who may not read the collector's files is told once, and
	# pointed to `idguardctl why`, whatever the number of senders.
	chmod 755 "$T" "$T/remote"
	out=$(setpriv --reuid=$NOBODY --regid=$NOBODY --clear-groups "$IDGUARDCTL" audit --directory "$T/remote" 2>&1) &&
		rc=0 || rc=$?
	assert_eq "$rc,$(grep -c 'you may not read' <<<"$out"),$(grep -c 'left out' <<<"$out")" "4,1,0" \
		"no permission: one explanation, exit status 4"

	# A sender's file that cannot be read: the others are counted, and the
	# summary (which may be read without stderr) and the exit status say so.
	cp -r "$T/remote" "$T/remote-damaged"
	head -c 65536 /dev/urandom >"$T/remote-damaged/remote-10.9.9.9.journal"
	summary=$(audit --directory "$T/remote-damaged" --summary --json 2>"$T/damaged.err") && rc=0 || rc=$?
	assert_eq "$rc,$(jq -c .verdicts <<<"$summary"),$(jq -r '.unreadable_files[]' <<<"$summary")" \
		"1,{\"denied\":1000,\"audited\":10,\"granted\":5},$T/remote-damaged/remote-10.9.9.9.journal" \
		"a damaged sender's file is named in the summary and the exit status is 1"
	assert_match "$(cat "$T/damaged.err")" "cannot open $T/remote-damaged/remote-10.9.9.9.journal: .*; its records are left out" \
		"and on stderr"
}

t_audit_follow_prints_new_records() {
	local follow_pid
	start_daemon
	audit_window_start
	# Not through audit(): $! would be the function's subshell, and
	# killing it would leave idguardctl following for ever.
	"$IDGUARDCTL" audit --since "$AUDIT_SINCE" --directory "$JOURNAL_DIR" --follow --json >"$T/follow.out" 2>&1 &
	follow_pid=$!
	trap 'kill $FOLLOW_PID 2>/dev/null || true; cleanup_env' EXIT
	FOLLOW_PID=$follow_pid
	as_user $NOBODY "$TRY_OPEN" "$T/cam" >/dev/null
	wait_until 10 grep -q '"event": *"access-denied"' "$T/follow.out" ||
		fail "--follow did not print the new refusal: $(cat "$T/follow.out")"
	kill "$follow_pid" || fail "--follow ended by itself: $(cat "$T/follow.out")"
	wait "$follow_pid" 2>/dev/null || true
}

# journalctl -x explains idguard's records with the shipped catalog. Built
# in a scratch root, so the machine's catalog database is not touched.
t_audit_catalog_explains_records() {
	local root=$T/root id out
	start_daemon
	as_user $NOBODY "$TRY_OPEN" "$T/cam" >/dev/null
	wait_records 1 $MSG_DENIED
	mkdir -p "$root/usr/lib/systemd/catalog" "$root/var/log/journal"
	cp "$BUILD/../packaging/idguard.catalog" "$root/usr/lib/systemd/catalog/"
	cp -r "$JOURNAL_DIR"/. "$root/var/log/journal/"
	journalctl --root="$root" --update-catalog 2>"$T/catalog.err" || fail "the catalog does not build: $(cat "$T/catalog.err")"
	[ ! -s "$T/catalog.err" ] || fail "journalctl complained about the catalog: $(cat "$T/catalog.err")"
	# Every MESSAGE_ID the agent uses has an entry, in English and zh_CN.
	for id in $(sed -n 's/^#define IDG_MSG_[A-Z_]* *"\([0-9a-f]*\)"$/\1/p' "$BUILD/../agent/lib/journal.h"); do
		assert_match "$(journalctl --root="$root" --list-catalog "$id" 2>&1)" "^$id idguard: " "catalog entry for $id"
		grep -q "^-- $id zh_CN$" "$root/usr/lib/systemd/catalog/idguard.catalog" || fail "no zh_CN entry for $id"
	done
	# journalctl -x reads the system's catalog database: give it ours, in
	# this test's mount namespace only.
	mkdir -p /var/lib/systemd/catalog
	mount --bind "$root/var/lib/systemd/catalog" /var/lib/systemd/catalog
	trap 'umount /var/lib/systemd/catalog 2>/dev/null || true; cleanup_env' EXIT
	out=$(journalctl --directory="$JOURNAL_DIR" --no-pager -x MESSAGE_ID=$MSG_DENIED IDGUARD_CGROUP_ID="$(cgroup_id)")
	assert_match "$out" "Subject: Use of an imaging device, service or printer refused" "journalctl -x shows the entry"
	assert_match "$out" "Article 7" "and why it matters"
	assert_match "$out" "class camera" "with the record's fields filled in"
}

# What the Friday report needs of the table, the filters and the exports
# (issue 16): a value is never altered, only visibly cut; names are checked.
t_audit_table_filters_and_exports_as_auditors_ask() {
	local out status code rid short
	setup_tokens
	start_daemon
	audit_window_start
	as_user $NOBODY "$TRY_OPEN" -n 3 "$T/cam" >/dev/null
	# A token for a case with a Chinese reference, through a request whose
	# id the messages print in short.
	code=$(clerk_ctl idgt-alice token request --purpose account-opening --ref "开户业务-二〇二六-第0042号" \
		--class scanner --minutes 10 --policy-dir "$T/policy" --no-send --json)
	rid=$(jq -r .request_id <<<"$code")
	"$IDGUARDCTL" token approve "$(jq -r .request <<<"$code")" --key "$T/keys/wang.k4.secret" \
		--policy-dir "$T/policy" --approvers-dir "$T/approvers" --yes 2>/dev/null >"$T/token"
	clerk_ctl idgt-alice token redeem - <"$T/token" >/dev/null || fail "redeem"
	as_clerk idgt-alice "$TRY_OPEN" -n 2 "$T/scan" >/dev/null
	wait_until 15 counts_arrived $MSG_GRANTED 2 || fail "the granted opens did not arrive"
	wait_until 15 counts_arrived $MSG_DENIED 3 || fail "the refusals did not arrive"

	# The table: valid UTF-8, the program column, a cut value marked.
	out=$(audit --directory "$JOURNAL_DIR" --event access-granted)
	iconv -f UTF-8 -t UTF-8 <<<"$out" >/dev/null || fail "the table is not valid UTF-8"
	assert_match "$(head -n 1 <<<"$out")" "PROGRAM" "the program column"
	assert_match "$(sed -n 2p <<<"$out")" "try_open \([0-9]+\)" "the program and its pid"
	assert_match "$(sed -n 2p <<<"$out")" "开户业务-二〇二六-第0042号" "the reference, whole, in the last column"
	out=$(audit --directory "$JOURNAL_DIR" --event access-granted --wide)
	assert_match "$out" "开户业务-二〇二六-第0042号" "--wide"
	# Names are checked: a typo is a usage error, not an empty table.
	out=$(audit --directory "$JOURNAL_DIR" --class scaner 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "--class scaner"
	assert_match "$out" "unknown class 'scaner' \(known: scanner, camera" "its message"
	out=$(audit --directory "$JOURNAL_DIR" --event token-redeemd 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "--event with a typo"
	# The ids as messages and people give them.
	short=$(sed 's/-//' <<<"$rid")
	assert_eq "$(audit --directory "$JOURNAL_DIR" --request "$rid" --json | jq -r .event)" token-redeemed "--request B4A4-EAE7"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --request "${short,,}" --json | jq -r .event)" token-redeemed "--request b4a4eae7"
	out=$(jq -r '.grants[0].token_id' <<<"$(clerk_ctl idgt-alice token list --json)")
	assert_eq "$(audit --directory "$JOURNAL_DIR" --token "${out:0:8}" --event access-granted --json |
		jq -s 'map(.count) | add')" 2 "--token by its first 8 digits"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --host "$(uname -n | cut -c1)*" --verdict denied --json |
		jq -s 'map(.count) | add')" 3 "--host glob"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --host 'no-such-*' --json | jq -s length)" 0 "--host glob matching nothing"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --approver wang --event token-redeemed --json | jq -s length)" 1 "--approver"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --ref "开户业务-二〇二六-第0042号" --event token-redeemed --json | jq -s length)" \
		1 "--ref"
	audit --directory "$JOURNAL_DIR" --since "$(date -d @${AUDIT_SINCE#@} +%H:%M:%S)" --json >/dev/null ||
		fail "--since HH:MM:SS"
	# Exports: numbers as numbers; CSV with a byte-order mark; ECS.
	out=$(audit --directory "$JOURNAL_DIR" --verdict denied --json | head -n 1)
	assert_eq "$(jq -r '[.uid, .count, .pid] | map(type) | unique | join(",")' <<<"$out")" number "JSON numbers"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --csv --bom | head -c 3 | od -An -tx1 | tr -d ' ')" efbbbf "--bom"
	out=$(audit --directory "$JOURNAL_DIR" --verdict denied --ecs | head -n 1)
	assert_eq "$(jq -r '[.event.action, .event.outcome, .event.kind, .idguard.class, (.process.pid | type)] | join(",")' \
		<<<"$out")" "access-denied,failure,alert,camera,number" "ECS fields"
	assert_match "$(jq -r '."@timestamp"' <<<"$out")" "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z$" "@timestamp"
	# The summary in CSV, and what earlier summaries lacked.
	out=$(audit --directory "$JOURNAL_DIR" --summary --csv)
	assert_eq "$(head -n 1 <<<"$out" | tr -d '\r')" "section,key,measure,value" "summary CSV header"
	assert_match "$out" "refused by_program,try_open,attempts,3" "refusals by program"
	out=$(audit --directory "$JOURNAL_DIR" --summary --json)
	assert_eq "$(jq -c '.token_uses.by_purpose["account-opening"]' <<<"$out")" '{"redeemed":1,"attempts":2}' "token uses"
	assert_eq "$(jq -r '.events["access-denied"].attempts' <<<"$out")" 3 "attempts by kind"
	assert_eq "$(jq -r '.uses_without_approver_total' <<<"$out")" 0 "no use without an approver"
}

# render FILE.html FILE.png: Debian's Chromium, headless, as an auditor's
# browser shows the report; the DOM it built on standard output.
render() {
	local profile=$T/chromium-profile
	mkdir -p "$profile"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run \
		--user-data-dir="$profile" --window-size=1000,1900 --screenshot="$2" "file://$1" >/dev/null 2>&1 ||
		fail "chromium could not render $1"
	timeout 120 chromium --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$profile" \
		--dump-dom "file://$1" 2>/dev/null
}

t_audit_report_prints_in_a_browser_in_english_and_chinese() {
	local dom colors
	setup_tokens
	start_daemon
	audit_window_start
	as_user $NOBODY "$TRY_OPEN" -n 30 "$T/cam" >/dev/null
	as_clerk idgt-bob "$TRY_OPEN" -n 12 "$T/scan" >/dev/null
	TOKEN=$(request_and_approve idgt-alice wang account-opening scanner 10)
	clerk_ctl idgt-alice token redeem "$TOKEN" >/dev/null || fail "redeem"
	as_clerk idgt-alice "$TRY_OPEN" -n 5 "$T/scan" >/dev/null
	ctl grant add --user idgt-bob --class camera --minutes 5 >/dev/null
	as_clerk idgt-bob "$TRY_OPEN" -n 3 "$T/cam" >/dev/null
	wait_until 15 counts_arrived $MSG_GRANTED 8 || fail "the granted opens did not all arrive"
	wait_until 15 counts_arrived $MSG_DENIED 42 || fail "the refusals did not all arrive"

	audit --directory "$JOURNAL_DIR" --report html --output "$T/report-en.html" 2>/dev/null ||
		fail "the report was not written"
	dom=$(render "$T/report-en.html" "$T/report-en.png" | tr -d "\n")
	assert_match "$dom" "<h1>idguard audit report</h1>" "the title"
	assert_match "$dom" '<dd id="records">[0-9]+</dd>' "the record count"
	assert_match "$dom" 'id="filters">--since @[0-9]+ --directory ' "the filters used"
	assert_match "$dom" "the host name in each record \(_HOSTNAME\), as the workstation itself wrote it" \
		"where the workstations' names come from"
	assert_eq "$(grep -o '<svg' <<<"$dom" | wc -l | tr -d ' ')" 6 "the charts drawn"
	assert_match "$dom" 'id="refusals-per-workstation"><figcaption>[^<]*</figcaption><svg[^>]*><text[^>]*>[^<]+</text><rect[^>]*></rect><text[^>]*>42</text>' \
		"refusals per workstation"
	assert_match "$dom" 'id="uses-per-approver"><figcaption>[^<]*</figcaption><svg[^>]*><text[^>]*>wang</text><rect[^>]*></rect><text[^>]*>5</text>' \
		"uses per approver"
	assert_match "$dom" 'id="unapproved-total" class="warn">3 attempts granted under administrator grants; 1 administrator grant added\.' \
		"uses without an approver"
	assert_eq "$(grep -o '<td>idgt-bob</td><td>camera</td>' <<<"$dom" | wc -l | tr -d ' ')" \
		"$(audit --directory "$JOURNAL_DIR" --event access-granted --user idgt-bob --json | jq -s length)" \
		"each use without an approver listed"
	colors=$(identify -format %k "$T/report-en.png")
	[ "$colors" -gt 20 ] || fail "the screenshot is nearly blank ($colors colours)"
	# In Chinese, from the same records.
	LANGUAGE=zh_CN LC_ALL=zh_CN.UTF-8 IDGUARD_LOCALEDIR=$BUILD/locale \
		audit --directory "$JOURNAL_DIR" --report html --output "$T/report-zh.html" 2>/dev/null
	dom=$(render "$T/report-zh.html" "$T/report-zh.png" | tr -d "\n")
	assert_match "$dom" '<html lang="zh-CN">' "the language"
	assert_match "$dom" "<h1>idguard 审计报告</h1>" "the title in Chinese"
	assert_match "$dom" "管理员授权下获准 3 次尝试；管理员共添加 1 项授权。" "uses without an approver, in Chinese"
	assert_match "$dom" ">拒绝<.*>准许<" "the decisions, in Chinese"
	assert_match "$dom" "各记录中的主机名（_HOSTNAME），由工作站自行写入" "where the names come from, in Chinese"
	# A period with refusals only, and one with nothing at all, have their
	# report too (the first found on the Debian 12 VM: it crashed).
	audit --directory "$JOURNAL_DIR" --verdict denied --report html --output "$T/refusals.html" 2>/dev/null ||
		fail "no report of refusals only"
	assert_match "$(tr -d '\n' <"$T/refusals.html")" 'id="uses-per-purpose">.*</html>$' "a report without a token use"
	audit --directory "$JOURNAL_DIR" --since 2099-01-01 --report html --output "$T/empty.html" 2>/dev/null ||
		fail "no report of an empty period"
	assert_match "$(tr -d '\n' <"$T/empty.html")" '<dd id="records">0</dd>.*</html>$' "a report of an empty period"
	assert_eq "$(audit --directory "$JOURNAL_DIR" --since 2099-01-01 --summary --json | jq -c '[.refused.by_host, .token_uses]')" \
		'[[],{"by_purpose":{},"by_approver":{}}]' "an empty summary has every section"
	# The sample in docs/ is made by docs/tools/audit-report-screenshots.sh.
	if [ -n "${IDGUARD_SCREENSHOT_DIR:-}" ]; then
		cp "$T/report-en.png" "$IDGUARD_SCREENSHOT_DIR/audit-report-en.png"
		cp "$T/report-zh.png" "$IDGUARD_SCREENSHOT_DIR/audit-report-zh_CN.png"
	fi
}

# The shipped Loki (Alloy) and Elastic (Filebeat) snippets select every
# record kind idguard writes: neither tool is in Debian 12, so what is
# checked here is that they stay in step with journal.h.
t_audit_siem_snippets_name_every_message_id() {
	local id dir=$BUILD/../packaging/siem
	for id in $(sed -n 's/^#define IDG_MSG_[A-Z_]* *"\([0-9a-f]*\)"$/\1/p' "$BUILD/../agent/lib/journal.h"); do
		grep -q "$id" "$dir/alloy-idguard.alloy" || fail "alloy-idguard.alloy lacks $id"
		grep -qx "      - \"MESSAGE_ID=$id\"" "$dir/filebeat-idguard.yml" || fail "filebeat-idguard.yml lacks $id"
	done
	assert_eq "$(grep -c '^      - "MESSAGE_ID=' "$dir/filebeat-idguard.yml")" \
		"$(grep -c '^#define IDG_MSG_' "$BUILD/../agent/lib/journal.h")" "no MESSAGE_ID idguard does not write"
}
