# SPDX-License-Identifier: MIT
"""example.py HOST PORT TOKEN [MESSAGE]: connect, send MESSAGE and a
newline ("hello" by default), print the backend's first bytes back (an
echo backend, such as make run's, answers the message)."""
import sys

import sockgate

if len(sys.argv) not in (4, 5):
    print("usage: example.py HOST PORT TOKEN [MESSAGE]", file=sys.stderr)
    sys.exit(2)
host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
message = sys.argv[4] if len(sys.argv) == 5 else "hello"
try:
    sock = sockgate.connect((host, port), token, timeout=5)
except sockgate.GatewayError as e:
    sys.exit("refused: %d" % e.code)
sock.sendall((message + "\n").encode())
print(sock.recv(4096).decode(errors="replace"), end="")
sock.close()
