#!/usr/bin/python3
"""Drives idguardd's control socket the way a hostile or clumsy client would,
to check the connection state machine, not only the request parser.

  control_stress.py flood SOCK CONNECTIONS SECONDS
      CONNECTIONS clients pipeline requests and never read a reply. Prints
      one JSON line: bytes each connection got accepted and how many the
      daemon closed.
  control_stress.py pipeline SOCK CONNECTIONS REQUESTS SEED
      Each connection sends REQUESTS requests (valid ones, unknown commands
      and garbage, each answerable in a way that names it) in writes split
      at random places, with random pauses, and reads the replies in random
      pieces. Checks that every line gets exactly one reply, in order, and
      the connection is then still usable. Exit 1 with the first difference.
  control_stress.py slow-reader SOCK WAIT_SECONDS
      Sends until the daemon stops reading (backpressure), then takes nothing
      for WAIT_SECONDS. Prints JSON: bytes accepted before sending blocked,
      and whether the daemon closed the connection.
"""
import json
import os
import random
import selectors
import socket
import sys
import time

REQUEST = b'{"command":"status"}\n'


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.setblocking(False)
    return s


def flood(path, connections, seconds):
    socks = [connect(path) for _ in range(connections)]
    accepted = [0] * connections
    closed = [False] * connections
    burst = REQUEST * 64
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        progress = False
        for i, s in enumerate(socks):
            if closed[i]:
                continue
            try:
                n = s.send(burst)
                accepted[i] += n
                progress = progress or n > 0
            except BlockingIOError:
                pass
            except (BrokenPipeError, ConnectionResetError):
                closed[i] = True
        if not progress:
            time.sleep(0.01)
    for s in socks:
        s.close()
    print(json.dumps({"accepted": accepted, "closed": sum(closed)}))


def expected_reply(kind, marker):
    if kind == "unknown":
        return "unknown command '%s'" % marker
    if kind == "garbage":
        return "request is not JSON"
    return '"ok":true'


def make_request(rng, n):
    kind = rng.choice(["unknown", "unknown", "garbage", "ping"])
    marker = "m%d-%d" % (n, rng.randrange(1 << 30))
    if kind == "unknown":
        line = json.dumps({"command": marker})
    elif kind == "garbage":
        line = "not json " + marker
    else:
        line = '{"command":"ping"}'
    return kind, marker, (line + "\n").encode()


class Conn:
    def __init__(self, path, rng, requests):
        self.sock = connect(path)
        self.rng = rng
        self.plan = [make_request(rng, n) for n in range(requests)]
        self.out = b"".join(p[2] for p in self.plan)
        self.sent = 0
        self.inbuf = b""
        self.replies = []
        self.pause_until = 0.0

    def step(self):
        now = time.monotonic()
        if now < self.pause_until:
            return
        r = self.rng.random()
        if r < 0.05:
            self.pause_until = now + self.rng.random() * 0.05
            return
        if self.sent < len(self.out) and r < 0.6:
            piece = self.rng.choice([1, 2, 7, 64, 1000, 20000])
            try:
                self.sent += self.sock.send(self.out[self.sent:self.sent + piece])
            except BlockingIOError:
                pass
        else:
            try:
                data = self.sock.recv(self.rng.choice([1, 3, 100, 65536]))
            except BlockingIOError:
                return
            if not data:
                raise SystemExit("FAIL: the daemon closed a connection after %d of %d replies"
                                 % (len(self.replies), len(self.plan)))
            self.inbuf += data
            while b"\n" in self.inbuf:
                line, self.inbuf = self.inbuf.split(b"\n", 1)
                self.replies.append(line.decode())

    def done(self):
        return len(self.replies) >= len(self.plan)

    def check(self):
        for i, (kind, marker, _) in enumerate(self.plan):
            want = expected_reply(kind, marker)
            if i >= len(self.replies) or want not in self.replies[i]:
                got = self.replies[i] if i < len(self.replies) else "(nothing)"
                raise SystemExit("FAIL: reply %d should contain %r, got %r" % (i, want, got))
        if len(self.replies) != len(self.plan) or self.inbuf:
            raise SystemExit("FAIL: %d replies for %d requests" % (len(self.replies), len(self.plan)))
        # Still usable after all that.
        self.sock.setblocking(True)
        self.sock.settimeout(10)
        self.sock.sendall(b'{"command":"ping"}\n')
        if b'"ok":true' not in self.sock.recv(4096):
            raise SystemExit("FAIL: the connection no longer answers")


def pipeline(path, connections, requests, seed):
    rng = random.Random(seed)
    conns = [Conn(path, random.Random(rng.randrange(1 << 62)), requests) for _ in range(connections)]
    deadline = time.monotonic() + 120
    while not all(c.done() for c in conns):
        if time.monotonic() > deadline:
            raise SystemExit("FAIL: replies still missing after 120 s: %s"
                             % [len(c.replies) for c in conns])
        for c in conns:
            if not c.done():
                c.step()
    for c in conns:
        c.check()
    print(json.dumps({"connections": connections, "requests": connections * requests, "ok": True}))


def slow_reader(path, wait):
    s = connect(path)
    accepted = 0
    idle_since = time.monotonic()
    # Until the daemon has stopped taking requests for a full second (or has
    # taken far more than a bounded daemon could).
    while time.monotonic() - idle_since < 1.0 and accepted < (64 << 20):
        try:
            accepted += s.send(REQUEST * 64)
            idle_since = time.monotonic()
        except BlockingIOError:
            time.sleep(0.05)
    time.sleep(wait)
    closed = False
    s.setblocking(True)
    s.settimeout(5)
    try:
        while True:
            data = s.recv(1 << 20)
            if not data:
                closed = True
                break
    except (ConnectionResetError, BrokenPipeError):
        closed = True
    except socket.timeout:
        pass
    print(json.dumps({"accepted": accepted, "closed": closed}))


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "flood" and len(sys.argv) == 5:
        flood(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    elif cmd == "pipeline" and len(sys.argv) == 6:
        pipeline(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif cmd == "slow-reader" and len(sys.argv) == 4:
        slow_reader(sys.argv[2], float(sys.argv[3]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
