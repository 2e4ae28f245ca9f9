# The clerk's desktop notifications as she sees them: idguard-notify in a
# real graphical session of her own (an X server, Xvfb; a session bus,
# dbus-daemon; a notification server, dunst), against the real daemon.
# What is asserted is what the notification server received, read back
# with `dunstctl history`. Every process of a session runs as that
# session's user and is stopped by its pid (stop_sessions), also when a
# test fails; the daemon's own notices are tested in test_notices.sh.

# IDGUARD_NOTIFY: another build of it (a sanitizer build, say).
NOTIFY=${IDGUARD_NOTIFY:-$BUILD/idguard-notify}
SESSION_PIDS=

# The notification server's look: also what the screenshots in
# docs/images show (t_notify_screenshots). A CJK font for Chinese.
write_dunstrc() {
	cat >"$T/dunstrc" <<-'EOF'
	[global]
	    font = WenQuanYi Micro Hei 11
	    width = 780
	    height = 400
	    origin = top-right
	    offset = 16x16
	    padding = 12
	    horizontal_padding = 14
	    frame_width = 2
	    separator_height = 2
	    gap_size = 8
	    markup = full
	    format = "<b>%s</b>\n%b"
	    alignment = left
	    word_wrap = yes
	    ellipsize = end
	    ignore_newline = no
	    icon_position = off
	    show_age_threshold = -1
	    notification_limit = 0
	    history_length = 200
	    sticky_history = yes
	    idle_threshold = 0
	[urgency_low]
	    background = "#ffffff"
	    foreground = "#1f2328"
	    frame_color = "#8c959f"
	[urgency_normal]
	    background = "#ffffff"
	    foreground = "#1f2328"
	    frame_color = "#0969da"
	[urgency_critical]
	    background = "#fff8f0"
	    foreground = "#1f2328"
	    frame_color = "#cf222e"
	EOF
}

# A session bus of the session's own, that starts nothing by activation.
write_bus_config() { # DIR
	cat >"$1/bus.conf" <<-EOF
	<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>session</type>
	  <listen>unix:path=$1/bus</listen>
	  <auth>EXTERNAL</auth>
	  <policy context="default">
	    <allow send_destination="*" eavesdrop="true"/>
	    <allow eavesdrop="true"/>
	    <allow own="*"/>
	  </policy>
	</busconfig>
	EOF
}

# session_env NAME: the environment of NAME's session, for env -i.
session_env() {
	local dir=$T/session-$1
	echo PATH=/usr/local/bin:/usr/bin:/bin HOME="$dir/home" XDG_CACHE_HOME="$dir/home/.cache" \
		DISPLAY=":$(cat "$dir/display")" DBUS_SESSION_BUS_ADDRESS="unix:path=$dir/bus"
}

# session_run NAME COMMAND...: a short command as NAME in NAME's session.
session_run() {
	local name=$1 uid
	shift
	uid=$(id -u "$name")
	# shellcheck disable=SC2046
	setpriv --reuid="$uid" --regid="$uid" --clear-groups env -i $(session_env "$name") "$@"
}

# session_bg NAME LOG COMMAND...: a lasting process of NAME's session, in
# the test cgroup (so cleanup_env ends it even if we could not); its pid
# is added to SESSION_PIDS and left in BG_PID. The pid is the command's
# own, which it writes before it execs (as_clerk runs in a subshell of
# ours, whose pid $! would be).
session_bg() {
	local name=$1 log=$2 pidfile
	shift 2
	pidfile=$(mktemp "$T/pid.XXXXXX")
	chmod 666 "$pidfile"
	# shellcheck disable=SC2046,SC2016
	as_clerk "$name" sh -c 'echo $$ >"$0"; exec "$@"' "$pidfile" env -i $(session_env "$name") "$@" >>"$log" 2>&1 &
	wait_until 5 test -s "$pidfile" || fail "$1 did not start: $(tail -3 "$log")"
	BG_PID=$(cat "$pidfile")
	SESSION_PIDS="$BG_PID $SESSION_PIDS"
}

server_answers() { # NAME
	session_run "$1" dunstctl count >/dev/null 2>&1
}

# start_dunst NAME: the notification server of NAME's session.
start_dunst() {
	session_bg "$1" "$T/session-$1/dunst.log" dunst -config "$T/dunstrc"
	wait_until 10 server_answers "$1" || fail "dunst did not start for $1: $(tail -5 "$T/session-$1/dunst.log")"
}

# start_session NAME [--no-server]: Xvfb, a session bus and dunst, as NAME.
start_session() {
	local name=$1 uid dir tool
	for tool in Xvfb dbus-daemon dunst dunstctl dbus-send xwd identify; do
		command -v "$tool" >/dev/null || fail "$tool is missing (make deps installs it)"
	done
	[ -x /usr/bin/convert ] || fail "/usr/bin/convert (ImageMagick) is missing (make deps installs it)"
	uid=$(id -u "$name")
	dir=$T/session-$name
	mkdir -p "$dir/home"
	write_bus_config "$dir"
	[ -f "$T/dunstrc" ] || write_dunstrc
	chown -R "$uid:$uid" "$dir"
	# Xvfb picks a free display and writes its number to fd 3.
	echo 0 >"$dir/display"
	# shellcheck disable=SC2016
	session_bg "$name" "$dir/xvfb.log" sh -c 'exec Xvfb -displayfd 3 -screen 0 1280x800x24 -br -nolisten tcp 3>"$0"' \
		"$dir/display.new"
	wait_until 10 test -s "$dir/display.new" || fail "Xvfb did not start for $name: $(tail -5 "$dir/xvfb.log")"
	mv "$dir/display.new" "$dir/display"
	session_bg "$name" "$dir/bus.log" dbus-daemon --nofork --config-file="$dir/bus.conf"
	wait_until 10 test -S "$dir/bus" || fail "the session bus did not start for $name: $(tail -5 "$dir/bus.log")"
	[ "${2:-}" = --no-server ] || start_dunst "$name"
}

# start_agent NAME LANG [LOG]: idguard-notify in NAME's session, in that
# locale, saying what it does in LOG (default notify.log of the session).
start_agent() {
	local name=$1 lang=$2 log=${3:-$T/session-$1/notify.log}
	session_bg "$name" "$log" env LANG="$lang" IDGUARD_LOCALEDIR="$BUILD/locale" \
		"$NOTIFY" --socket "$SOCK" --verbose
	AGENT_PID=$BG_PID
	wait_until 10 grep -qs "watching idguardd" "$log" ||
		fail "idguard-notify did not start watching for $name: $(tail -5 "$log")"
}

# Stops every process of the sessions by pid (agents first), each given 5 s.
stop_sessions() {
	local pid
	for pid in $SESSION_PIDS; do
		kill -TERM "$pid" 2>/dev/null || true
		wait_until 5 sh -c "! kill -0 $pid 2>/dev/null" || kill -KILL "$pid" 2>/dev/null || true
	done
	SESSION_PIDS=
}

# server_history NAME: every notification NAME's server received, one JSON
# object a line, oldest first. Those on screen are closed first so that
# the history holds them too; a later replacement of one shows up again
# under the same id.
server_history() {
	session_run "$1" dunstctl close-all
	session_run "$1" dunstctl history |
		jq -c '.data[0] | sort_by(.timestamp.data) | .[] | {id: .id.data, app: .appname.data,
			summary: .summary.data, body: .body.data, timeout: .timeout.data, category: .category.data,
			time: .timestamp.data}'
}

# latest_with NAME REGEX: the newest notification whose summary matches.
latest_with() {
	server_history "$1" | jq -c --arg re "$2" 'select(.summary | test($re))' | tail -n 1
}

has_notification() { # NAME REGEX
	[ -n "$(latest_with "$1" "$2")" ]
}

# body_has NAME SUMMARY_REGEX BODY_REGEX
body_has() {
	latest_with "$1" "$2" | jq -e --arg re "$3" '.body | test($re)' >/dev/null
}

monotonic_usec() {
	/usr/bin/python3 -c 'import time; print(time.monotonic_ns() // 1000)'
}

# refused CLERK NODE (as in test_notices.sh): the clerk is refused.
notify_refused() {
	assert_eq "$(as_clerk "$1" "$TRY_OPEN" "$2")" "EPERM 1" "$1 opening $2"
}

# The camera as a node path, purposes and the site's advice.
notify_policy() {
	setup_tokens
	write_policy <<-EOF
	[Class camera]
	Mode=enforce
	Device=$T/cam
	[Class scanner]
	Mode=enforce
	Device=$T/scan
	[Notify]
	Advice=Call your supervisor on extension 8021
	Advice[zh_CN]=请拨打主管分机 8021
	EOF
}

# The regex of a text, taken literally.
re() {
	# shellcheck disable=SC2016
	sed -e 's/[][\.*^$(){}?+|/]/\\&/g' <<<"$1"
}

t_notify_refusal_shown_within_a_second_folded_and_to_her_only() {
	local before n delay ids
	notify_policy
	start_daemon
	trap 'stop_sessions; cleanup_env' EXIT
	start_session idgt-wang
	start_session idgt-li
	start_agent idgt-wang C.UTF-8
	start_agent idgt-li C.UTF-8

	before=$(monotonic_usec)
	notify_refused idgt-wang "$T/cam"
	wait_until 5 has_notification idgt-wang "refused the camera" ||
		fail "no notification of the refusal: $(server_history idgt-wang) $(tail -5 "$T/session-idgt-wang/notify.log")"
	n=$(latest_with idgt-wang "refused the camera")
	delay=$(( ($(jq -r .time <<<"$n") - before) / 1000 ))
	note "attempt to notification on the server: $delay ms"
	assert_le "$delay" 1000 "milliseconds from the attempt to the notification server"

	assert_eq "$(jq -r .app <<<"$n")" idguard "app name"
	assert_eq "$(jq -r .summary <<<"$n")" "idguard refused the camera" "summary"
	assert_match "$(jq -r .body <<<"$n")" "^try_open \(pid [0-9]+\) tried to open $(re "$T/cam")\.$" \
		"the program and the device"
	assert_match "$(jq -r .body <<<"$n")" "You hold no grant for the camera; using it needs a purpose token" "the reason"
	assert_match "$(jq -r .body <<<"$n")" \
		"$(re "idguardctl token request --purpose account-opening --ref CASE-REF --class camera --minutes 15")" \
		"the exact command"
	assert_match "$(jq -r .body <<<"$n")" "$(re "(or for: telecom-real-name, hotel-registration)")" "the other purposes"
	assert_match "$(jq -r .body <<<"$n")" "Call your supervisor on extension 8021" "the site's advice"
	assert_eq "$(jq -r .category <<<"$n")" device.error "category"
	assert_eq "$(jq -r .timeout <<<"$n")" 20000000 "how long it stays (µs)"

	# 20 more attempts: the same notification, counting all of them.
	for _ in $(seq 20); do
		notify_refused idgt-wang "$T/cam"
	done
	wait_until 15 body_has idgt-wang "refused the camera" "Refused 21 times in the last minute" ||
		fail "the count did not reach 21: $(latest_with idgt-wang "refused the camera")"
	ids=$(server_history idgt-wang | jq -r .id | sort -u | wc -l)
	assert_eq "$ids" 1 "notifications for 21 refusals of one program on one device"

	# Another clerk's session heard nothing of it.
	assert_eq "$(server_history idgt-li | wc -l)" 0 "notifications in idgt-li's session"
	grep -qs "notice from idguardd" "$T/session-idgt-li/notify.log" && fail "idgt-li's agent received a notice"
	return 0
}

t_notify_grant_warning_and_end_naming_the_ended_program() {
	local n holder
	holder_camera_policy 4s
	start_daemon
	trap 'stop_sessions; cleanup_env' EXIT
	start_session idgt-wang
	start_session idgt-li
	start_agent idgt-wang C.UTF-8
	start_agent idgt-li C.UTF-8

	ctl grant add --user idgt-wang --class camera --seconds 8 >/dev/null || fail "grant add failed"
	wait_until 3 has_notification idgt-wang "^Granted: camera until [0-9:]+$" ||
		fail "no granted notification: $(server_history idgt-wang)"
	n=$(latest_with idgt-wang "^Granted")
	assert_match "$(jq -r .body <<<"$n")" "^Grant [0-9]+, given by an administrator\." "who gave it"
	assert_match "$(jq -r .body <<<"$n")" "Finish and close the program before [0-9:]+" "what to do"

	# shellcheck disable=SC2016
	as_clerk idgt-wang sh -c 'exec 3<"$1"; echo "opened $$"; exec sleep 60' sh "$T/zero" >"$T/holder.out" 2>&1 &
	wait_until 5 grep -q opened "$T/holder.out" || fail "the clerk could not open the camera under the grant"
	holder=$(awk '{ print $2 }' "$T/holder.out")
	SESSION_PIDS="$holder $SESSION_PIDS"

	wait_until 8 has_notification idgt-wang "^Grant for camera ends in [0-9]+ seconds?$" ||
		fail "no warning before the end: $(server_history idgt-wang)"
	n=$(latest_with idgt-wang "ends in")
	assert_match "$(jq -r .body <<<"$n")" "Finish the work and close the program now: a program still using the camera then is ended" \
		"the warning says what will happen"
	assert_eq "$(jq -r .timeout <<<"$n")" 0 "the warning stays until dismissed"

	wait_until 10 has_notification idgt-wang "^Grant for camera has ended$" ||
		fail "no notification of the end: $(server_history idgt-wang)"
	n=$(latest_with idgt-wang "has ended")
	assert_match "$(jq -r .body <<<"$n")" "^Grant [0-9]+ expired at [0-9:]+\." "why it ended"
	# Others may be listed: the daemon also ends idgt-wang's holders of 1:5
	# outside this test's cgroup (another test's, running at the same time).
	assert_match "$(jq -r .body <<<"$n")" "Ended because (it|they) still used the camera: (.*, )?sleep \(pid $holder\)[.,]" \
		"the program that was ended"
	assert_match "$(jq -r .body <<<"$n")" "To use it again, ask for a purpose token" "the next step"
	# granted, ending and ended are one notification, replaced in place.
	assert_eq "$(server_history idgt-wang | jq -r .id | sort -u | wc -l)" 1 "notifications for one grant"
	assert_eq "$(server_history idgt-li | wc -l)" 0 "notifications in idgt-li's session"
}

t_notify_in_chinese() {
	local n id
	notify_policy
	start_daemon
	locale -a 2>/dev/null | grep -qix 'zh_CN.utf-\?8' || fail "the zh_CN.UTF-8 locale is missing (make deps makes it)"
	trap 'stop_sessions; cleanup_env' EXIT
	start_session idgt-wang
	start_agent idgt-wang zh_CN.UTF-8

	notify_refused idgt-wang "$T/cam"
	wait_until 5 has_notification idgt-wang "^idguard 已拒绝使用摄像头$" ||
		fail "no Chinese notification of the refusal: $(server_history idgt-wang)"
	n=$(latest_with idgt-wang "已拒绝")
	note "$(jq -r .body <<<"$n")"
	assert_match "$(jq -r .body <<<"$n")" "^try_open（pid [0-9]+）试图打开 $(re "$T/cam")。" "the program and the device"
	assert_match "$(jq -r .body <<<"$n")" "您没有使用摄像头的授权；须持有经审批人批准的用途令牌才能使用。" "the reason"
	assert_match "$(jq -r .body <<<"$n")" "如本业务确需使用，请申请用途令牌（把 CASE-REF 换成业务编号）：" "the next step"
	assert_match "$(jq -r .body <<<"$n")" \
		"$(re "idguardctl token request --purpose account-opening --ref CASE-REF --class camera --minutes 15")" \
		"the command as typed"
	assert_match "$(jq -r .body <<<"$n")" "请拨打主管分机 8021" "the site's advice in Chinese"
	grep -q "Call your supervisor" <<<"$(jq -r .body <<<"$n")" && fail "the English advice in a Chinese session"

	ctl grant add --user idgt-wang --class camera --minutes 10 >/dev/null || fail "grant add failed"
	wait_until 3 has_notification idgt-wang "^已授权使用摄像头，至 [0-9:]+$" ||
		fail "no Chinese granted notification: $(server_history idgt-wang)"
	id=$(ctl grant list --json | jq -r '.grants[0].id')
	ctl grant remove "$id" >/dev/null || fail "grant remove failed"
	wait_until 3 has_notification idgt-wang "^摄像头的授权已结束$" ||
		fail "no Chinese notification of the end: $(server_history idgt-wang)"
	assert_match "$(latest_with idgt-wang "已结束" | jq -r .body)" "^授权 $id 已被管理员撤除。" "why it ended, in Chinese"
}

t_notify_survives_a_daemon_restart() {
	notify_policy
	start_daemon
	trap 'stop_sessions; cleanup_env' EXIT
	start_session idgt-wang
	start_agent idgt-wang C.UTF-8
	stop_daemon
	wait_until 5 grep -q "closed the connection" "$T/session-idgt-wang/notify.log" ||
		fail "the agent did not notice the daemon stopping: $(tail -3 "$T/session-idgt-wang/notify.log")"
	kill -0 "$AGENT_PID" || fail "idguard-notify exited with the daemon"
	# Refused while idguardd is down: the kernel refuses, the record waits,
	# and the agent is shown it once it is back.
	notify_refused idgt-wang "$T/cam"
	start_daemon
	wait_until 10 sh -c "[ \$(grep -c 'watching idguardd' '$T/session-idgt-wang/notify.log') -ge 2 ]" ||
		fail "the agent did not reconnect: $(tail -5 "$T/session-idgt-wang/notify.log")"
	wait_until 5 has_notification idgt-wang "refused the camera" ||
		fail "the refusal made while idguardd was down was not shown: $(server_history idgt-wang)"
	notify_refused idgt-wang "$T/scan"
	wait_until 5 has_notification idgt-wang "refused the scanner" ||
		fail "no notification after the restart: $(server_history idgt-wang)"
}

# One agent per session: a second one leaves quietly, the first goes on.
t_notify_one_agent_per_session() {
	local out rc=0
	notify_policy
	start_daemon
	trap 'stop_sessions; cleanup_env' EXIT
	start_session idgt-wang
	start_agent idgt-wang C.UTF-8
	out=$(session_run idgt-wang timeout 10 "$NOTIFY" --socket "$SOCK" 2>&1) || rc=$?
	assert_eq "$rc" 0 "exit status of a second idguard-notify in the session"
	assert_eq "$out" "" "what the second one says"
	kill -0 "$AGENT_PID" || fail "the first idguard-notify stopped"
	notify_refused idgt-wang "$T/cam"
	wait_until 5 has_notification idgt-wang "refused the camera" || fail "no notification from the first agent"
	assert_eq "$(server_history idgt-wang | jq -r .id | sort -u | wc -l)" 1 "notifications for one refusal"
}

# No notification server yet: said once, and what waited is shown when
# one starts.
t_notify_waits_for_a_notification_server() {
	local log=$T/session-idgt-wang/notify.log
	notify_policy
	start_daemon
	trap 'stop_sessions; cleanup_env' EXIT
	start_session idgt-wang --no-server
	start_agent idgt-wang C.UTF-8
	notify_refused idgt-wang "$T/cam"
	wait_until 5 grep -q "no notification service" "$log" || fail "the agent did not say there is no server: $(cat "$log")"
	notify_refused idgt-wang "$T/scan"
	wait_until 5 grep -q '"class":"scanner"' "$log" || fail "the second notice did not arrive"
	assert_eq "$(grep -c "no notification service" "$log")" 1 "times the missing server is said"
	start_dunst idgt-wang
	wait_until 20 has_notification idgt-wang "refused the scanner" ||
		fail "the waiting notice was not shown once a server started: $(server_history idgt-wang)"
	has_notification idgt-wang "refused the camera" || fail "the first waiting notice was not shown"
}

# The screenshots of docs/images, from the screen of a real session:
# docs/tools/notification-screenshots.sh sets IDGUARD_SCREENSHOT_DIR to
# keep them; without it they are taken and checked, then thrown away.
t_notify_screenshots() {
	local lang out=${IDGUARD_SCREENSHOT_DIR:-$T/screenshots} name size
	mkdir -p "$out"
	notify_policy
	sed -i -e '/^\[Notify\]/,$d' "$T/policy/50-test.conf"
	cat >>"$T/policy/50-test.conf" <<-EOF
	[Notify]
	Advice=Questions: branch security officer, extension 8021
	Advice[zh_CN]=如有疑问，请拨打网点安全员分机 8021
	EOF
	start_daemon
	trap 'stop_sessions; cleanup_env' EXIT
	start_session idgt-wang
	# Named as a clerk's camera program would be.
	cp "$TRY_OPEN" "$T/cheese"
	chmod 755 "$T/cheese"
	for lang in en zh_CN; do
		start_agent idgt-wang "$([ "$lang" = en ] && echo C.UTF-8 || echo zh_CN.UTF-8)" "$T/notify-$lang.log"
		assert_eq "$(as_clerk idgt-wang "$T/cheese" "$T/cam")" "EPERM 1" "the camera refused"
		# shellcheck disable=SC2016
		wait_until 5 session_run idgt-wang sh -c '[ "$(dunstctl count displayed)" -ge 1 ]' ||
			fail "nothing on screen: $(tail -3 "$T/notify-$lang.log")"
		name=$out/notification-$lang.png
		# The root window is black (-br) but for the notification: -trim
		# keeps just the notification.
		session_run idgt-wang sh -c "xwd -root -silent | /usr/bin/convert xwd:- -trim +repage \
			-bordercolor black -border 10 png:-" >"$name.tmp" || fail "no screenshot"
		mv "$name.tmp" "$name"
		size=$(identify -format '%wx%h' "$name")
		note "$name: $size"
		if [ "${size%x*}" -lt 300 ] || [ "${size#*x}" -lt 100 ]; then
			fail "$name is only $size: no notification on it?"
		fi
		session_run idgt-wang dunstctl close-all
		kill -TERM "$AGENT_PID" || fail "idguard-notify ($lang) had stopped: $(tail -5 "$T/notify-$lang.log")"
		wait_until 5 sh -c "! kill -0 $AGENT_PID 2>/dev/null" || fail "idguard-notify did not stop"
	done
}
