#!/usr/bin/python3
"""Passes an open descriptor from one process to another over a unix socket
(SCM_RIGHTS), as a program sharing a scanner with another user's would.

  fd_pass.py receive SOCKET_PATH   waits for one descriptor, reads 16 bytes
                                   from it, prints "received PID read N",
                                   then becomes `sleep 60` holding it as fd 3
  fd_pass.py send SOCKET_PATH FILE opens FILE for reading and passes it
"""
import os
import socket
import sys


def receive(path):
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(1)
    conn, _ = server.accept()
    _, fds, _, _ = socket.recv_fds(conn, 16, 1)
    if not fds:
        sys.exit("no descriptor received")
    data = os.read(fds[0], 16)
    os.dup2(fds[0], 3)
    print("received %d read %d" % (os.getpid(), len(data)), flush=True)
    os.execvp("sleep", ["sleep", "60"])


def send(path, name):
    fd = os.open(name, os.O_RDONLY)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    client.connect(path)
    socket.send_fds(client, [b"x"], [fd])
    client.close()


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "receive":
        receive(sys.argv[2])
    elif len(sys.argv) == 4 and sys.argv[1] == "send":
        send(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
