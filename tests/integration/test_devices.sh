# Devices found through udev: classified by the shipped policy, followed on
# hotplug, the kernel map kept exact, the hotplug race closed.
#
# These machines have no USB, so udev is simulated by umockdev: the testbed
# helper owns a simulated sysfs and udev database (tests/devices/*.umockdev)
# and sends uevents; idguardd runs under umockdev-wrapper and sees them as
# real. The kernel side is real: mknod'd nodes with the same major:minor are
# opened by an unprivileged user in the test cgroup.
# shellcheck shell=bash

DEVICES_DIR=$HERE/../devices
USB=/sys/devices/pci0000:00/0000:00:14.0/usb1
ROOT_HUB=$USB
SCANNER=$USB/1-1
CAMERA=$USB/1-2
CARD_READER=$USB/1-3
PRINTER=$USB/1-4
KEYBOARD=$USB/1-5
MSG_DEVICE_ADDED=042580e662a649309eff2805ffc3d619
MSG_DEVICE_REMOVED=5e526101d1084b9d8fa55f75d363b695

# The umockdev testbed, as a coprocess; its directory in TESTBED_DIR.
start_testbed() {
	coproc TESTBED { exec umockdev-wrapper "$BUILD/helpers/testbed" 2>>"$T/testbed.log"; }
	read -r -t 10 TESTBED_DIR <&"${TESTBED[0]}" || fail "the umockdev testbed did not start: $(cat "$T/testbed.log")"
	# umockdev sends every /sys path of a wrapped process into the
	# testbed; libbpf reads these two there.
	mkdir -p "$TESTBED_DIR/sys/kernel/btf" "$TESTBED_DIR/sys/devices/system/cpu"
	cp /sys/kernel/btf/vmlinux "$TESTBED_DIR/sys/kernel/btf/"
	cp /sys/devices/system/cpu/possible /sys/devices/system/cpu/online "$TESTBED_DIR/sys/devices/system/cpu/"
}

# testbed COMMAND ARGS...: plug FILE | unplug SYSPATH; fails unless "ok".
testbed() {
	local reply
	echo "$*" >&"${TESTBED[1]}"
	read -r -t 10 reply <&"${TESTBED[0]}" || fail "testbed $*: no answer ($(cat "$T/testbed.log"))"
	[ "$reply" = ok ] || fail "testbed $*: $reply"
}

plug() { # NAME [SED-SCRIPT]: a description from tests/devices, optionally edited
	sed -e "${2:-}" "$DEVICES_DIR/$1.umockdev" >"$T/$1.umockdev"
	testbed plug "$T/$1.umockdev"
}

# idguardd under umockdev-wrapper. It sees /sys through the testbed, so it
# gets its cgroup2 and bpffs outside /sys: a private mount namespace with
# cgroup2 mounted at $T/cgroup2 (the same hierarchy, so $CG is there too),
# and the test's bpffs at $T/bpffs, mounted here so the pins stay visible to
# the test (and to cleanup_env) after the daemon is gone.
# umockdev delivers uevents over unix datagram sockets, which queue only
# net.unix.max_dgram_qlen (10) messages: a burst of plugs would overflow
# it (real udev uses netlink with a large buffer). So the daemon gets its
# own network namespace, where that limit is raised without touching the
# machine's. Its control and journal sockets are paths, usable across it.
start_daemon_udev() {
	mkdir -p "$T/cgroup2"
	mountpoint -q "$T/bpffs" || mount -t bpf bpf "$T/bpffs"
	unshare --mount --propagation private --net sh -c '
		echo 4096 > /proc/sys/net/unix/max_dgram_qlen &&
		for m in $(awk '\''$9 == "cgroup2" { print $5 }'\'' /proc/self/mountinfo); do umount -l "$m"; done
		mount -t cgroup2 cgroup2 "$0" && exec "$@"' "$T/cgroup2" \
		env UMOCKDEV_DIR="$TESTBED_DIR" umockdev-wrapper "$IDGUARDD" --foreground \
		--cgroup "$T/cgroup2${CG#"$CG2"}" --bpffs-dir "$BPFFS" --policy-dir "$T/policy" \
		--approvers-dir "$T/approvers" --state-dir "$T/state" --socket "$SOCK" >>"$T/daemon.log" 2>&1 &
	DPID=$!
	wait_until 15 daemon_answers || fail "idguardd did not start: $(tail -5 "$T/daemon.log")"
}

# The shipped policy (what this issue ships is what is tested), nothing else.
use_shipped_policy() {
	rm -f "$T/policy"/*.conf
	cp "$BUILD/../policy/10-defaults.conf" "$T/policy/"
}

device_class() { # SYSPATH: its class in `idguardctl devices --json`, or "none"
	ctl devices --json | jq -r --arg p "$1" '(.devices[] | select(.syspath == $p) | .class) // "none"'
}

device_is() { # SYSPATH CLASS
	[ "$(device_class "$1")" = "$2" ]
}

wait_device() { # SYSPATH CLASS
	wait_until 10 device_is "$1" "$2" || fail "$1: expected class $2, idguardctl devices says $(device_class "$1")"
}

# The kernel's exact entries for MAJOR, as "MINOR:CLASS" lines.
kernel_exact() { # MAJOR
	bpftool -j map dump pinned "$BPFFS/watched_devs" |
		jq -r --argjson m "$1" '.[] | select(.formatted.key.major == $m) |
			"\(.formatted.key.minor):\(.formatted.value.class_id)"' | sort -n
}

# device_records MESSAGE_ID SYSPATH [MATCH...]: this daemon's records about a
# device (they carry no cgroup id; _PID keeps other tests' records out).
device_records() {
	local id=$1 syspath=$2
	shift 2
	journal MESSAGE_ID="$id" IDGUARD_SYSPATH="$syspath" _PID="$DPID" "$@"
}

# device_field MESSAGE_ID SYSPATH FIELD [MATCH...]: FIELD of the last one.
device_field() {
	local id=$1 syspath=$2 field=$3
	shift 3
	device_records "$id" "$syspath" "$@" | tail -n 1 | jq -r ".$field // empty"
}

has_device_record() { # EVENT SYSPATH
	[ -n "$(device_records $MSG_DEVICE_ADDED "$2" IDGUARD_DEVICE_EVENT="$1")" ]
}

node() { # NAME MAJOR MINOR: a node for the clerk to open
	mknod "$T/$1" c "$2" "$3"
	chmod 666 "$T/$1"
}

open_as_clerk() { # NODE: what the kernel said to an unprivileged open
	as_user $NOBODY "$TRY_OPEN" "$T/$1"
}

setup_devices() {
	use_shipped_policy
	start_testbed
	start_daemon_udev
	plug root-hub
	wait_device "$ROOT_HUB" other
	node scanner 189 1
	node video0 81 0
	node video1 81 1
	node hidraw0 243 0
	node lp0 180 0
	node kbd 189 5
	node kbd_hidraw 243 1
}

t_devices_plugged_are_classified_and_gated_by_class() {
	local json out
	setup_devices
	for name in scanner document-camera card-reader printer keyboard; do
		plug $name
	done
	wait_device "$SCANNER" scanner
	wait_device "$CAMERA" camera
	wait_device "$CARD_READER" card-reader
	wait_device "$PRINTER" printer
	wait_device "$KEYBOARD" other

	json=$(ctl devices --json | jq -c --arg p "$SCANNER" '.devices[] | select(.syspath == $p)')
	assert_eq "$(jq -r .mode <<<"$json")" enforce "scanner mode"
	assert_eq "$(jq -r .vid_pid <<<"$json")" 04a9:1913 "scanner VID:PID"
	assert_eq "$(jq -r .vendor <<<"$json")" "Canon, Inc." "scanner vendor (hwdb)"
	assert_eq "$(jq -r .model <<<"$json")" "CanoScan LiDE 300" "scanner model (hwdb)"
	assert_eq "$(jq -r .serial <<<"$json")" SCN0042 "scanner serial"
	assert_eq "$(jq -r .bus_path <<<"$json")" pci-0000:00:14.0-usb-0:1 "scanner bus path"
	assert_eq "$(jq -c '[.nodes[] | [.node, .device]]' <<<"$json")" '[["/dev/bus/usb/001/002","char 189:1"]]' "scanner nodes"
	assert_match "$(jq -r .matched_by <<<"$json")" '^MatchProperty=libsane_matched=yes \(.*10-defaults.conf:[0-9]+\)$' "scanner recognised by SANE's mark"
	assert_eq "$(ctl devices --json | jq -c --arg p "$CAMERA" '[.devices[] | select(.syspath == $p) | .nodes[].device]')" \
		'["char 189:2","char 81:0","char 81:1"]' "every node of the camera"
	assert_eq "$(ctl devices --json | jq -c --arg p "$CARD_READER" '[.devices[] | select(.syspath == $p) | .nodes[].node]')" \
		'["/dev/bus/usb/001/004","/dev/hidraw0"]' "card reader and its hidraw child"
	assert_match "$(ctl devices --json | jq -r --arg p "$CARD_READER" '.devices[] | select(.syspath == $p) | .matched_by')" \
		'^MatchVidPid=0400:c35a ' "card reader recognised by its VID:PID, not as HID"

	# The kernel map holds one exact entry per node, under the device's class.
	# The root hub above them all is a device of its own, not their owner.
	assert_eq "$(kernel_exact 189 | tr '\n' ' ')" "0:7 1:1 2:2 3:3 4:4 5:7 " "raw USB nodes in the kernel map (minor:class)"
	assert_eq "$(kernel_exact 81 | tr '\n' ' ')" "0:2 1:2 " "video4linux nodes in the kernel map"

	assert_eq "$(open_as_clerk scanner)" "EPERM 1" "scanner (enforce)"
	assert_eq "$(open_as_clerk video0)" "EPERM 1" "document camera capture node (enforce)"
	assert_eq "$(open_as_clerk video1)" "EPERM 1" "document camera metadata node (enforce)"
	out=$(open_as_clerk hidraw0)
	[ "$out" != "EPERM 1" ] || fail "card reader hidraw node is audit mode, got $out"
	out=$(open_as_clerk lp0)
	[ "$out" != "EPERM 1" ] || fail "usblp node is audit mode, got $out"
	out=$(open_as_clerk kbd)
	[ "$out" != "EPERM 1" ] || fail "keyboard raw node is class other (off), got $out"
	out=$(open_as_clerk kbd_hidraw)
	[ "$out" != "EPERM 1" ] || fail "keyboard hidraw node, got $out"

	# Records name the device a person recognises.
	wait_records 1 $MSG_DENIED IDGUARD_DEVICE="char 189:1"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_VID_PID IDGUARD_DEVICE="char 189:1")" 04a9:1913 "IDGUARD_VID_PID"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_VENDOR IDGUARD_DEVICE="char 189:1")" "Canon, Inc." "IDGUARD_VENDOR"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_MODEL IDGUARD_DEVICE="char 189:1")" "CanoScan LiDE 300" "IDGUARD_MODEL"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_SERIAL IDGUARD_DEVICE="char 189:1")" SCN0042 "IDGUARD_SERIAL"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_NODE IDGUARD_DEVICE="char 189:1")" /dev/bus/usb/001/002 "IDGUARD_NODE"
	assert_match "$(field_of $MSG_DENIED MESSAGE IDGUARD_DEVICE="char 189:1")" \
		"^Refused nobody \(uid $NOBODY\) opening scanner /dev/bus/usb/001/002 \(Canon, Inc. CanoScan LiDE 300 \(04a9:1913\)\) with try_open" "MESSAGE"
	wait_records 1 $MSG_AUDITED IDGUARD_DEVICE="char 243:0"
	assert_eq "$(field_of $MSG_AUDITED IDGUARD_CLASS IDGUARD_DEVICE="char 243:0")" card-reader "hidraw audited as card-reader"
	assert_eq "$(field_of $MSG_AUDITED IDGUARD_VID_PID IDGUARD_DEVICE="char 243:0")" 0400:c35a "card reader VID:PID"
	assert_eq "$(count_records $MSG_DENIED IDGUARD_DEVICE="char 189:5")" 0 "no record for the keyboard"
	# Plugging is on the record too.
	assert_eq "$(device_field $MSG_DEVICE_ADDED "$SCANNER" IDGUARD_CLASS)" scanner "device connected record"
}

t_devices_unplug_takes_every_minor_and_minors_are_reused_safely() {
	setup_devices
	for name in document-camera card-reader printer keyboard; do
		plug $name
	done
	wait_device "$CAMERA" camera
	wait_device "$CARD_READER" card-reader
	wait_device "$PRINTER" printer
	wait_device "$KEYBOARD" other
	[ "$(open_as_clerk kbd)" != "EPERM 1" ] || fail "keyboard allowed while plugged"
	assert_eq "$(kernel_exact 243 | tr '\n' ' ')" "0:3 1:7 " "hidraw entries while plugged"
	assert_eq "$(kernel_exact 180 | tr '\n' ' ')" "0:4 " "usblp entry while plugged"

	for sys in "$CAMERA" "$CARD_READER" "$PRINTER" "$KEYBOARD"; do
		testbed unplug "$sys"
	done
	for sys in "$CAMERA" "$CARD_READER" "$PRINTER" "$KEYBOARD"; do
		wait_device "$sys" none
	done
	assert_eq "$(kernel_exact 180 | tr '\n' ' ')" "" "no usblp entry left (the printer range stays)"
	assert_eq "$(kernel_exact 189 | tr '\n' ' ')" "0:7 " "no exact raw USB entries left but the root hub's"
	assert_eq "$(kernel_exact 81 | tr '\n' ' ')" "" "no exact video4linux entries left"
	assert_eq "$(kernel_exact 243 | tr '\n' ' ')" "" "no hidraw entries left"
	# The freed minor falls back to unclassified: refused.
	assert_eq "$(open_as_clerk kbd)" "EPERM 1" "the keyboard's old minor after unplug"
	wait_records 1 $MSG_DENIED IDGUARD_DEVICE="char 189:5"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_CLASS IDGUARD_DEVICE="char 189:5")" unclassified "class of a freed minor"
	assert_eq "$(device_field $MSG_DEVICE_REMOVED "$KEYBOARD" IDGUARD_VID_PID)" 046d:c31c "device removed record"

	# A scanner that gets the keyboard's minor is a scanner, not "other".
	plug scanner 's/MINOR=1$/MINOR=5/; s/dev=189:1$/dev=189:5/'
	wait_device "$SCANNER" scanner
	assert_eq "$(kernel_exact 189 | tr '\n' ' ')" "0:7 5:1 " "minor 5 now a scanner"
	assert_eq "$(open_as_clerk kbd)" "EPERM 1" "the reused minor, now a scanner"
	# And back: the keyboard again on minor 5 is allowed again. (Under
	# other node names: umockdev 0.17 cannot re-create a node it removed.)
	testbed unplug "$SCANNER"
	wait_device "$SCANNER" none
	plug keyboard 's|001/006|001/007|g; s|hidraw1|hidraw2|g'
	wait_device "$KEYBOARD" other
	[ "$(open_as_clerk kbd)" != "EPERM 1" ] || fail "the keyboard again on minor 5"
}

t_devices_hotplug_race_is_closed_by_unclassified() {
	local before
	setup_devices
	# The kernel made the node; idguardd has not classified anything yet.
	assert_eq "$(open_as_clerk kbd)" "EPERM 1" "raw USB node before classification"
	assert_eq "$(open_as_clerk video0)" "EPERM 1" "video4linux node before classification"
	wait_records 1 $MSG_DENIED IDGUARD_DEVICE="char 189:5"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_CLASS IDGUARD_DEVICE="char 189:5")" unclassified "class before classification"
	assert_match "$(field_of $MSG_DENIED IDGUARD_POLICY_SOURCE IDGUARD_DEVICE="char 189:5")" '10-defaults.conf:[0-9]+$' "the unclassified line"
	plug keyboard
	wait_device "$KEYBOARD" other
	[ "$(open_as_clerk kbd)" != "EPERM 1" ] || fail "raw USB node after classification as other"

	# A device no rule recognises (vendor class ff, not marked by SANE)
	# stays unclassified: refused, and the record says what to add.
	before=$(count_records $MSG_DENIED IDGUARD_DEVICE="char 189:1")
	plug scanner '/libsane_matched/d'
	wait_device "$SCANNER" unclassified
	assert_eq "$(open_as_clerk scanner)" "EPERM 1" "unrecognised vendor-class device"
	wait_records $((before + 1)) $MSG_DENIED IDGUARD_DEVICE="char 189:1"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_VID_PID IDGUARD_DEVICE="char 189:1")" 04a9:1913 "unclassified device is named"
	assert_match "$(device_field $MSG_DEVICE_ADDED "$SCANNER" MESSAGE)" \
		'add MatchVidPid=04a9:1913 to its class' "the record says how to recognise it"
}

t_devices_reload_reclassifies_plugged_devices() {
	setup_devices
	plug keyboard
	wait_device "$KEYBOARD" other
	[ "$(open_as_clerk kbd)" != "EPERM 1" ] || fail "keyboard allowed as other"
	printf '[Class scanner]\nMatchVidPid=046d:c31c\n' >"$T/policy/50-site.conf"
	ctl reload >/dev/null || fail "reload"
	wait_device "$KEYBOARD" scanner
	assert_eq "$(open_as_clerk kbd)" "EPERM 1" "a product the site listed as a scanner"
	assert_match "$(ctl devices --json | jq -r --arg p "$KEYBOARD" '.devices[] | select(.syspath == $p) | .matched_by')" \
		'^MatchVidPid=046d:c31c \(.*50-site.conf:2\)$' "the site's line decides"
	assert_eq "$(device_field $MSG_DEVICE_ADDED "$KEYBOARD" IDGUARD_PREVIOUS_CLASS IDGUARD_DEVICE_EVENT=reclassified)" \
		other "reclassified record"
}

t_devices_restart_rebuilds_the_map_without_a_window() {
	local loop_pid outcomes
	setup_devices
	plug scanner
	plug keyboard
	wait_device "$SCANNER" scanner
	wait_device "$KEYBOARD" other
	# A clerk keeps trying the scanner through the whole restart.
	as_user $NOBODY "$TRY_OPEN" -n 200000 "$T/scanner" >"$T/loop.out" &
	loop_pid=$!
	kill -9 "$DPID"
	wait "$DPID" 2>/dev/null || true
	DPID=
	# While no daemon runs: the keyboard leaves, a camera arrives.
	testbed unplug "$KEYBOARD"
	plug document-camera
	assert_eq "$(open_as_clerk video0)" "EPERM 1" "camera plugged while the daemon is down (unclassified)"
	start_daemon_udev
	wait_device "$CAMERA" camera
	wait_device "$KEYBOARD" none
	wait_device "$SCANNER" scanner
	assert_eq "$(kernel_exact 189 | tr '\n' ' ')" "0:7 1:1 2:2 " "rebuilt from udev: scanner and camera, no keyboard"
	assert_eq "$(open_as_clerk kbd)" "EPERM 1" "the gone keyboard's minor"
	wait "$loop_pid"
	outcomes=$(cat "$T/loop.out")
	assert_eq "$outcomes" "EPERM 200000" "every open of the scanner during the restart"
}

t_devices_present_at_start_are_enumerated_hub_apart() {
	use_shipped_policy
	start_testbed
	for name in root-hub scanner document-camera card-reader printer keyboard; do
		plug $name
	done
	start_daemon_udev
	assert_eq "$(ctl devices --json | jq -r '[.devices[] | "\(.vid_pid)=\(.class)"] | sort | join(" ")')" \
		"03f0:2b17=printer 0400:c35a=card-reader 046d:c31c=other 04a9:1913=scanner 0ac8:3610=camera 1d6b:0002=other" \
		"classes found by enumeration"
	# A hub's own nodes only: what is plugged into it is not its part.
	assert_eq "$(ctl devices --json | jq -c --arg p "$ROOT_HUB" '[.devices[] | select(.syspath == $p) | .nodes[].device]')" \
		'["char 189:0"]' "the root hub's nodes"
	assert_eq "$(kernel_exact 189 | tr '\n' ' ')" "0:7 1:1 2:2 3:3 4:4 5:7 " "raw USB nodes in the kernel map"
	assert_eq "$(kernel_exact 243 | tr '\n' ' ')" "0:3 1:7 " "hidraw nodes in the kernel map"
	assert_eq "$(kernel_exact 180 | tr '\n' ' ')" "0:4 " "usblp node in the kernel map"
	wait_until 10 has_device_record present "$SCANNER" || fail "no 'present' record for the scanner"
	assert_eq "$(device_field $MSG_DEVICE_ADDED "$SCANNER" IDGUARD_NODES IDGUARD_DEVICE_EVENT=present)" \
		/dev/bus/usb/001/002 "IDGUARD_NODES"
}

# Without umockdev: the real kernel, real uevents. A loop device the test
# creates through /dev/loop-control is a real hotplug; on these machines no
# systemd-udevd runs, so idguardd follows it through raw kernel uevents and
# sysfs (with udevd it would come through udev; the test holds either way).
t_devices_real_kernel_hotplug_of_a_loop_device() {
	local n=241 sys out
	sys=/sys/devices/virtual/block/loop$n
	[ ! -e "$sys" ] || fail "loop$n exists already; the test needs it free"
	write_policy <<-EOF
	[Class storage]
	Mode=enforce
	MatchProperty=DEVNAME=/dev/loop24[0-9]
	EOF
	start_daemon
	mknod "$T/loop" b 7 $n
	chmod 666 "$T/loop"
	LOOP_DEVICE=$n
	"$BUILD/helpers/loopdev" add $n || fail "cannot create loop$n"
	wait_device "$sys" storage
	# A reload with a policy that does not match it lets it go; one that
	# does takes it back (a node without USB, found again by enumeration).
	sed -i 's/loop24/loop99/' "$T/policy/50-test.conf"
	ctl reload >/dev/null || fail "reload"
	assert_eq "$(device_class "$sys")" none "not matched after the reload"
	sed -i 's/loop99/loop24/' "$T/policy/50-test.conf"
	ctl reload >/dev/null || fail "reload"
	assert_eq "$(device_class "$sys")" storage "matched again after the reload"
	assert_eq "$(ctl devices --json | jq -c --arg p "$sys" '[.devices[] | select(.syspath == $p) | .nodes[] | [.node, .device]]')" \
		'[["/dev/loop'$n'","block 7:'$n'"]]' "the loop device's node"
	assert_eq "$(open_as_clerk loop)" "EPERM 1" "the new block device, class storage in enforce mode"
	wait_records 1 $MSG_DENIED IDGUARD_DEVICE="block 7:$n"
	assert_eq "$(field_of $MSG_DENIED IDGUARD_NODE IDGUARD_DEVICE="block 7:$n")" /dev/loop$n "IDGUARD_NODE from udev"
	"$BUILD/helpers/loopdev" remove $n || fail "cannot remove loop$n"
	wait_device "$sys" none
	# (Opening a missing loop minor makes the kernel create it again;
	# cleanup_env removes it.)
	out=$(open_as_clerk loop)
	[ "$out" != "EPERM 1" ] || fail "the removed loop device's number is no longer watched, got $out"
}

# When a grant ends, a program still holding a node of a device recognised
# through udev (not a Device= line) is found and ended too. The card
# reader's hidraw node is given the number of /dev/zero (1:5) here, so it
# has a driver and a descriptor can be held.
t_devices_grant_end_ends_holders_of_udev_devices() {
	local holder id out
	setup_devices
	printf '[Class card-reader]\nMode=enforce\n' >"$T/policy/50-site.conf"
	ctl reload >/dev/null || fail "reload"
	plug card-reader 's/MAJOR=243$/MAJOR=1/; s/MINOR=0$/MINOR=5/; s/dev=243:0$/dev=1:5/'
	wait_device "$CARD_READER" card-reader
	assert_eq "$(open_as_clerk zero)" "EPERM 1" "card reader node without a grant"
	ctl grant add --user idgt-alice --class card-reader --minutes 10 >/dev/null || fail "grant add"
	as_clerk idgt-alice sh -c 'exec 3<"$1"; echo "opened $$"; exec sleep 60' sh "$T/zero" >"$T/holder.out" 2>"$T/holder.err" &
	wait_until 5 grep -q opened "$T/holder.out" || fail "the holder could not open the card reader: $(cat "$T/holder.err")"
	holder=$(awk '{ print $2 }' "$T/holder.out")
	id=$(ctl grant list --json | jq -r '.grants[0].id')
	ctl grant remove "$id" >/dev/null || fail "grant remove"
	wait_until 10 sh -c "! kill -0 $holder 2>/dev/null" || fail "the process holding the card reader was not ended"
	wait_until 10 sh -c "journalctl --no-pager -o json --directory='$JOURNAL_DIR' MESSAGE_ID=$MSG_HANDLE_ENDED _PID=$DPID | grep -q ." ||
		fail "no handle-ended record"
	out=$(journal MESSAGE_ID=$MSG_HANDLE_ENDED _PID="$DPID" | tail -n 1)
	assert_eq "$(jq -c '[.IDGUARD_ACTION, .IDGUARD_CLASS, .IDGUARD_DEVICE, .IDGUARD_NODE, .IDGUARD_VID_PID]' <<<"$out")" \
		'["terminated","card-reader","char 1:5","/dev/hidraw0","0400:c35a"]' "handle-ended record"
}
