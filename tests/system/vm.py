"""A Debian 12 guest under QEMU (TCG: these machines have no KVM), for the
system test. The guest boots one of the kernels tests/system/image.sh put
beside its root image, with systemd as PID 1 and real udev, on a qcow2
overlay of its own, so the image stays as built.

Talking to it:
  - commands run through the QEMU guest agent (guest-exec), which returns
    their exit status and output;
  - the QEMU monitor (QMP, and HMP through it) plugs and unplugs USB devices
    on an emulated xHCI controller, as a hand would;
  - files come in read-only over 9p (the payload directory, /mnt/payload).
"""

import base64
import json
import os
import random
import shutil
import socket
import subprocess
import time


class VMError(Exception):
    pass


class _Channel:
    """A line-delimited JSON channel on a unix socket (QMP or the agent)."""

    def __init__(self, path, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise VMError(f"cannot connect to {path}")
                time.sleep(0.2)
        self.buf = b""

    def send(self, obj):
        self.sock.sendall(json.dumps(obj).encode() + b"\n")

    def recv(self, timeout):
        """The next JSON object, or None after timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            # The agent puts 0xff before the answer to guest-sync-delimited.
            self.buf = self.buf.lstrip(b"\xff")
            line, sep, rest = self.buf.partition(b"\n")
            if sep:
                self.buf = rest
                if line.strip():
                    try:
                        return json.loads(line)
                    except ValueError:
                        continue
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                raise VMError("the channel was closed")
            self.buf += chunk

    def close(self):
        self.sock.close()


class VM:
    def __init__(self, image_dir, kernel, workdir, payload, memory=2048, backing=None):
        """kernel: a release under image_dir (vmlinuz-RELEASE). backing: a
        qcow2 to build the overlay on instead of the root image (a clone)."""
        self.image_dir = image_dir
        self.kernel = kernel
        self.workdir = workdir
        self.payload = payload
        self.memory = memory
        os.makedirs(workdir, exist_ok=True)
        self.disk = os.path.join(workdir, "disk.qcow2")
        self.console = os.path.join(workdir, "console.log")
        self.qmp_path = os.path.join(workdir, "qmp.sock")
        self.qga_path = os.path.join(workdir, "qga.sock")
        self.proc = None
        self.qmp = None
        self.qga = None
        if not os.path.exists(self.disk):
            base = backing or os.path.join(image_dir, "root.img")
            fmt = "qcow2" if backing else "raw"
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", fmt, self.disk],
                           check=True)

    # ---- life cycle -----------------------------------------------------------

    def start(self, timeout=600):
        """Boots the guest and waits until systemd says it is up."""
        for path in (self.qmp_path, self.qga_path):
            if os.path.exists(path):
                os.unlink(path)
        argv = [
            "qemu-system-x86_64", "-machine", "q35", "-accel", "tcg,thread=multi", "-cpu", "max",
            "-smp", "2", "-m", str(self.memory), "-nodefaults", "-display", "none",
            "-kernel", os.path.join(self.image_dir, f"vmlinuz-{self.kernel}"),
            "-initrd", os.path.join(self.image_dir, f"initrd.img-{self.kernel}"),
            "-append", "root=/dev/vda rw console=ttyS0 panic=-1 systemd.show_status=0",
            "-drive", f"file={self.disk},if=virtio,format=qcow2",
            "-serial", f"file:{self.console}",
            "-nic", "none",
            "-device", "qemu-xhci,id=xhci",
            "-device", "virtio-serial-pci",
            "-chardev", f"socket,path={self.qga_path},server=on,wait=off,id=qga0",
            "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
            "-virtfs", f"local,path={self.payload},mount_tag=payload,security_model=none,readonly=on",
        ]
        with open(os.path.join(self.workdir, "qemu.log"), "ab") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self.qmp = _Channel(self.qmp_path, 30)
        greeting = self.qmp.recv(30)
        if not greeting or "QMP" not in greeting:
            raise VMError("QEMU's monitor did not greet")
        self._qmp("qmp_capabilities")
        self.qga = _Channel(self.qga_path, 30)
        self.wait_booted(timeout)

    def wait_booted(self, timeout=600):
        deadline = time.monotonic() + timeout
        while not self._sync(5):
            if self.proc.poll() is not None:
                raise VMError(f"QEMU exited with status {self.proc.returncode}; see {self.console}")
            if time.monotonic() > deadline:
                raise VMError(f"the guest agent did not answer within {timeout}s; see {self.console}")
        left = max(30, int(deadline - time.monotonic()))
        state = self.run(f"timeout {left} systemctl is-system-running --wait", timeout=left + 30).out.strip()
        if state not in ("running", "degraded"):
            raise VMError(f"systemd did not come up: {state}")
        mounted = self.run("mountpoint -q /mnt/payload || mount -t 9p -o trans=virtio,version=9p2000.L,ro "
                           "payload /mnt/payload")
        if mounted.status != 0:
            raise VMError(f"cannot mount the payload: {mounted.err}")
        return state

    def boot_id(self):
        return self.run("cat /proc/sys/kernel/random/boot_id").out.strip()

    def reboot(self, timeout=600):
        """A real reboot: systemd stops everything, the kernel restarts."""
        before = self.boot_id()
        self.run_async("sleep 1; systemctl reboot")
        deadline = time.monotonic() + timeout
        # Until the old agent is gone, it may still answer.
        while time.monotonic() < deadline:
            time.sleep(3)
            if self._sync(3):
                try:
                    if self.boot_id() != before:
                        break
                except VMError:
                    pass
        self.wait_booted(max(60, int(deadline - time.monotonic())))

    def stop(self):
        """Powers the guest off (or pulls the plug after 120 s)."""
        if self.proc and self.proc.poll() is None:
            try:
                self.run_async("systemctl poweroff")
            except VMError:
                pass
            try:
                self.proc.wait(120)
            except subprocess.TimeoutExpired:
                self.kill()
        self._close()

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self._close()

    def _close(self):
        for channel in (self.qmp, self.qga):
            if channel:
                channel.close()
        self.qmp = self.qga = None

    # ---- the monitor ------------------------------------------------------------

    def _qmp(self, command, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        self.qmp.send(msg)
        while True:
            reply = self.qmp.recv(60)
            if reply is None:
                raise VMError(f"no answer from the monitor to {command}")
            if "event" in reply:
                continue
            if "error" in reply:
                raise VMError(f"{command}: {reply['error'].get('desc')}")
            return reply.get("return")

    def hmp(self, command_line):
        """One human monitor command (device_add, device_del, drive_add...)."""
        out = self._qmp("human-monitor-command", **{"command-line": command_line})
        # Most commands say nothing when they succeed; drive_add says OK.
        if out and out.strip() and out.strip() != "OK":
            raise VMError(f"monitor: {command_line}: {out.strip()}")
        return out

    # ---- the guest agent ------------------------------------------------------------

    def _sync(self, timeout):
        token = random.randrange(1, 2 ** 31)
        try:
            self.qga.send({"execute": "guest-sync-delimited", "arguments": {"id": token}})
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                reply = self.qga.recv(deadline - time.monotonic())
                if reply is None:
                    return False
                if reply.get("return") == token:
                    return True
        except (OSError, VMError):
            return False
        return False

    def _qga(self, command, timeout=60, **arguments):
        msg = {"execute": command}
        if arguments:
            msg["arguments"] = arguments
        if not self._sync(30):
            raise VMError(f"the guest agent does not answer ({command})")
        self.qga.send(msg)
        reply = self.qga.recv(timeout)
        if reply is None:
            raise VMError(f"no answer from the guest agent to {command}")
        if "error" in reply:
            raise VMError(f"{command}: {reply['error'].get('desc')}")
        return reply.get("return")

    def run_async(self, command):
        """Starts a shell command in the guest; returns the agent's pid."""
        return self._qga("guest-exec", path="/bin/sh", arg=["-c", command], **{"capture-output": True})["pid"]

    def wait(self, pid, timeout=300):
        deadline = time.monotonic() + timeout
        while True:
            status = self._qga("guest-exec-status", pid=pid)
            if status.get("exited"):
                return Result(status.get("exitcode", -1 if status.get("signal") else 0),
                              _decode(status.get("out-data")), _decode(status.get("err-data")),
                              status.get("signal"))
            if time.monotonic() > deadline:
                raise VMError(f"guest command {pid} did not end within {timeout}s")
            time.sleep(0.2)

    def run(self, command, timeout=300):
        """Runs a shell command in the guest as root: its Result."""
        return self.wait(self.run_async(command), timeout)

    def check(self, command, timeout=300):
        """Like run, but a non-zero status is a VMError with the output."""
        result = self.run(command, timeout)
        if result.status != 0:
            raise VMError(f"in the guest, '{command}' exited {result.status}: {result.err.strip() or result.out.strip()}")
        return result.out


class Result:
    def __init__(self, status, out, err, signal=None):
        self.status = status
        self.out = out
        self.err = err
        self.signal = signal

    def __repr__(self):
        return f"Result(status={self.status}, out={self.out!r}, err={self.err!r})"


def _decode(data):
    return base64.b64decode(data).decode(errors="replace") if data else ""


def copy_payload(payload, files):
    os.makedirs(payload, exist_ok=True)
    for f in files:
        shutil.copy(f, payload)
