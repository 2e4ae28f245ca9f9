#!/bin/bash
# Builds the guest for the system test: a Debian 12 workstation root with
# systemd, udev and the QEMU guest agent, as an ext4 image, and next to it the
# kernels it boots: Debian 12's own (6.1), Debian 11's (5.10) and Debian 13's
# (6.12), each with an initramfs made by the guest's initramfs-tools.
#
#   tests/system/image.sh PACKAGE...      prints the directory that holds
#                                         root.img and vmlinuz-*/initrd.img-*
#
# PACKAGEs are installed into the guest too: the system test passes the
# runtime Depends of the .deb under test, so that apt can install it with no
# network in the guest (and a Depends that is missing shows as a failure).
#
# Images are cached in $IDGUARD_VM_CACHE (default /var/cache/idguard-vm),
# one directory per hash of this script and the package list: a second run
# on one machine reuses it, a fresh machine builds it (about 10 minutes).
# Everything comes from the Debian mirror apt already uses on this machine.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${IDGUARD_VM_CACHE:-/var/cache/idguard-vm}

# What a counter workstation has, and what the test drives it with.
# dbus-user-session: the session bus of a desktop's user manager (for
# idguard-notify's user unit). mosquitto and openssl: the branch's broker
# and its certificates, in the guest itself, for the approval relay.
GUEST_PACKAGES="systemd systemd-sysv udev dbus dbus-user-session kmod linux-image-amd64 initramfs-tools
qemu-guest-agent v4l-utils usbutils passwd procps iproute2 acl bpftool mosquitto openssl"

log() { echo "image: $*" >&2; }

extra=$(printf '%s\n' "$@" | sort -u | tr '\n' ' ')
key=$( (cat "$0"; echo "$extra") | sha256sum | cut -c1-16)
out=$CACHE/$key
if [ -s "$out/root.img" ] && [ -s "$out/done" ]; then
	echo "$out"
	exit 0
fi

[ "$(id -u)" = 0 ] || { log "building the guest image needs root"; exit 1; }
for tool in debootstrap mkfs.ext4 apt-get dpkg-deb; do
	command -v "$tool" >/dev/null || { log "$tool is missing (make deps)"; exit 1; }
done

mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
[ -n "$mirror" ] || { log "no Debian mirror found in apt's sources"; exit 1; }

work=$(mktemp -d /var/tmp/idguard-image.XXXXXX)
root=$work/root
cleanup() {
	local m
	for m in $(awk -v r="$root" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'log "failed at line $LINENO: $BASH_COMMAND"' ERR

log "debootstrap bookworm from $mirror into $root (about 8 minutes under no KVM)"
# shellcheck disable=SC2086
debootstrap --variant=minbase --include="$(echo $GUEST_PACKAGES $extra | tr ' ' ',')" \
	bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 || {
	tail -n 30 "$work/debootstrap.log" >&2
	exit 1
}

# The other Debian kernels, fetched through apt with a private state per
# suite (the host's apt lists are left alone), unpacked into the guest, with
# an initramfs made inside it.
apt_private() { # COMMAND SUITE ARGS...
	local command=$1 dir=$work/apt-$2
	shift 2
	"$command" -qq -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State="$dir/state" -o Dir::Cache="$dir/cache" -o Debug::NoLocking=true \
		-o APT::Sandbox::User=root "$@"
}
for suite in bullseye trixie; do
	dir=$work/apt-$suite
	mkdir -p "$dir/state/lists/partial" "$dir/cache/archives/partial" "$dir/debs"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror $suite main" >"$dir/sources.list"
	apt_private apt-get "$suite" update
	# linux-image-amd64 of that suite names the versioned package.
	pkg=$(apt_private apt-cache "$suite" show linux-image-amd64 2>/dev/null |
		awk -F': ' '/^Depends:/ { print $2; exit }' | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep '^linux-image-[0-9]' | head -n 1)
	[ -n "$pkg" ] || { log "no linux-image-amd64 in $suite on $mirror"; exit 1; }
	(cd "$dir/debs" && apt_private apt-get "$suite" download "$pkg")
	unpacked=$dir/unpacked
	dpkg-deb -x "$dir/debs/${pkg}_"*.deb "$unpacked"
	kver=${pkg#linux-image-}
	# Into the usr-merged guest: modules under usr/lib (never over its
	# /lib symlink), the kernel under boot.
	mkdir -p "$root/usr/lib/modules"
	for m in "$unpacked/lib/modules/$kver" "$unpacked/usr/lib/modules/$kver"; do
		if [ -d "$m" ]; then cp -a "$m" "$root/usr/lib/modules/"; fi
	done
	cp "$unpacked/boot/vmlinuz-$kver" "$unpacked/boot/config-$kver" "$root/boot/"
	log "$suite kernel $kver"
	chroot "$root" depmod -a "$kver"
	chroot "$root" mkinitramfs -o "/boot/initrd.img-$kver" "$kver" >>"$work/initramfs.log" 2>&1 || {
		tail -n 20 "$work/initramfs.log" >&2
		exit 1
	}
	rm -rf "$unpacked"
done

# A workstation: its own name, a persistent journal (records must survive a
# reboot), the root file system, nothing that talks to a network.
echo ws-017 >"$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 ws-017\n' >"$root/etc/hosts"
echo '/dev/vda / ext4 defaults 0 1' >"$root/etc/fstab"
mkdir -p "$root/var/log/journal" "$root/mnt/payload"
# The image's machine id is the one every boot of it shares until the clone
# recipe (docs/administrators.md) is applied; the test checks both.
chroot "$root" systemd-machine-id-setup >/dev/null 2>&1 || true
# Serial console for the boot log; no getty needed on it.
chroot "$root" systemctl mask serial-getty@ttyS0.service getty@tty1.service >/dev/null 2>&1 || true
chroot "$root" apt-get clean

mkdir -p "$out.part"
cp "$root"/boot/vmlinuz-* "$root"/boot/initrd.img-* "$out.part/"
chmod 0644 "$out.part"/*
log "making the ext4 image"
mkfs.ext4 -q -L guest -d "$root" "$out.part/root.img" 3G >&2
ls "$root/usr/lib/modules" >"$out.part/kernels"
date -u +%FT%TZ >"$out.part/done"
rm -rf "$out"
mv "$out.part" "$out"
# Images of earlier versions of this script or package list are not used
# again: only the newest is kept.
for old in "$CACHE"/*/; do
	[ "${old%/}" = "$out" ] || rm -rf --one-file-system "${old%/}"
done
echo "$out"
