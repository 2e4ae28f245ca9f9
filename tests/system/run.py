#!/usr/bin/env python3
"""The system test: idguard as a workstation runs it.

The packages built from this tree are checked with lintian, then installed
with apt in a Debian 12 guest (tests/system/image.sh) that boots Debian's
own kernels with systemd as PID 1 and real udev. On Debian 12's 6.1 the
whole suite runs; on Debian 11's 5.10 and Debian 13's 6.12 the smoke
checks (load, refuse, grant, one hot-plug, and on 5.10 how a verifier
refusal is reported).

Every check asserts what a person would see: exit statuses and error
messages of real programs (v4l2-ctl, a shell's open, systemctl, apt), the
journal's records and fields, idguardctl's output. Each prints
"ok   - NAME (Ns)" or "FAIL - NAME (Ns)" with the reason; the last line is
"N passed, N failed".
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vm import VM, VMError  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

CLERK_UID = 1001
MSG = {
    "denied": "4388eff3830246b8a36ebe694f645030",
    "audited": "79c9602e7c0149ce93c13e57dc3441a4",
    "granted": "692a64ee623e423a889a20bd512f4228",
    "started": "41bfc5007ccc48cf8eb0ea6d6f4b932f",
    "policy_loaded": "ee1405e71e7045818a345b660630a407",
    "policy_rejected": "33a70e7e572f46e3a158f7ea84dd8e61",
    "tamper": "9248df4902834102b2dedf4a8ee85ec9",
    "handle_ended": "9d1b644607994bbc93c38b2518339e29",
    "redeemed": "60fe6864156b4b3d9c5e283412ab4291",
}


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


def wait_for(what, predicate, timeout=60, interval=1.0):
    """Polls predicate (bounded); its last value when it holds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() > deadline:
            raise Failure(f"{what}: not within {timeout}s (last: {last!r})")
        time.sleep(interval)


class Suite:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.failed_names = []

    def run(self, name, fn, *args):
        start = time.monotonic()
        try:
            fn(*args)
        except (Failure, VMError, AssertionError, subprocess.CalledProcessError, json.JSONDecodeError) as e:
            self.failed += 1
            self.failed_names.append(name)
            print(f"FAIL - {name} ({time.monotonic() - start:.0f}s)")
            for line in str(e).splitlines() or ["(no detail)"]:
                print(f"    {line}")
            sys.stdout.flush()
            return False
        except Exception:
            self.failed += 1
            self.failed_names.append(name)
            print(f"FAIL - {name} ({time.monotonic() - start:.0f}s): the test itself broke")
            print("    " + traceback.format_exc().replace("\n", "\n    "))
            sys.stdout.flush()
            return False
        self.passed += 1
        print(f"ok   - {name} ({time.monotonic() - start:.0f}s)")
        sys.stdout.flush()
        return True

    def skip_rest(self, names, why):
        for name in names:
            self.failed += 1
            self.failed_names.append(name)
            print(f"FAIL - {name}: not run, {why}")


# ---- what the guest shows ----------------------------------------------------------


class Guest:
    """The workstation under test, and the facts the checks read off it."""

    def __init__(self, vm, kernel, debs, upgrade_debs=()):
        self.vm = vm
        self.kernel = kernel
        self.debs = debs
        self.upgrade_debs = upgrade_debs

    def sh(self, command, timeout=300):
        return self.vm.run(command, timeout)

    def ok(self, command, timeout=300):
        return self.vm.check(command, timeout)

    def journal(self, *matches, boot="0"):
        """Records of this boot (or boot -1, ...) as dicts."""
        args = " ".join(shlex.quote(m) for m in matches)
        out = self.ok(f"journalctl --no-pager -b {boot} -o json {args}")
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def records(self, kind, *matches, boot="0"):
        return self.journal(f"MESSAGE_ID={MSG[kind]}", *matches, boot=boot)

    def status(self):
        return json.loads(self.ok("idguardctl status --json"))

    def devices(self):
        return json.loads(self.ok("idguardctl devices --json"))["devices"]

    def as_clerk(self, command, timeout=120):
        """command run by the clerk (uid 1001, in the groups video and dialout)."""
        return self.sh(f"setpriv --reuid={CLERK_UID} --regid={CLERK_UID} --init-groups "
                       f"sh -c {shlex.quote(command)}", timeout)

    def clerk_open(self, node):
        """What the clerk's open of node gives: 'opened' or the error text."""
        r = self.as_clerk(f'exec 3<"{node}" && echo opened')
        return "opened" if r.status == 0 and "opened" in r.out else r.err.strip()

    def main_pid(self):
        return int(self.ok("systemctl show -p MainPID --value idguard").strip() or 0)

    def active(self):
        return self.ok("systemctl is-active idguard || true").strip() == "active"

    def wait_active(self, timeout=120, other_than=None):
        """Waits until the service is active (with a MainPID other than
        other_than) and the daemon answers."""
        def up():
            if not self.active():
                return False
            pid = self.main_pid()
            if not pid or pid == other_than:
                return False
            return self.sh("idguardctl status >/dev/null").status == 0 and pid
        return wait_for("idguard active and answering", up, timeout)


# ---- install and the start record --------------------------------------------------


def t_install(g):
    debs = " ".join(f"/mnt/payload/{os.path.basename(d)}" for d in g.debs)
    r = g.sh(f"DEBIAN_FRONTEND=noninteractive apt-get install -y {debs} 2>&1", timeout=900)
    check(r.status == 0, f"apt-get install exited {r.status}:\n{r.out[-3000:]}")
    g.wait_active()
    state = g.ok("systemctl show -p Type,ActiveState,SubState,StatusText idguard")
    check("Type=notify" in state and "SubState=running" in state, f"unit state:\n{state}")
    check("StatusText=Watching" in state, f"the daemon reported no status (Type=notify, READY=1):\n{state}")
    check(g.sh("getent group idguard-auditors").status == 0, "the idguard-auditors group (sysusers.d) is missing")
    acl = g.ok("getfacl -p /var/log/journal 2>/dev/null || true")
    check("group:idguard-auditors:r-x" in acl, f"the journal ACL (tmpfiles.d) is missing:\n{acl}")
    # The message catalog (English here) explains the record to journalctl -x.
    catalog = g.ok(f"journalctl --no-pager -x -b -n 1 MESSAGE_ID={MSG['started']}")
    check("started and guards the cgroup" in catalog, f"no catalog text for the start record:\n{catalog}")


def t_start_record(g, expect_loaded, expect_missing):
    records = g.records("started")
    check(records, "no 'agent started' record in the journal")
    rec = records[-1]
    check(rec.get("IDGUARD_KERNEL") == g.kernel, f"IDGUARD_KERNEL={rec.get('IDGUARD_KERNEL')}, not {g.kernel}")
    loaded = rec.get("IDGUARD_PROGRAMS", "").split()
    missing = rec.get("IDGUARD_PROGRAMS_MISSING", "").split()
    check(sorted(loaded) == sorted(expect_loaded), f"programs loaded: {loaded}, expected {expect_loaded}")
    check(sorted(missing) == sorted(expect_missing), f"programs missing: {missing}, expected {expect_missing}")
    check(f"started on Linux {g.kernel}" in rec["MESSAGE"], f"MESSAGE: {rec['MESSAGE']}")
    status = g.ok("idguardctl status")
    print("    " + "\n    ".join(l for l in status.splitlines() if l.startswith("kernel") or "not loaded" in l))
    check(f"kernel        Linux {g.kernel}; programs loaded: {' '.join(expect_loaded)}" in status,
          f"idguardctl status does not say which programs this kernel took:\n{status}")
    for name in expect_missing:
        check(f"not loaded: {name}: " in status, f"idguardctl status does not say why {name} is missing:\n{status}")


def t_sandbox_score(g, result):
    out = g.ok("systemd-analyze security --no-pager idguard")
    m = re.search(r"Overall exposure level for idguard.service: ([0-9.]+)", out)
    check(m, f"no exposure level in:\n{out[-500:]}")
    result["exposure"] = float(m.group(1))
    print(f"    systemd-analyze security idguard: {m.group(1)}; exposed by:")
    for line in out.splitlines():
        if line.startswith("✗"):
            print("      " + " ".join(line.split()))
    check(float(m.group(1)) <= 3.0, f"exposure {m.group(1)} is above 3.0")


# ---- a real camera -----------------------------------------------------------------


def load_camera(g):
    g.ok("modprobe vivid n_devs=1 node_types=0x1")
    g.ok("udevadm settle -t 60")

    def camera():
        for dev in g.devices():
            nodes = [n.get("node") for n in dev.get("nodes", [])]
            if dev["class"] == "camera" and "/dev/video0" in nodes:
                return dev
        return None
    return wait_for("vivid's /dev/video0 classified as a camera", camera, 60)


def t_camera_refused(g):
    dev = load_camera(g)
    check(dev["mode"] == "enforce", f"camera mode {dev['mode']}")
    r = g.as_clerk("v4l2-ctl -d /dev/video0 --stream-mmap --stream-count=1 --stream-to=/tmp/frame")
    check(r.status != 0 and "Operation not permitted" in r.err,
          f"the clerk's capture was not refused with EPERM: status {r.status}, {r.err.strip()}")
    recs = wait_for("a refusal record", lambda: g.records("denied", "IDGUARD_COMM=v4l2-ctl"), 30)
    rec = recs[-1]
    for field, want in (("IDGUARD_CLASS", "camera"), ("IDGUARD_UID", str(CLERK_UID)), ("IDGUARD_USER", "clerk"),
                        ("IDGUARD_NODE", "/dev/video0"), ("IDGUARD_VERDICT", "denied"),
                        ("IDGUARD_REASON", "no-grant")):
        check(rec.get(field) == want, f"{field}={rec.get(field)!r}, expected {want!r}")
    check(re.match(r"^Refused clerk \(uid 1001\) opening camera /dev/video0 .* with v4l2-ctl \(pid \d+\): "
                   r"no purpose token$", rec["MESSAGE"]), f"MESSAGE: {rec['MESSAGE']}")


def t_clerk_told_why(g):
    """What a refused clerk sees on the real platform: her own notice, with
    the next step, through `idguardctl why` (the desktop agent shows the
    same); and the agent is set to start with every graphical session."""
    r = g.as_clerk("idguardctl why --json")
    check(r.status == 0, f"idguardctl why as the clerk failed: {r.err.strip()}")
    notices = [n for n in json.loads(r.out)["notices"] if n.get("notice") == "refused"]
    check(notices, f"no refusal in the clerk's notices: {r.out[:500]}")
    n = notices[-1]
    for field, want in (("class", "camera"), ("device", "/dev/video0"), ("program", "v4l2-ctl"),
                        ("reason", "no-grant")):
        check(n.get(field) == want, f"notice {field}={n.get(field)!r}, expected {want!r}")
    commands = [p.get("command", "") for p in n.get("purposes", [])]
    check(any(c.startswith("idguardctl token request --purpose ") and "--class camera" in c for c in commands),
          f"no token request command in the notice: {commands}")
    text = g.as_clerk("idguardctl why").out
    check("idguard refused the camera" in text and "idguardctl token request" in text,
          f"idguardctl why does not say it:\n{text}")
    enabled = g.sh("systemctl --global is-enabled idguard-notify.service").out.strip()
    check(enabled == "enabled", f"idguard-notify.service is {enabled!r} for user sessions, not enabled")


def t_notify_agent_in_the_user_manager(g):
    """idguard-notify as the package starts it: the user unit, under its own
    sandbox (seccomp, no new privileges), in a real user manager with a real
    session bus. It owns its bus name, takes the clerk's refusal from
    idguardd and, with no notification server in this guest, says so and
    keeps running: the sandbox lets it do all of that."""
    g.ok("loginctl enable-linger clerk")
    wait_for("the clerk's user manager", lambda: g.sh("systemctl is-active user@1001.service").out.strip() == "active",
             60)
    user = ("runuser -u clerk -- env XDG_RUNTIME_DIR=/run/user/1001 "
            "DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/1001/bus ")
    g.ok(user + "systemctl --user start idguard-notify.service")
    wait_for("idguard-notify owns its bus name",
             lambda: "org.idguard.Notify1" in g.sh(user + "busctl --user list --no-pager").out, 30)
    check(g.clerk_open("/dev/video0") != "opened", "the clerk opened the camera")
    journal = ("journalctl --no-pager -o cat _UID=1001 _SYSTEMD_USER_UNIT=idguard-notify.service")
    wait_for("idguard-notify tried to show the refusal",
             lambda: "no notification service" in g.sh(journal).out, 30)
    state = g.ok(user + "systemctl --user show -p ActiveState,NRestarts,Result idguard-notify.service")
    check("ActiveState=active" in state and "NRestarts=0" in state,
          f"idguard-notify did not keep running under its sandbox:\n{state}\n{g.sh(journal).out[-1500:]}")
    g.ok(user + "systemctl --user stop idguard-notify.service")
    g.ok("loginctl disable-linger clerk")


def t_camera_granted(g):
    g.ok("idguardctl grant add --user clerk --class camera --minutes 10")
    r = g.as_clerk("rm -f /tmp/frame; v4l2-ctl -d /dev/video0 --stream-mmap --stream-count=1 --stream-to=/tmp/frame "
                   "&& stat -c %s /tmp/frame", timeout=180)
    check(r.status == 0, f"the clerk's capture under a grant failed: {r.err.strip()}")
    check(int(r.out.split()[-1]) > 0, "the captured frame is empty")
    recs = wait_for("a granted record", lambda: g.records("granted", "IDGUARD_COMM=v4l2-ctl"), 30)
    check(recs[-1].get("IDGUARD_GRANT_SOURCE") == "admin", f"grant source {recs[-1].get('IDGUARD_GRANT_SOURCE')}")


def t_holder_ended_when_the_grant_ends(g):
    # A program holding the camera open when the grant ends is ended
    # (OnGrantEnd=terminate): the sandbox must let the daemon see and
    # signal another user's process.
    g.ok("systemd-run --unit=idg-holder --uid=clerk -p SupplementaryGroups=video "
         "/bin/sh -c 'exec sleep infinity 3</dev/video0'")
    wait_for("the holder runs", lambda: g.ok("systemctl is-active idg-holder || true").strip() == "active", 30)
    grant = json.loads(g.ok("idguardctl grant list --json"))["grants"][0]["id"]
    g.ok(f"idguardctl grant remove {grant}")
    wait_for("the holder ended", lambda: g.ok("systemctl is-active idg-holder || true").strip() != "active", 30)
    recs = wait_for("a handle-ended record", lambda: g.records("handle_ended"), 30)
    check("sleep" in recs[-1]["MESSAGE"], f"handle-ended MESSAGE: {recs[-1]['MESSAGE']}")
    check(EPERM in g.clerk_open("/dev/video0"), f"after the grant: {g.clerk_open('/dev/video0')}")
    g.sh("systemctl reset-failed idg-holder")


# ---- USB devices plugged in through the QEMU monitor ------------------------------------


def t_auditor_reads_the_workstations_journal(g):
    """The auditor's view on the real platform: a member of idguard-auditors
    (the group and the journal's ACL come with the package) reads the
    workstation's own journal with idguardctl audit; the clerk may not."""
    g.ok("id auditor >/dev/null 2>&1 || useradd -m -G idguard-auditors auditor")
    auditor = "setpriv --reuid=auditor --regid=auditor --init-groups"
    r = g.sh(f"{auditor} idguardctl audit --since today --summary --json")
    check(r.status == 0, f"the auditor's summary failed: {r.status} {r.err.strip()}")
    summary = json.loads(r.out)
    verdicts = summary.get("verdicts", {})
    check(verdicts.get("denied", 0) >= 1 and verdicts.get("granted", 0) >= 1, f"verdicts {verdicts}")
    check(summary.get("host_source") == "claimed", f"host_source {summary.get('host_source')!r} off a collector")
    programs = [p["name"] for p in summary["refused"]["by_program"]]
    check("v4l2-ctl" in programs, f"refused programs {programs}")
    r = g.sh(f"{auditor} idguardctl audit --since today --verdict denied --class camera --json")
    rows = [json.loads(line) for line in r.out.splitlines() if line.strip()]
    check(any(row.get("comm") == "v4l2-ctl" and row.get("uid") == CLERK_UID and row.get("node") == "/dev/video0"
              for row in rows), f"the clerk's refusal is not among the auditor's rows: {r.out[:600]}")
    r = g.sh(f"{auditor} sh -c 'idguardctl audit --since today --report html --output /tmp/report.html "
             f"&& grep -c \"<svg\" /tmp/report.html'")
    check(r.status == 0 and int(r.out.split()[-1]) >= 1, f"no report with charts: {r.status} {r.err.strip()}")
    r = g.as_clerk("idguardctl audit --since today")
    check(r.status == 4 and "idguardctl why" in r.err, f"the clerk's audit: status {r.status}, {r.err.strip()}")


def usb_device(g, vid_pid=None, label=None):
    for dev in g.devices():
        if vid_pid and dev.get("vid_pid") == vid_pid:
            return dev
        if label and label in dev.get("label", ""):
            return dev
    return None


def plug(g, hmp, vid_pid, expect_class):
    g.vm.hmp(hmp)
    dev = wait_for(f"{vid_pid} listed by idguardctl devices", lambda: usb_device(g, vid_pid), 60)
    check(dev["class"] == expect_class,
          f"{vid_pid} is {dev['class']} (by: {dev.get('matched_by')}), expected {expect_class}")
    return dev


def unplug(g, device_id, vid_pid):
    g.vm.hmp(f"device_del {device_id}")
    wait_for(f"{vid_pid} gone from idguardctl devices", lambda: usb_device(g, vid_pid) is None, 60)


def usb_node(dev):
    nodes = [n["node"] for n in dev.get("nodes", []) if n.get("node", "").startswith("/dev/bus/usb/")]
    check(nodes, f"no /dev/bus/usb node for {dev.get('label')}: {dev.get('nodes')}")
    return nodes[0]


EPERM = "Operation not permitted"


def t_relay_round_trip(g, result):
    """The online approval round trip as the package installs it: the
    branch's broker (Debian's mosquitto with the shipped drop-in and ACL,
    certificates from the shipped idguard-certs; here in the guest itself),
    idguard-relay.service under its sandbox, the clerk's request, the
    supervisor's inbox and approval, and the grant made for the clerk by
    itself."""
    host = g.ok("hostname -s").strip()
    g.ok("C=/usr/share/idguard/broker/idguard-certs && rm -rf /root/ca && $C ca /root/ca && "
         f"$C broker /root/ca 127.0.0.1 && $C client /root/ca {host} && $C client /root/ca approver-wang")
    g.ok("install -d -m 0750 -g mosquitto /etc/mosquitto/idguard && "
         "cp /root/ca/ca.crt /root/ca/broker.crt /root/ca/broker.key /root/ca/crl.pem "
         "/usr/share/idguard/broker/idguard.acl /etc/mosquitto/idguard/ && "
         "chgrp mosquitto /etc/mosquitto/idguard/* && chmod 0640 /etc/mosquitto/idguard/* && "
         "cp /usr/share/idguard/broker/idguard.conf /etc/mosquitto/conf.d/ && systemctl restart mosquitto")
    g.ok("install -d -m 0750 -g idguard-relay /etc/idguard/relay && "
         "install -m 0644 /root/ca/ca.crt /etc/idguard/relay/ca.crt && "
         f"install -m 0644 /root/ca/{host}.crt /etc/idguard/relay/client.crt && "
         f"install -m 0640 -g idguard-relay /root/ca/{host}.key /etc/idguard/relay/client.key && "
         "printf '[Broker]\\nAddress=127.0.0.1\\nCA=/etc/idguard/relay/ca.crt\\n"
         "Certificate=/etc/idguard/relay/client.crt\\nKey=/etc/idguard/relay/client.key\\n' >/etc/idguard/relay.conf")
    check(g.sh("systemctl is-active idguard-relay").out.strip() != "active",
          "idguard-relay ran before /etc/idguard/relay.conf existed")
    g.ok("systemctl start idguard-relay")
    wait_for("the relay connected", lambda: g.status().get("relay", {}).get("connected"), 60)
    show = g.ok("systemctl show -p NRestarts -p User -p ActiveState idguard-relay")
    check("NRestarts=0" in show and "User=idguard-relay" in show and "ActiveState=active" in show, show)
    out = g.ok("systemd-analyze security --no-pager idguard-relay")
    m = re.search(r"Overall exposure level for idguard-relay.service: ([0-9.]+)", out)
    check(m, f"no exposure level in:\n{out[-500:]}")
    result["relay_exposure"] = float(m.group(1))
    print(f"    systemd-analyze security idguard-relay: {m.group(1)}")
    # An approver, registered on the workstation; the supervisor's relay.conf.
    g.ok("rm -rf /root/keys && idguardctl key generate --id wang --user wang --dir /root/keys >/dev/null && "
         "printf '[Approver wang]\\nUser=wang\\nPublicKey=%s\\nPurposes=*\\n' \"$(cat /root/keys/wang.k4.public)\" "
         ">/etc/idguard/approvers.d/wang.conf && systemctl reload idguard && "
         "printf '[Broker]\\nAddress=127.0.0.1\\nCA=/root/ca/ca.crt\\nCertificate=/root/ca/approver-wang.crt\\n"
         "Key=/root/ca/approver-wang.key\\nName=approver-wang\\n' >/root/sup.conf")
    # Earlier tests' administrator grants would let the camera open anyway.
    for grant in json.loads(g.ok("idguardctl grant list --json"))["grants"]:
        g.ok(f"idguardctl grant remove {grant['id']}")
    check(EPERM in g.clerk_open("/dev/video0"), "the camera is open before the request")
    try:
        relay_round_trip(g, host, result)
    finally:
        # The checks after this one need the camera refused, and no relay.
        for grant in json.loads(g.ok("idguardctl token list --json"))["grants"]:
            g.ok(f"idguardctl token revoke {grant['token_id']}")
        g.ok("systemctl stop idguard-relay mosquitto && rm -rf /etc/idguard/relay.conf /etc/idguard/relay "
             "/etc/idguard/approvers.d/wang.conf && systemctl reload idguard")
    check(EPERM in g.clerk_open("/dev/video0"), "the camera is still open after the relay test revoked its token")


def relay_round_trip(g, host, result):
    r = g.as_clerk("idguardctl token request --purpose account-opening --ref CASE-2026-0042 --class camera "
                   "--minutes 5")
    check(r.status == 0 and "Sent to the approval queue on 127.0.0.1:8883" in r.out, f"token request: {r.out}{r.err}")
    inbox = wait_for("the request in the inbox", lambda: json.loads(
        g.ok("idguardctl token inbox --relay /root/sup.conf --json"))["requests"], 60)
    check(inbox[0]["user"] == "clerk" and inbox[0]["workstation"] == host, f"inbox: {inbox}")
    start = time.monotonic()
    g.ok(f"idguardctl token approve {inbox[0]['short_id']} --relay /root/sup.conf --key /root/keys/wang.k4.secret --yes")
    wait_for("the grant made for the clerk", lambda: g.clerk_open("/dev/video0") == "opened", 60)
    result["relay_round_trip_s"] = time.monotonic() - start
    print(f"    approval sent to the camera open for the clerk: {result['relay_round_trip_s']:.2f} s (guest under TCG)")
    recs = wait_for("the redeemed record", lambda: g.records("redeemed", "IDGUARD_VIA=relay"), 30)
    check(recs[-1].get("IDGUARD_USER") == "clerk" and recs[-1].get("IDGUARD_APPROVER") == "wang", recs[-1])


def t_hotplug_card_reader_audited(g):
    dev = plug(g, "device_add usb-ccid,id=ccid,bus=xhci.0", "08e6:4433", "card-reader")
    node = usb_node(dev)
    check(g.clerk_open(node) == "opened", f"audit mode refused the clerk: {g.clerk_open(node)}")
    wait_for("an audited record", lambda: g.records("audited", f"IDGUARD_NODE={node}"), 30)
    unplug(g, "ccid", "08e6:4433")


def t_hotplug_mtp_refused(g, workdir):
    mtp = os.path.join(workdir, "mtp")
    os.makedirs(mtp, exist_ok=True)
    with open(os.path.join(mtp, "photo.jpg"), "w") as f:
        f.write("not a photo\n")
    dev = plug(g, f"device_add usb-mtp,id=mtp,bus=xhci.0,rootdir={mtp},readonly=on", "46f4:0004", "scanner")
    node = usb_node(dev)
    check(EPERM in g.clerk_open(node), f"the still-image device was not refused: {g.clerk_open(node)}")
    wait_for("a refusal record", lambda: g.records("denied", f"IDGUARD_NODE={node}"), 30)
    unplug(g, "mtp", "46f4:0004")


def t_hotplug_storage_and_keyboard_untouched(g, workdir):
    stick = os.path.join(workdir, "stick.img")
    subprocess.run(["qemu-img", "create", "-q", "-f", "raw", stick, "16M"], check=True)
    g.vm.hmp(f"drive_add 0 if=none,id=stick,file={stick},format=raw")
    dev = plug(g, "device_add usb-storage,id=stor,drive=stick,bus=xhci.0", "46f4:0001", "storage")
    before = len(g.records("denied")) + len(g.records("audited"))
    check(g.clerk_open(usb_node(dev)) == "opened", "the storage device's node was refused")
    kbd = plug(g, "device_add usb-kbd,id=kbd,bus=xhci.0", "0627:0001", "other")
    check(g.clerk_open(usb_node(kbd)) == "opened", "the keyboard's node was refused")
    check(len(g.records("denied")) + len(g.records("audited")) == before, "storage or keyboard opens were recorded")
    unplug(g, "stor", "46f4:0001")
    unplug(g, "kbd", "0627:0001")


def t_hotplug_unknown_vendor_device_refused_with_its_tty(g, workdir):
    # QEMU attaches a usb-serial only once its character device is open: a
    # file is, "null" is not.
    g.vm.hmp(f"chardev-add file,id=ser0,path={os.path.join(workdir, 'ttyUSB0.out')}")
    dev = plug(g, "device_add usb-serial,id=ser,chardev=ser0,bus=xhci.0", "0403:6001", "unclassified")
    check(EPERM in g.clerk_open(usb_node(dev)), "the vendor-class device was not refused")
    wait_for("/dev/ttyUSB0", lambda: g.sh("test -c /dev/ttyUSB0").status == 0, 30)
    nodes = [n.get("node") for n in wait_for("the tty among the device's nodes",
             lambda: [n for n in (usb_device(g, "0403:6001") or {}).get("nodes", [])
                      if n.get("node") == "/dev/ttyUSB0"], 30)]
    check("/dev/ttyUSB0" in nodes, f"nodes: {nodes}")
    check(EPERM in g.clerk_open("/dev/ttyUSB0"), f"its tty was not refused: {g.clerk_open('/dev/ttyUSB0')}")
    unplug(g, "ser", "0403:6001")


# ---- the service's life: reload, kill, stop, restart, tamper, upgrade -------------------


BAD_POLICY = "[Class camera]\nMode=sometimes\n"


def t_reload(g):
    g.ok("printf '[Class card-reader]\\nMode=enforce\\n' >/etc/idguard/policy.d/50-test.conf")
    r = g.sh("systemctl reload idguard")
    check(r.status == 0, f"a valid reload failed: {r.err}")
    check("card-reader=enforce" in g.ok("idguardctl status"), "the reloaded policy is not in force")
    g.ok(f"printf {shlex.quote(BAD_POLICY)} >/etc/idguard/policy.d/60-bad.conf")
    try:
        r = g.sh("systemctl reload idguard")
        check(r.status != 0, "systemctl reload reported success for a refused policy")
        recs = wait_for("a policy-rejected record", lambda: g.records("policy_rejected"), 30)
        check("/etc/idguard/policy.d/60-bad.conf:2" in recs[-1].get("IDGUARD_POLICY_ERROR", ""),
              f"no FILE:LINE in {recs[-1].get('IDGUARD_POLICY_ERROR')}")
        check("card-reader=enforce" in g.ok("idguardctl status"), "the policy in force changed")
        check(EPERM in g.clerk_open("/dev/video0"), "the camera was not refused after the refused reload")
    finally:
        # An invalid policy left behind would keep every later start from
        # happening: the checks after this one would fail for it.
        g.ok("rm -f /etc/idguard/policy.d/50-test.conf /etc/idguard/policy.d/60-bad.conf && systemctl reload idguard")


def start_prober(g, name, node):
    out = f"/var/tmp/{name}.out"
    g.ok(f"rm -rf {out} && mkdir -p {out} && chown clerk {out} && "
         f"cp --remove-destination /bin/bash /var/tmp/idg-prober && "
         f"cp --remove-destination /mnt/payload/prober.sh /var/tmp/prober.sh")
    g.ok(f"systemd-run --unit={name} --uid=clerk -p SupplementaryGroups=video "
         f"/var/tmp/idg-prober /var/tmp/prober.sh {node} {out}")
    wait_for("the prober running", lambda: g.sh(f"test -s {out}/progress").status == 0, 60)
    return out


def stop_prober(g, name, out):
    g.ok(f"systemctl stop {name}")
    res = g.ok(f"cat {out}/result").split()
    return int(res[0]), int(res[1])


def prober_progress(g, out):
    return int(g.ok(f"cat {out}/progress").split()[0])


def t_no_gap(g, result):
    """The clerk tries to open the camera without pause while the service is
    killed, stopped, started, restarted, reloaded, tampered with and
    upgraded. Not one open may succeed; every attempt is in the journal."""
    out = start_prober(g, "idg-prober", "/dev/video0")
    steps = []

    def step(name, action):
        seen = prober_progress(g, out)
        action()
        # The prober must have gone on trying through the step.
        wait_for(f"the prober going on after '{name}'", lambda: prober_progress(g, out) > seen, 60)
        steps.append(name)

    def kill9():
        pid = g.main_pid()
        g.ok(f"kill -9 {pid}")
        g.wait_active(other_than=pid)

    def stop_then_start():
        g.ok("systemctl stop idguard")
        check(EPERM in g.clerk_open("/dev/video0"), "open allowed while the daemon was stopped")
        seen = prober_progress(g, out)
        wait_for("the prober trying while the daemon is stopped", lambda: prober_progress(g, out) > seen, 60)
        g.ok("systemctl start idguard")
        g.wait_active()

    def restart():
        pid = g.main_pid()
        g.ok("systemctl restart idguard")
        g.wait_active(other_than=pid)

    def reload_valid():
        g.ok("systemctl reload idguard")

    def reload_invalid():
        g.ok(f"printf {shlex.quote(BAD_POLICY)} >/etc/idguard/policy.d/60-bad.conf")
        check(g.sh("systemctl reload idguard").status != 0, "a refused reload reported success")
        g.ok("rm /etc/idguard/policy.d/60-bad.conf")

    def detach_link():
        pid = g.main_pid()
        g.ok("bpftool link detach pinned /sys/fs/bpf/idguard/link_dev")
        # The daemon notices, records tamper, exits; systemd starts it again.
        g.wait_active(other_than=pid, timeout=180)
        check(g.records("tamper"), "no tamper record")

    upgrade_debs = " ".join(f"/mnt/payload/{os.path.basename(d)}" for d in g.upgrade_debs)

    def upgrade():
        pid = g.main_pid()
        r = g.sh(f"DEBIAN_FRONTEND=noninteractive apt-get install -y {upgrade_debs} 2>&1", 900)
        check(r.status == 0, f"the upgrade failed:\n{r.out[-2000:]}")
        check("+systest1" in g.ok("dpkg-query -W -f '${Version}' idguard"), "the new version is not installed")
        g.wait_active(other_than=pid)

    def upgrade_with_invalid_policy():
        pid = g.main_pid()
        g.ok(f"printf {shlex.quote(BAD_POLICY)} >/etc/idguard/policy.d/60-bad.conf")
        debs = upgrade_debs
        r = g.sh(f"DEBIAN_FRONTEND=noninteractive apt-get install -y --reinstall {debs} 2>&1", 900)
        check(r.status != 0, "the upgrade went through with an invalid policy")
        check("60-bad.conf:2" in r.out and "was not (re)started" in r.out,
              f"the postinst did not say why:\n{r.out[-2000:]}")
        check(g.main_pid() == pid, "the daemon was restarted into an invalid policy")
        check(EPERM in g.clerk_open("/dev/video0"), "the camera was open with the upgrade half done")
        g.ok("rm /etc/idguard/policy.d/60-bad.conf")
        r = g.sh("dpkg --configure -a 2>&1", 600)
        check(r.status == 0, f"dpkg --configure -a failed after the fix:\n{r.out[-2000:]}")
        g.wait_active(other_than=pid)

    try:
        step("kill -9", kill9)
        step("stop, then start", stop_then_start)
        step("restart", restart)
        step("reload (valid policy)", reload_valid)
        step("reload (invalid policy)", reload_invalid)
        step("detach the device link", detach_link)
        step("upgrade to a new version", upgrade)
        step("upgrade with an invalid policy", upgrade_with_invalid_policy)
    finally:
        attempts, opened = stop_prober(g, "idg-prober", out)
    result["prober"] = (attempts, opened)
    print(f"    {attempts} attempts by the clerk through: {', '.join(steps)}; {opened} opened")
    if opened:
        raise Failure(f"the clerk opened the camera {opened} times, at: {g.sh(f'cat {out}/opened').out}")

    # Every attempt is accounted for: the counts of the prober's records add
    # up to its attempts, those made while no daemon ran included.
    def total():
        recs = g.records("denied", "IDGUARD_COMM=idg-prober")
        return sum(int(r.get("IDGUARD_COUNT", "0")) for r in recs)
    try:
        wait_for("the journal accounting for every attempt", lambda: total() == attempts, 30)
    except Failure:
        raise Failure(f"the journal holds {total()} refused attempts by the prober; it made {attempts}")


def t_reboot(g):
    """After a reboot the gate is in place before any user's program runs."""
    g.ok("echo vivid >/etc/modules-load.d/vivid.conf && "
         "echo 'options vivid n_devs=1 node_types=0x1' >/etc/modprobe.d/vivid.conf")
    g.ok("cp --remove-destination /bin/bash /var/tmp/idg-prober && "
         "cp --remove-destination /mnt/payload/prober.sh /var/tmp/prober.sh && "
         "rm -rf /var/tmp/boot-prober.out && mkdir /var/tmp/boot-prober.out && chown clerk /var/tmp/boot-prober.out")
    unit = ("[Unit]\nDescription=system test: the clerk trying the camera from boot on\n"
            "[Service]\nUser=clerk\nSupplementaryGroups=video\n"
            "ExecStart=/var/tmp/idg-prober /var/tmp/prober.sh /dev/video0 /var/tmp/boot-prober.out\n"
            "[Install]\nWantedBy=multi-user.target\n")
    g.ok(f"printf %s {shlex.quote(unit)} >/etc/systemd/system/idg-boot-prober.service && "
         "systemctl daemon-reload && systemctl enable idg-boot-prober")
    g.vm.reboot()
    g.wait_active()
    wait_for("the boot prober trying", lambda: g.sh("test -s /var/tmp/boot-prober.out/progress").status == 0, 60)
    g.ok("systemctl stop idg-boot-prober && systemctl disable idg-boot-prober")
    attempts, opened = (int(x) for x in g.ok("cat /var/tmp/boot-prober.out/result").split())
    print(f"    after the reboot: {attempts} attempts from the first moment a user's program could run; {opened} opened")
    check(attempts > 0 and opened == 0, f"{opened} of {attempts} opens succeeded after the reboot")

    def entered(unit):
        return int(g.ok(f"systemctl show -p ActiveEnterTimestampMonotonic --value {unit}").strip() or 0)
    t_idguard, t_sessions = entered("idguard"), entered("systemd-user-sessions")
    check(0 < t_idguard < t_sessions, f"idguard ready at {t_idguard} µs, user sessions allowed at {t_sessions} µs")
    first = g.records("started")[0]
    check(g.records("denied", "IDGUARD_COMM=idg-prober"), "no refusal records of the boot prober")
    check("started on Linux" in first["MESSAGE"], first["MESSAGE"])


def t_clone_recipe(g, image_dir, workdir, payload, debs):
    """docs/administrators.md's recipe for cloned workstations gives every
    clone its own machine id (and so its own tokens), on Debian."""
    original = g.ok("cat /etc/machine-id").strip()
    g.ok("sh /mnt/payload/clone-prepare.sh")
    g.vm.stop()
    ids = []
    for name in ("clone-a", "clone-b"):
        clone = VM(image_dir, g.kernel, os.path.join(workdir, name), payload, backing=g.vm.disk)
        try:
            clone.start()
            c = Guest(clone, g.kernel, debs)
            c.wait_active()
            mid = c.ok("cat /etc/machine-id").strip()
            dbus = c.ok("cat /var/lib/dbus/machine-id").strip()
            check(re.fullmatch(r"[0-9a-f]{32}", mid), f"{name}: machine id {mid!r}")
            check(dbus == mid, f"{name}: D-Bus's id {dbus} is not the machine id {mid}")
            check(EPERM in c.clerk_open("/dev/video0"), f"{name}: the camera is not refused")
            ids.append(mid)
            if name == "clone-a":
                purge(c)
        finally:
            clone.stop()
    print(f"    image {original}, clones {ids[0]} and {ids[1]}")
    check(len({original, *ids}) == 3, f"the clones do not each have their own machine id: {original} {ids}")


def purge(c):
    """Purging removes the gate and the state, after writing what waited."""
    r = c.sh("DEBIAN_FRONTEND=noninteractive apt-get purge -y idguard idguard-tools 2>&1", 600)
    check(r.status == 0, f"purge failed:\n{r.out[-2000:]}")
    check(c.sh("test -e /sys/fs/bpf/idguard").status != 0, "the pins are still there after purge")
    check(c.sh("test -e /var/lib/idguard").status != 0, "/var/lib/idguard is still there after purge")
    check(c.sh("test -e /etc/idguard").status != 0, "/etc/idguard is still there after purge")
    check(c.clerk_open("/dev/video0") == "opened", "the camera is still refused after the package was purged")


# ---- smoke checks on other kernels ------------------------------------------------------


def t_verifier_refusal_is_reported_as_one(g):
    """A kernel whose verifier refuses the device program: the error names
    the program, the kernel and the verifier's words, not permissions.
    (On 5.10, cgroup/dev programs may not call bpf_get_current_pid_tgid;
    --bpf-helpers=all makes them try.)"""
    r = g.sh("mkdir -p /sys/fs/cgroup/idg-verifier /tmp/idg-v && "
             "idguardd --foreground --bpf-helpers=all --cgroup /sys/fs/cgroup/idg-verifier "
             "--bpffs-dir /sys/fs/bpf/idg-verifier --state-dir /tmp/idg-v --socket /tmp/idg-v/sock 2>&1; "
             "echo status=$?; rmdir /sys/fs/cgroup/idg-verifier; rm -rf /sys/fs/bpf/idg-verifier", 300)
    check("status=1" in r.out, f"idguardd did not fail:\n{r.out[-2000:]}")
    check(re.search(rf"the kernel's verifier \(Linux {re.escape(g.kernel)}\) refused the device program "
                    r"'idguard_dev'", r.out), f"not reported as a verifier refusal:\n{r.out[-2000:]}")
    check("unknown func bpf_get_current_pid_tgid" in r.out or "unknown func" in r.out,
          f"the verifier's own words are missing:\n{r.out[-2000:]}")
    check("CAP_BPF" not in r.out, f"reported as a permission problem:\n{r.out[-2000:]}")
    said = [line for line in r.out.splitlines() if "verifier" in line or line.startswith("  ")]
    print("    idguardd said: " + "\n    ".join(said[:6]))


# ---- the runs --------------------------------------------------------------------------


PROGRAMS_ALL = ["device", "device-standby", "connect4", "connect6", "connect-unix", "flush"]


def run_kernel(suite, args, kernel, full, results):
    workdir = tempfile.mkdtemp(prefix=f"vm-{kernel}-", dir=args.workdir)
    payload = os.path.join(workdir, "payload")
    os.makedirs(payload)
    for f in args.debs + [os.path.join(HERE, "guest", "prober.sh"), os.path.join(HERE, "guest", "clone-prepare.sh")]:
        shutil.copy(f, payload)
    upgrade_debs = make_upgrade_debs(args.debs, payload) if full else []
    label = f"[{kernel}]"
    vm = VM(args.image, kernel, os.path.join(workdir, "ws"), payload)
    result = results.setdefault(kernel, {})
    boot_start = time.monotonic()
    if not suite.run(f"{label} boots with systemd as PID 1", vm.start):
        vm.kill()
        return
    result["boot_s"] = time.monotonic() - boot_start
    g = Guest(vm, kernel, args.debs, upgrade_debs)
    try:
        g.ok("useradd -m -u 1001 -G video,dialout clerk")
        unix_hook = tuple(int(x) for x in re.findall(r"\d+", kernel)[:2]) >= (6, 7)
        missing = [] if unix_hook else ["connect-unix"]
        loaded = [p for p in PROGRAMS_ALL if p not in missing]
        if not suite.run(f"{label} the .deb installs, the unit starts and reports ready", t_install, g):
            suite.skip_rest([f"{label} the rest"], "the package did not install")
            return
        suite.run(f"{label} the start record and status say which programs this kernel took", t_start_record, g,
                  loaded, missing)
        suite.run(f"{label} a real camera (vivid) is classified and refused for the clerk, and recorded",
                  t_camera_refused, g)
        suite.run(f"{label} the refused clerk is told why and what to do (idguardctl why)", t_clerk_told_why, g)
        if full:
            suite.run(f"{label} idguard-notify runs in the user manager under its sandbox and takes the refusal",
                      t_notify_agent_in_the_user_manager, g)
        suite.run(f"{label} under a grant the clerk captures a frame, recorded as granted", t_camera_granted, g)
        if full:
            suite.run(f"{label} an auditor reads the workstation's journal (idguardctl audit); the clerk may not",
                      t_auditor_reads_the_workstations_journal, g)
        if full:
            suite.run(f"{label} a program holding the camera is ended when the grant ends", t_holder_ended_when_the_grant_ends, g)
            suite.run(f"{label} systemd-analyze security", t_sandbox_score, g, result)
            suite.run(f"{label} the approval round trip through the site's broker, idguard-relay under its sandbox",
                      t_relay_round_trip, g, result)
            suite.run(f"{label} hot-plug: a CCID card reader is audited", t_hotplug_card_reader_audited, g)
        suite.run(f"{label} hot-plug: an MTP (still image) device is refused", t_hotplug_mtp_refused, g, workdir)
        if not full:
            if kernel.startswith("5.10"):
                suite.run(f"{label} a verifier refusal is reported as one", t_verifier_refusal_is_reported_as_one, g)
            return
        suite.run(f"{label} hot-plug: USB storage and a keyboard are untouched",
                  t_hotplug_storage_and_keyboard_untouched, g, workdir)
        suite.run(f"{label} hot-plug: an unknown vendor-class device is refused, and its tty",
                  t_hotplug_unknown_vendor_device_refused_with_its_tty, g, workdir)
        suite.run(f"{label} systemctl reload applies a valid policy and fails on an invalid one", t_reload, g)
        suite.run(f"{label} kill -9, stop, start, restart, reload, a detached link and an upgrade leave no moment "
                  "open, and the journal counts every attempt", t_no_gap, g, result)
        suite.run(f"{label} after a reboot the gate is up before any user's program", t_reboot, g)
        suite.run(f"{label} the cloned-image recipe gives each clone its own machine id; purge removes gate "
                  "and state", t_clone_recipe, g, args.image, workdir, payload, args.debs)
    finally:
        try:
            if vm.proc and vm.proc.poll() is None:
                log = vm.run("journalctl --no-pager -b -u idguard -n 200 2>&1", timeout=60).out
                with open(os.path.join(workdir, "idguard.log"), "w") as f:
                    f.write(log)
        except VMError:
            pass
        vm.stop()
        if suite.failed == 0 and not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"    (the guest's files are in {workdir})")


def make_upgrade_debs(debs, payload):
    """The same packages at a higher version (VERSION+systest1), for a real
    upgrade: dpkg runs the old prerm and the new postinst as for a new
    release."""
    out = []
    for deb in debs:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["dpkg-deb", "-R", deb, tmp], check=True)
            control = os.path.join(tmp, "DEBIAN", "control")
            text = open(control).read()
            version = re.search(r"^Version: (.*)$", text, re.M).group(1)
            text = re.sub(r"^Version: .*$", f"Version: {version}+systest1", text, flags=re.M)
            text = text.replace(f"(= {version})", f"(= {version}+systest1)")
            open(control, "w").write(text)
            name = os.path.basename(deb).replace(f"_{version}_", f"_{version}+systest1_")
            subprocess.run(["dpkg-deb", "-Zxz", "-b", tmp, os.path.join(payload, name)], check=True,
                           stdout=subprocess.DEVNULL)
            out.append(os.path.join(payload, name))
    return out


def t_lintian(debs):
    r = subprocess.run(["lintian", "--fail-on", "error,warning", "--pedantic", *debs], capture_output=True, text=True)
    lines = [l for l in (r.stdout + r.stderr).splitlines() if re.match(r"^[EWIXP]: ", l)]
    check(r.returncode == 0 and not [l for l in lines if l[0] in "EW"], "lintian:\n" + "\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--image", required=True, help="directory from tests/system/image.sh")
    parser.add_argument("--workdir", default="/var/tmp", help="where each guest's overlay and logs go")
    parser.add_argument("--kernel", action="append", default=[],
                        help="RELEASE or RELEASE:full (repeatable; default: 6.1 full, 5.10 and 6.12 smoke)")
    parser.add_argument("--keep", action="store_true", help="keep the guests' files")
    parser.add_argument("debs", nargs="+")
    args = parser.parse_args()
    args.debs = [os.path.abspath(d) for d in args.debs]
    kernels = open(os.path.join(args.image, "kernels")).read().split()
    plan = []
    for spec in args.kernel or ["6.1:full", "5.10", "6.12"]:
        prefix, _, mode = spec.partition(":")
        match = [k for k in kernels if k.startswith(prefix + ".") or k == prefix]
        if not match:
            print(f"FAIL - no kernel {prefix} in {args.image} ({' '.join(kernels)})")
            print("0 passed, 1 failed")
            return 1
        plan.append((match[0], mode == "full"))

    suite = Suite()
    results = {}
    start = time.monotonic()
    suite.run("lintian finds no error and no warning in the packages", t_lintian, args.debs)
    for kernel, full in plan:
        run_kernel(suite, args, kernel, full, results)
    print(f"    system test took {time.monotonic() - start:.0f}s")
    if suite.failed_names:
        print("failed: " + "; ".join(suite.failed_names))
    print(f"{suite.passed} passed, {suite.failed} failed")
    return 0 if suite.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
