#!/bin/bash
# Runs the root integration tests: every function named t_* in
# tests/integration/test_*.sh, each in its own subshell and environment.
#
#   BUILD=build tests/integration/run.sh [NAME_PATTERN]
#
# Needs root. Without root the tests are skipped with a message, unless
# IDGUARD_REQUIRE_ROOT_TESTS=1, which turns the skip into a failure.
# Ends with "N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
export BUILD=${BUILD:-$(cd "$HERE/../.." && pwd)/build}
PATTERN=${1:-}

if [ "$(id -u)" != 0 ]; then
	if [ "${IDGUARD_REQUIRE_ROOT_TESTS:-0}" = 1 ]; then
		echo "FAIL - integration tests need root (IDGUARD_REQUIRE_ROOT_TESTS=1 forbids skipping them)"
		echo "0 passed, 1 failed"
		exit 1
	fi
	echo "SKIP - integration tests need root; run 'make check' as root"
	echo "0 passed, 0 failed"
	exit 0
fi

# A private mount namespace: our journald socket, journal files and bpffs
# mounts vanish with it, whatever happens.
if [ -z "${IDG_IN_NAMESPACE:-}" ]; then
	export IDG_IN_NAMESPACE=1
	exec unshare --mount --propagation private "$0" "$@"
fi

for tool in journalctl jq setpriv mknod bpftool useradd faketime umockdev-wrapper cupsd lpadmin ipptool saned scanimage python3 logger \
	mosquitto mosquitto_pub mosquitto_sub openssl ip unshare chromium identify; do
	command -v "$tool" >/dev/null || { echo "FAIL - $tool is missing (make deps)"; echo "0 passed, 1 failed"; exit 1; }
done

RUN_DIR=$(mktemp -d /tmp/idguard-run.XXXXXX)
# shellcheck source=../private-journald.sh
. "$HERE/../private-journald.sh"
created_users=
cleanup_run() {
	stop_private_journald
	for user in $created_users; do
		userdel "$user" 2>/dev/null
	done
	rm -rf "$RUN_DIR"
}
trap cleanup_run EXIT
if ! start_private_journald "$RUN_DIR"; then
	echo "FAIL - journald did not start: $JOURNALD_ERROR"
	echo "0 passed, 1 failed"
	exit 1
fi

# Clerks and approvers of the counter scenario, removed again at the end.
export TEST_USERS="idgt-alice idgt-bob idgt-wang idgt-li"
for user in $TEST_USERS; do
	if ! id "$user" >/dev/null 2>&1; then
		useradd --system --no-create-home --shell /usr/sbin/nologin "$user" || {
			echo "FAIL - cannot create test user $user"; echo "0 passed, 1 failed"; exit 1; }
		created_users="$created_users $user"
	fi
done
# shellcheck source=lib.sh
. "$HERE/lib.sh"
for file in "$HERE"/test_*.sh; do
	# shellcheck disable=SC1090
	. "$file"
done

passed=0
failed=0
failed_names=
for name in $(declare -F | awk '{ print $3 }' | grep '^t_' | sort); do
	[ -n "$PATTERN" ] && ! [[ $name == *$PATTERN* ]] && continue
	start=$(date +%s)
	(
		set -eE -o pipefail
		trap cleanup_env EXIT
		setup_env
		"$name"
	)
	status=$?
	took=$(( $(date +%s) - start ))
	if [ $status -eq 0 ]; then
		echo "ok   - $name (${took}s)"
		passed=$((passed + 1))
	else
		echo "FAIL - $name (${took}s)"
		failed=$((failed + 1))
		failed_names="$failed_names $name"
	fi
done
[ -n "$failed_names" ] && echo "failed:$failed_names"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
