#!/usr/bin/python3
"""Ask espritd's control socket one question (status, sa, stats) and print the reply.

    ctl.py SOCKET REQUEST

Used by scripts/demo only where the esprit CLI has no client command for it yet.
"""
import socket
import sys


def main():
    path, request = sys.argv[1:3]
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(path)
    s.send(request.encode())
    sys.stdout.write(s.recv(65536).decode())


if __name__ == "__main__":
    main()
