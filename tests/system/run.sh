#!/bin/bash
# The system test (tests/system/run.py): the packages built by `make deb`
# checked with lintian and installed in a Debian 12 VM on Debian's own
# kernels, 6.1 (the whole suite), 5.10 and 6.12 (load, refuse, grant, one
# hot-plug).
#
#   BUILD=build tests/system/run.sh [run.py options]   e.g. --kernel 6.1:full --keep
#
# Needs root (the guest image is made with debootstrap) and takes about
# 20 minutes, plus about 10 to build the guest image on a machine where it
# is not cached yet (tests/system/image.sh). Without root it is skipped with
# a message, unless IDGUARD_REQUIRE_ROOT_TESTS=1 makes that a failure.
# Ends with "N passed, N failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-$(cd "$HERE/../.." && pwd)/build}

finish() { # PASSED FAILED MESSAGE
	[ -n "$3" ] && echo "$3"
	echo "$1 passed, $2 failed"
	exit $(($2 > 0))
}

if [ "$(id -u)" != 0 ]; then
	[ "${IDGUARD_REQUIRE_ROOT_TESTS:-0}" = 1 ] &&
		finish 0 1 "FAIL - the system test needs root (IDGUARD_REQUIRE_ROOT_TESTS=1 forbids skipping it)"
	finish 0 0 "SKIP - the system test needs root; run 'make check' as root"
fi
for tool in qemu-system-x86_64 qemu-img debootstrap mkfs.ext4 lintian dpkg-deb python3; do
	command -v "$tool" >/dev/null || finish 0 1 "FAIL - $tool is missing (make deps)"
done
debs=$(ls "$BUILD"/deb/idguard_*.deb "$BUILD"/deb/idguard-tools_*.deb 2>/dev/null)
[ "$(echo "$debs" | grep -c .)" = 2 ] || finish 0 1 "FAIL - no packages in $BUILD/deb (make deb)"

# What the packages need at run time goes into the guest, which has no
# network: their Depends, without versions, without each other.
depends=$(for deb in $debs; do dpkg-deb -f "$deb" Depends; done | tr ',' '\n' |
	sed 's/([^)]*)//g; s/|.*//; s/^ *//; s/ *$//' | grep -v '^idguard' | grep . | sort -u)
# shellcheck disable=SC2086
image=$("$HERE/image.sh" $depends) || finish 0 1 "FAIL - the guest image could not be built"
# shellcheck disable=SC2086
exec python3 "$HERE/run.py" --image "$image" "$@" $debs
