#!/bin/bash
# make bench-audit: idguardctl audit on a year of a branch network's
# central journal, timed beside journalctl with the same matches on the
# same files, in one run. A benchmark, not a test: it prints figures
# (docs/performance.md, "The auditor's queries") and fails only when a
# command fails or the two tools disagree on how many records match.
#
#   BUILD=build bench/audit/run.sh [--workstations N] [--days D] [--runs R] [--prepare]
#
# The journal: N workstations (default 200, 10 per branch, 20 branches),
# each a year of records from bench/audit/genjournal.py (idguardd's
# records and other programs', one boot per opening day), filed by
# systemd-journal-remote as the collector files them:
# remote-10.17.BRANCH.SEAT.journal. Made once and kept in
# $IDGUARD_BENCH_AUDIT_DIR (default /var/tmp/idguard-bench-audit), keyed on
# the generator and N and D; delete it to make it again (a few GB).
# --prepare only makes it.
#
# The files are read into the page cache first. Each query then runs R
# times (default 3), idguardctl and journalctl in turn; the table gives
# the medians and their ratio. The hosts are named by a names file
# (10.17.3.7 ws-003-07), as a site would keep one; journalctl is given the
# same workstations as --file globs of their addresses. The queries of the
# whole network's year run once: journalctl takes about half an hour on
# its summary, and a run about 45 minutes in all (making the journal: 9).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
IDGUARDCTL=$BUILD/idguardctl
REMOTE=/lib/systemd/systemd-journal-remote
WORKSTATIONS=200
DAYS=365
RUNS=3
PREPARE_ONLY=0

usage() {
	sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'
}
while [ $# -gt 0 ]; do
	case "$1" in
	--workstations) WORKSTATIONS=$2; shift 2 ;;
	--days) DAYS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--prepare) PREPARE_ONLY=1; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "bench-audit: unknown option $1 (--help)" >&2; exit 2 ;;
	esac
done
case "$WORKSTATIONS$DAYS$RUNS" in
*[!0-9]*) echo "bench-audit: --workstations, --days and --runs take numbers" >&2; exit 2 ;;
esac
[ "$WORKSTATIONS" -ge 40 ] || { echo "bench-audit: --workstations is at least 40 (the queries ask for branch 3)" >&2; exit 2; }
[ -x "$IDGUARDCTL" ] || { echo "bench-audit: $IDGUARDCTL is missing (make first)" >&2; exit 1; }
[ -x "$REMOTE" ] || { echo "bench-audit: $REMOTE is missing (apt-get install systemd-journal-remote)" >&2; exit 1; }

key=$( (sha256sum "$HERE/genjournal.py"; echo "$WORKSTATIONS $DAYS") | sha256sum | cut -c1-12)
DATA=${IDGUARD_BENCH_AUDIT_DIR:-/var/tmp/idguard-bench-audit}/$key
DIR=$DATA/remote
NAMES=$DATA/workstations
export TZ=Asia/Shanghai # the generator's workstations open at 08:20 local time, UTC+8

address_of() { echo "10.17.$(($1 / 10)).$(($1 % 10 + 1))"; }

make_journal() {
	local n
	rm -rf "$DATA"
	mkdir -p "$DIR"
	echo "bench-audit: making the journal of $WORKSTATIONS workstations over $DAYS days in $DATA (once)" >&2
	: >"$NAMES.new"
	for ((n = 0; n < WORKSTATIONS; n++)); do
		printf '%s ws-%03d-%02d\n' "$(address_of $n)" $((n / 10)) $((n % 10 + 1)) >>"$NAMES.new"
	done
	# One generator and one journal-remote per workstation, as many at a
	# time as there are processors.
	for ((n = 0; n < WORKSTATIONS; n++)); do echo "$n $(address_of $n)"; done |
		xargs -P "$(nproc)" -L 1 bash -c 'set -o pipefail
			/usr/bin/python3 "$0" --workstation "$4" --days "$1" |
				"$2" --output="$3/remote-$5.journal" /dev/stdin 2>/dev/null' \
			"$HERE/genjournal.py" "$DAYS" "$REMOTE" "$DIR" ||
		{ echo "bench-audit: making the journal failed" >&2; exit 1; }
	mv "$NAMES.new" "$NAMES"
	touch "$DATA/complete"
}
[ -f "$DATA/complete" ] || make_journal
[ "$PREPARE_ONLY" = 0 ] || { echo "$DIR"; exit 0; }

# The matches idguardctl audit adds: idguard's MESSAGE_IDs, written by root.
MATCHES=()
while read -r id; do MATCHES+=("MESSAGE_ID=$id"); done < <(sed -n 's/^#define IDG_MSG_[A-Z_]* *"\([0-9a-f]\{32\}\)".*/\1/p' "$ROOT/agent/lib/journal.h")
MATCHES+=(_UID=0)

now_ns() { date +%s%N; }
# Runs a command, output to a file; prints seconds.
timed() {
	local out=$1 start end
	shift
	start=$(now_ns)
	"$@" >"$out" 2>"$out.err" || { echo "bench-audit: failed: $* ($(head -3 "$out.err"))" >&2; return 1; }
	end=$(now_ns)
	echo $(((end - start) / 1000)) # µs
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
ROWS=()
FAILED=0

# query NAME COUNT-KIND WEIGHT -- IDGUARDCTL-ARGS -- JOURNALCTL-ARGS
# COUNT-KIND says how a tool's output is counted: lines (JSON lines),
# table (lines less the header), summary (its "records"), report (the
# report's record count); journalctl's output is always JSON lines or
# one line per record. WEIGHT: light, or heavy for the queries of the
# whole network's year, run once (journalctl takes minutes on them).
query() {
	local name=$1 kind=$2 runs=$RUNS ours=() theirs=() i t_ours=() t_theirs=() a b n_ours n_theirs
	[ "$3" = heavy ] && runs=1
	shift 4
	while [ "$1" != -- ]; do ours+=("$1"); shift; done
	shift
	theirs=("$@")
	for ((i = 0; i < runs; i++)); do
		t_ours+=("$(timed "$TMP/ours" "$IDGUARDCTL" audit "${ours[@]}")") || { FAILED=1; return; }
		t_theirs+=("$(timed "$TMP/theirs" journalctl --no-pager "${theirs[@]}")") || { FAILED=1; return; }
	done
	case $kind in
	lines) n_ours=$(wc -l <"$TMP/ours") ;;
	table) n_ours=$(($(wc -l <"$TMP/ours") - 1)) ;;
	summary) n_ours=$(/usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])' <"$TMP/ours") ;;
	report) n_ours=$(sed -n 's/.*id="records">\([0-9]*\)<.*/\1/p' "$TMP/ours") ;;
	esac
	# Not journalctl's "-- Boot ... --" and "-- No entries --" lines.
	n_theirs=$(grep -c -v '^-- .* --$' "$TMP/theirs" || true)
	a=$(printf '%s\n' "${t_ours[@]}" | median)
	b=$(printf '%s\n' "${t_theirs[@]}" | median)
	ROWS+=("$(awk -v name="$name" -v n="$n_ours" -v m="$n_theirs" -v a="$a" -v b="$b" -v runs="$runs" \
		'BEGIN { printf "%-50s %9s %9s %8.3f %8.3f %6.2f %4s", name, n, m, a / 1e6, b / 1e6, a / b, runs }')")
	if [ "$n_ours" != "$n_theirs" ]; then
		echo "bench-audit: $name: idguardctl found $n_ours records, journalctl $n_theirs" >&2
		FAILED=1
	fi
	echo "${ROWS[-1]}" >&2
}

# What to look for: a workstation, its branch, a case, a token and a
# request, taken from the journal itself.
one_file=$DIR/remote-10.17.3.7.journal
ref=$(journalctl --file "$one_file" -F IDGUARD_REF | grep '^CASE-' | sort | head -1)
token=$(journalctl --file "$one_file" -F IDGUARD_TOKEN_ID | sort | head -1)
request=$(journalctl --file "$one_file" -F IDGUARD_REQUEST_ID | sort | head -1)
request_short=$(echo "${request:0:4}-${request:4:4}" | tr a-f A-F)
week=(--since 2026-11-23 --until 2026-11-30)
month=(--since 2026-11-01 --until 2026-12-01)
branch="$DIR/remote-10.17.3.*"
entries=$(for f in "$DIR"/*.journal; do journalctl --header --file "$f"; done | awk '/^Entry objects:/ { n += $3 } END { print n }')
size=$(du -sh "$DIR" | cut -f1)
# Into the page cache, once: each tool then reads from memory, as on a
# collector that is used.
cat "$DIR"/*.journal >/dev/null

ids=(-D "$DIR" --names "$NAMES")
query "a workstation's refusals in a month (JSON)" lines light -- "${ids[@]}" --host ws-003-07 --verdict denied "${month[@]}" --json \
	-- --file "$one_file" "${MATCHES[@]}" IDGUARD_VERDICT=denied "${month[@]}" -o json
query "a branch's week, every record (JSON)" lines light -- "${ids[@]}" --host 'ws-003-*' "${week[@]}" --json \
	-- --file "$branch" "${MATCHES[@]}" "${week[@]}" -o json
query "a branch's week, every record (table)" table light -- "${ids[@]}" --host 'ws-003-*' "${week[@]}" \
	-- --file "$branch" "${MATCHES[@]}" "${week[@]}" -o short
query "a case across the network, a year (JSON)" lines light -- "${ids[@]}" --ref "$ref" --json \
	-- -D "$DIR" "${MATCHES[@]}" "IDGUARD_REF=$ref" -o json
query "a token by its whole id, a year (JSON)" lines light -- "${ids[@]}" --token "$token" --json \
	-- -D "$DIR" "${MATCHES[@]}" "IDGUARD_TOKEN_ID=$token" -o json
# journalctl matches whole values only: it is given the whole id, which
# the clerk and the messages do not show (finding it with journalctl -F
# on the whole directory takes minutes).
query "a token by its first 8 digits, a year (JSON)" lines light -- "${ids[@]}" --token "${token:0:8}" --json \
	-- -D "$DIR" "${MATCHES[@]}" "IDGUARD_TOKEN_ID=$token" -o json
query "a request as the clerk read it, a year (JSON)" lines light -- "${ids[@]}" --request "$request_short" --json \
	-- -D "$DIR" "${MATCHES[@]}" "IDGUARD_REQUEST_ID=$request" -o json
query "every refusal in the network, a year (JSON)" lines heavy -- "${ids[@]}" --verdict denied --json \
	-- -D "$DIR" "${MATCHES[@]}" IDGUARD_VERDICT=denied -o json
query "a branch's week: --report html" report light -- "${ids[@]}" --host 'ws-003-*' "${week[@]}" --report html \
	-- --file "$branch" "${MATCHES[@]}" "${week[@]}" -o json
query "a branch's year: --summary --json" summary light -- "${ids[@]}" --host 'ws-003-*' --summary --json \
	-- --file "$branch" "${MATCHES[@]}" -o json
query "the network's year: --summary --json" summary heavy -- "${ids[@]}" --summary --json \
	-- -D "$DIR" "${MATCHES[@]}" -o json

echo
echo "The journal: $WORKSTATIONS workstations, $DAYS days from 2026-01-01, $entries entries, $size, in $DIR"
echo "Each figure the median of $RUNS runs (the whole network's year: 1 run), in seconds, on $(nproc) processors; journalctl $(journalctl --version | head -1 | cut -d' ' -f2)."
echo
printf '%-50s %9s %9s %8s %8s %6s %4s\n' "query" "records" "(jctl)" "audit" "jctl" "ratio" "runs"
printf '%s\n' "${ROWS[@]}"
exit $FAILED
