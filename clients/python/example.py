# SPDX-License-Identifier: MIT
"""example.py HOST PORT TOKEN: connect, print the backend's first bytes."""
import sys

import sockgate

host, port, token = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    sock = sockgate.connect((host, port), token, timeout=5)
except sockgate.GatewayError as e:
    sys.exit("refused: %d" % e.code)
print(sock.recv(4096).decode(errors="replace"), end="")
sock.close()
