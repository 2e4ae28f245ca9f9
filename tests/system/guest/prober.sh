#!/bin/bash
# Run in the guest as the clerk, by a copy of bash named idg-prober (so the
# journal's IDGUARD_COMM tells its records apart): tries to open NODE again
# and again, and counts the attempts and the opens that succeeded. SIGTERM
# writes "ATTEMPTS OPENED" to OUT/result. The system test runs it while it
# kills, stops, restarts, reloads and upgrades idguard: OPENED must stay 0.
#
# The trap only sets a flag, looked at before each attempt: bash runs a trap
# between two commands, so a trap that wrote the result and exited could run
# between counting an attempt and making it, and the count would be one more
# than the opens the kernel saw (the journal would look one short).
node=$1 out=$2
attempts=0 opened=0 stop=0
trap 'stop=1' TERM
echo $$ >"$out/pid"
while ((!stop)); do
	attempts=$((attempts + 1))
	# The builtin's redirection is the open: the shell itself opens NODE.
	if { : 3<"$node"; } 2>/dev/null; then
		opened=$((opened + 1))
		date +%s.%N >>"$out/opened"
	fi
	if ((attempts % 100 == 0)); then
		# Renamed into place, so that a reader never sees it half written.
		echo "$attempts $opened" >"$out/progress.new" && mv "$out/progress.new" "$out/progress"
	fi
done
echo "$attempts $opened" >"$out/result"
