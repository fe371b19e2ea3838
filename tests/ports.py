"""Free TCP ports for the servers the tests start, safe with tests running in parallel
(pytest-xdist workers).

A port the kernel picks (bind to port 0) comes from the ephemeral range, the same range every
outgoing connection takes its local port from: between closing the probe and the server's own
bind (seconds, for a bot process starting), another worker's connection could take it. These
ports come from below the ephemeral range instead, each worker from a block of its own, so
neither another worker nor an outgoing connection gets them in the meantime."""

from __future__ import annotations

import itertools
import os
import random
import socket
from pathlib import Path

BLOCK = 400  # ports per worker
LOWEST = 20000


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _worker() -> int:
    """0 without xdist, n + 1 on worker gw<n>."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(name.removeprefix("gw")) + 1 if name.startswith("gw") else 0


def _block() -> range:
    blocks = max(1, (_ephemeral_start() - LOWEST) // BLOCK)
    start = LOWEST + (_worker() % blocks) * BLOCK
    return range(start, start + BLOCK)


# Round the worker's block from a random place: a second test run at the same time (another
# checkout) rarely starts where this one does.
_ports = _block()
_next = itertools.islice(itertools.cycle(_ports), random.randrange(BLOCK), None)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now; this worker hands out each in turn."""
    for _ in range(BLOCK):
        port = next(_next)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError(f"no free port in {_ports}")
