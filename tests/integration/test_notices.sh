# What the clerk is told: the daemon's notices on a watching connection
# (what idguard-notify shows), `idguardctl why`, and `idguardctl audit`
# pointing a clerk to it. The desktop side is in test_notify.sh.

WATCH=$(dirname "${BASH_SOURCE[0]}")/watch_client.py

# start_watcher NAME OUT: a watching connection as that user; its pid in
# WATCHERS (stopped by stop_watchers, by pid).
WATCHERS=
start_watcher() { # NAME OUT [SINCE]
	as_clerk "$1" /usr/bin/python3 "$WATCH" "$SOCK" ${3:+"$3"} >>"$2" 2>>"$T/watch.err" &
	WATCHERS="$WATCHERS $!"
	wait_until 5 grep -q '"ok":true' "$2" || fail "watch as $1 was not answered: $(cat "$2" "$T/watch.err" 2>/dev/null)"
}

stop_watchers() {
	local pid
	for pid in $WATCHERS; do
		kill "$pid" 2>/dev/null || true
	done
	WATCHERS=
}

# refused CLERK NODE: the clerk tries the node and is refused.
refused() {
	assert_eq "$(as_clerk "$1" "$TRY_OPEN" "$2")" "EPERM 1" "$1 opening $2"
}

# The test nodes by path, so records and notices name them.
node_policy() {
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Device=$T/cam
	[Class scanner]
	Mode=enforce
	Device=$T/scan
	EOF
}

# notice_of OUT KIND: the JSON of the last notice of KIND in OUT.
notice_of() {
	grep "\"notice\":\"$2\"" "$1" | tail -1 | cut -d' ' -f2-
}

t_notice_refused_reaches_only_that_clerk_within_a_second() {
	local n before arrived delay
	setup_tokens
	node_policy
	cat >>"$T/policy/50-test.conf" <<-EOF
	[Notify]
	Advice=Call your supervisor on extension 8021
	Advice[zh_CN]=请拨打主管分机 8021
	EOF
	start_daemon
	trap 'stop_watchers; cleanup_env' EXIT
	start_watcher idgt-wang "$T/wang.watch"
	start_watcher idgt-li "$T/li.watch"
	assert_match "$(head -1 "$T/wang.watch")" '"uid":'"$(id -u idgt-wang)"',"user":"idgt-wang","warn_before_sec":300' \
		"the first line of a watch"

	before=$(($(date +%s%N) / 1000))
	refused idgt-wang "$T/cam"
	wait_until 5 grep -q '"notice":"refused"' "$T/wang.watch" || fail "no refused notice: $(cat "$T/wang.watch")"
	arrived=$(grep '"notice":"refused"' "$T/wang.watch" | head -1 | cut -d' ' -f1)
	delay=$(( (arrived - before) / 1000 ))
	note "refusal to notice: $delay ms"
	assert_le "$delay" 1000 "milliseconds from the attempt to the notice"

	n=$(notice_of "$T/wang.watch" refused)
	assert_eq "$(jq -r .gate <<<"$n")" device "gate"
	assert_eq "$(jq -r .class <<<"$n")" camera "class"
	assert_eq "$(jq -r .device <<<"$n")" "$T/cam" "device"
	assert_eq "$(jq -r .program <<<"$n")" try_open "program"
	assert_eq "$(jq -r .reason <<<"$n")" no-grant "reason"
	assert_eq "$(jq -r '.count >= 1' <<<"$n")" true "count"
	assert_eq "$(jq -r '[.purposes[].id] | join(",")' <<<"$n")" account-opening,telecom-real-name,hotel-registration \
		"the purposes that cover cameras"
	assert_eq "$(jq -r '.purposes[0].command' <<<"$n")" \
		"idguardctl token request --purpose account-opening --ref CASE-REF --class camera --minutes 15" \
		"the exact command to ask for a token"
	assert_eq "$(jq -r '.purposes[0].description_zh_CN' <<<"$n")" "开立账户，按规定须留存身份证件复印件" \
		"the purpose's Chinese description"
	assert_eq "$(jq -r .advice <<<"$n")" "Call your supervisor on extension 8021" "the site's advice"
	assert_eq "$(jq -r .advice_zh_CN <<<"$n")" "请拨打主管分机 8021" "the site's advice in Chinese"

	# Another clerk's session hears nothing of it.
	assert_eq "$(grep -c '"notice"' "$T/li.watch")" 0 "notices on another user's connection"
	# The watching connection is not closed as idle (the request timeout is 5 s).
	sleep 6
	refused idgt-wang "$T/scan"
	wait_until 5 grep -q '"class":"scanner"' "$T/wang.watch" || fail "the watch did not outlive 6 idle seconds"
	grep -q closed "$T/wang.watch" && fail "the watching connection was closed"
	assert_eq "$(grep -c '"notice"' "$T/li.watch")" 0 "notices on another user's connection"
}

t_notice_granted_warned_and_ended_with_the_program_ended() {
	local n holder uid
	uid=$(id -u idgt-wang)
	holder_camera_policy 4s
	start_daemon
	trap 'stop_watchers; cleanup_env' EXIT
	start_watcher idgt-wang "$T/wang.watch"
	start_watcher idgt-li "$T/li.watch"
	ctl grant add --user idgt-wang --class camera --seconds 8 >/dev/null || fail "grant add failed"
	wait_until 3 grep -q '"notice":"granted"' "$T/wang.watch" || fail "no granted notice: $(cat "$T/wang.watch")"
	n=$(notice_of "$T/wang.watch" granted)
	assert_eq "$(jq -r .grant.classes <<<"$n")" camera "granted classes"
	assert_eq "$(jq -r .grant.uid <<<"$n")" "$uid" "granted uid"

	as_clerk idgt-wang sh -c 'exec 3<"$1"; echo "opened $$"; exec sleep 60' sh "$T/zero" >"$T/holder.out" 2>&1 &
	wait_until 5 grep -q opened "$T/holder.out" || fail "the clerk could not open the camera under the grant"
	holder=$(awk '{ print $2 }' "$T/holder.out")

	wait_until 8 grep -q '"notice":"ending"' "$T/wang.watch" || fail "no warning before the end: $(cat "$T/wang.watch")"
	n=$(notice_of "$T/wang.watch" ending)
	assert_le "$(jq -r .seconds_left <<<"$n")" 4 "seconds left in the warning"
	grep -q '"notice":"ended"' "$T/wang.watch" && fail "the end came with the warning"

	wait_until 10 grep -q '"notice":"ended"' "$T/wang.watch" || fail "no ended notice: $(cat "$T/wang.watch")"
	n=$(notice_of "$T/wang.watch" ended)
	assert_eq "$(jq -r .reason <<<"$n")" expired "why it ended"
	assert_eq "$(jq -r '.programs[0].program' <<<"$n")" sleep "the program ended"
	assert_eq "$(jq -r '.programs[0].pid' <<<"$n")" "$holder" "its pid"
	assert_eq "$(jq -r '.programs[0].action' <<<"$n")" ended "what was done"
	wait_until 5 sh -c "! kill -0 $holder 2>/dev/null" || fail "the holder still runs"
	assert_eq "$(grep -c '"notice":"ending"' "$T/wang.watch")" 1 "warnings for one grant"
	assert_eq "$(grep -c '"notice"' "$T/li.watch")" 0 "notices on another user's connection"
}

t_notice_survives_a_daemon_restart_as_a_reconnect() {
	start_daemon
	trap 'stop_watchers; cleanup_env' EXIT
	start_watcher idgt-wang "$T/wang.watch"
	stop_daemon
	wait_until 5 grep -q closed "$T/wang.watch" || fail "a watching connection outlived its daemon"
	start_daemon
	: >"$T/wang2.watch"
	start_watcher idgt-wang "$T/wang2.watch"
	refused idgt-wang "$T/cam"
	wait_until 5 grep -q '"notice":"refused"' "$T/wang2.watch" || fail "no notice after the restart"
}

t_notice_made_while_the_watcher_was_away_is_sent_when_it_returns() {
	local since
	node_policy
	start_daemon
	trap 'stop_watchers; cleanup_env' EXIT
	since=$(($(date +%s%N) / 1000))
	# idguardd is down: the kernel refuses, and the record waits for it.
	stop_daemon
	refused idgt-wang "$T/cam"
	start_daemon
	wait_until 5 sh -c "setpriv --reuid=$(id -u idgt-wang) --regid=$(id -u idgt-wang) --clear-groups \
		'$IDGUARDCTL' --socket '$SOCK' why --json | jq -e '.notices | length > 0' >/dev/null" ||
		fail "the refusal made while idguardd was down made no notice"
	# A watcher that asks for what came after its last notice gets it...
	start_watcher idgt-wang "$T/back.watch" "$since"
	wait_until 5 grep -q '"notice":"refused"' "$T/back.watch" || fail "the missed refusal was not sent: $(cat "$T/back.watch")"
	assert_eq "$(notice_of "$T/back.watch" refused | jq -r .device)" "$T/cam" "the missed refusal"
	# ...once; one that had it already, or another user, gets nothing.
	start_watcher idgt-wang "$T/later.watch" "$(($(date +%s%N) / 1000))"
	start_watcher idgt-li "$T/li.watch" "$since"
	sleep 1
	assert_eq "$(grep -c '"notice"' "$T/later.watch")" 0 "notices for a watcher that had them"
	assert_eq "$(grep -c '"notice"' "$T/li.watch")" 0 "notices on another user's connection"
	assert_eq "$(grep -c '"notice"' "$T/back.watch")" 1 "notices sent again"
}

t_why_shows_own_refusals_next_step_and_grants_only() {
	local out
	setup_tokens
	node_policy
	start_daemon
	refused idgt-wang "$T/cam"
	refused idgt-li "$T/scan"
	ctl grant add --user idgt-wang --class scanner --minutes 10 >/dev/null || fail "grant add failed"
	wait_until 5 sh -c "clerk_out=\$(setpriv --reuid=$(id -u idgt-wang) --regid=$(id -u idgt-wang) --clear-groups \
		'$IDGUARDCTL' --socket '$SOCK' why --json); echo \"\$clerk_out\" | jq -e '.notices | map(select(.notice == \"refused\")) | length == 1' >/dev/null" ||
		fail "wang's why has not her refusal: $(clerk_ctl idgt-wang why --json)"

	out=$(clerk_ctl idgt-wang why) || fail "why failed: $out"
	note "$out"
	assert_match "$out" "camera" "why names the class"
	assert_match "$out" "$T/cam" "why names the device"
	assert_match "$out" "try_open" "why names the program"
	assert_match "$out" "idguardctl token request --purpose account-opening --ref CASE-REF --class camera --minutes 15" \
		"why gives the next step"
	assert_match "$out" "scanner" "why shows her live grant"
	grep -q "$T/scan" <<<"$out" && fail "wang's why shows li's refusal"

	out=$(clerk_ctl idgt-li why --json) || fail "why --json failed"
	assert_eq "$(jq -r '[.notices[] | select(.device == "'"$T/cam"'")] | length' <<<"$out")" 0 "li sees wang's refusal"
	assert_eq "$(jq -r '.grants | length' <<<"$out")" 0 "li sees wang's grant"
	assert_eq "$(jq -r '.notices[0].device' <<<"$out")" "$T/scan" "li sees his own refusal"
}

t_why_in_chinese() {
	local out
	setup_tokens
	start_daemon
	locale -a 2>/dev/null | grep -qi '^zh_CN.utf8$' || fail "the zh_CN.UTF-8 locale is missing (make deps makes it)"
	refused idgt-wang "$T/cam"
	wait_until 5 sh -c "setpriv --reuid=$(id -u idgt-wang) --regid=$(id -u idgt-wang) --clear-groups \
		'$IDGUARDCTL' --socket '$SOCK' why --json | jq -e '.notices | length > 0' >/dev/null" || fail "no notice kept"
	out=$(as_clerk idgt-wang env LANG=zh_CN.UTF-8 LC_ALL= IDGUARD_LOCALEDIR="$BUILD/locale" \
		"$IDGUARDCTL" --socket "$SOCK" why) || fail "why failed: $out"
	note "$out"
	assert_match "$out" "摄像头" "the class in Chinese"
	assert_match "$out" "idguardctl token request --purpose account-opening" "the command stays as typed"
}

t_audit_by_a_clerk_points_to_why() {
	local out rc=0
	start_daemon
	out=$(as_clerk idgt-wang "$IDGUARDCTL" audit 2>&1) || rc=$?
	assert_eq "$rc" 4 "exit code of audit without journal access"
	assert_match "$out" "idguardctl why" "audit points a clerk to why"
	grep -q "idguard-auditors" <<<"$out" && fail "audit tells a clerk to join the auditors: $out"
	return 0
}

t_notify_section_is_checked() {
	local out rc=0
	printf '[Notify]\nWarnBefore=soon\nColour=red\n' >>"$T/policy/50-test.conf"
	out=$("$IDGUARDCTL" policy check --policy-dir "$T/policy" 2>&1) || rc=$?
	assert_eq "$rc" 1 "exit code of policy check"
	assert_match "$out" "50-test.conf:[0-9]+: error: .*WarnBefore='soon'" "a bad WarnBefore at FILE:LINE"
	assert_match "$out" "50-test.conf:[0-9]+: error: unknown key 'Colour' in \[Notify\]" "an unknown key at FILE:LINE"
}
