#!/bin/bash
# The whole test suite, as `make check` runs it:
#   1. cmocka unit tests, plain and under ASan+UBSan;
#   2. each libFuzzer target for a bounded time (FUZZ_SECONDS, default 15)
#      on a scratch copy of its seed corpus;
#   3. the root integration tests (tests/integration/run.sh);
#   4. the system test (tests/system/run.sh): the .deb checked with lintian
#      and installed in a Debian 12 VM, on Debian's own kernels; left out
#      with SYSTEM_TEST=no.
# With --unit, only the first section (what the package build runs).
# Every section prints its own results; the last line is the total,
# "N passed, N failed". Exit status 0 only when nothing failed.
set -u
ONLY_UNIT=no
[ "${1:-}" = --unit ] && ONLY_UNIT=yes
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
BUILD=${BUILD:-$ROOT/build}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
passed=0
failed=0

cd "$ROOT" || exit 1

# Adds a cmocka binary's counts. A binary that dies before its summary
# (a sanitizer abort, a crash) counts as one failure.
run_cmocka() {
	local binary=$1 out p f
	out=$("$binary" 2>&1)
	echo "$out" | grep -E '^\[ *(FAILED|ERROR|SKIPPED|PASSED) *\]' | sed "s|^|  $(basename "$binary"): |"
	p=$(echo "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p')
	f=$(echo "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p')
	if [ -z "$p" ] && [ -z "$f" ]; then
		echo "  $(basename "$binary"): did not finish:"
		echo "$out" | tail -n 20 | sed 's/^/    /'
		failed=$((failed + 1))
		return
	fi
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
}

echo "== unit tests"
for t in "$BUILD"/tests/test_*; do
	run_cmocka "$t"
done
echo "== unit tests under AddressSanitizer and UndefinedBehaviorSanitizer"
for t in "$BUILD"/asan/tests/test_*; do
	run_cmocka "$t"
done

if [ "$ONLY_UNIT" = yes ]; then
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
fi

echo "== fuzzers, ${FUZZ_SECONDS}s each"
for fuzzer in "$BUILD"/fuzz/fuzz_*; do
	name=$(basename "$fuzzer")
	corpus=$ROOT/tests/fuzz/corpus/${name#fuzz_}
	scratch=$(mktemp -d /tmp/idguard-fuzz.XXXXXX)
	cp -r "$corpus"/. "$scratch"/ 2>/dev/null
	if "$fuzzer" -max_total_time="$FUZZ_SECONDS" -artifact_prefix="$scratch/" "$scratch" >"$scratch/log" 2>&1; then
		echo "  ok   - $name ($(grep -Eo 'stat::number_of_executed_units: [0-9]+|Done [0-9]+ runs' "$scratch/log" | tail -n 1))"
		passed=$((passed + 1))
	else
		echo "  FAIL - $name; its crash input and log:"
		ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* 2>/dev/null | sed 's/^/    /'
		tail -n 30 "$scratch/log" | sed 's/^/    /'
		mkdir -p "$BUILD/fuzz-failures" && cp "$scratch"/crash-* "$scratch"/leak-* "$BUILD/fuzz-failures/" 2>/dev/null
		failed=$((failed + 1))
	fi
	rm -rf "$scratch"
done

# Runs a runner that ends with "N passed, N failed" and adds its counts.
run_section() { # NAME COMMAND...
	local name=$1 log out p f
	shift
	# Through a file, not tee /dev/stderr: reopening stderr would truncate
	# a log file that stdout and stderr share.
	log=$(mktemp /tmp/idguard-section.XXXXXX)
	BUILD=$BUILD "$@" 2>&1 | tee "$log"
	out=$(tail -n 1 "$log")
	rm -f "$log"
	p=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$out" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		echo "  the $name runner did not report its results"
		failed=$((failed + 1))
	else
		passed=$((passed + p))
		failed=$((failed + f))
	fi
}

echo "== integration tests (root)"
run_section integration "$HERE/integration/run.sh"

if [ "${SYSTEM_TEST:-yes}" = yes ]; then
	echo "== system test: the package in a Debian 12 VM (root)"
	run_section system "$HERE/system/run.sh"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
