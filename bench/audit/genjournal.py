#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""One workstation's year of journal, in journald's export format, for
make bench-audit (bench/audit/run.sh pipes it into systemd-journal-remote,
which files it as the collector would: remote-ADDRESS.journal).

What a counter workstation writes in a year, from what idguardd writes
(docs/journal.md) and what else a desktop sends along with it:
  - one boot per opening day (Monday to Saturday, about 08:20 to 18:10):
    kernel, systemd and desktop records, and idguardd's agent started,
    policy loaded and the devices present; agent stopped at shutdown;
  - each clerk's customers: a purpose token asked for through the relay
    (queued, sent), approved and redeemed (token redeemed, grant added,
    request ended, withdrawn), used (access granted, some repeats), and
    expired; a few declined or left to expire;
  - refusals: an unneeded camera or scanner program (denied, and a repeat
    record folding the further attempts), a print job without a grant;
  - now and then a rejected token, an administrator's grant and its use,
    a handle ended, a tamper record.
Deterministic: the same workstation number gives the same journal.

  genjournal.py --workstation N [--days D] [--start YYYY-MM-DD] [--noise K]
"""
import argparse
import datetime
import hashlib
import random
import sys

MSG = {
    "denied": "4388eff3830246b8a36ebe694f645030",
    "audited": "79c9602e7c0149ce93c13e57dc3441a4",
    "granted": "692a64ee623e423a889a20bd512f4228",
    "token_redeemed": "60fe6864156b4b3d9c5e283412ab4291",
    "token_rejected": "3c277bfaf5874c46b82fc59a6661218e",
    "grant_expired": "f234d5a927d14f4880f834d2d1cf5459",
    "handle_ended": "9d1b644607994bbc93c38b2518339e29",
    "agent_started": "41bfc5007ccc48cf8eb0ea6d6f4b932f",
    "agent_stopped": "8aebb73e4c4a43e8b2f1232c254ff24d",
    "policy_loaded": "ee1405e71e7045818a345b660630a407",
    "tamper": "9248df4902834102b2dedf4a8ee85ec9",
    "grant_added": "03ea3c7821fe46ccbc3481e0af3a7056",
    "grant_removed": "6ff8a0ea10164df3ac950645b286e001",
    "device_added": "042580e662a649309eff2805ffc3d619",
    "request_queued": "dd4721d2b5ce4d089c8bb7fc8f0077f0",
    "request_sent": "277090e489a042a499c8eaef6bbd7496",
    "request_ended": "6480ca48164241e282492125b7ca41b8",
    "request_withdrawn": "50e5e53e92ee41b7a5582df81980406a",
    "relay_state": "b11feea1451742669cd5948f443ae147",
}

PURPOSES = ["account-opening", "telecom-real-name", "hotel-registration", "account-change"]
APPROVERS = ["sup-wang", "sup-li", "sup-chen", "sup-zhao"]
REFUSED_PROGRAMS = [("cheese", "/usr/bin/cheese", "camera", "/dev/video0", "HD Webcam C920 (046d:082d)"),
                    ("simple-scan", "/usr/bin/simple-scan", "scanner", "/dev/bus/usb/001/004",
                     "Canon CanoScan LiDE 400 (04a9:1912)"),
                    ("chromium", "/usr/lib/chromium/chromium", "camera", "/dev/video0",
                     "HD Webcam C920 (046d:082d)"),
                    ("xsane", "/usr/bin/xsane", "scanner", "/dev/bus/usb/001/004",
                     "Canon CanoScan LiDE 400 (04a9:1912)"),
                    ("obs", "/usr/bin/obs", "camera", "/dev/video2", "Document Camera (2b16:6689)"),
                    ("pcscd", "/usr/sbin/pcscd", "card-reader", "/dev/bus/usb/001/005",
                     "Identiv uTrust 3700 F (04e6:5790)")]
DEVICES = [("scanner", "char 189:3", "/dev/bus/usb/001/004", "Canon CanoScan LiDE 400 (04a9:1912)", "04a9:1912"),
           ("camera", "char 81:0", "/dev/video0", "HD Webcam C920 (046d:082d)", "046d:082d"),
           ("camera", "char 81:2", "/dev/video2", "Document Camera (2b16:6689)", "2b16:6689"),
           ("card-reader", "char 189:4", "/dev/bus/usb/001/005", "Identiv uTrust 3700 F (04e6:5790)", "04e6:5790")]
NOISE = [("kernel", None, "kernel", 6, "usb 1-{n}: new high-speed USB device number {n} using xhci_hcd"),
         ("systemd", "/lib/systemd/systemd", "systemd", 6, "Started session-{n}.scope - Session {n} of User clerk."),
         ("NetworkManager", "/usr/sbin/NetworkManager", "NetworkManager.service", 6,
          "<info>  [{t}] dhcp4 (enp0s31f6): state changed new lease"),
         ("cupsd", "/usr/sbin/cupsd", "cups.service", 6, "REQUEST localhost - - \"POST /printers/counter HTTP/1.1\" 200 {n}"),
         ("CRON", "/usr/sbin/cron", "cron.service", 6, "pam_unix(cron:session): session opened for user root(uid=0)"),
         ("gnome-shell", "/usr/bin/gnome-shell", "session-2.scope", 4, "JS ERROR: TypeError: this._item is null {n}"),
         ("sshd", "/usr/sbin/sshd", "ssh.service", 6, "Accepted publickey for admin from 10.17.255.2 port {n} ssh2")]


def hex_id(rng, bits=128):
    return "%0*x" % (bits // 4, rng.getrandbits(bits))


class Workstation:
    def __init__(self, number, noise):
        self.rng = random.Random(number)
        self.number = number
        self.branch = number // 10
        self.host = "ws-%03d-%02d" % (self.branch, number % 10 + 1)
        self.machine_id = hashlib.md5(self.host.encode()).hexdigest()
        self.clerks = ["clerk%03d%d" % (self.branch, i) for i in range(3)]
        self.uids = {c: 1001 + i for i, c in enumerate(self.clerks)}
        self.noise = noise
        self.out = sys.stdout.buffer
        self.boot_id = ""
        self.boot_usec = 0
        self.seq = 0

    def entry(self, usec, fields):
        lines = ["__REALTIME_TIMESTAMP=%d" % usec,
                 "__MONOTONIC_TIMESTAMP=%d" % (usec - self.boot_usec + 4000000),
                 "_BOOT_ID=" + self.boot_id, "_MACHINE_ID=" + self.machine_id, "_HOSTNAME=" + self.host]
        lines += ["%s=%s" % kv for kv in fields]
        self.out.write(("\n".join(lines) + "\n\n").encode())

    def idguard(self, usec, kind, priority, message, fields):
        base = [("_TRANSPORT", "journal"), ("_UID", "0"), ("_GID", "0"), ("_PID", str(self.daemon_pid)),
                ("_COMM", "idguardd"), ("_EXE", "/usr/sbin/idguardd"),
                ("_CMDLINE", "/usr/sbin/idguardd"), ("_SYSTEMD_UNIT", "idguard.service"),
                ("_SYSTEMD_CGROUP", "/system.slice/idguard.service"), ("SYSLOG_IDENTIFIER", "idguardd"),
                ("PRIORITY", str(priority)), ("MESSAGE_ID", MSG[kind]), ("MESSAGE", message)]
        self.entry(usec, base + fields)

    def process(self, comm, exe, uid, user, pid):
        return [("IDGUARD_PID", str(pid)), ("IDGUARD_TID", str(pid)), ("IDGUARD_COMM", comm),
                ("IDGUARD_EXE", exe), ("IDGUARD_CMDLINE", exe), ("IDGUARD_UNIT", "session-2.scope"),
                ("IDGUARD_UID", str(uid)), ("IDGUARD_USER", user), ("IDGUARD_LOGINUID", str(uid)),
                ("IDGUARD_LOGIN_USER", user), ("IDGUARD_SESSION", "2"), ("IDGUARD_CGROUP_ID", "4711")]

    def device(self, dev):
        cls, number, node, label, vidpid = dev
        return [("IDGUARD_GATE", "device"), ("IDGUARD_CLASS", cls), ("IDGUARD_DEVICE", number),
                ("IDGUARD_NODE", node), ("IDGUARD_DEVICE_LABEL", label), ("IDGUARD_VID_PID", vidpid),
                ("IDGUARD_BUS_PATH", "pci-0000:00:14.0-usb-0:%d" % (DEVICES.index(dev) + 1)),
                ("IDGUARD_ACCESS", "read,write")]

    def noise_records(self, start, end, count):
        for _ in range(count):
            comm, exe, unit, prio, text = self.rng.choice(NOISE)
            usec = self.rng.randint(start, end)
            fields = [("_TRANSPORT", "kernel" if comm == "kernel" else "journal"),
                      ("PRIORITY", str(prio)), ("SYSLOG_IDENTIFIER", comm),
                      ("MESSAGE", text.format(n=self.rng.randint(1, 60000), t=usec // 1000000))]
            if exe:
                uid = "1001" if comm == "gnome-shell" else "0"
                fields += [("_UID", uid), ("_GID", uid), ("_PID", str(self.rng.randint(300, 30000))),
                           ("_COMM", comm), ("_EXE", exe), ("_SYSTEMD_UNIT", unit)]
            yield usec, fields

    def day(self, date):
        rng = self.rng
        midnight = int(datetime.datetime(date.year, date.month, date.day,
                                         tzinfo=datetime.timezone(datetime.timedelta(hours=8))).timestamp() * 1e6)
        self.boot_usec = midnight + (8 * 3600 + 20 * 60 + rng.randint(0, 1200)) * 1000000
        close = midnight + (18 * 3600 + rng.randint(0, 1800)) * 1000000
        self.boot_id = hex_id(rng)
        self.daemon_pid = rng.randint(400, 900)
        records = list(self.noise_records(self.boot_usec, close, self.noise))
        t = self.boot_usec + 6000000
        started = []
        started.append((t, "agent_started", 5, "idguard started: 5 classes enforced, 4 devices watched",
                        [("IDGUARD_VERSION", "0.16.0"), ("IDGUARD_KERNEL", "6.1.0-28-amd64")]))
        started.append((t + 1000, "policy_loaded", 5, "Policy loaded from /etc/idguard/policy.d (7 files)",
                        [("IDGUARD_POLICY_FILES", "7")]))
        for i, dev in enumerate(DEVICES):
            started.append((t + 2000 + i, "device_added", 6, "%s %s: %s, present at start" % (dev[0], dev[2], dev[3]),
                            self.device(dev)))
        started.append((t + 9000, "relay_state", 6, "Connected to the approval queue on mqtt.branch-%03d" % self.branch,
                        [("IDGUARD_RELAY_STATE", "connected")]))
        records += [(u, ("idguard", k, p, m, f)) for u, k, p, m, f in started]
        customers = rng.randint(2, 10)
        for _ in range(customers):
            records += self.customer(rng.randint(self.boot_usec + 600000000, close - 1800000000))
        for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 5])):
            records += self.refusal(rng.randint(self.boot_usec, close))
        if rng.random() < 0.05:
            records += self.rejected_token(rng.randint(self.boot_usec, close))
        if rng.random() < 0.03:
            records += self.admin_grant(rng.randint(self.boot_usec, close - 3600000000))
        if rng.random() < 0.01:
            records.append((rng.randint(self.boot_usec, close),
                            ("idguard", "tamper", 2, "A pinned program of idguard was removed",
                             [("IDGUARD_TAMPER", "pin-removed")])))
        records.append((close, ("idguard", "agent_stopped", 5, "idguard stopped (signal 15)",
                                [("IDGUARD_SIGNAL", "15")])))
        records.sort(key=lambda r: r[0])
        for usec, rec in records:
            if rec[0] == "idguard":
                self.idguard(usec, rec[1], rec[2], rec[3], rec[4])
            else:
                self.entry(usec, rec)

    def customer(self, t):
        rng = self.rng
        clerk = rng.choice(self.clerks)
        uid = self.uids[clerk]
        purpose = rng.choice(PURPOSES)
        ref = "CASE-2026-%06d" % rng.randint(1, 999999) if rng.random() < 0.9 else "开户-2026-%04d" % rng.randint(1, 9999)
        cls = rng.choice(["scanner", "scanner", "camera", "card-reader"])
        dev = next(d for d in DEVICES if d[0] == cls)
        rid = hex_id(rng, 64)  # a request id: 8 random bytes; a token id: 16
        short = rid[:4].upper() + "-" + rid[4:8].upper()
        approver = rng.choice(APPROVERS)
        minutes = rng.choice([5, 10, 15])
        req = [("IDGUARD_REQUEST_ID", rid), ("IDGUARD_USER", clerk), ("IDGUARD_UID", str(uid)),
               ("IDGUARD_PURPOSE", purpose), ("IDGUARD_REF", ref), ("IDGUARD_CLASS", cls),
               ("IDGUARD_MINUTES", str(minutes))]
        out = [(t, ("idguard", "request_queued", 5, "Request %s from %s queued for approval: %s, case %s, %s for %d min"
                    % (short, clerk, purpose, ref, cls, minutes), req)),
               (t + rng.randint(8000, 40000), ("idguard", "request_sent", 6,
                                              "Request %s is on the approval queue" % short, req))]
        t += rng.randint(20, 240) * 1000000
        fate = rng.random()
        if fate < 0.06:
            out.append((t, ("idguard", "request_ended", 5, "Request %s declined by %s: not needed for this case"
                            % (short, approver), req + [("IDGUARD_OUTCOME", "declined"),
                                                        ("IDGUARD_APPROVER", approver)])))
            return out
        if fate < 0.09:
            return out  # left to expire; the expiry comes a day later, not generated
        jti = hex_id(rng)
        gid = str(rng.randint(1, 1 << 31))
        expires = t + minutes * 60 * 1000000
        tok = [("IDGUARD_TOKEN_ID", jti), ("IDGUARD_PURPOSE", purpose), ("IDGUARD_REF", ref),
               ("IDGUARD_APPROVER", approver), ("IDGUARD_CLASS", cls), ("IDGUARD_USER", clerk),
               ("IDGUARD_UID", str(uid)), ("IDGUARD_GRANT_ID", gid), ("IDGUARD_GRANT_SOURCE", "token"),
               ("IDGUARD_REQUEST_ID", rid)]
        out.append((t, ("idguard", "token_redeemed", 5, "Token %s (%s, case %s, approved by %s) redeemed by %s: %s for %d min"
                        % (jti[:8], purpose, ref, approver, clerk, cls, minutes), tok + [("IDGUARD_VIA", "relay")])))
        out.append((t + 300, ("idguard", "grant_added", 5, "Grant %s for %s: %s until %s" % (gid, clerk, cls, expires),
                              tok + [("IDGUARD_EXPIRES_USEC", str(expires))])))
        out.append((t + 600, ("idguard", "request_ended", 6, "Request %s granted" % short,
                              req + [("IDGUARD_OUTCOME", "granted"), ("IDGUARD_TOKEN_ID", jti)])))
        out.append((t + 90000, ("idguard", "request_withdrawn", 6, "Request %s withdrawn from the approval queue" % short,
                                req)))
        program = {"scanner": ("simple-scan", "/usr/bin/simple-scan"), "camera": ("cheese", "/usr/bin/cheese"),
                   "card-reader": ("pcscd", "/usr/sbin/pcscd")}[cls]
        u = t + rng.randint(5, 60) * 1000000
        for _ in range(rng.randint(1, 3)):
            pid = rng.randint(2000, 60000)
            count = rng.choice([1, 1, 1, 2, 4])
            fields = self.device(dev) + self.process(program[0], program[1], uid, clerk, pid) + tok[:4] + tok[7:9] + [
                ("IDGUARD_EVENT", "access"), ("IDGUARD_VERDICT", "granted"), ("IDGUARD_REASON", "uid-grant"),
                ("IDGUARD_COUNT", "1"), ("IDGUARD_FIRST_USEC", str(u)), ("IDGUARD_LAST_USEC", str(u))]
            out.append((u, ("idguard", "granted", 6, "%s (pid %d, %s) opened %s %s under %s's purpose token %s"
                            % (program[0], pid, clerk, cls, dev[2], approver, jti[:8]), fields)))
            if count > 1:
                rep = [f for f in fields if f[0] not in ("IDGUARD_EVENT", "IDGUARD_COUNT")] + [
                    ("IDGUARD_EVENT", "repeat"), ("IDGUARD_COUNT", str(count - 1))]
                out.append((u + 30000000, ("idguard", "granted", 6, "%s (pid %d) opened %s %d more times"
                                           % (program[0], pid, dev[2], count - 1), rep)))
            u += rng.randint(10, 120) * 1000000
        if u < expires:
            out.append((expires, ("idguard", "grant_expired", 5, "Grant %s of %s for %s expired" % (gid, clerk, cls), tok)))
        else:
            out.append((u, ("idguard", "grant_removed", 5, "Grant %s of %s for %s removed" % (gid, clerk, cls), tok)))
        return out

    def refusal(self, t):
        rng = self.rng
        clerk = rng.choice(self.clerks)
        uid = self.uids[clerk]
        comm, exe, cls, node, label = rng.choice(REFUSED_PROGRAMS)
        dev = next(d for d in DEVICES if d[2] == node)
        pid = rng.randint(2000, 60000)
        fields = self.device(dev) + self.process(comm, exe, uid, clerk, pid) + [
            ("IDGUARD_VERDICT", "denied"), ("IDGUARD_REASON", "no-grant"),
            ("IDGUARD_FIRST_USEC", str(t)), ("IDGUARD_LAST_USEC", str(t)),
            ("IDGUARD_POLICY_SOURCE", "/usr/share/idguard/policy.d/10-defaults.conf:47")]
        out = [(t, ("idguard", "denied", 4, "%s (pid %d, %s) was refused %s %s %s: no purpose token"
                    % (comm, pid, clerk, cls, node, label), fields + [("IDGUARD_EVENT", "access"),
                                                                      ("IDGUARD_COUNT", "1")]))]
        more = rng.choice([0, 0, 3, 12, 40, 250])
        if more:
            out.append((t + 10000000, ("idguard", "denied", 4, "%s (pid %d) was refused %s %d more times"
                                       % (comm, pid, node, more), fields + [("IDGUARD_EVENT", "repeat"),
                                                                            ("IDGUARD_COUNT", str(more))])))
        if rng.random() < 0.15:
            queue = "counter-%03d" % self.branch
            out.append((t + 5000, ("idguard", "denied", 4, "Print job %d on %s by %s refused: no purpose token"
                                   % (rng.randint(1, 9999), queue, clerk),
                                   [("IDGUARD_GATE", "print"), ("IDGUARD_CLASS", "printer"), ("IDGUARD_EVENT", "access"),
                                    ("IDGUARD_VERDICT", "denied"), ("IDGUARD_REASON", "no-grant"),
                                    ("IDGUARD_PRINT_QUEUE", queue), ("IDGUARD_PRINT_JOB", str(rng.randint(1, 9999))),
                                    ("IDGUARD_PRINT_TITLE", "scan.pdf"), ("IDGUARD_USER", clerk),
                                    ("IDGUARD_UID", str(uid)), ("IDGUARD_COUNT", "1")])))
        return out

    def rejected_token(self, t):
        rng = self.rng
        clerk = rng.choice(self.clerks)
        reason = rng.choice(["expired", "replayed", "bad-signature", "wrong-host"])
        return [(t, ("idguard", "token_rejected", 4, "A purpose token from %s was rejected: %s" % (clerk, reason),
                     [("IDGUARD_USER", clerk), ("IDGUARD_UID", str(self.uids[clerk])),
                      ("IDGUARD_REJECT_REASON", reason), ("IDGUARD_TOKEN_ID", hex_id(rng)),
                      ("IDGUARD_PURPOSE", rng.choice(PURPOSES))]))]

    def admin_grant(self, t):
        rng = self.rng
        clerk = rng.choice(self.clerks)
        uid = self.uids[clerk]
        gid = str(rng.randint(1, 1 << 31))
        dev = DEVICES[0]
        grant = [("IDGUARD_GRANT_ID", gid), ("IDGUARD_GRANT_SOURCE", "admin"), ("IDGUARD_CLASS", "scanner"),
                 ("IDGUARD_USER", clerk), ("IDGUARD_UID", str(uid))]
        pid = rng.randint(2000, 60000)
        use = self.device(dev) + self.process("scanimage", "/usr/bin/scanimage", uid, clerk, pid) + grant[:2] + [
            ("IDGUARD_EVENT", "access"), ("IDGUARD_VERDICT", "granted"), ("IDGUARD_REASON", "uid-grant"),
            ("IDGUARD_COUNT", "1")]
        return [(t, ("idguard", "grant_added", 5, "Grant %s for %s: scanner for 60 min (administrator)" % (gid, clerk),
                     grant)),
                (t + 120000000, ("idguard", "granted", 6, "scanimage (pid %d, %s) opened scanner %s under an "
                                 "administrator's grant" % (pid, clerk, dev[2]), use)),
                (t + 3600000000, ("idguard", "grant_expired", 5, "Grant %s of %s for scanner expired" % (gid, clerk),
                                  grant))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workstation", type=int, required=True)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--start", default="2026-01-01")
    ap.add_argument("--noise", type=int, default=40, help="other programs' records per day (default 40)")
    a = ap.parse_args()
    ws = Workstation(a.workstation, a.noise)
    first = datetime.date.fromisoformat(a.start)
    for d in range(a.days):
        date = first + datetime.timedelta(days=d)
        if date.weekday() < 6:
            ws.day(date)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
