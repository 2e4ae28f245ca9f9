# A real systemd-journald of our own, for the integration tests and the
# benchmark. Source it inside a private mount namespace (unshare --mount
# --propagation private): the socket and journal directories mounted here
# vanish with the namespace, whatever happens.
#
#   start_private_journald DIR   journal files go to DIR/journal ($JOURNAL_DIR)
#   stop_private_journald        stops it, by its pid
#
# Returns non-zero (with journald's own words in $JOURNALD_ERROR) when it
# does not come up.

start_private_journald() {
	local dir=$1
	export JOURNAL_DIR=$dir/journal
	# journald keeps records in /run/log/journal until asked to flush them to
	# /var/log/journal; both are replaced by our own directories here.
	mkdir -p "$JOURNAL_DIR" "$dir/persistent" /run/systemd/journal /run/log/journal /var/log/journal
	mount -t tmpfs tmpfs /run/systemd/journal
	mount --bind "$JOURNAL_DIR" /run/log/journal
	mount --bind "$dir/persistent" /var/log/journal
	/lib/systemd/systemd-journald >"$dir/journald.log" 2>&1 &
	JOURNALD_PID=$!
	for _ in $(seq 200); do
		[ -S /run/systemd/journal/socket ] && return 0
		sleep 0.05
	done
	JOURNALD_ERROR=$(cat "$dir/journald.log")
	return 1
}

stop_private_journald() {
	if [ -n "${JOURNALD_PID:-}" ]; then
		kill "$JOURNALD_PID" 2>/dev/null
		wait "$JOURNALD_PID" 2>/dev/null
	fi
	JOURNALD_PID=
}
