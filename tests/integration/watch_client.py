#!/usr/bin/python3
"""A watching connection to idguardd, as idguard-notify makes one: sends
{"command":"watch"} and writes every line it receives to standard output,
prefixed by the CLOCK_REALTIME time of its arrival in microseconds, flushed
at once; "closed" when the daemon closes the connection.
With SINCE (realtime µs), asks for the kept notices after it too, as
idguard-notify does when it connects again.
Usage: watch_client.py SOCKET [SINCE]"""
import json
import socket
import sys
import time

sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.connect(sys.argv[1])
if len(sys.argv) > 2:
    sock.sendall(b'{"command":"watch","since_usec":%d}\n' % int(sys.argv[2]))
else:
    sock.sendall(b'{"command":"watch"}\n')
with open(sys.stdout.fileno(), "w", buffering=1, closefd=False) as out:
    buf = b""
    while True:
        data = sock.recv(65536)
        if not data:
            out.write("closed\n")
            break
        buf += data
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            json.loads(line)  # the daemon sends JSON, one object a line
            out.write("%d %s\n" % (time.time_ns() // 1000, line.decode()))
