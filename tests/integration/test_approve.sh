# The supervisor's approval: what he is shown before he signs, the question
# and --yes, old and future-dated requests, approving on a PC that has only
# the site's registry, the messages when registry or approvers are missing,
# and key generate --dir creating a private directory.
# shellcheck shell=bash

# approve_args APPROVER: the usual options of token approve in these tests,
# for a command line in a string (on_tty).
approve_args() {
	echo --key "$T/keys/$1.k4.secret" --policy-dir "$T/policy" --approvers-dir "$T/approvers"
}

# approve_as APPROVER ARGS...: token approve with those options.
approve_as() {
	local who=$1
	shift
	"$IDGUARDCTL" token approve "$@" --key "$T/keys/$who.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers"
}

# new_request CLERK [CASE]: a request code for 10 minutes of the scanner.
new_request() {
	as_clerk "$1" "$IDGUARDCTL" token request --purpose account-opening --ref "${2:-CASE-2026-0042}" \
		--class scanner --minutes 10 --policy-dir "$T/policy" --json | jq -r .request
}

# redate_request CODE SECONDS: the same request, made SECONDS ago (negative:
# in the future). Request codes are not signed; the clerk's machine dates them.
redate_request() {
	/usr/bin/python3 "$HERE/../unit/paseto_check.py" redate-request "$1" "$2"
}

# on_tty ANSWER COMMAND: runs COMMAND (a string) on a pseudo-terminal, typing
# ANSWER; prints what the terminal showed and returns COMMAND's status.
on_tty() {
	printf '%s\n' "$1" | script -qec "$2" /dev/null
}

t_approve_shows_everything_it_signs_and_asks() {
	local code out status host
	setup_tokens
	code=$(new_request idgt-alice CASE-2026-0042)
	host=$(hostname)
	# He answers no: nothing is signed, and the exit status says so.
	out=$(on_tty n "LANG=C $IDGUARDCTL token approve $code $(approve_args wang) >$T/stdout") && status=0 || status=$?
	assert_eq "$status" 5 "exit status when not confirmed"
	assert_match "$out" "Request [0-9A-F]{4}-[0-9A-F]{4}, to be signed by you as wang:" "heading"
	assert_match "$out" "clerk +idgt-alice" "clerk"
	assert_match "$out" "workstation +$host \(machine id $(cat /etc/machine-id)\)" "workstation"
	assert_match "$out" "purpose +account-opening: Account opening where a copy of the ID card must be kept on file" \
		"purpose and its description"
	assert_match "$out" "legal basis +Customer identification and record keeping rules" "legal basis"
	assert_match "$out" "case +CASE-2026-0042" "case"
	assert_match "$out" "classes +scanner" "classes"
	assert_match "$out" "minutes +10 \(account-opening allows at most 15\)" "minutes and the maximum"
	assert_match "$out" "made +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2} \(less than a minute ago\)" "when made"
	assert_match "$out" "request id +[0-9A-F]{4}-[0-9A-F]{4}" "request id"
	assert_match "$out" "Sign this token\? \[y/N\]" "the question"
	assert_match "$out" "Not signed\." "the refusal"
	assert_eq "$(cat "$T/stdout")" "" "no token on stdout"
	# Anything but y or yes is no.
	out=$(on_tty maybe "$IDGUARDCTL token approve $code $(approve_args wang) >$T/stdout") && status=0 || status=$?
	assert_eq "$status" 5 "exit status for 'maybe'"
	assert_eq "$(cat "$T/stdout")" "" "no token for 'maybe'"
	# He answers yes: the token alone is on stdout; stderr repeats what was signed.
	out=$(on_tty yes "$IDGUARDCTL token approve $code $(approve_args wang) >$T/stdout") && status=0 || status=$?
	assert_eq "$status" 0 "exit status when confirmed"
	assert_match "$(cat "$T/stdout")" '^v4\.public\.[A-Za-z0-9_.-]+$' "only the token on stdout"
	assert_eq "$(wc -l <"$T/stdout")" 1 "one line on stdout"
	assert_match "$out" "Approved request [0-9A-F]{4}-[0-9A-F]{4} as wang; signed:" "signed heading"
	assert_match "$out" "valid until +[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}" "valid until"
	assert_match "$out" "token id +[0-9a-f]{32}" "token id"
	assert_match "$out" "The token is on standard output: give it to idgt-alice\." "where the token is"
	# A supervisor whose locale is zh_CN reads the Chinese description.
	out=$(LANG=zh_CN.UTF-8 approve_as wang "$code" --yes 2>&1 >/dev/null)
	assert_match "$out" "purpose +account-opening: 开立账户，按规定须留存身份证件复印件" "zh_CN description"
	out=$(LANG=zh_CN.UTF-8 LC_ALL=C approve_as wang "$code" --yes 2>&1 >/dev/null)
	assert_match "$out" "purpose +account-opening: Account opening" "LC_ALL wins over LANG"
}

t_approve_without_a_terminal_needs_yes() {
	local code out status json
	setup_tokens
	code=$(new_request idgt-alice)
	# No terminal, no --yes: refused, naming --yes; never signed silently.
	out=$(approve_as wang "$code" </dev/null 2>"$T/stderr") && status=0 || status=$?
	assert_eq "$status" 5 "exit status without a terminal"
	assert_eq "$out" "" "no token without a terminal"
	assert_match "$(cat "$T/stderr")" "clerk +idgt-alice" "the request is still shown"
	assert_match "$(cat "$T/stderr")" "not signed: nobody can confirm it here \(standard input is not a terminal\).*--yes" \
		"refusal names --yes"
	# The code piped in, no controlling terminal either: the same.
	out=$(echo "$code" | setsid -w "$IDGUARDCTL" token approve - --key "$T/keys/wang.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" 2>"$T/stderr") && status=0 || status=$?
	assert_eq "$status" 5 "exit status for a piped code without a terminal"
	assert_eq "$out" "" "no token for a piped code"
	# --yes signs, for scripts.
	out=$(approve_as wang "$code" --yes </dev/null 2>"$T/stderr")
	assert_match "$out" '^v4\.public\.' "token with --yes"
	assert_match "$(cat "$T/stderr")" "Approved request .* as wang; signed:" "what was signed"
	# --json asks no question, so it needs --yes too.
	out=$(approve_as wang "$code" --json </dev/null 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "--json without --yes"
	assert_match "$out" "--json needs --yes" "message"
	json=$(approve_as wang "$code" --json --yes </dev/null)
	assert_eq "$(jq -r '[.user, .hostname, .machine_id, .purpose, .ref, .classes, .minutes, .max_minutes, .approver, .forced, .max_request_age] | map(tostring) | join(" ")' <<<"$json")" \
		"idgt-alice $(hostname) $(cat /etc/machine-id) account-opening CASE-2026-0042 scanner 10 15 wang false 1d" "JSON fields"
	assert_match "$(jq -r .purpose_description <<<"$json")" "^Account opening where" "JSON description"
	assert_match "$(jq -r .token <<<"$json")" '^v4\.public\.' "JSON token"
	assert_match "$(jq -r '.token_id, .request_id, .valid_until, .request_age_seconds, .requested' <<<"$json" | tr '\n' ' ')" \
		'^[0-9a-f]{32} [0-9A-F]{4}-[0-9A-F]{4} [0-9T:-]+Z [0-9]+ [0-9]+ $' "JSON ids and times"
}

t_approve_refuses_old_and_future_requests_unless_forced() {
	local code old out status
	setup_tokens
	code=$(new_request idgt-alice)
	old=$(redate_request "$code" $((2 * 86400 + 600)))
	out=$(approve_as wang "$old" --yes 2>&1 >"$T/stdout") && status=0 || status=$?
	assert_eq "$status" 1 "a request two days old"
	assert_match "$out" "request [0-9A-F]{4}-[0-9A-F]{4} was made [0-9-]+ [0-9:]+ \(2 days ago\); requests older than 1d are refused \(limit 1d: the default" \
		"age and limit"
	assert_match "$out" "Ask idgt-alice for a new request, or sign this one anyway with --force" "how to proceed"
	assert_eq "$(cat "$T/stdout")" "" "no token for an old request"
	# --max-age on the command line.
	out=$(approve_as wang "$old" --yes --max-age 3d 2>/dev/null)
	assert_match "$out" '^v4\.public\.' "signed within --max-age 3d"
	out=$(approve_as wang "$old" --yes --max-age soon 2>&1) && status=0 || status=$?
	assert_eq "$status" 2 "a bad --max-age"
	assert_match "$out" "--max-age needs a time span such as 1d, 12h or 30min, not 'soon'" "message"
	# --force signs it, and says so.
	out=$(approve_as wang "$old" --yes --force 2>"$T/stderr")
	assert_match "$out" '^v4\.public\.' "signed with --force"
	assert_match "$(cat "$T/stderr")" "FORCED +signed with --force although request .* was made .* \(2 days ago\)" \
		"forced, in what was signed"
	assert_eq "$(approve_as wang "$old" --yes --force --json | jq .forced)" true \
		"forced in JSON"
	# The site's limit, from the registry.
	printf '[Approval]\nMaxRequestAge=30min\n' >"$T/approval.conf"
	old=$(redate_request "$code" 6000)
	out=$(approve_as wang "$old" --registry "$T/approval.conf" --yes 2>&1) &&
		status=0 || status=$?
	assert_eq "$status" 1 "100 minutes old with MaxRequestAge=30min"
	assert_match "$out" "\(100 minutes ago\); requests older than 30min are refused \(limit 30min: MaxRequestAge= in $T/approval.conf:2\)" \
		"the registry's limit"
	out=$(approve_as wang "$old" --yes 2>/dev/null)
	assert_match "$out" '^v4\.public\.' "100 minutes old with the default limit"
	# Dated in the future beyond the clock skew: refused; within it: signed.
	out=$(approve_as wang "$(redate_request "$code" -10800)" --yes 2>&1) &&
		status=0 || status=$?
	assert_eq "$status" 1 "a request three hours in the future"
	assert_match "$out" "is dated [0-9-]+ [0-9:]+ \(in [23] hours\): more than 10min ahead of this machine's clock; the clock of this machine or of $(hostname) is wrong" \
		"future message"
	out=$(approve_as wang "$(redate_request "$code" -300)" --yes 2>/dev/null)
	assert_match "$out" '^v4\.public\.' "five minutes ahead is clock skew"
}

t_approve_on_a_supervisor_pc_with_only_the_registry() {
	local code out token
	setup_tokens
	start_daemon
	# The administrator exports the registry from the workstation's policy.
	out=$("$IDGUARDCTL" token registry export --policy-dir "$T/policy" --approvers-dir "$T/approvers" \
		--registry "$T/no-registry" --output "$T/site.conf" 2>&1)
	assert_match "$out" "Wrote $T/site.conf: 3 purposes, 2 approvers" "export message"
	assert_eq "$(stat -c %a "$T/site.conf")" 644 "mode of the registry"
	assert_eq "$(grep -c '^\[Purpose ' "$T/site.conf") $(grep -c '^\[Approver ' "$T/site.conf")" "3 2" "sections"
	assert_match "$(cat "$T/site.conf")" "MaxRequestAge=1d" "approval section"
	# The supervisor's PC: no policy, no approvers.d, only that file.
	mkdir "$T/pc"
	cp "$T/site.conf" "$T/pc/site.conf"
	code=$(new_request idgt-alice)
	token=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/wang.k4.secret" --policy-dir "$T/pc/policy.d" \
		--approvers-dir "$T/pc/approvers.d" --registry "$T/pc/site.conf" --yes 2>/dev/null)
	assert_match "$token" '^v4\.public\.' "approved with the exported registry only"
	out=$(clerk_ctl idgt-alice token redeem "$token")
	assert_match "$out" "^Granted: idgt-alice may use scanner on this workstation until " "redeemed on the workstation"
	assert_eq "$(as_clerk idgt-alice "$TRY_OPEN" "$T/scan")" "ENXIO 1" "alice scans"
	# A registry of purposes only, written by hand, with the approvers.d
	# the workstations have; a registry directory.
	mkdir -p "$T/pc/registry.d"
	printf '[Purpose account-opening]\nDescription=Account opening\nClasses=scanner\nMaxMinutes=15\nApprovers=*\n' \
		>"$T/pc/registry.d/site.conf"
	cp -r "$T/approvers" "$T/pc/approvers.d"
	code=$(new_request idgt-bob CASE-77)
	token=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/li.k4.secret" --policy-dir "$T/pc/policy.d" \
		--approvers-dir "$T/pc/approvers.d" --registry "$T/pc/registry.d" --yes 2>/dev/null)
	assert_match "$token" '^v4\.public\.' "approved with a registry directory and approvers.d"
	out=$(clerk_ctl idgt-bob token redeem "$token")
	assert_match "$out" "Purpose account-opening, case CASE-77, approved by li" "bob redeemed"
	# token purposes reads the registry too.
	out=$("$IDGUARDCTL" token purposes --policy-dir "$T/pc/policy.d" --registry "$T/pc/registry.d" --json)
	assert_eq "$(jq -r '[.purposes[].id] | join(",")' <<<"$out")" account-opening "purposes from the registry"
}

t_approve_names_what_is_missing_and_where_it_looked() {
	local code out status
	setup_tokens
	code=$(new_request idgt-alice)
	# No policy, no registry.
	out=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/wang.k4.secret" --policy-dir "$T/none" \
		--approvers-dir "$T/approvers" --registry "$T/none-registry" --yes 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "no purposes"
	assert_match "$out" "no purposes found: no policy or registry files in $T/none, $T/none-registry; install your site's registry \(see idguardctl\(8\), REGISTRY\) or pass --registry FILE" \
		"no purposes message"
	# No approvers.d at all, and an empty one.
	out=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/wang.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/none" --yes 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "no approvers.d"
	assert_match "$out" "no approvers are registered on this machine: no \[Approver\] in $T/none \(does not exist\)" \
		"missing approvers.d"
	mkdir "$T/empty"
	out=$("$IDGUARDCTL" token approve "$code" --key "$T/keys/wang.k4.secret" --policy-dir "$T/policy" \
		--approvers-dir "$T/empty" --yes 2>&1) && status=0 || status=$?
	assert_match "$out" "no \[Approver\] in $T/empty \(no \*\.conf files\)" "empty approvers.d"
	# Approvers there, but not this key.
	"$IDGUARDCTL" key generate --id zhao --dir "$T/keys" >/dev/null
	out=$(approve_as zhao "$code" --yes 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "an unregistered key"
	assert_match "$out" "this key \(k4\.pid\.[A-Za-z0-9_-]+\) is not registered: no \[Approver\] in $T/approvers has its PublicKey= \(2 approvers read from 2 files\)" \
		"unregistered key message"
	assert_match "$out" "PublicKey=$(cat "$T/keys/zhao.k4.public") \(the public half of $T/keys/zhao.k4.secret\)" \
		"how to register it"
	# A purpose this machine does not know.
	printf '[Purpose account-opening]\nDescription=x\nClasses=camera\nMaxMinutes=5\nApprovers=*\n' >"$T/old.conf"
	out=$("$IDGUARDCTL" token approve "$(as_clerk idgt-alice "$IDGUARDCTL" token request --purpose telecom-real-name \
		--ref SIM-1 --class camera --minutes 5 --policy-dir "$T/policy" --json | jq -r .request)" \
		--key "$T/keys/li.k4.secret" --policy-dir "$T/none" --approvers-dir "$T/approvers" --registry "$T/old.conf" \
		--yes 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "an unknown purpose"
	assert_match "$out" "the request's purpose 'telecom-real-name' is not among the 1 purposes read from $T/none, $T/old.conf; if it is new, this machine's registry is out of date" \
		"unknown purpose message"
}

t_key_generate_creates_a_private_directory() {
	local out status
	out=$("$IDGUARDCTL" key generate --id wang --dir "$T/home/keys" 2>&1)
	assert_match "$out" "Created $T/home/keys \(mode 0700\)" "message"
	assert_eq "$(stat -c %a "$T/home/keys")" 700 "mode of the new directory"
	assert_eq "$(stat -c %a "$T/home")" 700 "mode of a new parent"
	assert_eq "$(stat -c %a "$T/home/keys/wang.k4.secret")" 600 "mode of the secret key"
	# An existing directory is used as it is; a key is never replaced.
	chmod 750 "$T/home/keys"
	"$IDGUARDCTL" key generate --id li --dir "$T/home/keys" --json | jq -e '.created_dir == false' >/dev/null ||
		fail "an existing directory reported as created"
	assert_eq "$(stat -c %a "$T/home/keys")" 750 "an existing directory keeps its mode"
	out=$("$IDGUARDCTL" key generate --id wang --dir "$T/home/keys" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "generating over an existing key"
	# A directory anyone may write to is refused.
	mkdir -m 777 "$T/open"
	chmod 777 "$T/open"
	out=$("$IDGUARDCTL" key generate --id wang --dir "$T/open" 2>&1) && status=0 || status=$?
	assert_eq "$status" 1 "a world-writable directory"
	assert_match "$out" "$T/open may be written by any user, who could replace the key files" "message"
	assert_eq "$(ls -A "$T/open")" "" "nothing written there"
}
